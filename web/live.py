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

The header's count of unread notifications is one more event, `notifications` (the count
as the header shows it, `notifications/_count.html`), with no id: it is state, not
history, so every stream that carries it sends it at its start and again whenever it
changed (the hub wakes the stream at the reader's key, `("user", id)`), counted as the
header counts (`notifications.unread_count`). One stream a page: a discussion's or group's
stream carries it when the page asks (`notifications=1`), and other pages open
`GET /notifications/live`, which carries nothing else.
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

from domain import auth, live, notifications, policy
from domain.actor import ANONYMOUS, Actor, load_actor
from domain.errors import NotFound, Unauthenticated
from domain.sync import Position
from erfa import i18n
from erfa.deps import IdPath
from erfa.live import GROUP, THREAD, USER, Full, Key, LiveHub, Subscription
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
class Wake:
    """What one reading is for."""

    page: bool = True
    """The page's own news: new replies, new discussions."""
    count: bool = False
    """The header's count of unread notifications."""
    first: bool = False
    """The stream's first reading: the hub also needs the reader's unread marks."""
    told: int | None = None
    """The count the page was told last (None: none yet)."""


@dataclass(frozen=True)
class Batch:
    text: str
    """The events, ready to send ("" when nothing changed)."""
    position: Position
    ended: bool = False
    has_more: bool = False
    told: int | None = None
    """The header's count, as the page knows it after these events."""
    user_id: int | None = None
    """The reader, when the count was read."""
    marks: live.Marks | None = None


Reading = Callable[[Wake, Position], Batch]


@dataclass(frozen=True)
class Count:
    user_id: int
    unread: int
    marks: live.Marks | None


def _count(session: Session, actor: Actor, wake: Wake) -> Count | None:
    """The reader's unread notifications, when the reading is for them."""
    if not wake.count:
        return None
    policy.require_signed_in(actor)
    assert actor.user_id is not None
    marks = live.unread_marks(session, [actor.user_id])[actor.user_id] if wake.first else None
    return Count(actor.user_id, notifications.unread_count(session, actor), marks)


def _data(html: str) -> str:
    """`html` as an event's data lines: at least one, as an event without data is dropped."""
    return "".join(f"data: {line}\n" for line in html.strip().splitlines() or [""])


def _count_event(request: Request, count: Count | None, told: int | None) -> str:
    """The `notifications` event when the count differs from what the page was told."""
    if count is None or count.unread == told:
        return ""
    html = templates.env.get_template("notifications/_count.html").render(
        request=request, unread_notifications=count.unread
    )
    return f"event: notifications\n{_data(html)}\n"


def _batch(
    text: str, position: Position, count: Count | None, wake: Wake, *, has_more: bool = False
) -> Batch:
    if count is None:
        return Batch(text, position, has_more=has_more, told=wake.told)
    return Batch(
        text,
        position,
        has_more=has_more,
        told=count.unread,
        user_id=count.user_id,
        marks=count.marks,
    )


def _reader(request: Request, session: Session) -> Actor:
    """The official behind the session cookie, asked again at every reading."""
    secret = session_secret(request)
    found = auth.find_session(session, secret) if secret else None
    if found is None:
        return ANONYMOUS
    return load_actor(session, found.user_id)


def _read(
    request: Request, thread_id: int, after_post: int, since: Position, wake: Wake = Wake()
) -> Batch:
    """One reading, in the thread pool: the new replies, rendered as the page renders a
    post (threads/post.html), and the header's count if `wake` asks, with the session
    closed before rendering. Raises `NotFound` or `Unauthenticated` when the reader may
    not read the discussion (now)."""
    factory = request.app.state.read_session_factory
    with factory() as session:
        actor = _reader(request, session)
        replies = None
        if wake.page:
            replies = live.new_replies(
                session, actor, thread_id=thread_id, after_post=after_post, since=since
            )
        count = _count(session, actor, wake)
    request.state.actor = actor
    i18n.activate(request_locale(request))
    chunks = [_count_event(request, count, wake.told)]
    if replies is None or not replies.replies:
        more = replies is not None and replies.has_more
        return _batch("".join(chunks), since, count, wake, has_more=more)
    template = templates.env.get_template("threads/post.html")
    token = csrf.token(request)
    for reply in replies.replies:
        html = template.render(
            request=request,
            item=reply.view,
            csrf_token=token,
            can_reply=replies.can_reply,
            current_actor=actor,
        )
        chunks.append(f"id: {event_id(reply.position)}\nevent: post\n{_data(html)}\n")
    position = replies.replies[-1].position
    return _batch("".join(chunks), position, count, wake, has_more=replies.has_more)


def _ended(read: Reading) -> Reading:
    """`read` for a stream under way: a reader who lost what it shows gets `end`."""

    def read_on(wake: Wake, since: Position) -> Batch:
        try:
            return read(wake, since)
        except (NotFound, Unauthenticated):
            return Batch(END, since, ended=True)

    return read_on


@router.get("/t/{thread_id}/live", name="threads:live")
async def thread_live(
    request: Request,
    thread_id: IdPath,
    after: Annotated[int, Query(ge=0, le=2**31)] = 0,
    counted: Annotated[bool, Query(alias="notifications")] = False,
) -> Response:
    """Replies past post number `after` as they are written (text/event-stream), and with
    `notifications=1` the header's count. A client that does not accept an event stream
    gets the replies waiting now, and the answer ends."""
    since = parse_event_id(request.headers.get("Last-Event-ID"))
    if "text/event-stream" not in request.headers.get("Accept", ""):
        batch = await run_in_threadpool(_read, request, thread_id, after, since)
        return Response(batch.text, media_type="text/event-stream", headers=NO_STORE)
    return await _stream(
        request,
        (THREAD, thread_id),
        lambda wake, since: _read(request, thread_id, after, since, wake),
        since,
        counted=counted,
    )


async def _stream(
    request: Request, page: Key | None, read: Reading, start: Position, *, counted: bool
) -> Response:
    """Subscribe to `page` (the page's own key, if any), then read what is waiting (what
    commits after the subscription wakes the stream), then follow the reader's
    notifications too if the stream is `counted`, and stream; a process that holds as many
    streams as it may says 503."""
    hub: LiveHub = request.app.state.live
    try:
        subscription = await hub.subscribe(*([page] if page else []))
    except Full:
        return Response(status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
    since = hub.user_changes
    try:
        batch = await run_in_threadpool(read, Wake(count=counted, first=True), start)
    except BaseException:
        subscription.close()
        raise
    if batch.user_id is not None:
        subscription.follow((USER, batch.user_id), batch.marks, since=since)
    return StreamingResponse(
        _events(subscription, batch, _ended(read), page),
        media_type="text/event-stream",
        headers={**NO_STORE, "X-Accel-Buffering": "no"},
    )


async def _events(
    subscription: Subscription, batch: Batch, read_on: Reading, page: Key | None
) -> AsyncIterator[str]:
    """The stream's events: `batch` first, then `read_on` at every wake-up, for what
    changed: the page's news (`page`), the header's count (the reader's key)."""
    try:
        yield f"retry: 2000\n\n{batch.text}"
        while not batch.ended:
            if batch.has_more and page is not None:
                subscription.wake(page)
            if not await subscription.wait(HEARTBEAT_S):
                yield ": still here\n\n"
                continue
            if subscription.closed:
                return
            woken = subscription.woken()
            wake = Wake(
                page=page in woken,
                count=any(key[0] == USER for key in woken),
                told=batch.told,
            )
            if not (wake.page or wake.count):
                continue
            batch = await run_in_threadpool(read_on, wake, batch.position)
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


def _read_group(
    request: Request, slug: str, since: Position, told: Position, wake: Wake = Wake()
) -> GroupBatch:
    """One reading of a group page's stream, in the thread pool: the count of the
    discussions begun after `since`, as an event when the newest of them is past `told`
    (the last event the page got), and the header's count if `wake` asks. Raises
    `NotFound` or `Unauthenticated` when the reader may not read the group (now)."""
    factory = request.app.state.read_session_factory
    with factory() as session:
        actor = _reader(request, session)
        found = live.new_discussions(session, actor, slug=slug, since=since) if wake.page else None
        count = _count(session, actor, wake)
    request.state.actor = actor
    i18n.activate(request_locale(request))
    text = _count_event(request, count, wake.told)
    group_id = found.group_id if found is not None else 0
    if found is None or not found.count or not _after(found.position, told):
        return GroupBatch(_batch(text, told, count, wake), group_id)
    html = templates.env.get_template("groups/_new_discussions.html").render(
        request=request, slug=slug, count=found.count
    )
    text += f"id: {event_id(found.position)}\nevent: discussions\n{_data(html)}\n"
    return GroupBatch(_batch(text, found.position, count, wake), group_id)


@router.get("/g/{slug}/live", name="groups:live")
async def group_live(
    request: Request,
    slug: str,
    since: Annotated[str, Query(max_length=40)] = "",
    counted: Annotated[bool, Query(alias="notifications")] = False,
) -> Response:
    """The count of discussions begun in the group after position `since` (the page's),
    sent again whenever another begins (text/event-stream), and with `notifications=1`
    the header's count. A client that does not accept an event stream gets the count of
    discussions now, and the answer ends."""
    start = parse_event_id(since)
    told = parse_event_id(request.headers.get("Last-Event-ID"))
    if not _after(told, start):
        told = start
    found = await run_in_threadpool(_read_group, request, slug, start, told)
    if "text/event-stream" not in request.headers.get("Accept", ""):
        return Response(found.batch.text, media_type="text/event-stream", headers=NO_STORE)
    return await _stream(
        request,
        (GROUP, found.group_id),
        lambda wake, told: _read_group(request, slug, start, told, wake).batch,
        told,
        counted=counted,
    )


# --- Every other page: the header's count -----------------------------------------------


def _read_count(request: Request, wake: Wake) -> Batch:
    """One reading of the header's count, in the thread pool. Raises `Unauthenticated`
    when the reader is signed out (now)."""
    factory = request.app.state.read_session_factory
    with factory() as session:
        count = _count(session, _reader(request, session), wake)
    i18n.activate(request_locale(request))
    return _batch(_count_event(request, count, wake.told), Position(), count, wake)


@router.get("/notifications/live", name="notifications:live")
async def notifications_live(request: Request) -> Response:
    """The header's count of unread notifications now, and again whenever it changed
    (text/event-stream). A client that does not accept an event stream gets the count
    now, and the answer ends."""
    wake = Wake(page=False, count=True)
    if "text/event-stream" not in request.headers.get("Accept", ""):
        batch = await run_in_threadpool(_read_count, request, wake)
        return Response(batch.text, media_type="text/event-stream", headers=NO_STORE)
    # Signed out meanwhile: `end`, which the page heeds, rather than a way to sign in.
    read = _ended(lambda wake, _: _read_count(request, wake))
    return await _stream(request, None, read, Position(), counted=True)
