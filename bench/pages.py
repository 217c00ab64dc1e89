"""Latency and throughput of the group, thread and start pages on the benchmark corpus.

    uv run python bench/pages.py [--posts 1000000] [--threads 10000] [--data DIR]
                                 [--database-url postgresql://postgres@127.0.0.1/erfa_bench]

Seeds the corpus (PRODUCT.md: 50 groups, 10 000 threads, 1 000 000 posts, 20 000
officials) with `erfa seed synthetic`, unless DIR already holds its login; starts
`erfa serve --workers 2`; signs in as the corpus official and views each page once; then
drives each page with wrk (Debian package `wrk`: 2 threads, 16 connections, 20 s) and
reports the median and p99 latency, requests per second, errors, and how the connections
were shared among the workers. It also counts the SQL statements one request of each
page sends.

The database is SQLite in DIR unless `--database-url` names a PostgreSQL database, which
is created when missing, and vacuumed and analysed after seeding (as autovacuum would
soon do, but perhaps during the measurement). DIR then keeps the secret key and the
corpus login that belong to that database: pass the same pair again to measure without
seeding anew. The script never drops the database; `dropdb` does.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from erfa import db
from erfa.settings import Settings

ERFA = str(Path(sys.executable).with_name("erfa"))
WORKERS = 2
CONNECTIONS = 16


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def erfa_env(data: Path, database_url: str) -> dict[str, str]:
    env = {**os.environ, "ERFA_DATA_DIR": str(data)}
    env.pop("ERFA_DATABASE_URL", None)
    if database_url:
        env["ERFA_DATABASE_URL"] = database_url
    return env


def bench_settings(data: Path, database_url: str) -> Settings:
    return Settings(data_dir=data, database_url=database_url, _env_file=None)


def create_database(engine: Engine) -> None:
    """Create the PostgreSQL database the engine points at, unless it exists."""
    name = engine.url.database
    admin = sa.create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            query = sa.text("SELECT 1 FROM pg_database WHERE datname = :name")
            if connection.execute(query, {"name": name}).first() is None:
                quoted = admin.dialect.identifier_preparer.quote(str(name))
                connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
    finally:
        admin.dispose()


def seed(
    data: Path, engine: Engine, database_url: str, posts: int, threads: int
) -> tuple[str, str]:
    login_file = data / "bench-login.txt"
    if not login_file.exists():
        if sa.inspect(engine).has_table("post"):
            with engine.connect() as connection:
                if connection.execute(sa.text("SELECT 1 FROM post LIMIT 1")).first():
                    raise SystemExit(
                        f"{db.safe_url(database_url)} holds posts, but {login_file} is missing: "
                        "drop the database or pass the --data folder that seeded it"
                    )
        started = time.perf_counter()
        out = subprocess.run(
            [ERFA, "seed", "synthetic", "--posts", str(posts), "--threads", str(threads)],
            env=erfa_env(data, database_url),
            capture_output=True,
            text=True,
        )
        if out.returncode:
            raise SystemExit(f"erfa seed synthetic failed:\n{out.stderr}")
        print(f"seeded in {time.perf_counter() - started:.0f} s: {out.stdout.splitlines()[0]}")
        if engine.dialect.name == "postgresql":
            started = time.perf_counter()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM (ANALYZE)")
            print(f"vacuumed and analysed in {time.perf_counter() - started:.0f} s")
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


def wrk(url: str, cookies: dict[str, str], port: int) -> dict[str, str]:
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", "-d20s", "--latency", "-H", f"Cookie: {cookie}"]
    with subprocess.Popen([*command, url], stdout=subprocess.PIPE, text=True) as process:
        time.sleep(5)
        spread = connections_per_worker(port)
        out, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"wrk failed on {url}")
    latency = dict(re.findall(r"^\s+(50|99)\.?0*%\s+(\S+)\s*$", out, re.M))
    rps = re.search(r"Requests/sec:\s+(\S+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    # wrk leaves requests that get no answer out of its latencies (and counts a timeout
    # only for a late answer), so a run with hung connections looks fast. Each connection
    # always has one request out: requests/s times the mean latency should be all of them.
    mean = re.search(r"^\s+Latency\s+(\S+)", out, re.M)
    answering = float(rps.group(1)) * seconds(mean.group(1)) if rps and mean else 0.0
    return {
        "p50": latency.get("50", "?"),
        "p99": latency.get("99", "?"),
        "rps": rps.group(1) if rps else "?",
        "errors": non_2xx.group(1) if non_2xx else "0",
        "socket": str(sum(int(n) for n in socket.groups())) if socket else "0",
        "spread": spread,
        "answering": f"{answering:.1f}",
    }


def seconds(duration: str) -> float:
    """A wrk duration ("850.00us", "136.12ms", "1.27s", "2.00m") in seconds."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", duration)
    if found is None:
        return 0.0
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}[found.group(2)]
    return float(found.group(1)) * scale


