"""An erased official's content: kept under the new name, or removed (`domain/erasure.py`).

Both work in set-based statements, whatever the number of posts: a prolific author costs
no more statements than a quiet one. Each post and resource touched gets a new version and
a change position of its own (`changes.restamp`), so that mirrors learn of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import changes
from models import (
    Attachment,
    EventDocument,
    Flag,
    Group,
    Post,
    PostRevision,
    Resource,
    SearchEntry,
    Thread,
    utcnow,
)

REMOVED_TITLE = "–"
"""The title a removed resource keeps (a title may not be empty)."""

REMOVED_THREAD_TITLE = "Borttagen diskussion"
"""The title of a discussion they started that holds nothing but removed posts: its title
was their words too. Stored, so in both languages, like `erasure.ERASED_NAME`."""


@dataclass(frozen=True)
class Removed:
    posts: int
    resources: int
    flags: int
    files: list[str]
    """Storage names under the upload directory, to remove after the commit."""


def _rows(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _lock_content(session: Session, user_id: int) -> None:
    """Lock in the writers' order (`domain/locking.py`): discussions, then posts, by id."""
    session.exec(
        select(Thread.id)
        .where(
            col(Thread.id).in_(select(col(Post.thread_id)).where(col(Post.author_id) == user_id))
        )
        .order_by(col(Thread.id))
        .with_for_update(key_share=True)
    ).all()
    session.exec(
        select(Post.id)
        .where(col(Post.author_id) == user_id)
        .order_by(col(Post.id))
        .with_for_update(key_share=True)
    ).all()


def keep(session: Session, user_id: int) -> tuple[int, int]:
    """Their posts and resources stay; each gets a new version and change position, so
    that mirrors and webhooks learn the new author name."""
    _lock_content(session, user_id)
    posts = Post.__table__  # type: ignore[attr-defined]
    resources = Resource.__table__  # type: ignore[attr-defined]
    theirs = posts.c.author_id == user_id
    kept_posts = _rows(
        session.execute(posts.update().where(theirs).values(version=posts.c.version + 1))
    )
    changes.restamp(session, posts, theirs)
    mine = sa.and_(resources.c.author_id == user_id, resources.c.deleted_at.is_(None))
    kept_resources = _rows(
        session.execute(resources.update().where(mine).values(version=resources.c.version + 1))
    )
    changes.restamp(session, resources, mine)
    return kept_posts, kept_resources


def remove(session: Session, user_id: int) -> Removed:
    """Their posts become tombstones, their resources are removed, their files listed."""
    _lock_content(session, user_id)
    now = utcnow()
    posts = Post.__table__  # type: ignore[attr-defined]
    theirs = posts.c.author_id == user_id
    their_posts = sa.select(posts.c.id).where(theirs)
    session.execute(sa.delete(PostRevision).where(col(PostRevision.post_id).in_(their_posts)))
    session.execute(
        sa.delete(SearchEntry).where(
            col(SearchEntry.kind) == "post", col(SearchEntry.ref_id).in_(their_posts)
        )
    )
    removed_posts = _rows(
        session.execute(
            posts.update()
            .where(theirs)
            .values(
                body="",
                body_html="",
                deleted_at=sa.func.coalesce(posts.c.deleted_at, now),
                updated_at=now,
                version=posts.c.version + 1,
            )
        )
    )
    changes.restamp(session, posts, theirs)
    _remove_empty_threads(session, user_id, now)
    # The flags they raised are their words too.
    flags = _rows(session.execute(sa.delete(Flag).where(col(Flag.user_id) == user_id)))
    removed_resources = _remove_resources(session, user_id, now)
    return Removed(removed_posts, removed_resources, flags, _remove_files(session, user_id))


def _remove_empty_threads(session: Session, user_id: int, now: Any) -> None:
    """A discussion they started with no live post of anyone else leaves the search, and
    its title becomes `REMOVED_THREAD_TITLE`: a new version of it, and of how its group
    lists it, as a rename by the leads makes (`moderation.update_thread`)."""
    others = select(col(Post.thread_id)).where(
        col(Post.author_id) != user_id, col(Post.deleted_at).is_(None)
    )
    empty = select(col(Thread.id)).where(
        col(Thread.author_id) == user_id, col(Thread.id).not_in(others)
    )
    session.execute(
        sa.delete(SearchEntry).where(
            col(SearchEntry.kind) == "thread", col(SearchEntry.ref_id).in_(empty)
        )
    )
    session.execute(
        sa.update(Group)
        .where(col(Group.id).in_(select(col(Thread.group_id)).where(col(Thread.id).in_(empty))))
        .values(version=col(Group.version) + 1)
    )
    session.execute(
        sa.update(Thread)
        .where(col(Thread.id).in_(empty))
        .values(title=REMOVED_THREAD_TITLE, version=col(Thread.version) + 1, updated_at=now)
    )


def _remove_resources(session: Session, user_id: int, now: Any) -> int:
    resources = Resource.__table__  # type: ignore[attr-defined]
    mine = resources.c.author_id == user_id
    session.execute(
        sa.delete(SearchEntry).where(
            col(SearchEntry.kind) == "resource",
            col(SearchEntry.ref_id).in_(sa.select(resources.c.id).where(mine)),
        )
    )
    texts = (
        "summary", "background", "purpose", "implementation", "results", "lessons",
        "implications",
    )  # fmt: skip
    cleared: dict[str, Any] = {name: "" for name in texts}
    cleared.update({f"{name}_html": "" for name in texts if name != "summary"})
    removed = _rows(
        session.execute(
            resources.update()
            .where(mine, resources.c.deleted_at.is_(None))
            .values(deleted_at=now, updated_at=now, version=resources.c.version + 1)
        )
    )
    session.execute(
        resources.update()
        .where(mine)
        .values(
            title=REMOVED_TITLE,
            link=None,
            doi=None,
            institution="",
            authors="",
            contact_name="",
            contact_email="",
            **cleared,
        )
    )
    changes.restamp(session, resources, mine)
    return removed


def _remove_files(session: Session, user_id: int) -> list[str]:
    """Attachments of their resources and every file they uploaded: rows now, files after
    the commit (`erasure.remove_files`)."""
    their_resources = select(col(Resource.id)).where(col(Resource.author_id) == user_id)
    attachment_rows = sa.or_(
        col(Attachment.uploaded_by_id) == user_id,
        col(Attachment.resource_id).in_(their_resources),
    )
    document_rows = col(EventDocument.uploaded_by_id) == user_id
    files = [
        *session.exec(select(col(Attachment.storage_name)).where(attachment_rows)).all(),
        *session.exec(select(col(EventDocument.storage_name)).where(document_rows)).all(),
    ]
    session.execute(sa.delete(Attachment).where(attachment_rows))
    session.execute(sa.delete(EventDocument).where(document_rows))
    return files
