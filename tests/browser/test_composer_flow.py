"""The composer in Chromium: @mentions picked from the text area by keyboard, quoting a
selection in place, the server's preview, Ctrl+Enter, and drafts that survive leaving the
page and a refused send, until a send goes through."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from domain.handles import handle_from_name
from tests.browser.conftest import LiveServer, PageWatch
from tests.browser.flows import (
    disclosure,
    group_with,
    official,
    sign_in,
    start_discussion,
    unique,
)
from tests.browser.test_accessibility import serious_violations

# Set on `window` before an exchange: still there afterwards means no page load.
MARKER = "window.erfaStayedOnPage"


def words(swedish: str, english: str) -> re.Pattern[str]:
    """A name in Swedish, or in English while the catalog lacks the composer's strings
    (web/locale is kept by others; the English msgid shows until it has them)."""
    return re.compile(rf"^({re.escape(swedish)}|{re.escape(english)})$")


PREVIEW = words("Förhandsgranska", "Preview")
QUOTE_SELECTION = words("Citera markering", "Quote selection")
RESTORED = words(
    "Ditt utkast som inte skickades har återställts.",
    "Your draft that was not sent has been restored.",
)


def reply_box(page: Page) -> Locator:
    return page.get_by_role("combobox", name="Ditt svar (Markdown)")


def post_with(page: Page, text: str) -> Locator:
    return page.get_by_role("article").filter(has_text=text)


def test_at_and_two_letters_suggest_members_and_the_keyboard_picks_one(
    page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    tag = unique()
    writer = official(live_server, "Sara Lind")
    reader = official(live_server, f"Birgitta Holm {tag}", municipality="nora")
    official(live_server, f"Birgitta Utanför {tag}")  # not in the closed group
    handle = handle_from_name(f"Birgitta Holm {tag}")  # a unique name: no -2 is needed
    slug = group_with(live_server, writer, reader)
    sign_in(page, writer)
    start_discussion(page, slug, f"Feriepraktik {tag}", "Hur ordnar ni handledningen?")

    box = reply_box(page)
    expect(box).to_have_attribute("aria-expanded", "false")
    box.click()
    page.keyboard.type("Fråga till @bi")
    suggestions = page.get_by_role("listbox")
    member = suggestions.get_by_role("option", name=re.compile(f"^Birgitta Holm {tag}, "))
    expect(member).to_be_visible()
    expect(member).to_contain_text(f"Nora @{handle}")
    expect(suggestions.get_by_role("option", name=re.compile("Utanför"))).to_have_count(0)
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(box).to_have_attribute("aria-controls", suggestions.get_attribute("id") or "")

    page.keyboard.press("Escape")
    expect(suggestions).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    page.keyboard.type("r")  # "@bir": suggested again
    expect(member).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(member).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", member.get_attribute("id") or "")
    assert serious_violations(page) == []  # with the list open
    page.keyboard.press("Enter")
    expect(box).to_have_value(f"Fråga till @{handle} ")
    expect(box).to_be_focused()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("article")).to_have_count(1)  # Enter picked; it sent nothing

    page.keyboard.type("– hur gör ni i Nora?")
    page.keyboard.press("Control+Enter")
    sent = post_with(page, "hur gör ni i Nora?")
    expect(sent).to_contain_text(f"Fråga till @{handle} – hur gör ni i Nora?")
    expect(box).to_have_value("")
    assert page_watch.console_errors == []
    mention = sent.get_by_role("link", name=f"@{handle}")
    expect(mention).to_have_attribute("href", f"/u/{handle}")
    mention.click()  # to the official on their municipality's page
    expect(page).to_have_url(re.compile(rf"/k/nora#official-{re.escape(handle)}$"))


def test_quoting_a_post_or_a_selection_of_it_fills_the_reply_in_place(
    page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    email = official(live_server, "Astrid Forsberg")
    slug = group_with(live_server, email)
    tag = unique()
    opening = f"Vi erbjuder fyrtio platser ({tag}). Handledarna får en halv dags utbildning."
    sign_in(page, email)
    start_discussion(page, slug, f"Sommarjobb {tag}", opening)
    page.evaluate(f"{MARKER} = true")

    post_with(page, opening).get_by_role("link", name="Svara").click()
    expect(reply_box(page)).to_have_value(f"Astrid Forsberg:\n> {opening}\n\n")
    reply_box(page).fill("")

    quote_selection = page.get_by_role("button", name=QUOTE_SELECTION)
    expect(quote_selection).to_have_count(0)  # hidden while nothing is selected
    page.evaluate(
        """() => {
          const text = document.querySelector("article.post .post-body p").firstChild;
          const start = text.data.indexOf("fyrtio platser");
          const range = document.createRange();
          range.setStart(text, start);
          range.setEnd(text, start + "fyrtio platser".length);
          document.getSelection().removeAllRanges();
          document.getSelection().addRange(range);
        }"""
    )
    quote_selection.click()
    box = reply_box(page)
    expect(box).to_have_value("Astrid Forsberg:\n> fyrtio platser\n\n")
    expect(box).to_be_focused()
    expect(quote_selection).to_have_count(0)
    page.keyboard.type("Hur fördelar ni dem?")
    page.get_by_role("button", name="Skicka svar").click()
    answer = post_with(page, "Hur fördelar ni dem?")
    expect(answer.locator("blockquote")).to_have_text("fyrtio platser")
    expect(answer.get_by_role("link", name="svar på ett tidigare inlägg")).to_be_visible()
    assert page.evaluate(MARKER) is True
    assert page_watch.console_errors == []


def test_the_preview_shows_the_text_as_the_server_renders_posts(
    page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    email = official(live_server, "Bo Lindqvist")
    slug = group_with(live_server, email)
    tag = unique()
    sign_in(page, email)
    start_discussion(page, slug, f"Förhandsvisning {tag}", "Första inlägget.")
    page.evaluate(f"{MARKER} = true")

    text = "Hur **många** platser?\n\n- ett\n- två\n\n<script>window.previewRan = 1</script>"
    reply_box(page).fill(text)
    page.get_by_role("button", name=PREVIEW).click()
    preview = page.locator("#reply-body-preview")
    expect(preview.locator("strong")).to_have_text("många")
    expect(preview.locator("li")).to_have_text(["ett", "två"])
    expect(preview).to_contain_text("<script>window.previewRan = 1</script>")  # as text
    assert page.evaluate("window.previewRan") is None
    assert serious_violations(page) == []
    expect(reply_box(page)).to_have_value(text)
    expect(page.get_by_role("article")).to_have_count(1)
    assert page.evaluate(MARKER) is True
    assert page_watch.console_errors == []


def test_a_draft_survives_leaving_and_a_refused_send_and_goes_once_sent(
    page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    email = official(live_server, "Cecilia Nyström", municipality="nora")
    slug = group_with(live_server, email)
    tag = unique()
    sign_in(page, email)
    thread_id = start_discussion(page, slug, f"Utkast {tag}", "Första inlägget.")

    draft = f"Ett svar jag inte hann skicka ({tag})."
    reply_box(page).fill(draft)
    page.get_by_role("link", name=f"Unga i {slug}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Unga i {slug}")
    page.goto(f"/t/{thread_id}")
    expect(reply_box(page)).to_have_value(draft)
    expect(page.get_by_role("status").filter(has_text=RESTORED)).to_be_visible()
    page.get_by_role("button", name="Skicka svar").click()
    expect(post_with(page, draft)).to_be_visible()
    page.goto(f"/t/{thread_id}")
    expect(post_with(page, draft)).to_be_visible()
    expect(reply_box(page)).to_have_value("")

    # A new discussion's draft is the group's; a refused send (a blank title) keeps it.
    page.goto(f"/g/{slug}")
    form = disclosure(page, "Ny diskussion")
    form.get_by_label("Titel").fill("   ")
    body = f"Hur gör ni med läxhjälp ({tag})?"
    form.get_by_label("Text (Markdown)").fill(body)
    form.get_by_role("button", name="Starta diskussionen").click()
    expect(page.get_by_role("alert")).to_have_text("En rubrik är 1–200 tecken lång.")
    page.goto(f"/g/{slug}")
    form = page.locator("form#new-thread")
    expect(form.get_by_label("Text (Markdown)")).to_have_value(body)  # opened, filled
    form.get_by_label("Titel").fill(f"Läxhjälp {tag}")
    form.get_by_label("Titel").press("Control+Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Läxhjälp {tag}")
    page.goto(f"/g/{slug}")
    expect(page.locator("form#new-thread").get_by_label("Text (Markdown)")).to_have_value("")
    # Chromium logs the refused title (422) as an error; nothing else may be logged.
    assert [e for e in page_watch.console_errors if "status of 422" not in e] == []
