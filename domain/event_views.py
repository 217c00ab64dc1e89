"""What the pages and the API show of events: lists, an event's page, what comes next.

Every list applies `policy.visible_events_clause`: the whole association's events for
every signed-in official, a group's for the group's readers. A list row is one statement
for the whole list (the official's own registration and whether the event has
documentation come along); an event's page is a fixed number of statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import directory, event_registrations, events, policy
from domain.actor import Actor
from domain.errors import Forbidden, NotFound
from domain.event_fields import EventFields, local, local_day
from models import (
    Event,
    EventDocument,
    EventKind,
    Group,
    Municipality,
    ProgrammeItem,
    Registration,
    RegistrationStatus,
    Theme,
    User,
    utcnow,
)

Listed = sa.Select[tuple[Event, Group, RegistrationStatus, bool]]
PAST_SHOWN = 30
UPCOMING_SHOWN = 200


@dataclass(frozen=True)
class EventRow:
    """An event in a list."""

    event: Event
    group: Group | None
    my_status: RegistrationStatus | None
    documented: bool
    """Minutes or files exist: what a past event's row points to."""

    @property
    def single_day(self) -> bool:
        return local_day(self.event.starts_at) == local_day(self.event.ends_at)


@dataclass(frozen=True)
class EventDay:
    day: date
    items: list[ProgrammeItem]


@dataclass(frozen=True)
class EventView:
    event: Event
    group: Group | None
    theme: Theme | None
    arranger: str
    """Who created it: name, title and municipality."""
    programme: list[ProgrammeItem]
    days: list[EventDay]
    """Each day the event lasts, with its programme items: a conference shown as days."""
    goals: list[int]
    documents: list[EventDocument]
    my_status: RegistrationStatus | None
    place_in_line: int | None
    is_past: bool
    closed_because: str | None
    """Why registration is not open (`policy.registration_closed`), or None."""
    can_edit: bool
    can_register: bool
    can_unregister: bool
    can_see_registrations: bool
    can_start_discussion: bool

    @property
    def single_day(self) -> bool:
        return len(self.days) == 1

    @property
    def full(self) -> bool:
        capacity = self.event.capacity
        return capacity is not None and self.event.registered_count >= capacity


def get_event(
    session: Session, actor: Actor, event_id: int, *, now: datetime | None = None
) -> EventView:
    now = now or utcnow()
    event, group = events.readable(session, actor, event_id)
    assert event.id is not None
    theme = session.get(Theme, event.theme_id) if event.theme_id is not None else None
    programme = events.programme_of(session, [event.id])[event.id]
    mine = _my_registration(session, actor, event.id)
    can_edit = policy.can_edit_event(actor, event, group)
    return EventView(
        event=event,
        group=group,
        theme=theme,
        arranger=_arranger(session, event.created_by_id),
        programme=programme,
        days=_days(event, programme),
        goals=events.event_goals(session, [event.id])[event.id],
        documents=list(
            session.exec(
                select(EventDocument)
                .where(EventDocument.event_id == event.id)
                .order_by(col(EventDocument.id))
            ).all()
        ),
        my_status=mine.status if mine is not None else None,
        place_in_line=event_registrations.place_in_line(session, mine) if mine else None,
        is_past=event.ends_at < now,
        closed_because=policy.registration_closed(event, now),
        can_edit=can_edit,
        can_register=mine is None and policy.can_register(actor, event, group, now),
        can_unregister=mine is not None and policy.can_unregister(actor, event, group, now),
        can_see_registrations=policy.can_arrange_event(actor, group),
        can_start_discussion=can_edit and event.thread_id is None,
    )


def _my_registration(session: Session, actor: Actor, event_id: int) -> Registration | None:
    if actor.user_id is None:
        return None
    return session.exec(
        select(Registration).where(
            Registration.event_id == event_id, Registration.user_id == actor.user_id
        )
    ).first()


