"""Cold start to the first 200 on `/`: `erfa serve --demo` on an empty data folder.

    uv run python bench/startup.py [--runs 5]

Each run starts a new process on a new, empty SQLite data folder (so the time includes
migrating, seeding the demo data with its argon2 password hashes, and importing the
app), then polls `/` every 10 ms until it answers 200. A second series restarts on the
data folder the first run left behind (migrations already applied, nothing to seed).
`/` sends an anonymous visitor to `/login`; the redirect is followed.
Also measured: `uv run erfa --help`, the cost of `uv run` and the import of the CLI.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ERFA = str(Path(sys.executable).with_name("erfa"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def time_to_first_200(data_dir: Path, *, command: list[str]) -> float:
    port = free_port()
    env = {**os.environ, "ERFA_DATA_DIR": str(data_dir)}
    env.pop("ERFA_DATABASE_URL", None)
    started = time.perf_counter()
    deadline = started + 120
    process = subprocess.Popen(
        [*command, "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit("erfa serve exited before answering")
            if time.perf_counter() > deadline:
                raise SystemExit("erfa serve did not answer 200 within 120 s")
            try:
                # `/` sends an anonymous visitor on to the sign-in page: follow it.
                answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=2, follow_redirects=True)
                if answer.status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                time.sleep(0.01)
    finally:
        process.terminate()
        process.wait(timeout=20)


def summary(label: str, seconds: list[float]) -> str:
    return (
        f"| {label} | {len(seconds)} | {statistics.median(seconds) * 1000:.0f} ms "
        f"| {min(seconds) * 1000:.0f} ms | {max(seconds) * 1000:.0f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--uv", action="store_true", help="start through `uv run erfa`")
    args = parser.parse_args()
    uv = shutil.which("uv")
    command = [uv, "run", "--locked", "erfa"] if args.uv and uv else [ERFA]

    cold: list[float] = []
    warm: list[float] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="erfa-bench-") as tmp:
            cold.append(time_to_first_200(Path(tmp) / "data", command=command))
            warm.append(time_to_first_200(Path(tmp) / "data", command=command))

    print(f"command: {' '.join(Path(c).name for c in command)} serve --demo")
    print("| start | runs | median | min | max |")
    print("| --- | --- | --- | --- | --- |")
    print(summary("cold: empty data folder (migrate + seed demo)", cold))
    print(summary("warm: existing data folder", warm))


if __name__ == "__main__":
    main()
