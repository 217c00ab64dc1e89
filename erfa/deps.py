"""Request-scoped dependencies shared by both doors (`api/` and `web/`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Path, Request
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from domain import outbox
from erfa import db, mail
from erfa.ratelimit import PostingPace, RateLimiter
from erfa.settings import Settings


async def get_settings(request: Request) -> Settings:
    # The dependencies that only read `app.state` are `async def`: a `def` dependency is a
    # hop to the thread pool of its own (../shared/STYLE.md, section 5).
    settings: Settings = request.app.state.settings
    return settings


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request, background: BackgroundTasks) -> Iterator[Session]:
    """One session per request, committed before the response is sent.

    Safe methods get a read-only session: on SQLite it never waits for a writer. Mail
    that services queued goes out after the commit, once the response is sent; a mail
    server that fails is logged and does not undo what was saved.
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
            outbox.discard(session)
            raise
        # After the response: how long a mail server takes must not tell a caller whether an
        # address has an account (password resets, sign-up requests).
        if mails := outbox.take(session):
            background.add_task(mail.send_queued, state.settings, mails)


class SideWrites:
    """Writes a request makes beside its own work (read markers, when a session or token was
    last used), run after the response in a transaction of their own.

    Never while the request holds its connection: a second connection per request exhausts
    the pool under load (each request waiting for a connection another one holds), and on
    SQLite a second write transaction would wait for the request's own.
    """

    def __init__(self, request: Request, background: BackgroundTasks) -> None:
        self._factory: sessionmaker[Session] = request.app.state.session_factory
        self._background = background

    def add(self, work: Callable[[Session], None]) -> None:
        self._background.add_task(self._run, work)

    def _run(self, work: Callable[[Session], None]) -> None:
        with db.session_scope(self._factory) as session:
            work(session)


async def get_side_writes(request: Request, background: BackgroundTasks) -> SideWrites:
    return SideWrites(request, background)


@contextmanager
def identity_session(request: Request, session: Session) -> Iterator[Session]:
    """Where the caller is identified (session cookie, token, memberships).

    Safe methods use the request's own read-only session. Unsafe ones read through a short
    read-only session of their own, closed before the request's session runs a statement:
    on SQLite the request's write transaction (and its lock) then begins only when the
    service first touches the database, after it has checked, hashed and rendered its
    input, never while the caller is being identified. One connection at a time.
    """
    if request.method in SAFE_METHODS:
        yield session
        return
    factory: sessionmaker[Session] = request.app.state.read_session_factory
    with factory() as reader:
        yield reader


async def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def client_ip(request: Request) -> str:
    """The caller's address (uvicorn resolves X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client else "unknown"


async def get_reader(request: Request) -> sessionmaker[Session]:
    """Short read-only sessions, for work that must not hold SQLite's write lock while it
    runs (a password check takes a quarter of a second). Use as `with reader() as s:` and
    finish with it before the request's own session writes."""
    factory: sessionmaker[Session] = request.app.state.read_session_factory
    return factory


async def get_posting_pace(request: Request) -> PostingPace:
    return PostingPace(
        request.app.state.rate_limiter, request.app.state.settings.min_post_interval_s
    )


SettingsDep = Annotated[Settings, Depends(get_settings)]
PostingPaceDep = Annotated[PostingPace, Depends(get_posting_pace)]
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
"""A row id in a URL: anything outside the database's integer range is a 422, not a 500."""
ReaderDep = Annotated[sessionmaker[Session], Depends(get_reader)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
SideWritesDep = Annotated[SideWrites, Depends(get_side_writes)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
