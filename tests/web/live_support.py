"""What the live-update tests share: erfa served by uvicorn in a thread on a database of
its own, officials and a discussion committed in it, and an event-stream reader.

The streams need a real server: the test client and httpx's ASGI transport hand back a
response only once it has ended.
"""

from __future__ import annotations

import contextlib
import queue
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from domain.auth import start_session
from erfa import db
from erfa.app import create_app
from erfa.live import LiveHub
from erfa.settings import Settings
from models import MemberRole, Thread, User, Visibility
from tests.factories import make_group, make_membership, make_post, make_thread, make_user
from tests.ports import free_port
from web import csrf
from web.deps import SESSION_COOKIE

STREAM = {"Accept": "text/event-stream"}


@dataclass
class Served:
    app: FastAPI
    base_url: str
    settings: Settings
    writer: sessionmaker[Session]
    """Sessions that write as another process would: nothing tells this server's hub."""

    @property
    def hub(self) -> LiveHub:
        hub: LiveHub = self.app.state.live
        return hub


@contextmanager
def serve(database_url: str, data_dir: Path, *, redis_url: str | None = None) -> Iterator[Served]:
    """erfa on a free loopback port, migrated, until the block ends."""
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=secrets.token_urlsafe(32),
        min_post_interval_s=0,
        redis_url=redis_url,
        _env_file=None,
    )
    app = create_app(settings)
    db.upgrade(app.state.engine)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield Served(
            app, f"http://127.0.0.1:{port}", settings, db.make_session_factory(app.state.engine)
        )
    finally:
        # Signals reach the main thread only: a server in a thread closes its hub itself.
        app.state.live.close_soon()
        server.should_exit = True
        thread.join(timeout=30)
        app.state.engine.dispose()


@dataclass(frozen=True)
class Official:
    user_id: int
    cookies: dict[str, str]
    headers: dict[str, str]


@dataclass(frozen=True)
class World:
    thread_id: int
    group_id: int
    reader: Official
    writer: Official


def official(served: Served, session: Session, user: User) -> Official:
    assert user.id is not None
    _, secret = start_session(session, user.id)
    cookie = secrets.token_urlsafe(16)
    return Official(
        user.id,
        {SESSION_COOKIE: secret, csrf.COOKIE: cookie},
        {csrf.HEADER: csrf.token_for(served.settings, cookie)},
    )


def world(served: Served) -> World:
    """A closed group with two members and a discussion of one post, committed."""
    with db.session_scope(served.writer) as session:
        group = make_group(session, visibility=Visibility.CLOSED)
        reader = make_user(session, name="Karin Lund")
        writer = make_user(session, name="Per Berg")
        make_membership(session, group=group, user=reader)
        make_membership(session, group=group, user=writer, role=MemberRole.LEAD)
        thread: Thread = make_thread(session, group=group, author=reader)
        make_post(session, thread=thread, author=reader, body="Hur gör ni med sommarjobben?")
        assert thread.id is not None
        assert group.id is not None
        found = World(
            thread.id,
            group.id,
            official(served, session, reader),
            official(served, session, writer),
        )
    return found


def reply(served: Served, who: Official, thread_id: int, body: str) -> None:
    response = httpx.post(
        f"{served.base_url}/t/{thread_id}/reply",
        data={"body": body},
        cookies=who.cookies,
        headers=who.headers,
    )
    assert response.status_code == 303, response.text[:500]


@dataclass(frozen=True)
class Event:
    kind: str
    id: str
    data: str


def parse_events(text: str) -> list[Event]:
    """The events of an event-stream body (comments and `retry` left out)."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, list[str]] = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value.removeprefix(" "))
        if "event" in fields or "data" in fields:
            kind = fields.get("event", ["message"])[-1]
            events.append(
                Event(kind, fields.get("id", [""])[-1], "\n".join(fields.get("data", [])))
            )
    return events


@dataclass
class Stream:
    """An open event stream read in a thread of its own: its events arrive in `events`."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    events: queue.Queue[Event | None] = field(default_factory=queue.Queue)
    """None once the stream has ended."""
    opened: threading.Event = field(default_factory=threading.Event)
    raw: list[str] = field(default_factory=list)
    socket: socket.socket | None = None

    def hang_up(self) -> None:
        """Close the connection as a browser leaving the page does (from any thread)."""
        if self.socket is not None:
            with contextlib.suppress(OSError):
                self.socket.shutdown(socket.SHUT_RDWR)

    def next(self, timeout: float) -> Event | None:
        return self.events.get(timeout=timeout)


@contextmanager
def stream(
    served: Served, who: Official, path: str, *, last_event_id: str | None = None
) -> Iterator[Stream]:
    """`path` opened as a browser's EventSource would; closed when the block ends."""
    found = Stream()
    headers = {**STREAM, **({"Last-Event-ID": last_event_id} if last_event_id else {})}
    client = httpx.Client(
        base_url=served.base_url, cookies=who.cookies, timeout=httpx.Timeout(10, read=60)
    )

    def read() -> None:
        try:
            with client.stream("GET", path, headers=headers) as response:
                found.status, found.headers = response.status_code, dict(response.headers)
                found.socket = response.extensions["network_stream"].get_extra_info("socket")
                found.opened.set()
                block: list[str] = []
                for line in response.iter_lines():
                    found.raw.append(line)
                    if line:
                        block.append(line)
                        continue
                    for event in parse_events("\n".join(block)):
                        found.events.put(event)
                    block = []
        except httpx.HTTPError:
            pass
        finally:
            found.opened.set()
            found.events.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert found.opened.wait(10), "the stream did not open"
    try:
        yield found
    finally:
        found.hang_up()
        reader.join(timeout=10)
        client.close()


def streams_open(served: Served, count: int, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while served.hub.streams != count:
        assert time.monotonic() < deadline, f"{served.hub.streams} streams open, not {count}"
        time.sleep(0.02)
