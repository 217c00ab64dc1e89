"""The header's count of unread notifications in Chromium: it changes without a reload
when a notification comes, and when another tab reads them."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.flows import group_with, official, sign_in, start_discussion, unique

# Set on `window` before the reply: still there afterwards means no page load.
MARKER = "window.erfaStayedOnPage"


def test_the_header_count_changes_without_reload(
    page: Page, other_page: Page, live_server: LiveServer
) -> None:
    anna = official(live_server, "Anna Notis")
    bo = official(live_server, "Bo Notis")
    slug = group_with(live_server, anna, bo)
    sign_in(page, anna)
    thread_id = start_discussion(page, slug, f"Feriejobb {unique()}", "Hur många platser?")
    with page.expect_response(lambda response: "/notifications/live" in response.url) as opened:
        page.goto("/")  # a page without a stream of its own: the header's, opened by the script
    assert opened.value.status == 200
    page.evaluate(f"{MARKER} = true")
    count = page.locator("#notifications-link .count")
    expect(count).to_have_count(0)

    sign_in(other_page, bo)
    other_page.goto(f"/t/{thread_id}")
    other_page.get_by_label("Ditt svar (Markdown)").fill("Vi har 40 platser i år.")
    other_page.get_by_role("button", name="Skicka svar").click()
    expect(other_page.get_by_text("Vi har 40 platser i år.")).to_be_visible()
    answered = time.monotonic()

    expect(count).to_have_text("1 olästa", timeout=1_000)
    assert time.monotonic() - answered < 1.5  # the page's own 1 s, and Playwright's polling
    expect(page.locator("#live-notifications")).to_have_text("Notiser: 1 olästa")
    assert page.evaluate(MARKER) is True

    other_tab = page.context.new_page()  # Anna's own, reading them all
    other_tab.goto("/notifications")
    with other_tab.expect_navigation():  # the form's answer, whole, before the tab closes
        other_tab.get_by_role("button", name="Markera alla som lästa").click()
    expect(count).to_have_count(0, timeout=1_000)
    expect(page.get_by_role("link", name="Notiser", exact=True)).to_be_visible()
    assert page.evaluate(MARKER) is True
    # Closing a tab in the middle of its form's navigation could wait for Chromium for ever:
    # the navigation has ended above, and the close itself is not waited for.
    other_tab.close(run_before_unload=True)
