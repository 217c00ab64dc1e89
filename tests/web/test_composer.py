"""The composer of replies and new discussions: its combobox markup for @mentions, the
server-rendered preview (same renderer as posts, same checks as posting) and the quote
it inserts in place."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Group, Thread, User, Visibility, utcnow
from tests.factories import make_group, make_membership, make_post, make_thread, make_user
from web import csrf

Browser = Callable[[User], TestClient]
HTMX = {"HX-Request": "true"}


@pytest.fixture
def group(session: Session) -> Group:
    return make_group(session, slug="skrivare", name="Skrivarna", visibility=Visibility.CLOSED)


@pytest.fixture
def member(session: Session, group: Group) -> User:
    user = make_user(session, name="Karin Lund")
    make_membership(session, group=group, user=user)
    return user


@pytest.fixture
def thread(session: Session, group: Group, member: User) -> Thread:
    thread = make_thread(session, group=group, author=member)
    make_post(session, thread=thread, author=member, body="Hur många platser har ni?")
    return thread


def tag(page: str, element_id: str) -> str:
    """The opening tag of the element with `element_id`."""
    found = re.search(rf'<[a-z]+ id="{element_id}"[^>]*>', page)
    assert found is not None, f"no element #{element_id} in the page"
    return found.group(0)


def test_the_reply_box_is_a_combobox_over_the_groups_mention_suggestions(
    browser_as: Browser, member: User, thread: Thread
) -> None:
    page = browser_as(member).get(f"/t/{thread.id}").text
    area = tag(page, "reply-body")
    for attribute in (
        'role="combobox"',
        'aria-autocomplete="list"',
        'aria-expanded="false"',
        'aria-controls="reply-body-mentions"',
        'aria-describedby="reply-body-hint"',
        'data-mentions="/g/skrivare/mentions"',
    ):
        assert attribute in area, attribute
    listbox = tag(page, "reply-body-mentions")
    assert 'role="listbox"' in listbox
    assert "aria-label=" in listbox
    assert 'role="status"' in tag(page, "reply-body-status")
    assert 'aria-live="polite"' in tag(page, "reply-body-preview")
    # The separate search field under the send button is gone; a plain link finds handles.
    assert "mention-search" not in page
    assert 'href="/g/skrivare/mentions"' in page
    form = page[page.index('<section id="reply"') :]
    preview = f'formaction="/t/{thread.id}/preview"'
    assert form.index('name="body"') < form.index("Skicka svar") < form.index(preview)


def test_the_new_discussion_form_is_a_composer_too(browser_as: Browser, member: User) -> None:
    page = browser_as(member).get("/g/skrivare").text
    area = tag(page, "thread-body")
    assert 'role="combobox"' in area
    assert 'aria-controls="thread-body-mentions"' in area
    assert f'data-draft="{member.id}:g:skrivare"' in page
    assert 'hx-post="/g/skrivare/threads/preview"' in page


def test_each_post_offers_quoting_in_place_with_the_reload_link_as_fallback(
    browser_as: Browser, member: User, thread: Thread, session: Session
) -> None:
    post = make_post(session, thread=thread, author=member, body="Vi har fyrtio.")
    page = browser_as(member).get(f"/t/{thread.id}").text
    assert f'href="/t/{thread.id}?reply_to={post.id}#reply"' in page
    assert f'data-quote="/t/{thread.id}/quote/{post.id}"' in page
    assert page.count("data-quote-selection") == 1  # one button, moved to the selection
    assert 'data-quote-selection="" hidden' in page


def test_a_preview_renders_markdown_as_the_post_would_show_it(
    browser_as: Browser, member: User, thread: Thread
) -> None:
    response = browser_as(member).post(
        f"/t/{thread.id}/preview",
        data={"body": "Hur **många**?\n\n> citat\n\n- ett\n- två"},
        headers={**HTMX, "HX-Target": "reply-body-preview"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "<strong>många</strong>" in response.text
    assert "<blockquote>" in response.text
    assert "<li>två</li>" in response.text


def test_a_preview_keeps_no_script_nor_script_link(
    browser_as: Browser, member: User, thread: Thread
) -> None:
    body = (
        '<script>alert("x")</script>\n\n[klicka](javascript:alert(1)) <img src=x onerror=alert(1)>'
    )
    response = browser_as(member).post(f"/t/{thread.id}/preview", data={"body": body}, headers=HTMX)
    assert response.status_code == 200
    assert "<script" not in response.text
    assert 'href="javascript:' not in response.text
    assert "<img" not in response.text
    assert "&lt;script&gt;" in response.text  # shown as text, as a post shows it


def test_a_preview_without_the_csrf_token_is_refused(
    browser_as: Browser, member: User, thread: Thread
) -> None:
    client = browser_as(member)
    del client.headers[csrf.HEADER]
    for path in (f"/t/{thread.id}/preview", "/g/skrivare/threads/preview"):
        response = client.post(path, data={"body": "Hej"}, headers=HTMX)
        assert response.status_code == 403, path
        assert "Hej" not in response.text


def test_an_outsider_of_a_closed_group_gets_no_preview(
    browser_as: Browser, session: Session, thread: Thread
) -> None:
    outsider = browser_as(make_user(session))
    for path in (f"/t/{thread.id}/preview", "/g/skrivare/threads/preview"):
        response = outsider.post(path, data={"body": "**Hej**"}, headers=HTMX)
        assert response.status_code == 404, path
        assert "<strong>" not in response.text


def test_a_reader_who_may_not_post_gets_403_for_a_preview(
    browser_as: Browser, session: Session, group: Group, member: User, thread: Thread
) -> None:
    group.archived_at = utcnow()  # read-only: its members still read it
    session.flush()
    client = browser_as(member)
    assert client.get(f"/t/{thread.id}").status_code == 200
    for path in (f"/t/{thread.id}/preview", "/g/skrivare/threads/preview"):
        response = client.post(path, data={"body": "**Hej**"}, headers=HTMX)
        assert response.status_code == 403, path
        assert "<strong>" not in response.text


def test_a_preview_of_a_locked_discussion_is_refused(
    browser_as: Browser, session: Session, member: User, thread: Thread
) -> None:
    thread.locked = True
    session.flush()
    response = browser_as(member).post(
        f"/t/{thread.id}/preview", data={"body": "**Hej**"}, headers=HTMX
    )
    assert response.status_code == 409
    assert "<strong>" not in response.text


def test_an_empty_or_too_long_text_is_explained_in_the_preview_not_a_500(
    browser_as: Browser, member: User, thread: Thread
) -> None:
    client = browser_as(member)
    empty = client.post(f"/t/{thread.id}/preview", data={"body": "  "}, headers=HTMX)
    assert empty.status_code == 422
    assert "Skriv något först." in empty.text
    long = client.post(f"/t/{thread.id}/preview", data={"body": "x" * 50_001}, headers=HTMX)
    assert long.status_code == 422
    assert "Ett inlägg får vara högst 50 000 tecken långt." in long.text
    assert "<html" not in long.text
    huge = client.post(f"/t/{thread.id}/preview", data={"body": "x" * 300_000}, headers=HTMX)
    assert huge.status_code == 422
    assert "En del av det som skickades är inte giltigt." in huge.text


def test_a_preview_without_javascript_is_the_page_with_the_text_kept(
    browser_as: Browser, member: User, thread: Thread
) -> None:
    response = browser_as(member).post(
        f"/t/{thread.id}/preview", data={"body": "Vi har **fyrtio**.", "reply_to_id": "1"}
    )
    assert response.status_code == 200
    assert "<h1>" in response.text
    assert "<strong>fyrtio</strong>" in response.text
    found = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', response.text, re.S)
    assert found is not None
    assert found.group(1) == "Vi har **fyrtio**."


def test_a_new_discussion_preview_without_javascript_keeps_the_title(
    browser_as: Browser, member: User
) -> None:
    response = browser_as(member).post(
        "/g/skrivare/threads/preview", data={"title": "Sommarjobb", "body": "Hur _många_?"}
    )
    assert response.status_code == 200
    assert "<em>många</em>" in response.text
    assert 'value="Sommarjobb"' in response.text
    assert "Hur _många_?</textarea>" in response.text


def test_the_quote_for_the_composer_is_the_servers_quote(
    browser_as: Browser, session: Session, member: User, thread: Thread
) -> None:
    post = make_post(session, thread=thread, author=member, body="Första raden\n\nAndra raden")
    response = browser_as(member).get(f"/t/{thread.id}/quote/{post.id}", headers=HTMX)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "Karin Lund:\n> Första raden\n> \n> Andra raden\n\n"
    outsider = browser_as(make_user(session)).get(f"/t/{thread.id}/quote/{post.id}")
    assert outsider.status_code == 200
    assert outsider.text == ""


def test_previews_are_limited_per_official(
    browser_as: Browser, member: User, thread: Thread
) -> None:
    from erfa.ratelimit import PREVIEWS_PER_OFFICIAL

    client = browser_as(member)
    url = f"/t/{thread.id}/preview"
    answers = [
        client.post(url, data={"body": "Hej"}, headers=HTMX).status_code
        for _ in range(PREVIEWS_PER_OFFICIAL.count + 1)
    ]
    assert answers[:-1] == [200] * PREVIEWS_PER_OFFICIAL.count
    assert answers[-1] == 429
