"""What idle live streams cost one server process: RSS and CPU with 1000 open streams.

    uv run python bench/live.py [--streams 1000] [--idle 30]

Starts one worker as `erfa serve` runs it (`erfa.app:serve_app`, the job runner included)
on a fresh SQLite data folder, with one official and one discussion. It measures the
process's resident memory, opens `--streams` event streams on the discussion
(`GET /t/{id}/live`, as the page's script does), measures the memory again, then the CPU
time the process spends over `--idle` seconds while they stay open and nothing is written.

Each stream is a connection: `erfa serve` lets a worker hold the 1 000 streams erfa.live
allows on top of 256 requests (`LIMIT_CONCURRENCY` in erfa/cli.py); this script starts the
worker with `--limit-concurrency` (default: streams + 100), so that more can be tried.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlmodel import select

from domain.auth import start_session
from erfa import db
from models import (
    FocusArea,
    Group,
    Membership,
    Municipality,
    Post,
    Thread,
    User,
    UserStatus,
    Visibility,
)

PAGE = 4096


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def _world(database_url: str) -> tuple[int, str]:
    engine = db.create_db_engine(database_url)
    db.upgrade(engine)
    with db.session_scope(db.make_session_factory(engine)) as session:
        municipality = session.exec(select(Municipality)).first()
        assert municipality is not None
        assert municipality.id is not None
        user = User(
            email="live@bench.se",
            handle="live.bench",
            name="Live Bench",
            title="Utvecklare",
            municipality_id=municipality.id,
            password_hash="!",  # noqa: S106 - no password: the bench signs in by session
            status=UserStatus.ACTIVE,
        )
        group = Group(
            slug="live-bench",
            name="Live",
            focus_area=next(iter(FocusArea)),
            visibility=Visibility.CLOSED,
            description="Bench.",
        )
        session.add_all([user, group])
        session.flush()
        assert user.id is not None
        assert group.id is not None
        session.add(Membership(group_id=group.id, user_id=user.id))
        thread = Thread(group_id=group.id, author_id=user.id, title="Live", post_count=1)
        session.add(thread)
        session.flush()
        assert thread.id is not None
        session.add(
            Post(thread_id=thread.id, author_id=user.id, position=1, body="x", body_html="<p>x</p>")
        )
        _, secret = start_session(session, user.id)
        thread_id = thread.id
    engine.dispose()
    return thread_id, secret


def _open(port: int, path: str, secret: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        f"Cookie: erfa_session={secret}\r\n\r\n".encode()
    )
    head = sock.recv(PAGE)
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"a stream was refused: {head[:80]!r}")
    return sock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--limit-concurrency", type=int, default=0)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="erfa-live-bench-"))
    database_url = f"sqlite:///{home / 'erfa.db'}"
    thread_id, secret = _world(database_url)
    port = _free_port()
    limit = args.limit_concurrency or args.streams + 100
    env = {
        **os.environ,
        "ERFA_DATABASE_URL": database_url,
        "ERFA_DATA_DIR": str(home / "data"),
        "ERFA_SECRET_KEY": secrets.token_urlsafe(32),
    }
    env.pop("ERFA_REDIS_URL", None)
    code = (
        "import uvicorn; uvicorn.run('erfa.app:serve_app', factory=True, host='127.0.0.1', "
        f"port={port}, timeout_keep_alive=5, limit_concurrency={limit}, "
        "timeout_graceful_shutdown=30, log_level='warning')"
    )
    server = subprocess.Popen([sys.executable, "-c", code], cwd=home, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        # Warm up: one page and one stream, so that imports and caches are not counted.
        _open(port, f"/t/{thread_id}/live?after=1", secret).close()
        time.sleep(1)
        before = _rss_mb(server.pid)
        streams = [_open(port, f"/t/{thread_id}/live?after=1", secret) for _ in range(args.streams)]
        time.sleep(2)
        after = _rss_mb(server.pid)
        cpu = _cpu_s(server.pid)
        time.sleep(args.idle)
        idle_cpu = _cpu_s(server.pid) - cpu
        print(f"streams open:          {len(streams)}")
        print(f"RSS before:            {before:.1f} MB")
        print(
            f"RSS with the streams:  {after:.1f} MB  (+{after - before:.1f} MB, "
            f"{(after - before) * 1024 / len(streams):.1f} KB a stream)"
        )
        print(
            f"CPU over {args.idle:.0f} s idle:    {idle_cpu:.2f} s  "
            f"({idle_cpu / args.idle * 100:.2f} % of one core)"
        )
        for sock in streams:
            sock.close()
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
