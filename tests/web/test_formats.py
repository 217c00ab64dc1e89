"""How moments, days, file sizes and browsers read on the pages (`web/formats.py`), and
that no page prints a moment any other way."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.auth import start_session
from erfa import i18n
from models import Attachment, Locale, User
from tests.factories import make_group, make_membership, make_post, make_thread, make_user
from web import formats
from web.deps import SESSION_COOKIE
from web.rendering import TEMPLATE_DIR, templates

Browser = Callable[[User], TestClient]
CHROME_ON_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
)
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def sv() -> Iterator[None]:
    i18n.activate("sv")
    yield
    i18n.activate(i18n.DEFAULT_LOCALE)


@pytest.fixture
def en() -> Iterator[None]:
    i18n.activate("en")
    yield
    i18n.activate(i18n.DEFAULT_LOCALE)


def test_a_moment_reads_the_swedish_way_in_swedish(sv: None) -> None:
    moment = datetime(2026, 12, 4, 13, 5, tzinfo=UTC)
    assert formats.format_moment(moment) == "4 dec. 2026 14:05"
    assert formats.format_day(moment) == "4 dec. 2026"
    assert formats.format_clock(moment) == "14:05"


def test_a_moment_reads_the_british_way_in_english(en: None) -> None:
    moment = datetime(2026, 12, 4, 13, 5, tzinfo=UTC)
    assert formats.format_moment(moment) == "4 Dec 2026, 14:05"
    assert formats.format_day(moment) == "4 Dec 2026"
    assert formats.format_clock(moment) == "14:05"


def test_a_day_without_a_time_reads_like_the_day_of_a_moment(sv: None) -> None:
    assert formats.format_day(date(2019, 1, 21)) == "21 jan. 2019"
    i18n.activate("en")
    assert formats.format_day(date(2019, 1, 21)) == "21 Jan 2019"


@pytest.mark.parametrize(
    ("utc", "swedish"),
    [
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "29 mars 2026 01:59"),  # winter time, +1
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29 mars 2026 03:00"),  # summer time, +2
        (datetime(2026, 7, 1, 10, 0, tzinfo=UTC), "1 juli 2026 12:00"),
        (datetime(2026, 10, 25, 0, 59, tzinfo=UTC), "25 okt. 2026 02:59"),  # still summer
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), "25 okt. 2026 02:00"),  # winter again
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "1 jan. 2027 00:30"),  # a new year here
    ],
)
def test_moments_are_in_swedish_time_across_summer_time(
    sv: None, utc: datetime, swedish: str
) -> None:
    assert formats.format_moment(utc) == swedish


def test_a_moment_read_back_without_a_zone_is_utc(sv: None) -> None:
    summer = datetime(2026, 7, 1, 10, 0, tzinfo=UTC).replace(tzinfo=None)
    new_years_eve = datetime(2026, 12, 31, 23, 30, tzinfo=UTC).replace(tzinfo=None)
    assert formats.format_moment(summer) == "1 juli 2026 12:00"
    assert formats.format_day(new_years_eve) == "1 jan. 2027"


def test_nothing_reads_as_nothing(sv: None) -> None:
    assert formats.format_moment(None) == ""
    assert formats.format_day(None) == ""
    assert formats.format_clock(None) == ""
    assert formats.format_size(None) == ""


@pytest.mark.parametrize(
    ("size", "swedish", "english"),
    [
        (0, "0 byte", "0 bytes"),
        (1, "1 byte", "1 byte"),
        (10, "10 byte", "10 bytes"),
        (999, "999 byte", "999 bytes"),
        (1_500, "1,5 kB", "1.5 kB"),
        (340_000, "340 kB", "340 kB"),
        (999_999, "1 MB", "1 MB"),  # never "1 000 kB"
        (1_234_567, "1,2 MB", "1.2 MB"),
        (25_000_000, "25 MB", "25 MB"),
        (3_400_000_000, "3,4 GB", "3.4 GB"),
    ],
)
def test_file_sizes_read_in_decimal_units_of_the_language(
    size: int, swedish: str, english: str
) -> None:
    try:
        i18n.activate("sv")
        assert formats.format_size(size).replace("\xa0", " ") == swedish
        i18n.activate("en")
        assert formats.format_size(size).replace("\xa0", " ") == english
    finally:
        i18n.activate(i18n.DEFAULT_LOCALE)


def test_a_file_size_is_never_kibibytes_with_a_decimal(en: None) -> None:
    assert "KiB" not in formats.format_size(10)
    assert formats.format_size(10) == "10 bytes"


@pytest.mark.parametrize(
    ("user_agent", "english"),
    [
        (CHROME_ON_LINUX, "Chrome on Linux"),
        (FIREFOX_ON_WINDOWS, "Firefox on Windows"),
        (SAFARI_ON_IPHONE, "Mobile Safari on iOS"),
        ("curl/8.5.0", "curl"),  # a browser of no known system is named alone
        ("testclient", "Unknown browser"),
        ("", "Unknown browser"),
        (None, "Unknown browser"),
        ("\x00" * 5000, "Unknown browser"),
    ],
)
def test_a_browser_is_named_by_its_user_agent(
    en: None, user_agent: str | None, english: str
) -> None:
    assert formats.describe_browser(user_agent) == english


def test_a_browser_is_named_in_swedish(sv: None) -> None:
    assert formats.describe_browser(CHROME_ON_LINUX) == "Chrome på Linux"
    assert formats.describe_browser("testclient") == "Okänd webbläsare"


def test_the_templates_have_the_filters() -> None:
    filters = templates.env.filters
    assert filters["datetime"] is formats.format_moment
    assert filters["date"] is formats.format_day
    assert filters["time"] is formats.format_clock
    assert filters["filesize"] is formats.format_size
    assert filters["browser"] is formats.describe_browser


# The pages: what a reader sees (text, not attributes, not form fields) has no ISO date,
# no "UTC" and no KiB.
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
UNWANTED = re.compile(r"\bUTC\b|\bKiB\b|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")


class _VisibleText(HTMLParser):
    """The text a reader sees: no attributes, scripts, styles or form field contents."""

    HIDDEN = frozenset({"script", "style", "textarea", "template"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "".join(parser.parts)


# Templates of pages (mail and feeds are not pages): ISO only inside attributes.
TEMPLATES = TEMPLATE_DIR
MACHINE_MOMENT = re.compile(r"\{\{[^}]*?(?:isoformat\(|strftime\()")
OPEN_ATTRIBUTE = re.compile(r'[\w:-]+="[^"]*$')


def _page_templates() -> list[Path]:
    return [
        path
        for path in sorted(TEMPLATES.rglob("*.html"))
        if path.relative_to(TEMPLATES).parts[0] not in {"mail", "feeds"}
    ]


def test_page_templates_format_moments_only_through_the_filters() -> None:
    offences = []
    for path in _page_templates():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            where = f"{path.relative_to(TEMPLATES)}:{number}"
            if re.search(r"\bUTC\b|KiB", line):
                offences.append(f"{where}: {line.strip()[:80]}")
            for found in MACHINE_MOMENT.finditer(line):
                if not OPEN_ATTRIBUTE.search(line[: found.start()]):
                    offences.append(f"{where}: {found.group()[:80]}")
    assert len(_page_templates()) > 50
    assert offences == []


def test_visible_text_leaves_out_attributes_and_fields() -> None:
    html = '<p><time datetime="2026-01-02T10:00">2 jan.</time></p><textarea>2026-01-02</textarea>'
    assert visible_text(html).strip() == "2 jan."


def _world(
    session: Session, browser_as: Browser, locale: Locale = Locale.SV
) -> tuple[TestClient, dict[str, str]]:
    """A coordinator in a group with a discussion and a shared tool with an adoption and a
    file, signed in from Chrome on Linux (this browser) and from an unknown one."""
    group = make_group(session, slug="datum", name="Datumgruppen")
    user = make_user(session, is_coordinator=True, name="Dora Datum", locale=locale)
    make_membership(session, group=group, user=user)
    thread = make_thread(session, group=group, author=user, title="Om datum")
    make_post(session, thread=thread, author=user, body="Hej")
    client = browser_as(user)
    assert user.id is not None
    _, secret = start_session(session, user.id, user_agent=CHROME_ON_LINUX, ip="192.0.2.7")
    start_session(session, user.id, user_agent="testclient", ip="192.0.2.8")
    session.flush()
    client.cookies.set(SESSION_COOKIE, secret)
    form = {"title": "Datumverktyg", "summary": "Ett verktyg.", "kind": "tool"}
    form |= {"municipality": "ludvika", "background": "", "purpose": "", "implementation": ""}
    shared = client.post("/g/datum/resources", data=form | {"results": "", "lessons": ""})
    assert shared.status_code == 303, shared.text
    resource_url = shared.headers["location"]
    adoption = {"municipality": "fagersta", "summary": "Vi provade.", "adopted_on": "2019-01-21"}
    adopted = client.post(f"{resource_url}/adoptions", data=adoption)
    assert adopted.status_code == 303, adopted.text
    resource_id = int(resource_url.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[1])
    attachment = Attachment(
        resource_id=resource_id,
        filename="plan.pdf",
        content_type="application/pdf",
        size=1_234_567,
        storage_name="datum-plan",
        sha256="0" * 64,
    )
    session.add(attachment)
    session.flush()
    pages = {
        "home": "/",
        "group": "/g/datum",
        "thread": f"/t/{thread.id}",
        "resource": f"/r/{resource_id}",
        "municipality": "/k/fagersta",
        "themes": "/themes",
        "notifications": "/notifications",
        "settings": "/settings",
        "overview": "/admin/overview?from=2025-01-01&to=2025-12-31",
        "officials": "/admin/users",
        "audit": "/admin/audit",
    }
    return client, pages


@pytest.mark.parametrize("locale", list(Locale))
def test_no_page_prints_a_moment_as_iso_or_utc(
    session: Session, browser_as: Browser, locale: Locale
) -> None:
    client, pages = _world(session, browser_as, locale)
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        text = visible_text(response.text)
        assert not UNWANTED.findall(text), (name, UNWANTED.findall(text))
        assert not ISO_DATE.findall(text), (name, ISO_DATE.findall(text))


def test_the_pages_show_days_sizes_and_browsers_in_swedish(
    session: Session, browser_as: Browser
) -> None:
    client, pages = _world(session, browser_as)
    resource = visible_text(client.get(pages["resource"]).text)
    assert "(21 jan. 2019)" in resource
    assert "(1,2 MB)" in resource
    assert "21 jan. 2019" in visible_text(client.get(pages["municipality"]).text)
    settings = client.get(pages["settings"]).text
    assert "Chrome på Linux · 192.0.2.7" in visible_text(settings)
    assert "Okänd webbläsare · 192.0.2.8" in visible_text(settings)
    assert "Mozilla/5.0" not in settings


def test_the_pages_show_days_sizes_and_browsers_in_english(
    session: Session, browser_as: Browser
) -> None:
    client, pages = _world(session, browser_as, Locale.EN)
    resource = visible_text(client.get(pages["resource"]).text)
    assert "(21 Jan 2019)" in resource
    assert "(1.2 MB)" in resource
    assert "21 Jan 2019" in visible_text(client.get(pages["municipality"]).text)
    settings = visible_text(client.get(pages["settings"]).text)
    assert "Chrome on Linux · 192.0.2.7" in settings
    assert "Unknown browser · 192.0.2.8" in settings
