"""The association's year for the demo: events around today (Swedish time).

Coming: a workshop this month that is full (with a waiting list), two seminars of the
groups, and the next "Bergslagen 2030" conference with its two-day programme and many
registrations. Past: last year's conference, a seminar and a steering group meeting, with
minutes and a linked discussion. Events are arranged by the demo officials who would
arrange them (coordinators and the groups' leads), through the domain's own services;
registrations for past events are written as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from domain import event_documents, event_registrations, events, themes
from domain.actor import load_actor
from domain.event_fields import EventFields, ProgrammeEntry, at_local
from models import (
    Event,
    EventKind,
    Registration,
    RegistrationStatus,
    Thread,
    User,
    utcnow,
)

LEADS = {
    None: "anna.lindqvist@ludvika.se",
    "ungdom": "johan.eriksson@hedemora.se",
    "attraktionskraft": "maria.oberg@fagersta.se",
    "kommunikation": "per.akesson@borlange.se",
    "mangfald": "amira.hassan@avesta.se",
    "styrgrupp": "anna.lindqvist@ludvika.se",
}
"""Who arranges the events of each group; None: the association's own."""


@dataclass(frozen=True)
class DemoEvent:
    group: str | None
    kind: EventKind
    title: str
    description: str
    days_from_today: int
    weekday: int
    """0 is Monday: the event moves forward to the next such day."""
    starts: time
    ends: time
    place: str = ""
    online_url: str | None = None
    last_day: int = 0
    """Days after the first: a conference lasts two."""
    capacity: int | None = None
    closes_days_before: int | None = None
    programme: tuple[tuple[int, str, str, str, str], ...] = ()
    """(day, "HH:MM", title, speaker, room)."""
    goals: tuple[int, ...] = ()
    registered: tuple[str, ...] = ()
    minutes: str = ""
    discussion: str | None = None
    """The title of a seeded discussion of the group, linked as the discussion after it."""
    extra: dict[str, Any] = field(default_factory=dict)


_CONFERENCE_PROGRAMME = (
    (0, "09:30", "Kaffe och registrering", "", "Foajén"),
    (0, "10:00", "Välkommen till Bergslagen 2030", "Anna Lindqvist, Ludvika", "Stora salen"),
    (
        0,
        "10:30",
        "Agenda 2030 i en liten kommun – var börjar man?",
        "Forskare, Högskolan Dalarna",
        "Stora salen",
    ),
    (
        0,
        "13:00",
        "Unga som stannar: feriepraktik och ungdomsråd",
        "Johan Eriksson, Hedemora",
        "Sal A",
    ),
    (0, "13:00", "Inflyttarlotsen – ett år senare", "Maria Öberg, Fagersta", "Sal B"),
    (0, "15:00", "Erfarenhetsgrupperna presenterar sig", "Gruppernas ledare", "Stora salen"),
    (
        1,
        "09:00",
        "Jämställd resursfördelning i praktiken",
        "Sofia Bergström, Lindesberg",
        "Stora salen",
    ),
    (1, "10:30", "Workshop: vad tar vi hem?", "Per Åkesson, Borlänge", "Sal A"),
    (1, "13:00", "Nästa års tema och avslutning", "Styrgruppen", "Stora salen"),
)
_EVERYONE = (
    "johan.eriksson@hedemora.se",
    "maria.oberg@fagersta.se",
    "per.akesson@borlange.se",
    "amira.hassan@avesta.se",
    "sofia.bergstrom@lindesberg.se",
    "emma.karlsson@norberg.se",
    "mikael.nystrom@storfors.se",
    "linnea.hakansson@nora.se",
    "erik.lundgren@filipstad.se",
    "helena.sjoberg@ludvika.se",
    "tomas.wallin@hedemora.se",
)

