"""Registering for an event: a place while there are places, else a place in line.

Every registration and every withdrawal locks the event row first (domain/locking.py),
so two officials who take the last place at once are served one after the other: one
gets it, the other waits in line, and the counts on the event stay exact. The line
moves up by itself when a place frees (a withdrawal, more places), first come first
served, each official who gets a place told so (`events.fill_places`).

Registration is open to whoever sees the event until it starts, or until its
registration deadline; giving a place back is possible until the event starts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import events, locking, policy
from domain.actor import Actor
from domain.errors import Conflict
from models import (
    Event,
    Group,
    Municipality,
    Registration,
    RegistrationStatus,
    User,
    utcnow,
)


class RegistrationRefused(Conflict):
    """Registration is not open: `why` is `cancelled`, `started` or `closed`."""

    def __init__(self, why: str) -> None:
        messages = {
            "cancelled": "The event is cancelled.",
            "started": "The event has started or is over.",
            "closed": "Registration has closed.",
        }
        super().__init__(messages.get(why, "Registration is not open."))
        self.why = why


def register(
    session: Session, actor: Actor, *, event_id: int, now: datetime | None = None
) -> Registration:
    """The actor's registration: a place, or a place in line when the event is full.
    Registering again changes nothing and returns the registration there is."""
    policy.require_write_access(actor)
    now = now or utcnow()
    event, _ = events.readable(session, actor, event_id, for_change=True)
    assert actor.user_id is not None
    existing = _registration(session, event_id, actor.user_id)
    if existing is not None:
        return existing
    why = policy.registration_closed(event, now)
    if why is not None:
        raise RegistrationRefused(why)
    full = event.capacity is not None and event.registered_count >= event.capacity
    registration = Registration(
        event_id=event_id,
        user_id=actor.user_id,
        status=RegistrationStatus.WAITING if full else RegistrationStatus.REGISTERED,
        created_at=now,
    )
    session.add(registration)
    if full:
        event.waiting_count += 1
    else:
        event.registered_count += 1
    event.version += 1
    session.flush()
    return registration


def unregister(
    session: Session, actor: Actor, *, event_id: int, now: datetime | None = None
) -> None:
    """Give the place (or the place in line) back; the first in line gets a freed place.
    Not registered: nothing to do."""
    policy.require_write_access(actor)
    now = now or utcnow()
    event, group = events.readable(session, actor, event_id, for_change=True)
    assert actor.user_id is not None
    registration = _registration(session, event_id, actor.user_id)
    if registration is None:
        return
    if not policy.can_unregister(actor, event, group, now):
        raise RegistrationRefused(policy.registration_closed(event, now) or "started")
    session.delete(registration)
    if registration.status is RegistrationStatus.REGISTERED:
        event.registered_count -= 1
    else:
        event.waiting_count -= 1
    event.version += 1
    session.flush()
    events.fill_places(session, event, group, now)


def withdraw_unseen(session: Session, user_id: int, *, now: datetime | None = None) -> int:
    """Withdraw the official's registrations for upcoming events they no longer see (they
    left a closed group or were removed from it, or were suspended), so that their place
    goes to the first in line and their name leaves the arrangers' list. How many."""
    now = now or utcnow()
    event_ids = session.exec(
        select(Registration.event_id)
        .join(Event, col(Event.id) == Registration.event_id)
        .where(
            Registration.user_id == user_id,
            col(Event.cancelled_at).is_(None),
            col(Event.starts_at) > now,
        )
        .order_by(col(Registration.event_id))
    ).all()
    withdrawn = 0
    for event_id in event_ids:
        event = locking.for_change(session, Event, event_id)
        if event is None:
            continue
        group = session.get(Group, event.group_id) if event.group_id is not None else None
        sees = session.exec(
            select(User.id).where(User.id == user_id, policy.event_readers_clause(group))
        ).first()
        registration = _registration(session, event_id, user_id)
        if sees is not None or registration is None:
            continue
        session.delete(registration)
        if registration.status is RegistrationStatus.REGISTERED:
            event.registered_count -= 1
        else:
            event.waiting_count -= 1
        event.version += 1
        session.flush()
        events.fill_places(session, event, group, now)
        withdrawn += 1
    return withdrawn


def _registration(session: Session, event_id: int, user_id: int) -> Registration | None:
    return session.exec(
        select(Registration).where(
            Registration.event_id == event_id, Registration.user_id == user_id
        )
    ).first()


def place_in_line(session: Session, registration: Registration) -> int | None:
    """Where a waiting registration stands in line (1 is next), None for a place."""
    if registration.status is not RegistrationStatus.WAITING:
        return None
    ahead = session.exec(
        select(sa.func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITING,
            sa.or_(
                col(Registration.created_at) < registration.created_at,
                sa.and_(
                    col(Registration.created_at) == registration.created_at,
                    col(Registration.id) < registration.id,
                ),
            ),
        )
    ).one()
    return int(ahead) + 1


@dataclass(frozen=True)
class Registrant:
    name: str
    title: str
    email: str
    municipality: str
    status: RegistrationStatus
    registered_at: datetime


@dataclass(frozen=True)
class RegistrationList:
    """Who comes, by municipality (name tags, lunch counts), and who waits, in line order."""

    event: Event
    by_municipality: list[tuple[str, list[Registrant]]]
    waiting: list[Registrant]

    @property
    def registered(self) -> list[Registrant]:
        return [person for _, people in self.by_municipality for person in people]


def registration_list(session: Session, actor: Actor, event_id: int) -> RegistrationList:
    """The registered officials, for the event's arrangers only (`policy`)."""
    event, group = events.readable(session, actor, event_id)
    policy.require_registration_reader(actor, group)
    waits = col(Registration.status) == RegistrationStatus.WAITING
    rows = session.execute(
        sa.select(
            col(User.name),
            col(User.title),
            col(User.email),
            col(Municipality.name),
            col(Registration.status),
            col(Registration.created_at),
        )
        .select_from(Registration)
        .join(User, col(User.id) == Registration.user_id)
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(col(Registration.event_id) == event_id)
        .order_by(
            waits,
            sa.case((waits, col(Registration.created_at))),
            sa.case((waits, col(Registration.id))),
            col(Municipality.name),
            col(User.name),
            col(Registration.id),
        )
    ).all()
    grouped: dict[str, list[Registrant]] = defaultdict(list)
    waiting: list[Registrant] = []
    for name, title, email, municipality, status, created_at in rows:
        person = Registrant(
            name, title, email, municipality, RegistrationStatus(status), created_at
        )
        if person.status is RegistrationStatus.WAITING:
            waiting.append(person)
        else:
            grouped[municipality].append(person)
    return RegistrationList(event, list(grouped.items()), waiting)
