"""Two writers on one post, discussion or resource at once, on a real PostgreSQL.

PostgreSQL runs every transaction at READ COMMITTED: unless a writer locks what it reads,
another may change it between the read and the write. A `Race` makes two writers meet at
the worst moment the code lets them, each in a transaction of its own:

- `first` starts, and is held at its first write (INSERT, UPDATE or DELETE) until `second`
  has reached its own first write, waits for a lock, or has ended without writing;
- `second` starts once `first` is held, and is held at its first write until `first` has
  ended (the schedule `AFTER`: it then writes on what it read before `first` wrote), or not
  at all (`TOGETHER`: the writes of the two interleave).

A writer that locks the rows it decides on before reading them (domain/locking.py) makes
`second` wait for that lock before its first write, so that it reads what `first`
committed; and writers that lock in one order never wait for each other in a circle.

SQLite serialises writers (BEGIN IMMEDIATE): a second writer cannot read before the first
has committed, so none of these races can happen there.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from domain import flags, group_admin, moderation, resources, threads
from domain.actor import Actor, load_actor
from domain.errors import Conflict, Forbidden, StaleVersion
from erfa import db
from models import (
    AuditEntry,
    Flag,
    Group,
    MemberRole,
    Notification,
    NotificationKind,
    Post,
    PostRevision,
    Resource,
    ResourceKind,
    SearchEntry,
    Thread,
    Visibility,
)
from tests.factories import make_group, make_membership, make_user

HOLD_S = 10.0
"""How long a writer may be held before the race is given up as stuck."""
ROUNDS = 4
"""Rounds of every act against a move, each act starting first once and second once."""

Act = Callable[[Session], Any]
WRITES = frozenset({"INSERT", "UPDATE", "DELETE"})


class Schedule(Enum):
    AFTER = "second writes after first has ended"
    TOGETHER = "the writes interleave"


@dataclass
class Outcome:
    """What a writer's act returned, or what it raised."""

    value: Any = None
    error: BaseException | None = None

    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


@dataclass
class Race:
    """Two writers at once, `first` and `second`, met as the module's docstring says."""

    engine: Engine
    schedule: Schedule
    pids: dict[str, int] = field(default_factory=dict)
    held: dict[str, threading.Event] = field(
        default_factory=lambda: {"first": threading.Event(), "second": threading.Event()}
    )
    ended: dict[str, threading.Event] = field(
        default_factory=lambda: {"first": threading.Event(), "second": threading.Event()}
    )

    def run(self, first: Act, second: Act) -> tuple[Outcome, Outcome]:
        outcomes = Outcome(), Outcome()
        writes = db.make_session_factory(self.engine)
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as monitor:
            workers = [
                threading.Thread(target=self._write, args=(writes, name, act, out, monitor))
                for name, act, out in zip(
                    ("first", "second"), (first, second), outcomes, strict=True
                )
            ]
            workers[0].start()
            deadline = time.monotonic() + HOLD_S
            while not (self.held["first"].is_set() or self.ended["first"].is_set()):
                assert time.monotonic() < deadline, "the first writer never wrote"
                time.sleep(0.001)
            workers[1].start()
            for worker in workers:
                worker.join(3 * HOLD_S)
                assert not worker.is_alive(), "a writer is stuck"
        return outcomes

    def _write(
        self,
        writes: sessionmaker[Session],
        name: str,
        act: Act,
        out: Outcome,
        monitor: sa.Connection,
    ) -> None:
        try:
            with db.session_scope(writes) as session:
                connection = session.connection()
                pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
                self.pids[name] = int(pid)

                def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
                    verb = statement.lstrip().split(None, 1)[0].upper()
                    if verb in WRITES and not self.held[name].is_set():
                        self._hold(name, monitor)

                sa.event.listen(connection, "before_cursor_execute", before)
                try:
                    out.value = act(session)
                finally:
                    sa.event.remove(connection, "before_cursor_execute", before)
        except BaseException as exc:
            out.error = exc
        finally:
            self.ended[name].set()

    def _hold(self, name: str, monitor: sa.Connection) -> None:
        self.held[name].set()
        deadline = time.monotonic() + HOLD_S
        if name == "first":
            while not (
                self.held["second"].is_set()
                or self.ended["second"].is_set()
                or self._waits_for_a_lock("second", monitor)
            ):
                assert time.monotonic() < deadline, "the second writer neither wrote nor waited"
                time.sleep(0.001)
        elif self.schedule is Schedule.AFTER:
            assert self.ended["first"].wait(HOLD_S), "the first writer did not end"

    def _waits_for_a_lock(self, name: str, monitor: sa.Connection) -> bool:
        pid = self.pids.get(name)
        if pid is None:
            return False
        blockers = monitor.execute(
            sa.text("SELECT cardinality(pg_blocking_pids(:pid))"), {"pid": pid}
        ).scalar_one()
        return bool(blockers)


