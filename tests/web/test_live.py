"""Live discussion pages: new replies as Server-Sent Events from the change feed."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from domain import threads
from domain.actor import load_actor
from domain.auth import start_session
from erfa import db
from models import Membership, Post, User, Visibility
from tests.conftest import throwaway_database
from tests.factories import make_group, make_membership, make_post, make_thread, make_user
from tests.ports import free_port
from tests.web.live_support import (
    STREAM,
    Served,
    parse_events,
    reply,
    serve,
    stream,
    streams_open,
    world,
)
from web.deps import SESSION_COOKIE

Browser = Callable[[User], TestClient]


def _position(post: Post) -> str:
    return f"{post.change_txid}.{post.change_seq}"


def _article(html: str, post_id: int) -> str:
    found = re.search(rf'<article class="post[^"]*" id="post-{post_id}".*?</article>', html, re.S)
    assert found is not None, f"post {post_id} is not on the page"
    return found.group(0)


# --- What a reading sends (the test client: without Accept: text/event-stream) --------


@pytest.fixture
def discussion(session: Session) -> tuple[User, User, int]:
    group = make_group(session, visibility=Visibility.CLOSED)
    reader = make_user(session, name="Karin Lund")
    writer = make_user(session, name="Per Berg")
    make_membership(session, group=group, user=reader)
    make_membership(session, group=group, user=writer)
    thread = make_thread(session, group=group, author=reader)
    make_post(session, thread=thread, author=reader, body="Hur gör ni?")
    assert thread.id is not None
    return reader, writer, thread.id


def _reply(session: Session, user: User, thread_id: int, body: str) -> Post:
    assert user.id is not None
    post = threads.reply(session, load_actor(session, user.id), thread_id=thread_id, body=body)
    session.flush()
    return post


def test_the_open_page_names_its_stream_and_the_last_post_it_shows(
    browser_as: Browser, discussion: tuple[User, User, int]
) -> None:
    reader, _, thread_id = discussion
    page = browser_as(reader).get(f"/t/{thread_id}").text
    assert f'data-live="/t/{thread_id}/live?after=1"' in page
    assert 'aria-live="polite"' in page


def test_a_reply_by_another_official_is_an_event_with_its_feed_position(
    browser_as: Browser, session: Session, discussion: tuple[User, User, int]
) -> None:
    reader, writer, thread_id = discussion
    client = browser_as(reader)
    assert parse_events(client.get(f"/t/{thread_id}/live?after=1").text) == []
    post = _reply(session, writer, thread_id, "Vi har **40** platser.")
    events = parse_events(client.get(f"/t/{thread_id}/live?after=1").text)
    assert [(e.kind, e.id) for e in events] == [("post", _position(post))]
    assert "<strong>40</strong>" in events[0].data
    # Rendered as the page renders the post: the same macro, the reader's own flags.
    assert post.id is not None
    assert events[0].data == _article(client.get(f"/t/{thread_id}").text, post.id)


def test_last_event_id_gets_exactly_the_replies_after_it(
    browser_as: Browser, session: Session, discussion: tuple[User, User, int]
) -> None:
    reader, writer, thread_id = discussion
    first = _reply(session, writer, thread_id, "Ett")
    second = _reply(session, writer, thread_id, "Två")
    third = _reply(session, reader, thread_id, "Tre")
    client = browser_as(reader)
    everything = parse_events(client.get(f"/t/{thread_id}/live?after=1").text)
    assert [e.id for e in everything] == [_position(p) for p in (first, second, third)]
    missed = client.get(f"/t/{thread_id}/live?after=1", headers={"Last-Event-ID": _position(first)})
    assert [e.id for e in parse_events(missed.text)] == [_position(second), _position(third)]
    assert (
        parse_events(
            client.get(
                f"/t/{thread_id}/live?after=1", headers={"Last-Event-ID": _position(third)}
            ).text
        )
        == []
    )


def test_an_edit_of_an_earlier_post_is_no_new_reply(
    browser_as: Browser, session: Session, discussion: tuple[User, User, int]
) -> None:
    reader, writer, thread_id = discussion
    post = _reply(session, writer, thread_id, "Ett")
    client = browser_as(reader)
    assert post.id is not None
    assert writer.id is not None
    threads.edit_post(
        session,
        load_actor(session, writer.id),
        post_id=post.id,
        body="Ett, ändrat",
        expected_version=1,
    )
    session.flush()
    assert parse_events(client.get(f"/t/{thread_id}/live?after=2").text) == []


def test_an_outsider_gets_404_and_a_visitor_is_sent_to_sign_in(
    browser_as: Browser, client: TestClient, session: Session, discussion: tuple[User, User, int]
) -> None:
    _, _, thread_id = discussion
    outsider = browser_as(make_user(session))
    assert outsider.get(f"/t/{thread_id}/live").status_code == 404
    assert outsider.get(f"/t/{thread_id}/live", headers=STREAM).status_code == 404
    assert client.get(f"/t/{thread_id}/live", follow_redirects=False).status_code == 303


# --- Streams on a real server ---------------------------------------------------------


@pytest.fixture(scope="module")
def served(server_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("live")
    with (
        throwaway_database(server_url, home / "live.db") as url,
        serve(url, home / "data") as found,
    ):
        yield found


def _post_in(served: Served, thread_id: int, body: str) -> Post:
    with served.writer() as session:
        post = session.exec(
            select(Post).where(Post.thread_id == thread_id, Post.body == body)
        ).one()
        return post


def test_a_reply_reaches_an_open_stream_within_a_second(served: Served) -> None:
    here = world(served)
    with stream(served, here.reader, f"/t/{here.thread_id}/live?after=1") as opened:
        assert opened.status == 200
        assert opened.headers["content-type"].startswith("text/event-stream")
        streams_open(served, 1)
        reply(served, here.writer, here.thread_id, "Vi har 40 platser.")
        sent = time.monotonic()
        event = opened.next(timeout=5)
        assert event is not None
        assert time.monotonic() - sent < 1.0
        post = _post_in(served, here.thread_id, "Vi har 40 platser.")
        assert (event.kind, event.id) == ("post", _position(post))
        assert f'id="post-{post.id}"' in event.data


def test_a_reply_written_by_another_process_arrives_by_the_poll(served: Served) -> None:
    """Nothing tells this server of a commit elsewhere: it looks at the feed itself."""
    here = world(served)
    with stream(served, here.reader, f"/t/{here.thread_id}/live?after=1") as opened:
        streams_open(served, 1)
        with db.session_scope(served.writer) as session:
            actor = load_actor(session, here.writer.user_id)
            threads.reply(session, actor, thread_id=here.thread_id, body="Från en annan process")
        sent = time.monotonic()
        event = opened.next(timeout=5)
        assert event is not None
        assert time.monotonic() - sent < 1.0
        assert "Från en annan process" in event.data


def test_a_reconnect_with_last_event_id_gets_exactly_the_missed_replies(served: Served) -> None:
    here = world(served)
    with stream(served, here.reader, f"/t/{here.thread_id}/live?after=1") as opened:
        reply(served, here.writer, here.thread_id, "Ett")
        first = opened.next(timeout=5)
        assert first is not None
    streams_open(served, 0)
    reply(served, here.writer, here.thread_id, "Två")
    reply(served, here.writer, here.thread_id, "Tre")
    path = f"/t/{here.thread_id}/live?after=1"
    with stream(served, here.reader, path, last_event_id=first.id) as again:
        caught_up = [again.next(timeout=5), again.next(timeout=5)]
        expected = [_position(_post_in(served, here.thread_id, b)) for b in ("Två", "Tre")]
        assert [e.id for e in caught_up if e is not None] == expected
        reply(served, here.writer, here.thread_id, "Fyra")
        fourth = again.next(timeout=5)
        assert fourth is not None
        assert "Fyra" in fourth.data
        with pytest.raises(queue.Empty):
            again.events.get(timeout=0.5)  # nothing twice


def test_an_official_removed_from_a_closed_group_gets_no_further_post(served: Served) -> None:
    here = world(served)
    with stream(served, here.reader, f"/t/{here.thread_id}/live?after=1") as opened:
        streams_open(served, 1)
        with db.session_scope(served.writer) as session:
            session.execute(
                sa.delete(Membership).where(
                    sa.column("group_id") == here.group_id,
                    sa.column("user_id") == here.reader.user_id,
                )
            )
        reply(served, here.writer, here.thread_id, "Bara för medlemmar")
        event = opened.next(timeout=5)
        assert event is not None
        assert event.kind == "end"
        assert opened.next(timeout=5) is None  # the stream ended
        assert not any("Bara för medlemmar" in line for line in opened.raw)
    streams_open(served, 0)


def test_idle_streams_hold_no_database_connection(served: Served) -> None:
    here = world(served)
    path = f"/t/{here.thread_id}/live?after=1"
    pool = served.app.state.engine.pool
    poll_s = served.hub.poll_s
    served.hub.poll_s = 60.0  # the hub's own look every 250 ms is not a stream's
    try:
        with (
            stream(served, here.reader, path),
            stream(served, here.reader, path),
            stream(served, here.writer, path),
        ):
            streams_open(served, 3)
            time.sleep(0.5)
            samples = []
            for _ in range(20):
                samples.append(pool.checkedout())
                time.sleep(0.025)
            assert samples == [0] * 20
    finally:
        served.hub.poll_s = poll_s


def test_streams_beyond_the_cap_are_refused_with_retry_after(served: Served) -> None:
    here = world(served)
    path = f"/t/{here.thread_id}/live?after=1"
    cap = served.hub.max_streams
    served.hub.max_streams = 1
    try:
        with stream(served, here.reader, path) as first:
            assert first.status == 200
            refused = httpx.get(
                served.base_url + path, headers=STREAM, cookies=here.writer.cookies, timeout=5
            )
            assert refused.status_code == 503
            assert refused.headers["Retry-After"] == "30"
    finally:
        served.hub.max_streams = cap


# --- The server stops ---------------------------------------------------------------------


ERFA = str(Path(sys.executable).with_name("erfa"))


def test_open_streams_end_when_erfa_serve_stops(fresh_database_url: str, tmp_path: Path) -> None:
    """uvicorn waits up to 30 s for open responses; the streams end at once instead."""
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine)
    with db.session_scope(db.make_session_factory(engine)) as session:
        group = make_group(session)
        user = make_user(session)
        make_membership(session, group=group, user=user)
        thread = make_thread(session, group=group, author=user)
        make_post(session, thread=thread, author=user)
        assert user.id is not None
        _, secret = start_session(session, user.id)
        thread_id = thread.id
    engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "ERFA_DATABASE_URL": fresh_database_url,
        "ERFA_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("ERFA_REDIS_URL", None)
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [ERFA, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "erfa serve did not start"
            time.sleep(0.1)
        client = httpx.Client(base_url=base, cookies={SESSION_COOKIE: secret}, timeout=10)
        with client, client.stream("GET", f"/t/{thread_id}/live?after=1", headers=STREAM) as res:
            assert res.status_code == 200
            lines = res.iter_lines()
            assert next(lines).startswith("retry:")
            process.send_signal(signal.SIGTERM)
            stopping = time.monotonic()
            for _ in lines:
                pass  # ends when the server ends the stream
            assert time.monotonic() - stopping < 5
        assert process.wait(timeout=10) in (0, -signal.SIGTERM)  # uvicorn raises it again
        assert time.monotonic() - stopping < 10
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
