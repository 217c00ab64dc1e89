"""Events in Chromium: a lead arranges a seminar, an official registers in place (htmx)
and follows it in the personal calendar feed, the lead moves it and the feed moves with
it; axe finds nothing serious on the events pages in Swedish and English, on a desktop
and at 390 px.

The officials read English here (their own setting): the words the test looks for are
then erfa's msgids, whatever the Swedish catalogue says.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, PageWatch
from tests.browser.flows import PASSWORD, official, sign_in, unique
from tests.browser.test_accessibility import serious_violations, set_language

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MARKER = "window.erfaStayedOnPage"


def feed_entry(feed_url: str, title: str) -> Any:
    """The event as a calendar app sees it: fetched without cookies, parsed back."""
    response = httpx.get(feed_url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    found = [e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]) == title]
    assert len(found) == 1, [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    return found[0]


def test_a_seminar_registered_in_place_follows_its_new_time_into_the_calendar_feed(
    page: Page, other_page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    lead_email = official(live_server, "Lena Ledare")
    member_email = official(live_server, "Olof Officer", "nora")
    slug = f"forum-{unique()}"
    live_server.erfa(
        "group", "create", "--slug", slug, "--name", f"Unga {slug}", "--focus", "youth"
    )
    live_server.erfa("group", "add-member", slug, lead_email, "--lead")
    live_server.erfa("group", "add-member", slug, member_email)
    title = f"Feriepraktik {unique()}"
    start = (datetime.now(STOCKHOLM) + timedelta(days=30)).replace(hour=13, minute=0)

    sign_in(page, lead_email)
    set_language(page, "en")
    page.goto(f"/g/{slug}")
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Kind").select_option(label="Seminar")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Starts (Swedish time)").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends (Swedish time)").fill(start.strftime("%Y-%m-%dT16:00"))
    page.get_by_label("Place", exact=True).fill("Kulturhuset, Hedemora")
    page.get_by_label("Places (empty: no limit)").fill("20")
    page.get_by_role("button", name="Create the event").click()
    expect(page).to_have_url(re.compile(r"/e/\d+\?notice=created$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    event_path = page.url.split("?")[0]

    sign_in(other_page, member_email)
    set_language(other_page, "en")
    other_page.goto(event_path)
    other_page.evaluate(f"{MARKER} = true")
    registration = other_page.locator("#registration")
    registration.get_by_role("button", name="Register").click()
    expect(registration.get_by_role("status")).to_have_text("You are registered. Welcome!")
    expect(registration.get_by_role("button", name="Unregister")).to_be_visible()
    expect(registration).to_contain_text("1 of 20 places taken")
    assert other_page.evaluate(MARKER) is True, "registering loaded a new page"

    other_page.goto("/events")
    feed_url = other_page.get_by_role("link", name="Your calendar feed").get_attribute("href")
    assert feed_url is not None
    before = feed_entry(feed_url, title)
    assert before.decoded("DTSTART") == start.replace(second=0, microsecond=0)
    assert before["SEQUENCE"] == 0

    page.get_by_role("link", name="Change the event").click()
    page.get_by_label("Starts (Swedish time)").fill(start.strftime("%Y-%m-%dT14:30"))
    page.get_by_label("Ends (Swedish time)").fill(start.strftime("%Y-%m-%dT17:00"))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The event is saved.")

    after = feed_entry(feed_url, title)
    assert str(after["UID"]) == str(before["UID"])
    assert after["SEQUENCE"] == 1
    assert after.decoded("DTSTART") == start.replace(hour=14, minute=30, second=0, microsecond=0)
    other_page.goto("/notifications")
    expect(other_page.get_by_role("link", name=re.compile(re.escape(title)))).to_contain_text(
        "has a new time or place"
    )
    assert not page_watch.console_errors


@pytest.fixture(scope="module")
def event_pages(live_server: LiveServer) -> dict[str, str]:
    """A coordinator, a group, and the conference with a programme, a registration and
    minutes, made through the CLI and the API."""
    email = f"events-a11y-{unique()}@borlange.se"
    live_server.erfa(
        "user", "create", "--email", email, "--name", "Tove Tillgänglig",
        "--municipality", "borlange", "--admin", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    slug = f"a11y-{unique()}"
    live_server.erfa(
        "group", "create", "--slug", slug, "--name", "Tillgänglighet", "--focus", "diversity"
    )
    live_server.erfa("group", "add-member", slug, email, "--lead")
    api = httpx.Client(base_url=live_server.base_url + "/api/v1")
    token = api.post("/auth/token", data={"username": email, "password": PASSWORD}).json()
    api.headers["Authorization"] = f"Bearer {token['access_token']}"
    start = (datetime.now(STOCKHOLM) + timedelta(days=60)).replace(hour=9, minute=30)
    made = api.post(
        "/events",
        json={
            "kind": "conference",
            "title": "Bergslagen 2030",
            "description": "Två dagar om **Agenda 2030** i kommunernas vardag.",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=1, hours=6)).isoformat(),
            "place": "Folkets hus, Ludvika",
            "online_url": "https://meet.example.org/b2030",
            "capacity": 120,
            "registration_closes_at": (start - timedelta(days=7)).isoformat(),
            "goals": [11, 17],
            "programme": [
                {"starts_at": (start + timedelta(minutes=30)).isoformat(), "title": "Välkommen",
                 "speaker": "Anna Lindqvist, Ludvika", "room": "Stora salen"},
                {"starts_at": (start + timedelta(days=1)).isoformat(), "title": "Dag två",
                 "speaker": "Styrgruppen", "room": "Sal A"},
            ],
        },
    )  # fmt: skip
    assert made.status_code == 201, made.text
    event_id = made.json()["id"]
    assert api.post(f"/events/{event_id}/registration").status_code == 201
    api.close()
    return {"email": email, "event": str(event_id), "slug": slug}


def sign_in_here(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("locale", ["sv", "en"])
def test_the_events_pages_have_no_serious_violation(
    page: Page, event_pages: dict[str, str], locale: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_here(page, event_pages["email"])
    set_language(page, locale)
    event = event_pages["event"]
    found = {}
    for path in (
        "/events",
        f"/e/{event}",
        "/events/new",
        f"/e/{event}/edit",
        f"/e/{event}/registrations",
        "/",
        f"/g/{event_pages['slug']}",
    ):
        page.goto(path)
        if path == f"/e/{event}":
            for summary in page.locator("main details > summary").all():
                summary.click()  # the arrangers' forms, opened
        found[path] = serious_violations(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            found[path].append(f"the page scrolls sideways by {overflow} px at {width} px")
    set_language(page, "sv")
    assert found == {path: [] for path in found}
