"""`erfa serve --demo` for real: a subprocess, a port, and HTTP over loopback."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any

import httpx

from tests.factories import DEMO_GROUP_SLUGS
from tests.ports import free_port
from tests.smtp import Inbox

ERFA = str(Path(sys.executable).with_name("erfa"))
LOGIN_LINE = re.compile(r"^\S+@\S+ \S{12,} (coordinator|lead|member)$")


@contextmanager
def serving(env: dict[str, str], *args: str) -> Iterator[tuple[str, list[str]]]:
    """Runs `erfa serve` until the block ends; the list then holds what it printed."""
    port = free_port()
    process = subprocess.Popen(
        [ERFA, "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    printed: list[str] = []
    try:
        wait_until_serving(base, process)
        yield base, printed
    finally:
        process.terminate()
        process.wait(timeout=20)
        assert process.stdout is not None
        printed += process.stdout.read().splitlines()
        process.stdout.close()


def wait_until_serving(base: str, process: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "erfa serve exited early"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("erfa serve did not answer within 60 s")


def signed_in_start_page(base: str, email: str, password: str) -> httpx.Response:
    """Sign in through the form, as a browser would, and open the start page."""
    with httpx.Client(base_url=base) as browser:
        form = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        data = {"email": email, "password": password, "csrf_token": token.group(1)}
        signed_in = browser.post("/login", data=data)
        assert signed_in.status_code == 303, signed_in.text
        return browser.get("/")


def api_groups(base: str, email: str, password: str) -> list[dict[str, object]]:
    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": email, "password": password})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    items: list[dict[str, object]] = httpx.get(f"{base}/api/v1/groups", headers=headers).json()[
        "items"
    ]
    return items


def test_serve_demo_seeds_once_prints_logins_and_keeps_data(
    fresh_database_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "ERFA_DATABASE_URL": fresh_database_url,
        "ERFA_DATA_DIR": str(tmp_path / "data"),
    }

    logins_file = tmp_path / "data" / "demo-logins.txt"
    with serving(env, "--demo") as (base, printed):
        email, password, _ = logins_file.read_text().splitlines()[0].split()
        home = signed_in_start_page(base, email, password)
        groups = api_groups(base, email, password)
    first = [line for line in printed if LOGIN_LINE.match(line)]

    assert home.status_code == 200
    assert "Attraktionskraft" in home.text
    assert [g["slug"] for g in groups] == DEMO_GROUP_SLUGS
    assert len(first) >= 10
    assert (tmp_path / "data" / "demo-logins.txt").stat().st_mode & 0o777 == 0o600

    with serving(env, "--demo") as (base, printed):
        again = api_groups(base, email, password)
        idle_closed = idle_connection_closed(base)
    second = [line for line in printed if LOGIN_LINE.match(line)]
    assert idle_closed, "an idle keep-alive connection stayed open"

    assert again == groups  # no re-seeding: same groups, same counts
    assert second == first  # the logins of this installation, shown again


def _connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=15)


def idle_connection_closed(base: str) -> bool:
    """Whether a keep-alive connection left idle after an answer is closed within 10 s."""
    with _connect(base) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        sock.recv(4096)
        started = time.monotonic()
        while time.monotonic() - started < 10:
            if sock.recv(4096) == b"":
                return True
    return False


def test_without_a_base_url_mailed_links_point_where_erfa_serves(
    fresh_database_url: str, tmp_path: Path, smtp_server: tuple[str, Inbox]
) -> None:
    """`erfa serve --port P` with no ERFA_BASE_URL mails links to port P, not 8000."""
    smtp_url, inbox = smtp_server
    env = {
        **{k: v for k, v in os.environ.items() if k != "ERFA_BASE_URL"},
        "ERFA_DATABASE_URL": fresh_database_url,
        "ERFA_DATA_DIR": str(tmp_path / "data"),
        "ERFA_SMTP_URL": smtp_url,
    }
    with serving(env, "--demo") as (base, _):
        email = (tmp_path / "data" / "demo-logins.txt").read_text().split()[0]
        with httpx.Client(base_url=base) as browser:
            form = browser.get("/password-reset")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token is not None
            sent = browser.post(
                "/password-reset", data={"email": email, "csrf_token": token.group(1)}
            )
            assert sent.status_code == 200
        deadline = time.monotonic() + 30
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.1)
        assert inbox.messages, "no mail arrived"
        text = mail_text(inbox.messages[0])
        link = re.search(r"https?://\S+/password-reset/\S+", text)
        assert link is not None, text
        assert link.group(0).startswith(f"{base}/password-reset/")
        assert httpx.get(link.group(0)).status_code == 200


def mail_text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("the mail has no text part")
