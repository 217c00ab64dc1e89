"""The events pages: the calendar of the association's year, an event's page with its
registration (in place with htmx), and the arrangers' form.

What the arrangers do after the event (the list of the registered, minutes, files, the
discussion) is `web/event_arrangers.py`. Times are shown in Swedish time with the weekday
(the filters below); a form's times are Swedish wall-clock times.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from babel.dates import format_date, format_datetime
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from domain import event_registrations, event_views, events, goals
from domain.actor import Actor
from domain.errors import Invalid
from domain.event_fields import STOCKHOLM, EventFields, parse_programme, programme_text
from domain.event_registrations import RegistrationRefused
from erfa import i18n
from erfa.deps import IdPath, SessionDep
from models import EventKind
from web.calendar import feed_url
from web.deps import SignedIn
from web.rendering import is_htmx, render, see_other, templates

router = APIRouter()
KINDS = [kind.value for kind in EventKind]


def _day(value: date | datetime) -> str:
    """A day with its weekday, in the reader's language: "fredag 11 december 2026"."""
    if isinstance(value, datetime):
        value = value.astimezone(STOCKHOLM).date()
    return format_date(value, "EEEE d MMMM y", locale=i18n.current_locale())


def _clock(value: datetime) -> str:
    return format_datetime(value, "HH:mm", tzinfo=STOCKHOLM, locale=i18n.current_locale())


def _moment(value: datetime) -> str:
    return f"{_day(value)} {_clock(value)}"


def _input(value: datetime | None) -> str:
    """A moment as a datetime-local field holds it, in Swedish time. A moment without a
    zone is one typed into the form (Swedish time already) and is shown as it was typed."""
    if value is None:
        return ""
    try:
        local = value if value.tzinfo is None else value.astimezone(STOCKHOLM)
    except (ValueError, OverflowError):  # at the ends of the calendar: shown as given
        local = value.replace(tzinfo=None)
    return local.replace(tzinfo=None).isoformat(timespec="minutes")  # 4-digit years too


templates.env.filters["event_day"] = _day
templates.env.filters["event_clock"] = _clock
templates.env.filters["event_moment"] = _moment
templates.env.filters["event_input"] = _input


def event_url(event_id: int, notice: str = "", anchor: str = "") -> str:
    return f"/e/{event_id}" + (f"?notice={notice}" if notice else "") + anchor


@router.get("/events", name="events:index", response_class=HTMLResponse)
def index(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    group: Annotated[str, Query(max_length=64)] = "",
    theme: Annotated[str, Query(max_length=64)] = "",
    kind: EventKind | None = None,
) -> HTMLResponse:
    filters = event_views.EventFilters(group=group or None, theme=theme or None, kind=kind)
    context = {
        "page": event_views.events_page(session, actor, filters),
        "kinds": KINDS,
        "feed_url": feed_url(request, session, actor),
    }
    return render(request, "events/index.html", context, block="event_list")


@router.get("/e/{event_id}", name="events:detail", response_class=HTMLResponse)
def detail(request: Request, event_id: IdPath, session: SessionDep, actor: SignedIn) -> Response:
    notice = request.query_params.get("notice") or ""
    refused = notice.removeprefix("refused-") if notice.startswith("refused-") else None
    return detail_page(request, session, actor, event_id, notice=notice, refused=refused)


