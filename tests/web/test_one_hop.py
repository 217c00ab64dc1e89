"""The busiest pages read in one thread-pool hop, and never on the event loop.

Each `def` handler and `def` dependency is a hop to the thread pool of its own; the
discussion, group and start pages make one (`web.deps.read_page`) and render on the loop.
What the loop must never do is wait for the database: every statement of these pages is
sent from a thread without a running event loop, all of them from the same one.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.thread_page import PAGE_SIZE
from models import Group, Thread, User
from tests.factories import make_group, make_membership, make_post, make_thread, make_user

Browser = Callable[[User], TestClient]


@pytest.fixture
def group(session: Session) -> Group:
    return make_group(session, slug="ett-hopp", name="Ett hopp")


@pytest.fixture
def member(session: Session, group: Group) -> User:
    user = make_user(session)
    make_membership(session, group=group, user=user)
    return user


@pytest.fixture
def thread(session: Session, group: Group, member: User) -> Thread:
    thread = make_thread(session, group=group, author=member)
    for n in range(PAGE_SIZE + 3):
        make_post(session, thread=thread, author=make_user(session), body=f"Inlägg {n}")
    return thread


def _on_a_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


_HOP: contextvars.ContextVar[object] = contextvars.ContextVar("hop")


def _hop() -> int:
    """Which thread-pool hop this is: each one runs in a copy of the loop's context (and
    may well run in the same pooled thread as the hop before), so a mark set here is
    seen by the statements of this hop only."""
    mark = _HOP.get(None)
    if mark is None:
        mark = object()
        _HOP.set(mark)
    return id(mark)


@contextmanager
def senders(connection: sa.Connection) -> Iterator[list[tuple[int, bool]]]:
    """For each statement sent meanwhile: the hop that sent it, and whether an event loop
    runs in its thread."""
    seen: list[tuple[int, bool]] = []

    def before_execute(*_: object) -> None:
        seen.append((_hop(), _on_a_loop()))

    sa.event.listen(connection, "before_cursor_execute", before_execute)
    try:
        yield seen
    finally:
        sa.event.remove(connection, "before_cursor_execute", before_execute)


@pytest.mark.parametrize("page", ["thread", "group", "start"])
def test_a_busy_page_reads_in_one_hop_and_never_on_the_loop(
    browser_as: Browser, connection: sa.Connection, member: User, thread: Thread, page: str
) -> None:
    url = {"thread": f"/t/{thread.id}", "group": "/g/ett-hopp", "start": "/"}[page]
    client = browser_as(member)
    assert client.get(url).status_code == 200  # the first view writes a read marker after
    with senders(connection) as seen:
        response = client.get(url)
    assert response.status_code == 200
    assert seen, "the page sent no statement at all"
    assert not any(on_loop for _, on_loop in seen), "a statement was sent on the event loop"
    assert len({sender for sender, _ in seen}) == 1, "the statements came from several hops"


def test_a_page_that_cannot_be_shown_is_refused_as_before(
    browser_as: Browser, client: TestClient, session: Session, thread: Thread
) -> None:
    """The one hop raises what the `def` handler raised: a non-member of a closed group
    gets a 404, a visitor without a session the sign-in page."""
    secret = make_group(session, slug="sluten", name="Sluten", visibility="secret")
    hidden = make_thread(session, group=secret, author=make_user(session))
    outsider = browser_as(make_user(session))
    assert outsider.get(f"/t/{hidden.id}").status_code == 404
    assert outsider.get("/g/sluten").status_code == 404
    anonymous = client.get(f"/t/{thread.id}", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")


def test_the_discussion_page_is_six_statements_signed_in(
    browser_as: Browser, connection: sa.Connection, member: User, thread: Thread
) -> None:
    """The session and its official, the memberships, whether anything is unread, the
    discussion with its group, author, read marker and following, its goals, and a page
    of posts with the reader's flags (besides the statements that begin and end it)."""
    client = browser_as(member)
    client.get(f"/t/{thread.id}")
    sent: list[str] = []
    listen = lambda *args: sent.append(str(args[2]).split()[0])  # noqa: E731
    sa.event.listen(connection, "before_cursor_execute", listen)
    try:
        assert client.get(f"/t/{thread.id}").status_code == 200
    finally:
        sa.event.remove(connection, "before_cursor_execute", listen)
    assert [word for word in sent if word not in ("BEGIN", "SAVEPOINT", "RELEASE")] == [
        "SELECT"
    ] * 6
