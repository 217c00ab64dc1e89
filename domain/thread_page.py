"""The discussion page's read model: everything `/t/{id}` shows, from one call.

The discussion with its `can_*` flags (`threads.ThreadView`, from `domain/policy.py`), a
page of its posts (each `PostView` with its own), where the official's unread posts
begin, and whether they follow it. The page decides nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from domain import goals, threads
from domain.actor import Actor
from domain.threads import PostView, ThreadView
from models import Goal, Group, Subscription, Thread, ThreadRead, User

PAGE_SIZE = 20
"""Posts a page shows: what a reader takes in before scrolling on, as other forums show."""


def page_start(position: int) -> int:
    """The `after` of the page that shows the post at `position`."""
    return (max(position, 1) - 1) // PAGE_SIZE * PAGE_SIZE


@dataclass(frozen=True)
class ThreadPage:
    view: ThreadView
    posts: list[PostView]
    read_up_to: int | None
    """The official's read marker before this page was shown (None: never opened)."""
    first_unread: int | None
    """Where the divider goes: the first post they have not seen, if any is unread."""
    next_after: int | None
    goals: list[Goal]
    following: bool

    def context(self) -> dict[str, Any]:
        """The template's names for the parts (templates/threads/detail.html)."""
        names = ("view", "posts", "first_unread", "next_after", "goals", "following")
        return {name: getattr(self, name) for name in names} | {"errors": []}


def thread_page(
    session: Session, actor: Actor, thread_id: int, *, after: int = 0, with_marker: bool = False
) -> ThreadPage:
    """A page of the discussion from the post after position `after`; `with_marker` also
    reads the official's read marker, for the divider before the first unread post."""
    row = _prefetch(session, actor, thread_id)  # held: the session keeps rows weakly
    marker = row[3] if row is not None and with_marker else None
    view = threads.get_thread(session, actor, thread_id)
    posts = threads.list_posts(
        session, actor, thread_id=thread_id, after_position=after, limit=PAGE_SIZE + 1
    )
    unread = marker is not None and marker < view.thread.post_count
    return ThreadPage(
        view=view,
        posts=posts[:PAGE_SIZE],
        read_up_to=marker,
        first_unread=marker + 1 if unread and marker is not None else None,
        next_after=posts[PAGE_SIZE - 1].post.position if len(posts) > PAGE_SIZE else None,
        goals=goals.list_goals(session) if view.goals else [],
        following=row is not None and bool(row[4]),
    )


_PREFETCH = (
    sa.select(
        Thread,
        Group,
        User,
        sa.select(col(ThreadRead.last_read_position))
        .where(col(ThreadRead.user_id) == sa.bindparam("user_id"))
        .where(col(ThreadRead.thread_id) == col(Thread.id))
        .scalar_subquery(),
        sa.exists().where(
            col(Subscription.user_id) == sa.bindparam("user_id"),
            col(Subscription.thread_id) == col(Thread.id),
        ),
    )
    .join(Group, col(Group.id) == Thread.group_id)
    .join(User, col(User.id) == Thread.author_id)
    .where(col(Thread.id) == sa.bindparam("thread_id"))
)


def _prefetch(session: Session, actor: Actor, thread_id: int) -> sa.Row[Any] | None:
    """The discussion, its group and its author in one statement, into the session, where
    `threads.get_thread` and `threads.list_posts` then find them without a statement of
    their own; with them the official's read marker and whether they follow it."""
    user_id = actor.user_id if actor.user_id is not None else -1
    return session.execute(_PREFETCH, {"user_id": user_id, "thread_id": thread_id}).first()
