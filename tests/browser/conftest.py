"""Real-browser fixtures: Playwright's sync API drives Debian's Chromium against `erfa serve`.

No browser is ever downloaded: the tests use `/usr/bin/chromium` (`.ci/run` installs it).
Without it they skip locally and fail under CI (`CI=true`). One `erfa serve` subprocess,
its SMTP server (aiosmtpd on loopback: its mail and the CLI's go through SMTP, as in
production) and one browser serve the whole session; each test gets a fresh browser
context (locale sv-SE) whose page is watched: console errors and any request off the live
server are recorded, and a test whose page reached beyond the live server fails at teardown.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, sync_playwright

from tests.conftest import throwaway_database
from tests.ports import free_port
from tests.smtp import Inbox, smtp_inbox

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No outside network here: the browser itself must not phone anywhere either.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ERFA = str(Path(sys.executable).with_name("erfa"))
STARTUP_SECONDS = 60
LOG_TAIL_LINES = 40
# Not network requests: content the page made itself.
LOCAL_SCHEMES = {"data", "blob", "about"}


def require_chromium() -> None:
    """Skips the test when Debian's Chromium is missing; under CI (`CI=true`) fails it instead."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return
    reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    database_url: str
    home: Path
    smtp_url: str
    inbox: Inbox
    """The mail erfa sent, as its SMTP server received it."""

    def erfa(self, *args: str, stdin: str = "") -> str:
        """Run an `erfa` command against this server's database and data folder."""
        result = subprocess.run(
            [ERFA, *args],
            cwd=self.home,
            env=self.env(),
            input=stdin,
            text=True,
            capture_output=True,
            check=True,
            timeout=60,
        )
        return result.stdout

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "ERFA_DATABASE_URL": self.database_url,
            "ERFA_DATA_DIR": str(self.home / "data"),
            "ERFA_BASE_URL": self.base_url,
            "ERFA_SMTP_URL": self.smtp_url,
            "ERFA_MIN_POST_INTERVAL_S": "0",  # a browser driven by a test posts quicker than anyone
        }

    def owns(self, url: str) -> bool:
        """Whether a request to `url` stays on this server (or makes no network request)."""
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            return True
        server = urlsplit(self.base_url)
        return (parts.scheme, parts.netloc) == (server.scheme, server.netloc)


@dataclass
class PageWatch:
    """What the test's page did that it must not: requests off the live server, console errors."""

    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def live_database_url(
    server_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database of the suite's backend for the live server, dropped afterwards.

    The session-scoped twin of `fresh_database_url` in tests/conftest.py.
    """
    with throwaway_database(server_url, tmp_path_factory.mktemp("live-db") / "live.db") as url:
        yield url


def _tail(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
    return "\n".join(lines) or "(the log is empty)"


@pytest.fixture(scope="session")
def live_smtp() -> Iterator[tuple[str, Inbox]]:
    with smtp_inbox() as server:
        yield server


@pytest.fixture(scope="session")
def live_server(
    live_database_url: str,
    live_smtp: tuple[str, Inbox],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """`erfa serve` on a free loopback port, on a fresh database, for the whole session."""
    home = tmp_path_factory.mktemp("live-server")
    log = home / "erfa-serve.log"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    smtp_url, inbox = live_smtp
    server = LiveServer(
        base_url=base_url,
        database_url=live_database_url,
        home=home,
        smtp_url=smtp_url,
        inbox=inbox,
    )
    env = server.env()
    with log.open("w") as output:
        # Run from the tmp dir so that a developer's .env in the checkout is not read.
        process = subprocess.Popen(
            [ERFA, "serve", "--port", str(port), "--host", "127.0.0.1"],
            cwd=home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    pytest.fail(
                        f"erfa serve exited with {process.returncode} before answering; "
                        f"the tail of {log}:\n{_tail(log)}",
                        pytrace=False,
                    )
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"erfa serve did not answer GET /healthz with 200 within "
                        f"{STARTUP_SECONDS} s; the tail of {log}:\n{_tail(log)}",
                        pytrace=False,
                    )
                time.sleep(0.1)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    require_chromium()
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page_watch() -> PageWatch:
    return PageWatch()


@contextmanager
def watched_page(browser: Browser, live_server: LiveServer, watch: PageWatch) -> Iterator[Page]:
    """A page in a fresh Swedish browser context whose requests and console `watch` records;
    relative URLs go to the live server."""
    context = browser.new_context(locale="sv-SE", base_url=live_server.base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()

    def on_request(request: Request) -> None:
        if not live_server.owns(request.url):
            watch.foreign_requests.append(f"{request.method} {request.url}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watch.console_errors.append(f"{message.text} ({message.location['url']})")

    def on_page_error(error: Exception) -> None:
        watch.console_errors.append(f"uncaught: {error}")

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, page_watch: PageWatch) -> Iterator[Page]:
    """An official's browser page."""
    with watched_page(browser, live_server, page_watch) as page:
        yield page
    assert not page_watch.foreign_requests, (
        f"the page made requests beyond the live server: {page_watch.foreign_requests}"
    )


@pytest.fixture
def other_page(browser: Browser, live_server: LiveServer, page_watch: PageWatch) -> Iterator[Page]:
    """A second official's page: a browser context of its own, watched like `page`."""
    with watched_page(browser, live_server, page_watch) as page:
        yield page
