"""Events through the JSON API: seminars, workshops, meetings and the yearly conference.

Times are ISO 8601 with an offset; erfa answers in Swedish time (Europe/Stockholm). A
registration answers 201 with a place, 202 with a place in line; the line moves up by
itself when a place frees.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.auth import ApiActor
from api.etags import (
    ETAG_HEADER,
    NOT_MODIFIED,
    IfMatch,
    IfNoneMatch,
    etag_of,
    if_match_version,
    not_modified,
)
from api.pagination import Page
from api.problems import problem_responses
from api.schemas import GoalIds, ListOut
from domain import event_registrations, event_views, events
from domain.actor import Actor
from domain.event_fields import (
    MAX_CAPACITY,
    MAX_PROGRAMME,
    EventFields,
    ProgrammeEntry,
    local,
    period_bound,
)
from domain.event_views import EventRow
from erfa.deps import IdPath, SessionDep
from models import EventKind, ProgrammeItem, RegistrationStatus

router = APIRouter(tags=["events"])

_WHEN = "2027-03-25T09:00:00+01:00"
PROGRAMME_EXAMPLE: dict[str, Any] = {
    "starts_at": "2027-03-25T09:30:00+01:00",
    "title": "Välkommen till Bergslagen 2030",
    "speaker": "Anna Berg, Ludvika",
    "room": "Aulan",
}
EVENT_IN_EXAMPLE: dict[str, Any] = {
    "kind": "conference",
    "title": "Bergslagen 2030",
    "description": "Årets konferens om **Agenda 2030** i Bergslagen.",
    "starts_at": _WHEN,
    "ends_at": "2027-03-26T15:00:00+01:00",
    "place": "Folkets hus, Ludvika",
    "online_url": None,
    "group": None,
    "theme": None,
    "goals": [11, 17],
    "capacity": 150,
    "registration_closes_at": "2027-03-11T23:59:00+01:00",
    "programme": [PROGRAMME_EXAMPLE],
}
EVENT_OUT_EXAMPLE: dict[str, Any] = {
    **EVENT_IN_EXAMPLE,
    "id": 3,
    "description_html": "<p>Årets konferens om <strong>Agenda 2030</strong> i Bergslagen.</p>\n",
    "registered": 112,
    "waiting": 0,
    "my_registration": "registered",
    "cancelled_at": None,
    "cancel_reason": None,
    "thread_id": None,
    "version": 4,
    "created_at": "2026-11-02T10:15:00+01:00",
    "updated_at": None,
}


class ProgrammeItemIn(BaseModel):
    starts_at: AwareDatetime
    title: str = Field(max_length=1000)
    speaker: str = Field(default="", max_length=1000)
    room: str = Field(default="", max_length=1000)

    def entry(self) -> ProgrammeEntry:
        return ProgrammeEntry(self.starts_at, self.title, self.speaker, self.room)


class ProgrammeItemOut(BaseModel):
    starts_at: datetime
    title: str
    speaker: str
    room: str

    @classmethod
    def of(cls, item: ProgrammeItem) -> ProgrammeItemOut:
        return cls(
            starts_at=local(item.starts_at), title=item.title, speaker=item.speaker, room=item.room
        )


Capacity = Annotated[int, Field(ge=1, le=MAX_CAPACITY, description="Places; null: no limit.")]
Slug = Annotated[str, Field(max_length=64)]


class EventIn(BaseModel):
    """A new event: `group` null is an event of the whole association (coordinators)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EVENT_IN_EXAMPLE]})

    kind: EventKind = EventKind.SEMINAR
    title: str = Field(max_length=1000)
    description: str = Field(default="", max_length=20_000, description="Markdown.")
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    place: str = Field(default="", max_length=1000)
    online_url: str | None = Field(default=None, max_length=2000)
    group: Slug | None = None
    theme: Slug | None = Field(default=None, description="A theme's slug.")
    goals: GoalIds = []
    capacity: Capacity | None = None
    registration_closes_at: AwareDatetime | None = None
    programme: list[ProgrammeItemIn] = Field(default=[], max_length=MAX_PROGRAMME)

    def fields(self) -> EventFields:
        return EventFields(
            kind=self.kind,
            title=self.title,
            description=self.description,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            place=self.place,
            online_url=self.online_url,
            theme=self.theme,
            goals=self.goals,
            capacity=self.capacity,
            registration_closes_at=self.registration_closes_at,
            programme=tuple(item.entry() for item in self.programme),
        )


