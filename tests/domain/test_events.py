"""Events in the domain: who may arrange, see and register (a policy table), the
programme's text, the reminder the day before (through a real SMTP server and the job
runner), and which event notifications an official is shown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_datetime
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain import event_registrations, events, groups, notifications, policy, users
from domain.actor import ANONYMOUS, Actor, load_actor
from domain.errors import Forbidden, Invalid, NotFound, Unauthenticated
from domain.event_fields import EventFields, ProgrammeEntry, parse_programme, programme_text
from domain.event_reminders import ANNOUNCE, REMIND, reminder_at
from domain.seed import seed_demo
from erfa import db, worker
from erfa.settings import Settings
from models import (
    AuditEntry,
    Event,
    EventKind,
    Group,
    Job,
    Locale,
    MemberRole,
    Membership,
    Registration,
    RegistrationStatus,
    Scope,
    User,
    Visibility,
    utcnow,
)
from tests.factories import make_group, make_membership, make_user
from tests.smtp import Inbox

STOCKHOLM = ZoneInfo("Europe/Stockholm")
GROUP_ID = 7
OTHER_GROUP_ID = 8
NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)

ACTORS = {
    "anonymous": ANONYMOUS,
    "official": Actor(user_id=2, active=True, roles={OTHER_GROUP_ID: MemberRole.LEAD}),
    "member": Actor(user_id=3, active=True, roles={GROUP_ID: MemberRole.MEMBER}),
    "lead": Actor(user_id=4, active=True, roles={GROUP_ID: MemberRole.LEAD}),
    "coordinator": Actor(user_id=5, active=True, is_coordinator=True),
    "lead with a read token": Actor(
        user_id=6, active=True, roles={GROUP_ID: MemberRole.LEAD}, scopes=frozenset({Scope.READ})
    ),
}


def group_of(visibility: str) -> Group | None:
    if visibility == "association":
        return None
    return Group(id=GROUP_ID, slug="g", name="G", visibility=Visibility(visibility))


def event_of(group: Group | None, **overrides: object) -> Event:
    values: dict[str, object] = {
        "id": 1,
        "title": "Seminarium",
        "group_id": group.id if group else None,
        "starts_at": NOW + timedelta(days=10),
        "ends_at": NOW + timedelta(days=10, hours=3),
    }
    values.update(overrides)
    return Event(**values)


def create(actor: Actor, group: Group | None) -> None:
    policy.require_event_creator(actor, group)


def edit(actor: Actor, group: Group | None) -> None:
    policy.require_event_reader(actor, group)
    policy.require_event_editor(actor, event_of(group), group)


def see_registrations(actor: Actor, group: Group | None) -> None:
    policy.require_event_reader(actor, group)
    policy.require_registration_reader(actor, group)


def register(actor: Actor, group: Group | None) -> None:
    policy.require_event_reader(actor, group)
    policy.require_write_access(actor)
    if not policy.can_register(actor, event_of(group), group, NOW):
        raise Forbidden("no")


ACTIONS: dict[str, Callable[[Actor, Group | None], None]] = {
    "see": policy.require_event_reader,
    "register": register,
    "create": create,
    "edit": edit,
    "see registrations": see_registrations,
}

ALLOWED, HIDDEN, REFUSED, SIGN_IN = "allowed", 404, 403, 401
# Columns: see, register, create, edit, see registrations.
TABLE = {
    ("anonymous", "association"): (HIDDEN, HIDDEN, SIGN_IN, HIDDEN, HIDDEN),
    ("official", "association"): (ALLOWED, ALLOWED, REFUSED, REFUSED, REFUSED),
    ("lead", "association"): (ALLOWED, ALLOWED, REFUSED, REFUSED, REFUSED),
    ("coordinator", "association"): (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("lead with a read token", "association"): (ALLOWED, REFUSED, REFUSED, REFUSED, REFUSED),
    ("official", "open"): (ALLOWED, ALLOWED, REFUSED, REFUSED, REFUSED),
    ("member", "open"): (ALLOWED, ALLOWED, REFUSED, REFUSED, REFUSED),
    ("lead", "open"): (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("coordinator", "open"): (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("lead with a read token", "open"): (ALLOWED, REFUSED, REFUSED, REFUSED, ALLOWED),
    ("official", "closed"): (HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("member", "closed"): (ALLOWED, ALLOWED, REFUSED, REFUSED, REFUSED),
    ("lead", "closed"): (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("coordinator", "closed"): (HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("official", "secret"): (HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("lead", "secret"): (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    ("coordinator", "secret"): (HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
}
CASES = [
    (who, where, action, expected)
    for (who, where), outcomes in TABLE.items()
    for action, expected in zip(ACTIONS, outcomes, strict=True)
]


@pytest.mark.parametrize(("who", "where", "action", "expected"), CASES)
def test_who_sees_registers_arranges_and_reads_the_registrations(
    who: str, where: str, action: str, expected: object
) -> None:
    outcome: object = ALLOWED
    try:
        ACTIONS[action](ACTORS[who], group_of(where))
    except NotFound:
        outcome = HIDDEN
    except Forbidden:
        outcome = REFUSED
    except Unauthenticated:
        outcome = SIGN_IN
    assert outcome == expected


def test_a_closed_registration_and_a_cancelled_event_say_why() -> None:
    group = group_of("open")
    member = ACTORS["member"]
    closed = event_of(group, registration_closes_at=NOW - timedelta(minutes=1))
    begun = event_of(group, starts_at=NOW - timedelta(minutes=1))
    cancelled = event_of(group, cancelled_at=NOW)
    assert [policy.registration_closed(e, NOW) for e in (closed, begun, cancelled)] == [
        "closed",
        "started",
        "cancelled",
    ]
    assert not policy.can_register(member, closed, group, NOW)
    assert policy.can_unregister(member, closed, group, NOW)  # a freed place helps the line
    assert not policy.can_unregister(member, begun, group, NOW)
    with pytest.raises(Exception, match="cancelled"):
        policy.require_event_editor(ACTORS["lead"], cancelled, group)


def test_an_archived_groups_events_are_not_arranged_anew() -> None:
    group = group_of("open")
    assert group is not None
    group.archived_at = NOW
    assert not policy.can_create_event(ACTORS["lead"], group)


def test_the_programme_text_reads_days_and_times_and_writes_them_back() -> None:
    start = datetime(2027, 3, 25, 9, tzinfo=STOCKHOLM)
    text = (
        "09:30 | Välkommen | Anna Berg | Aulan\n\n13.15 | Workshop\n2027-03-26 09:00 | Dag två ||"
    )
    items = parse_programme(text, start)
    assert [(i.starts_at.astimezone(STOCKHOLM).isoformat(), i.title) for i in items] == [
        ("2027-03-25T09:30:00+01:00", "Välkommen"),
        ("2027-03-25T13:15:00+01:00", "Workshop"),
        ("2027-03-26T09:00:00+01:00", "Dag två"),
    ]
    assert items[0].speaker == "Anna Berg"
    assert items[0].room == "Aulan"
    assert programme_text(items) == (
        "2027-03-25 09:30 | Välkommen | Anna Berg | Aulan\n"
        "2027-03-25 13:15 | Workshop\n"
        "2027-03-26 09:00 | Dag två"
    )
    for bad in (
        "Välkommen",
        "25:00 | Sent",
        "2027-02-30 09:00 | Ingen dag",
        "0001-01-01 00:00 | x",
    ):
        with pytest.raises(Invalid):
            parse_programme(bad, start)


@pytest.mark.parametrize(
    ("starts", "reminded"),
    [
        # The day before the change to summer time: 08:00 winter time.
        (datetime(2030, 3, 31, 10, tzinfo=STOCKHOLM), datetime(2030, 3, 30, 7, tzinfo=UTC)),
        # The day after it: the reminder is sent on the day of the change, 08:00 summer time.
        (datetime(2030, 4, 1, 10, tzinfo=STOCKHOLM), datetime(2030, 3, 31, 6, tzinfo=UTC)),
        # Just after midnight: the day before is the calendar day before.
        (datetime(2030, 6, 10, 0, 30, tzinfo=STOCKHOLM), datetime(2030, 6, 9, 6, tzinfo=UTC)),
    ],
)
def test_the_reminder_is_due_at_eight_swedish_time_on_the_day_before(
    starts: datetime, reminded: datetime
) -> None:
    assert reminder_at(starts) == reminded


# --- what the registered are shown ----------------------------------------------------


def arrange(session: Session, user: User, group: str | None, **changes: object) -> Event:
    assert user.id is not None
    start = utcnow() + timedelta(days=20)
    fields = EventFields(
        kind=EventKind.SEMINAR,
        title=str(changes.pop("title", "Träffen")),
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Folkets hus",
        programme=(ProgrammeEntry(start, "Start"),),
    )
    return events.create_event(
        session, load_actor(session, user.id), group_slug=group, fields=fields
    )


def actor_of(session: Session, user: User) -> Actor:
    assert user.id is not None
    return load_actor(session, user.id)


def test_event_notifications_are_shown_to_whom_they_concern(session: Session) -> None:
    """An association event's news has no group and is shown all the same; a closed
    group's is shown while its official still reads the group."""
    closed = make_group(session, slug="styr-n", visibility=Visibility.CLOSED)
    lead = make_user(session)
    member = make_user(session)
    make_membership(session, group=closed, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=closed, user=member)
    coordinator = make_user(session, is_coordinator=True)
    wide = arrange(session, coordinator, None, title="Bergslagen 2030")
    own = arrange(session, lead, "styr-n", title="Styrgruppen")
    for event in (wide, own):
        assert event.id is not None
        event_registrations.register(session, actor_of(session, member), event_id=event.id)
    assert wide.id is not None
    assert own.id is not None
    events.cancel_event(session, actor_of(session, coordinator), event_id=wide.id)
    events.update_event(
        session, actor_of(session, lead), event_id=own.id, changes={"place": "Ludvika"}
    )

    shown = notifications.list_notifications(session, actor_of(session, member))
    assert sorted((v.notification.kind.value, v.event_title) for v in shown) == [
        ("event_cancelled", "Bergslagen 2030"),
        ("event_changed", "Styrgruppen"),
    ]
    assert notifications.unread_count(session, actor_of(session, member)) == 2

    assert member.id is not None
    groups.remove_member(session, actor_of(session, member), slug="styr-n", user_id=member.id)
    shown = notifications.list_notifications(session, actor_of(session, member))
    assert [v.event_title for v in shown] == ["Bergslagen 2030"]


