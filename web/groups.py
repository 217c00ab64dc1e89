"""A group's page: who is in it, joining it, and its leads' membership work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from domain import directory, goals, groups, notifications, reading, threads, users
from domain.errors import Conflict, Invalid
from erfa import ratelimit
from erfa.deps import IdPath, RateLimiterDep, SessionDep
from web.deps import SignedIn
from web.rendering import render, see_other

router = APIRouter()
THREADS_PER_PAGE = 50


@router.get("/g/{slug}", name="groups:detail", response_class=HTMLResponse)
def detail(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    view = groups.get_group(session, actor, slug)
    members = groups.list_members(session, actor, slug=slug) if view.can_list_members else []
    discussions = (
        threads.list_threads(
            session,
            actor,
            slug=slug,
            offset=(page - 1) * THREADS_PER_PAGE,
            limit=THREADS_PER_PAGE + 1,
        )
        if view.can_read
        else []
    )
    shown = discussions[:THREADS_PER_PAGE]
    requests = groups.list_join_requests(session, actor, slug=slug) if view.can_manage else []
    context = {
        "view": view,
        "members": members,
        "discussions": shown,
        "unread": reading.read_states(session, actor, [thread for thread, _ in shown]),
        "page": page,
        "following": view.can_read
        and notifications.is_following(session, actor, group_id=view.group.id),
        "more": len(discussions) > THREADS_PER_PAGE,
        "slug": slug,
        "errors": [],
        "join_requests": requests,
        "municipalities": directory.list_municipalities(session),
        "goals": goals.list_goals(session) if view.can_post else [],
        "notice": request.query_params.get("notice"),
    }
    return render(request, "groups/detail.html", context)


@router.post("/g/{slug}/join", name="groups:join")
def join(request: Request, slug: str, session: SessionDep, actor: SignedIn) -> Response:
    outcome = groups.join_group(session, actor, slug=slug)
    notice = "joined" if outcome.membership is not None else "requested"
    return see_other(request, f"/g/{slug}?notice={notice}")


@router.post("/g/{slug}/leave", name="groups:leave")
def leave(request: Request, slug: str, session: SessionDep, actor: SignedIn) -> Response:
    assert actor.user_id is not None
    groups.remove_member(session, actor, slug=slug, user_id=actor.user_id)
    return see_other(request, f"/g/{slug}?notice=left")


@router.post("/g/{slug}/members/{user_id}/remove", name="groups:remove_member")
def remove_member(
    request: Request, slug: str, user_id: IdPath, session: SessionDep, actor: SignedIn
) -> Response:
    groups.remove_member(session, actor, slug=slug, user_id=user_id)
    return see_other(request, f"/g/{slug}?notice=removed")


@router.post("/join-requests/{request_id}/{decision}", name="groups:decide")
def decide(
    request: Request, request_id: IdPath, decision: str, session: SessionDep, actor: SignedIn
) -> Response:
    if decision not in ("approve", "deny"):
        raise Invalid.field("decision", "approve or deny")
    decided = groups.decide_join_request(
        session, actor, request_id=request_id, approve=decision == "approve"
    )
    return see_other(request, f"/g/{decided.group}?notice={decision}d")


@router.post("/g/{slug}/invite", name="groups:invite")
def invite(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    limiter: RateLimiterDep,
    email: Annotated[str, Form(max_length=254)],
    name: Annotated[str, Form(max_length=120)],
    municipality: Annotated[str, Form(max_length=64)],
) -> Response:
    ratelimit.send_invitation(limiter, actor.user_id)
    try:
        users.invite_official(
            session, actor, email=email, name=name, municipality=municipality, group=slug
        )
    except (Invalid, Conflict):
        session.rollback()
        return see_other(request, f"/g/{slug}?notice=invite-failed")
    return see_other(request, f"/g/{slug}?notice=invited")
