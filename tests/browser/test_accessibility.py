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
from playwright.sync_api import Page

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


def test_the_sign_in_page_has_no_serious_violation(page: Page) -> None:
    page.goto("/login")
    assert serious_violations(page) == []


def test_the_pages_of_daily_work_have_no_serious_violation(
    page: Page, content: dict[str, str]
) -> None:
    sign_in(page, content["email"])
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
    ):
        page.goto(path)
        found[path] = serious_violations(page)
    assert found == {path: [] for path in found}
