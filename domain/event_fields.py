"""What an event consists of, checked: the fields the arrangers fill in, in Swedish time.

Times are stored in UTC and shown in Europe/Stockholm, where the association meets. A
moment without a zone (a form's `2026-12-10T13:00`) is a Stockholm wall-clock time; one
with an offset is taken as it is. The programme of the web form is text, one item a line:

    2027-03-25 09:30 | Välkommen | Anna Berg, Ludvika | Aulan

A line may leave out the date: it then falls on the day of the line before (the first
line's on the day the event starts).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.errors import Invalid
from models import EventKind

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_PLACE = 300
MAX_URL = 2000
MAX_CAPACITY = 100_000
MAX_PROGRAMME = 100
MAX_SPEAKER = 200
MAX_ROOM = 100
MAX_DAYS = 31
"""An event lasts at most a month: longer is a typo in a date."""
FIRST_YEAR, LAST_YEAR = 2000, 2200
_LINK = re.compile(r"^https?://[^\s<>\"]{1,1990}$")
_LINE = re.compile(r"^(?:(\d{4}-\d{2}-\d{2})\s+)?(\d{1,2}[:.]\d{2})\s*\|(.*)$")


@dataclass(frozen=True)
class ProgrammeEntry:
    starts_at: datetime
    title: str
    speaker: str = ""
    room: str = ""


@dataclass(frozen=True)
class EventFields:
    """An event as its arrangers describe it. `theme` is a theme's slug."""

    kind: EventKind
    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    place: str = ""
    online_url: str | None = None
    theme: str | None = None
    goals: Sequence[int] = ()
    capacity: int | None = None
    registration_closes_at: datetime | None = None
    programme: Sequence[ProgrammeEntry] = field(default_factory=tuple)


EDITABLE = frozenset(EventFields.__dataclass_fields__)
"""The fields a change may name (the group an event belongs to stays)."""