def test_the_line_moves_up_first_come_first_served_when_places_are_added(
    session: Session,
) -> None:
    lead = make_user(session)
    group = make_group(session, slug="ungdom-n")
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    event = arrange(session, lead, "ungdom-n")
    assert event.id is not None
    events.update_event(
        session, actor_of(session, lead), event_id=event.id, changes={"capacity": 1}
    )
    people = [make_user(session) for _ in range(4)]
    for person in people:
        event_registrations.register(session, actor_of(session, person), event_id=event.id)
    assert (event.registered_count, event.waiting_count) == (1, 3)

    events.update_event(
        session, actor_of(session, lead), event_id=event.id, changes={"capacity": 3}
    )

    listed = event_registrations.registration_list(session, actor_of(session, lead), event.id)
    assert [p.name for p in listed.registered] == sorted(p.name for p in people[:3])
    assert [p.name for p in listed.waiting] == [people[3].name]
    assert (event.registered_count, event.waiting_count) == (3, 1)


# --- the reminder through a real SMTP server ------------------------------------------


@pytest.fixture
def own_engine(fresh_database_url: str) -> Iterator[Engine]:
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


def due_now(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.update(Job).where(col(Job.kind) == REMIND).values(run_at=utcnow() - timedelta(1))
        )


def test_the_reminder_mails_the_registered_once_and_a_moved_event_only_anew(
    own_engine: Engine, settings: Settings, smtp_server: tuple[str, Inbox], tmp_path: Path
) -> None:
    url, inbox = smtp_server
    factory = db.make_session_factory(own_engine)
    with db.session_scope(factory) as session:
        group = make_group(session, slug="ungdom-m")
        lead = make_user(session, name="Lars Ledare")
        make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
        coming = make_user(session, name="Karin Lund", email="karin.lund@nora.se")
        english = make_user(session, name="Ann Eng", email="ann@nora.se", locale=Locale.EN)
        waiting = make_user(session, name="Väntar Väntesson", email="vantar@nora.se")
        event = arrange(session, lead, "ungdom-m", title="Unga och arbete")
        assert event.id is not None
        event_id = event.id
        events.update_event(
            session, actor_of(session, lead), event_id=event_id, changes={"capacity": 2}
        )
        for person in (coming, english, waiting):
            event_registrations.register(session, actor_of(session, person), event_id=event_id)
    runner = worker.Runner(
        settings.model_copy(
            update={"smtp_url": url, "data_dir": tmp_path, "base_url": "https://erfa.example.se"}
        ),
        own_engine,
    )
    due_now(own_engine)

    assert runner.run_jobs() == 1
    assert runner.run_jobs() == 0

    assert sorted(m["To"] for m in inbox.messages) == ["ann@nora.se", "karin.lund@nora.se"]
    swedish = next(m for m in inbox.messages if m["To"] == "karin.lund@nora.se")
    assert swedish["Subject"].startswith("Påminnelse: Unga och arbete, ")
    body = swedish.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert f"https://erfa.example.se/e/{event_id}" in body.decode()
    english_mail = next(m for m in inbox.messages if m["To"] == "ann@nora.se")
    weekday = (utcnow() + timedelta(days=20)).astimezone(STOCKHOLM).strftime("%A")
    assert english_mail["Subject"].startswith(f"Reminder: Unga och arbete, {weekday} ")

    # A new time: the reminder of the old one is stale, the new one mails again.
    with db.session_scope(factory) as session:
        lead_actor = load_actor(session, lead.id or 0)
        start = utcnow() + timedelta(days=30)
        events.update_event(
            session,
            lead_actor,
            event_id=event_id,
            changes={"starts_at": start, "ends_at": start + timedelta(hours=1), "programme": ()},
        )
        jobs_now = session.exec(select(Job.payload).where(Job.kind == REMIND)).all()
        assert [payload["sequence"] for payload in jobs_now] == [1]
        # And a stale job of the first sequence, as a worker might still hold one.
        session.add(Job(kind=REMIND, payload={"event": event_id, "sequence": 0}))
    inbox.messages.clear()
    due_now(own_engine)
    assert runner.run_jobs() == 3  # the two reminders and the news of the new time
    reminded = [m["To"] for m in inbox.messages if m["Subject"].startswith(REMINDER_SUBJECTS)]
    assert sorted(reminded) == ["ann@nora.se", "karin.lund@nora.se"]

    # A cancelled event reminds nobody; a change then cancelled is told as cancelled only.
    with db.session_scope(factory) as session:
        events.update_event(
            session, load_actor(session, lead.id or 0), event_id=event_id, changes={"place": "Nora"}
        )
        events.cancel_event(session, load_actor(session, lead.id or 0), event_id=event_id)
    inbox.messages.clear()
    due_now(own_engine)
    assert runner.run_jobs() == 3  # the new reminder, the news of the place, of the cancel
    assert sorted(m["Subject"].split(":")[0] for m in inbox.messages) == [
        "Cancelled",
        "Inställt",
        "Inställt",
    ]


