"""Engines, sessions and migrations: the same code for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from erfa.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "alembic"
SQLITE_BUSY_TIMEOUT_MS = 5000
PG_CONNECT_TIMEOUT_S = 5
READ_ONLY = "erfa_read_only"
"""Execution option for sessions that only read: on SQLite they begin a deferred transaction."""
MIGRATION_FILE_TEMPLATE = (
    "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s"  # YYYY-MM-DD-HHMM_slug
)


def create_db_engine(database_url: str, **kwargs: Any) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    connect_args = (
        {"connect_timeout": PG_CONNECT_TIMEOUT_S} if url.get_backend_name() == "postgresql" else {}
    )
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys and a busy timeout on every connection.

    pysqlite's own transaction handling does not emit BEGIN before reads and breaks
    SAVEPOINT; SQLAlchemy's documented recipe hands transaction control back to us.
    Transactions that may write begin IMMEDIATE: a deferred one that reads first and
    writes later fails at once with "database is locked" when another connection wrote
    in between, and the busy timeout cannot help it. Read-only sessions (`READ_ONLY`)
    stay deferred so that readers never wait for a writer.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_session_factory(
    bind: Engine | sa.Connection, *, read_only: bool = False, **kwargs: Any
) -> sessionmaker[Session]:
    if read_only and isinstance(bind, Engine):
        bind = bind.execution_options(**{READ_ONLY: True})
    return sessionmaker(bind=bind, class_=Session, expire_on_commit=False, **kwargs)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work outside a request (CLI, seeding, jobs): commit on success."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


def safe_url(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


SEARCH_TOOLS = ("search_fts", "ix_search_entry_fulltext")
"""Made by hand in the search migration, for one backend each; not in the models."""


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare: Any) -> bool:
    """What autogenerate compares: everything but the hand-made search tools."""
    return not (name or "").startswith(SEARCH_TOOLS)


def alembic_config(connection: sa.Connection | None = None, database_url: str = "") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "file_template", "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s"
    )
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


# Any constant works; it only has to be the same in every erfa process.
_MIGRATION_LOCK_ID = 0x65726661


class MigrationError(RuntimeError):
    pass


@contextmanager
def migration_connection(engine: Engine) -> Iterator[sa.Connection]:
    """A connection in one transaction, fit for schema changes.

    On SQLite, foreign keys are off while it runs: batch mode rebuilds a table by copying
    and dropping it, and with foreign keys on the drop would cascade into its children.
    They are checked before the commit instead. On PostgreSQL an advisory lock makes
    workers and hosts that start together take turns.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.dbapi_connection
        if sqlite:
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")  # only outside a transaction
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
                    )
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise MigrationError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                assert raw is not None
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    with migration_connection(engine) as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with migration_connection(engine) as connection:
        command.downgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def check_connection(engine: Engine) -> None:
    with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
        connection.execute(sa.text("SELECT 1"))


def engine_from_settings(settings: Settings) -> Engine:
    return create_db_engine(settings.database_url)
