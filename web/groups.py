"""A group's page, joining and leaving it, and its member list: the leads' membership work.

Every act on the member list works in place with htmx (the row of the member or of the
request is rendered anew, saying what happened or why not) and without JavaScript (303
back to the list with a notice).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from domain import (
    groups,
    memberships,
    users,
)
from domain.actor import Actor
from domain.errors import Conflict, Invalid
from domain.group_page import group_page
from erfa import ratelimit
from erfa.deps import IdPath, RateLimiterDep, SessionDep, SideWritesDep
from models import MemberRole, UserStatus
from web.deps import SignedIn, read_page
from web.feeds import group_feed_url
from web.rendering import is_htmx, render, see_other

router = APIRouter()
PageNumber = Annotated[int, Query(ge=1, le=100_000)]


def group_url(slug: str, suffix: str = "", notice: str = "") -> str:
    path = f"/g/{quote(slug, safe='')}{suffix}"
    return f"{path}?notice={notice}" if notice else path


@router.get("/g/{slug}", name="groups:detail", response_class=HTMLResponse)
async def detail(
    request: Request, slug: str, side: SideWritesDep, page: PageNumber = 1
) -> HTMLResponse:
    def read(session: Session, actor: Actor) -> dict[str, Any]:
        shown = group_page(session, actor, slug, page=page)
        feed_url = group_feed_url(request, session, actor, slug) if shown.view.can_read else None
        return {**shown.context(), "feed_url": feed_url}

    context = await read_page(request, side, read)
    context.update(slug=slug, errors=[], notice=request.query_params.get("notice"))
    return render(request, "groups/detail.html", context)


@router.post("/g/{slug}/join", name="groups:join")
def join(request: Request, slug: str, session: SessionDep, actor: SignedIn) -> Response:
    outcome = groups.join_group(session, actor, slug=slug)
    notice = "joined" if outcome.membership is not None else "requested"
    return see_other(request, group_url(slug, notice=notice))


@router.post("/g/{slug}/leave", name="groups:leave")
def leave(request: Request, slug: str, session: SessionDep, actor: SignedIn) -> Response:
    assert actor.user_id is not None
    try:
        groups.remove_member(session, actor, slug=slug, user_id=actor.user_id)
    except memberships.LastLead:
        session.rollback()
        return see_other(request, group_url(slug, notice="last-lead"))
    return see_other(request, group_url(slug, notice="left"))


@router.get("/g/{slug}/members", name="groups:members", response_class=HTMLResponse)
def members(
    request: Request, slug: str, session: SessionDep, actor: SignedIn, page: PageNumber = 1
) -> HTMLResponse:
    """Members with municipality, role and (for who manages them) last activity, leads
    first; for leads and coordinators also the requests to join and the form to add."""
    context = members_context(session, actor, slug, page)
    context["notice"] = request.query_params.get("notice")
    return render(request, "groups/members.html", context, block="members_section")


def members_context(session: Session, actor: Actor, slug: str, page: int = 1) -> dict[str, Any]:
    return {
        "data": groups.members_page(session, actor, slug=slug, page=page),
        "errors": [],
        "official": "",
        "already": None,
        "added": None,
        "notice": None,
        "invite_errors": [],
        "invite_refused": None,
        "invite": {},
    }


@router.post("/g/{slug}/members", name="groups:add_member")
def add_member(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    official: Annotated[str, Form(max_length=254)],
) -> Response:
    """Add an official who has an account, by email or @handle."""
    try:
        added = groups.add_member(session, actor, slug=slug, official=official)
    except (Invalid, Conflict) as exc:
        session.rollback()
        context = members_context(session, actor, slug)
        context.update(
            errors=exc.errors if isinstance(exc, Invalid) else [],
            refused=exc.detail if isinstance(exc, Conflict) else None,
            official=official,
            already=exc.name if isinstance(exc, memberships.AlreadyMember) else None,
        )
        return render(
            request, "groups/members.html", context, block="members_section", status_code=422
        )
    if is_htmx(request):
        context = members_context(session, actor, slug)
        context["added"] = added.user.name
        return render(request, "groups/members.html", context, block="members_section")
    return see_other(request, group_url(slug, "/members", "added"))


@router.post("/g/{slug}/members/invite", name="groups:invite")
def invite(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    limiter: RateLimiterDep,
    email: Annotated[str, Form(max_length=254)],
    name: Annotated[str, Form(max_length=120)],
    municipality: Annotated[str, Form(max_length=64)],
    title: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    """Invite someone without an account into the group: they get a mail with a link to
    set up their account, and are a member once they have."""
    ratelimit.send_invitation(limiter, actor.user_id)
    try:
        invited = users.invite_official(
            session,
            actor,
            email=email,
            name=name,
            municipality=municipality,
            title=title,
            group=slug,
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        context = members_context(session, actor, slug)
        context.update(
            invite_errors=exc.errors if isinstance(exc, Invalid) else [],
            invite_refused=exc.detail if isinstance(exc, Conflict) else None,
            invite={"email": email, "name": name, "municipality": municipality, "title": title},
        )
        return render(
            request, "groups/members.html", context, block="members_section", status_code=422
        )
    # Someone who has an account already is added at once, and no mail is sent.
    notice = "existing" if invited.status is UserStatus.ACTIVE else "invited"
    if is_htmx(request):
        context = members_context(session, actor, slug)
        context["notice"] = notice
        return render(request, "groups/members.html", context, block="members_section")
    return see_other(request, group_url(slug, "/members", notice))


@router.post("/g/{slug}/members/{user_id}/role", name="groups:set_role")
def set_role(
    request: Request,
    slug: str,
    user_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    role: Annotated[MemberRole, Form()],
) -> Response:
    """Coordinators make a member a lead, or a lead a member again (never the last)."""
    try:
        groups.set_member(session, actor, slug=slug, user_id=user_id, role=role)
    except Conflict as exc:
        return _refused_row(request, session, actor, slug, user_id, exc)
    if is_htmx(request):
        row = groups.member_view(session, actor, slug=slug, user_id=user_id)
        return render(request, "groups/_member_row.html", {"m": row, "row_notice": "role"})
    return see_other(request, group_url(slug, "/members", "role"))


@router.post("/g/{slug}/members/{user_id}/remove", name="groups:remove_member")
def remove_member(
    request: Request, slug: str, user_id: IdPath, session: SessionDep, actor: SignedIn
) -> Response:
    gone = (
        groups.member_view(session, actor, slug=slug, user_id=user_id) if is_htmx(request) else None
    )
    try:
        groups.remove_member(session, actor, slug=slug, user_id=user_id)
    except Conflict as exc:
        return _refused_row(request, session, actor, slug, user_id, exc)
    if gone is not None:
        return render(request, "groups/_member_gone.html", {"m": gone})
    return see_other(request, group_url(slug, "/members", "removed"))


def _refused_row(
    request: Request, session: Session, actor: Actor, slug: str, user_id: int, exc: Conflict
) -> Response:
    """The last lead stays: said in the member's row (htmx) or atop the list."""
    session.rollback()
    notice = "last-lead" if isinstance(exc, memberships.LastLead) else "conflict"
    if not is_htmx(request):
        return see_other(request, group_url(slug, "/members", notice))
    row = groups.member_view(session, actor, slug=slug, user_id=user_id)
    context = {"m": row, "row_error": notice}
    return render(request, "groups/_member_row.html", context, status_code=422)


@router.post("/join-requests/{request_id}/{decision}", name="groups:decide")
def decide(
    request: Request,
    request_id: IdPath,
    decision: str,
    session: SessionDep,
    actor: SignedIn,
    group: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Approve or deny a request to join; `group` (the slug) only says where to go back
    to when the request was decided meanwhile."""
    if decision not in ("approve", "deny"):
        raise Invalid.field("decision", "approve or deny")
    try:
        decided = groups.decide_join_request(
            session, actor, request_id=request_id, approve=decision == "approve"
        )
    except Conflict as exc:
        session.rollback()
        if is_htmx(request):
            context = {"request_id": request_id, "refused": exc.detail}
            return render(request, "groups/_join_request.html", context, status_code=422)
        return see_other(request, group_url(group, "/members", "decided") if group else "/")
    if is_htmx(request):
        return render(request, "groups/_join_request.html", {"decided": decided})
    notice = "approved" if decision == "approve" else "denied"
    return see_other(request, group_url(decided.group, "/members", notice))
