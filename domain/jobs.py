"""Durable jobs: work that must not be lost but need not happen inside a request.

A job is a row written in the transaction of the change that causes it, so it exists
exactly when the change does. Workers (`erfa serve` runs one, `erfa worker` more) claim
due jobs with a lease: on PostgreSQL `FOR UPDATE SKIP LOCKED`, so that workers never
take the same job; on SQLite writers are serialised anyway. A claimed job is run outside
any transaction and then finished (deleted) or put back with the time of its next try.
A worker that dies mid-job leaves a lease that runs out, and the job runs again: jobs are
at least once, so what they do must be safe to repeat (a webhook delivery keeps its
`webhook-id`, and receivers de-duplicate by it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import Job, utcnow

LEASE = timedelta(seconds=20)
"""How long a claimed job is a worker's: longer than any job runs (a webhook delivery
times out after 10 s)."""
MAX_BACKOFF = timedelta(hours=1)


def enqueue(
    session: Session, kind: str, payload: dict[str, Any], *, run_at: datetime | None = None
) -> Job:
    job = Job(kind=kind, payload=payload, run_at=run_at or utcnow())
    session.add(job)
    return job


def claim(
    session: Session,
    *,
    limit: int,
    now: datetime | None = None,
    kinds: tuple[str, ...] | None = None,
) -> list[Job]:
    """Take up to `limit` due jobs (of `kinds`, if given) for this worker; commit to make
    the claim stick."""
    now = now or utcnow()
    query = (
        select(Job)
        .where(
            col(Job.run_at) <= now,
            sa.or_(col(Job.locked_until).is_(None), col(Job.locked_until) <= now),
            col(Job.kind).in_(kinds) if kinds is not None else sa.true(),
        )
        .order_by(col(Job.run_at), col(Job.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    jobs = list(session.exec(query).all())
    for job in jobs:
        job.locked_until = now + LEASE
        job.attempts += 1
    return jobs


def _claimed(job_id: int, attempts: int | None) -> list[sa.ColumnElement[bool]]:
    """The job, and only while it is still the caller's claim: a claim counts an attempt,
    so a worker whose lease ran out and whose job another worker took no longer matches."""
    where = [col(Job.id) == job_id]
    if attempts is not None:
        where.append(col(Job.attempts) == attempts)
    return where


def finish(session: Session, job_id: int, *, attempts: int | None = None) -> bool:
    """Delete a done job; False when it was no longer this claim's."""
    done = session.execute(sa.delete(Job).where(*_claimed(job_id, attempts)))
    return bool(getattr(done, "rowcount", 0))


def retry(
    session: Session,
    job_id: int,
    *,
    at: datetime,
    error: str | None = None,
    attempts: int | None = None,
) -> bool:
    """Put a job back to run again at `at`; False when it was no longer this claim's."""
    done = session.execute(
        sa.update(Job)
        .where(*_claimed(job_id, attempts))
        .values(run_at=at, locked_until=None, last_error=error)
    )
    return bool(getattr(done, "rowcount", 0))


def own(session: Session, job_id: int, attempts: int) -> bool:
    """Whether the claim still holds, locking the job for the rest of the transaction."""
    query = select(Job.id).where(*_claimed(job_id, attempts))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.exec(query).first() is not None


def backoff(attempts: int, now: datetime | None = None) -> datetime:
    """When a job that failed `attempts` times runs next: doubling from 10 s, at most hourly."""
    delay = min(timedelta(seconds=10 * 2 ** min(max(attempts - 1, 0), 16)), MAX_BACKOFF)
    return (now or utcnow()) + delay


def pending(session: Session, kind: str | None = None) -> int:
    query = select(sa.func.count()).select_from(Job)
    if kind is not None:
        query = query.where(col(Job.kind) == kind)
    return int(session.exec(query).one())