REMINDER_SUBJECTS = ("Påminnelse: ", "Reminder: ")


def test_a_new_time_is_mailed_to_the_registered_and_waiting_with_the_calendar_entry(
    own_engine: Engine, settings: Settings, smtp_server: tuple[str, Inbox], tmp_path: Path
) -> None:
    """Changing the time tells everyone on the lists by mail (a durable job), with links
    to the event and to its updated calendar entry; two quick changes mail the last one
    only; an official who left the closed group is not told."""
    url, inbox = smtp_server
    factory = db.make_session_factory(own_engine)
    with db.session_scope(factory) as session:
        group = make_group(session, slug="ungdom-a", visibility=Visibility.CLOSED)
        lead = make_user(session, name="Lars Ledare")
        make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
        people = [
            make_user(session, name="Karin Lund", email="karin@nora.se"),
            make_user(session, name="Väntar Väntesson", email="vantar@nora.se"),
            make_user(session, name="Gått Vidare", email="gatt@nora.se"),
        ]
        for person in people:
            make_membership(session, group=group, user=person)
        event = arrange(session, lead, "ungdom-a", title="Unga och arbete")
        assert event.id is not None
        event_id = event.id
        events.update_event(
            session, actor_of(session, lead), event_id=event_id, changes={"capacity": 1}
        )
        for person in people:
            event_registrations.register(session, actor_of(session, person), event_id=event_id)
        groups_gone = session.exec(
            select(Membership).where(Membership.user_id == people[2].id)
        ).one()
        session.delete(groups_gone)
    runner = worker.Runner(
        settings.model_copy(
            update={"smtp_url": url, "data_dir": tmp_path, "base_url": "https://erfa.example.se"}
        ),
        own_engine,
    )
    with db.session_scope(factory) as session:
        lead_actor = load_actor(session, lead.id or 0)
        for days in (25, 26):
            start = utcnow() + timedelta(days=days)
            events.update_event(
                session,
                lead_actor,
                event_id=event_id,
                changes={
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=1),
                    "programme": (),
                },
            )
    while runner.run_jobs():
        pass

    news = [m for m in inbox.messages if not m["Subject"].startswith(REMINDER_SUBJECTS)]
    assert sorted(m["To"] for m in news) == ["karin@nora.se", "vantar@nora.se"]
    weekday = format_datetime(start, "EEEE", tzinfo=STOCKHOLM, locale="sv")
    assert all(
        m["Subject"].startswith(f"Ny tid eller plats: Unga och arbete, {weekday} ") for m in news
    )
    bodies = {m["To"]: m.get_payload(decode=True).decode() for m in news}
    assert "Du är anmäld till Unga och arbete" in bodies["karin@nora.se"]
    assert "Du står på väntelistan till Unga och arbete" in bodies["vantar@nora.se"]
    assert f"https://erfa.example.se/e/{event_id}.ics" in bodies["karin@nora.se"]
    assert (
        format_datetime(start, "d MMMM y HH:mm", tzinfo=STOCKHOLM, locale="sv")
        in (bodies["karin@nora.se"])
    )