def connections_per_worker(port: int) -> str:
    """How wrk's connections are shared among the workers, busiest first: "9+7", "16+0".

    Each connection stays with the worker that accepted it, and one worker often accepts
    all of a burst; a worker without a connection idles while the other has both cores'
    work to do.
    """
    if shutil.which("ss") is None:
        return "?"
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
    ).stdout
    counts = sorted(Counter(re.findall(r"pid=(\d+)", out)).values(), reverse=True)
    return "+".join(str(n) for n in counts + [0] * (WORKERS - len(counts)))


def statement_counts(
    settings: Settings, email: str, password: str, paths: dict[str, str]
) -> dict[str, int]:
    from erfa.app import create_app

    app = create_app(settings)
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
            # erfa sends BEGIN itself only on SQLite (psycopg does so unseen): leave it out
            # so that both databases count the same queries.
            counts[name] = sum(1 for statement in counted if not statement.startswith("BEGIN"))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--data", type=Path)
    parser.add_argument(
        "--database-url", default="", help="a PostgreSQL database (default: SQLite in DIR)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    data = args.data or Path(tempfile.mkdtemp(prefix="erfa-bench-"))
    settings = bench_settings(data, args.database_url)
    engine = db.create_db_engine(settings.database_url)
    try:
        if engine.dialect.name == "postgresql":
            create_database(engine)
        email, password = seed(data, engine, args.database_url, args.posts, args.threads)
        paths = page_paths(engine)
    finally:
        engine.dispose()
    results = measure(data, args.database_url, email, password, paths)
    counts = statement_counts(settings, email, password, paths)
    where = db.safe_url(settings.database_url)
    print(f"corpus: {args.posts} posts in {args.threads} threads; data in {data}; database {where}")
    print(
        "| page | median | p99 | requests/s | non-2xx | socket errors "
        "| connections per worker | SQL statements |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, r in results.items():
        print(
            f"| {name} | {r['p50']} | {r['p99']} | {r['rps']} | {r['errors']} | {r['socket']} "
            f"| {r['spread']} | {counts[name]} |"
        )
    for name, r in results.items():
        if float(r["answering"]) < CONNECTIONS * 0.75:
            print(
                f"{name}: only about {r['answering']} of {CONNECTIONS} connections were "
                "answered; the others hung, and their requests are not in the numbers"
            )


@contextmanager
def serving(
    data: Path, database_url: str, workers: int
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`erfa serve` on the corpus with the posting pace off, once it answers: its base URL
    and its process; stopped afterwards."""
    port = free_port()
    env = {**erfa_env(data, database_url), "ERFA_MIN_POST_INTERVAL_S": "0"}
    server = subprocess.Popen(
        [ERFA, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if server.poll() is not None:
                raise SystemExit("erfa serve exited before answering")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def page_paths(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        slug, thread_id = connection.execute(
            sa.text(
                'SELECT g.slug, t.id FROM thread t JOIN "group" g ON g.id = t.group_id '
                "WHERE g.slug LIKE 'bench-%' ORDER BY t.id LIMIT 1"
            )
        ).one()
    return {"group page": f"/g/{slug}", "thread page": f"/t/{thread_id}", "start page": "/"}


def measure(
    data: Path, database_url: str, email: str, password: str, paths: dict[str, str]
) -> dict[str, dict[str, str]]:
    with serving(data, database_url, WORKERS) as (base, _):
        cookies = sign_in(base, email, password)
        # The official's first view of a thread also writes their read marker, on a second
        # pooled connection; later views only read. Measure the later kind, and keep 16
        # first views at once from taking every connection (see docs/BENCHMARKS.md).
        with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
            for path in paths.values():
                client.get(path).raise_for_status()
        port = int(base.rsplit(":", 1)[1])
        return {name: wrk(base + path, cookies, port) for name, path in paths.items()}


if __name__ == "__main__":
    main()
