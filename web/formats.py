"""How moments, days, file sizes and browsers read on the pages: one style per language.

Times are Swedish time (Europe/Stockholm), the members' own zone, whatever the server's.
Swedish follows Babel's medium formats of `sv_SE`: "4 dec. 2026 14:05". English follows
those of `en_GB`, not Babel's `en` (US): the readers are in Sweden and expect the day
before the month and a 24-hour clock: "4 Dec 2026, 14:05". Machine-readable values
(`<time datetime>`, form fields, feeds) stay ISO 8601 and never pass through here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import ua_parser
from babel.dates import (
    format_date,
    format_datetime,
    format_time,
    get_date_format,
    get_datetime_format,
    get_time_format,
)
from babel.units import format_unit

from erfa import i18n

STOCKHOLM = ZoneInfo("Europe/Stockholm")
_FORMAT_LOCALES = {"sv": "sv_SE", "en": "en_GB"}
_SIZE_UNITS = ("digital-kilobyte", "digital-megabyte", "digital-gigabyte", "digital-terabyte")
_SIZE_PATTERN = "#,##0.#"
_UNKNOWN_FAMILY = {"Other", ""}


def _locale() -> str:
    return _FORMAT_LOCALES.get(i18n.current_locale(), _FORMAT_LOCALES[i18n.DEFAULT_LOCALE])


def _swedish_time(value: datetime) -> datetime:
    """Stored moments are UTC; one read back without a zone (SQLite) is UTC too."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(STOCKHOLM)


def format_day(value: date | datetime | None) -> str:
    """A day: "4 dec. 2026" / "4 Dec 2026". A moment gives its day in Swedish time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _swedish_time(value).date()
    return format_date(value, "medium", locale=_locale())


def format_clock(value: datetime | None) -> str:
    """The time of day in Swedish time: "14:05"."""
    if value is None:
        return ""
    return format_time(_swedish_time(value), "short", locale=_locale())


@cache
def _moment_pattern(locale: str) -> str:
    """The medium day and the short time, joined as the locale's medium date-time joins
    them: one pattern, so that a page of fifty posts formats each moment in one call."""
    day = get_date_format("medium", locale=locale).pattern
    clock = get_time_format("short", locale=locale).pattern
    joined = str(get_datetime_format("medium", locale=locale))
    return joined.replace("{0}", clock).replace("{1}", day)


def format_moment(value: datetime | None) -> str:
    """A day and its time: "4 dec. 2026 14:05" / "4 Dec 2026, 14:05"."""
    if value is None:
        return ""
    return _moment(value, _locale())


@lru_cache(maxsize=4096)
def _moment(value: datetime, locale: str) -> str:
    """Formatted once per moment and language: the posts of a page that many read."""
    return format_datetime(_swedish_time(value), _moment_pattern(locale), locale=locale)


def format_size(size: int | None) -> str:
    """A file size in decimal units: "10 bytes", "340 kB", "1,2 MB" / "1.2 MB".

    One decimal below ten units, whole units above; a size that rounds up to 1 000 of a
    unit is given in the next one ("1 MB", never "1 000 kB").
    """
    if size is None or size < 0:
        return ""
    if size < 1000:
        return format_unit(size, "digital-byte", "long", locale=_locale())
    value = float(size)
    for unit in _SIZE_UNITS:
        value /= 1000
        shown = round(value, 1) if value < 10 else float(round(value))
        if shown < 1000 or unit == _SIZE_UNITS[-1]:
            break
    return format_unit(shown, unit, "short", format=_SIZE_PATTERN, locale=_locale())


@lru_cache(maxsize=256)
def _browser_and_system(user_agent: str) -> tuple[str | None, str | None]:
    browser = ua_parser.parse_user_agent(user_agent)
    system = ua_parser.parse_os(user_agent)
    return (
        browser.family if browser is not None and browser.family not in _UNKNOWN_FAMILY else None,
        system.family if system is not None and system.family not in _UNKNOWN_FAMILY else None,
    )


def describe_browser(user_agent: str | None) -> str:
    """A browser by its User-Agent header: "Chrome on Linux", "Firefox", or "Unknown browser"."""
    browser, system = _browser_and_system((user_agent or "")[:512])
    if browser is None:
        return i18n.gettext("Unknown browser")
    if system is None:
        return browser
    return i18n.gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}


FILTERS = {
    "date": format_day,
    "time": format_clock,
    "datetime": format_moment,
    "filesize": format_size,
    "browser": describe_browser,
}
"""The Jinja filters, by name. `web/rendering.py` installs them."""
