"""Search in Chromium: each discussion found once, labelled with what it is, where and whose."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from erfa import i18n
from tests.browser.conftest import LiveServer, PageWatch
from tests.browser.flows import group_with, official, sign_in, start_discussion, unique


def test_a_search_shows_each_discussion_once_with_its_type_group_author_and_municipality(
    page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    email = official(live_server, "Maja Berg", municipality="ludvika")
    slug = group_with(live_server, email)
    tag = unique()
    sign_in(page, email)
    start_discussion(
        page, slug, f"Utlåning {tag}", f"Vår **fritidsbank** lånar ut skridskor {tag}."
    )
    page.get_by_label("Ditt svar (Markdown)").fill(f"Vi har också en fritidsbank ({tag}).")
    page.get_by_role("button", name="Skicka svar").click()
    expect(page.get_by_role("article").filter(has_text="Vi har också")).to_be_visible()
    start_discussion(page, slug, f"Fritidsbanker {tag}", "Finns det fler i länet?")

    search_box = page.get_by_role("search").get_by_label("Sök i erfa")
    search_box.fill(f"fritidsbanker {tag}")
    search_box.press("Enter")

    results = page.get_by_role("region", name="Resultat")
    expect(results).to_contain_text("2 träffar")
    by_post = results.get_by_role("listitem").filter(has_text=f"Utlåning {tag}")
    expect(by_post).to_have_count(1)
    expect(by_post.get_by_role("link", name=f"Utlåning {tag}")).to_have_attribute(
        "href", re.compile(r"^/p/\d+$")
    )
    expect(by_post.locator(".badge")).to_have_text(i18n.translations("sv").gettext("Post"))
    expect(by_post.locator(".meta")).to_contain_text(f"Unga i {slug}")
    expect(by_post.get_by_role("link", name="Maja Berg")).to_be_visible()
    expect(by_post.get_by_role("link", name="Ludvika")).to_be_visible()
    expect(by_post.locator(".snippet mark").first).to_have_text("fritidsbank")
    expect(by_post.locator(".snippet")).not_to_contain_text("**")

    by_title = results.get_by_role("listitem").filter(has_text=f"Fritidsbanker {tag}")
    expect(by_title.locator(".badge")).to_have_text("Diskussion")
    expect(by_title.locator(".snippet")).to_have_text("Finns det fler i länet?")
    assert page_watch.console_errors == []
