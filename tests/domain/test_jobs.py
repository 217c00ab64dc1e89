"""Durable jobs on a database of their own: claims that never overlap, leases that run out,
and a runner that puts failed work back instead of losing it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from domain import jobs
from erfa import db, worker
from erfa.settings import Settings
from models import Job, utcnow


@pytest.fixture
def engine(fresh_database_url: str) -> Iterator[Engine]:
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


def add(engine: Engine, count: int, kind: str = "test.noop") -> None:
    with db.session_scope(db.make_session_factory(engine)) as session:
        for n in range(count):
            jobs.enqueue(session, kind, {"n": n}, run_at=utcnow() - timedelta(seconds=1))


def test_two_workers_claiming_at_once_never_take_the_same_job(engine: Engine) -> None:
    add(engine, 40)
    factory = db.make_session_factory(engine)
    barrier = threading.Barrier(2)
    taken: list[list[int]] = [[], []]

    def claim(slot: int) -> None:
        with factory() as session:
            barrier.wait()
            claimed = jobs.claim(session, limit=30)
            taken[slot] = [job.id for job in claimed if job.id is not None]
            session.commit()

    threads = [threading.Thread(target=claim, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = taken
    assert not set(first) & set(second)
    assert len(first) + len(second) == 40  # 30 for one, the 10 left for the other


def test_a_lease_that_runs_out_gives_the_job_to_the_next_worker(engine: Engine) -> None:
    add(engine, 1)
    factory = db.make_session_factory(engine)
    with db.session_scope(factory) as session:
        [job] = jobs.claim(session, limit=5)
    with db.session_scope(factory) as session:
        assert jobs.claim(session, limit=5) == []  # the first worker's lease holds
    later = utcnow() + jobs.LEASE + timedelta(seconds=1)
    with db.session_scope(factory) as session:
        [again] = jobs.claim(session, limit=5, now=later)
        assert again.id == job.id
        assert again.attempts == 2


def test_a_failing_job_is_put_back_with_its_error_and_a_later_time(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    add(engine, 1, kind="test.unknown")
    runner = worker.Runner(settings.model_copy(update={"data_dir": tmp_path}), engine)
    assert runner.run_jobs() == 1
    with Session(engine) as session:
        [job] = session.exec(select(Job)).all()
    assert job.attempts == 1
    assert job.locked_until is None
    assert "no handler" in (job.last_error or "")
    assert job.run_at > utcnow() + timedelta(seconds=5)
    assert runner.run_jobs() == 0  # not due yet


def test_a_finished_job_is_gone(engine: Engine, settings: Settings) -> None:
    add(engine, 3)
    runner = worker.Runner(settings, engine)
    done: list[object] = []

    def finish(job: Job) -> None:
        done.append(job.payload["n"])
        assert job.id is not None
        with db.session_scope(runner.factory) as session:
            jobs.finish(session, job.id)

    runner.handlers["test.noop"] = finish
    assert runner.run_jobs() == 3
    assert sorted(done) == [0, 1, 2]  # type: ignore[type-var]
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM job")).scalar_one() == 0


def test_backoff_doubles_and_stops_at_an_hour() -> None:
    now = utcnow()
    waits = [jobs.backoff(attempts, now) - now for attempts in (1, 2, 3, 10, 500)]
    assert waits == [
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=40),
        timedelta(hours=1),
        timedelta(hours=1),
    ]
