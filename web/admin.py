"""The coordinators' pages: officials (invite, suspend, municipality) and sign-up requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from domain import directory, signups, users
from domain.errors import Conflict, Invalid
from erfa import ratelimit
from erfa.deps import IdPath, RateLimiterDep, SessionDep
from web.deps import SignedIn
from web.rendering import render, see_other

router = APIRouter(prefix="/admin")


@router.get("/users", name="admin:users", response_class=HTMLResponse)
def list_users(request: Request, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    context = {
        "officials": users.list_users(session, actor),
        "municipalities": directory.list_municipalities(session),
        "notice": request.query_params.get("notice"),
    }
    return render(request, "admin/users.html", context)


@router.post("/users", name="admin:invite")
def invite(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    limiter: RateLimiterDep,
    email: Annotated[str, Form(max_length=254)],
    name: Annotated[str, Form(max_length=120)],
    municipality: Annotated[str, Form(max_length=64)],
    title: Annotated[str, Form(max_length=120)] = "",
    coordinator: Annotated[bool, Form()] = False,
) -> Response:
    ratelimit.send_invitation(limiter, actor.user_id)
    try:
        users.invite_official(
            session,
            actor,
            email=email,
            name=name,
            title=title,
            municipality=municipality,
            is_coordinator=coordinator,
        )
    except (Invalid, Conflict):
        session.rollback()
        return see_other(request, "/admin/users?notice=invite-failed")
    return see_other(request, "/admin/users?notice=invited")


@router.post("/users/{user_id}/{action}", name="admin:user_action")
def user_action(
    request: Request,
    user_id: IdPath,
    action: str,
    session: SessionDep,
    actor: SignedIn,
    municipality: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    if action in ("suspend", "reactivate"):
        users.set_suspended(session, actor, user_id=user_id, suspended=action == "suspend")
    elif action == "municipality" and municipality:
        users.update_profile(session, actor, user_id=user_id, municipality=municipality)
    else:
        raise Invalid.field("action", "suspend, reactivate or municipality")
    return see_other(request, "/admin/users?notice=saved")


@router.get("/signups", name="admin:signups", response_class=HTMLResponse)
def list_signups(request: Request, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    context = {"requests": signups.list_requests(session, actor)}
    return render(request, "admin/signups.html", context)


@router.post("/signups/{request_id}/{decision}", name="admin:signup_decide")
def decide_signup(
    request: Request, request_id: IdPath, decision: str, session: SessionDep, actor: SignedIn
) -> Response:
    if decision not in ("approve", "deny"):
        raise Invalid.field("decision", "approve or deny")
    signups.decide(session, actor, request_id=request_id, approve=decision == "approve")
    return see_other(request, "/admin/signups")