def _arranger(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return ""
    row = session.exec(
        select(User.name, User.title, Municipality.name)
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(User.id == user_id)
    ).first()
    if row is None:
        return ""
    return ", ".join(part for part in row if part)


def _days(event: Event, programme: list[ProgrammeItem]) -> list[EventDay]:
    first, last = local_day(event.starts_at), local_day(event.ends_at)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [
        EventDay(day, [item for item in programme if local_day(item.starts_at) == day])
        for day in days
    ]


# --- lists -----------------------------------------------------------------------------


def _rows(actor: Actor) -> Listed:
    """Events the actor sees, with their group, the actor's registration, and whether
    they are documented."""
    mine = sa.and_(
        col(Registration.event_id) == Event.id, col(Registration.user_id) == (actor.user_id or 0)
    )
    has_files = (
        sa.select(col(EventDocument.id)).where(col(EventDocument.event_id) == Event.id).exists()
    )
    documented = sa.or_(col(Event.minutes) != "", has_files)
    return (
        sa.select(Event, Group, col(Registration.status), documented)
        .outerjoin(Group, col(Group.id) == Event.group_id)
        .outerjoin(Registration, mine)
        .where(policy.visible_events_clause(actor))
    )


def _as_rows(session: Session, query: Listed) -> list[EventRow]:
    return [
        EventRow(event, group, RegistrationStatus(status) if status else None, bool(documented))
        for event, group, status, documented in session.execute(query).all()
    ]


@dataclass(frozen=True)
class EventFilters:
    group: str | None = None
    theme: str | None = None
    kind: EventKind | None = None


@dataclass(frozen=True)
class EventsPage:
    this_month: list[EventRow]
    """Upcoming and running events that start this month (Swedish time)."""
    later: list[EventRow]
    past: list[EventRow]
    """The latest past events first, with whether they are documented."""
    filters: EventFilters
    groups: list[Group]
    """The groups one may filter by: those the actor reads."""
    themes: list[Theme]
    can_create: bool


def events_page(
    session: Session, actor: Actor, filters: EventFilters, *, now: datetime | None = None
) -> EventsPage:
    """Upcoming events first (this month, later), then past ones; NotFound when the group
    filter names a group the actor may not read."""
    now = now or utcnow()
    query = _filtered(session, actor, _rows(actor), filters)
    upcoming = _as_rows(
        session,
        query.where(col(Event.ends_at) >= now)
        .order_by(col(Event.starts_at), col(Event.id))
        .limit(UPCOMING_SHOWN),
    )
    past = _as_rows(
        session,
        query.where(col(Event.ends_at) < now)
        .order_by(col(Event.starts_at).desc(), col(Event.id).desc())
        .limit(PAST_SHOWN),
    )
    month_ends = _next_month(local(now).date())
    readable = session.exec(
        select(Group).where(policy.readable_groups_clause(actor)).order_by(col(Group.name))
    ).all()
    return EventsPage(
        this_month=[row for row in upcoming if local_day(row.event.starts_at) < month_ends],
        later=[row for row in upcoming if local_day(row.event.starts_at) >= month_ends],
        past=past,
        filters=filters,
        groups=list(readable),
        themes=_themes(session),
        can_create=policy.can_create_event(actor, None)
        or any(policy.can_create_event(actor, group) for group in readable),
    )


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _filtered(
    session: Session,
    actor: Actor,
    query: Listed,
    filters: EventFilters,
) -> Listed:
    if filters.group:
        group = policy.require_readable_content(
            actor, directory.group_by_slug(session, filters.group)
        )
        query = query.where(col(Event.group_id) == group.id)
    if filters.theme:
        theme = session.exec(select(Theme.id).where(Theme.slug == filters.theme)).first()
        query = query.where(col(Event.theme_id) == (theme or 0))
    if filters.kind is not None:
        query = query.where(col(Event.kind) == filters.kind)
    return query


def next_events(
    session: Session,
    actor: Actor,
    *,
    group: Group | None = None,
    limit: int = 3,
    now: datetime | None = None,
) -> list[EventRow]:
    """The next events the actor may attend (not cancelled, not over), soonest first; of
    one group when `group` is given (the caller has found it readable). One statement."""
    query = _rows(actor).where(
        col(Event.ends_at) >= (now or utcnow()), col(Event.cancelled_at).is_(None)
    )
    if group is not None:
        query = query.where(col(Event.group_id) == group.id)
    return _as_rows(session, query.order_by(col(Event.starts_at), col(Event.id)).limit(limit))


@dataclass(frozen=True)
class GroupEvents:
    """A group's next events, for its page."""

    upcoming: list[EventRow]
    can_arrange: bool


def group_events(session: Session, actor: Actor, group: Group, *, limit: int = 5) -> GroupEvents:
    """The next events of a group the caller has found readable."""
    return GroupEvents(
        next_events(session, actor, group=group, limit=limit),
        policy.can_create_event(actor, group),
    )


def choosable_groups(session: Session, actor: Actor) -> list[Group]:
    """The groups the actor may arrange an event in, for the form's choice."""
    readable = session.exec(
        select(Group)
        .where(policy.readable_groups_clause(actor), col(Group.archived_at).is_(None))
        .order_by(col(Group.name))
    ).all()
    return [group for group in readable if policy.can_create_event(actor, group)]


# --- the API's list --------------------------------------------------------------------


def list_events(
    session: Session,
    actor: Actor,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    group: str | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> list[EventRow]:
    """Events that overlap `start`–`end` (either open), by their start; `after` is the
    keyset position (start, id) of the last row of the page before."""
    query = _filtered(session, actor, _rows(actor), EventFilters(group=group))
    if start is not None:
        query = query.where(col(Event.ends_at) >= start)
    if end is not None:
        query = query.where(col(Event.starts_at) <= end)
    if after is not None:
        starts, event_id = after
        query = query.where(
            sa.or_(
                col(Event.starts_at) > starts,
                sa.and_(col(Event.starts_at) == starts, col(Event.id) > event_id),
            )
        )
    return _as_rows(session, query.order_by(col(Event.starts_at), col(Event.id)).limit(limit))


# --- calendars -------------------------------------------------------------------------

FEED_PAST = timedelta(days=180)
"""How far back the personal calendar feed goes."""
FEED_LIMIT = 500


def calendar_feed(session: Session, actor: Actor, *, now: datetime | None = None) -> list[EventRow]:
    """The personal calendar: the events the actor registered for (or waits for) and the
    events of the groups they belong to, cancelled ones too (their calendars must learn
    of it), from half a year back."""
    if not actor.signed_in:
        return []
    yours = sa.or_(
        col(Registration.id).is_not(None), col(Event.group_id).in_(actor.member_group_ids)
    )
    query = _rows(actor).where(yours, col(Event.ends_at) >= (now or utcnow()) - FEED_PAST)
    return _as_rows(session, query.order_by(col(Event.starts_at), col(Event.id)).limit(FEED_LIMIT))


def event_row(session: Session, actor: Actor, event_id: int) -> EventRow:
    """One event as lists show it (its calendar file, the API); NotFound when the actor
    does not see it."""
    found = _as_rows(session, _rows(actor).where(col(Event.id) == event_id))
    if not found:
        raise NotFound("event")
    return found[0]


def theme_slugs(session: Session, theme_ids: list[int | None]) -> dict[int, str]:
    wanted = sorted({theme_id for theme_id in theme_ids if theme_id is not None})
    if not wanted:
        return {}
    rows = session.exec(select(Theme.id, Theme.slug).where(col(Theme.id).in_(wanted))).all()
    return {theme_id: slug for theme_id, slug in rows if theme_id is not None}


# --- the arrangers' form ---------------------------------------------------------------


@dataclass(frozen=True)
class EventForm:
    """What the form of a new or a changed event offers."""

    event: Event | None
    """None for a new event."""
    fields: EventFields | None
    groups: list[Group]
    """The groups the actor may arrange a new event in (a changed one keeps its group)."""
    for_association: bool
    """The actor may arrange an event of the whole association."""
    themes: list[Theme]


def new_event_form(session: Session, actor: Actor) -> EventForm:
    """Forbidden for whoever arranges no events at all."""
    policy.require_write_access(actor)
    groups = choosable_groups(session, actor)
    association = policy.can_create_event(actor, None)
    if not groups and not association:
        raise Forbidden("Only coordinators and group leads arrange events.")
    return EventForm(None, None, groups, association, _themes(session))


def edit_event_form(session: Session, actor: Actor, event_id: int) -> EventForm:
    event, group = events.readable(session, actor, event_id)
    policy.require_event_editor(actor, event, group)
    return EventForm(
        event, events.current_fields(session, event), [], group is None, _themes(session)
    )


def _themes(session: Session) -> list[Theme]:
    return list(session.exec(select(Theme).order_by(col(Theme.starts_on).desc())).all())
