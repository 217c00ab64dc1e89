"""Live group pages: "N new discussions" as Server-Sent Events from the change feed."""

from __future__ import annotations

import html
import queue
import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from domain import threads
from domain.actor import load_actor
from erfa import db
from models import Group, Membership, Post, Thread, User, Visibility
from tests.conftest import throwaway_database
from tests.factories import make_group, make_membership, make_post, make_thread, make_user
from tests.web.live_support import (
    STREAM,
    Official,
    Served,
    official,
    parse_events,
    serve,
    stream,
    streams_open,
    world,
)

Browser = Callable[[User], TestClient]
_LIVE = re.compile(r'data-live-group="([^"]+)"')
_COUNT = re.compile(r'data-count="(\d+)"')


def _live_path(page: str) -> str:
    found = _LIVE.search(page)
    assert found is not None, "the page names no group stream"
    return html.unescape(found.group(1))


def _count(data: str) -> int:
    found = _COUNT.search(data)
    assert found is not None, data
    return int(found.group(1))


def _first_post_position(session: Session, thread_id: int) -> str:
    post = session.exec(select(Post).where(Post.thread_id == thread_id, Post.position == 1)).one()
    return f"{post.change_txid}.{post.change_seq}"


# --- What a reading sends (the test client: without Accept: text/event-stream) --------


@pytest.fixture
def closed_group(session: Session) -> tuple[User, User, Group]:
    group = make_group(session, visibility=Visibility.CLOSED)
    reader = make_user(session, name="Karin Lund")
    writer = make_user(session, name="Per Berg")
    make_membership(session, group=group, user=reader)
    make_membership(session, group=group, user=writer)
    thread = make_thread(session, group=group, author=reader)
    make_post(session, thread=thread, author=reader, body="Hur gör ni?")
    return reader, writer, group


def _start(session: Session, user: User, group: Group, title: str) -> int:
    assert user.id is not None
    thread = threads.start_thread(
        session, load_actor(session, user.id), slug=group.slug, title=title, body="Frågan."
    )
    session.flush()
    assert thread.id is not None
    return thread.id


def test_the_group_page_names_its_stream_and_its_position(
    browser_as: Browser, closed_group: tuple[User, User, Group]
) -> None:
    reader, _, group = closed_group
    page = browser_as(reader).get(f"/g/{group.slug}").text
    assert re.search(rf"/g/{group.slug}/live\?since=\d+\.\d+$", _live_path(page))
    assert 'id="live-discussions" role="status" aria-live="polite"' in page


def test_new_discussions_are_counted_since_the_page_s_position(
    browser_as: Browser, session: Session, closed_group: tuple[User, User, Group]
) -> None:
    reader, writer, group = closed_group
    client = browser_as(reader)
    path = _live_path(client.get(f"/g/{group.slug}").text)
    assert parse_events(client.get(path).text) == []
    first = _start(session, writer, group, "Sommarjobb")
    events = parse_events(client.get(path).text)
    assert [(e.kind, e.id) for e in events] == [
        ("discussions", _first_post_position(session, first))
    ]
    assert _count(events[0].data) == 1
    assert f'href="/g/{group.slug}"' in events[0].data
    second = _start(session, reader, group, "Vinterväghållning")
    events = parse_events(client.get(path).text)
    assert [(e.kind, e.id) for e in events] == [
        ("discussions", _first_post_position(session, second))
    ]
    assert _count(events[0].data) == 2
    # Told the first: the count is still the count since the page's position.
    told_first = client.get(path, headers={"Last-Event-ID": _first_post_position(session, first)})
    assert [_count(e.data) for e in parse_events(told_first.text)] == [2]
    # Told the newest: nothing to tell.
    told_all = client.get(path, headers={"Last-Event-ID": _first_post_position(session, second)})
    assert parse_events(told_all.text) == []


def test_an_edited_opening_post_or_a_reply_is_no_new_discussion(
    browser_as: Browser, session: Session, closed_group: tuple[User, User, Group]
) -> None:
    reader, writer, group = closed_group
    client = browser_as(reader)
    old = session.exec(select(Thread).where(Thread.group_id == group.id)).one()
    assert old.id is not None
    path = _live_path(client.get(f"/g/{group.slug}").text)
    opening = session.exec(select(Post).where(Post.thread_id == old.id)).one()
    assert opening.id is not None
    assert reader.id is not None
    assert writer.id is not None
    threads.edit_post(
        session,
        load_actor(session, reader.id),
        post_id=opening.id,
        body="Hur gör ni, egentligen?",
        expected_version=1,
    )
    threads.reply(session, load_actor(session, writer.id), thread_id=old.id, body="Så här.")
    session.flush()
    assert parse_events(client.get(path).text) == []


def test_a_secret_group_s_stream_is_no_one_else_s(
    browser_as: Browser, client: TestClient, session: Session
) -> None:
    group = make_group(session, visibility=Visibility.SECRET)
    member = make_user(session)
    make_membership(session, group=group, user=member)
    outsider = browser_as(make_user(session))
    path = f"/g/{group.slug}/live?since=0.0"
    _start(session, member, group, "Hemligt")
    assert outsider.get(path).status_code == 404
    assert outsider.get(path, headers=STREAM).status_code == 404
    assert client.get(path, follow_redirects=False).status_code == 303
    assert _count(parse_events(browser_as(member).get(path).text)[0].data) == 1