EVENTS: list[DemoEvent] = [
    DemoEvent(
        group="kommunikation",
        kind=EventKind.WORKSHOP,
        title="Klarspråk på kommunens webb",
        description=(
            "En workshop med egna texter: ta med en sida från er webbplats som invånarna "
            "har svårt att förstå, så skriver vi om den tillsammans."
        ),
        days_from_today=5,
        weekday=2,
        starts=time(9, 0),
        ends=time(12, 0),
        place="Kommunhuset, Borlänge, rum Dalälven",
        capacity=4,
        closes_days_before=1,
        goals=(16,),
        registered=(
            "helena.sjoberg@ludvika.se",
            "tomas.wallin@hedemora.se",
            "jenny.forsberg@avesta.se",
            "erik.lundgren@filipstad.se",
            "maria.oberg@fagersta.se",
        ),
    ),
    DemoEvent(
        group="ungdom",
        kind=EventKind.SEMINAR,
        title="Feriepraktik som fungerar – vad har vi lärt oss?",
        description=(
            "Hedemora, Norberg och Nora berättar hur de ordnar **feriepraktik** för unga, "
            "hur de hittar platser hos privata arbetsgivare och vad ungdomarna själva tycker.\n\n"
            "Seminariet är öppet för alla i nätverket."
        ),
        days_from_today=12,
        weekday=3,
        starts=time(13, 0),
        ends=time(16, 0),
        place="Kulturhuset, Hedemora",
        online_url="https://meet.example.org/feriepraktik",
        capacity=40,
        closes_days_before=5,
        programme=(
            (0, "13:00", "Välkommen", "Johan Eriksson, Hedemora", ""),
            (0, "13:15", "Så ordnar vi feriepraktik i Norberg", "Emma Karlsson, Norberg", ""),
            (0, "14:30", "Fika", "", ""),
            (0, "15:00", "Samtal: arbetsgivarnas roll", "", ""),
        ),
        goals=(4, 8),
        registered=(
            "emma.karlsson@norberg.se",
            "mikael.nystrom@storfors.se",
            "linnea.hakansson@nora.se",
        ),
    ),
    DemoEvent(
        group="attraktionskraft",
        kind=EventKind.SEMINAR,
        title="Inflyttarlotsen – så tar vi emot nya invånare",
        description=(
            "Fagersta visar hur inflyttarlotsen arbetar, från första kontakten till ett år "
            "efter flytten, och vilka siffror de följer upp."
        ),
        days_from_today=40,
        weekday=1,
        starts=time(10, 0),
        ends=time(12, 0),
        online_url="https://meet.example.org/inflyttarlotsen",
        goals=(8, 11),
        registered=("erik.lundgren@filipstad.se", "helena.sjoberg@ludvika.se"),
    ),
    DemoEvent(
        group=None,
        kind=EventKind.CONFERENCE,
        title="Bergslagen 2030",
        description=(
            "Den årliga konferensen för Bergslagskommunernas tjänstepersoner: två dagar om "
            "Agenda 2030 i kommunernas vardag, med erfarenhetsgrupperna, forskare och gott om "
            "tid att prata med kollegor."
        ),
        days_from_today=110,
        weekday=3,
        starts=time(9, 30),
        ends=time(15, 0),
        last_day=1,
        place="Folkets hus, Ludvika",
        capacity=120,
        closes_days_before=14,
        programme=_CONFERENCE_PROGRAMME,
        goals=(11, 17),
        registered=_EVERYONE,
    ),
    DemoEvent(
        group=None,
        kind=EventKind.CONFERENCE,
        title="Bergslagen 2030 – förra årets konferens",
        description="Konferensen om attraktivitet och att unga vill stanna i Bergslagen.",
        days_from_today=-250,
        weekday=3,
        starts=time(9, 30),
        ends=time(15, 0),
        last_day=1,
        place="Västanfors Folkets hus, Fagersta",
        capacity=100,
        programme=_CONFERENCE_PROGRAMME[:6],
        goals=(11,),
        registered=_EVERYONE[:8],
        minutes=(
            "## Det viktigaste\n\n"
            "- 92 deltagare från alla tio kommuner.\n"
            "- Grupperna Ungdom och Attraktionskraft fortsätter samarbetet om feriepraktik.\n"
            "- Nästa års tema beslutas av styrgruppen i höst."
        ),
        discussion="Inflyttarservice – hur mäter ni effekten?",
    ),
    DemoEvent(
        group="mangfald",
        kind=EventKind.SEMINAR,
        title="Språkcafé som mötesplats",
        description="Avesta och Lindesberg berättar om sina språkcaféer.",
        days_from_today=-40,
        weekday=1,
        starts=time(13, 0),
        ends=time(15, 30),
        place="Biblioteket, Avesta",
        registered=("ahmad.rahimi@lindesberg.se", "jenny.forsberg@avesta.se"),
        minutes=(
            "Vi jämförde två sätt att driva språkcafé. Volontärerna behöver en fast "
            "kontaktperson på biblioteket; teman varje vecka lockar fler."
        ),
        discussion="Språkcafé – hur håller ni intresset uppe?",
    ),
    DemoEvent(
        group="styrgrupp",
        kind=EventKind.MEETING,
        title="Styrgruppens möte",
        description="Planering av konferensen och nästa års tema.",
        days_from_today=-20,
        weekday=0,
        starts=time(10, 0),
        ends=time(12, 0),
        online_url="https://meet.example.org/styrgruppen",
        registered=("johan.eriksson@hedemora.se", "maria.oberg@fagersta.se"),
        minutes="1. Konferensens program fastställdes.\n2. Temat för nästa år diskuteras vidare.",
        discussion="Planering av Bergslagen 2030 – höstens konferens",
    ),
]


