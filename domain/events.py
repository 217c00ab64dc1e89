"""Events: seminars, workshops, meetings and the yearly conference "Bergslagen 2030".

Coordinators arrange events of the whole association (no group) and of any group they
read; a group's leads arrange their group's (`policy.can_arrange_event`). Creating,
changing and cancelling an event each leave one audit entry. Changing when or where it
is, or cancelling it, raises its iCalendar `sequence` and tells every registered and
waiting official, whose calendars then show the new entry (same UID, higher SEQUENCE;
a cancellation as STATUS:CANCELLED).

The day before an event, at 08:00 Swedish time, a durable job mails the registered
officials (`domain/event_reminders.py`); a change of time or place schedules a new one.

Registering is `domain/event_registrations.py`; the read models `domain/event_views.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit, directory, goals, locking, notifications, policy
from domain.actor import SYSTEM, Actor
from domain.errors import Invalid, NotFound, StaleVersion
from domain.event_fields import EDITABLE, STOCKHOLM, EventFields, ProgrammeEntry, checked
from domain.event_reminders import schedule_announcement, schedule_reminder
from domain.markup import RENDERER_VERSION, render_within_limit
from models import (
    Event,
    EventGoal,
    Group,
    NotificationKind,
    ProgrammeItem,
    Registration,
    RegistrationStatus,
    Theme,
    User,
    utcnow,
)

_WHERE = ("place", "online_url")
_WHEN = ("starts_at", "ends_at")


def readable(
    session: Session, actor: Actor, event_id: int, *, for_change: bool = False
) -> tuple[Event, Group | None]:
    """The event and its group (None: the whole association's), NotFound when the actor
    may not see it; `for_change` locks the event row (domain/locking.py): registrations,
    changes and the moving up of the waiting list are decided on what the last writer
    committed."""
    event = (
        locking.for_change(session, Event, event_id) if for_change else session.get(Event, event_id)
    )
    if event is None:
        raise NotFound("event")
    group = session.get(Group, event.group_id) if event.group_id is not None else None
    policy.require_event_reader(actor, group)
    return event, group


def create_event(
    session: Session,
    actor: Actor,
    *,
    group_slug: str | None,
    fields: EventFields,
    now: datetime | None = None,
) -> Event:
    """A new event of a group (`group_slug`) or of the whole association (None)."""
    fields = checked(fields)
    description_html = render_within_limit(fields.description, field="description")
    group = None
    if group_slug:
        group = policy.require_readable_content(actor, directory.group_by_slug(session, group_slug))
    policy.require_event_creator(actor, group)
    theme_id = _theme_id(session, fields.theme)
    tags = goals.check(session, fields.goals)
    event = Event(
        group_id=group.id if group is not None else None,
        created_by_id=actor.user_id or None,
        description_html=description_html,
        renderer_version=RENDERER_VERSION,
        theme_id=theme_id,
        **_columns(fields),
    )
    session.add(event)
    session.flush()
    assert event.id is not None
    _replace_goals(session, event.id, tags)
    _replace_programme(session, event.id, fields.programme)
    audit.record(
        session,
        actor,
        "event.create",
        target_type="event",
        target_id=event.id,
        group_id=event.group_id,
        after=_audited(event, fields.theme),
    )
    schedule_reminder(session, event, now or utcnow())
    return event


def current_fields(session: Session, event: Event) -> EventFields:
    """The event as its arrangers last described it: what a change starts from."""
    assert event.id is not None
    theme = session.get(Theme, event.theme_id) if event.theme_id is not None else None
    return EventFields(
        kind=event.kind,
        title=event.title,
        description=event.description,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        place=event.place,
        online_url=event.online_url,
        theme=theme.slug if theme is not None else None,
        goals=event_goals(session, [event.id])[event.id],
        capacity=event.capacity,
        registration_closes_at=event.registration_closes_at,
        programme=tuple(
            ProgrammeEntry(item.starts_at, item.title, item.speaker, item.room)
            for item in programme_of(session, [event.id])[event.id]
        ),
    )


def update_event(
    session: Session,
    actor: Actor,
    *,
    event_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Event:
    """Change the fields `changes` names (`event_fields.EDITABLE`); StaleVersion when
    `expected_version` is not the current one. A new time or place raises the sequence
    and tells the registered and waiting officials; more places move the line up."""
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise Invalid.field(unknown[0], "This field of an event does not change.", "fixed")
    now = now or utcnow()
    event, group = readable(session, actor, event_id, for_change=True)
    policy.require_event_editor(actor, event, group)
    if expected_version is not None and expected_version != event.version:
        raise StaleVersion(f"The event is at version {event.version}, not {expected_version}.")
    before_fields = current_fields(session, event)
    fields = checked(replace(before_fields, **changes))
    if fields == checked(before_fields):
        return event  # an act that changes nothing leaves no trace (version, audit, mail)
    if fields.description != event.description:
        event.description_html = render_within_limit(fields.description, field="description")
        event.renderer_version = RENDERER_VERSION
    before = _audited(event, before_fields.theme)
    assert event.id is not None
    event.theme_id = _theme_id(session, fields.theme)
    if "goals" in changes:
        _replace_goals(session, event.id, goals.check(session, fields.goals))
    if "programme" in changes:
        _replace_programme(session, event.id, fields.programme)
    for name, value in _columns(fields).items():
        setattr(event, name, value)
    old, new = audit.changed(before, _audited(event, fields.theme))
    moved = any(name in new for name in (*_WHEN, *_WHERE))
    event.version += 1
    event.updated_at = now
    if moved:
        event.sequence += 1
        _tell_registered(session, actor, event, group, NotificationKind.EVENT_CHANGED)
        schedule_reminder(session, event, now)
        schedule_announcement(session, event)
    fill_places(session, event, group, now)
    audit.record(
        session,
        actor,
        "event.update",
        target_type="event",
        target_id=event.id,
        group_id=event.group_id,
        before=old,
        after=new,
    )
    session.flush()
    return event


def cancel_event(
    session: Session, actor: Actor, *, event_id: int, reason: str = "", now: datetime | None = None
) -> Event:
    """Cancel an event: it stays, marked cancelled (calendars show STATUS:CANCELLED), and
    the registered and waiting officials are told. Conflict when it was cancelled before."""
    reason = audit.check_reason(reason, required=False)
    event, group = readable(session, actor, event_id, for_change=True)
    policy.require_event_editor(actor, event, group)
    event.cancelled_at = event.updated_at = now or utcnow()
    event.cancel_reason = reason or None
    event.sequence += 1
    event.version += 1
    _tell_registered(session, actor, event, group, NotificationKind.EVENT_CANCELLED)
    schedule_announcement(session, event)
    audit.record(
        session,
        actor,
        "event.cancel",
        target_type="event",
        target_id=event.id,
        group_id=event.group_id,
        reason=reason,
        before={"cancelled": False},
        after={"cancelled": True},
    )
    session.flush()
    return event


def _columns(fields: EventFields) -> dict[str, Any]:
    return {
        "kind": fields.kind,
        "title": fields.title,
        "description": fields.description,
        "starts_at": fields.starts_at,
        "ends_at": fields.ends_at,
        "place": fields.place,
        "online_url": fields.online_url,
        "capacity": fields.capacity,
        "registration_closes_at": fields.registration_closes_at,
    }


def _audited(event: Event, theme: str | None) -> dict[str, Any]:
    """What the audit log keeps of an event: its plain fields, times as ISO text."""

    def moment(value: datetime | None) -> str | None:
        return value.astimezone(STOCKHOLM).isoformat() if value is not None else None

    return {
        "kind": event.kind.value,
        "title": event.title,
        "starts_at": moment(event.starts_at),
        "ends_at": moment(event.ends_at),
        "place": event.place,
        "online_url": event.online_url,
        "capacity": event.capacity,
        "registration_closes_at": moment(event.registration_closes_at),
        "theme": theme,
    }


def _theme_id(session: Session, slug: str | None) -> int | None:
    if slug is None:
        return None
    theme_id = session.exec(select(Theme.id).where(Theme.slug == slug)).first()
    if theme_id is None:
        raise NotFound("theme")
    return theme_id


def _replace_goals(session: Session, event_id: int, goal_ids: Sequence[int]) -> None:
    session.execute(sa.delete(EventGoal).where(col(EventGoal.event_id) == event_id))
    session.add_all(EventGoal(event_id=event_id, goal_id=goal_id) for goal_id in goal_ids)


def _replace_programme(session: Session, event_id: int, items: Sequence[ProgrammeEntry]) -> None:
    session.execute(sa.delete(ProgrammeItem).where(col(ProgrammeItem.event_id) == event_id))
    session.add_all(
        ProgrammeItem(
            event_id=event_id,
            starts_at=item.starts_at,
            title=item.title,
            speaker=item.speaker,
            room=item.room,
            position=position,
        )
        for position, item in enumerate(items)
    )


def event_goals(session: Session, event_ids: Sequence[int]) -> dict[int, list[int]]:
    """The goals of each event, in number order, in one statement."""
    tags: dict[int, list[int]] = {event_id: [] for event_id in event_ids}
    if event_ids:
        rows = session.exec(
            select(EventGoal.event_id, EventGoal.goal_id)
            .where(col(EventGoal.event_id).in_(event_ids))
            .order_by(col(EventGoal.event_id), col(EventGoal.goal_id))
        ).all()
        for event_id, goal_id in rows:
            tags[event_id].append(goal_id)
    return tags


def programme_of(session: Session, event_ids: Sequence[int]) -> dict[int, list[ProgrammeItem]]:
    """The programme of each event in time order, in one statement."""
    items: dict[int, list[ProgrammeItem]] = {event_id: [] for event_id in event_ids}
    if event_ids:
        rows = session.exec(
            select(ProgrammeItem)
            .where(col(ProgrammeItem.event_id).in_(event_ids))
            .order_by(col(ProgrammeItem.starts_at), col(ProgrammeItem.position))
        ).all()
        for item in rows:
            items[item.event_id].append(item)
    return items


def _tell_registered(
    session: Session, actor: Actor, event: Event, group: Group | None, kind: NotificationKind
) -> None:
    """Tell the registered and the waiting officials who still see the event."""
    recipients = session.exec(
        select(Registration.user_id)
        .join(User, col(User.id) == Registration.user_id)
        .where(Registration.event_id == event.id, policy.event_readers_clause(group))
    ).all()
    notifications.tell(session, actor, recipients, kind, group=group, event_id=event.id)


def fill_places(session: Session, event: Event, group: Group | None, now: datetime) -> None:
    """Move the waiting list up into the free places, first come first served, and tell
    each official who got one. The event is locked (`readable(for_change=True)`); a
    started or cancelled event keeps its list as it is."""
    if event.cancelled_at is not None or event.starts_at <= now:
        return
    free = None if event.capacity is None else event.capacity - event.registered_count
    if free is not None and free <= 0:
        return
    line = (
        select(Registration)
        .join(User, col(User.id) == Registration.user_id)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.WAITING,
            policy.event_readers_clause(group),  # never a place for who may not see it
        )
        .order_by(col(Registration.created_at), col(Registration.id))
        .limit(free)
    )
    moving = list(session.exec(line).all())
    if not moving:
        return
    for registration in moving:
        registration.status = RegistrationStatus.REGISTERED
        registration.moved_up_at = now
    event.registered_count += len(moving)
    event.waiting_count -= len(moving)
    event.version += 1
    notifications.tell(
        session,
        SYSTEM,
        [registration.user_id for registration in moving],
        NotificationKind.EVENT_MOVED_UP,
        group=group,
        event_id=event.id,
    )
