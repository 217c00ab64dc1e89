"""Screenshots of demo pages, in Swedish and English, at desktop and mobile (390 px) widths.

    uv run python docs/screenshots.py

Starts `erfa serve --demo` on a throw-away data folder, signs in as demo officials in
Debian's Chromium and writes docs/screenshots/{name}-{locale}-{desktop,mobile}.png for each
entry of `SHOTS`. A new page gets its screenshots from one more entry there.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Browser, sync_playwright

from domain import demo_data

OUT = Path(__file__).resolve().parent / "screenshots"
ERFA = str(Path(sys.executable).with_name("erfa"))
SIZES = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 390, "height": 844}}


@dataclass(frozen=True)
class Shot:
    name: str
    """The files' name: `{name}-{locale}-{size}.png`."""
    path: str
    """Where to go once signed in; `{group}` is the demo group the member officials share."""
    role: str
    """Whose eyes: a key of `logins_by_role` ("member", "coordinator")."""
    follow: str | None = None
    """A link to follow from `path` first (a CSS selector; the first match is clicked)."""
    full_page: bool = False


SHOTS = [
    Shot("start", "/", "member", full_page=True),
    Shot("group", "/g/{group}", "member"),
    Shot(
        "thread",
        "/g/{group}",
        "member",
        follow="section[aria-labelledby=threads-heading] ul.threads a",
        full_page=True,
    ),
    Shot("search", "/search?q=unga", "member"),
    Shot("settings", "/settings", "member", full_page=True),
    Shot("municipality", "/k/hedemora", "member", full_page=True),
    Shot("municipality-coordinator", "/k/hedemora", "coordinator", full_page=True),
    Shot("events", "/events", "member"),
    Shot("conference", "/events", "member", follow='a:text-is("Bergslagen 2030")', full_page=True),
    Shot("themes", "/themes", "member", full_page=True),
    Shot("research", "/library?kind=research", "member", follow="main li a", full_page=True),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def shared_group() -> str:
    """The first group of the English-speaking demo official, which Swedish speakers share."""
    english = next(o for o in demo_data.OFFICIALS if o["locale"] == "en")
    return str(next(iter(english["groups"])))


def logins_by_role() -> dict[str, dict[str, str]]:
    """For each role, the demo official (email) who shows it in each language."""
    group = shared_group()
    english = next(o for o in demo_data.OFFICIALS if o["locale"] == "en")
    swedish = next(
        o
        for o in demo_data.OFFICIALS
        if o["locale"] == "sv" and group in o["groups"] and not o["coordinator"]
    )
    coordinator = next(o for o in demo_data.OFFICIALS if o["coordinator"])
    return {
        "member": {"sv": swedish["email"], "en": english["email"]},
        "coordinator": {coordinator["locale"]: coordinator["email"]},
    }


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="erfa-shots-") as tmp:
        port, data = free_port(), Path(tmp) / "data"
        env = {**os.environ, "ERFA_DATA_DIR": str(data)}
        env.pop("ERFA_DATABASE_URL", None)
        server = subprocess.Popen(  # noqa: S603 - our own console script
            [ERFA, "serve", "--demo", "--port", str(port)],
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
            passwords = {
                line.split()[0]: line.split()[1]
                for line in (data / "demo-logins.txt").read_text().splitlines()
            }
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                roles = logins_by_role()
                for shot in SHOTS:
                    for locale, email in sorted(roles[shot.role].items()):
                        take(browser, base, shot, locale, email, passwords[email])
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)


def take(browser: Browser, base: str, shot: Shot, locale: str, email: str, password: str) -> None:
    """The shot at each size, signed in as `email` (whose own language is `locale`)."""
    for size_name, size in SIZES.items():
        context = browser.new_context(base_url=base, viewport=size)  # type: ignore[arg-type]
        page = context.new_page()
        page.goto("/login")
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("main button[type=submit]")  # not the language switch of the header
        page.wait_for_url(f"{base}/")
        page.goto(shot.path.format(group=shared_group()))
        if shot.follow:
            page.locator(shot.follow).first.click()
        page.wait_for_load_state("networkidle")
        path = OUT / f"{shot.name}-{locale}-{size_name}.png"
        page.screenshot(path=str(path), full_page=shot.full_page)
        context.close()


if __name__ == "__main__":
    main()