def detail_page(
    request: Request,
    session: Session,
    actor: Actor,
    event_id: int,
    *,
    notice: str | None = None,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    view = event_views.get_event(session, actor, event_id)
    context = {
        "view": view,
        "goals": goals.list_goals(session) if view.goals else [],
        "notice": notice,
        "feed_url": feed_url(request, session, actor),
        "groups": event_views.choosable_groups(session, actor)
        if view.can_start_discussion and view.group is None
        else [],
        "errors": [],
        **extra,
    }
    return render(
        request, "events/detail.html", context, block="registration", status_code=status_code
    )


@router.post("/e/{event_id}/registration", name="events:register")
def register(request: Request, event_id: IdPath, session: SessionDep, actor: SignedIn) -> Response:
    """Register, or join the waiting list: in place with htmx (the registration part of
    the page anew), else back to the page."""
    try:
        event_registrations.register(session, actor, event_id=event_id)
    except RegistrationRefused as exc:
        return _refused(request, session, actor, event_id, exc)
    return _registered(request, session, actor, event_id, "registered")


@router.post("/e/{event_id}/registration/delete", name="events:unregister")
def unregister(
    request: Request, event_id: IdPath, session: SessionDep, actor: SignedIn
) -> Response:
    try:
        event_registrations.unregister(session, actor, event_id=event_id)
    except RegistrationRefused as exc:
        return _refused(request, session, actor, event_id, exc)
    return _registered(request, session, actor, event_id, "unregistered")


def _registered(
    request: Request, session: Session, actor: Actor, event_id: int, notice: str
) -> Response:
    if is_htmx(request):
        return detail_page(request, session, actor, event_id, notice=notice)
    return see_other(request, event_url(event_id, notice, "#registration"))


def _refused(
    request: Request, session: Session, actor: Actor, event_id: int, exc: RegistrationRefused
) -> Response:
    """Registration is not open (any more): said where the buttons were, 422 so that htmx
    shows it."""
    session.rollback()
    if not is_htmx(request):
        return see_other(request, event_url(event_id, f"refused-{exc.why}", "#registration"))
    return detail_page(request, session, actor, event_id, refused=exc.why, status_code=422)


# --- the arrangers' form ---------------------------------------------------------------


@router.get("/events/new", name="events:new", response_class=HTMLResponse)
def new(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    group: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    form = event_views.new_event_form(session, actor)
    values = {"group": group, "kind": EventKind.SEMINAR.value}
    return _form_page(request, session, form, values, [])


def _form_page(
    request: Request,
    session: Session,
    form: event_views.EventForm,
    values: dict[str, Any],
    errors: list[Any],
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "form": form,
        "values": values,
        "errors": errors,
        "kinds": KINDS,
        "goals": goals.list_goals(session),
    }
    return render(request, "events/form.html", context, status_code=status_code)


class EventFormIn(BaseModel):
    """The arrangers' form; its times are Swedish wall-clock times (datetime-local)."""

    kind: EventKind
    title: str = Field(max_length=1000)
    starts_at: datetime
    ends_at: datetime
    description: str = Field(default="", max_length=25_000)
    place: str = Field(default="", max_length=2000)
    online_url: str = Field(default="", max_length=2000)
    group: str = Field(default="", max_length=64)
    """A new event's group; "" for the whole association. A changed event keeps its own."""
    theme: str = Field(default="", max_length=64)
    capacity: int | None = Field(default=None, ge=1, le=1_000_000)
    registration_closes_at: datetime | None = None
    programme: str = Field(default="", max_length=25_000)
    goals: list[int] = Field(default=[], max_length=17)
    version: int | None = Field(default=None, ge=1, le=2**31)

    def fields(self) -> EventFields:
        return EventFields(
            kind=self.kind,
            title=self.title,
            description=self.description,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            place=self.place,
            online_url=self.online_url or None,
            theme=self.theme or None,
            goals=self.goals,
            capacity=self.capacity,
            registration_closes_at=self.registration_closes_at,
            programme=parse_programme(self.programme, self.starts_at),
        )

    def shown(self) -> dict[str, Any]:
        """The values as the form shows them again."""
        values = self.model_dump()
        for name in ("starts_at", "ends_at", "registration_closes_at"):
            values[name] = _input(getattr(self, name))
        values["kind"] = self.kind.value
        values["capacity"] = self.capacity or ""
        return values


def _values(fields: EventFields, version: int) -> dict[str, Any]:
    return {
        "kind": fields.kind.value,
        "title": fields.title,
        "description": fields.description,
        "starts_at": _input(fields.starts_at),
        "ends_at": _input(fields.ends_at),
        "place": fields.place,
        "online_url": fields.online_url or "",
        "theme": fields.theme or "",
        "goals": list(fields.goals),
        "capacity": fields.capacity or "",
        "registration_closes_at": _input(fields.registration_closes_at),
        "programme": programme_text(fields.programme),
        "version": version,
    }


@router.post("/events", name="events:create")
def create(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    form: Annotated[EventFormIn, Form()],
) -> Response:
    try:
        event = events.create_event(
            session, actor, group_slug=form.group or None, fields=form.fields()
        )
    except Invalid as exc:
        session.rollback()
        page = event_views.new_event_form(session, actor)
        return _form_page(request, session, page, form.shown(), exc.errors, 422)
    assert event.id is not None
    return see_other(request, event_url(event.id, "created"))


@router.get("/e/{event_id}/edit", name="events:edit", response_class=HTMLResponse)
def edit(request: Request, event_id: IdPath, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    page = event_views.edit_event_form(session, actor, event_id)
    assert page.fields is not None
    assert page.event is not None
    return _form_page(request, session, page, _values(page.fields, page.event.version), [])


@router.post("/e/{event_id}/edit", name="events:update")
def update(
    request: Request,
    event_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    form: Annotated[EventFormIn, Form()],
) -> Response:
    """Save the whole form; a stale `version` (someone saved meanwhile) is refused."""
    try:
        fields = form.fields()
        changes = {name: getattr(fields, name) for name in EventFields.__dataclass_fields__}
        events.update_event(
            session, actor, event_id=event_id, changes=changes, expected_version=form.version
        )
    except Invalid as exc:
        session.rollback()
        page = event_views.edit_event_form(session, actor, event_id)
        return _form_page(request, session, page, form.shown(), exc.errors, 422)
    return see_other(request, event_url(event_id, "saved"))


@router.post("/e/{event_id}/cancel", name="events:cancel")
def cancel(
    request: Request,
    event_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        events.cancel_event(session, actor, event_id=event_id, reason=reason)
    except Invalid as exc:
        session.rollback()
        return detail_page(request, session, actor, event_id, errors=exc.errors, status_code=422)
    return see_other(request, event_url(event_id, "cancelled"))
