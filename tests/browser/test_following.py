"""Mentions by keyboard, the notification count in the header, and unread markers, in Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from domain.handles import handle_from_name
from tests.browser.conftest import LiveServer, PageWatch
from tests.browser.flows import group_with, official, sign_in, start_discussion, unique


def test_a_mention_picked_by_keyboard_reaches_the_official_who_reads_it_from_the_header(
    page: Page, other_page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    tag = unique()
    writer = official(live_server, "Sara Lind")
    reader = official(live_server, f"Birgitta Holm {tag}", municipality="nora")
    handle = handle_from_name(f"Birgitta Holm {tag}")  # a unique name: no -2 is needed
    slug = group_with(live_server, writer, reader)
    title = f"Feriepraktik {tag}"

    sign_in(page, writer)
    thread_id = start_discussion(page, slug, title, "Hur ordnar ni handledningen?")
    reply = page.get_by_role("combobox", name="Ditt svar (Markdown)")
    reply.click()
    page.keyboard.type("Fråga till @birg")
    suggestion = page.get_by_role("option", name=re.compile(f"^Birgitta Holm {tag}, "))
    expect(suggestion).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # Enter picks the suggestion: it must not send the reply
    expect(page.get_by_role("article")).to_have_count(1)
    expect(reply).to_be_focused()
    expect(reply).to_have_value(f"Fråga till @{handle} ")
    page.keyboard.type("– hur gör ni i Nora?")
    page.get_by_role("button", name="Skicka svar").click()
    expect(page.get_by_role("article").filter(has_text="hur gör ni i Nora?")).to_be_visible()

    sign_in(other_page, reader)
    header = other_page.get_by_role("navigation", name="Ditt konto")
    notifications = header.get_by_role("link", name=re.compile(r"^Notiser 1 olästa$"))
    expect(notifications).to_be_visible()
    my_groups = other_page.get_by_role("region", name="Mina grupper")
    group_link = other_page.get_by_role("link", name=f"Unga i {slug}")
    expect(my_groups.get_by_role("listitem").filter(has=group_link)).to_contain_text(
        "1 oläst diskussion"
    )
    notifications.click()
    other_page.get_by_role("link", name=f"Sara Lind nämnde dig i ”{title}”").click()
    expect(other_page).to_have_url(re.compile(rf"/t/{thread_id}#post-\d+$"))
    expect(header.get_by_role("link", name="Notiser", exact=True)).to_be_visible()

    other_page.goto(f"/g/{slug}")
    expect(other_page.get_by_role("listitem").filter(has_text=title)).not_to_contain_text("Ny")
    assert page_watch.console_errors == []


def test_following_a_group_then_reading_new_posts_from_the_unread_link(
    page: Page, other_page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    tag = unique()
    lead = official(live_server, "Leo Ledare")
    member = official(live_server, "Mia Medlem", municipality="nora")
    slug = group_with(live_server, lead, member)

    sign_in(other_page, member)
    other_page.goto(f"/g/{slug}")
    other_page.get_by_role("button", name="Följ nya diskussioner").click()
    expect(other_page.get_by_role("button", name="Sluta följa gruppen")).to_be_visible()

    sign_in(page, lead)
    title = f"Läxhjälp {tag}"
    thread_id = start_discussion(page, slug, title, "Första inlägget.")

    other_page.goto("/notifications")
    other_page.get_by_role("link", name=f"Leo Ledare startade ”{title}”").click()
    expect(other_page).to_have_url(re.compile(rf"/t/{thread_id}"))
    expect(other_page.get_by_role("button", name="Följ diskussionen")).to_be_visible()

    for n in (1, 2):
        page.get_by_label("Ditt svar (Markdown)").fill(f"Uppföljning {n} {tag}")
        page.get_by_role("button", name="Skicka svar").click()
        expect(page.get_by_text(f"Uppföljning {n} {tag}")).to_be_visible()

    other_page.goto(f"/g/{slug}")
    other_page.get_by_role("link", name="2 olästa").click()
    expect(other_page).to_have_url(re.compile(rf"/t/{thread_id}#unread$"))
    divider = other_page.get_by_role("heading", name="Nytt sedan du senast läste")
    expect(divider).to_be_visible()
    assert page_watch.console_errors == []
