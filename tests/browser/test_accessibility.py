"""WCAG 2.1 AA in a real browser: axe-core over the pages officials use every day.

axe-core comes from a registry package (axe-playwright-python ships axe.min.js) and is
evaluated in each page by the test; no page loads it by itself.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer

PASSWORD = "Tillgänglighet för alla 2026"
AXE = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text()
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Evaluated through the browser's debugging protocol: erfa's CSP (rightly) refuses any
# script the page did not load from erfa itself.
AXE_LOADER = "source => { (0, eval)(source); return true; }"


def serious_violations(page: Page) -> list[str]:
    page.evaluate(AXE_LOADER, AXE)
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture(scope="module")
def content(live_server: LiveServer) -> dict[str, str]:
    """A coordinator, a group with a discussion and a shared tool, made through the API."""
    email = "a11y@borlange.se"
    live_server.erfa(
        "user",
        "create",
        "--email",
        email,
        "--name",
        "Tove Tillgänglig",
        "--municipality",
        "borlange",
        "--admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    api = httpx.Client(base_url=live_server.base_url + "/api/v1")
    token = api.post("/auth/token", data={"username": email, "password": PASSWORD}).json()
    api.headers["Authorization"] = f"Bearer {token['access_token']}"
    api.post(
        "/groups",
        json={
            "slug": "a11y",
            "name": "Tillgänglighet",
            "focus_area": "diversity",
            "description": "Om tillgänglighet i kommunerna.",
        },
    )
    api.post("/groups/a11y/join")
    thread = api.post(
        "/groups/a11y/threads",
        json={
            "title": "Skärmläsare i kommunens e-tjänster",
            "body": "Hur testar ni **tillgänglighet**?\n\n- axe\n- skärmläsare",
        },
    ).json()
    api.post(f"/threads/{thread['id']}/posts", json={"body": "Vi använder NVDA."})
    resource = api.post(
        "/groups/a11y/resources",
        json={
            "title": "Checklista för e-tjänster",
            "summary": "Tjugo punkter.",
            "kind": "tool",
            "municipality": "borlange",
            "background": "Lagen kräver det.",
        },
    ).json()
    api.close()
    return {"email": email, "thread": str(thread["id"]), "resource": str(resource["id"])}


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(re.compile(r"/$"))


def sideways(page: Page, width: int) -> list[str]:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return [f"the page scrolls sideways by {overflow} px at {width} px"] if overflow > 0 else []


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("locale", ["sv", "en"])
def test_the_pages_before_signing_in_have_no_serious_violation(
    page: Page, locale: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for path in ("/login", "/password-reset", "/signup"):
        page.goto(path)
        if locale == "en" and page.locator("html").get_attribute("lang") != "en":
            page.get_by_role("button", name="English").click()  # the switch, remembered
            expect(page.locator("html")).to_have_attribute("lang", "en")
        found[path] = serious_violations(page) + sideways(page, width)
    assert found == {path: [] for path in found}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("locale", ["sv", "en"])
def test_the_pages_of_daily_work_have_no_serious_violation(
    page: Page, content: dict[str, str], locale: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, content["email"])
    set_language(page, locale)
    found = {}
    for path in (
        "/",
        "/g/a11y",
        f"/t/{content['thread']}",
        "/library",
        f"/r/{content['resource']}",
        "/search?q=tillgänglighet",
        "/settings",
        "/notifications",
        "/g/a11y/mentions?q=tove",
        "/k/borlange",
        "/events",
        "/themes",
    ):
        page.goto(path)
        found[path] = serious_violations(page) + sideways(page, width)
    set_language(page, "sv")
    assert found == {path: [] for path in found}


def set_language(page: Page, locale: str) -> None:
    """The official's own language setting (it outranks the browser's)."""
    page.goto("/settings")
    if page.locator("html").get_attribute("lang") == locale:
        return
    page.get_by_label("English" if locale == "en" else "Svenska", exact=True).check()
    page.locator("form").filter(has=page.locator('input[name="locale"]')).locator(
        "button[type=submit]"
    ).click()
    expect(page.locator("html")).to_have_attribute("lang", locale)


@pytest.fixture(scope="module")
def moderation(live_server: LiveServer, content: dict[str, str]) -> dict[str, str]:
    """A reader's flag on the coordinator's post, so that the queue has an item."""
    email = f"a11y-{content['thread']}@nora.se"
    live_server.erfa(
        "user",
        "create",
        "--email",
        email,
        "--name",
        "Rut Läsare",
        "--municipality",
        "nora",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    api = httpx.Client(base_url=live_server.base_url + "/api/v1")
    token = api.post("/auth/token", data={"username": email, "password": PASSWORD}).json()
    api.headers["Authorization"] = f"Bearer {token['access_token']}"
    posts = api.get(f"/threads/{content['thread']}/posts").json()["items"]
    flagged = api.post(f"/posts/{posts[0]['id']}/flags", json={"reason": "Kontrollera länken"})
    assert flagged.status_code == 201, flagged.text
    reader_id = api.get("/me").json()["id"]
    api.close()
    return {"reader": email, "reader_id": str(reader_id)}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("locale", ["sv", "en"])
def test_the_moderation_and_administration_pages_have_no_serious_violation(
    page: Page, content: dict[str, str], moderation: dict[str, str], locale: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, content["email"])
    set_language(page, locale)
    found = {}
    for path in (
        "/g/a11y/flags",
        "/g/a11y/flags?status=resolved",
        "/g/a11y/members",
        "/g/a11y/settings",
        "/admin/groups/new",
        f"/t/{content['thread']}",
        "/admin/audit",
        "/admin/overview",
        "/admin/users",
        "/admin/signups",
        "/admin/municipalities",
        "/admin/municipalities/borlange",
        f"/admin/users/{moderation['reader_id']}/erase",
        "/admin/archive",
        "/k/borlange",
        "/themes",
        "/notifications",
    ):
        page.goto(path)
        if path.startswith("/t/"):
            page.locator("details.moderation > summary").click()
        found[path] = serious_violations(page) + sideways(page, width)
    set_language(page, "sv")
    assert found == {path: [] for path in found}
