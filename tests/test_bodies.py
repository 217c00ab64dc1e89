"""Bodies are refused before they are read: by size, by pace, and uploads before the caller
is known. Each test counts how much of a body the app actually took in."""

from __future__ import annotations

import asyncio
import re
import select
import socket
import threading
import time
import typing
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.datastructures import UploadFile

from api.auth import issue_access_token
from domain.auth import start_session
from erfa import bodies
from erfa.settings import Settings
from models import User
from tests.factories import make_group, make_membership, make_user
from tests.routes import Route, api_routes

Client = Callable[[User], TestClient]
MiB = 1024 * 1024
BOUNDARY = "erfa-test-boundary"


class Counting:
    """The app, counting the body bytes it pulls through `receive`."""

    def __init__(self, app: FastAPI) -> None:
        self.app, self.read = app, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counted() -> Any:
            message = await receive()
            self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


@dataclass
class Served:
    address: tuple[str, int]
    counting: Counting

    def post(self, path: str, headers: dict[str, str], total: int, head: bytes = b"") -> int:
        """POST `head` and then `total` bytes (chunked unless a length is given) until the
        server answers; its status. `counting.read` tells how much of it the app read."""
        self.counting.read = 0
        lines = [f"POST {path} HTTP/1.1", "Host: erfa.test", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        chunked = "Content-Length" not in headers
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        with socket.create_connection(self.address, timeout=10) as sock:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            piece, sent = b"x" * 65536, 0
            data = head
            while sent < total + len(head) and not select.select([sock], [], [], 0)[0]:
                data = data or piece
                frame = f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data
                try:
                    sock.sendall(frame)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent, data = sent + len(data), b""
            answer = sock.recv(64)
        return int(answer.split(b" ")[1])


@pytest.fixture
def served(app: FastAPI) -> Iterator[Served]:
    """The app behind a real uvicorn, which hands a body on only as the app reads it."""
    counting = Counting(app)
    config = uvicorn.Config(counting, host="127.0.0.1", port=0, lifespan="off", log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.01)
    sock = server.servers[0].sockets[0]
    yield Served(sock.getsockname()[:2], counting)
    server.should_exit = True
    thread.join(timeout=5)


def multipart_head(name: str = "file") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="stor.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    ).encode()


MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


@pytest.fixture
def resource_id(api_as: Client, session: Session) -> tuple[User, int]:
    group = make_group(session, slug="kroppar")
    author = make_user(session)
    make_membership(session, group=group, user=author)
    created = api_as(author).post(
        "/api/v1/groups/kroppar/resources",
        json={"title": "Mall", "summary": "En mall.", "kind": "tool", "municipality": "nora"},
    )
    return author, created.json()["id"]


def test_a_huge_anonymous_form_to_the_sign_in_page_is_refused_after_the_limit(
    served: Served,
) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert served.post("/login", form, 100 * MiB) == 413
    assert served.counting.read <= 1 * MiB + 512 * 1024  # the message that crossed it


def test_a_declared_length_over_the_limit_is_refused_without_reading(served: Served) -> None:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": str(3 * MiB),
    }
    assert served.post("/api/v1/auth/token", headers, 3 * MiB) == 413
    assert served.counting.read == 0


def test_the_413_is_problem_json_in_the_api_and_a_page_elsewhere(client: TestClient) -> None:
    big = "x" * (2 * MiB)
    api = client.post("/api/v1/auth/token", data={"username": big, "password": "x"})
    assert api.status_code == 413
    assert api.headers["content-type"] == "application/problem+json"
    page = client.post("/login", data={"email": big, "password": "x"})
    assert page.status_code == 413
    assert "för stort" in page.text


