"""Request-scoped dependencies shared by both doors (`api/` and `web/`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from erfa.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed before the response is sent.

    Safe methods get a read-only session: on SQLite it never waits for a writer.
    """
    state = request.app.state
    factory = (
        state.read_session_factory if request.method in SAFE_METHODS else state.session_factory
    )
    with factory() as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
