"""The changes feed through the JSON API: what integrators follow to mirror erfa exactly.

`next_cursor` is always given: a consumer stores it and asks again later; `has_more` says
whether more is waiting now. The guarantee and its design: docs/SYNC.md.

A page holds up to a thousand items, and an initial sync asks for a thousand pages. So:
- the handlers write the JSON themselves instead of validating a response model per item:
  the posts' items as the database writes them (`sync.post_changes_json`), the resources'
  with pydantic-core from their plain values (`ResourceChange.values()`); either way what
  the documented `SyncOut[...]` models would give (tests/api/test_sync.py compares them),
  in a fraction of the time;
- a request makes one hop to the thread pool, not one per dependency: the handlers are
  `async def` with dependencies that do no blocking work, and identifying the caller,
  reading the page and writing its JSON run together in `_serve`, in a read-only session
  of their own (../shared/STYLE.md, section 5; docs/BENCHMARKS.md, "Sync feed").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, Security
from pydantic_core import to_json
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.auth import ACCESS_TOKEN_SCHEME, API_TOKEN_SCHEME, Bearer, identify
from api.problems import problem_responses
from api.schemas import PostChangeOut, ResourceChangeOut, SyncOut
from domain import sync
from domain.actor import Actor
from domain.cursors import decode_cursor, encode_cursor
from erfa.deps import SettingsDep, SideWrites, SideWritesDep
from erfa.settings import Settings, derive_key

router = APIRouter(prefix="/sync", tags=["sync"])
Limit = Annotated[int, Query(ge=1, le=sync.MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=512)]
AccessToken = Annotated[Bearer, Security(ACCESS_TOKEN_SCHEME)]
ApiToken = Annotated[Bearer, Security(API_TOKEN_SCHEME)]
Feed = Callable[..., sync.Page | sync.JsonPage]


def _position(settings: Settings, kind: str, cursor: str | None) -> sync.Position:
    if not cursor:
        return sync.Position()
    found = decode_cursor(derive_key(settings.secret_key, "cursor"), kind, cursor)
    return sync.Position(int(found.get("t", 0)), int(found.get("s", 0)))


def _cursor(settings: Settings, kind: str, position: sync.Position) -> str:
    key = derive_key(settings.secret_key, "cursor")
    return encode_cursor(key, kind, {"t": position.txid, "s": position.seq})


def _serve(
    request: Request,
    settings: Settings,
    side: SideWrites,
    bearer: Bearer,
    kind: str,
    feed: Feed,
    cursor: str | None,
    limit: int,
) -> Response:
    """One page as the JSON of `SyncOut`: the items' values in the schema's field order,
    datetimes written by pydantic-core as the models write them (`...T09:00:00Z`)."""
    after = _position(settings, kind, cursor)  # a bad cursor is refused before any query
    factory: Callable[[], Session] = request.app.state.read_session_factory
    with factory() as session:
        actor: Actor = identify(request, session, settings, side, bearer)
        page = feed(session, actor, after=after, limit=limit)
        session.commit()
    cursor_json = to_json(_cursor(settings, kind, page.position))
    if isinstance(page, sync.JsonPage):  # the items' JSON as the database wrote it
        items = ",".join(page.items).encode()
    else:
        items = to_json([item.values() for item in page.items])[1:-1]
    body = b'{"items":[%b],"next_cursor":%b,"has_more":%b}' % (
        items,
        cursor_json,
        b"true" if page.has_more else b"false",
    )
    return Response(body, media_type="application/json")


@router.get("/posts", response_model=SyncOut[PostChangeOut], responses=problem_responses(401))
async def posts(
    request: Request,
    settings: SettingsDep,
    side: SideWritesDep,
    access: AccessToken,
    personal: ApiToken,
    cursor: Cursor = None,
    limit: Limit = sync.DEFAULT_LIMIT,
) -> Response:
    """Every post's latest state in change order, from the start or after `cursor`, in
    the groups the caller may read; deleted and hidden posts as tombstones."""
    bearer = access or personal
    return await run_in_threadpool(
        _serve, request, settings, side, bearer, "sync:posts", sync.post_changes_json, cursor, limit
    )


@router.get(
    "/resources", response_model=SyncOut[ResourceChangeOut], responses=problem_responses(401)
)
async def resources(
    request: Request,
    settings: SettingsDep,
    side: SideWritesDep,
    access: AccessToken,
    personal: ApiToken,
    cursor: Cursor = None,
    limit: Limit = sync.DEFAULT_LIMIT,
) -> Response:
    """Every shared resource's latest state in change order, like `/sync/posts`."""
    bearer = access or personal
    return await run_in_threadpool(
        _serve,
        request,
        settings,
        side,
        bearer,
        "sync:resources",
        sync.resource_changes,
        cursor,
        limit,
    )