def test_json_over_the_body_limit_is_a_413_problem(
    api_as: Client, session: Session, resource_id: tuple[User, int]
) -> None:
    author, _ = resource_id
    answer = api_as(author).post(
        "/api/v1/groups/kroppar/threads", json={"title": "Stor", "body": "x" * (2 * MiB)}
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert "1 MiB" in answer.json()["detail"]


def test_an_anonymous_upload_is_refused_before_its_file_is_read(
    served: Served, resource_id: tuple[User, int]
) -> None:
    _, rid = resource_id
    path = f"/api/v1/resources/{rid}/attachments"
    assert served.post(path, MULTIPART, 15 * MiB, multipart_head()) == 401
    assert served.counting.read == 0


def test_an_upload_without_its_csrf_token_is_refused_before_its_file_is_read(
    served: Served, resource_id: tuple[User, int], session: Session
) -> None:
    author, rid = resource_id
    assert author.id is not None
    _, secret = start_session(session, author.id)
    session.flush()
    headers = {**MULTIPART, "Cookie": f"erfa_session={secret}; erfa_csrf=abc"}
    assert served.post(f"/r/{rid}/attachments", headers, 15 * MiB, multipart_head()) == 403
    assert served.counting.read == 0


def test_the_upload_form_carries_its_token_outside_the_body(
    browser_as: Client, resource_id: tuple[User, int], app: FastAPI
) -> None:
    author, rid = resource_id
    browser = browser_as(author)
    page = browser.get(f"/r/{rid}")
    action = re.search(r'action="([^"]*/attachments\?csrf_token=[^"]+)"', page.text)
    assert action is not None
    del browser.headers["X-CSRF-Token"]
    sent = browser.post(
        action.group(1).replace("&amp;", "&"),
        files={"file": ("plan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
    )
    assert sent.status_code == 303
    assert "notice=uploaded" in sent.headers["location"]


def test_an_upload_over_its_limit_stops_there(
    served: Served, resource_id: tuple[User, int], app: FastAPI, settings: Settings
) -> None:
    author, rid = resource_id
    assert author.id is not None
    limit = app.state.settings.max_upload_mb * MiB
    headers = {**MULTIPART, "Authorization": f"Bearer {issue_access_token(settings, author.id)}"}
    path = f"/api/v1/resources/{rid}/attachments"
    assert served.post(path, headers, limit + 8 * MiB, multipart_head()) == 413
    assert served.counting.read <= limit + bodies.MULTIPART_FRAMING + 512 * 1024


def test_an_upload_without_a_file_is_a_validation_problem(
    api_as: Client, resource_id: tuple[User, int]
) -> None:
    author, rid = resource_id
    answer = api_as(author).post(
        f"/api/v1/resources/{rid}/attachments", files={"other": ("a.pdf", b"%PDF-1.4\n")}
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "file"


def test_the_attachment_url_comes_from_the_base_url_not_the_host_header(
    api_as: Client, resource_id: tuple[User, int], app: FastAPI
) -> None:
    author, rid = resource_id
    answer = api_as(author).post(
        f"/api/v1/resources/{rid}/attachments",
        files={"file": ("plan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        headers={"Host": "angripare.example"},
    )
    assert answer.status_code == 201
    url = answer.json()["url"]
    assert url.startswith(app.state.settings.base_url.rstrip("/") + "/api/v1/attachments/")
    assert "angripare" not in url


def test_a_body_that_stalls_is_cut_off_with_408(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bodies, "IDLE_TIMEOUT_S", 0.2)
    messages: list[dict[str, Any]] = []
    first = {"type": "http.request", "body": b"email=a", "more_body": True}

    async def stalling() -> dict[str, Any]:
        if first.get("body") is not None:
            sent, first["body"] = dict(first), None
            return sent
        await asyncio.sleep(30)
        return {"type": "http.disconnect"}

    async def collect(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/login",
        "raw_path": b"/login",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded"), (b"host", b"t")],
        "client": ("127.0.0.1", 1),
        "server": ("t", 80),
        "state": {},
    }
    # A thread of its own: a browser test may have left this thread's event loop running.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(
            asyncio.run, asyncio.wait_for(app(scope, stalling, collect), timeout=10)
        ).result()
    assert messages[0]["type"] == "http.response.start"
    assert messages[0]["status"] == 408


def _takes_upload(route: Route) -> bool:
    hints = typing.get_type_hints(route.endpoint, include_extras=True)
    return any(
        typing.get_origin(hint) is typing.Annotated and typing.get_args(hint)[0] is UploadFile
        for hint in hints.values()
    )


def test_the_upload_limit_applies_to_exactly_the_routes_that_take_a_file(app: FastAPI) -> None:
    routes = api_routes(app)
    uploads = {r.path for r in routes if _takes_upload(r)}
    matched = {r.path for r in routes if bodies.UPLOAD_PATH.match(re.sub(r"{[^}]+}", "1", r.path))}
    assert uploads == matched
    assert uploads == {
        "/api/v1/resources/{resource_id}/attachments",
        "/r/{resource_id}/attachments",
        "/e/{event_id}/documents",
    }
