"""Live updates across processes through Redis pub/sub, and without it when Redis is down.

The machine's Redis (ERFA_TEST_REDIS_URL, else 127.0.0.1:6379) carries the first test; the
outage is played on a `redis-server` of the test's own, stopped and started again. Without
them the tests skip locally and fail under CI (`CI=true`), as tests/test_ratelimit.py does.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from domain import threads
from domain.actor import load_actor
from erfa import db
from erfa.live import CHANNEL
from tests.conftest import throwaway_database
from tests.ports import free_port
from tests.web.live_support import Served, reply, serve, stream, streams_open, world

REDIS_URL = os.environ.get("ERFA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REDIS_SERVER = shutil.which("redis-server")


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@contextmanager
def _redis_server(port: int, home: Path) -> Iterator[subprocess.Popen[bytes]]:
    assert REDIS_SERVER is not None
    process = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: _answers(f"redis://127.0.0.1:{port}/0"), 10, "redis-server did not start")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


class _Collect(logging.Handler):
    def __init__(self, lines: list[logging.LogRecord]) -> None:
        super().__init__(logging.WARNING)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record)


def _write_elsewhere(served: Served, user_id: int, thread_id: int, body: str) -> None:
    """A reply committed as another process would: this server's hub is not told."""
    with db.session_scope(served.writer) as session:
        threads.reply(session, load_actor(session, user_id), thread_id=thread_id, body=body)


def test_a_reply_through_one_process_reaches_a_stream_on_another_through_redis(
    server_url: str | None, tmp_path: Path
) -> None:
    if not _answers(REDIS_URL):
        _missing(f"Redis at {REDIS_URL} does not answer")
    with (
        throwaway_database(server_url, tmp_path / "live.db") as url,
        serve(url, tmp_path / "a", redis_url=REDIS_URL) as a,
        serve(url, tmp_path / "b", redis_url=REDIS_URL) as b,
    ):
        _wait(lambda: a.hub.redis_ok and b.hub.redis_ok, 5, "the hubs did not subscribe")
        b.hub.safety_poll_s = 60.0  # only Redis can tell B within the second
        here = world(a)
        listener = redis.Redis.from_url(REDIS_URL).pubsub()  # type: ignore[no-untyped-call]
        listener.subscribe(CHANNEL)
        with stream(b, here.reader, f"/t/{here.thread_id}/live?after=1") as opened:
            streams_open(b, 1)
            reply(a, here.writer, here.thread_id, "Skrivet hos A")
            sent = time.monotonic()
            event = opened.next(timeout=5)
            assert event is not None
            assert time.monotonic() - sent < 1.0
            assert "Skrivet hos A" in event.data
        published = [listener.get_message(timeout=1) for _ in range(3)]
        assert any(m is not None and m["type"] == "message" for m in published)
        listener.close()


def test_redis_down_costs_one_log_line_posting_works_and_live_comes_back(
    server_url: str | None, tmp_path: Path
) -> None:
    if REDIS_SERVER is None:
        _missing("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    lines: list[logging.LogRecord] = []
    handler = _Collect(lines)
    logging.getLogger("erfa.live").addHandler(handler)
    try:
        with (
            throwaway_database(server_url, tmp_path / "live.db") as database,
            _redis_server(port, tmp_path) as first,
            serve(database, tmp_path / "data", redis_url=url) as served,
        ):
            _wait(lambda: served.hub.redis_ok, 5, "the hub did not subscribe")
            here = world(served)
            path = f"/t/{here.thread_id}/live?after=1"
            with stream(served, here.reader, path) as opened:
                streams_open(served, 1)
                first.terminate()
                first.wait(timeout=10)
                _wait(lambda: not served.hub.redis_ok, 5, "the hub did not notice")
                # Posting works, and the stream is told by the process's poll of the feed.
                reply(served, here.writer, here.thread_id, "Medan Redis är borta")
                _write_elsewhere(served, here.writer.user_id, here.thread_id, "Från en annan")
                texts = [opened.next(timeout=3), opened.next(timeout=3)]
                assert [e is not None for e in texts] == [True, True]
                time.sleep(2.5)  # the hub tries Redis again meanwhile, without a word more
                assert len(lines) == 1, [r.getMessage() for r in lines]
                assert "Redis" in lines[0].getMessage()
                with _redis_server(port, tmp_path):
                    _wait(lambda: served.hub.redis_ok, 5, "the hub did not listen again")
                    served.hub.safety_poll_s = 60.0  # now only Redis can tell it in time
                    _write_elsewhere(served, here.writer.user_id, here.thread_id, "Redis är här")
                    redis.Redis.from_url(url).publish(CHANNEL, "")  # as that process does
                    event = opened.next(timeout=3)
                    assert event is not None
                    assert "Redis är här" in event.data
    finally:
        logging.getLogger("erfa.live").removeHandler(handler)