@dataclass
class World:
    engine: Engine
    writes: sessionmaker[Session]
    lead: Actor
    """Leads both groups."""
    author: Actor
    member: Actor
    slugs: tuple[str, str]
    thread_id: int
    post_id: int
    """The first post of the discussion, by `author`."""

    def race(
        self, first: Act, second: Act, schedule: Schedule = Schedule.AFTER
    ) -> tuple[Outcome, Outcome]:
        return Race(self.engine, schedule).run(first, second)

    def session(self) -> Session:
        return self.writes()


@pytest.fixture
def world(fresh_database_url: str, backend: str) -> Iterator[World]:
    if backend != "postgresql":
        pytest.skip(
            "SQLite serialises writers (BEGIN IMMEDIATE): a second writer cannot read "
            "before the first has committed"
        )
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine)
    try:
        yield build_world(engine)
    finally:
        engine.dispose()


def build_world(engine: Engine) -> World:
    """Two closed groups, a lead of both, an author and a member in both, and a discussion
    the author started in the first group."""
    writes = db.make_session_factory(engine)
    with db.session_scope(writes) as session:
        groups = [
            make_group(session, slug=slug, visibility=Visibility.CLOSED) for slug in ("norr", "syd")
        ]
        people = [make_user(session) for _ in range(3)]
        for group in groups:
            for user, role in zip(
                people, (MemberRole.LEAD, MemberRole.MEMBER, MemberRole.MEMBER), strict=True
            ):
                make_membership(session, group=group, user=user, role=role)
        ids = [user.id or 0 for user in people]
    with db.session_scope(writes) as session:
        lead, author, member = [load_actor(session, i) for i in ids]
    with db.session_scope(writes) as session:
        thread = threads.start_thread(
            session, author, slug="norr", title="Gemensam upphandling", body="Hur gör ni?"
        )
        first = session.exec(select(Post.id).where(Post.thread_id == thread.id)).one()
        thread_id = thread.id or 0
    return World(engine, writes, lead, author, member, ("norr", "syd"), thread_id, first or 0)


def post_now(world: World, post_id: int) -> Post:
    with world.session() as session:
        post = session.get(Post, post_id)
        assert post is not None
        return post


def thread_now(world: World) -> Thread:
    with world.session() as session:
        thread = session.get(Thread, world.thread_id)
        assert thread is not None
        return thread


def edit(world: World, post_id: int, body: str, expected: int | None = None) -> Act:
    return lambda session: (
        threads.edit_post(
            session, world.author, post_id=post_id, body=body, expected_version=expected
        ).version
    )


def hide(world: World, post_id: int) -> Act:
    return lambda session: (
        moderation.hide_post(session, world.lead, post_id=post_id, reason="Personuppgifter").version
    )


def test_an_edit_and_then_a_hide_of_one_post_at_once_give_it_two_versions(world: World) -> None:
    before = post_now(world, world.post_id).version
    edited, hid = world.race(edit(world, world.post_id, "Ändrad text"), hide(world, world.post_id))

    assert (edited.result(), hid.result()) == (before + 1, before + 2)
    post = post_now(world, world.post_id)
    assert (post.version, post.body) == (before + 2, "Ändrad text")
    assert post.hidden_at is not None


def test_an_edit_is_refused_when_a_hide_came_first(world: World) -> None:
    """The edit read the post before the hide wrote: it must not overwrite a hide it never
    saw (its author edits a live post only), with or without the version it saw."""
    before = post_now(world, world.post_id).version
    hid, edited = world.race(
        hide(world, world.post_id), edit(world, world.post_id, "Ändrad text", expected=before)
    )

    assert hid.result() == before + 1
    assert isinstance(edited.error, Forbidden), edited
    post = post_now(world, world.post_id)
    assert (post.version, post.body) == (before + 1, "Hur gör ni?")
    assert post.hidden_at is not None
    with world.session() as session:
        assert session.exec(select(PostRevision).where(PostRevision.post_id == post.id)).all() == []


def test_an_edit_against_a_version_is_refused_when_another_edit_came_first(
    world: World,
) -> None:
    """If-Match: an edit names the version its author saw, and another edit committed after
    that read and before this edit wrote."""
    before = post_now(world, world.post_id).version
    first, second = world.race(
        edit(world, world.post_id, "Från fliken som sparade först"),
        edit(world, world.post_id, "Från den andra fliken", expected=before),
    )

    assert first.result() == before + 1
    assert isinstance(second.error, StaleVersion), second
    post = post_now(world, world.post_id)
    assert (post.version, post.body) == (before + 1, "Från fliken som sparade först")


