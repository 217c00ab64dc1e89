"""What live pages learn from the change feed: new replies of an open discussion, and
the discussions started in a group since its page was rendered.

Positions are the feed's own (`domain/changes.py`, docs/SYNC.md) and are read below the
same fence as the sync feed: a reply that commits late, behind a position a page was
already told, cannot happen, so a page that asks again from the last position it was told
misses nothing.

Two readings:
- `feed_moves` is one process's look at the feed, for everybody at once: which
  discussions changed after a position. It tells nobody what changed, only whom to wake;
  each woken page then asks for itself.
- `new_replies` is one reader's question, asked again at every wake-up: the discussion is
  read through the page's own read model (`threads.get_thread`, `threads.list_posts`), so
  the posts carry the same `can_*` flags as on the page, and a reader who may no longer
  read the group gets `NotFound`.
- `new_discussions` is one reader's question of a group page: how many discussions began
  in the group after the page's position, asked again at every wake-up, `NotFound` when
  the reader may no longer read the group.
- `unread_marks` is the process's look at notifications, which are not in the feed: a
  mark of each watched official's unread ones that changes whenever one is written, read
  or deleted. The header's count itself is `notifications.unread_count`, per reader.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from domain import changes, directory, policy, threads
from domain.actor import Actor
from domain.sync import Position
from domain.threads import PostView
from models import Notification, Post, Thread

BATCH = 100
"""Replies one reading returns at most; the rest come at once in the next."""

_post: sa.Table = Post.__table__  # type: ignore[attr-defined]
_thread: sa.Table = Thread.__table__  # type: ignore[attr-defined]
_notification: sa.Table = Notification.__table__  # type: ignore[attr-defined]

Marks = tuple[int, int]
"""An official's unread notifications as the hub compares them: how many, and the sum of
their ids. A new one adds its id, a read or deleted one takes its id away."""
NO_MARKS: Marks = (0, 0)


def _after(session: Session, after: Position) -> list[sa.ColumnElement[bool]]:
    """Feed positions after `after` that no later commit can precede (the feed's fence)."""
    order = (_post.c.change_txid, _post.c.change_seq)
    where = [sa.tuple_(*order) > sa.tuple_(sa.literal(after.txid), sa.literal(after.seq))]
    fence = changes.fence(session)
    if fence is not None:
        below = _post.c.change_txid < fence.below
        where.append(below if fence.own is None else sa.or_(below, order[0] == fence.own))
    return where


def start(session: Session) -> Position:
    """Where a process starts watching: at or before every change not yet visible."""
    txid, seq = changes.horizon(session)
    return Position(txid, seq)


@dataclass(frozen=True)
class Moves:
    position: Position
    """The last change read: the next look starts after it."""
    thread_ids: frozenset[int]
    has_more: bool
    group_ids: frozenset[int] = frozenset()
    """The groups whose discussions' first posts changed (a discussion begun, moved in,
    or its opening post edited): their pages count again."""


def feed_moves(session: Session, *, after: Position, limit: int = 1000) -> Moves:
    """The discussions whose posts changed after `after`, below the fence, and the groups
    of those whose first post did. Nothing of a post's content is read: it only says whom
    to wake."""
    rows = session.execute(
        sa.select(
            _post.c.thread_id,
            _post.c.change_txid,
            _post.c.change_seq,
            sa.case((_post.c.position == 1, _thread.c.group_id)),
        )
        .join(_thread, _thread.c.id == _post.c.thread_id)
        .where(*_after(session, after))
        .order_by(_post.c.change_txid, _post.c.change_seq)
        .limit(limit + 1)
    ).all()
    shown = rows[:limit]
    position = Position(shown[-1][1], shown[-1][2]) if shown else after
    return Moves(
        position,
        frozenset(row[0] for row in shown),
        len(rows) > limit,
        frozenset(row[3] for row in shown if row[3] is not None),
    )


@dataclass(frozen=True)
class Reply:
    position: Position
    """The change's position in the feed: the event's id."""
    view: PostView


@dataclass(frozen=True)
class Replies:
    thread_id: int
    can_reply: bool
    replies: list[Reply]
    has_more: bool


def new_replies(
    session: Session,
    actor: Actor,
    *,
    thread_id: int,
    after_post: int,
    since: Position,
    limit: int = BATCH,
) -> Replies:
    """The posts of the discussion past its post number `after_post` (the last one the
    page showed) whose change comes after `since`, in feed order, each as the page shows
    it. `NotFound` when the reader may not read the discussion (any more)."""
    policy.require_signed_in(actor)
    view = threads.get_thread(session, actor, thread_id)
    rows = session.execute(
        sa.select(_post.c.id, _post.c.position, _post.c.change_txid, _post.c.change_seq)
        .where(_post.c.thread_id == thread_id, _post.c.position > after_post)
        .where(*_after(session, since))
        .order_by(_post.c.change_txid, _post.c.change_seq)
        .limit(limit + 1)
    ).all()
    changed = rows[:limit]
    if not changed:
        return Replies(thread_id, view.can_reply, [], False)
    first = min(row[1] for row in changed)
    last = max(row[1] for row in changed)
    views = {
        item.post.id: item
        for item in threads.list_posts(
            session, actor, thread_id=thread_id, after_position=first - 1, limit=last - first + 1
        )
    }
    replies = [Reply(Position(row[2], row[3]), views[row[0]]) for row in changed if row[0] in views]
    return Replies(thread_id, view.can_reply, replies, len(rows) > limit)


@dataclass(frozen=True)
class NewDiscussions:
    group_id: int
    count: int
    """Discussions begun in the group after the page's position that the reader may read."""
    position: Position
    """The newest of them in the feed (the page's position when there are none)."""


def new_discussions(
    session: Session, actor: Actor, *, slug: str, since: Position
) -> NewDiscussions:
    """How many discussions began in the group `slug` after `since` (the position of the
    group page): their opening posts came into the feed after it and are unedited, so an
    edit of an older discussion's opening post is not one. A discussion moved into the
    group counts, as it is new on the page. `NotFound` when the reader may not read the
    group's discussions (any more)."""
    policy.require_signed_in(actor)
    group = policy.require_readable_content(actor, directory.group_by_slug(session, slug))
    assert group.id is not None
    first_posts = (
        sa.select(_post.c.change_txid, _post.c.change_seq)
        .join(_thread, _thread.c.id == _post.c.thread_id)
        .where(_thread.c.group_id == group.id, _post.c.position == 1)
        .where(_post.c.edited_at.is_(None), _post.c.deleted_at.is_(None))
        .where(_post.c.hidden_at.is_(None))
        .where(*_after(session, since))
    )
    count = session.execute(
        sa.select(sa.func.count()).select_from(first_posts.subquery())
    ).scalar_one()
    newest = session.execute(
        first_posts.order_by(_post.c.change_txid.desc(), _post.c.change_seq.desc()).limit(1)
    ).first()
    position = Position(newest[0], newest[1]) if newest is not None else since
    return NewDiscussions(group.id, int(count), position)


def unread_marks(session: Session, user_ids: list[int]) -> dict[int, Marks]:
    """The marks of `user_ids`' unread notifications (`NO_MARKS` for who has none), all
    of them, whatever the policy shows: a change of any may change the count. One
    statement, on the index of unread notifications by official."""
    if not user_ids:
        return {}
    rows = session.execute(
        sa.select(
            _notification.c.user_id,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(_notification.c.id), 0),
        )
        .where(_notification.c.user_id.in_(user_ids), _notification.c.read_at.is_(None))
        .group_by(_notification.c.user_id)
    ).all()
    found = dict.fromkeys(user_ids, NO_MARKS)
    found.update({row[0]: (int(row[1]), int(row[2])) for row in rows})
    return found
