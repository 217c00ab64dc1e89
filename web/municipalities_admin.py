"""The coordinators' pages of the member municipalities: add one; edit name, email domains
and representative; record the membership of each year. Forms work without JavaScript
(POST, then 303) and in place with htmx (the form's block comes back)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from domain import membership_years, municipalities
from domain.actor import Actor
from domain.errors import Conflict, Invalid
from erfa.deps import SessionDep
from web.deps import SignedIn
from web.rendering import is_htmx, render, see_other

router = APIRouter(prefix="/admin")

Name = Annotated[str, Form(max_length=200)]
Text = Annotated[str, Form(max_length=10_000)]
Short = Annotated[str, Form(max_length=200)]


def _refusal(exc: Invalid | Conflict) -> dict[str, Any]:
    """What a form shows of a refusal: its field errors, or the conflict it names (a domain
    another municipality holds). Both are answered 422, the status htmx swaps in
    (base.html), so the form shows them in place."""
    if isinstance(exc, Invalid):
        return {"errors": exc.errors, "problem": None}
    return {"errors": [], "problem": exc}


@router.get("/municipalities", name="admin:municipalities", response_class=HTMLResponse)
def list_page(request: Request, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    context: dict[str, Any] = {
        "views": municipalities.list_for_admin(session, actor),
        "form": {},
        "errors": [],
        "problem": None,
        "notice": request.query_params.get("notice"),
    }
    return render(request, "admin/municipalities.html", context)


@router.post("/municipalities", name="admin:municipality_create")
def create(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    name: Name,
    county: Short = "",
    domains: Text = "",
) -> Response:
    try:
        view = municipalities.create_municipality(
            session,
            actor,
            name=name,
            county=county,
            domains=municipalities.domains_from_text(domains),
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        context = {
            "views": municipalities.list_for_admin(session, actor),
            "form": {"name": name, "county": county, "domains": domains},
            "notice": None,
            **_refusal(exc),
        }
        return render(
            request, "admin/municipalities.html", context, block="add_form", status_code=422
        )
    slug = view.municipality.slug
    return see_other(request, f"/admin/municipalities/{slug}?notice=created")


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    slug: str,
    *,
    status_code: int = 200,
    **shown: Any,
) -> HTMLResponse:
    page = municipalities.get_for_admin(session, actor, slug=slug)
    context = {
        "page": page,
        "view": page.view,
        "errors": [],
        "problem": None,
        "form": None,
        "year_errors": [],
        "year_form": None,
        "notice": request.query_params.get("notice"),
        **shown,
    }
    return render(
        request,
        "admin/municipality.html",
        context,
        block=("profile", "years"),
        status_code=status_code,
    )


@router.get("/municipalities/{slug}", name="admin:municipality", response_class=HTMLResponse)
def detail(request: Request, slug: str, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    return _page(request, session, actor, slug)


@router.post("/municipalities/{slug}", name="admin:municipality_update")
def update(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    name: Name,
    county: Short = "",
    domains: Text = "",
    representative: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        municipalities.update_municipality(
            session,
            actor,
            slug=slug,
            name=name,
            county=county,
            domains=municipalities.domains_from_text(domains),
            representative_id=municipalities.parse_official_id(representative),
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        form = {
            "name": name,
            "county": county,
            "domains": domains,
            "representative": representative,
        }
        return _page(request, session, actor, slug, status_code=422, form=form, **_refusal(exc))
    if is_htmx(request):
        return _page(request, session, actor, slug, notice="saved")
    return see_other(request, f"/admin/municipalities/{slug}?notice=saved")


@router.post("/municipalities/{slug}/years", name="admin:municipality_year")
def set_year(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    year: Annotated[str, Form(max_length=20)],
    status: Annotated[str, Form(max_length=32)],
    fee_sek: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        number = membership_years.parse_year(year)
        membership_years.set_membership_year(
            session,
            actor,
            slug=slug,
            year=number,
            status=status,
            fee_sek=membership_years.parse_fee(fee_sek),
            note=note,
        )
    except Invalid as exc:
        session.rollback()
        form = {"year": year, "status": status, "fee_sek": fee_sek, "note": note}
        return _page(
            request,
            session,
            actor,
            slug,
            status_code=422,
            year_errors=exc.errors,
            year_form=form,
        )
    if is_htmx(request):
        return _page(request, session, actor, slug, notice=f"year-{number}")
    return see_other(request, f"/admin/municipalities/{slug}?notice=year-{number}#years")
