"""Live replies in Chromium: a reply by one official appears on another's open page."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.flows import group_with, official, sign_in, start_discussion, unique

# Set on `window` before the reply: still there afterwards means no page load.
MARKER = "window.erfaStayedOnPage"


def test_a_reply_by_b_appears_on_a_s_open_page_within_a_second_without_reload(
    page: Page, other_page: Page, live_server: LiveServer
) -> None:
    anna = official(live_server, "Anna Live")
    bo = official(live_server, "Bo Live")
    slug = group_with(live_server, anna, bo)
    sign_in(page, anna)
    thread_id = start_discussion(page, slug, f"Sommarjobb {unique()}", "Hur många platser har ni?")
    with page.expect_response(lambda response: "/live?after=1" in response.url) as opened:
        page.reload()  # the page's stream, opened by the script
    assert opened.value.status == 200
    page.evaluate(f"{MARKER} = true")

    sign_in(other_page, bo)
    other_page.goto(f"/t/{thread_id}")
    other_page.get_by_label("Ditt svar (Markdown)").fill("Vi har **40** platser i år.")
    other_page.get_by_role("button", name="Skicka svar").click()
    expect(other_page.get_by_text("Vi har 40 platser i år.")).to_be_visible()
    answered = time.monotonic()

    posts = page.get_by_role("region", name="Inlägg").get_by_role("article")
    expect(posts.last).to_contain_text("Vi har 40 platser i år.", timeout=1_000)
    assert time.monotonic() - answered < 1.5  # the page's own 1 s, and Playwright's polling
    expect(posts).to_have_count(2)
    expect(posts.last.locator("strong", has_text="40")).to_be_visible()
    expect(page.locator("#live-replies")).to_contain_text("Bo Live")
    assert page.evaluate(MARKER) is True


def test_a_discussion_started_by_b_shows_as_new_on_a_s_open_group_page_within_a_second(
    page: Page, other_page: Page, live_server: LiveServer
) -> None:
    anna = official(live_server, "Anna Grupp")
    bo = official(live_server, "Bo Grupp")
    slug = group_with(live_server, anna, bo)
    sign_in(page, anna)
    with page.expect_response(lambda response: f"/g/{slug}/live?since=" in response.url) as opened:
        page.goto(f"/g/{slug}")  # the page's stream, opened by the script
    assert opened.value.status == 200
    page.evaluate(f"{MARKER} = true")
    notice = page.get_by_role("status").filter(has=page.locator("[data-count]"))
    expect(notice).to_have_count(0)

    sign_in(other_page, bo)
    title = f"Vinterväghållning {unique()}"
    start_discussion(other_page, slug, title, "Hur plogar ni cykelbanorna?")
    started = time.monotonic()

    link = page.locator("#live-discussions").get_by_role("link")
    expect(link).to_have_text(re.compile(r"^1 (ny diskussion|new discussion)$"), timeout=1_000)
    assert time.monotonic() - started < 1.5  # the page's own 1 s, and Playwright's polling
    assert page.evaluate(MARKER) is True
    expect(page.get_by_role("link", name=title)).to_have_count(0)  # not yet: it is a notice
    link.click()
    expect(page.get_by_role("link", name=title)).to_be_visible()
