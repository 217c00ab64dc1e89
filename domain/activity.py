"""Activity counters: what the coordinators' overview reads instead of the post table.

`activity_month` holds, per group, municipality and month (Europe/Stockholm), how many
posts officials of that municipality wrote in the group and how many of them opened a
discussion. Every new post adds one (`count_post`, in the transaction that writes the
post); `rebuild` recounts everything from the posts after bulk writes (seeding).

A post counts where and when it was written: a later move of its discussion, or the
author's move to another municipality, does not move the count; a deleted or hidden post
still counts (it was written). `rebuild` recounts by the discussion's current group and
the author's current municipality.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col

from domain import upsert
from models import ActivityMonth, Post, Thread, User, utcnow

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ACTIVE_GRANULARITY = timedelta(hours=1)
"""`user_account.last_active_at` moves at most this often: one write per official an hour."""
_BATCH = 5000


def month_of(at: datetime) -> date:
    """The first day of the month (in Swedish time) that holds the moment `at`."""
    return at.astimezone(STOCKHOLM).date().replace(day=1)


def count_post(
    session: Session, *, group_id: int, municipality_id: int, at: datetime, new_thread: bool
) -> None:
    """Count one new post (and, for the first post of a discussion, one new discussion):
    one INSERT … ON CONFLICT DO UPDATE, safe against concurrent posters."""
    statement = upsert.insert(session, ActivityMonth).values(
        group_id=group_id,
        municipality_id=municipality_id,
        month=month_of(at),
        posts=1,
        threads=1 if new_thread else 0,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["group_id", "municipality_id", "month"],
        set_={
            "posts": col(ActivityMonth.posts) + 1,
            "threads": col(ActivityMonth.threads) + statement.excluded.threads,
        },
    )
    session.execute(statement)


def touch_active(session: Session, user_id: int, now: datetime | None = None) -> bool:
    """Mark the official active now (signing in, posting, reading), unless that was
    recorded within the hour already: then no row changes. Whether a row changed."""
    now = now or utcnow()
    result = session.execute(
        sa.update(User)
        .where(
            col(User.id) == user_id,
            sa.or_(
                col(User.last_active_at).is_(None),
                col(User.last_active_at) < now - ACTIVE_GRANULARITY,
            ),
        )
        .values(last_active_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def rebuild(session: Session) -> int:
    """Recount every counter from the posts (after seeding or bulk imports); the number
    of counter rows. A full scan of the posts: never run it per request."""
    session.flush()
    session.execute(sa.delete(ActivityMonth))
    bucket, to_month = _bucket(session, col(Post.created_at))
    query = (
        sa.select(
            col(Thread.group_id),
            col(User.municipality_id),
            bucket,
            sa.func.count(),
            sa.func.sum(sa.case((col(Post.position) == 1, 1), else_=0)),
        )
        .join(Thread, col(Thread.id) == col(Post.thread_id))
        .join(User, col(User.id) == col(Post.author_id))
        .group_by(col(Thread.group_id), col(User.municipality_id), bucket)
    )
    posts: Counter[tuple[int, int, date]] = Counter()
    threads: Counter[tuple[int, int, date]] = Counter()
    for group_id, municipality_id, at, post_count, thread_count in session.execute(query):
        key = (group_id, municipality_id, to_month(at))
        posts[key] += int(post_count)
        threads[key] += int(thread_count or 0)
    rows = [
        {
            "group_id": group_id,
            "municipality_id": municipality_id,
            "month": month,
            "posts": count,
            "threads": threads[(group_id, municipality_id, month)],
        }
        for (group_id, municipality_id, month), count in posts.items()
    ]
    for start in range(0, len(rows), _BATCH):
        session.execute(sa.insert(ActivityMonth), rows[start : start + _BATCH])
    return len(rows)


def _bucket(session: Session, column: Any) -> tuple[Any, Callable[[Any], date]]:
    """A grouping expression finer than a Swedish month, and how to get the month from it.

    PostgreSQL computes the month in Swedish time itself. SQLite knows no time zones, so
    it groups by the UTC hour: Swedish time is a whole number of hours off UTC, so the
    posts of one UTC hour always belong to one Swedish month.
    """
    if session.get_bind().dialect.name == "postgresql":
        # Literals, not bound parameters: PostgreSQL matches the GROUP BY expression to the
        # selected one only when they are written alike.
        local = sa.func.timezone(sa.literal_column("'Europe/Stockholm'"), column)
        return sa.func.date_trunc(sa.literal_column("'month'"), local), _local_month
    return sa.func.strftime(sa.literal_column("'%Y-%m-%d %H:00:00'"), column), _utc_hour_month


def _local_month(value: datetime) -> date:
    return value.date().replace(day=1)


def _utc_hour_month(value: str) -> date:
    return month_of(datetime.fromisoformat(value).replace(tzinfo=UTC))
