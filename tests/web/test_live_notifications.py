"""The header's count of unread notifications, live: `event: notifications` on the page's
one stream (its own, or `/notifications/live`), woken by whoever writes or reads them."""

from __future__ import annotations

import queue
import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from domain import notifications, threads
from domain.actor import load_actor
from erfa import db
from erfa.live import CHANNEL
from models import Group, Notification, NotificationKind, User, UserStatus, Visibility
from tests.conftest import throwaway_database
from tests.factories import make_group, make_membership, make_user
from tests.web.live_support import (
    Event,
    Official,
    Served,
    Stream,
    World,
    official,
    parse_events,
    reply,
    serve,
    stream,
    streams_open,
    world,
)
from tests.web.test_live_redis import REDIS_URL, _answers, _missing, _wait

Browser = Callable[[User], TestClient]
COUNTED = "/notifications/live"
_COUNT = re.compile(r'<span class="count">(\d+)<span class="visually-hidden">')


def _count(event: Event | None) -> int:
    """The count a `notifications` event shows (0: the header shows none)."""
    assert event is not None, "the stream ended"
    assert event.kind == "notifications", event
    assert event.id == ""  # state, not history: no id to resume from
    found = _COUNT.search(event.data)
    assert found is not None or event.data == "", event.data
    return int(found.group(1)) if found else 0


# --- The page, and a reading without a stream (the test client) -----------------------


@pytest.fixture
def members(session: Session) -> tuple[User, User]:
    group = make_group(session, slug="live-notis", visibility=Visibility.CLOSED)
    karin = make_user(session, name="Karin Lund")
    olle = make_user(session, name="Olle Berg")
    make_membership(session, group=group, user=karin)
    make_membership(session, group=group, user=olle)
    return karin, olle


def test_the_header_names_its_stream_and_the_places_its_count_shows(
    browser_as: Browser, client: TestClient, members: tuple[User, User]
) -> None:
    karin, _ = members
    page = browser_as(karin).get("/").text
    assert f'data-live-notifications="{COUNTED}"' in page
    assert 'id="live-notifications" class="visually-hidden" aria-live="polite"' in page
    assert page.count("data-notification-count>") == 2  # the menu's summary and the link
    assert "data-live-notifications" not in client.get("/login").text


def test_a_reading_without_a_stream_is_the_count_now(
    browser_as: Browser, client: TestClient, members: tuple[User, User]
) -> None:
    karin, olle = members
    assert [_count(e) for e in parse_events(browser_as(karin).get(COUNTED).text)] == [0]
    started = browser_as(karin).post(
        "/g/live-notis/threads", data={"title": "Feriejobb", "body": "Hur gör ni?"}
    )
    thread_url = started.headers["location"].split("#")[0]
    browser_as(olle).post(f"{thread_url}/reply", data={"body": "Vi har 40 platser."})
    events = parse_events(browser_as(karin).get(COUNTED).text)
    assert [_count(e) for e in events] == [1]
    assert "olästa" in events[0].data
    assert client.get(COUNTED, follow_redirects=False).status_code == 303


# --- Streams on a real server ---------------------------------------------------------


