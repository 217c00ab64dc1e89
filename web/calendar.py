"""Calendars (RFC 5545): an event's file `/e/{id}.ics`, and the personal feed `/cal/{key}.ics`.

The event's file is for a signed-in reader of the event (a download from its page). The
feed is read by calendar apps, which send no cookies: the feed key in its path is the
credential (`domain/feed_keys.py`), as for the Atom feeds, and a key that does not work
is a plain 404. The feed holds the events the key's owner registered for or waits for,
and the events of their groups (`event_views.calendar_feed`). Both are GETs, which CSRF
lets pass; the router comes before the events pages, whose `/e/{event_id}` would
otherwise take `/e/1.ics`.

Each event keeps one UID (`event-{id}@{host}`); a new time or place and a cancellation
raise its SEQUENCE (a cancelled event stays, with STATUS:CANCELLED), so that calendars
replace the entry they have. Times carry TZID=Europe/Stockholm with its VTIMEZONE,
built from the time zone database for the years the events span: the onset of summer
and winter time in the local time before each change, as RFC 5545 3.6.5 asks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar import Event as CalendarEvent
from sqlmodel import Session

from domain import event_views, feed_keys
from domain.actor import Actor
from domain.event_fields import STOCKHOLM, local
from domain.event_views import EventRow
from erfa import i18n
from erfa.deps import IdPath, SessionDep, SettingsDep
from erfa.settings import Settings
from models import RegistrationStatus
from web.deps import SignedIn
from web.feeds import feed_secret
from web.rendering import request_locale

router = APIRouter()

MEDIA_TYPE = "text/calendar; charset=utf-8"
PRODID = "-//Bergslagsakademien//erfa//SV"
TZID = "Europe/Stockholm"
CACHE = "private, max-age=300"
ROBOTS = {"X-Robots-Tag": "noindex"}


@router.get("/e/{event_id}.ics", name="calendar:event")
def event_file(
    request: Request, event_id: IdPath, session: SessionDep, settings: SettingsDep, actor: SignedIn
) -> Response:
    row = event_views.event_row(session, actor, event_id)
    i18n.activate(request_locale(request))
    body = calendar_bytes(settings, [row], name=row.event.title)
    disposition = f'attachment; filename="erfa-{event_id}.ics"'
    return _answer(request, body, {"Content-Disposition": disposition, "Cache-Control": "no-store"})


@router.get("/cal/{key}.ics", name="calendar:feed")
def personal_feed(
    request: Request, key: str, session: SessionDep, settings: SettingsDep
) -> Response:
    actor = feed_keys.actor_for(session, key, feed_secret(settings))
    if not actor.signed_in:
        i18n.activate(request_locale(request))
        message = i18n.gettext("There is no such calendar, or its key no longer works.")
        headers = {"Cache-Control": "no-store", **ROBOTS}
        return PlainTextResponse(message + "\n", 404, headers=headers)
    i18n.activate(actor.locale or "sv")
    rows = event_views.calendar_feed(session, actor)
    body = calendar_bytes(settings, rows, name=i18n.gettext("erfa: my events"))
    return _answer(request, body, {"Cache-Control": CACHE, **ROBOTS})


def feed_url(request: Request, session: Session, actor: Actor) -> str | None:
    """The signed-in official's personal calendar feed, key included, for their pages."""
    settings: Settings = request.app.state.settings
    key = feed_keys.own_key(session, actor, feed_secret(settings))
    if key is None:
        return None
    path = request.app.url_path_for("calendar:feed", key=quote(key, safe=""))
    return f"{settings.base_url.rstrip('/')}{path}"


def _answer(request: Request, body: bytes, headers: dict[str, str]) -> Response:
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    sent = request.headers.get("If-None-Match") or ""
    if etag in {part.strip().removeprefix("W/") for part in sent.split(",")}:
        return Response(status_code=304, headers={"ETag": etag, **headers})
    return Response(body, media_type=MEDIA_TYPE, headers={"ETag": etag, **headers})


