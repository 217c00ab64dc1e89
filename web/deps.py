"""Dependencies of the pages: who is signed in, from the session cookie."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from domain import auth, notifications, policy
from domain.actor import ANONYMOUS, Actor, load_actor
from erfa.bodies import read_upload
from erfa.deps import SessionDep, SideWrites, SideWritesDep, identity_session
from erfa.settings import Settings
from web.rendering import is_htmx

SESSION_COOKIE = "erfa_session"
SECURE_SESSION_COOKIE = "__Host-erfa_session"
"""Over https the session cookie carries the __Host- prefix: Secure, path /, no Domain, so
no subdomain or plain-http page can plant or overwrite it."""


def session_cookie(settings: Settings) -> str:
    return SECURE_SESSION_COOKIE if settings.is_https else SESSION_COOKIE


def session_secret(request: Request) -> str:
    """The secret of the browser's session cookie ("" without one)."""
    return request.cookies.get(session_cookie(request.app.state.settings), "")


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    settings: Settings = request.app.state.settings
    response.set_cookie(
        session_cookie(settings),
        secret,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.is_https,
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    settings: Settings = request.app.state.settings
    response.delete_cookie(
        session_cookie(settings), path="/", secure=settings.is_https, httponly=True
    )


def get_web_actor(request: Request, session: SessionDep, side: SideWritesDep) -> Actor:
    """The official behind the session cookie, or ANONYMOUS."""
    return identify(request, session, side)


def identify(request: Request, session: Session, side: SideWrites) -> Actor:
    """The official behind the session cookie, or ANONYMOUS; the header's unread count
    and `request.state.actor` for the page's rendering."""
    actor = ANONYMOUS
    secret = session_secret(request)
    with identity_session(request, session) as reader:
        found = auth.session_and_official(reader, secret) if secret else None
        if found is not None and (web_session := found[0]).id is not None:
            actor = load_actor(reader, web_session.user_id, user=found[1])
            if actor.signed_in and auth.needs_touch(web_session):
                session_id = web_session.id
                side.add(lambda writer: auth.touch_session(writer, session_id))
        if actor.signed_in and not is_htmx(request):  # a fragment has no header to count in
            request.state.unread_notifications = notifications.unread_count(reader, actor)
    request.state.actor = actor if actor.signed_in else None
    return actor


def get_signed_in_actor(actor: Annotated[Actor, Depends(get_web_actor)]) -> Actor:
    """Pages other than sign-in, invitation and reset need a signed-in official."""
    policy.require_signed_in(actor)
    return actor


Shown = TypeVar("Shown")

PAGE_READS_AT_ONCE = 4
"""Hops of `read_page` one process runs at once (its own limiter, `app.state.page_limiter`;
other thread-pool work keeps anyio's 40). More threads than this only take turns at the
GIL: a page then waits behind every other one's slices instead of in line, and the
slowest pages of a busy worker take twice as long (docs/BENCHMARKS.md, "Pages against the
stack's ceiling")."""


async def read_page(
    request: Request, side: SideWrites, read: Callable[[Session, Actor], Shown]
) -> Shown:
    """A page that only reads, in one thread-pool hop: a read-only session, the signed-in
    official identified, and `read` (the page's domain read model) with them; committed
    and closed before the page is rendered on the event loop.

    Each `def` handler and `def` dependency is a hop of its own, and under load the hops
    cost the busiest pages more than their queries did (docs/BENCHMARKS.md, "Where a page's
    time goes"). A page that cannot be shown raises as its `def` version did.
    """

    def hop() -> Shown:
        with request.app.state.read_session_factory() as session:
            actor = identify(request, session, side)
            policy.require_signed_in(actor)
            shown = read(session, actor)
            session.commit()
            return shown

    limiter: anyio.CapacityLimiter = request.app.state.page_limiter
    return await anyio.to_thread.run_sync(hop, limiter=limiter)


WebActor = Annotated[Actor, Depends(get_web_actor)]
SignedIn = Annotated[Actor, Depends(get_signed_in_actor)]


async def _signed_in_upload(request: Request, actor: SignedIn) -> AsyncIterator[UploadFile]:
    """The one file of an upload form, parsed once the official is known (CSRF is checked
    before, from the query string: see web/csrf.py)."""
    async with read_upload(request) as upload:
        yield upload


SignedInUpload = Annotated[UploadFile, Depends(_signed_in_upload)]


def file_chunks(file: UploadFile) -> Iterator[bytes]:
    """The uploaded file a megabyte at a time, as the domain's file store reads it."""
    return iter(lambda: file.file.read(1024 * 1024), b"")
