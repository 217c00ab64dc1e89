"""Moderation in Chromium, as the people do it: a member flags a post, the lead hears of it
and hides the post from the queue without a page load, the author sees the reason, and
the coordinator finds the act in the audit log and in the overview's numbers."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, PageWatch
from tests.browser.flows import PASSWORD, group_with, official, sign_in, start_discussion, unique

MARKER = "window.erfaStayedOnPage"


def switch_to(page: Page, email: str) -> None:
    """Sign out whoever uses the page and sign in `email`."""
    page.context.clear_cookies()
    sign_in(page, email)


def test_a_flag_reaches_the_lead_who_hides_the_post_in_place_and_the_author_sees_why(
    page: Page, other_page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    author = official(live_server, "Anders Berg", "avesta")
    member = official(live_server, "Maja Lind", "nora")
    lead = official(live_server, "Lena Holm", "ludvika")
    coordinator = f"samordnare-{unique()}@ludvika.se"
    live_server.erfa(
        "user",
        "create",
        "--email",
        coordinator,
        "--name",
        "Cecilia Samordnare",
        "--municipality",
        "ludvika",
        "--admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    slug = group_with(live_server, author, member, visibility="open")
    live_server.erfa("group", "add-member", slug, lead, "--lead")

    sign_in(page, coordinator)
    before = overview_figures(page)
    switch_to(page, author)
    secret = f"Handledaren heter Kalle {unique()}"
    thread_id = start_discussion(page, slug, "Feriepraktik i sommar", secret)

    # The member flags the post, in place.
    sign_in(other_page, member)
    other_page.goto(f"/t/{thread_id}")
    post = other_page.get_by_role("article").filter(has_text=secret)
    post.get_by_text("Flagga", exact=True).click()
    post.get_by_label("Vad är fel med inlägget? Gruppens ledare läser det du skriver.").fill(
        "Namn på en enskild person"
    )
    other_page.evaluate(f"{MARKER} = true")
    post.get_by_role("button", name="Skicka till ledarna").click()
    expect(other_page.locator("p.notice[role=status]")).to_have_text(
        "Tack! Gruppens ledare tittar på inlägget."
    )
    assert other_page.evaluate(MARKER) is True

    # The coordinator's overview counts the new post and the open flag.
    switch_to(page, coordinator)
    after = overview_figures(page)
    assert after == {
        "avesta posts": before["avesta posts"] + 1,
        "avesta discussions": before["avesta discussions"] + 1,
        "open flags": before["open flags"] + 1,
    }
    switch_to(page, author)

    # The lead is told, opens the queue from the notification and hides the post there.
    switch_to(other_page, lead)
    other_page.goto("/notifications")
    other_page.get_by_role(
        "link", name="Maja Lind flaggade ett inlägg i ”Feriepraktik i sommar”"
    ).click()
    expect(other_page).to_have_url(re.compile(rf"/g/{slug}/flags$"))
    heading = other_page.get_by_role("heading", name="Feriepraktik i sommar")
    item = other_page.get_by_role("listitem").filter(has=heading)
    expect(item).to_contain_text("Maja Lind: Namn på en enskild person")
    expect(item).to_contain_text(secret)
    other_page.evaluate(f"{MARKER} = true")
    item.get_by_label("Motivering till att dölja (visas för författaren)").fill(
        "Personuppgifter om en handledare"
    )
    item.get_by_role("button", name="Dölj inlägget").click()
    expect(other_page.get_by_role("status")).to_have_text(
        "Avgjort: inlägget är dolt och författaren har fått veta varför."
    )
    assert other_page.evaluate(MARKER) is True

    # The author sees the post hidden, with the reason; other readers a placeholder.
    page.goto("/notifications")
    page.get_by_role(
        "link", name="En moderator dolde ditt inlägg i ”Feriepraktik i sommar”: se varför"
    ).click()
    card = page.get_by_role("article").filter(has_text=secret)
    expect(card).to_contain_text("Dolt av en moderator.")
    expect(card).to_contain_text("Personuppgifter om en handledare")
    switch_to(page, member)
    page.goto(f"/t/{thread_id}")
    expect(page.get_by_text("Inlägget har dolts av en moderator.")).to_be_visible()
    expect(page.get_by_text(secret)).to_have_count(0)

    # The coordinator finds the act in the audit log, filtered by its action.
    switch_to(page, coordinator)
    page.goto("/admin/audit")
    page.get_by_label("Åtgärd").select_option(value="flag.")
    page.get_by_role("button", name="Visa").click()
    row = page.get_by_role("row").filter(has_text="Personuppgifter om en handledare")
    expect(row).to_contain_text("Lena Holm")
    expect(row).to_contain_text("Dolde ett flaggat inlägg")
    expect(row).to_contain_text(f"Unga i {slug}")

    assert page_watch.console_errors == []


def overview_figures(page: Page) -> dict[str, int]:
    page.goto("/admin/overview")
    avesta = page.locator('tr[data-municipality="avesta"] td')
    return {
        "avesta posts": int(avesta.nth(2).inner_text()),
        "avesta discussions": int(avesta.nth(3).inner_text()),
        "open flags": int(page.locator("#open-flags").inner_text()),
    }
