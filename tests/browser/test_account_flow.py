"""An invited official sets up their account, signs out and signs in again, in Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, PageWatch
from tests.browser.flows import mail_text

PASSWORD = "Bergslagen 2030 i Nora"


def invitation_path(live_server: LiveServer, email: str) -> str:
    """The link of the invitation mail that erfa sent to `email` through SMTP."""
    for message in live_server.inbox.messages:
        if message["To"] == email:
            found = re.search(r"/invitations/[\w-]+", mail_text(message))
            assert found is not None
            return found.group(0)
    raise AssertionError(f"no invitation to {email} arrived")


def test_invited_official_accepts_signs_out_and_signs_in_again(
    page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    email = "karin.lund@nora.se"
    live_server.erfa(
        "user", "create", "--email", email, "--name", "Karin", "--municipality", "nora"
    )
    link = invitation_path(live_server, email)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Välkommen till erfa")
    page.get_by_label("Namn").fill("Karin Lund")
    page.get_by_label("Titel").fill("Folkhälsostrateg")
    expect(page.get_by_text("Nora", exact=True)).to_be_visible()
    page.get_by_label("Lösenord (minst 12 tecken)").fill(PASSWORD)
    page.get_by_role("button", name="Skapa mitt konto").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Erfarenhetsgrupper")
    expect(page.get_by_role("navigation", name="Ditt konto")).to_contain_text("Karin Lund")

    page.get_by_role("button", name="Logga ut").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))

    page.get_by_label("E-post").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erfarenhetsgrupper")

    page.goto(link)  # an invitation works once, and says so afterwards
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbjudan är redan använd")
    expect(page.get_by_role("link", name="Logga in", exact=True)).to_be_visible()
    assert page_watch.foreign_requests == []


def test_a_wrong_password_is_refused_in_place(page: Page, live_server: LiveServer) -> None:
    page.goto("/login")
    page.get_by_label("E-post").fill("nobody@nora.se")
    page.get_by_label("Lösenord").fill("not the password at all")
    page.get_by_role("button", name="Logga in").click()

    expect(page.get_by_role("alert")).to_have_text("E-postadressen eller lösenordet stämmer inte.")
    expect(page).to_have_url(re.compile(r"/login"))


def test_the_api_reference_renders_from_erfas_own_assets(
    page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    live_server.erfa(
        "user",
        "create",
        "--email",
        "api@ludvika.se",
        "--name",
        "Api Läsare",
        "--municipality",
        "ludvika",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    page.goto("/api/docs")
    page.get_by_label("E-post").fill("api@ludvika.se")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()

    expect(page).to_have_url(re.compile(r"/api/docs$"))
    expect(page.get_by_role("heading", name=re.compile(r"^erfa"))).to_be_visible()
    expect(page.locator("#swagger")).to_contain_text("/api/v1/auth/token")
    assert page_watch.foreign_requests == []
    assert page_watch.console_errors == []
