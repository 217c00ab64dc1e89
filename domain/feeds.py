"""The Atom feeds' read model: the latest changes of a group's or a discussion's posts.

A feed shows live posts (neither deleted nor hidden) in change order, newest first: the
order of the sync feed (`domain/changes.py`) read backwards, so an edited post comes back
to the top with its new `updated`. A reader that dedupes by entry id sees the edit as an
update of the entry it has. Who reads is the feed key's owner (`domain/feed_keys.py`);
what they may not read is a 404, exactly like what does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import policy
from domain.actor import Actor
from domain.errors import NotFound
from models import Group, Municipality, Post, Thread, User

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class FeedEntry:
    post_id: int
    thread_id: int
    thread_title: str
    is_reply: bool
    """Not the post that opened the discussion."""
    author_name: str
    author_title: str
    municipality: str
    body_html: str
    """Sanitised on write (`domain/markup.py`)."""
    published: datetime
    updated: datetime


@dataclass(frozen=True)
class FeedView:
    group_id: int
    group_slug: str
    group_name: str
    thread_id: int | None
    """Set for a discussion's feed; None for a group's."""
    thread_title: str
    updated: datetime
    """The newest entry's `updated`; without entries, when the group or discussion began."""
    entries: list[FeedEntry]
    locale: str
    """The reader's language, for the few words the feed adds."""


def group_feed(
    session: Session, actor: Actor, slug: str, *, limit: int = DEFAULT_LIMIT
) -> FeedView:
    group = session.exec(select(Group).where(col(Group.slug) == slug)).first()
    group = policy.require_readable_content(actor, group)
    assert group.id is not None
    entries = _entries(session, col(Thread.group_id) == group.id, limit)
    return _view(actor, group, None, entries, group.created_at)


def thread_feed(
    session: Session, actor: Actor, thread_id: int, *, limit: int = DEFAULT_LIMIT
) -> FeedView:
    row = session.exec(
        select(Thread, Group)
        .join(Group, col(Group.id) == Thread.group_id)
        .where(col(Thread.id) == thread_id)
    ).first()
    if row is None or not policy.can_read_group_content(actor, row[1]):
        raise NotFound("discussion")
    thread, group = row
    entries = _entries(session, col(Post.thread_id) == thread_id, limit)
    return _view(actor, group, thread, entries, thread.created_at)


def _view(
    actor: Actor,
    group: Group,
    thread: Thread | None,
    entries: list[FeedEntry],
    began: datetime,
) -> FeedView:
    assert group.id is not None
    return FeedView(
        group_id=group.id,
        group_slug=group.slug,
        group_name=group.name,
        thread_id=thread.id if thread is not None else None,
        thread_title=thread.title if thread is not None else "",
        updated=max((entry.updated for entry in entries), default=began),
        entries=entries,
        locale=actor.locale or "sv",
    )


def _entries(session: Session, scope: sa.ColumnElement[bool], limit: int) -> list[FeedEntry]:
    """One statement: the posts with their discussion's title and their authors. Only the
    columns a feed shows are read (not the markdown source)."""
    rows = session.execute(
        sa.select(
            col(Post.id),
            col(Post.thread_id),
            col(Post.position),
            col(Post.body_html),
            col(Post.created_at),
            col(Post.updated_at),
            col(Thread.title),
            col(User.name),
            col(User.title),
            col(Municipality.name),
        )
        .join(Thread, col(Thread.id) == Post.thread_id)
        .join(User, col(User.id) == Post.author_id)
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(scope, col(Post.deleted_at).is_(None), col(Post.hidden_at).is_(None))
        .order_by(col(Post.change_txid).desc(), col(Post.change_seq).desc(), col(Post.id).desc())
        .limit(max(1, min(limit, MAX_LIMIT)))
    ).all()
    return [
        FeedEntry(
            post_id=post_id,
            thread_id=thread_id,
            thread_title=title,
            is_reply=position > 1,
            author_name=name,
            author_title=author_title,
            municipality=municipality,
            body_html=body_html,
            published=created_at,
            updated=max(updated_at or created_at, created_at),
        )
        for (
            post_id,
            thread_id,
            position,
            body_html,
            created_at,
            updated_at,
            title,
            name,
            author_title,
            municipality,
        ) in rows
    ]