class EventPatch(BaseModel):
    """The fields to change; the others stay. A new time or place tells the registered.
    `capacity`, `registration_closes_at`, `online_url` and `theme` take null away."""

    kind: EventKind | None = None
    title: str | None = Field(default=None, max_length=1000)
    description: str | None = Field(default=None, max_length=20_000)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    place: str | None = Field(default=None, max_length=1000)
    online_url: str | None = Field(default=None, max_length=2000)
    theme: Slug | None = None
    goals: GoalIds | None = None
    capacity: Capacity | None = None
    registration_closes_at: AwareDatetime | None = None
    programme: list[ProgrammeItemIn] | None = Field(default=None, max_length=MAX_PROGRAMME)

    def changes(self) -> dict[str, Any]:
        """What the request names; null only where null means something."""
        nullable = {"capacity", "registration_closes_at", "online_url", "theme"}
        changes: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if value is None and name not in nullable:
                continue
            if name == "programme":
                value = tuple(item.entry() for item in value)
            changes[name] = value
        return changes


class EventOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EVENT_OUT_EXAMPLE]})

    id: int
    kind: EventKind
    title: str
    description: str
    description_html: str
    starts_at: datetime
    ends_at: datetime
    place: str
    online_url: str | None
    group: str | None
    """The group's slug; null: an event of the whole association."""
    theme: str | None
    goals: list[int]
    capacity: int | None
    registration_closes_at: datetime | None
    programme: list[ProgrammeItemOut]
    registered: int
    waiting: int
    my_registration: RegistrationStatus | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    thread_id: int | None
    """The discussion after the event."""
    version: int
    created_at: datetime
    updated_at: datetime | None


class RegistrationOut(BaseModel):
    event_id: int
    status: RegistrationStatus
    place_in_line: int | None
    """Where a waiting registration stands (1 is next); null for a place."""


def event_out(
    row: EventRow, theme: str | None, goals: list[int], programme: list[ProgrammeItem]
) -> EventOut:
    event = row.event
    assert event.id is not None

    def shown(moment: datetime | None) -> datetime | None:
        return local(moment) if moment is not None else None

    return EventOut(
        id=event.id,
        kind=event.kind,
        title=event.title,
        description=event.description,
        description_html=event.description_html,
        starts_at=local(event.starts_at),
        ends_at=local(event.ends_at),
        place=event.place,
        online_url=event.online_url,
        group=row.group.slug if row.group is not None else None,
        theme=theme,
        goals=goals,
        capacity=event.capacity,
        registration_closes_at=shown(event.registration_closes_at),
        programme=[ProgrammeItemOut.of(item) for item in programme],
        registered=event.registered_count,
        waiting=event.waiting_count,
        my_registration=row.my_status,
        cancelled_at=shown(event.cancelled_at),
        cancel_reason=event.cancel_reason,
        thread_id=event.thread_id,
        version=event.version,
        created_at=local(event.created_at),
        updated_at=shown(event.updated_at),
    )


def _out(session: Session, rows: list[EventRow]) -> list[EventOut]:
    """The events with their programmes, goals and themes: three statements a page."""
    ids = [row.event.id for row in rows if row.event.id is not None]
    programmes = events.programme_of(session, ids)
    tags = events.event_goals(session, ids)
    themes = event_views.theme_slugs(session, [row.event.theme_id for row in rows])
    return [
        event_out(row, themes.get(row.event.theme_id or 0), tags[eid], programmes[eid])
        for row in rows
        if (eid := row.event.id) is not None
    ]