def test_a_reply_and_a_pin_at_once_give_the_discussion_two_versions(world: World) -> None:
    before = thread_now(world).version
    replied, pinned = world.race(
        lambda session: threads.reply(session, world.member, thread_id=world.thread_id, body="Ja"),
        lambda session: (
            moderation.set_pinned(
                session, world.lead, thread_id=world.thread_id, pinned=True
            ).version
        ),
    )

    replied.result()
    assert pinned.result() == before + 2
    thread = thread_now(world)
    assert (thread.version, thread.pinned, thread.post_count) == (before + 2, True, 2)


def test_a_rename_against_a_version_is_refused_when_a_lock_came_first(world: World) -> None:
    before = thread_now(world).version
    locked, renamed = world.race(
        lambda session: (
            moderation.set_locked(
                session, world.lead, thread_id=world.thread_id, locked=True
            ).version
        ),
        lambda session: moderation.update_thread(
            session,
            world.lead,
            thread_id=world.thread_id,
            title="Nytt namn",
            expected_version=before,
        ),
    )

    assert locked.result() == before + 1
    assert isinstance(renamed.error, StaleVersion), renamed
    thread = thread_now(world)
    assert (thread.version, thread.locked, thread.title) == (
        before + 1,
        True,
        "Gemensam upphandling",
    )


def test_two_edits_of_one_resource_at_once_give_it_two_versions_or_refuse_a_stale_one(
    world: World,
) -> None:
    with db.session_scope(world.writes) as session:
        shared = resources.share_resource(
            session,
            world.author,
            slug="norr",
            title="Inköpsmodell",
            summary="Så köper vi in tillsammans.",
            kind=ResourceKind.MODEL,
            municipality="avesta",
        )
        resource_id, before = shared.id or 0, shared.version

    def update(summary: str, expected: int | None) -> Act:
        return lambda session: (
            resources.update_resource(
                session,
                world.lead,
                resource_id=resource_id,
                expected_version=expected,
                summary=summary,
            ).version
        )

    first, second = world.race(update("Första", None), update("Andra", None))
    assert sorted([first.result(), second.result()]) == [before + 1, before + 2]

    first, second = world.race(update("Tredje", None), update("Fjärde", before + 2))
    assert first.result() == before + 3
    assert isinstance(second.error, StaleVersion), second
    with world.session() as session:
        resource = session.get(Resource, resource_id)
        assert resource is not None
        assert (resource.version, resource.summary) == (before + 3, "Tredje")


def test_a_reply_while_its_discussion_moves_lands_in_the_new_group(world: World) -> None:
    """The reply read the discussion in its old group before the move wrote; its search
    entry and the activity it gives a group belong where the discussion is when the
    reply is written."""
    moved, replied = world.race(
        lambda session: moderation.move(
            session, world.lead, thread_id=world.thread_id, target_slug="syd"
        ),
        lambda session: (
            threads.reply(session, world.member, thread_id=world.thread_id, body="Svar").id
        ),
    )

    moved.result()
    reply_id = replied.result()
    with world.session() as session:
        norr, syd = session.exec(select(Group).order_by(col(Group.slug))).all()
        entry = session.exec(
            select(SearchEntry).where(SearchEntry.kind == "post", SearchEntry.ref_id == reply_id)
        ).one()
        assert entry.group_id == syd.id
        reply = session.get(Post, reply_id)
        assert reply is not None
        assert norr.last_activity_at < reply.created_at == syd.last_activity_at
        assert_consistent(session, world.thread_id)


def assert_consistent(session: Session, thread_id: int) -> None:
    """What a move carries along follows the discussion: the search entries of it and its
    posts, the flags of its posts; and every group counts the discussions it holds."""
    thread = session.get(Thread, thread_id)
    assert thread is not None
    entries = session.exec(select(SearchEntry).where(SearchEntry.thread_id == thread_id)).all()
    assert {entry.group_id for entry in entries} == {thread.group_id}
    in_thread = select(Post.id).where(Post.thread_id == thread_id)
    flagged = session.exec(select(Flag.group_id).where(col(Flag.post_id).in_(in_thread))).all()
    assert set(flagged) <= {thread.group_id}
    counted = dict(session.exec(select(Group.id, Group.thread_count)).all())
    held = Counter(session.exec(select(Thread.group_id)).all())
    assert counted == {group_id: held.get(group_id, 0) for group_id in counted}


