"""The discussion page's read model: everything `/t/{id}` shows, from one call.

The discussion with its `can_*` flags (`threads.ThreadView`, from `domain/policy.py`), a
page of its posts (each `PostView` with its own), where the official's unread posts
begin, and whether they follow it. The page decides nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from domain import goals, notifications, reading, threads
from domain.actor import Actor
from domain.threads import PostView, ThreadView
from models import Goal

PAGE_SIZE = 50
"""Posts a page shows."""


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
    marker = reading.read_up_to(session, actor, thread_id) if with_marker else None
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
        following=notifications.is_following(session, actor, thread_id=thread_id),
    )
