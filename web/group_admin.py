"""Creating groups (coordinators), a group's settings (its leads; coordinators also its
name, focus area and visibility), archiving and unarchiving (coordinators).

A refused form comes back filled in as sent, with what to fix beside its field (422);
the settings save in place with htmx and with a 303 without JavaScript.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from domain import group_admin, groups
from domain.errors import Conflict, FieldError, Invalid, StaleVersion
from erfa.deps import SessionDep
from models import Visibility
from web.deps import SignedIn
from web.groups import group_url
from web.rendering import is_htmx, render, see_other

router = APIRouter()

GoalIds = Annotated[list[int], Form(alias="goals", max_length=17)]


@router.get("/admin/groups/new", name="groups:new", response_class=HTMLResponse)
def new_group(request: Request, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    form = groups.new_group_form(session, actor)
    values = {"visibility": "open", "focus_area": "other", "goals": [], "theme": ""}
    return render(request, "groups/new.html", {"form": form, "values": values, "errors": []})


@router.post("/admin/groups/new", name="groups:create")
def create_group(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    slug: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=120)],
    focus_area: Annotated[str, Form(max_length=32)],
    visibility: Annotated[Visibility, Form()],
    leads: Annotated[str, Form(max_length=2000)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    theme: Annotated[str, Form(max_length=64)] = "",
    goal_ids: GoalIds = [],  # noqa: B006
) -> Response:
    try:
        group = groups.create_group(
            session,
            actor,
            slug=slug,
            name=name,
            focus_area=groups.parse_focus_area(focus_area),
            description=description,
            visibility=visibility,
            goal_ids=goal_ids,
            theme=theme or None,
            leads=groups.parse_lead_refs(leads),
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        values = {
            "slug": slug,
            "name": name,
            "focus_area": focus_area,
            "visibility": visibility.value,
            "leads": leads,
            "description": description,
            "theme": theme,
            "goals": goal_ids,
        }
        context = {
            "form": groups.new_group_form(session, actor),
            "values": values,
            "errors": _field_errors(exc),
        }
        return render(request, "groups/new.html", context, status_code=422)
    return see_other(request, group_url(group.slug, notice="created"))


@router.get("/g/{slug}/settings", name="groups:settings", response_class=HTMLResponse)
def settings(request: Request, slug: str, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    form = groups.settings_form(session, actor, slug=slug)
    context = {
        "form": form,
        "values": _values(form),
        "errors": [],
        "notice": request.query_params.get("notice"),
    }
    return render(request, "groups/settings.html", context, block="settings_form")


@router.post("/g/{slug}/settings", name="groups:save_settings")
def save_settings(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    version: Annotated[int, Form(ge=1, le=2**31)],
    description: Annotated[str, Form(max_length=5000)] = "",
    theme: Annotated[str, Form(max_length=64)] = "",
    goal_ids: GoalIds = [],  # noqa: B006
    name: Annotated[str | None, Form(max_length=120)] = None,
    focus_area: Annotated[str | None, Form(max_length=32)] = None,
    visibility: Annotated[Visibility | None, Form()] = None,
) -> Response:
    """Leads send description, goals and theme; coordinators' forms also name, focus
    area and visibility (what is not sent stays as it is)."""
    try:
        groups.update_group(
            session,
            actor,
            slug=slug,
            name=name,
            description=description,
            focus_area=groups.parse_focus_area(focus_area) if focus_area else None,
            visibility=visibility,
            goal_ids=goal_ids,
            theme=theme,
            expected_version=version,
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        form = groups.settings_form(session, actor, slug=slug)
        sent = {"description": description, "theme": theme, "goals": goal_ids}
        sent.update({"name": name} if name is not None else {})
        sent.update({"focus_area": focus_area} if focus_area is not None else {})
        sent.update({"visibility": visibility.value} if visibility is not None else {})
        context = {
            "form": form,
            "values": {**_values(form), **sent},
            "errors": _field_errors(exc),
            "notice": None,
        }
        return render(
            request, "groups/settings.html", context, block="settings_form", status_code=422
        )
    if is_htmx(request):
        form = groups.settings_form(session, actor, slug=slug)
        context = {"form": form, "values": _values(form), "errors": [], "notice": "saved"}
        return render(request, "groups/settings.html", context, block="settings_form")
    return see_other(request, group_url(slug, "/settings", "saved"))


@router.post("/g/{slug}/archive", name="groups:archive")
def archive(request: Request, slug: str, session: SessionDep, actor: SignedIn) -> Response:
    return _set_archived(request, slug, session, actor, archived=True)


@router.post("/g/{slug}/unarchive", name="groups:unarchive")
def unarchive(request: Request, slug: str, session: SessionDep, actor: SignedIn) -> Response:
    return _set_archived(request, slug, session, actor, archived=False)


def _set_archived(
    request: Request, slug: str, session: SessionDep, actor: SignedIn, *, archived: bool
) -> Response:
    try:
        groups.set_archived(session, actor, slug=slug, archived=archived)
    except Conflict:
        session.rollback()
        return see_other(request, group_url(slug, "/settings", "unchanged"))
    return see_other(request, group_url(slug, notice="archived" if archived else "unarchived"))


def _values(form: groups.SettingsForm) -> dict[str, Any]:
    """The form's fields as the group has them now."""
    assert form.view is not None
    group = form.view.group
    return {
        "name": group.name,
        "focus_area": group.focus_area.value,
        "visibility": group.visibility.value,
        "description": group.description,
        "theme": form.view.theme.slug if form.view.theme else "",
        "goals": form.view.goals,
        "version": form.view.version,
    }


def _field_errors(exc: Invalid | Conflict) -> list[FieldError]:
    """What the form shows: the fields' errors; a stale version, an archived group or a
    taken slug as errors of their own."""
    if isinstance(exc, Invalid):
        return exc.errors
    if isinstance(exc, StaleVersion):
        return [FieldError("version", exc.detail, "stale")]
    if isinstance(exc, group_admin.SlugTaken):
        return [FieldError("slug", exc.detail, "taken")]
    if isinstance(exc, group_admin.GroupArchived):
        return [FieldError("form", exc.detail, "archived")]
    return [FieldError("form", exc.detail, "conflict")]
