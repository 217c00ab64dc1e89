"""Two years of history for the demo: the seeded discussions spread over the past months.

`seed_demo` writes its discussions within a few weeks; the coordinators' overview would
then show one busy month. `seed_history` moves them back in time instead of adding
more: discussions start one after another over the period (the pinned ones first), each
reply follows the one before by days to weeks, resources and adoptions follow their
discussions, and the demo officials were last active at different times, so that the
30- and 90-day figures differ. Then it recounts the activity counters.

Deterministic for a given `seed`, and never in the future.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from domain import activity
from models import Adoption, Group, Post, Resource, Thread, User, utcnow

_LAST_SEEN_DAYS = (0, 2, 5, 12, 20, 33, 45, 60, 80, 120, 200)
"""How long ago the demo officials were last active, in turn."""


def seed_history(
    session: Session, *, months: int = 24, now: datetime | None = None, seed: int = 2018
) -> None:
    now = now or utcnow()
    rng = random.Random(seed)  # noqa: S311 - demo dates, not secrets
    session.flush()
    threads = list(session.exec(select(Thread).order_by(col(Thread.id))).all())
    posts: dict[int, list[Post]] = defaultdict(list)
    for post in session.exec(select(Post).order_by(col(Post.thread_id), col(Post.position))):
        posts[post.thread_id].append(post)
    pinned = [t for t in threads if t.pinned]
    ordered = pinned + _shuffled([t for t in threads if not t.pinned], rng)
    first = now - timedelta(days=round(months * 30.44))
    step = (now - timedelta(days=14) - first) / max(len(ordered), 1)
    for index, thread in enumerate(ordered):
        start = first + step * index + timedelta(hours=rng.randint(0, 72))
        _spread(thread, posts[thread.id or 0], start, now, rng)
    _follow_threads(session, threads, now, rng)
    _last_seen(session, posts, now)
    session.flush()
    activity.rebuild(session)


def _shuffled(threads: list[Thread], rng: random.Random) -> list[Thread]:
    rng.shuffle(threads)
    return threads


def _spread(
    thread: Thread, posts: list[Post], start: datetime, now: datetime, rng: random.Random
) -> None:
    """The discussion starts at `start`; replies follow after 1–40 days each, squeezed
    together where they would run past now."""
    if not posts:
        return
    gaps = [timedelta(days=rng.uniform(1, 40)) for _ in posts[1:]]
    room = now - timedelta(hours=1) - start
    total = sum(gaps, timedelta())
    if total > room:
        gaps = [gap * (room / total) for gap in gaps]
    moment = start
    for post, gap in zip(posts, [timedelta(), *gaps], strict=True):
        moment += gap
        post.created_at = moment
    thread.created_at = posts[0].created_at
    thread.last_posted_at = posts[-1].created_at


def _follow_threads(
    session: Session, threads: list[Thread], now: datetime, rng: random.Random
) -> None:
    """Resources date from their discussion, adoptions some weeks after them; a group's
    last activity is its latest post."""
    by_id = {t.id: t for t in threads}
    resources = {r.id: r for r in session.exec(select(Resource)).all()}
    for resource in resources.values():
        thread = by_id.get(resource.thread_id)
        if thread is not None:
            resource.created_at = thread.created_at
    for adoption in session.exec(select(Adoption).order_by(col(Adoption.id))).all():
        shared = resources[adoption.resource_id].created_at
        later = shared + timedelta(days=rng.randint(14, 150))
        adoption.created_at = min(later, shared + (now - shared) / 2)
    latest: dict[int, datetime] = {}
    for thread in threads:
        if thread.group_id not in latest or latest[thread.group_id] < thread.last_posted_at:
            latest[thread.group_id] = thread.last_posted_at
    for group in session.exec(select(Group).where(col(Group.id).in_(latest))).all():
        assert group.id is not None
        group.last_activity_at = latest[group.id]


def _last_seen(session: Session, posts: dict[int, list[Post]], now: datetime) -> None:
    last_post: dict[int, datetime] = {}
    for thread_posts in posts.values():
        for post in thread_posts:
            if post.author_id not in last_post or last_post[post.author_id] < post.created_at:
                last_post[post.author_id] = post.created_at
    officials = session.exec(select(User).order_by(col(User.id))).all()
    for index, user in enumerate(officials):
        assert user.id is not None
        seen = now - timedelta(days=_LAST_SEEN_DAYS[index % len(_LAST_SEEN_DAYS)], hours=1)
        user.last_active_at = max(seen, last_post.get(user.id, seen))
