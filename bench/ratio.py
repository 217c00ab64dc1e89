"""A regression check of page speed that a noisy machine cannot fail: a ratio in one run.

    uv run python bench/ratio.py [--seconds 1.0] [--rounds 5] [--check]

Seeds a small corpus (`erfa seed synthetic --posts 20000 --threads 200`) into a fresh
SQLite folder, starts `erfa serve` (one worker) on loopback, signs in as the corpus official
and then, in `--rounds` rounds, asks one keep-alive connection for a trivial route
(`/healthz`: a `SELECT 1`) for `--seconds`, and for a discussion page (`/t/{id}`, signed in,
100 posts, the first 20 shown) for as long. The ratio of the two rates is what the page costs
over the least a request costs on the same machine at the same moment: a slower machine, or
one busy with other work, slows both alike. The median of the rounds' ratios is compared
with `BASELINE`, measured on the reference machine; with `--check` the script fails when the
page has become twice as slow relative to the trivial route (ratio below `BASELINE / 2`).
`.ci/run` runs it with `--check`.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from pages import ERFA, erfa_env  # bench/pages.py, beside this file

BASELINE = 0.21
"""The page's rate over the trivial route's, the median of `--rounds 5`, measured on the
reference machine (docs/BENCHMARKS.md, "Page speed as a ratio")."""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def seed(data: Path) -> tuple[str, str]:
    out = subprocess.run(
        [ERFA, "seed", "synthetic", "--posts", "20000", "--threads", "200"],
        env=erfa_env(data, ""),
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"erfa seed synthetic failed:\n{out.stderr}")
    email, password, _ = out.stdout.strip().splitlines()[-1].split()
    return email, password


def sign_in(connection: http.client.HTTPConnection, email: str, password: str) -> str:
    connection.request("GET", "/login")
    response = connection.getresponse()
    form = response.read().decode()
    cookies = _cookies(response)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    body = urlencode({"email": email, "password": password, "csrf_token": token.group(1)})
    connection.request(
        "POST",
        "/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies},
    )
    response = connection.getresponse()
    response.read()
    if response.status != 303:
        raise SystemExit(f"signing in failed: {response.status}")
    merged = dict(pair.split("=", 1) for pair in cookies.split("; ") if pair)
    merged.update(dict(pair.split("=", 1) for pair in _cookies(response).split("; ") if pair))
    return "; ".join(f"{k}={v}" for k, v in merged.items())


def _cookies(response: http.client.HTTPResponse) -> str:
    return "; ".join(
        value.split(";", 1)[0] for key, value in response.getheaders() if key == "set-cookie"
    )


def rate(connection: http.client.HTTPConnection, path: str, cookie: str, seconds: float) -> float:
    """Requests a second to `path`, one after another on one connection."""
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status}")
        count += 1
    return count / (time.perf_counter() - started)


def thread_id(data: Path) -> int:
    import sqlite3

    connection = sqlite3.connect(data / "erfa.db")
    try:
        row = connection.execute(
            "SELECT id FROM thread ORDER BY post_count DESC, id LIMIT 1"
        ).fetchone()
        return int(row[0])
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="erfa-ratio-"))
    email, password = seed(data)
    page = f"/t/{thread_id(data)}"
    port = free_port()
    env = {**erfa_env(data, ""), "ERFA_MIN_POST_INTERVAL_S": "0"}
    server = subprocess.Popen(
        [ERFA, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        deadline = time.monotonic() + 60
        while True:
            try:
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("erfa serve did not start") from None
                connection.close()
                time.sleep(0.2)
        cookie = sign_in(connection, email, password)
        rate(connection, "/healthz", cookie, 0.5)  # warm-up: templates, caches, pool
        rate(connection, page, cookie, 0.5)
        ratios = []
        for number in range(1, args.rounds + 1):
            trivial = rate(connection, "/healthz", cookie, args.seconds)
            thread = rate(connection, page, cookie, args.seconds)
            ratios.append(thread / trivial)
            print(
                f"round {number}: /healthz {trivial:7.1f}/s, {page} {thread:6.1f}/s, "
                f"ratio {thread / trivial:.3f}"
            )
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    median = statistics.median(ratios)
    print(
        f"median ratio {median:.3f} (baseline {BASELINE:.3f}, failing below {BASELINE / 2:.3f}); "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    if args.check and median < BASELINE / 2:
        print("the discussion page has become twice as slow as it was", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