def test_the_demo_has_the_coming_seminars_the_conference_and_documented_past_events(
    session: Session,
) -> None:
    seed_demo(session)

    now = utcnow()
    rows = session.exec(select(Event).order_by(col(Event.starts_at))).all()
    coming = [e for e in rows if e.starts_at > now]
    past = [e for e in rows if e.ends_at < now]
    assert [e.kind for e in coming].count(EventKind.SEMINAR) == 2
    conference = next(e for e in coming if e.kind is EventKind.CONFERENCE)
    assert conference.group_id is None
    assert conference.title == "Bergslagen 2030"
    assert conference.registered_count >= 10
    assert conference.ends_at.date() > conference.starts_at.date()  # two days
    assert conference.id is not None
    assert len(events.programme_of(session, [conference.id])[conference.id]) >= 6
    workshop = next(e for e in coming if e.kind is EventKind.WORKSHOP)
    assert (workshop.registered_count, workshop.waiting_count) == (4, 1)
    assert len(past) >= 3
    assert all(e.minutes_html and e.thread_id for e in past)
    assert all(e.created_at < e.starts_at for e in past)


def test_saving_an_event_unchanged_is_no_change(session: Session) -> None:
    """The edit form sent again as it was: no new version, no audit entry, no news."""
    lead = make_user(session)
    group = make_group(session, slug="ungdom-u")
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    event = arrange(session, lead, "ungdom-u")
    assert event.id is not None
    before = (event.version, event.sequence)
    same = events.current_fields(session, event)
    changes = {name: getattr(same, name) for name in ("title", "starts_at", "place", "goals")}

    events.update_event(session, actor_of(session, lead), event_id=event.id, changes=changes)

    assert (event.version, event.sequence) == before
    audited = session.exec(select(AuditEntry).where(AuditEntry.action == "event.update")).all()
    assert audited == []
    assert session.exec(select(Job).where(Job.kind == ANNOUNCE)).all() == []


