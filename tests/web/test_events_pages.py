"""The events pages: the list, an event's page with its registration in place, the
arrangers' form, list, CSV and documentation, and what the start and group pages show.

Officials here read English: the words are then erfa's own msgids, whatever the Swedish
catalogue holds.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from domain import event_registrations, events
from domain.actor import load_actor
from domain.event_fields import EventFields
from models import (
    AuditEntry,
    EventKind,
    Locale,
    MemberRole,
    Registration,
    Thread,
    User,
    Visibility,
    utcnow,
)
from tests.factories import make_group, make_membership, make_user, municipality

Browser = Callable[[User], TestClient]
Count = Callable[[Callable[[], object]], int]
HTMX = {"HX-Request": "true", "HX-Target": "registration"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

FORM: dict[str, Any] = {
    "group": "ungdom-p",
    "kind": "seminar",
    "title": "Feriepraktik som fungerar",
    "starts_at": "2030-03-28T13:00",
    "ends_at": "2030-03-28T16:00",
    "place": "Kulturhuset, Fagersta",
    "description": "Vi delar **erfarenheter**.",
    "capacity": "1",
    "programme": "13:00 | Inledning | Lars Ledare | Salen\n14:30 | Fika",
    "goals": ["8"],
}


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    group = make_group(session, slug="ungdom-p", name="Ungdom P")
    closed = make_group(session, slug="styr-p", name="Styr P", visibility=Visibility.CLOSED)
    en = {"locale": Locale.EN}
    lead = make_user(session, name="Lars Ledare", **en)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=closed, user=lead, role=MemberRole.LEAD)
    a = make_user(session, name="Anna Andersson", municipality_id=municipality(session, "nora").id)
    b = make_user(session, name="=Bertil Berg", **en)
    for member in (a, b):
        make_membership(session, group=group, user=member)
    coordinator = make_user(session, name="Cecilia Samordnare", is_coordinator=True, **en)
    outsider = make_user(session, name="Olle Utanför", **en)
    a.locale = Locale.EN
    session.flush()
    return {"lead": lead, "a": a, "b": b, "coordinator": coordinator, "outsider": outsider}


def seminar(session: Session, user: User, **overrides: Any) -> int:
    """An event made through the domain, as `user`."""
    assert user.id is not None
    group = overrides.pop("group", "ungdom-p")
    start = overrides.pop("starts_at", utcnow() + timedelta(days=40))
    fields = EventFields(
        kind=overrides.pop("kind", EventKind.SEMINAR),
        title=overrides.pop("title", "Unga och arbete"),
        starts_at=start,
        ends_at=overrides.pop("ends_at", start + timedelta(hours=3)),
        place="Folkets hus",
        **overrides,
    )
    event = events.create_event(
        session, load_actor(session, user.id), group_slug=group, fields=fields
    )
    assert event.id is not None
    return event.id


def test_a_lead_creates_a_seminar_shown_in_swedish_time_with_weekday_and_programme(
    browser_as: Browser, people: dict[str, User], session: Session
) -> None:
    lead = browser_as(people["lead"])
    assert "the whole association" not in lead.get("/events/new").text
    created = lead.post("/events", data=FORM)
    assert created.status_code == 303, created.text
    page = lead.get(created.headers["location"])

    assert page.status_code == 200
    text = page.text
    assert "The event is created." in text
    assert "Thursday 28 March 2030, 13:00" in text
    assert "16:00" in text
    assert "<strong>erfarenheter</strong>" in text
    assert "Lars Ledare" in text
    assert "Salen" in text
    assert "14:30" in text
    assert "Ungdom P" in text
    assert "0 of 1 places taken" in text
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "event.create")).one()


def test_bad_input_is_shown_in_the_form(browser_as: Browser, people: dict[str, User]) -> None:
    lead = browser_as(people["lead"])
    response = lead.post("/events", data={**FORM, "ends_at": "2030-03-28T12:00"})
    assert response.status_code == 422
    assert "The event ends before it starts." in response.text
    assert 'value="Feriepraktik som fungerar"' in response.text  # what was typed stays
    assert 'value="2030-03-28T13:00"' in response.text  # the times as typed, not shifted
    assert 'value="2030-03-28T12:00"' in response.text
    summer = lead.post(
        "/events", data={**FORM, "starts_at": "2030-07-04T13:00", "ends_at": "2030-07-04T12:00"}
    )
    assert summer.status_code == 422
    assert 'value="2030-07-04T13:00"' in summer.text
    first_year = lead.post("/events", data={**FORM, "starts_at": "0001-01-01T00:30"})
    assert first_year.status_code == 422
    assert 'value="0001-01-01T00:30"' in first_year.text
    response = lead.post("/events", data={**FORM, "programme": "nio | Fika"})
    assert response.status_code == 422
    assert "Check the programme" in response.text


def test_members_may_not_arrange_and_a_closed_groups_event_is_hidden_from_outsiders(
    browser_as: Browser, people: dict[str, User], session: Session
) -> None:
    member = browser_as(people["b"])
    assert member.get("/events/new").status_code == 403
    assert member.post("/events", data=FORM).status_code == 403
    hidden = seminar(session, people["lead"], group="styr-p", title="Styrgruppens möte")
    outsider = browser_as(people["outsider"])
    assert outsider.get(f"/e/{hidden}").status_code == 404
    assert outsider.get(f"/e/{hidden}.ics").status_code == 404
    assert "Styrgruppens möte" not in outsider.get("/events").text
    assert outsider.get("/events?group=styr-p").status_code == 404
    assert "Styrgruppens möte" in browser_as(people["lead"]).get("/events").text


def test_registering_in_place_then_the_waiting_list_moves_up_with_a_notification(
    browser_as: Browser, people: dict[str, User], session: Session
) -> None:
    event_id = seminar(session, people["lead"], capacity=1)
    a, b = browser_as(people["a"]), browser_as(people["b"])

    first = a.post(f"/e/{event_id}/registration", headers=HTMX)
    second = b.post(f"/e/{event_id}/registration", headers=HTMX)

    assert first.status_code == 200
    assert "<html" not in first.text  # the registration part only
    assert "You are registered. Welcome!" in first.text
    assert "The event is full: you are on the waiting list." in second.text
    assert "You are number 1 on the waiting list." in second.text
    left = a.post(f"/e/{event_id}/registration/delete", headers=HTMX)
    assert "You are no longer registered." in left.text
    assert "You are registered." in b.get(f"/e/{event_id}").text
    notifications = b.get("/notifications").text
    assert "You got a place at “Unga och arbete”: you are registered" in notifications
    opened = b.get(
        "/notifications/" + notifications.split('href="/notifications/')[1].split('"')[0]
    )
    assert opened.headers["location"] == f"/e/{event_id}"


def test_a_refused_registration_is_said_where_the_button_was(
    browser_as: Browser, people: dict[str, User], session: Session
) -> None:
    event_id = seminar(session, people["lead"], registration_closes_at=utcnow() + timedelta(days=1))
    member = browser_as(people["b"])
    page = member.get(f"/e/{event_id}").text
    assert "Register" in page
    event = session.get(events.Event, event_id)
    assert event is not None
    event.registration_closes_at = utcnow() - timedelta(minutes=1)
    session.flush()

    refused = member.post(f"/e/{event_id}/registration", headers=HTMX)
    plain = member.post(f"/e/{event_id}/registration")

    assert refused.status_code == 422
    assert "The registration deadline has passed." in refused.text
    assert plain.status_code == 303
    assert "The registration deadline has passed." in member.get(plain.headers["location"]).text


def test_the_arrangers_see_the_registered_by_municipality_and_export_them(
    browser_as: Browser, people: dict[str, User], session: Session
) -> None:
    event_id = seminar(session, people["lead"], capacity=1)
    for who in ("a", "b"):
        user_id = people[who].id
        assert user_id is not None
        event_registrations.register(session, load_actor(session, user_id), event_id=event_id)
    lead = browser_as(people["lead"])

    listed = lead.get(f"/e/{event_id}/registrations")
    exported = lead.get(f"/e/{event_id}/registrations.csv")

    assert listed.status_code == 200
    assert "Nora" in listed.text
    assert "Anna Andersson" in listed.text
    assert "Waiting list" in listed.text
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Municipality", "Name", "Title", "Email", "Status", "Registered at"]
    assert [[*row[:2], row[4]] for row in rows[1:]] == [
        ["Nora", "Anna Andersson", "registered"],
        ["Avesta", "'=Bertil Berg", "waiting list"],  # a formula is no formula
    ]
    registered_at = session.exec(
        select(Registration.created_at).where(Registration.event_id == event_id)
    ).first()
    assert registered_at is not None
    swedish = registered_at.astimezone(ZoneInfo("Europe/Stockholm"))
    assert rows[1][5] == f"{swedish:%Y-%m-%d %H:%M}"  # Swedish time, as on the pages
    # Coordinators arrange every event they see; members and outsiders of an open group's
    # event see it, but not who comes.
    for who, expected in (("a", 403), ("outsider", 403), ("coordinator", 200)):
        client = browser_as(people[who])
        assert client.get(f"/e/{event_id}/registrations").status_code == expected
        assert client.get(f"/e/{event_id}/registrations.csv").status_code == expected


def test_a_new_time_and_a_cancellation_show_on_the_page_and_in_the_audit_log(
    browser_as: Browser, people: dict[str, User], session: Session
) -> None:
    lead = browser_as(people["lead"])
    location = lead.post("/events", data=FORM).headers["location"]
    event_id = int(location.split("/")[2].split("?")[0])
    form = lead.get(f"/e/{event_id}/edit").text
    assert 'value="2030-03-28T13:00"' in form
    assert "2030-03-28 13:00 | Inledning | Lars Ledare | Salen" in form

    moved = lead.post(
        f"/e/{event_id}/edit",
        data={
            **FORM,
            "starts_at": "2030-03-29T09:00",
            "ends_at": "2030-03-29T12:00",
            "version": 1,
            "programme": "",
        },
    )
    stale = lead.post(f"/e/{event_id}/edit", data={**FORM, "version": 1})
    cancelled = lead.post(f"/e/{event_id}/cancel", data={"reason": "Sjukdom"})

    assert moved.status_code == 303, moved.text
    assert stale.status_code == 412
    assert cancelled.status_code == 303
    page = lead.get(f"/e/{event_id}").text
    assert "Friday 29 March 2030, 09:00" in page
    assert "This event is cancelled. Sjukdom" in page
    assert "Change the event" not in page
    audit = lead.get("/admin/audit").text
    assert "Changed an event" in audit
    assert "Cancelled an event" in audit


def test_documentation_after_the_event_minutes_files_and_the_discussion(
    browser_as: Browser, people: dict[str, User], session: Session
) -> None:
    event_id = seminar(session, people["lead"], starts_at=utcnow() - timedelta(days=2))
    lead = browser_as(people["lead"])
    saved = lead.post(f"/e/{event_id}/minutes", data={"minutes": "Vi beslutade **tre** saker."})
    uploaded = lead.post(
        f"/e/{event_id}/documents?csrf_token={lead.headers['X-CSRF-Token']}",
        files={"file": ("bilder.pdf", PDF, "application/pdf")},
    )
    refused = lead.post(
        f"/e/{event_id}/documents?csrf_token={lead.headers['X-CSRF-Token']}",
        files={"file": ("sida.html", b"<html><script>alert(1)</script>", "text/html")},
    )
    discussed = lead.post(f"/e/{event_id}/discussion", data={"body": "Vad tar ni med er?"})

    assert saved.status_code == 303
    assert uploaded.headers["location"].endswith("notice=uploaded#documentation")
    assert refused.headers["location"].endswith("notice=unsupported#documentation")
    assert discussed.status_code == 303
    thread = session.exec(select(Thread).where(Thread.title == "Unga och arbete")).one()
    assert discussed.headers["location"] == f"/t/{thread.id}"
    member = browser_as(people["b"])
    page = member.get(f"/e/{event_id}").text
    assert "Vi beslutade <strong>tre</strong> saker." in page
    assert "bilder.pdf" in page
    assert f'href="/t/{thread.id}"' in page
    link = page.split(f'href="/e/{event_id}/documents/')[1].split('"')[0]
    download = member.get(f"/e/{event_id}/documents/{link}")
    assert download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert member.post(f"/e/{event_id}/minutes", data={"minutes": "Nej"}).status_code == 403
    listed = member.get("/events").text
    assert "Past events" in listed
    assert "Documentation" in listed


def test_the_list_puts_this_month_first_and_filters_by_group_theme_and_kind(
    browser_as: Browser, people: dict[str, User], session: Session
) -> None:
    seminar(session, people["lead"], title="Snart", starts_at=utcnow() - timedelta(hours=1))
    seminar(
        session,
        people["lead"],
        title="Senare",
        kind=EventKind.WORKSHOP,
        starts_at=utcnow() + timedelta(days=70),
    )
    member = browser_as(people["b"])

    page = member.get("/events").text
    workshops = member.get("/events?kind=workshop", headers={"HX-Request": "true"}).text

    assert page.index("This month") < page.index("Snart") < page.index("Later")
    assert page.index("Later") < page.index("Senare") < page.index("Past events")
    assert "Senare" in workshops
    assert "Snart" not in workshops
    assert "<html" not in workshops
    assert "Snart" not in member.get("/events?theme=ingen").text


def test_the_start_page_shows_the_next_three_and_the_group_page_its_next_events(
    browser_as: Browser, people: dict[str, User], session: Session
) -> None:
    for day in (1, 2, 3, 4):
        seminar(
            session, people["lead"], title=f"Träff {day}", starts_at=utcnow() + timedelta(days=day)
        )
    member = browser_as(people["b"])
    home = member.get("/").text
    assert "Träff 1" in home
    assert "Träff 3" in home
    assert "Träff 4" not in home
    group = member.get("/g/ungdom-p").text
    assert "Träff 4" in group


def test_event_pages_send_as_many_statements_for_thirty_rows_as_for_one(
    browser_as: Browser, people: dict[str, User], session: Session, count_statements: Count
) -> None:
    first = seminar(session, people["lead"], capacity=100)
    member = browser_as(people["b"])
    lead = browser_as(people["lead"])

    def measure() -> tuple[int, ...]:
        return tuple(
            count_statements(lambda url=url, client=client: client.get(url))  # type: ignore[misc]
            for client, url in (
                (member, "/events"),
                (member, f"/e/{first}"),
                (lead, f"/e/{first}/registrations"),
                (member, "/"),
            )
        )

    with_one = measure()
    for n in range(29):
        seminar(session, people["lead"], title=f"Fler {n}")
        user = make_user(session)
        assert user.id is not None
        event_registrations.register(session, load_actor(session, user.id), event_id=first)
    with_thirty = measure()
    assert with_one == with_thirty


def test_an_association_event_is_for_every_official_and_arranged_by_coordinators(
    browser_as: Browser, people: dict[str, User], session: Session
) -> None:
    coordinator = browser_as(people["coordinator"])
    new = coordinator.get("/events/new").text
    assert "Bergslagsakademien (the whole association)" in new
    created = coordinator.post(
        "/events",
        data={
            **FORM,
            "group": "",
            "kind": "conference",
            "title": "Bergslagen 2030",
            "starts_at": "2030-03-27T09:00",
            "ends_at": "2030-03-28T16:00",
            "programme": "09:30 | Välkommen\n2030-03-28 09:00 | Dag två",
            "capacity": "",
        },
    )
    assert created.status_code == 303, created.text
    page = browser_as(people["outsider"]).get(created.headers["location"]).text
    assert "Wednesday 27 March 2030" in page
    assert "Thursday 28 March 2030" in page
    assert "Day 2:" in page
    assert "Dag två" in page
    assert "no limit on places" in page


def test_a_wall_clock_time_in_the_hour_the_spring_skips_is_read_as_the_hour_after(
    browser_as: Browser, people: dict[str, User]
) -> None:
    """02:30 on the last Sunday of March does not exist in Sweden: it is 03:30 summer time
    (the clock read with the winter offset), not a server error."""
    lead = browser_as(people["lead"])
    created = lead.post(
        "/events",
        data={
            **FORM,
            "starts_at": "2030-03-31T02:30",
            "ends_at": "2030-03-31T05:00",
            "programme": "",
        },
    )
    assert created.status_code == 303, created.text
    assert "Sunday 31 March 2030, 03:30" in lead.get(created.headers["location"]).text


def test_slides_larger_than_a_form_body_are_taken_up_to_the_upload_limit(
    browser_as: Browser, people: dict[str, User], session: Session
) -> None:
    """The documents route takes a file: the body limit of forms (1 MB) must not cut off
    a slide deck of a few megabytes (erfa/bodies.py, UPLOAD_PATH)."""
    event_id = seminar(session, people["lead"], starts_at=utcnow() - timedelta(days=2))
    lead = browser_as(people["lead"])
    deck = PDF + b"%" + b"x" * (3 * 1024 * 1024)
    uploaded = lead.post(
        f"/e/{event_id}/documents?csrf_token={lead.headers['X-CSRF-Token']}",
        files={"file": ("bildspel.pdf", deck, "application/pdf")},
    )
    assert uploaded.status_code == 303, uploaded.text
    assert uploaded.headers["location"].endswith("notice=uploaded#documentation")
    assert "bildspel.pdf" in lead.get(f"/e/{event_id}").text
