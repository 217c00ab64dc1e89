"""Moderation through the JSON API: discussions (pin, lock, move, rename, slow mode), posts
(hide, restore), flags and the moderation queue. The same services as the pages."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response

from api.auth import ApiActor
from api.etags import ETAG_HEADER, IfMatch, etag_of, if_match_version
from api.pagination import Page
from api.problems import problem_responses
from api.schemas import (
    FlagCreatedOut,
    FlagIn,
    FlagOut,
    FlagResolveIn,
    HideIn,
    ListOut,
    MoveIn,
    PostOut,
    ReasonIn,
    ThreadOut,
    ThreadPatch,
)
from domain import flags, moderation, threads
from erfa.deps import IdPath, SessionDep

router = APIRouter(tags=["moderation"])

REFUSALS = problem_responses(401, 403, 404, 409)


def _thread_out(session: SessionDep, actor: ApiActor, thread_id: int) -> ThreadOut:
    return ThreadOut.from_view(threads.get_thread(session, actor, thread_id))


@router.post("/threads/{thread_id}/lock", responses=REFUSALS)
def lock(
    thread_id: IdPath, session: SessionDep, actor: ApiActor, data: ReasonIn | None = None
) -> ThreadOut:
    """Lock a discussion: it takes no more replies. The optional reason is shown in it."""
    reason = data.reason if data is not None else None
    moderation.set_locked(session, actor, thread_id=thread_id, locked=True, reason=reason)
    return _thread_out(session, actor, thread_id)


@router.post("/threads/{thread_id}/unlock", responses=REFUSALS)
def unlock(thread_id: IdPath, session: SessionDep, actor: ApiActor) -> ThreadOut:
    moderation.set_locked(session, actor, thread_id=thread_id, locked=False)
    return _thread_out(session, actor, thread_id)


@router.post("/threads/{thread_id}/pin", responses=REFUSALS)
def pin(thread_id: IdPath, session: SessionDep, actor: ApiActor) -> ThreadOut:
    moderation.set_pinned(session, actor, thread_id=thread_id, pinned=True)
    return _thread_out(session, actor, thread_id)


@router.post("/threads/{thread_id}/unpin", responses=REFUSALS)
def unpin(thread_id: IdPath, session: SessionDep, actor: ApiActor) -> ThreadOut:
    moderation.set_pinned(session, actor, thread_id=thread_id, pinned=False)
    return _thread_out(session, actor, thread_id)


@router.post("/threads/{thread_id}/move", responses=REFUSALS)
def move(thread_id: IdPath, data: MoveIn, session: SessionDep, actor: ApiActor) -> ThreadOut:
    """Move a discussion to another group the caller moderates; its address stays."""
    moderation.move(session, actor, thread_id=thread_id, target_slug=data.group)
    return _thread_out(session, actor, thread_id)


@router.patch(
    "/threads/{thread_id}",
    responses={**problem_responses(401, 403, 404, 409, 412), 200: {"headers": ETAG_HEADER}},
)
def patch_thread(
    thread_id: IdPath,
    data: ThreadPatch,
    response: Response,
    session: SessionDep,
    actor: ApiActor,
    if_match: IfMatch = None,
) -> ThreadOut:
    """Rename a discussion or set its slow mode (moderators); `If-Match` with a stale
    version is a 412."""
    moderation.update_thread(
        session,
        actor,
        thread_id=thread_id,
        title=data.title,
        slow_mode_s=data.slow_mode_s,
        expected_version=if_match_version(if_match),
    )
    out = _thread_out(session, actor, thread_id)
    response.headers["ETag"] = etag_of(out.version)
    return out


@router.post("/posts/{post_id}/hide", responses=REFUSALS)
def hide(post_id: IdPath, data: HideIn, session: SessionDep, actor: ApiActor) -> PostOut:
    """Hide a post with a reason; its author is told and sees the reason."""
    moderation.hide_post(session, actor, post_id=post_id, reason=data.reason)
    return PostOut.from_view(threads.get_post(session, actor, post_id))


@router.post("/posts/{post_id}/restore", responses=REFUSALS)
def restore(post_id: IdPath, session: SessionDep, actor: ApiActor) -> PostOut:
    moderation.restore_post(session, actor, post_id=post_id)
    return PostOut.from_view(threads.get_post(session, actor, post_id))


@router.post("/posts/{post_id}/flags", status_code=201, responses=REFUSALS)
def flag(post_id: IdPath, data: FlagIn, session: SessionDep, actor: ApiActor) -> FlagCreatedOut:
    """Flag someone else's post for the group's leads, once per post."""
    created = flags.flag_post(session, actor, post_id=post_id, reason=data.reason)
    assert created.id is not None
    return FlagCreatedOut(
        id=created.id, post_id=post_id, reason=created.reason, created_at=created.created_at
    )


@router.get("/groups/{slug}/flags", responses=problem_responses(401, 403, 404))
def list_flags(
    slug: str,
    session: SessionDep,
    actor: ApiActor,
    page: Page,
    status: Literal["open", "resolved"] = "open",
) -> ListOut[FlagOut]:
    """The group's moderation queue, newest first: several flags on one post are one item."""
    scope = f"flags:{slug}:{status}"
    after = page.position(scope)
    before = (flags.parse_at(after["at"]), after["id"]) if after else None
    items = flags.list_items(
        session, actor, slug=slug, open_only=status == "open", before=before, limit=page.fetch
    )
    shown, next_cursor = page.window(
        scope, items, lambda item: {"at": item.created_at.isoformat(), "id": item.id}
    )
    return ListOut(items=[FlagOut.from_item(item) for item in shown], next_cursor=next_cursor)


@router.post("/flags/{flag_id}/resolve", responses=REFUSALS)
def resolve(flag_id: IdPath, data: FlagResolveIn, session: SessionDep, actor: ApiActor) -> FlagOut:
    """Hide the post (a reason is required) or dismiss the flags; the flaggers are told."""
    item = flags.resolve(
        session,
        actor,
        flag_id=flag_id,
        action=flags.Resolution(data.action),
        reason=data.reason,
    )
    return FlagOut.from_item(item)
