"""Discussions in the browser: start, reply in place, quote, edit, history, delete."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import Group, MemberRole, Post, User, Visibility
from tests.factories import make_group, make_membership, make_post, make_thread, make_user

Browser = Callable[[User], TestClient]


@pytest.fixture
def group(session: Session) -> Group:
    return make_group(session, slug="ungdom-p", name="Ungdom P")


@pytest.fixture
def member(session: Session, group: Group) -> User:
    user = make_user(session, name="Karin Lund")
    make_membership(session, group=group, user=user)
    return user


def test_a_member_starts_a_discussion_and_replies(browser_as: Browser, member: User) -> None:
    client = browser_as(member)
    started = client.post(
        "/g/ungdom-p/threads",
        data={"title": "Sommarjobb för unga", "body": "Hur **många** platser?"},
    )
    assert started.status_code == 303
    page = client.get(started.headers["location"])
    assert "<h1>Sommarjobb för unga</h1>" in page.text
    assert "<strong>många</strong>" in page.text
    thread_url = started.headers["location"]
    replied = client.post(f"{thread_url}/reply", data={"body": "Vi har 40 platser."})
    assert replied.status_code == 303
    assert "Vi har 40 platser." in client.get(thread_url).text
    assert "Sommarjobb för unga" in client.get("/g/ungdom-p").text


def test_an_htmx_reply_returns_the_thread_body_in_place(
    browser_as: Browser, member: User, session: Session, group: Group
) -> None:
    thread = make_thread(session, group=group, author=member)
    make_post(session, thread=thread, author=member, body="Första")
    response = browser_as(member).post(
        f"/t/{thread.id}/reply", data={"body": "Andra"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Första" in response.text
    assert "Andra" in response.text


def test_an_empty_or_huge_reply_is_explained_in_place(
    browser_as: Browser, member: User, session: Session, group: Group
) -> None:
    thread = make_thread(session, group=group, author=member)
    make_post(session, thread=thread, author=member)
    client = browser_as(member)
    empty = client.post(f"/t/{thread.id}/reply", data={"body": "   "})
    assert empty.status_code == 422
    assert "Skriv något först." in empty.text
    huge = client.post(f"/t/{thread.id}/reply", data={"body": "x" * 200_000})
    assert huge.status_code == 422
    assert "högst 50 000 tecken" in huge.text
    # With htmx the form is swapped in its own place, not over the posts.
    inline = client.post(
        f"/t/{thread.id}/reply", data={"body": " "}, headers={"HX-Request": "true"}
    )
    assert inline.status_code == 422
    assert inline.headers["HX-Retarget"] == "#reply"
    assert inline.headers["HX-Reswap"] == "innerHTML"
    assert '<h2 id="reply-heading">' in inline.text


def test_a_locked_discussion_takes_no_reply(
    browser_as: Browser, member: User, session: Session, group: Group
) -> None:
    thread = make_thread(session, group=group, author=member, locked=True)
    make_post(session, thread=thread, author=member)
    client = browser_as(member)
    assert "Diskussionen är låst" in client.get(f"/t/{thread.id}").text
    refused = client.post(f"/t/{thread.id}/reply", data={"body": "Hallå?"})
    assert refused.status_code == 422
    assert session.exec(select(Post).where(Post.body == "Hallå?")).first() is None


def test_an_edit_keeps_history_and_a_stale_edit_is_refused(
    browser_as: Browser, member: User, session: Session, group: Group
) -> None:
    thread = make_thread(session, group=group, author=member)
    post = make_post(session, thread=thread, author=member, body="Version ett")
    client = browser_as(member)
    assert (
        client.post(f"/p/{post.id}/edit", data={"body": "Version två", "version": 1}).status_code
        == 303
    )
    stale = client.post(f"/p/{post.id}/edit", data={"body": "Från en gammal flik", "version": 1})
    assert stale.status_code == 422
    assert "Någon ändrade inlägget" in stale.text
    session.refresh(post)
    assert post.body == "Version två"
    history = client.get(f"/p/{post.id}/history").text
    assert "Version ett" in history
    assert "Version två" in history
    assert "redigerat" in client.get(f"/t/{thread.id}").text


def test_others_cannot_edit_and_deletes_leave_a_tombstone(
    browser_as: Browser, member: User, session: Session, group: Group
) -> None:
    thread = make_thread(session, group=group, author=member)
    post = make_post(session, thread=thread, author=member, body="Mitt inlägg")
    other = make_user(session)
    make_membership(session, group=group, user=other)
    assert (
        browser_as(other).post(f"/p/{post.id}/edit", data={"body": "x", "version": 1}).status_code
        == 403
    )
    client = browser_as(member)
    assert client.post(f"/p/{post.id}/delete").status_code == 303
    page = client.get(f"/t/{thread.id}").text
    assert "Inlägget har tagits bort." in page
    assert "Mitt inlägg" not in page


def test_a_closed_groups_discussion_is_not_found_for_outsiders(
    browser_as: Browser, session: Session
) -> None:
    closed = make_group(session, slug="styr-p", visibility=Visibility.CLOSED)
    lead = make_user(session)
    make_membership(session, group=closed, user=lead, role=MemberRole.LEAD)
    thread = make_thread(session, group=closed, author=lead)
    post = make_post(session, thread=thread, author=lead, body="Internt")
    outsider = browser_as(make_user(session))
    for url in (f"/t/{thread.id}", f"/p/{post.id}/history", f"/p/{post.id}/edit"):
        response = outsider.get(url)
        assert response.status_code == 404, url
        assert "Internt" not in response.text
    assert outsider.post(f"/t/{thread.id}/reply", data={"body": "x"}).status_code == 404


def test_thread_page_statement_count_does_not_grow_with_its_posts(
    browser_as: Browser,
    member: User,
    session: Session,
    group: Group,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    thread = make_thread(session, group=group, author=member)
    make_post(session, thread=thread, author=member)
    client = browser_as(member)
    with_one = count_statements(lambda: client.get(f"/t/{thread.id}"))
    for _ in range(29):
        make_post(session, thread=thread, author=make_user(session))
    with_thirty = count_statements(lambda: client.get(f"/t/{thread.id}"))
    assert with_one == with_thirty, (with_one, with_thirty)


def test_group_page_statement_count_does_not_grow_with_its_threads(
    browser_as: Browser,
    member: User,
    session: Session,
    group: Group,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    make_thread(session, group=group, author=member)
    client = browser_as(member)
    with_one = count_statements(lambda: client.get("/g/ungdom-p"))
    for _ in range(29):
        make_thread(session, group=group, author=make_user(session))
    with_thirty = count_statements(lambda: client.get("/g/ungdom-p"))
    assert with_one == with_thirty, (with_one, with_thirty)


def test_replying_to_a_post_quotes_it_and_links_back(
    browser_as: Browser, member: User, session: Session, group: Group
) -> None:
    thread = make_thread(session, group=group, author=member)
    first = make_post(session, thread=thread, author=member, body="Vi har 40 platser.")
    client = browser_as(member)
    page = client.get(f"/t/{thread.id}", params={"reply_to": first.id}).text
    assert "&gt; Vi har 40 platser." in page
    assert f'name="reply_to_id" value="{first.id}"' in page
    client.post(
        f"/t/{thread.id}/reply",
        data={"body": "> Vi har 40 platser.\n\nVi också!", "reply_to_id": first.id},
    )
    reply = session.exec(select(Post).where(Post.reply_to_id == first.id)).one()
    assert "<blockquote>" in reply.body_html
    assert f'href="#post-{first.id}"' in client.get(f"/t/{thread.id}").text
