"""The forum in Chromium: discuss in place, share a file, search in Swedish, keep outsiders out.

Each test makes its own officials and group (unique names): the live server is shared by
the whole session.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import LiveServer, PageWatch
from tests.browser.flows import disclosure, group_with, official, sign_in, start_discussion, unique

# Set on `window` before an htmx exchange: still there afterwards means no page load.
MARKER = "window.erfaStayedOnPage"


def share_tool_with_file(page: Page, slug: str, title: str, upload: Path) -> int:
    """Share a tool from the group page and add `upload` to it; returns the resource id."""
    page.goto(f"/g/{slug}")
    form = disclosure(page, "Dela en modell eller ett verktyg")
    form.get_by_label("Titel", exact=True).fill(title)
    form.get_by_label("Slag", exact=True).select_option(label="Verktyg")
    form.get_by_label("Kommun det kommer från").select_option(label="Ludvika")
    form.get_by_label("Sammanfattning").fill("En checklista för handledare av feriearbetare.")
    form.get_by_role("button", name="Dela", exact=True).click()
    expect(page).to_have_url(re.compile(r"/r/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    resource_id = int(page.url.rsplit("/", 1)[1])

    page.get_by_label("Lägg till en fil").set_input_files(upload)
    page.get_by_role("button", name="Ladda upp").click()
    expect(page.get_by_role("status")).to_have_text("Filen är tillagd.")
    expect(page.get_by_role("link", name=upload.name)).to_be_visible()
    return resource_id


def a_pdf(tag: str) -> bytes:
    """A tiny PDF of its own (erfa checks the bytes, not the name)."""
    return (
        b"%PDF-1.4\n"
        b"1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
        b"trailer <</Root 1 0 R>>\n"
        b"% erfa " + tag.encode() + b"\n%%EOF\n"
    )


def post_with(page: Page, text: str) -> Locator:
    return page.get_by_role("article").filter(has_text=text)


def reply_box(page: Page) -> Locator:
    return page.get_by_label("Ditt svar (Markdown)")


def test_a_member_starts_a_discussion_replies_in_place_quotes_and_edits_with_history(
    page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    email = official(live_server, "Astrid Forsberg")
    slug = group_with(live_server, email)
    tag = unique()
    opening = "Hur många sommarjobb erbjuder ni unga i år?"
    answer = f"Vi erbjuder fyrtio platser ({tag})."
    sign_in(page, email)
    thread_id = start_discussion(page, slug, f"Sommarjobb {tag}", opening)

    page.evaluate(f"{MARKER} = true")
    reply_box(page).fill("   ")  # passes `required`, refused by erfa: explained in place
    page.get_by_role("button", name="Skicka svar").click()
    expect(page.get_by_role("alert")).to_have_text("Skriv något först.")
    expect(post_with(page, opening)).to_be_visible()
    reply_box(page).fill(answer)
    page.get_by_role("button", name="Skicka svar").click()
    expect(post_with(page, answer)).to_be_visible()
    expect(reply_box(page)).to_have_value("")
    expect(page).to_have_url(re.compile(rf"/t/{thread_id}$"))
    assert page.evaluate(MARKER) is True

    post_with(page, answer).get_by_role("link", name="Svara").click()
    expect(reply_box(page)).to_have_value(
        re.compile(rf"^Astrid Forsberg:\n> {re.escape(answer)}\n")
    )
    reply_box(page).fill(reply_box(page).input_value() + "Hur fördelar ni dem?")
    page.get_by_role("button", name="Skicka svar").click()
    quoting = post_with(page, "Hur fördelar ni dem?")
    expect(quoting.locator("blockquote")).to_have_text(answer)
    expect(quoting.get_by_role("link", name="svar på ett tidigare inlägg")).to_be_visible()

    # Edited from the discussion's own address, as by a reader who has just opened it.
    page.goto(f"/t/{thread_id}")
    page.evaluate(f"{MARKER} = true")
    post_with(page, opening).get_by_role("link", name="Redigera").click()
    editor = page.get_by_role("textbox", name="Text (Markdown)")
    expect(editor).to_have_value(opening)
    expect(page).to_have_url(re.compile(rf"/t/{thread_id}$"))
    assert page.evaluate(MARKER) is True
    edited = "Hur många sommarjobb erbjuder ni unga i år, och från vilken ålder?"
    editor.fill(edited)
    page.get_by_role("button", name="Spara").click()
    expect(post_with(page, edited)).to_be_visible()
    expect(editor).to_have_count(0)

    post_with(page, edited).get_by_role("link", name="redigerat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Redigeringshistorik")
    expect(page.get_by_role("region", name="Nu (version 2)")).to_contain_text(edited)
    expect(page.get_by_role("region", name=re.compile(r"^Version 1 "))).to_contain_text(opening)
    # Chromium logs the refused empty reply (422) as an error; nothing else may be logged.
    assert [e for e in page_watch.console_errors if "status of 422" not in e] == []


def test_a_file_shared_with_a_tool_downloads_unchanged_for_another_member(
    page: Page, other_page: Page, page_watch: PageWatch, live_server: LiveServer, tmp_path: Path
) -> None:
    sharer = official(live_server, "Bo Lindqvist")
    colleague = official(live_server, "Cecilia Nyström", municipality="nora")
    slug = group_with(live_server, sharer, colleague)
    tag = unique()
    title = f"Checklista för feriepraktik {tag}"
    upload = tmp_path / "checklista.pdf"
    upload.write_bytes(a_pdf(tag))
    sign_in(page, sharer)
    share_tool_with_file(page, slug, title, upload)

    sign_in(other_page, colleague)
    main_menu = other_page.get_by_role("navigation", name="Huvudmeny")
    main_menu.get_by_role("link", name="Modeller och verktyg").click()
    # The start page links the tool's discussion under the same title: wait for the library.
    expect(other_page.get_by_role("heading", level=1)).to_have_text("Modeller och verktyg")
    other_page.get_by_role("link", name=title).click()
    expect(other_page.get_by_role("heading", level=1)).to_have_text(title)
    with other_page.expect_download() as download_info:
        other_page.get_by_role("link", name="checklista.pdf").click()
    download = download_info.value

    assert download.suggested_filename == "checklista.pdf"
    assert Path(download.path()).read_bytes() == upload.read_bytes()
    assert page_watch.console_errors == []


def test_searching_kommunernas_finds_a_post_about_a_kommun_with_the_word_marked(
    page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    email = official(live_server, "Dragan Petrović")
    slug = group_with(live_server, email)
    title = f"Ungdomsråd {unique()}"
    sign_in(page, email)
    start_discussion(page, slug, title, "Vår kommun startar ett ungdomsråd i höst.")

    page.evaluate(f"{MARKER} = true")
    search_box = page.get_by_role("search")
    search_box.get_by_label("Sök i erfa").fill("kommunernas")
    search_box.get_by_label("Sök i erfa").press("Enter")

    hit = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=title))
    expect(hit.locator(".snippet")).to_contain_text("Vår kommun startar ett ungdomsråd")
    expect(hit.locator("mark")).to_have_text("kommun")
    expect(page).to_have_url(re.compile(r"/search\?q=kommunernas"))
    assert page.evaluate(MARKER) is True
    assert page_watch.console_errors == []


@pytest.mark.parametrize(("visibility", "group_page_status"), [("closed", 200), ("secret", 404)])
def test_an_outsider_reaches_no_content_of_a_non_open_group_by_url(
    page: Page,
    other_page: Page,
    page_watch: PageWatch,
    live_server: LiveServer,
    tmp_path: Path,
    visibility: str,
    group_page_status: int,
) -> None:
    member = official(live_server, "Eva Holm")
    outsider = official(live_server, "Fredrik Ek", municipality="nora")
    slug = group_with(live_server, member, visibility=visibility)
    tag = unique()
    title = f"Internt om budgeten {tag}"
    upload = tmp_path / "budget.pdf"
    upload.write_bytes(a_pdf(tag))
    sign_in(page, member)
    thread_id = start_discussion(page, slug, title, f"Bara för gruppen: {tag}.")
    post_id = post_with(page, tag).get_attribute("id")
    assert post_id is not None
    resource_id = share_tool_with_file(page, slug, f"Budgetmall {tag}", upload)
    attachment = page.get_by_role("link", name="budget.pdf").get_attribute("href")
    assert attachment is not None

    sign_in(other_page, outsider)
    response = other_page.goto(f"/g/{slug}")
    assert response is not None
    assert response.status == group_page_status
    if group_page_status == 200:
        expect(other_page.get_by_role("heading", level=1)).to_have_text(f"Unga i {slug}")
        expect(other_page.get_by_role("button", name="Be om att gå med")).to_be_visible()
        expect(other_page.get_by_text("Bara medlemmar ser vilka som är med")).to_be_visible()
    else:
        expect(other_page.get_by_role("heading", level=1)).to_have_text("Sidan finns inte")
    expect(other_page.get_by_text(tag)).to_have_count(0)

    post_number = post_id.removeprefix("post-")
    statuses = {}
    for path in (
        f"/t/{thread_id}",
        f"/p/{post_number}/history",
        f"/p/{post_number}/edit",
        f"/r/{resource_id}",
        attachment,
    ):
        response = other_page.goto(path)
        assert response is not None
        statuses[path] = response.status
        expect(other_page.get_by_role("heading", level=1)).to_have_text("Sidan finns inte")
        expect(other_page).to_have_title(re.compile(r"^404 "))
        expect(other_page.get_by_text(tag)).to_have_count(0)
    assert statuses == dict.fromkeys(statuses, 404)

    other_page.goto(f"/search?q={tag}")
    expect(other_page.get_by_role("region", name="Resultat")).to_contain_text("0 träffar")
    # Chromium logs each 404 it loads as an error; nothing else may be logged.
    assert [e for e in page_watch.console_errors if "status of 404" not in e] == []
