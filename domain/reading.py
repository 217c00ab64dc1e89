"""What an official has read: per-discussion read markers, unread counts and markers.

A marker is the highest post position the official was shown in a discussion. A
discussion is unread for them when it has posts past their marker or, never opened, when
it was active after they joined its group: what happened since they joined and they
have not seen. Callers pass ids they already read through the policy; nothing here
decides who may see what.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from domain import activity, upsert
from domain.actor import Actor
from models import Membership, Thread, ThreadRead, utcnow


@dataclass(frozen=True)
class ReadState:
    """`read_up_to` is None for a discussion never opened; `unread` counts posts not seen."""

    read_up_to: int | None
    unread: int

    @property
    def first_unread(self) -> int:
        return (self.read_up_to or 0) + 1


_MARKS = sa.select(col(ThreadRead.thread_id), col(ThreadRead.last_read_position)).where(
    col(ThreadRead.user_id) == sa.bindparam("user_id"),
    col(ThreadRead.thread_id).in_(sa.bindparam("thread_ids", expanding=True)),
)
"""Built once: every list of discussions asks it."""


def read_states(session: Session, actor: Actor, threads: Iterable[Thread]) -> dict[int, ReadState]:
    """The read state of each given discussion that is unread for the actor, in one statement."""
    shown = {thread.id: thread for thread in threads if thread.id is not None}
    if actor.user_id is None or not shown:
        return {}
    rows = session.execute(_MARKS, {"user_id": actor.user_id, "thread_ids": list(shown)}).all()
    marks: dict[int, int] = {thread_id: position for thread_id, position in rows}
    joined = _joined(session, actor, {thread.group_id for thread in shown.values()})
    states: dict[int, ReadState] = {}
    for thread_id, thread in shown.items():
        mark = marks.get(thread_id)
        if mark is not None and thread.post_count > mark:
            states[thread_id] = ReadState(mark, thread.post_count - mark)
        elif (
            mark is None
            and (since := joined.get(thread.group_id))
            and thread.last_posted_at > since
        ):
            states[thread_id] = ReadState(None, thread.post_count)
    return states


def read_up_to(session: Session, actor: Actor, thread_id: int) -> int | None:
    if actor.user_id is None:
        return None
    found = session.execute(
        sa.select(col(ThreadRead.last_read_position)).where(
            col(ThreadRead.user_id) == actor.user_id, col(ThreadRead.thread_id) == thread_id
        )
    ).scalar_one_or_none()
    return found


def unread_by_group(session: Session, actor: Actor) -> dict[int, int]:
    """For each group the actor belongs to, how many of its discussions are unread for them."""
    if actor.user_id is None:
        return {}
    mark = aliased(ThreadRead)
    unread = sa.or_(
        sa.and_(col(mark.thread_id).is_(None), col(Thread.last_posted_at) > Membership.created_at),
        col(mark.last_read_position) < col(Thread.post_count),
    )
    rows = session.execute(
        sa.select(col(Thread.group_id), sa.func.count())
        .join(
            Membership,
            sa.and_(
                col(Membership.group_id) == Thread.group_id,
                col(Membership.user_id) == actor.user_id,
            ),
        )
        .outerjoin(
            mark, sa.and_(col(mark.thread_id) == Thread.id, col(mark.user_id) == actor.user_id)
        )
        .where(unread)
        .group_by(col(Thread.group_id))
    ).all()
    return {group_id: count for group_id, count in rows}


def moves_marker(marker: int | None, first: int, last: int) -> bool:
    """Whether being shown posts `first`..`last` moves a marker: only forward, and only when
    nothing before `first` is still unseen (skipping ahead to a later page marks nothing)."""
    return (marker or 0) >= first - 1 and last > (marker or 0)


def saw(session: Session, *, user_id: int, thread_id: int, first: int, last: int) -> None:
    """The official was shown posts `first`..`last`: their marker moves to `last` if
    `moves_marker` says so, in one statement that checks the stored marker itself. Reading
    counts as activity (`activity.touch_active`, at most hourly)."""
    activity.touch_active(session, user_id)
    _advance(session, user_id=user_id, thread_id=thread_id, first=first, last=last)


def wrote(session: Session, *, user_id: int, thread_id: int, position: int) -> None:
    """The official wrote the post at `position`: their own post is never unread to them.
    Their marker moves onto it when they had seen everything before it (a discussion
    they start is read by them from its first post); posts of others they have not seen
    stay unread."""
    _advance(session, user_id=user_id, thread_id=thread_id, first=position, last=position)


def _advance(session: Session, *, user_id: int, thread_id: int, first: int, last: int) -> None:
    if first <= 1:
        mark_read(session, user_id=user_id, thread_id=thread_id, position=last)
        return
    session.execute(
        sa.update(ThreadRead)
        .where(
            col(ThreadRead.user_id) == user_id,
            col(ThreadRead.thread_id) == thread_id,
            col(ThreadRead.last_read_position) >= first - 1,
            col(ThreadRead.last_read_position) < last,
        )
        .values(last_read_position=last, updated_at=utcnow())
    )


def mark_read(session: Session, *, user_id: int, thread_id: int, position: int) -> None:
    """Move the official's marker forward to `position`; a marker never moves back."""
    values = {
        "user_id": user_id,
        "thread_id": thread_id,
        "last_read_position": position,
        "updated_at": utcnow(),
    }
    statement = upsert.insert(session, ThreadRead).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["user_id", "thread_id"],
        set_={
            "last_read_position": statement.excluded.last_read_position,
            "updated_at": statement.excluded.updated_at,
        },
        where=col(ThreadRead.last_read_position) < statement.excluded.last_read_position,
    )
    session.execute(statement)


def _joined(session: Session, actor: Actor, group_ids: set[int]) -> dict[int, datetime]:
    if not any(group_id in actor.roles for group_id in group_ids):
        return {}
    rows = session.execute(
        sa.select(col(Membership.group_id), col(Membership.created_at)).where(
            col(Membership.user_id) == actor.user_id, col(Membership.group_id).in_(group_ids)
        )
    ).all()
    return {group_id: created for group_id, created in rows}
