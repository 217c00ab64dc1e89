"""The coordinators' pages: officials (search, invite, suspend, reactivate, municipality,
coordinator role, invitations, erasure of personal data) and sign-up requests.

Each act on an official works in place with htmx (its table row is rendered anew, with a
notice or an error) and without JavaScript (303 back to the list with a notice).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from domain import audit, directory, erasure, officials, personal_data, signups, users
from domain.actor import Actor
from domain.errors import Conflict, Invalid
from erfa import ratelimit
from erfa.deps import IdPath, RateLimiterDep, SessionDep, SettingsDep
from web.deps import SignedIn
from web.rendering import is_htmx, render, see_other

router = APIRouter(prefix="/admin")

Act = Callable[[], officials.OfficialView]


def official_filters(
    q: Annotated[str, Query(max_length=120)] = "",
    municipality: Annotated[str, Query(max_length=64)] = "",
    group: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
) -> officials.OfficialFilters:
    return officials.OfficialFilters(
        q=q or None, municipality=municipality or None, group=group or None, status=status or None
    )


@router.get("/users", name="admin:users", response_class=HTMLResponse)
def list_users(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    filters: Annotated[officials.OfficialFilters, Depends(official_filters)],
    after: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> HTMLResponse:
    page = officials.officials_page(session, actor, filters=filters, after_id=after)
    context = {
        "page": page,
        "municipalities": page.municipalities,
        "query": _query(filters),
        "notice": request.query_params.get("notice"),
        "error": request.query_params.get("error"),
        "max_reason": audit.MAX_REASON,
    }
    status = 422 if page.errors else 200
    return render(request, "admin/users.html", context, block="officials_list", status_code=status)


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


@router.get("/users/{user_id}/row", name="admin:user_row", response_class=HTMLResponse)
def user_row(request: Request, user_id: IdPath, session: SessionDep, actor: SignedIn) -> Response:
    """An official's row as it stands (htmx: cancelling the suspension form)."""
    view = officials.get_official(session, actor, user_id=user_id)
    if not is_htmx(request):
        return see_other(request, "/admin/users")
    return _row(request, session, view)


@router.get("/users/{user_id}/suspend", name="admin:suspend_form", response_class=HTMLResponse)
def suspend_form(
    request: Request, user_id: IdPath, session: SessionDep, actor: SignedIn
) -> HTMLResponse:
    """Confirm a suspension and give its reason: in the row with htmx, else on a page."""
    view = officials.get_official(session, actor, user_id=user_id)
    return _suspend_form(request, session, view, errors=[], draft="", status_code=200)


