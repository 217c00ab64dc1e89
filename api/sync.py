"""The changes feed through the JSON API: what integrators follow to mirror erfa exactly.

`next_cursor` is always given: a consumer stores it and asks again later; `has_more` says
whether more is waiting now. The guarantee and its design: docs/SYNC.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import ApiActor
from api.problems import problem_responses
from api.schemas import PostChangeOut, ResourceChangeOut, SyncOut
from domain import sync
from domain.cursors import decode_cursor, encode_cursor
from erfa.deps import SessionDep, SettingsDep
from erfa.settings import derive_key

router = APIRouter(prefix="/sync", tags=["sync"])
Limit = Annotated[int, Query(ge=1, le=sync.MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=512)]


def _position(settings: SettingsDep, kind: str, cursor: str | None) -> sync.Position:
    if not cursor:
        return sync.Position()
    found = decode_cursor(derive_key(settings.secret_key, "cursor"), kind, cursor)
    return sync.Position(int(found.get("t", 0)), int(found.get("s", 0)))


def _cursor(settings: SettingsDep, kind: str, position: sync.Position) -> str:
    key = derive_key(settings.secret_key, "cursor")
    return encode_cursor(key, kind, {"t": position.txid, "s": position.seq})


@router.get("/posts", responses=problem_responses(401))
def posts(
    session: SessionDep,
    actor: ApiActor,
    settings: SettingsDep,
    cursor: Cursor = None,
    limit: Limit = sync.DEFAULT_LIMIT,
) -> SyncOut[PostChangeOut]:
    """Every post's latest state in change order, from the start or after `cursor`, in
    the groups the caller may read; deleted and hidden posts as tombstones."""
    after = _position(settings, "sync:posts", cursor)
    page = sync.post_changes(session, actor, after=after, limit=limit)
    return SyncOut(
        items=[PostChangeOut.from_change(change) for change in page.items],
        next_cursor=_cursor(settings, "sync:posts", page.position),
        has_more=page.has_more,
    )


@router.get("/resources", responses=problem_responses(401))
def resources(
    session: SessionDep,
    actor: ApiActor,
    settings: SettingsDep,
    cursor: Cursor = None,
    limit: Limit = sync.DEFAULT_LIMIT,
) -> SyncOut[ResourceChangeOut]:
    """Every shared resource's latest state in change order, like `/sync/posts`."""
    after = _position(settings, "sync:resources", cursor)
    page = sync.resource_changes(session, actor, after=after, limit=limit)
    return SyncOut(
        items=[ResourceChangeOut.from_change(change) for change in page.items],
        next_cursor=_cursor(settings, "sync:resources", page.position),
        has_more=page.has_more,
    )
