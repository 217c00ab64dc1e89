"""Webhooks for real: `erfa serve` in a subprocess delivers a group's changes to an HTTP
receiver on loopback that turns the first attempts away; erfa is killed (SIGKILL) in the
middle and started again. Every change must arrive, exactly once after de-duplication by
`webhook-id`, with a signature that the Standard Webhooks library accepts, and the
receiver's mirror must equal the database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import standardwebhooks

from tests.cli.test_serve import ERFA, wait_until_serving
from tests.ports import free_port

FAIL_FIRST = 3
"""Requests the receiver answers with 503 before it starts to accept."""


@dataclass
class Receiver:
    fail_first: int = FAIL_FIRST
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> dict[str, bytes]:
        """The accepted messages by `webhook-id` (the de-duplication a receiver does)."""
        with self.lock:
            seen = list(self.requests[self.fail_first :])
        return {headers["webhook-id"]: body for headers, body in seen}


@contextmanager
def receiving(fail_first: int = FAIL_FIRST) -> Iterator[tuple[str, Receiver]]:
    """A webhook receiver that answers its first `fail_first` requests with 503."""
    receiver = Receiver(fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with receiver.lock:
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                refused = len(receiver.requests) <= receiver.fail_first
            self.send_response(503 if refused else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", receiver
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def erfa(env: dict[str, str], *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    process = subprocess.Popen(
        [ERFA, "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {what}")


def test_every_change_arrives_once_signed_across_failures_and_a_crash(
    fresh_database_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "ERFA_DATABASE_URL": fresh_database_url,
        "ERFA_DATA_DIR": str(tmp_path / "data"),
        "ERFA_WEBHOOK_ALLOW_PRIVATE": "1",
        "ERFA_MIN_POST_INTERVAL_S": "0",
    }
    with receiving() as (url, receiver), ExitStack() as stack:
        with erfa(env, "--demo") as (base, process):
            logins = (tmp_path / "data" / "demo-logins.txt").read_text().splitlines()
            email, password = next(
                line.split()[:2] for line in logins if line.endswith("coordinator")
            )
            token = httpx.post(
                f"{base}/api/v1/auth/token", data={"username": email, "password": password}
            ).json()["access_token"]
            api = stack.enter_context(
                httpx.Client(
                    base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"}
                )
            )
            made = api.post(
                "/groups",
                json={"slug": "webhook-prov", "name": "Webhook-prov", "focus_area": "other"},
            )
            assert made.status_code == 201, made.text
            hook = api.post(
                "/groups/webhook-prov/webhooks",
                json={
                    "url": url,
                    "events": [
                        "post.created",
                        "post.updated",
                        "post.deleted",
                        "post.hidden",
                        "thread.created",
                    ],
                },
            )
            assert hook.status_code == 201, hook.text
            secret = hook.json()["secret"]

            thread = api.post(
                "/groups/webhook-prov/threads", json={"title": "Feriejobb", "body": "Start"}
            ).json()
            replies = [
                api.post(f"/threads/{thread['id']}/posts", json={"body": f"Svar {n}"}).json()
                for n in range(4)
            ]
            assert api.patch(f"/posts/{replies[0]['id']}", json={"body": "Rättat"}).is_success
            wait_for(lambda: len(receiver.requests) > FAIL_FIRST, 30, "the first deliveries")
            process.send_signal(signal.SIGKILL)  # a crash: no shutdown, leases left behind
            process.wait(timeout=10)
            # Changes while erfa is down are not possible through it; they come next.

        with erfa(env) as (base, _):
            api = stack.enter_context(
                httpx.Client(
                    base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"}
                )
            )
            assert api.delete(f"/posts/{replies[1]['id']}").status_code == 204
            hidden = api.post(f"/posts/{replies[2]['id']}/hide", json={"reason": "Fel tråd"})
            assert hidden.status_code == 200, hidden.text
            second = api.post(
                "/groups/webhook-prov/threads", json={"title": "Sommar", "body": "Fler"}
            ).json()
            assert api.patch(f"/posts/{replies[3]['id']}", json={"body": "Ändrat igen"}).is_success

            engine = sa.create_engine(_sqlalchemy(fresh_database_url))
            expected_threads = {thread["id"], second["id"]}

            def caught_up() -> bool:
                """Every delivery made was accepted, and the mirror is the database."""
                with engine.connect() as connection:
                    ids = set(connection.execute(QUERY_IDS).scalars())
                    waiting = connection.execute(QUERY_WAITING).scalar_one()
                    truth = database_state(connection)
                accepted = receiver.accepted()
                mirror, opened = mirror_of(accepted)
                return (
                    waiting == 0
                    and ids == set(accepted)
                    and mirror == truth
                    and opened == expected_threads
                )

            wait_for(caught_up, 90, "the mirror to equal the database")
            with engine.connect() as connection:
                attempts = connection.execute(QUERY_ATTEMPTS).scalar_one()
            engine.dispose()

    verifier = standardwebhooks.Webhook(secret)
    for headers, body in receiver.requests:
        verifier.verify(body, headers)  # raises on a bad signature
    accepted = receiver.accepted()
    bodies: dict[str, set[bytes]] = {}
    for headers, body in receiver.requests:
        bodies.setdefault(headers["webhook-id"], set()).add(body)
    assert all(len(found) == 1 for found in bodies.values())  # a retry sends the same message
    assert attempts >= len(accepted) + FAIL_FIRST  # the refused attempts were retried
    types = sorted(json.loads(body)["type"] for body in accepted.values())
    assert types.count("post.deleted") == 1
    assert types.count("post.hidden") == 1
    assert types.count("thread.created") == 2


QUERY_IDS = sa.text("SELECT message_id FROM webhook_delivery")
QUERY_WAITING = sa.text("SELECT count(*) FROM webhook_delivery WHERE status <> 'delivered'")
QUERY_ATTEMPTS = sa.text("SELECT sum(attempts) FROM webhook_delivery")
QUERY_POSTS = sa.text(
    "SELECT post.id, post.body, post.version, post.deleted_at IS NOT NULL,"
    " post.hidden_at IS NOT NULL FROM post JOIN thread ON thread.id = post.thread_id"
    ' JOIN "group" ON "group".id = thread.group_id WHERE "group".slug = \'webhook-prov\''
)
FIELDS = ("body", "version", "deleted", "hidden")


def database_state(connection: sa.Connection) -> dict[int, dict[str, Any]]:
    return {
        post_id: {
            "body": None if deleted or hidden else body,
            "version": version,
            "deleted": bool(deleted),
            "hidden": bool(hidden),
        }
        for post_id, body, version, deleted, hidden in connection.execute(QUERY_POSTS)
    }


def mirror_of(accepted: dict[str, bytes]) -> tuple[dict[int, dict[str, Any]], set[int]]:
    """What a receiver that keeps the newest version of each post holds, and the
    discussions it was told were opened."""
    mirror: dict[int, dict[str, Any]] = {}
    opened: set[int] = set()
    for body in accepted.values():
        message = json.loads(body)
        data = message["data"]
        if message["type"] == "thread.created":
            opened.add(data["id"])
            continue
        if data["id"] not in mirror or data["version"] >= mirror[data["id"]]["version"]:
            mirror[data["id"]] = {key: data[key] for key in FIELDS}
    return mirror, opened


def _sqlalchemy(url: str) -> str:
    return (
        url.replace("postgresql://", "postgresql+psycopg://", 1)
        if url.startswith("postgresql://")
        else url
    )
