"""Batch migrations on SQLite rebuild tables; that must never cascade into child rows."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from erfa import db


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in ("group", "membership", "thread", "post")
        }


SCHEMA_OF_THE_ROWS = "c931b18a41d4"
"""The revision whose tables the raw rows below fit; later columns need not concern them."""


def test_rebuilding_a_parent_table_keeps_its_children(tmp_path: Path) -> None:
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'batch.db'}")
    db.upgrade(engine, SCHEMA_OF_THE_ROWS)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO user_account (email, name, title, municipality_id, is_coordinator,"
                " status, locale, created_at) SELECT 'a@avesta.se', 'A', '', id, 0, 'active', 'sv',"
                " '2026-01-01' FROM municipality WHERE slug = 'avesta'"
            )
        )
        connection.execute(
            sa.text(
                'INSERT INTO "group" (slug, name, focus_area, description, visibility,'
                " member_count, thread_count, created_at, version)"
                " VALUES ('g', 'G', 'youth', '', 'open', 1, 1,"
                " '2026-01-01', 1)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO membership (group_id, user_id, role, created_at)"
                " VALUES (1, 1, 'member', '2026-01-01')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO thread (group_id, author_id, title, pinned, locked, post_count,"
                " last_posted_at, last_poster_name, created_at, version)"
                " VALUES (1, 1, 'T', 0, 0, 1, '2026-01-01', 'A', '2026-01-01', 1)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO post (thread_id, author_id, position, body, body_html,"
                " renderer_version, version, change_seq, created_at)"
                " VALUES (1, 1, 1, 'x', '<p>x</p>', 1, 1, 1,"
                " '2026-01-01')"
            )
        )
    before = counts(engine)

    with db.migration_connection(engine) as connection:
        operations = Operations(MigrationContext.configure(connection))
        with operations.batch_alter_table("group", recreate="always") as batch:
            batch.add_column(sa.Column("motto", sa.String(50), nullable=True))

    assert counts(engine) == before == {"group": 1, "membership": 1, "thread": 1, "post": 1}
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    engine.dispose()


def test_a_migration_that_breaks_a_foreign_key_is_rolled_back(tmp_path: Path) -> None:
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'broken.db'}")
    db.upgrade(engine)
    broken = pytest.raises(db.MigrationError, match="broke foreign keys")
    with broken, db.migration_connection(engine) as connection:
        connection.execute(
            sa.text(
                "INSERT INTO municipality_domain (municipality_id, domain) VALUES (999, 'x.se')"
            )
        )
    with engine.connect() as connection:
        left = connection.execute(
            sa.text("SELECT count(*) FROM municipality_domain WHERE domain = 'x.se'")
        )
        assert left.scalar_one() == 0
    engine.dispose()
