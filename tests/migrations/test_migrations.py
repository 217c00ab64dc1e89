"""The migrations are the schema: they run up, down and up again, and match the models."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from erfa import db


def _schema_diff(engine: sa.Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": db.include_object}
        )
        return list(compare_metadata(context, SQLModel.metadata))


def test_migrated_schema_has_no_drift_from_the_models(fresh_database_url: str) -> None:
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine)
    diff = _schema_diff(engine)
    engine.dispose()
    assert diff == [], f"models and migrations differ; autogenerate a migration:\n{diff}"


def test_migrations_run_up_down_and_up_again(fresh_database_url: str) -> None:
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
    tables = set(sa.inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables

    db.downgrade(engine, "base")
    assert db.current_revision(engine) is None
    left = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    assert left == set(), f"downgrade left tables behind: {left}"

    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
    engine.dispose()


def test_migration_files_are_named_by_date_and_slug() -> None:
    versions = Path(db.MIGRATIONS_DIR, "versions")
    names = sorted(p.name for p in versions.glob("*.py"))
    assert names, "no migrations"
    for name in names:
        date, _, slug = name.partition("_")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-\d{4}", date), name
        assert slug.endswith(".py"), name
        assert slug[:-3].replace("_", "").isalnum(), name


def test_migrations_form_one_line_of_history() -> None:
    script = ScriptDirectory.from_config(db.alembic_config())
    assert len(script.get_heads()) == 1
