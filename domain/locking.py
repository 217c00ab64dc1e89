"""Rows locked for a change, by every writer in one order.

PostgreSQL runs each transaction at READ COMMITTED: a row read without a lock may be
changed by another transaction before this one writes it. So a writer that decides on
what it read (the version an `If-Match` names, whether a post is hidden, which group a
discussion is in) and then writes the row, reads it with these functions first. The read
waits for a writer that holds the row and returns the row as that writer committed it, and
no other writer changes it until this transaction ends; raising `version` by one in Python
is then exact.

Writers that lock several rows take them in one order, or two of them could each hold
what the other waits for, and PostgreSQL would abort one with a deadlock:
1. the discussion (thread);
2. then its groups, in id order;
3. then its posts, in id order.
The rows that hang off a discussion or its posts (search entries, flags, revisions) are
only written by a writer that holds the discussion.

The lock is `FOR NO KEY UPDATE`, the one an UPDATE of the row takes anyway: taken earlier,
it waits for nobody the UPDATE would not wait for, and rows that refer to the locked one
(a flag, a revision, a notification) can still be inserted meanwhile.

SQLite serialises writers (BEGIN IMMEDIATE) and has no row locks: there these functions
only read the rows afresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlmodel import Session, SQLModel, col, select

from models import Group, Post, Thread

Row = TypeVar("Row", bound=SQLModel)

_NO_KEY_UPDATE = {"key_share": True}


def for_change(session: Session, model: type[Row], row_id: int) -> Row | None:
    """The row, locked, and read afresh even if the session holds it already."""
    return session.get(model, row_id, with_for_update=_NO_KEY_UPDATE, populate_existing=True)


def _thread_of_post(session: Session, post_id: int) -> Thread | None:
    return session.exec(
        select(Thread)
        .join(Post, col(Post.thread_id) == Thread.id)
        .where(Post.id == post_id)
        .with_for_update(key_share=True, of=Thread)
        .execution_options(populate_existing=True)
    ).first()


def post_and_thread(session: Session, post_id: int) -> tuple[Post, Thread] | None:
    """A post and its discussion, both locked, the discussion first."""
    thread = _thread_of_post(session, post_id)
    post = for_change(session, Post, post_id) if thread is not None else None
    if thread is None or post is None:
        return None
    return post, thread


def groups(session: Session, group_ids: Iterable[int]) -> None:
    """Lock groups in id order (a move changes two)."""
    session.exec(
        select(Group.id)
        .where(col(Group.id).in_(sorted(set(group_ids))))
        .order_by(col(Group.id))
        .with_for_update(key_share=True)
    ).all()


def posts_of_thread(session: Session, thread_id: int) -> None:
    """Lock every post of a discussion, in id order, before a statement that writes them
    all (a move): one UPDATE would lock them in whatever order it finds them, against a
    re-render that goes by id."""
    session.exec(
        select(Post.id)
        .where(Post.thread_id == thread_id)
        .order_by(col(Post.id))
        .with_for_update(key_share=True)
    ).all()