@pytest.fixture(scope="module")
def served(server_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("live_notifications")
    with (
        throwaway_database(server_url, home / "live.db") as url,
        serve(url, home / "data") as found,
    ):
        yield found


def _handle(served: Served, user_id: int) -> str:
    with served.writer() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.handle


def _mention(served: Served, here: World, who: Official) -> None:
    """The writer mentions `who` in the discussion, through this server."""
    reply(served, here.writer, here.thread_id, f"Fråga @{_handle(served, who.user_id)}!")


def _mention_elsewhere(served: Served, here: World, who: Official) -> None:
    """The same, written as another process would: this server's hub is not told."""
    body = f"Fråga @{_handle(served, who.user_id)}!"
    with db.session_scope(served.writer) as session:
        actor = load_actor(session, here.writer.user_id)
        threads.reply(session, actor, thread_id=here.thread_id, body=body)


def _third(served: Served, here: World) -> Official:
    """One more member of the world's group."""
    with db.session_scope(served.writer) as session:
        group = session.get(Group, here.group_id)
        assert group is not None
        user = make_user(session, name="Olle Tredje")
        make_membership(session, group=group, user=user)
        return official(served, session, user)


def _next_count(opened: Stream, timeout: float = 5) -> int:
    return _count(opened.next(timeout=timeout))


def test_the_stream_sends_the_count_at_its_start(served: Served) -> None:
    here = world(served)
    _mention(served, here, here.reader)
    with stream(served, here.reader, COUNTED) as opened:
        assert opened.status == 200
        assert opened.headers["content-type"].startswith("text/event-stream")
        assert _next_count(opened) == 1
    with stream(served, here.writer, COUNTED) as opened:
        assert _next_count(opened) == 0  # none: the header empties


def test_a_mention_reaches_the_official_s_open_stream_within_a_second_and_nobody_else_s(
    served: Served,
) -> None:
    here = world(served)
    other = _third(served, here)
    with (
        stream(served, here.reader, COUNTED) as reader,
        stream(served, other, COUNTED) as bystander,
    ):
        assert _next_count(reader) == 0
        assert _next_count(bystander) == 0
        streams_open(served, 2)
        _mention(served, here, here.reader)
        sent = time.monotonic()
        assert _next_count(reader) == 1
        assert time.monotonic() - sent < 1.0
        with pytest.raises(queue.Empty):
            bystander.events.get(timeout=0.6)
        _mention(served, here, here.reader)
        assert _next_count(reader) == 2


def test_reading_elsewhere_updates_the_count(served: Served) -> None:
    here = world(served)
    _mention(served, here, here.reader)
    _mention(served, here, here.reader)
    poll_s = served.hub.poll_s
    served.hub.poll_s = 60.0  # only the commits' own word can tell the stream in time
    try:
        with stream(served, here.reader, COUNTED) as opened:
            assert _next_count(opened) == 2
            streams_open(served, 1)
            time.sleep(0.3)  # the watcher's wait under the old poll ends
            # Opening one marks it read in a GET's read-only session.
            with served.writer() as session:
                first = session.exec(
                    select(col(Notification.id))
                    .where(Notification.user_id == here.reader.user_id)
                    .order_by(col(Notification.id))
                ).first()
            opened_one = httpx.get(
                f"{served.base_url}/notifications/{first}", cookies=here.reader.cookies
            )
            assert opened_one.status_code == 303  # to the post
            assert _next_count(opened, timeout=1) == 1
            read_all = httpx.post(
                f"{served.base_url}/notifications/read",
                cookies=here.reader.cookies,
                headers=here.reader.headers,
            )
            assert read_all.status_code == 303
            assert _next_count(opened, timeout=1) == 0
    finally:
        served.hub.poll_s = poll_s


def test_a_discussion_s_stream_carries_the_count_when_the_page_asks(served: Served) -> None:
    here = world(served)
    path = f"/t/{here.thread_id}/live?after=1"
    with (
        stream(served, here.reader, f"{path}&notifications=1") as counted,
        stream(served, here.reader, path) as plain,
    ):
        assert _next_count(counted) == 0
        streams_open(served, 2)
        _mention(served, here, here.reader)
        sent = time.monotonic()
        events = [counted.next(timeout=5), counted.next(timeout=5)]
        assert time.monotonic() - sent < 1.0
        assert sorted(e.kind for e in events if e is not None) == ["notifications", "post"]
        assert [_count(e) for e in events if e is not None and e.kind != "post"] == [1]
        only = plain.next(timeout=5)
        assert only is not None
        assert only.kind == "post"  # a page that did not ask gets no count
        with pytest.raises(queue.Empty):
            plain.events.get(timeout=0.5)


def test_a_group_s_stream_carries_the_count_when_the_page_asks(served: Served) -> None:
    here = world(served)
    _mention(served, here, here.reader)
    with served.writer() as session:
        group = session.get(Group, here.group_id)
        assert group is not None
        slug = group.slug
    path = f"/g/{slug}/live?since=0.0&notifications=1"
    with stream(served, here.reader, path) as opened:
        assert _next_count(opened) == 1
        streams_open(served, 1)
        _mention(served, here, here.reader)
        assert _next_count(opened) == 2
    with stream(served, here.reader, path.removesuffix("&notifications=1")) as plain:
        time.sleep(0.5)
        plain.hang_up()
        kinds = []
        while (event := plain.next(timeout=5)) is not None:
            kinds.append(event.kind)
        assert "notifications" not in kinds  # a page that did not ask gets no count


def test_a_signed_out_official_s_stream_ends(served: Served) -> None:
    here = world(served)
    with stream(served, here.reader, COUNTED) as opened:
        assert _next_count(opened) == 0
        streams_open(served, 1)
        signed_out = httpx.post(
            f"{served.base_url}/logout", cookies=here.reader.cookies, headers=here.reader.headers
        )
        assert signed_out.status_code == 303
        _mention(served, here, here.reader)
        event = opened.next(timeout=5)
        assert event is not None
        assert event.kind == "end"
        assert opened.next(timeout=5) is None
    streams_open(served, 0)
    with stream(served, here.reader, COUNTED) as again:
        ended = again.next(timeout=5)
        assert ended is not None
        assert ended.kind == "end"  # the page stops listening, rather than sign in


def test_a_suspended_official_s_stream_ends(served: Served) -> None:
    here = world(served)
    with stream(served, here.reader, COUNTED) as opened:
        assert _next_count(opened) == 0
        streams_open(served, 1)
        with db.session_scope(served.writer) as session:
            session.execute(
                sa.update(User)
                .where(sa.column("id") == here.reader.user_id)
                .values(status=UserStatus.SUSPENDED)
            )
            # Anything that wakes the stream: it asks who reads, and ends.
            group = session.get(Group, here.group_id)
            actor = load_actor(session, here.writer.user_id)
            notifications.tell(
                session, actor, [here.reader.user_id], NotificationKind.JOIN_ANSWER, group=group
            )
        event = opened.next(timeout=5)
        assert event is not None
        assert event.kind == "end"
        assert opened.next(timeout=5) is None
    streams_open(served, 0)


def test_what_another_process_writes_and_reads_arrives_by_the_poll(served: Served) -> None:
    here = world(served)
    with stream(served, here.reader, COUNTED) as opened:
        assert _next_count(opened) == 0
        streams_open(served, 1)
        _mention_elsewhere(served, here, here.reader)
        sent = time.monotonic()
        assert _next_count(opened) == 1
        assert time.monotonic() - sent < 1.0
        with db.session_scope(served.writer) as session:
            notifications.mark_all_read(session, load_actor(session, here.reader.user_id))
        sent = time.monotonic()
        assert _next_count(opened) == 0
        assert time.monotonic() - sent < 1.0


def test_idle_count_streams_hold_no_database_connection(served: Served) -> None:
    here = world(served)
    pool = served.app.state.engine.pool
    poll_s = served.hub.poll_s
    served.hub.poll_s = 60.0  # the hub's own look every 250 ms is not a stream's
    try:
        path = f"/t/{here.thread_id}/live?after=1&notifications=1"
        with (
            stream(served, here.reader, COUNTED),
            stream(served, here.writer, COUNTED),
            stream(served, here.reader, path),
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


# --- Across processes through Redis ---------------------------------------------------


def test_a_mention_through_one_process_reaches_a_stream_on_another_through_redis(
    server_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if not _answers(REDIS_URL):
        _missing(f"Redis at {REDIS_URL} does not answer")
    home = tmp_path_factory.mktemp("live_notifications_redis")
    with (
        throwaway_database(server_url, home / "live.db") as url,
        serve(url, home / "a", redis_url=REDIS_URL) as a,
        serve(url, home / "b", redis_url=REDIS_URL) as b,
    ):
        _wait(lambda: a.hub.redis_ok and b.hub.redis_ok, 5, "the hubs did not subscribe")
        b.hub.safety_poll_s = 60.0  # only Redis can tell B within the second
        here = world(a)
        listener = redis.Redis.from_url(REDIS_URL).pubsub()  # type: ignore[no-untyped-call]
        listener.subscribe(CHANNEL)
        with stream(b, here.reader, COUNTED) as opened:
            assert _next_count(opened) == 0
            streams_open(b, 1)
            time.sleep(0.3)
            _mention(a, here, here.reader)
            sent = time.monotonic()
            assert _next_count(opened) == 1
            assert time.monotonic() - sent < 1.0
            read_all = httpx.post(
                f"{a.base_url}/notifications/read",
                cookies=here.reader.cookies,
                headers=here.reader.headers,
            )
            assert read_all.status_code == 303
            sent = time.monotonic()
            assert _next_count(opened) == 0
            assert time.monotonic() - sent < 1.0
        heard = [listener.get_message(timeout=1) for _ in range(6)]
        named = [m["data"] for m in heard if m is not None and m["type"] == "message"]
        assert any(f":{here.reader.user_id}".encode() in data for data in named), named
        listener.close()
