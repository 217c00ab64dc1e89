"""Calendars as erfa serves them, parsed back with icalendar: an event's file, the
personal feed, the time zone across the change to summer and winter time, and what a
calendar learns of a new time or a cancellation (same UID, higher SEQUENCE)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlmodel import Session

from domain import event_registrations, events, feed_keys
from domain.actor import load_actor
from domain.event_fields import EventFields
from erfa.settings import Settings
from models import EventKind, MemberRole, User, Visibility, utcnow
from tests.factories import make_group, make_membership, make_user
from web.calendar import stockholm_zone
from web.feeds import feed_secret

Browser = Callable[[User], TestClient]
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    group = make_group(session, slug="ungdom-c")
    other = make_group(session, slug="annan-c")
    closed = make_group(session, slug="styr-c", visibility=Visibility.CLOSED)
    lead = make_user(session, name="Lars Ledare")
    for g in (group, other, closed):
        make_membership(session, group=g, user=lead, role=MemberRole.LEAD)
    member = make_user(session, name="Maja Medlem")
    make_membership(session, group=group, user=member)
    coordinator = make_user(session, name="Cecilia", is_coordinator=True)
    return {"lead": lead, "member": member, "coordinator": coordinator}


def arrange(session: Session, user: User, group: str | None, title: str, **times: Any) -> int:
    assert user.id is not None
    start = times.get("starts_at", utcnow() + timedelta(days=30))
    fields = EventFields(
        kind=EventKind.SEMINAR,
        title=title,
        starts_at=start,
        ends_at=times.get("ends_at", start + timedelta(hours=2)),
        place="Folkets hus, Ludvika",
        description="Om *unga*.",
    )
    event = events.create_event(
        session, load_actor(session, user.id), group_slug=group, fields=fields
    )
    assert event.id is not None
    return event.id


def parse(body: bytes) -> Calendar:
    calendar = Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    return calendar


def entries(calendar: Calendar) -> dict[str, Any]:
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def feed_of(session: Session, client: TestClient, user: User) -> str:
    secret = feed_secret(client.app.state.settings)  # type: ignore[attr-defined]
    return f"/cal/{feed_keys.key_for(user, secret)}.ics"


def test_an_events_file_is_valid_icalendar_in_swedish_time_across_the_change(
    browser_as: Browser, people: dict[str, User], session: Session, settings: Settings
) -> None:
    """Two days, the last Sunday of March between them: the start is in winter time, the
    end in summer time, and both are the wall-clock times the arrangers gave."""
    event_id = arrange(
        session,
        people["lead"],
        "ungdom-c",
        "Över sommartiden",
        starts_at=datetime(2030, 3, 30, 9, 0, tzinfo=STOCKHOLM),
        ends_at=datetime(2030, 3, 31, 15, 0, tzinfo=STOCKHOLM),
    )
    response = browser_as(people["member"]).get(f"/e/{event_id}.ics")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="erfa-{event_id}.ics"'
    calendar = parse(response.content)
    [entry] = calendar.walk("VEVENT")
    host = urlsplit(settings.base_url).hostname
    assert str(entry["UID"]) == f"event-{event_id}@{host}"
    assert entry["SEQUENCE"] == 0
    assert str(entry["STATUS"]) == "CONFIRMED"
    assert str(entry["LOCATION"]) == "Folkets hus, Ludvika"
    assert str(entry["URL"]).endswith(f"/e/{event_id}")
    assert entry["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert entry.decoded("DTSTART").utcoffset() == timedelta(hours=1)
    assert entry.decoded("DTEND").utcoffset() == timedelta(hours=2)
    assert entry.decoded("DTSTART").astimezone(UTC) == datetime(2030, 3, 30, 8, 0, tzinfo=UTC)
    assert entry.decoded("DTEND").astimezone(UTC) == datetime(2030, 3, 31, 13, 0, tzinfo=UTC)
    assert b"DTSTART;TZID=Europe/Stockholm:20300330T090000" in response.content
    assert b"DTEND;TZID=Europe/Stockholm:20300331T150000" in response.content
    # Its VTIMEZONE, read on its own (not looked up by name), agrees with the tz database.
    [zone] = calendar.walk("VTIMEZONE")
    own = zone.to_tz(lookup_tzid=False)
    for moment in (
        datetime(2030, 3, 31, 0, 59, tzinfo=UTC),
        datetime(2030, 3, 31, 1, 0, tzinfo=UTC),
        datetime(2030, 10, 27, 0, 59, tzinfo=UTC),
        datetime(2030, 10, 27, 1, 0, tzinfo=UTC),
        datetime(2031, 7, 1, 12, 0, tzinfo=UTC),
    ):
        assert moment.astimezone(own).utcoffset() == moment.astimezone(STOCKHOLM).utcoffset()


def test_the_vtimezone_gives_each_change_in_the_local_time_before_it() -> None:
    """RFC 5545 3.6.5: summer time begins at 02:00 winter time, winter time at 03:00
    summer time."""
    zone = stockholm_zone(2029, 2031)
    onsets = {
        (
            sub.name,
            str(sub["TZNAME"]),
            sub.decoded("TZOFFSETFROM") != sub.decoded("TZOFFSETTO"),
        ): _onsets(sub)
        for sub in zone.subcomponents
    }
    assert onsets[("STANDARD", "CET", False)] == [wall(2029, 1, 1, 0, 0)]  # where it starts
    assert onsets[("DAYLIGHT", "CEST", True)] == [
        wall(2029, 3, 25, 2, 0),
        wall(2030, 3, 31, 2, 0),
        wall(2031, 3, 30, 2, 0),
    ]
    assert onsets[("STANDARD", "CET", True)] == [
        wall(2029, 10, 28, 3, 0),
        wall(2030, 10, 27, 3, 0),
        wall(2031, 10, 26, 3, 0),
    ]


def wall(*parts: int) -> datetime:
    """A floating local time, as a VTIMEZONE gives its onsets."""
    return datetime(*parts)  # noqa: DTZ001


def _onsets(part: Any) -> list[datetime]:
    """DTSTART and every RDATE of a STANDARD or DAYLIGHT part."""
    rdates = part.get("RDATE", [])
    lists = rdates if isinstance(rdates, list) else [rdates]
    return [part.decoded("DTSTART"), *(d.dt for rdate in lists for d in rdate.dts)]


def test_a_new_time_and_a_cancellation_keep_the_uid_and_raise_the_sequence(
    browser_as: Browser, people: dict[str, User], session: Session
) -> None:
    event_id = arrange(session, people["lead"], "ungdom-c", "Flyttas")
    lead = load_actor(session, people["lead"].id or 0)
    member = browser_as(people["member"])
    before = entries(parse(member.get(f"/e/{event_id}.ics").content))["Flyttas"]

    events.update_event(
        session,
        lead,
        event_id=event_id,
        changes={
            "starts_at": datetime(2031, 5, 5, 10, tzinfo=STOCKHOLM),
            "ends_at": datetime(2031, 5, 5, 12, tzinfo=STOCKHOLM),
        },
    )
    moved = entries(parse(member.get(f"/e/{event_id}.ics").content))["Flyttas"]
    events.cancel_event(session, lead, event_id=event_id, reason="Sjukdom")
    cancelled = entries(parse(member.get(f"/e/{event_id}.ics").content))["Flyttas"]

    assert str(before["UID"]) == str(moved["UID"]) == str(cancelled["UID"])
    assert (before["SEQUENCE"], moved["SEQUENCE"], cancelled["SEQUENCE"]) == (0, 1, 2)
    assert moved.decoded("DTSTART") == datetime(2031, 5, 5, 10, tzinfo=STOCKHOLM)
    assert str(cancelled["STATUS"]) == "CANCELLED"


def test_the_personal_feed_holds_registrations_and_the_groups_events_by_key_only(
    client: TestClient, people: dict[str, User], session: Session
) -> None:
    own_group = arrange(session, people["lead"], "ungdom-c", "Gruppens träff")
    elsewhere = arrange(session, people["lead"], "annan-c", "Annan grupps träff")
    association = arrange(session, people["coordinator"], None, "Bergslagen 2030")
    arrange(session, people["coordinator"], None, "Inte anmäld")
    arrange(session, people["lead"], "styr-c", "Styrgruppen")
    member = load_actor(session, people["member"].id or 0)
    for event_id in (elsewhere, association):
        event_registrations.register(session, member, event_id=event_id)
    url = feed_of(session, client, people["member"])

    response = client.get(url)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert sorted(entries(parse(response.content))) == [
        "Annan grupps träff",
        "Bergslagen 2030",
        "Gruppens träff",
    ]
    assert own_group
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert client.get(url.replace(".ics", "x.ics")).status_code == 404
    assert client.get("/cal/1-AAAAAAAAAAAAAAAAAAAAAA.ics").status_code == 404
    feed_keys.revoke(session, member)
    session.expire_all()
    assert client.get(url).status_code == 404


def test_the_feed_tells_a_waiting_official_and_shows_a_cancellation(
    client: TestClient, people: dict[str, User], session: Session
) -> None:
    event_id = arrange(session, people["coordinator"], None, "Fullt")
    coordinator = load_actor(session, people["coordinator"].id or 0)
    events.update_event(session, coordinator, event_id=event_id, changes={"capacity": 1})
    other = make_user(session)
    event_registrations.register(session, load_actor(session, other.id or 0), event_id=event_id)
    member = load_actor(session, people["member"].id or 0)
    event_registrations.register(session, member, event_id=event_id)
    events.cancel_event(session, coordinator, event_id=event_id)

    entry = entries(parse(client.get(feed_of(session, client, people["member"])).content))["Fullt"]

    assert "waiting list" in str(entry["DESCRIPTION"]).lower() or "väntelista" in str(
        entry["DESCRIPTION"]
    )
    assert str(entry["STATUS"]) == "CANCELLED"
    assert entry["SEQUENCE"] == 1


def test_an_empty_feed_is_still_a_calendar(
    client: TestClient, people: dict[str, User], session: Session
) -> None:
    loner = make_user(session)
    calendar = parse(client.get(feed_of(session, client, loner)).content)
    assert calendar.walk("VEVENT") == []


def test_the_events_file_is_for_readers_signed_in(
    client: TestClient, browser_as: Browser, people: dict[str, User], session: Session
) -> None:
    hidden = arrange(session, people["lead"], "styr-c", "Styrgruppen")
    assert client.get(f"/e/{hidden}.ics", follow_redirects=False).status_code == 303
    assert browser_as(people["member"]).get(f"/e/{hidden}.ics").status_code == 404