@router.get("/events", responses=problem_responses(401, 404))
def list_events(
    session: SessionDep,
    actor: ApiActor,
    page: Page,
    start: Annotated[
        date | datetime | None,
        Query(alias="from", description="Events that end at or after it; a day: its start."),
    ] = None,
    end: Annotated[
        date | datetime | None,
        Query(alias="to", description="Events that start at or before it; a day: its end."),
    ] = None,
    group: Annotated[str | None, Query(max_length=64)] = None,
) -> ListOut[EventOut]:
    """The events the caller sees, by their start: the whole association's, and those
    of the groups the caller reads."""
    after = page.position("events")
    rows = event_views.list_events(
        session,
        actor,
        start=period_bound("from", start) if start is not None else None,
        end=period_bound("to", end, end=True) if end is not None else None,
        group=group,
        after=(datetime.fromisoformat(after["starts_at"]), int(after["id"])) if after else None,
        limit=page.fetch,
    )
    items, next_cursor = page.window(
        "events",
        rows,
        lambda row: {"starts_at": row.event.starts_at.isoformat(), "id": row.event.id},
    )
    return ListOut(items=_out(session, items), next_cursor=next_cursor)


@router.post("/events", status_code=201, responses=problem_responses(401, 403, 404))
def create_event(
    data: EventIn, response: Response, session: SessionDep, actor: ApiActor
) -> EventOut:
    """Coordinators arrange any event, a group's leads their group's."""
    event = events.create_event(session, actor, group_slug=data.group, fields=data.fields())
    assert event.id is not None
    return _one(session, actor, event.id, response)


def _one(session: Session, actor: Actor, event_id: int, response: Response) -> EventOut:
    row = event_views.event_row(session, actor, event_id)
    response.headers["ETag"] = etag_of(row.event.version)
    return _out(session, [row])[0]


@router.get(
    "/events/{event_id}",
    response_model=EventOut,
    responses={**problem_responses(401, 404), 200: {"headers": ETAG_HEADER}, **NOT_MODIFIED},
)
def get_event(
    event_id: IdPath,
    response: Response,
    session: SessionDep,
    actor: ApiActor,
    if_none_match: IfNoneMatch = None,
) -> EventOut | Response:
    row = event_views.event_row(session, actor, event_id)
    etag = etag_of(row.event.version)
    if cached := not_modified(if_none_match, etag):
        return cached
    response.headers["ETag"] = etag
    return _out(session, [row])[0]


@router.patch(
    "/events/{event_id}",
    responses={**problem_responses(401, 403, 404, 409, 412), 200: {"headers": ETAG_HEADER}},
)
def update_event(
    event_id: IdPath,
    data: EventPatch,
    response: Response,
    session: SessionDep,
    actor: ApiActor,
    if_match: IfMatch = None,
) -> EventOut:
    events.update_event(
        session,
        actor,
        event_id=event_id,
        changes=data.changes(),
        expected_version=if_match_version(if_match),
    )
    return _one(session, actor, event_id, response)


@router.delete(
    "/events/{event_id}", status_code=204, responses=problem_responses(401, 403, 404, 409)
)
def cancel_event(event_id: IdPath, session: SessionDep, actor: ApiActor) -> Response:
    """Cancel the event: it stays, with `cancelled_at`, and calendars show it cancelled;
    the registered and waiting officials are told. 409 when it is cancelled already."""
    events.cancel_event(session, actor, event_id=event_id)
    return Response(status_code=204)


@router.post(
    "/events/{event_id}/registration",
    status_code=201,
    responses={**problem_responses(401, 403, 404, 409), 202: {"model": RegistrationOut}},
)
def register(
    event_id: IdPath, response: Response, session: SessionDep, actor: ApiActor
) -> RegistrationOut:
    """201 with a place, 202 with a place in line (moved up by itself when one frees);
    409 when registration is not open (cancelled, started, past its deadline)."""
    registration = event_registrations.register(session, actor, event_id=event_id)
    if registration.status is RegistrationStatus.WAITING:
        response.status_code = 202
    return RegistrationOut(
        event_id=event_id,
        status=registration.status,
        place_in_line=event_registrations.place_in_line(session, registration),
    )


@router.delete(
    "/events/{event_id}/registration",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409),
)
def unregister(event_id: IdPath, session: SessionDep, actor: ApiActor) -> Response:
    """Give the place (or the place in line) back; the first in line gets a freed place."""
    event_registrations.unregister(session, actor, event_id=event_id)
    return Response(status_code=204)