def in_stockholm(moment: datetime) -> datetime:
    """A moment as an aware UTC datetime; a naive one is Stockholm wall-clock time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=STOCKHOLM)
    return moment.astimezone(UTC)


def _moment(field: str, moment: datetime) -> datetime:
    """`in_stockholm`, for a moment in the years erfa keeps events of."""
    try:
        converted = in_stockholm(moment)
    except (OverflowError, ValueError):
        converted = None
    if converted is None or not FIRST_YEAR <= converted.year <= LAST_YEAR:
        raise Invalid.field(field, f"Give a time in the years {FIRST_YEAR}–{LAST_YEAR}.", "range")
    return converted


def period_bound(field: str, value: date | datetime, *, end: bool = False) -> datetime:
    """A list filter's bound: a moment, or a day (Swedish time) from its start or, for
    `end`, to its end."""
    if isinstance(value, datetime):
        return _moment(field, value)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise Invalid.field(field, f"Give a day in the years {FIRST_YEAR}–{LAST_YEAR}.", "range")
    if end:
        return at_local(value + timedelta(days=1), time(0)) - timedelta(microseconds=1)
    return at_local(value, time(0))


def local(moment: datetime) -> datetime:
    return moment.astimezone(STOCKHOLM)


def local_day(moment: datetime) -> date:
    return local(moment).date()


def at_local(day: date, clock: time) -> datetime:
    """The UTC moment of a Stockholm wall-clock time on a day."""
    return datetime.combine(day, clock, tzinfo=STOCKHOLM).astimezone(UTC)


def checked(fields: EventFields) -> EventFields:
    """The fields trimmed and checked; Invalid names the first field that is wrong."""
    title = fields.title.strip()
    if not title or len(title) > MAX_TITLE:
        raise Invalid.field("title", f"A title is 1–{MAX_TITLE} characters long.", "title")
    description = fields.description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise Invalid.field(
            "description", f"A description is at most {MAX_DESCRIPTION} characters.", "too-long"
        )
    starts_at = _moment("starts_at", fields.starts_at)
    ends_at = _moment("ends_at", fields.ends_at)
    if ends_at < starts_at:
        raise Invalid.field("ends_at", "The event ends before it starts.", "order")
    if ends_at - starts_at > timedelta(days=MAX_DAYS):
        raise Invalid.field("ends_at", f"An event lasts at most {MAX_DAYS} days.", "too-long")
    place, online_url = _where(fields.place, fields.online_url)
    capacity = fields.capacity
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise Invalid.field("capacity", f"Places are 1–{MAX_CAPACITY}, or no limit.", "capacity")
    closes = fields.registration_closes_at
    closes = _moment("registration_closes_at", closes) if closes is not None else None
    if closes is not None and closes > starts_at:
        raise Invalid.field(
            "registration_closes_at", "Registration closes at the latest when it starts.", "order"
        )
    theme = (fields.theme or "").strip().lower() or None
    return EventFields(
        kind=EventKind(fields.kind),
        title=title,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        online_url=online_url,
        theme=theme,
        goals=sorted(set(fields.goals)),
        capacity=capacity,
        registration_closes_at=closes,
        programme=_programme(fields.programme, starts_at, ends_at),
    )


def _where(place: str, online_url: str | None) -> tuple[str, str | None]:
    place = place.strip()
    online_url = (online_url or "").strip() or None
    if len(place) > MAX_PLACE:
        raise Invalid.field("place", f"A place is at most {MAX_PLACE} characters.", "too-long")
    if online_url is not None and not _LINK.fullmatch(online_url):
        raise Invalid.field("online_url", "A link starts with https:// or http://.", "link")
    if not place and online_url is None:
        raise Invalid.field("place", "Say where: a place, an online link, or both.", "required")
    return place, online_url


def _programme(
    entries: Sequence[ProgrammeEntry], starts_at: datetime, ends_at: datetime
) -> tuple[ProgrammeEntry, ...]:
    if len(entries) > MAX_PROGRAMME:
        raise Invalid.field(
            "programme", f"A programme has at most {MAX_PROGRAMME} items.", "too-long"
        )
    items = []
    for entry in entries:
        moment = _moment("programme", entry.starts_at)
        title, speaker, room = entry.title.strip(), entry.speaker.strip(), entry.room.strip()
        if not title or len(title) > MAX_TITLE:
            raise Invalid.field("programme", f"Each item has a title of 1–{MAX_TITLE} characters.")
        if len(speaker) > MAX_SPEAKER or len(room) > MAX_ROOM:
            raise Invalid.field(
                "programme", f"A speaker is at most {MAX_SPEAKER}, a room {MAX_ROOM} characters."
            )
        if not starts_at <= moment <= ends_at:
            raise Invalid.field(
                "programme", "Each item starts within the event's own time.", "outside"
            )
        items.append(ProgrammeEntry(moment, title, speaker, room))
    return tuple(sorted(items, key=lambda item: item.starts_at))


def parse_programme(text: str, starts_at: datetime) -> tuple[ProgrammeEntry, ...]:
    """The web form's programme: one `[YYYY-MM-DD] HH:MM | title | speaker | room` a line."""
    day = local_day(_moment("starts_at", starts_at))
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        found = _LINE.match(line)
        if found is None:
            raise Invalid.field(
                "programme", f"Line {number}: start with a time such as 09:30, then | and a title."
            )
        written_day, clock, rest = found.groups()
        try:
            day = date.fromisoformat(written_day) if written_day else day
            hour, minute = (int(part) for part in re.split(r"[:.]", clock))
            moment = at_local(day, time(hour, minute))
        except (ValueError, OverflowError):
            raise Invalid.field("programme", f"Line {number}: no such date or time.") from None
        title, speaker, room = [*(part.strip() for part in rest.split("|")), "", ""][:3]
        entries.append(ProgrammeEntry(moment, title, speaker, room))
    return tuple(entries)


def programme_text(items: Sequence[ProgrammeEntry]) -> str:
    """The programme as the web form shows it, every line with its date."""
    lines = []
    for item in items:
        moment = local(item.starts_at)
        parts = [f"{moment:%Y-%m-%d %H:%M}", item.title, item.speaker, item.room]
        while parts[-1] == "":
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)