def test_leaving_a_closed_group_gives_the_place_to_the_first_in_line(session: Session) -> None:
    """Who leaves a closed group (or is suspended) no longer sees its events: their
    registration is withdrawn and the line moves up, past anyone who cannot see it."""
    closed = make_group(session, slug="styr-w", visibility=Visibility.CLOSED)
    lead = make_user(session)
    make_membership(session, group=closed, user=lead, role=MemberRole.LEAD)
    holder, outsider_later, next_in_line = (
        make_user(session),
        make_user(session),
        make_user(session),
    )
    for person in (holder, outsider_later, next_in_line):
        make_membership(session, group=closed, user=person)
    event = arrange(session, lead, "styr-w")
    assert event.id is not None
    events.update_event(
        session, actor_of(session, lead), event_id=event.id, changes={"capacity": 1}
    )
    for person in (holder, outsider_later, next_in_line):
        event_registrations.register(session, actor_of(session, person), event_id=event.id)
    assert (event.registered_count, event.waiting_count) == (1, 2)
    # The second in line leaves first: no place for them when the holder goes.
    groups.remove_member(
        session, actor_of(session, outsider_later), slug="styr-w", user_id=outsider_later.id or 0
    )
    assert (event.registered_count, event.waiting_count) == (1, 1)

    groups.remove_member(session, actor_of(session, holder), slug="styr-w", user_id=holder.id or 0)

    statuses = dict(
        session.exec(
            select(Registration.user_id, Registration.status).where(
                Registration.event_id == event.id
            )
        ).all()
    )
    assert statuses == {next_in_line.id: RegistrationStatus.REGISTERED}
    assert (event.registered_count, event.waiting_count) == (1, 0)

    coordinator = make_user(session, is_coordinator=True)
    users.set_suspended(
        session, actor_of(session, coordinator), user_id=next_in_line.id or 0, suspended=True
    )
    assert session.exec(select(Registration).where(Registration.event_id == event.id)).all() == []
    assert (event.registered_count, event.waiting_count) == (0, 0)