def seed_events(session: Session, *, today: date | None = None) -> None:
    """The demo events around `today` (Swedish time); expects the demo officials, groups
    and discussions."""
    today = today or themes.local_today()
    people = {user.email: user for user in session.exec(select(User)).all()}
    for item in EVENTS:
        _seed(session, people, item, today)


def _first_day(item: DemoEvent, today: date) -> date:
    day = today + timedelta(days=item.days_from_today)
    return day + timedelta(days=(item.weekday - day.weekday()) % 7)


def _seed(session: Session, people: dict[str, User], item: DemoEvent, today: date) -> None:
    arranger = people[LEADS[item.group]]
    assert arranger.id is not None
    actor = load_actor(session, arranger.id)
    first = _first_day(item, today)
    starts = at_local(first, item.starts)
    closes = None
    if item.closes_days_before is not None:
        closes = at_local(first - timedelta(days=item.closes_days_before), time(23, 59))
    fields = EventFields(
        kind=item.kind,
        title=item.title,
        description=item.description,
        starts_at=starts,
        ends_at=at_local(first + timedelta(days=item.last_day), item.ends),
        place=item.place,
        online_url=item.online_url,
        goals=item.goals,
        capacity=item.capacity,
        registration_closes_at=closes,
        programme=tuple(
            ProgrammeEntry(
                at_local(first + timedelta(days=day), time.fromisoformat(clock)),
                title,
                speaker,
                room,
            )
            for day, clock, title, speaker, room in item.programme
        ),
    )
    event = events.create_event(session, actor, group_slug=item.group, fields=fields)
    assert event.id is not None
    if starts > utcnow():
        for email in item.registered:
            person = people[email]
            assert person.id is not None
            registrant = load_actor(session, person.id)
            event_registrations.register(session, registrant, event_id=event.id)
        return
    _as_it_was(session, event, [people[email] for email in item.registered], starts)
    if item.minutes:
        event_documents.save_minutes(session, actor, event_id=event.id, minutes=item.minutes)
    if item.discussion:
        event.thread_id = session.exec(
            select(Thread.id).where(Thread.title == item.discussion).order_by(col(Thread.id))
        ).first()


def _as_it_was(session: Session, event: Event, people: list[User], starts: datetime) -> None:
    """A past event: made weeks before it, with the registrations it had then."""
    event.created_at = starts - timedelta(days=60)
    for n, person in enumerate(people):
        assert person.id is not None
        session.add(
            Registration(
                event_id=event.id or 0,
                user_id=person.id,
                status=RegistrationStatus.REGISTERED,
                created_at=event.created_at + timedelta(days=1, hours=n),
            )
        )
    event.registered_count = len(people)
    session.flush()
