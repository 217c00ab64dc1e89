"""Every door to a post's text asks the policy: the edit form, the history, quoting.

A deleted post's text is shown to nobody; a hidden post's to its author and the group's
moderators; the edit form is for the author of a live post only.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain import policy
from domain.actor import load_actor
from models import Group, MemberRole, Post, PostRevision, Thread, User, utcnow
from tests.factories import make_group, make_membership, make_post, make_thread, make_user

Browser = Callable[[User], TestClient]
SECRET_NOW = "Nuvarande text om budgeten"
SECRET_BEFORE = "Tidigare text om budgeten"


@pytest.fixture
def group(session: Session) -> Group:
    return make_group(session, slug="oppen-text")


@pytest.fixture
def author(session: Session, group: Group) -> User:
    user = make_user(session)
    make_membership(session, group=group, user=user)
    return user


@pytest.fixture
def thread(session: Session, group: Group, author: User) -> Thread:
    thread = make_thread(session, group=group, author=author)
    make_post(session, thread=thread, author=author, body="Början")
    return thread


@pytest.fixture
def post(session: Session, thread: Thread, author: User) -> Post:
    post = make_post(session, thread=thread, author=author, body=SECRET_NOW, version=2)
    post.edited_at = utcnow()
    assert post.id is not None
    session.add(PostRevision(post_id=post.id, version=1, body=SECRET_BEFORE))
    session.flush()
    return post


def _leaks(response_text: str) -> bool:
    return SECRET_NOW in response_text or SECRET_BEFORE in response_text


def test_a_reader_gets_no_edit_form_for_someone_elses_post(
    browser_as: Browser, session: Session, post: Post
) -> None:
    response = browser_as(make_user(session)).get(f"/p/{post.id}/edit")
    assert response.status_code == 403
    assert not _leaks(response.text)


def test_the_edit_form_and_history_of_a_deleted_post_show_its_text_to_nobody(
    browser_as: Browser, session: Session, post: Post, author: User, group: Group
) -> None:
    post.deleted_at = utcnow()
    session.flush()
    lead = make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    coordinator = make_user(session, is_coordinator=True)
    for who in (author, make_user(session), lead, coordinator):
        client = browser_as(who)
        for url in (f"/p/{post.id}/edit", f"/p/{post.id}/history"):
            response = client.get(url)
            assert response.status_code in (403, 404, 409), (url, response.status_code)
            assert not _leaks(response.text), url
        page = client.get(f"/t/{post.thread_id}")
        assert page.status_code == 200
        assert not _leaks(page.text)
        assert f"/p/{post.id}/history" not in page.text


def test_quoting_a_deleted_or_hidden_post_quotes_nothing(
    browser_as: Browser, session: Session, post: Post, group: Group
) -> None:
    lead = make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    for mark in ("deleted_at", "hidden_at"):
        setattr(post, mark, utcnow())
        session.flush()
        for who in (make_user(session), lead):
            page = browser_as(who).get(f"/t/{post.thread_id}?reply_to={post.id}")
            assert page.status_code == 200
            # The lead sees a hidden post's text in its card (with the reason), never
            # in a quote: the reply form's draft stays empty for everyone.
            draft = _reply_draft(page.text)
            assert not _leaks(draft), mark
            if who is not lead or mark == "deleted_at":
                assert not _leaks(page.text), mark
        setattr(post, mark, None)


def _reply_draft(page: str) -> str:
    found = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None, "the page has a reply form"
    return found.group(1)


def test_the_history_of_a_hidden_post_is_for_its_author_and_moderators(
    browser_as: Browser, session: Session, post: Post, author: User, group: Group
) -> None:
    post.hidden_at = utcnow()
    session.flush()
    lead = make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    reader = browser_as(make_user(session)).get(f"/p/{post.id}/history")
    assert reader.status_code == 404
    assert not _leaks(reader.text)
    for who in (author, lead):
        response = browser_as(who).get(f"/p/{post.id}/history")
        assert response.status_code == 200
        assert SECRET_BEFORE in response.text
    # Hidden, it cannot be edited, not even by its author: a moderator restores it first.
    assert browser_as(author).get(f"/p/{post.id}/edit").status_code == 403


def test_an_author_edits_a_live_post_and_reads_its_history(
    browser_as: Browser, post: Post, author: User, session: Session
) -> None:
    client = browser_as(author)
    form = client.get(f"/p/{post.id}/edit")
    assert form.status_code == 200
    assert SECRET_NOW in form.text
    history = browser_as(make_user(session)).get(f"/p/{post.id}/history")
    assert history.status_code == 200
    assert SECRET_BEFORE in history.text


@pytest.mark.parametrize(
    ("state", "role", "may_read"),
    [
        ("live", "reader", True),
        ("live", "author", True),
        ("hidden", "reader", False),
        ("hidden", "author", True),
        ("hidden", "lead", True),
        ("deleted", "reader", False),
        ("deleted", "author", False),
        ("deleted", "lead", False),
    ],
)
def test_who_may_read_a_posts_text(
    session: Session, post: Post, author: User, group: Group, state: str, role: str, may_read: bool
) -> None:
    if state != "live":
        setattr(post, f"{state}_at", utcnow())
    who = author if role == "author" else make_user(session)
    if role == "lead":
        make_membership(session, group=group, user=who, role=MemberRole.LEAD)
    assert who.id is not None
    actor = load_actor(session, who.id)
    assert policy.can_read_post_text(actor, post, group) is may_read
    assert policy.can_edit_post(actor, post, group) is (state == "live" and role == "author")


def test_the_authors_edit_form_of_a_deleted_post_says_why_it_is_gone(
    browser_as: Browser, session: Session, post: Post, author: User
) -> None:
    post.deleted_at = utcnow()
    session.flush()
    page = browser_as(author).get(f"/p/{post.id}/edit")
    assert page.status_code == 409
    assert "inlägget kan ha tagits bort" in page.text
    assert "samma ögonblick" not in page.text
