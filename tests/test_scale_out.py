"""Scale-out, tested rather than promised: two `erfa serve` processes on loopback, one
database (the suite's backend: SQLite, or PostgreSQL with ERFA_TEST_DATABASE_URL) and
one Redis, as docker-compose.yml runs them.

A reply posted through A reaches a live stream on B within a second (Redis pub/sub);
the sign-in limit and the posting pace hold across both; a webhook delivery, a durable
job that both processes' job runners could take, is made once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import redis

from erfa.live import CHANNEL
from tests.cli.test_backup import Official, environment
from tests.cli.test_serve import ERFA, wait_until_serving
from tests.conftest import throwaway_database
from tests.ports import free_port
from tests.test_webhook_delivery import receiving, wait_for
from tests.web.test_live_redis import _redis_server

REDIS_SERVER = shutil.which("redis-server")


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [ERFA, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def browser(base: str, email: str, password: str) -> httpx.Client:
    """A client signed in through the form, as a browser is."""
    client = httpx.Client(base_url=base, timeout=30)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    signed_in = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1)}
    )
    assert signed_in.status_code == 303, signed_in.text
    return client


@contextmanager
def listening(client: httpx.Client, path: str) -> Iterator[list[tuple[float, str]]]:
    """An event stream read in a thread: (when it arrived, its text) for each event."""
    events: list[tuple[float, str]] = []
    stop = threading.Event()

    def read() -> None:
        headers = {"Accept": "text/event-stream"}
        with client.stream("GET", path, headers=headers, timeout=None) as response:
            assert response.status_code == 200
            block: list[str] = []
            for line in response.iter_lines():
                if stop.is_set():
                    return
                if line:
                    block.append(line)
                elif block:
                    events.append((time.monotonic(), "\n".join(block)))
                    block = []

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        time.sleep(1.0)  # connected and subscribed before anything is written
        yield events
    finally:
        stop.set()
        client.close()


@pytest.fixture
def two_servers(
    server_url: str | None, tmp_path: Path
) -> Iterator[tuple[str, str, list[str], str]]:
    """A and B on one database, one Redis and one data folder; the demo logins. The Redis
    is the test's own: rate limits count by address and email, and another suite running
    beside this one must neither see nor move these counts."""
    if REDIS_SERVER is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    port = free_port()
    with (
        _redis_server(port, tmp_path),
        throwaway_database(server_url, tmp_path / "shared.db") as url,
    ):
        env = environment(url, tmp_path / "data")
        env.update(
            ERFA_REDIS_URL=f"redis://127.0.0.1:{port}/0",
            ERFA_MIN_POST_INTERVAL_S="3",
            ERFA_WEBHOOK_ALLOW_PRIVATE="1",
        )
        seeded = subprocess.run(
            [ERFA, "seed", "demo"], env=env, capture_output=True, text=True, timeout=300
        )
        assert seeded.returncode == 0, seeded.stderr
        logins = (tmp_path / "data" / "demo-logins.txt").read_text().splitlines()
        with serving(env) as a, serving(env) as b:
            yield a, b, logins, env["ERFA_REDIS_URL"]


def _lead(logins: list[str]) -> tuple[str, str]:
    email, password, _role = next(line for line in logins if line.endswith(" lead")).split()
    return email, password


def test_a_reply_through_a_reaches_a_live_page_on_b_within_a_second(
    two_servers: tuple[str, str, list[str], str],
) -> None:
    a, b, logins, redis_url = two_servers
    email, password = _lead(logins)
    writer = Official(a, email, password)
    thread_id, _ = writer.writable_thread_and_resource()
    count = len(writer.client.get(f"/threads/{thread_id}/posts").json()["items"])
    reader = browser(b, email, password)
    channel = redis.Redis.from_url(redis_url).pubsub()  # type: ignore[no-untyped-call]
    channel.subscribe(CHANNEL)
    with listening(reader, f"/t/{thread_id}/live?after={count}") as events:
        writer.reply(thread_id, "Skrivet genom A, läst hos B.")
        sent = time.monotonic()
        wait_for(lambda: any("läst hos B" in text for _, text in events), 5, "the event on B")
    arrived = next(at for at, text in events if "läst hos B" in text)
    told = [channel.get_message(timeout=1) for _ in range(3)]
    channel.close()
    writer.close()
    assert arrived - sent < 1.0, f"the reply reached B after {arrived - sent:.2f} s"
    assert any(m is not None and m["type"] == "message" for m in told), "A told no one"


def test_the_sign_in_limit_and_the_posting_pace_hold_across_both(
    two_servers: tuple[str, str, list[str], str],
) -> None:
    a, b, logins, _ = two_servers
    email, password = _lead(logins)
    failures = [
        httpx.post(f"{base}/api/v1/auth/token", data={"username": email, "password": "fel"})
        for base in (a, b) * 5
    ]
    assert {response.status_code for response in failures} == {401}
    limited = httpx.post(f"{b}/api/v1/auth/token", data={"username": email, "password": password})
    assert limited.status_code == 429, "ten failures through A and B together lock the account"
    assert int(limited.headers["Retry-After"]) > 0

    other = next(line for line in logins if line.endswith(" member")).split()
    first = Official(a, other[0], other[1])
    thread_id, _ = _readable_thread(first)
    on_b = Official(b, other[0], other[1])
    accepted = first.client.post(f"/threads/{thread_id}/posts", json={"body": "Först."})
    assert accepted.status_code == 201, accepted.text
    paced = on_b.client.post(f"/threads/{thread_id}/posts", json={"body": "Genast igen."})
    first.close()
    on_b.close()
    assert paced.status_code == 429, paced.text
    assert int(paced.headers["Retry-After"]) >= 1


def _readable_thread(official: Official) -> tuple[int, str]:
    for group in official.client.get("/groups").json()["items"]:
        if group["archived"] or not group["can_read"]:
            continue
        threads = official.client.get(f"/groups/{group['slug']}/threads").json()["items"]
        for thread in threads:
            probe = official.client.post(
                f"/threads/{thread['id']}/posts", json={"body": "Prov från A."}
            )
            if probe.status_code == 201:
                time.sleep(3.1)  # the pace of that probe
                return thread["id"], group["slug"]
    raise AssertionError("the demo member may reply nowhere")


def test_a_durable_job_is_done_once_with_two_job_runners(
    two_servers: tuple[str, str, list[str], str],
) -> None:
    a, _, logins, _ = two_servers
    email, password = _lead(logins)
    lead = Official(a, email, password)
    thread_id, _ = lead.writable_thread_and_resource()
    slug = _group_of(lead, thread_id)
    with receiving(fail_first=0) as (url, receiver):
        made = lead.client.post(
            f"/groups/{slug}/webhooks", json={"url": url, "events": ["post.created"]}
        )
        assert made.status_code == 201, made.text
        posted = lead.reply(thread_id, "En ändring som båda processerna kan leverera.")
        wait_for(lambda: len(receiver.requests) >= 1, 60, "the delivery")
        time.sleep(3)  # a second runner's copy would have arrived by now
        with receiver.lock:
            deliveries = list(receiver.requests)
    lead.close()
    assert len(deliveries) == 1, f"{len(deliveries)} deliveries of one change"
    assert f'"id":{posted}'.encode() in deliveries[0][1]


def _group_of(official: Official, thread_id: int) -> str:
    slug: str = official.client.get(f"/threads/{thread_id}").json()["group"]
    return slug
