"""Live pages as Server-Sent Events: a discussion's new replies (`GET /t/{id}/live`) and
the discussions begun in a group since its page was rendered (`GET /g/{slug}/live`).

The page (threads/detail.html) names the last post it shows; the stream sends every post
past it, as the page would render it, each as an event whose id is the change's position
in the feed (`txid.seq`). A browser that reconnects sends the last id it got
(`Last-Event-ID`) and is told what came after it, from the database.

While it waits, a stream holds no database session: the process's hub (erfa/live.py)
wakes it when its discussion changed. Then it identifies the reader again from the session
cookie and asks the domain (`domain.live.new_replies`) in one short read session in the
thread pool; a reader who was signed out or may no longer read the discussion gets an
`end` event and the stream ends. A comment every `HEARTBEAT_S` keeps proxies from closing
an idle stream.

A group page names the feed position it was rendered at (`since`); its stream counts the
discussions begun after it that the reader may read, and sends the count (as the notice
the page shows) whenever a newer one began. The event's id is the newest discussion's
position, so a reconnect with `Last-Event-ID` sends nothing already told, and the count
stays the count since the page's own position.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from domain import auth, live
from domain.actor import ANONYMOUS, Actor, load_actor
from domain.errors import NotFound, Unauthenticated
from domain.sync import Position
from erfa import i18n
from erfa.deps import IdPath
from erfa.live import GROUP, THREAD, Full, Key, LiveHub, Subscription
from web import csrf
from web.deps import session_secret
from web.rendering import request_locale, templates

router = APIRouter()

HEARTBEAT_S = 15.0
NO_STORE = {"Cache-Control": "no-store"}
RETRY_AFTER_S = 30
"""What a refused stream (the process holds as many as it may) is told to wait."""
END = "event: end\ndata: \n\n"
"""Told to a reader who may no longer read the discussion: the page stops listening."""
_EVENT_ID = re.compile(r"(\d{1,18})\.(\d{1,18})")


def event_id(position: Position) -> str:
    return f"{position.txid}.{position.seq}"


def parse_event_id(value: str | None) -> Position:
    """The position a reconnecting browser names; the start of the feed when it names
    none (or nothing valid): then the page's last post number bounds what is sent."""
    found = _EVENT_ID.fullmatch((value or "").strip())
    return Position(int(found[1]), int(found[2])) if found else Position()


@dataclass(frozen=True)
class Batch:
    text: str
    """The events, ready to send ("" when nothing changed)."""
    position: Position
    ended: bool = False
    has_more: bool = False


def _reader(request: Request, session: Session) -> Actor:
    """The official behind the session cookie, asked again at every reading."""
    secret = session_secret(request)
    found = auth.find_session(session, secret) if secret else None
    if found is None:
        return ANONYMOUS
    return load_actor(session, found.user_id)


def _read(request: Request, thread_id: int, after_post: int, since: Position) -> Batch:
    """One reading, in the thread pool: the new replies, rendered as the page renders a
    post (threads/post.html), with the session closed before rendering. Raises
    `NotFound` or `Unauthenticated` when the reader may not read the discussion (now)."""
    factory = request.app.state.read_session_factory
    with factory() as session:
        actor = _reader(request, session)
        replies = live.new_replies(
            session, actor, thread_id=thread_id, after_post=after_post, since=since
        )
    request.state.actor = actor
    i18n.activate(request_locale(request))
    template = templates.env.get_template("threads/post.html")
    token = csrf.token(request)
    chunks: list[str] = []
    for reply in replies.replies:
        html = template.render(
            request=request,
            item=reply.view,
            csrf_token=token,
            can_reply=replies.can_reply,
            current_actor=actor,
        )
        data = "".join(f"data: {line}\n" for line in html.strip().splitlines())
        chunks.append(f"id: {event_id(reply.position)}\nevent: post\n{data}\n")
    position = replies.replies[-1].position if replies.replies else since
    return Batch("".join(chunks), position, has_more=replies.has_more)


def _read_on(request: Request, thread_id: int, after_post: int, since: Position) -> Batch:
    """`_read` for a stream under way: a reader who lost the discussion gets `end`."""
    try:
        return _read(request, thread_id, after_post, since)
    except (NotFound, Unauthenticated):
        return Batch(END, since, ended=True)


