"""Registrations at once on a real PostgreSQL: the last place goes to exactly one official.

The races are staged as in tests/test_write_races.py: two writers, each in a transaction of
its own, meet at the worst moment the code lets them. A registration locks the event row
before it counts the places (domain/locking.py), so the second writer waits and then
counts what the first committed: one official gets the place, the other the waiting list.
Without the lock both would read one free place and both would take it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from domain import event_registrations, events
from domain.actor import Actor, load_actor
from domain.event_fields import EventFields
from erfa import db
from models import (
    Event,
    EventKind,
    MemberRole,
    Notification,
    NotificationKind,
    Registration,
    RegistrationStatus,
    utcnow,
)
from tests.factories import make_group, make_membership, make_user
from tests.test_write_races import Outcome, Race, Schedule


@dataclass
class World:
    engine: Engine
    writes: sessionmaker[Session]
    lead: Actor
    officials: list[Actor]
    event_id: int

    def race(self, first: object, second: object, schedule: Schedule) -> tuple[Outcome, Outcome]:
        return Race(self.engine, schedule).run(first, second)  # type: ignore[arg-type]

    def register(self, official: Actor) -> object:
        return lambda session: (
            event_registrations.register(session, official, event_id=self.event_id).status
        )

    def unregister(self, official: Actor) -> object:
        return lambda session: event_registrations.unregister(
            session, official, event_id=self.event_id
        )

    def event(self) -> Event:
        with self.writes() as session:
            event = session.get(Event, self.event_id)
            assert event is not None
            return event

    def statuses(self) -> dict[int, RegistrationStatus]:
        with self.writes() as session:
            rows = session.exec(
                select(Registration.user_id, Registration.status).where(
                    Registration.event_id == self.event_id
                )
            ).all()
            return {user_id: RegistrationStatus(status) for user_id, status in rows}


@pytest.fixture
def world(fresh_database_url: str, backend: str) -> Iterator[World]:
    if backend != "postgresql":
        pytest.skip(
            "SQLite serialises writers (BEGIN IMMEDIATE): a second writer cannot read "
            "before the first has committed"
        )
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine)
    try:
        yield build_world(engine)
    finally:
        engine.dispose()


def build_world(engine: Engine) -> World:
    """An open group with its lead and four members, and a seminar with two places, one of
    which the first member has taken."""
    writes = db.make_session_factory(engine)
    with db.session_scope(writes) as session:
        group = make_group(session, slug="ungdom")
        people = [make_user(session) for _ in range(5)]
        make_membership(session, group=group, user=people[0], role=MemberRole.LEAD)
        for person in people[1:]:
            make_membership(session, group=group, user=person)
        ids = [person.id or 0 for person in people]
    with db.session_scope(writes) as session:
        lead, *officials = [load_actor(session, i) for i in ids]
        start = utcnow() + timedelta(days=14)
        fields = EventFields(
            kind=EventKind.SEMINAR,
            title="Sista platsen",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            place="Fagersta",
            capacity=2,
        )
        event = events.create_event(session, lead, group_slug="ungdom", fields=fields)
        event_id = event.id or 0
    with db.session_scope(writes) as session:
        event_registrations.register(session, officials[0], event_id=event_id)
    return World(engine, writes, lead, officials, event_id)


@pytest.mark.postgres
@pytest.mark.parametrize("schedule", list(Schedule))
def test_two_officials_taking_the_last_place_at_once_get_one_place_and_one_wait(
    world: World, schedule: Schedule
) -> None:
    b, c = world.officials[1], world.officials[2]

    first, second = world.race(world.register(b), world.register(c), schedule)

    assert sorted([first.result(), second.result()]) == [
        RegistrationStatus.REGISTERED,
        RegistrationStatus.WAITING,
    ]
    event = world.event()
    assert (event.registered_count, event.waiting_count) == (2, 1)
    statuses = world.statuses()
    assert sorted(statuses.values()) == sorted(
        [RegistrationStatus.REGISTERED] * 2 + [RegistrationStatus.WAITING]
    )


@pytest.mark.postgres
@pytest.mark.parametrize("schedule", list(Schedule))
def test_a_place_given_back_while_another_registers_goes_to_exactly_one(
    world: World, schedule: Schedule
) -> None:
    """The event is full with one waiting; the first member gives the place back while a
    fourth official registers. Whatever the order, two have places and one waits: the
    freed place goes to the line or to the newcomer, never to both."""
    a, b, c, d = world.officials
    with db.session_scope(world.writes) as session:
        event_registrations.register(session, b, event_id=world.event_id)
        event_registrations.register(session, c, event_id=world.event_id)

    gave_back, registered = world.race(world.unregister(a), world.register(d), schedule)

    gave_back.result()
    registered.result()
    event = world.event()
    assert (event.registered_count, event.waiting_count) == (2, 1)
    statuses = world.statuses()
    assert a.user_id not in statuses
    assert statuses[c.user_id or 0] is RegistrationStatus.REGISTERED  # first in line moved up
    assert list(statuses.values()).count(RegistrationStatus.REGISTERED) == 2
    with world.writes() as session:
        told = session.exec(
            select(col(Notification.user_id)).where(
                Notification.kind == NotificationKind.EVENT_MOVED_UP
            )
        ).all()
    assert told == [c.user_id]


@pytest.mark.postgres
def test_one_official_registering_twice_at_once_has_one_registration(world: World) -> None:
    """Two tabs, one click each: no second row and no unique-constraint error."""
    b = world.officials[1]

    first, second = world.race(world.register(b), world.register(b), Schedule.TOGETHER)

    assert first.result() == second.result() == RegistrationStatus.REGISTERED
    assert world.event().registered_count == 2
