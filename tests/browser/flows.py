"""Steps the browser flows share: officials and groups made through the CLI, signing in."""

from __future__ import annotations

import re
import time
import uuid
from email.message import EmailMessage

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import LiveServer

PASSWORD = "Erfarenheter delas i Bergslagen 2026"


def unique() -> str:
    return uuid.uuid4().hex[:8]


def official(live_server: LiveServer, name: str, municipality: str = "ludvika") -> str:
    """A new active official with PASSWORD; returns the email."""
    email = f"forum-{unique()}@{municipality}.se"
    live_server.erfa(
        "user",
        "create",
        "--email",
        email,
        "--name",
        name,
        "--municipality",
        municipality,
        "--title",
        "Utvecklingsledare",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    return email


def group_with(live_server: LiveServer, *members: str, visibility: str = "closed") -> str:
    """A new group with `members` in it; returns the slug (its name is "Unga i <slug>")."""
    slug = f"forum-{unique()}"
    live_server.erfa(
        "group",
        "create",
        "--slug",
        slug,
        "--name",
        f"Unga i {slug}",
        "--focus",
        "youth",
        "--visibility",
        visibility,
    )
    for email in members:
        live_server.erfa("group", "add-member", slug, email)
    return slug


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erfarenhetsgrupper")


def disclosure(page: Page, summary: str) -> Locator:
    """The opened <details> of the group page whose summary is `summary`."""
    page.get_by_text(summary, exact=True).click()
    return page.get_by_role("group").filter(has=page.get_by_text(summary, exact=True))


def start_discussion(page: Page, slug: str, title: str, body: str) -> int:
    """Start a discussion from the group page; returns the thread id."""
    page.goto(f"/g/{slug}")
    form = disclosure(page, "Ny diskussion")
    form.get_by_label("Titel").fill(title)
    form.get_by_label("Text (Markdown)").fill(body)
    form.get_by_role("button", name="Starta diskussionen").click()
    expect(page).to_have_url(re.compile(r"/t/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return int(page.url.rsplit("/", 1)[1])


def mail_text(message: EmailMessage) -> str:
    """The plain-text part of a mail erfa sent."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def wait_for_mail(
    live_server: LiveServer, to: str, subject: str, timeout_s: float = 15
) -> EmailMessage:
    """The first mail to `to` whose subject starts with `subject`, waiting for it to arrive
    (the live server's job runner sends it within a second or two)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for message in live_server.inbox.messages:
            if message["To"] == to and str(message["Subject"]).startswith(subject):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no mail {subject!r} to {to} within {timeout_s} s")