def calendar_bytes(settings: Settings, rows: Sequence[EventRow], *, name: str) -> bytes:
    """The iCalendar object of the events, in the language active now."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TZID)
    if rows:
        years = [local(row.event.starts_at).year for row in rows]
        years += [local(row.event.ends_at).year for row in rows]
        calendar.add_component(stockholm_zone(min(years) - 1, max(years) + 1))
    for row in rows:
        calendar.add_component(_event(settings, row))
    body: bytes = calendar.to_ical()
    return body


def _event(settings: Settings, row: EventRow) -> CalendarEvent:
    event = row.event
    base = settings.base_url.rstrip("/")
    page = f"{base}/e/{event.id}"
    entry = CalendarEvent()
    entry.add("uid", f"event-{event.id}@{urlsplit(settings.base_url).hostname or 'localhost'}")
    entry.add("dtstamp", (event.updated_at or event.created_at).astimezone(UTC))
    entry.add("created", event.created_at.astimezone(UTC))
    entry.add("last-modified", (event.updated_at or event.created_at).astimezone(UTC))
    entry.add("dtstart", local(event.starts_at))
    entry.add("dtend", local(event.ends_at))
    entry.add("summary", event.title)
    entry.add("sequence", event.sequence)
    entry.add("status", "CANCELLED" if event.cancelled_at is not None else "CONFIRMED")
    entry.add("url", page)
    if event.place or event.online_url:
        entry.add("location", event.place or event.online_url or "")
    entry.add("description", _description(row, page))
    return entry


def _description(row: EventRow, page: str) -> str:
    event = row.event
    parts = []
    if event.cancelled_at is not None:
        parts.append(i18n.gettext("Cancelled."))
    if row.my_status is RegistrationStatus.WAITING:
        parts.append(i18n.gettext("You are on the waiting list."))
    if event.description:
        parts.append(event.description)
    if event.online_url:
        parts.append(event.online_url)
    parts.append(page)
    return "\n\n".join(parts)


@lru_cache(maxsize=64)
def stockholm_zone(first_year: int, last_year: int) -> Timezone:
    """VTIMEZONE of Europe/Stockholm for the years given: each change of offset from the
    time zone database, its onset in the local time before the change."""
    zone = Timezone()
    zone.add("tzid", TZID)
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    before = start.astimezone(STOCKHOLM)
    first = TimezoneDaylight() if before.dst() else TimezoneStandard()
    first.add("dtstart", datetime(first_year, 1, 1))  # noqa: DTZ001 - a local time
    first.add("tzoffsetfrom", before.utcoffset())
    first.add("tzoffsetto", before.utcoffset())
    first.add("tzname", before.tzname() or "")
    zone.add_component(first)
    changes: dict[tuple[bool, timedelta | None, timedelta | None], list[datetime]] = {}
    names: dict[tuple[bool, timedelta | None, timedelta | None], str] = {}
    for moment in _changes(start, datetime(last_year + 1, 1, 1, tzinfo=UTC)):
        old = (moment - timedelta(seconds=1)).astimezone(STOCKHOLM)
        new = moment.astimezone(STOCKHOLM)
        key = (bool(new.dst()), old.utcoffset(), new.utcoffset())
        changes.setdefault(key, []).append(moment + (old.utcoffset() or timedelta()))
        names[key] = new.tzname() or ""
    for (summer, offset_from, offset_to), onsets in changes.items():
        part = TimezoneDaylight() if summer else TimezoneStandard()
        part.add("dtstart", onsets[0].replace(tzinfo=None))
        for onset in onsets[1:]:
            part.add("rdate", onset.replace(tzinfo=None))
        part.add("tzoffsetfrom", offset_from)
        part.add("tzoffsetto", offset_to)
        part.add("tzname", names[(summer, offset_from, offset_to)])
        zone.add_component(part)
    return zone


def _changes(start: datetime, end: datetime) -> list[datetime]:
    """The UTC moments the offset changes between `start` and `end`, to the minute: day
    by day, then the hour and the minute within the day it changed on."""
    found = []
    day, offset = start, start.astimezone(STOCKHOLM).utcoffset()
    while day < end:
        following = day + timedelta(days=1)
        if following.astimezone(STOCKHOLM).utcoffset() != offset:
            moment = day
            for step in (timedelta(hours=1), timedelta(minutes=1)):
                while (moment + step).astimezone(STOCKHOLM).utcoffset() == offset:
                    moment += step
            moment += timedelta(minutes=1)
            found.append(moment)
            offset = moment.astimezone(STOCKHOLM).utcoffset()
        day = following
    return found