@router.post("/users/{user_id}/suspend", name="admin:suspend")
def suspend(
    request: Request,
    user_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    reason: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    try:
        view = officials.suspend_official(session, actor, user_id=user_id, reason=reason)
    except Invalid as exc:
        session.rollback()
        current = officials.get_official(session, actor, user_id=user_id)
        return _suspend_form(request, session, current, errors=exc.errors, draft=reason)
    except Conflict:
        return _refused(request, session, actor, user_id, "conflict")
    return _done(request, session, view, "suspended")


@router.post("/users/{user_id}/reactivate", name="admin:reactivate")
def reactivate(request: Request, user_id: IdPath, session: SessionDep, actor: SignedIn) -> Response:
    return _act(
        request,
        session,
        actor,
        user_id,
        lambda: officials.reactivate_official(session, actor, user_id=user_id),
        "reactivated",
    )


@router.post("/users/{user_id}/municipality", name="admin:municipality")
def change_municipality(
    request: Request,
    user_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    municipality: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    return _act(
        request,
        session,
        actor,
        user_id,
        lambda: officials.update_official(
            session, actor, user_id=user_id, municipality=municipality
        ),
        "changed",
    )


@router.post("/users/{user_id}/coordinator", name="admin:coordinator")
def set_coordinator(
    request: Request,
    user_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    make: Annotated[bool, Form()] = False,
) -> Response:
    return _act(
        request,
        session,
        actor,
        user_id,
        lambda: officials.update_official(session, actor, user_id=user_id, is_coordinator=make),
        "changed",
        conflict="last-coordinator",
    )


@router.post("/users/{user_id}/invitation/resend", name="admin:resend")
def resend_invitation(
    request: Request,
    user_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    limiter: RateLimiterDep,
) -> Response:
    ratelimit.send_invitation(limiter, actor.user_id)
    return _act(
        request,
        session,
        actor,
        user_id,
        lambda: officials.resend_invitation(session, actor, user_id=user_id),
        "resent",
        conflict="accepted",
    )


@router.post("/users/{user_id}/invitation/withdraw", name="admin:withdraw")
def withdraw_invitation(
    request: Request, user_id: IdPath, session: SessionDep, actor: SignedIn
) -> Response:
    try:
        gone = officials.withdraw_invitation(session, actor, user_id=user_id)
    except Conflict:
        return _refused(request, session, actor, user_id, "accepted")
    if is_htmx(request):
        return render(request, "admin/official_gone.html", {"gone": gone})
    return see_other(request, "/admin/users?notice=withdrawn")


@router.get("/users/{user_id}/erase", name="admin:erase_form", response_class=HTMLResponse)
def erase_form(
    request: Request, user_id: IdPath, session: SessionDep, actor: SignedIn
) -> HTMLResponse:
    """Confirm the erasure of an official's personal data: checked as the erasure is."""
    target = erasure.erasure_target(session, actor, user_id=user_id)
    return _erase_page(request, target, errors=[], with_content=False, status_code=200)


@router.post("/users/{user_id}/erase", name="admin:erase")
def erase(
    request: Request,
    user_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    actor: SignedIn,
    background: BackgroundTasks,
    confirmation: Annotated[str, Form(max_length=254)] = "",
    with_content: Annotated[bool, Form()] = False,
) -> Response:
    try:
        done = erasure.erase_official(
            session,
            actor,
            user_id=user_id,
            with_content=with_content,
            confirmation=confirmation,
        )
    except Invalid as exc:
        session.rollback()
        target = erasure.erasure_target(session, actor, user_id=user_id)
        return _erase_page(request, target, errors=exc.errors, with_content=with_content)
    except Conflict:
        session.rollback()
        return see_other(request, "/admin/users?error=erase-refused")
    # Runs after the response, so after the commit: a failed commit keeps the files.
    background.add_task(erasure.remove_files, settings.uploads, done.files)
    exports = personal_data.export_files_of(settings.export_dir, done.user_id)
    background.add_task(erasure.remove_files, settings.export_dir, [p.name for p in exports])
    return see_other(request, f"/admin/users?notice=erased{'-content' if with_content else ''}")


@router.post("/users/{user_id}/{action}", name="admin:user_action")
def unknown_action(user_id: IdPath, action: str, actor: SignedIn) -> Response:
    """Anything else posted to an official is no act of this page."""
    raise Invalid.field("action", "suspend, reactivate, municipality, coordinator or invitation/…")


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


def _act(
    request: Request,
    session: Session,
    actor: Actor,
    user_id: int,
    act: Act,
    notice: str,
    *,
    conflict: str = "conflict",
) -> Response:
    """Run one act on an official; a refusal is shown in the row (htmx) or the list."""
    try:
        view = act()
    except Invalid as exc:
        field = exc.errors[0].field if exc.errors else "invalid"
        return _refused(request, session, actor, user_id, field)
    except Conflict:
        return _refused(request, session, actor, user_id, conflict)
    return _done(request, session, view, notice)


def _done(
    request: Request, session: Session, view: officials.OfficialView, notice: str
) -> Response:
    if is_htmx(request):
        return _row(request, session, view, row_notice=notice)
    return see_other(request, f"/admin/users?notice={notice}")


def _refused(
    request: Request, session: Session, actor: Actor, user_id: int, error: str
) -> Response:
    session.rollback()
    if not is_htmx(request):
        return see_other(request, f"/admin/users?error={error}")
    view = officials.get_official(session, actor, user_id=user_id)
    return _row(request, session, view, row_error=error, status_code=422)


def _row(
    request: Request,
    session: Session,
    view: officials.OfficialView,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    context = {
        "u": view,
        "municipalities": directory.list_municipalities(session),
        "max_reason": audit.MAX_REASON,
        **extra,
    }
    return render(request, "admin/official_row.html", context, status_code=status_code)


def _suspend_form(
    request: Request,
    session: Session,
    view: officials.OfficialView,
    *,
    errors: list[Any],
    draft: str,
    status_code: int = 422,
) -> HTMLResponse:
    if is_htmx(request):
        return _row(
            request,
            session,
            view,
            confirming=True,
            errors=errors,
            draft=draft,
            status_code=status_code,
        )
    context = {"u": view, "errors": errors, "draft": draft, "max_reason": audit.MAX_REASON}
    return render(request, "admin/suspend.html", context, status_code=status_code)


def _erase_page(
    request: Request,
    target: erasure.Target,
    *,
    errors: list[Any],
    with_content: bool,
    status_code: int = 422,
) -> HTMLResponse:
    context = {"target": target, "errors": errors, "with_content": with_content}
    return render(request, "admin/erase.html", context, status_code=status_code)


def _query(filters: officials.OfficialFilters) -> dict[str, str]:
    named = {
        "q": filters.q,
        "municipality": filters.municipality,
        "group": filters.group,
        "status": filters.status,
    }
    return {key: value for key, value in named.items() if value}
