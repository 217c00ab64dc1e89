"""Latency and throughput of the group page and the thread page on the benchmark corpus.

    uv run python bench/pages.py [--posts 1000000] [--threads 10000] [--data DIR]

Seeds the corpus (PRODUCT.md: 50 groups, 10 000 threads, 1 000 000 posts, 20 000
officials) into a SQLite data folder with `erfa seed synthetic`, unless DIR already holds
one; starts `erfa serve --workers 2`; signs in as the corpus official; then drives each
page with wrk (Debian package `wrk`: 2 threads, 16 connections, 20 s) and reports the
median and p99 latency and requests per second. It also counts the SQL statements one
request of each page sends.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

ERFA = str(Path(sys.executable).with_name("erfa"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def seed(data: Path, posts: int, threads: int) -> tuple[str, str]:
    login_file = data / "bench-login.txt"
    if not login_file.exists():
        env = {**os.environ, "ERFA_DATA_DIR": str(data)}
        env.pop("ERFA_DATABASE_URL", None)
        started = time.perf_counter()
        out = subprocess.run(
            [ERFA, "seed", "synthetic", "--posts", str(posts), "--threads", str(threads)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        print(f"seeded in {time.perf_counter() - started:.0f} s: {out.stdout.splitlines()[0]}")
        login_file.write_text(out.stdout.strip().splitlines()[-1])
    email, password, _ = login_file.read_text().split()
    return email, password


def sign_in(base: str, email: str, password: str) -> dict[str, str]:
    with httpx.Client(base_url=base) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token.group(1)}
        )
        return dict(client.cookies)


def wrk(url: str, cookies: dict[str, str]) -> dict[str, str]:
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    out = subprocess.run(
        ["wrk", "-t2", "-c16", "-d20s", "--latency", "-H", f"Cookie: {cookie}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    latency = dict(re.findall(r"^\s+(50|99)\.?0*%\s+(\S+)\s*$", out, re.M))
    rps = re.search(r"Requests/sec:\s+(\S+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "p50": latency.get("50", "?"),
        "p99": latency.get("99", "?"),
        "rps": rps.group(1) if rps else "?",
        "errors": non_2xx.group(1) if non_2xx else "0",
    }


def statement_counts(
    data: Path, email: str, password: str, paths: dict[str, str]
) -> dict[str, int]:
    from erfa.app import create_app
    from erfa.settings import Settings

    app = create_app(Settings(data_dir=data, _env_file=None))  # type: ignore[call-arg]
    counted: list[str] = []
    sa.event.listen(app.state.engine, "before_cursor_execute", lambda *a: counted.append(a[2]))
    counts = {}
    with TestClient(app) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token.group(1)}
        )
        for name, path in paths.items():
            client.get(path)  # warm
            counted.clear()
            assert client.get(path).status_code == 200
            counts[name] = len(counted)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--data", type=Path)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    data = args.data or Path(tempfile.mkdtemp(prefix="erfa-bench-"))
    email, password = seed(data, args.posts, args.threads)
    with sqlite3.connect(data / "erfa.db") as db:
        slug, thread_id = db.execute(
            'SELECT g.slug, t.id FROM thread t JOIN "group" g ON g.id = t.group_id '
            "WHERE g.slug LIKE 'bench-%' ORDER BY t.id LIMIT 1"
        ).fetchone()
    paths = {"group page": f"/g/{slug}", "thread page": f"/t/{thread_id}"}
    port = free_port()
    env = {**os.environ, "ERFA_DATA_DIR": str(data), "ERFA_MIN_POST_INTERVAL_S": "0"}
    env.pop("ERFA_DATABASE_URL", None)
    server = subprocess.Popen(
        [ERFA, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        cookies = sign_in(base, email, password)
        results = {name: wrk(base + path, cookies) for name, path in paths.items()}
    finally:
        server.terminate()
        server.wait(timeout=30)
    counts = statement_counts(data, email, password, paths)
    print(f"corpus: {args.posts} posts in {args.threads} threads; data in {data}")
    print("| page | median | p99 | requests/s | non-2xx | SQL statements |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, r in results.items():
        print(f"| {name} | {r['p50']} | {r['p99']} | {r['rps']} | {r['errors']} | {counts[name]} |")


if __name__ == "__main__":
    main()