def prepared(world: World, kind: str, n: int) -> tuple[int, Act]:
    """A fresh post of the discussion made ready for `kind`, and the act on it."""
    with db.session_scope(world.writes) as session:
        post = threads.reply(
            session, world.author, thread_id=world.thread_id, body=f"Svar {n} om upphandling"
        )
        post_id = post.id or 0
        if kind == "restore":
            moderation.hide_post(session, world.lead, post_id=post_id, reason="Tillfälligt")
        if kind == "resolve":
            flags.flag_post(session, world.member, post_id=post_id, reason="Reklam")
        flag_id = session.exec(select(Flag.id).where(Flag.post_id == post_id)).first()
    lead, author = world.lead, world.author
    acts: dict[str, Act] = {
        "hide": hide(world, post_id),
        "restore": lambda s: moderation.restore_post(s, lead, post_id=post_id),
        "edit": edit(world, post_id, f"Ändrat svar {n}"),
        "delete": lambda s: threads.delete_post(s, author, post_id=post_id),
        "resolve": lambda s: flags.resolve(
            s, lead, flag_id=flag_id or 0, action=flags.Resolution.HIDE, reason="Reklam"
        ),
        "reply": lambda s: threads.reply(s, author, thread_id=world.thread_id, body="Ett till"),
    }
    return post_id, acts[kind]


KINDS = ("hide", "restore", "edit", "delete", "resolve", "reply")


def test_moving_a_discussion_while_its_posts_change_never_deadlocks(world: World) -> None:
    """Every act on a post of a discussion against a move of the discussion, their writes
    interleaved, each starting first as often as second: none may be turned away (a
    deadlock), and what the move carries along must follow the discussion."""
    rounds = itertools.product(range(ROUNDS), KINDS, (True, False))
    for n, (_, kind, move_first) in enumerate(rounds):
        post_id, act = prepared(world, kind, n)
        before = post_now(world, post_id).version
        target = world.slugs[(n + 1) % 2]

        def move(session: Session, target: str = target) -> Thread:
            return moderation.move(
                session, world.lead, thread_id=world.thread_id, target_slug=target
            )

        acts = (move, act) if move_first else (act, move)
        for outcome in world.race(*acts, schedule=Schedule.TOGETHER):
            assert outcome.error is None, f"{kind} against a move, round {n}: {outcome.error!r}"
        with world.session() as session:
            thread = session.get(Thread, world.thread_id)
            assert thread is not None
            group = session.get(Group, thread.group_id)
            assert group is not None
            assert group.slug == target
            assert_consistent(session, world.thread_id)
            changed = session.get(Post, post_id)
            assert changed is not None
            assert changed.version == before + (kind != "reply")


def test_two_moves_the_opposite_way_at_once_never_deadlock(world: World) -> None:
    """Each move changes both groups; two moves between the same groups, one each way,
    must not lock them in opposite orders."""
    with db.session_scope(world.writes) as session:
        other = threads.start_thread(
            session, world.author, slug="syd", title="Skolskjuts", body="Hur planerar ni?"
        )
        other_id = other.id or 0
    for n in range(2 * ROUNDS):
        there, back = world.slugs[(n + 1) % 2], world.slugs[n % 2]

        def move(thread_id: int, target: str) -> Act:
            return lambda session: moderation.move(
                session, world.lead, thread_id=thread_id, target_slug=target
            )

        outcomes = world.race(
            move(world.thread_id, there), move(other_id, back), schedule=Schedule.TOGETHER
        )
        for outcome in outcomes:
            assert outcome.error is None, f"round {n}: {outcome.error!r}"
        with world.session() as session:
            assert_consistent(session, world.thread_id)
            assert_consistent(session, other_id)


def test_two_resolutions_of_one_flag_at_once_resolve_it_once(world: World) -> None:
    with db.session_scope(world.writes) as session:
        post = threads.reply(session, world.author, thread_id=world.thread_id, body="Köp nu")
        flag = flags.flag_post(session, world.member, post_id=post.id or 0, reason="Reklam")
        flag_id = flag.id or 0

    def dismiss(session: Session) -> Any:
        return flags.resolve(
            session, world.lead, flag_id=flag_id, action=flags.Resolution.DISMISS, reason="Ok"
        )

    first, second = world.race(dismiss, dismiss)
    first.result()
    assert isinstance(second.error, Conflict)
    with world.session() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "flag.dismiss")).all()
        told = session.exec(
            select(Notification).where(Notification.kind == NotificationKind.FLAG_OUTCOME)
        ).all()
    assert len(entries) == 1
    assert len(told) == 1


def test_a_group_edit_against_a_version_is_refused_when_another_edit_came_first(
    world: World,
) -> None:
    with world.session() as session:
        group = session.exec(select(Group).where(Group.slug == "norr")).one()
        shown = group.version

    def describe(text: str) -> Act:
        return lambda session: (
            group_admin.update_group(
                session, world.lead, slug="norr", description=text, expected_version=shown
            ).version
        )

    first, second = world.race(describe("Först"), describe("Sedan"))
    assert first.result() == shown + 1
    assert isinstance(second.error, StaleVersion)
