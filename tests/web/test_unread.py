"""Unread discussions: markers on the group and start pages, jumping to the first unread post."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain import reading
from domain.actor import load_actor
from domain.group_page import THREADS_PER_PAGE
from domain.thread_page import PAGE_SIZE, page_start
from models import Group, Thread, User, utcnow
from tests.factories import make_group, make_membership, make_post, make_thread, make_user

Browser = Callable[[User], TestClient]


@pytest.fixture
def group(session: Session) -> Group:
    return make_group(session, slug="olast", name="Olästgruppen")


@pytest.fixture
def reader(session: Session, group: Group) -> User:
    user = make_user(session, name="Läsare")
    make_membership(session, group=group, user=user)
    return user


@pytest.fixture
def writer(session: Session, group: Group) -> User:
    user = make_user(session, name="Skribent")
    make_membership(session, group=group, user=user)
    return user


def discussion(session: Session, group: Group, author: User, posts: int, title: str) -> Thread:
    thread = make_thread(
        session, group=group, author=author, title=title, last_posted_at=utcnow() + timedelta(1)
    )
    for n in range(posts):
        make_post(session, thread=thread, author=author, body=f"Inlägg nummer {n + 1}")
    return thread


def test_a_discussion_started_since_joining_is_new_until_opened(
    browser_as: Browser, session: Session, group: Group, reader: User, writer: User
) -> None:
    thread = discussion(session, group, writer, 2, "Sommarjobb")
    client = browser_as(reader)
    group_page = client.get("/g/olast").text
    assert re.search(r"Sommarjobb</a>\s*<span class=\"badge badge-unread\">Ny</span>", group_page)
    assert "1 oläst diskussion" in client.get("/").text

    client.get(f"/t/{thread.id}")
    assert 'badge-unread">Ny' not in client.get("/g/olast").text
    assert "oläst diskussion" not in client.get("/").text


def test_new_replies_are_counted_and_the_link_jumps_to_the_first(
    browser_as: Browser, session: Session, group: Group, reader: User, writer: User
) -> None:
    thread = discussion(session, group, writer, 3, "Mötesplatser")
    client = browser_as(reader)
    client.get(f"/t/{thread.id}")
    make_post(session, thread=thread, author=writer, body="Ett nytt svar")
    fourth = make_post(session, thread=thread, author=writer, body="Ett till")

    assert "2 olästa" in client.get("/g/olast").text
    jump = client.get(f"/t/{thread.id}/unread", follow_redirects=False)
    assert jump.status_code == 303
    assert jump.headers["location"] == f"/t/{thread.id}#unread"

    page = client.get(f"/t/{thread.id}").text
    divider = page.index('id="unread"')
    assert page.index("Inlägg nummer 3") < divider < page.index("Ett nytt svar")
    assert page.index(f'id="post-{fourth.id}"') > divider
    assert "olästa" not in client.get("/g/olast").text  # seen now
    after = client.get(f"/t/{thread.id}/unread", follow_redirects=False)
    assert after.headers["location"] == f"/t/{thread.id}#reply"


def test_the_first_unread_post_is_found_on_its_page_and_markers_never_move_back(
    browser_as: Browser, session: Session, group: Group, reader: User, writer: User
) -> None:
    thread = discussion(session, group, writer, 120, "Lång tråd")
    assert thread.id is not None
    marker = PAGE_SIZE + PAGE_SIZE // 2  # the middle of page two
    reading.mark_read(session, user_id=reader.id or 0, thread_id=thread.id, position=marker)
    client = browser_as(reader)
    jump = client.get(f"/t/{thread.id}/unread", follow_redirects=False)
    after = page_start(marker + 1)
    assert after == PAGE_SIZE
    assert jump.headers["location"] == f"/t/{thread.id}?after={after}#unread"
    page = client.get(f"/t/{thread.id}?after={after}").text
    assert page.index(f"Inlägg nummer {marker}<") < page.index('id="unread"')
    assert page.index('id="unread"') < page.index(f"Inlägg nummer {marker + 1}<")

    client.get(f"/t/{thread.id}")  # page one again: the marker stays at the end of page two
    actor = load_actor(session, reader.id or 0)
    assert reading.read_up_to(session, actor, thread.id) == after + PAGE_SIZE
    reading.mark_read(session, user_id=reader.id or 0, thread_id=thread.id, position=3)
    assert reading.read_up_to(session, actor, thread.id) == after + PAGE_SIZE


def test_my_own_reply_is_not_unread_for_me(
    browser_as: Browser, session: Session, group: Group, reader: User, writer: User
) -> None:
    thread = discussion(session, group, writer, 1, "Egen")
    client = browser_as(reader)
    client.get(f"/t/{thread.id}")
    assert client.post(f"/t/{thread.id}/reply", data={"body": "Mitt svar"}).status_code == 303
    assert "oläst" not in client.get("/g/olast").text


def test_an_inline_reply_in_a_long_discussion_shows_the_page_it_landed_on(
    browser_as: Browser, session: Session, group: Group, reader: User, writer: User
) -> None:
    thread = discussion(session, group, writer, 55, "Lång")
    client = browser_as(reader)
    replied = client.post(
        f"/t/{thread.id}/reply", data={"body": "Sent svar"}, headers={"HX-Request": "true"}
    )
    assert replied.status_code == 200
    assert "Sent svar" in replied.text
    assert "Inlägg nummer 1<" not in replied.text
    plain = client.post(f"/t/{thread.id}/reply", data={"body": "Ännu ett"})
    after = page_start(57)  # the first post and 55 replies, then two more
    assert re.fullmatch(rf"/t/{thread.id}\?after={after}#post-\d+", plain.headers["location"])


def test_readers_outside_the_group_get_no_new_markers(
    browser_as: Browser, session: Session, group: Group, writer: User
) -> None:
    discussion(session, group, writer, 1, "Öppen tråd")
    page = browser_as(make_user(session)).get("/g/olast").text
    assert "Öppen tråd" in page
    assert "badge-unread" not in page


def test_the_group_page_is_paginated(
    browser_as: Browser, session: Session, group: Group, reader: User, writer: User
) -> None:
    start, total = utcnow(), THREADS_PER_PAGE + 5
    for n in range(total):
        make_thread(
            session,
            group=group,
            author=writer,
            title=f"Diskussion {n:02d}",
            last_posted_at=start + timedelta(minutes=n),
        )
    client = browser_as(reader)
    first = client.get("/g/olast").text
    assert f"Diskussion {total - 1:02d}" in first
    assert "Diskussion 05" in first
    assert "Diskussion 04" not in first
    assert 'href="/g/olast?page=2" rel="next"' in first
    second = client.get("/g/olast?page=2").text
    assert [f"Diskussion {n:02d}" in second for n in range(5)] == [True] * 5
    assert "Diskussion 05" not in second
    assert 'href="/g/olast" rel="prev"' in second
    assert 'rel="next"' not in second
    bad = client.get("/g/olast?page=0")
    assert bad.status_code == 422
    assert "<html" in bad.text


def test_skipping_ahead_or_replying_from_page_one_marks_nothing_unseen_as_read(
    browser_as: Browser, session: Session, group: Group, reader: User, writer: User
) -> None:
    thread = discussion(session, group, writer, 120, "Hoppa")
    assert thread.id is not None
    actor = load_actor(session, reader.id or 0)
    client = browser_as(reader)
    client.get(f"/t/{thread.id}?after=100")  # a later page first: the ones before are unseen
    assert reading.read_up_to(session, actor, thread.id) is None
    client.get(f"/t/{thread.id}")
    assert reading.read_up_to(session, actor, thread.id) == PAGE_SIZE
    assert client.post(f"/t/{thread.id}/reply", data={"body": "Svar från sidan ett"}).is_redirect
    assert reading.read_up_to(session, actor, thread.id) == PAGE_SIZE
    assert f"{121 - PAGE_SIZE} olästa" in client.get("/g/olast").text


def test_what_i_write_is_never_unread_for_me_through_either_door(
    browser_as: Browser,
    api_as: Browser,
    session: Session,
    group: Group,
    reader: User,
    writer: User,
) -> None:
    """A discussion I start on the page or through the API is not "Ny" to me, and a reply
    I post through the API to a discussion I had read leaves it read."""
    client = browser_as(reader)
    assert client.post(
        "/g/olast/threads", data={"title": "Min egen", "body": "Text"}
    ).status_code in (200, 303)
    api = api_as(reader)
    assert (
        api.post(
            "/api/v1/groups/olast/threads", json={"title": "Via API", "body": "Text"}
        ).status_code
        == 201
    )
    read = discussion(session, group, writer, 2, "Lästa")
    client.get(f"/t/{read.id}")
    assert api.post(f"/api/v1/threads/{read.id}/posts", json={"body": "Svar"}).status_code == 201

    page = client.get("/g/olast").text
    assert 'badge-unread">Ny' not in page
    assert "oläst" not in page
    assert "oläst diskussion" not in client.get("/").text