# --- Streams on a real server ---------------------------------------------------------


@pytest.fixture(scope="module")
def served(server_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("live_groups")
    with (
        throwaway_database(server_url, home / "live.db") as url,
        serve(url, home / "data") as found,
    ):
        yield found


def _slug(served: Served, group_id: int) -> str:
    with served.writer() as session:
        group = session.get(Group, group_id)
        assert group is not None
        return group.slug


def _page_stream(served: Served, who: Official, slug: str) -> str:
    page = httpx.get(f"{served.base_url}/g/{slug}", cookies=who.cookies)
    assert page.status_code == 200
    return _live_path(page.text)


def _start_over_http(served: Served, who: Official, slug: str, title: str) -> int:
    response = httpx.post(
        f"{served.base_url}/g/{slug}/threads",
        data={"title": title, "body": "Hur gör ni?"},
        cookies=who.cookies,
        headers=who.headers,
    )
    assert response.status_code == 303, response.text[:500]
    found = re.search(r"/t/(\d+)", response.headers["location"])
    assert found is not None
    return int(found.group(1))


def _position_of(served: Served, thread_id: int) -> str:
    with served.writer() as session:
        return _first_post_position(session, thread_id)


def test_a_new_discussion_reaches_an_open_group_page_within_a_second(served: Served) -> None:
    here = world(served)
    slug = _slug(served, here.group_id)
    path = _page_stream(served, here.reader, slug)
    with stream(served, here.reader, path) as opened:
        assert opened.status == 200
        assert opened.headers["content-type"].startswith("text/event-stream")
        streams_open(served, 1)
        thread_id = _start_over_http(served, here.writer, slug, "Sommarjobb")
        sent = time.monotonic()
        event = opened.next(timeout=5)
        assert event is not None
        assert time.monotonic() - sent < 1.0
        assert (event.kind, event.id) == ("discussions", _position_of(served, thread_id))
        assert _count(event.data) == 1
        # A reply is no new discussion: nothing more.
        with db.session_scope(served.writer) as session:
            actor = load_actor(session, here.writer.user_id)
            threads.reply(session, actor, thread_id=thread_id, body="Och en sak till.")
        with pytest.raises(queue.Empty):
            opened.events.get(timeout=0.6)


def test_a_reconnect_with_last_event_id_keeps_the_count_since_the_page(served: Served) -> None:
    here = world(served)
    slug = _slug(served, here.group_id)
    path = _page_stream(served, here.reader, slug)
    with stream(served, here.reader, path) as opened:
        streams_open(served, 1)
        _start_over_http(served, here.writer, slug, "Ett")
        first = opened.next(timeout=5)
        assert first is not None
        assert _count(first.data) == 1
    streams_open(served, 0)
    _start_over_http(served, here.writer, slug, "Två")
    third = _start_over_http(served, here.writer, slug, "Tre")
    with stream(served, here.reader, path, last_event_id=first.id) as again:
        caught_up = again.next(timeout=5)
        assert caught_up is not None
        assert (caught_up.id, _count(caught_up.data)) == (_position_of(served, third), 3)
        with pytest.raises(queue.Empty):
            again.events.get(timeout=0.5)  # nothing twice
        fourth = _start_over_http(served, here.writer, slug, "Fyra")
        event = again.next(timeout=5)
        assert event is not None
        assert (event.id, _count(event.data)) == (_position_of(served, fourth), 4)


def test_an_official_removed_from_a_closed_group_gets_end(served: Served) -> None:
    here = world(served)
    slug = _slug(served, here.group_id)
    path = _page_stream(served, here.reader, slug)
    with stream(served, here.reader, path) as opened:
        streams_open(served, 1)
        with db.session_scope(served.writer) as session:
            session.execute(
                sa.delete(Membership).where(
                    sa.column("group_id") == here.group_id,
                    sa.column("user_id") == here.reader.user_id,
                )
            )
        _start_over_http(served, here.writer, slug, "Bara för medlemmar")
        event = opened.next(timeout=5)
        assert event is not None
        assert event.kind == "end"
        assert opened.next(timeout=5) is None  # the stream ended
        assert "Bara för medlemmar" not in "".join(opened.raw)


def test_a_secret_group_s_new_discussion_never_reaches_a_non_member(served: Served) -> None:
    with db.session_scope(served.writer) as session:
        secret = make_group(session, visibility=Visibility.SECRET)
        open_group = make_group(session, visibility=Visibility.OPEN)
        member = make_user(session, name="Märta Hemlig")
        outsider = make_user(session, name="Olle Utanför")
        make_membership(session, group=secret, user=member)
        make_membership(session, group=open_group, user=member)
        make_membership(session, group=open_group, user=outsider)
        secret_slug, open_slug = secret.slug, open_group.slug
        inside = official(served, session, member)
        outside = official(served, session, outsider)
    refused = httpx.get(
        f"{served.base_url}/g/{secret_slug}/live?since=0.0", cookies=outside.cookies, headers=STREAM
    )
    assert refused.status_code == 404
    path = _page_stream(served, outside, open_slug)
    with stream(served, outside, path) as opened:
        streams_open(served, 1)
        _start_over_http(served, inside, secret_slug, "Hemlig fråga")
        with pytest.raises(queue.Empty):
            opened.events.get(timeout=1.0)
    assert "Hemlig" not in "".join(opened.raw)
