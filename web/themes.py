"""The yearly themes: every official reads them at /themes (the current one first); the
coordinators add, edit and remove them there. Forms work without JavaScript (POST, then
303) and in place with htmx; a refused form comes back with its message (422)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from domain import themes
from domain.actor import Actor
from domain.errors import Conflict, Invalid
from erfa.deps import SessionDep
from web.deps import SignedIn
from web.rendering import is_htmx, render, see_other

router = APIRouter()

Name = Annotated[str, Form(max_length=200)]
Day = Annotated[str, Form(max_length=40)]
Description = Annotated[str, Form(max_length=10_000)]


def _refusal(exc: Invalid | Conflict) -> dict[str, Any]:
    """What a form shows of a refusal: its field errors, or the theme or groups it names.
    All are answered 422, the status htmx swaps in (base.html): the form shows them in place."""
    if isinstance(exc, themes.PeriodOverlap):
        return {"errors": [], "problem": exc}
    if isinstance(exc, Invalid):
        return {"errors": exc.errors, "problem": None}
    return {"errors": [], "problem": exc}


def _index(
    request: Request, session: Session, actor: Actor, *, status_code: int = 200, **shown: Any
) -> HTMLResponse:
    context = {
        "page": themes.themes_page(session, actor),
        "errors": [],
        "problem": None,
        "form": None,
        "notice": request.query_params.get("notice"),
        **shown,
    }
    return render(
        request, "themes/index.html", context, block="themes_main", status_code=status_code
    )


@router.get("/themes", name="themes:index", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    return _index(request, session, actor)


@router.post("/themes", name="themes:create")
def create(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    name: Name,
    starts_on: Day,
    ends_on: Day,
    description: Description = "",
    slug: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    form = {
        "name": name,
        "slug": slug,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "description": description,
    }
    try:
        themes.create_theme(
            session,
            actor,
            name=name,
            slug=slug or None,
            description=description,
            starts_on=themes.parse_day("starts_on", starts_on),
            ends_on=themes.parse_day("ends_on", ends_on),
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        return _index(request, session, actor, status_code=422, form=form, **_refusal(exc))
    if is_htmx(request):
        return _index(request, session, actor, notice="created")
    return see_other(request, "/themes?notice=created")


def _edit(
    request: Request,
    session: Session,
    actor: Actor,
    slug: str,
    *,
    status_code: int = 200,
    **shown: Any,
) -> HTMLResponse:
    context = {
        "view": themes.theme_to_edit(session, actor, slug=slug),
        "errors": [],
        "problem": None,
        "form": None,
        "notice": request.query_params.get("notice"),
        **shown,
    }
    return render(request, "themes/edit.html", context, block="theme_edit", status_code=status_code)


@router.get("/themes/{slug}/edit", name="themes:edit", response_class=HTMLResponse)
def edit(request: Request, slug: str, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    return _edit(request, session, actor, slug)


@router.post("/themes/{slug}/edit", name="themes:update")
def update(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    name: Name,
    starts_on: Day,
    ends_on: Day,
    description: Description = "",
) -> Response:
    try:
        themes.update_theme(
            session,
            actor,
            slug=slug,
            name=name,
            description=description,
            starts_on=themes.parse_day("starts_on", starts_on),
            ends_on=themes.parse_day("ends_on", ends_on),
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        form = {
            "name": name,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "description": description,
        }
        return _edit(request, session, actor, slug, status_code=422, form=form, **_refusal(exc))
    if is_htmx(request):
        return _edit(request, session, actor, slug, notice="saved")
    return see_other(request, f"/themes/{slug}/edit?notice=saved")


@router.post("/themes/{slug}/delete", name="themes:delete")
def delete(request: Request, slug: str, session: SessionDep, actor: SignedIn) -> Response:
    try:
        themes.delete_theme(session, actor, slug=slug)
    except Conflict as exc:
        session.rollback()
        return _edit(request, session, actor, slug, status_code=422, **_refusal(exc))
    return see_other(request, "/themes?notice=deleted")
