"""The database layer under concurrent use (SQLite: the one-machine default)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import sqlalchemy as sa

from erfa import db


def test_sqlite_writers_wait_for_each_other_instead_of_failing(tmp_path: Path) -> None:
    """A write session that reads first must not fail when another one commits meanwhile."""
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'concurrent.db'}")
    db.upgrade(engine)
    writes = db.make_session_factory(engine)
    errors: list[BaseException] = []
    first_has_read = threading.Event()

    def read_then_write(name: str, pause: float) -> None:
        try:
            with db.session_scope(writes) as session:
                session.execute(sa.text("SELECT count(*) FROM theme")).scalar_one()
                first_has_read.set()
                time.sleep(pause)
                session.execute(
                    sa.text(
                        "INSERT INTO theme (slug, name, description, starts_on, ends_on)"
                        " VALUES (:s, :s, '', '2026-01-01', '2026-12-31')"
                    ),
                    {"s": name},
                )
        except BaseException as exc:
            errors.append(exc)

    slow = threading.Thread(target=read_then_write, args=("slow", 0.3))
    slow.start()
    first_has_read.wait(5)
    fast = threading.Thread(target=read_then_write, args=("fast", 0))
    fast.start()
    slow.join()
    fast.join()

    assert errors == []
    with engine.connect() as connection:
        slugs = connection.execute(sa.text("SELECT slug FROM theme WHERE slug IN ('slow', 'fast')"))
        assert sorted(slugs.scalars()) == ["fast", "slow"]
    engine.dispose()


def test_sqlite_readers_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'readers.db'}")
    db.upgrade(engine)
    with db.session_scope(db.make_session_factory(engine)) as writer:
        writer.execute(
            sa.text(
                "INSERT INTO theme (slug, name, description, starts_on, ends_on)"
                " VALUES ('w', 'w', '', '2026-01-01', '2026-12-31')"
            )
        )
        started = time.monotonic()
        with db.make_session_factory(engine, read_only=True)() as reader:
            count = reader.execute(sa.text("SELECT count(*) FROM theme")).scalar_one()
        waited = time.monotonic() - started
    assert count == 3  # the writer's row is not visible until it commits
    assert waited < db.SQLITE_BUSY_TIMEOUT_MS / 1000 / 2
    engine.dispose()


def test_the_read_only_option_marks_only_read_sessions(tmp_path: Path) -> None:
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'options.db'}")
    with db.make_session_factory(engine, read_only=True)() as session:
        assert session.connection().get_execution_options().get(db.READ_ONLY) is True
    with db.make_session_factory(engine)() as session:
        assert db.READ_ONLY not in session.connection().get_execution_options()
    engine.dispose()