@router.get("/t/{thread_id}/live", name="threads:live")
async def thread_live(
    request: Request,
    thread_id: IdPath,
    after: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> Response:
    """Replies past post number `after` as they are written (text/event-stream). A client
    that does not accept an event stream gets what is waiting now, and the answer ends."""
    since = parse_event_id(request.headers.get("Last-Event-ID"))
    if "text/event-stream" not in request.headers.get("Accept", ""):
        batch = await run_in_threadpool(_read, request, thread_id, after, since)
        return Response(batch.text, media_type="text/event-stream", headers=NO_STORE)
    return await _stream(
        request,
        (THREAD, thread_id),
        lambda: _read(request, thread_id, after, since),
        lambda since: _read_on(request, thread_id, after, since),
    )


async def _stream(
    request: Request,
    key: Key,
    first: Callable[[], Batch],
    read_on: Callable[[Position], Batch],
) -> Response:
    """Subscribe to `key`, then read what is waiting (`first`: what commits after it wakes
    the stream), then stream; a process that holds as many streams as it may says 503."""
    hub: LiveHub = request.app.state.live
    try:
        subscription = await hub.subscribe(key)
    except Full:
        return Response(status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
    try:
        batch = await run_in_threadpool(first)
    except BaseException:
        subscription.close()
        raise
    return StreamingResponse(
        _events(subscription, batch, read_on),
        media_type="text/event-stream",
        headers={**NO_STORE, "X-Accel-Buffering": "no"},
    )


async def _events(
    subscription: Subscription, batch: Batch, read_on: Callable[[Position], Batch]
) -> AsyncIterator[str]:
    """The stream's events: `batch` first, then `read_on(position)` at every wake-up."""
    try:
        yield f"retry: 2000\n\n{batch.text}"
        while not batch.ended:
            if batch.has_more:
                subscription.wake()
            if not await subscription.wait(HEARTBEAT_S):
                yield ": still here\n\n"
                continue
            if subscription.closed:
                return
            batch = await run_in_threadpool(read_on, batch.position)
            if batch.text:
                yield batch.text
    finally:
        subscription.close()


# --- Group pages: "N new discussions" ---------------------------------------------------


def _after(position: Position, told: Position) -> bool:
    return (position.txid, position.seq) > (told.txid, told.seq)


@dataclass(frozen=True)
class GroupBatch:
    batch: Batch
    group_id: int


def _read_group(request: Request, slug: str, since: Position, told: Position) -> GroupBatch:
    """One reading of a group page's stream, in the thread pool: the count of the
    discussions begun after `since`, as an event when the newest of them is past `told`
    (the last event the page got). Raises `NotFound` or `Unauthenticated` when the reader
    may not read the group (now)."""
    factory = request.app.state.read_session_factory
    with factory() as session:
        actor = _reader(request, session)
        found = live.new_discussions(session, actor, slug=slug, since=since)
    if not found.count or not _after(found.position, told):
        return GroupBatch(Batch("", told), found.group_id)
    request.state.actor = actor
    i18n.activate(request_locale(request))
    html = templates.env.get_template("groups/_new_discussions.html").render(
        request=request, slug=slug, count=found.count
    )
    data = "".join(f"data: {line}\n" for line in html.strip().splitlines())
    text = f"id: {event_id(found.position)}\nevent: discussions\n{data}\n"
    return GroupBatch(Batch(text, found.position), found.group_id)


def _read_group_on(request: Request, slug: str, since: Position, told: Position) -> Batch:
    """`_read_group` for a stream under way: a reader who lost the group gets `end`."""
    try:
        return _read_group(request, slug, since, told).batch
    except (NotFound, Unauthenticated):
        return Batch(END, told, ended=True)


@router.get("/g/{slug}/live", name="groups:live")
async def group_live(
    request: Request,
    slug: str,
    since: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The count of discussions begun in the group after position `since` (the page's),
    sent again whenever another begins (text/event-stream). A client that does not accept
    an event stream gets the count now, and the answer ends."""
    start = parse_event_id(since)
    told = parse_event_id(request.headers.get("Last-Event-ID"))
    if not _after(told, start):
        told = start
    if "text/event-stream" not in request.headers.get("Accept", ""):
        found = await run_in_threadpool(_read_group, request, slug, start, told)
        return Response(found.batch.text, media_type="text/event-stream", headers=NO_STORE)
    found = await run_in_threadpool(_read_group, request, slug, start, told)
    return await _stream(
        request,
        (GROUP, found.group_id),
        lambda: _read_group_on(request, slug, start, told),
        lambda told: _read_group_on(request, slug, start, told),
    )
