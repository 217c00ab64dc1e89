"""Screenshots of a demo discussion, in Swedish and English, at desktop and mobile widths.

    uv run python docs/screenshots.py

Starts `erfa serve --demo` on a throw-away data folder, signs in as a Swedish-speaking
and an English-speaking demo official in Debian's Chromium, and writes
docs/screenshots/thread-{sv,en}-{desktop,mobile}.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from domain import demo_data

OUT = Path(__file__).resolve().parent / "screenshots"
ERFA = str(Path(sys.executable).with_name("erfa"))
SIZES = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 390, "height": 844}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
            logins = {
                line.split()[0]: line.split()[1]
                for line in (data / "demo-logins.txt").read_text().splitlines()
            }
            # The Swedish- and the English-speaking member of one demo group.
            english = next(o for o in demo_data.OFFICIALS if o["locale"] == "en")
            slug = next(iter(english["groups"]))
            swedish = next(
                o for o in demo_data.OFFICIALS if o["locale"] == "sv" and slug in o["groups"]
            )
            by_locale = {"sv": swedish["email"], "en": english["email"]}
            shoot(base, slug, logins, by_locale)
        finally:
            server.terminate()
            server.wait(timeout=20)


def shoot(base: str, slug: str, logins: dict[str, str], by_locale: dict[str, str]) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for locale, email in sorted(by_locale.items()):
            for size_name, size in SIZES.items():
                context = browser.new_context(base_url=base, viewport=size)  # type: ignore[arg-type]
                page = context.new_page()
                page.goto("/login")
                page.fill("#email", email)
                page.fill("#password", logins[email])
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/")
                page.goto(f"/g/{slug}")
                page.locator("ul.threads a").first.click()
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"thread-{locale}-{size_name}.png"), full_page=False)
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
