"""INSERT … ON CONFLICT for the database in use: SQLite and PostgreSQL spell it alike, but
SQLAlchemy builds it from each dialect's own `insert`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert(session: Session, table: Any) -> Any:
    """An INSERT of `table` that offers `on_conflict_do_update` / `on_conflict_do_nothing`."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
