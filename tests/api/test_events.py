"""Events through the API: the contract of PRODUCT.md, registration with its waiting
list, ETags, who may arrange what, and what the registered are told."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from models import (
    AuditEntry,
    Job,
    MemberRole,
    Notification,
    NotificationKind,
    User,
    Visibility,
    utcnow,
)
from tests.factories import make_group, make_membership, make_user

Client = Callable[[User], TestClient]
PROBLEM = "application/problem+json"

SEMINAR: dict[str, Any] = {
    "kind": "seminar",
    "title": "Unga och arbetsmarknaden",
    "description": "Om **feriepraktik** i Bergslagen.",
    "starts_at": "2030-03-28T13:00:00+01:00",
    "ends_at": "2030-03-28T16:00:00+01:00",
    "place": "Kulturhuset, Fagersta",
    "group": "ungdom-e",
    "goals": [8, 4],
    "capacity": 2,
    "registration_closes_at": "2030-03-21T23:59:00+01:00",
}


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    group = make_group(session, slug="ungdom-e")
    closed = make_group(session, slug="styr-e", visibility=Visibility.CLOSED)
    coordinator = make_user(session, is_coordinator=True, name="Cecilia Samordnare")
    lead = make_user(session, name="Lars Ledare")
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=closed, user=lead, role=MemberRole.LEAD)
    members = [make_user(session, name=f"Medlem {n}") for n in range(3)]
    for member in members:
        make_membership(session, group=group, user=member)
    return {
        "coordinator": coordinator,
        "lead": lead,
        "a": members[0],
        "b": members[1],
        "c": members[2],
        "outsider": make_user(session, name="Utanför"),
    }


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/events", json={**SEMINAR, **overrides})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_lead_creates_a_seminar_of_the_group_as_the_contract_says(
    api_as: Client, people: dict[str, User], session: Session
) -> None:
    response = api_as(people["lead"]).post(
        "/api/v1/events",
        json={
            **SEMINAR,
            "programme": [
                {"starts_at": "2030-03-28T14:00:00+01:00", "title": "Fika", "room": "Foajén"},
                {"starts_at": "2030-03-28T13:00:00+01:00", "title": "Inledning", "speaker": "Lars"},
            ],
        },
    )

    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    body = response.json()
    assert {k: body[k] for k in ("kind", "title", "place", "online_url", "group", "theme")} == {
        "kind": "seminar",
        "title": "Unga och arbetsmarknaden",
        "place": "Kulturhuset, Fagersta",
        "online_url": None,
        "group": "ungdom-e",
        "theme": None,
    }
    assert body["starts_at"] == "2030-03-28T13:00:00+01:00"
    assert body["ends_at"] == "2030-03-28T16:00:00+01:00"
    assert body["registration_closes_at"] == "2030-03-21T23:59:00+01:00"
    assert body["description_html"] == "<p>Om <strong>feriepraktik</strong> i Bergslagen.</p>\n"
    assert body["goals"] == [4, 8]
    assert (body["capacity"], body["registered"], body["waiting"]) == (2, 0, 0)
    assert body["programme"] == [
        {
            "starts_at": "2030-03-28T13:00:00+01:00",
            "title": "Inledning",
            "speaker": "Lars",
            "room": "",
        },
        {
            "starts_at": "2030-03-28T14:00:00+01:00",
            "title": "Fika",
            "speaker": "",
            "room": "Foajén",
        },
    ]
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "event.create")).one()
    assert entry.target_id == body["id"]
    # The reminder waits for 08:00 Swedish time on the day before.
    job = session.exec(select(Job).where(Job.kind == "event.reminder")).one()
    assert job.payload == {"event": body["id"], "sequence": 0}
    assert job.run_at.isoformat() == "2030-03-27T07:00:00+00:00"


def test_times_are_shown_in_swedish_summer_time_after_the_change(
    api_as: Client, people: dict[str, User]
) -> None:
    body = create(
        api_as(people["lead"]),
        starts_at="2030-03-31T08:00:00Z",
        ends_at="2030-03-31T12:00:00Z",
        registration_closes_at=None,
    )
    assert body["starts_at"] == "2030-03-31T10:00:00+02:00"


@pytest.mark.parametrize(
    ("who", "group", "status"),
    [
        ("coordinator", None, 201),
        ("coordinator", "ungdom-e", 201),
        ("lead", "ungdom-e", 201),
        ("lead", None, 403),
        ("a", "ungdom-e", 403),
        ("a", None, 403),
        ("outsider", "styr-e", 404),
        ("coordinator", "styr-e", 404),  # a closed group's events are for its members
        ("lead", "styr-e", 201),
    ],
)
def test_who_may_arrange_which_events(
    api_as: Client, people: dict[str, User], who: str, group: str | None, status: int
) -> None:
    response = api_as(people[who]).post("/api/v1/events", json={**SEMINAR, "group": group})
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == PROBLEM


def test_registration_gives_places_then_a_waiting_list_that_moves_up(
    api_as: Client, people: dict[str, User], session: Session
) -> None:
    event = create(api_as(people["lead"]))
    url = f"/api/v1/events/{event['id']}/registration"

    first = api_as(people["a"]).post(url)
    second = api_as(people["b"]).post(url)
    third = api_as(people["c"]).post(url)
    again = api_as(people["c"]).post(url)

    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 202)
    assert third.json() == {"event_id": event["id"], "status": "waiting", "place_in_line": 1}
    assert again.status_code == 202  # registering again changes nothing
    seen = api_as(people["c"]).get(f"/api/v1/events/{event['id']}").json()
    assert (seen["registered"], seen["waiting"], seen["my_registration"]) == (2, 1, "waiting")

    assert api_as(people["a"]).delete(url).status_code == 204

    seen = api_as(people["c"]).get(f"/api/v1/events/{event['id']}").json()
    assert (seen["registered"], seen["waiting"], seen["my_registration"]) == (2, 0, "registered")
    told = session.exec(
        select(Notification).where(Notification.kind == NotificationKind.EVENT_MOVED_UP)
    ).all()
    assert [(n.user_id, n.event_id, n.actor_id) for n in told] == [
        (people["c"].id, event["id"], None)
    ]
    assert api_as(people["a"]).delete(url).status_code == 204  # not registered: nothing to do


def test_more_places_move_the_line_up(api_as: Client, people: dict[str, User]) -> None:
    lead = api_as(people["lead"])
    event = create(lead, capacity=1)
    url = f"/api/v1/events/{event['id']}/registration"
    for who in ("a", "b", "c"):
        api_as(people[who]).post(url)

    patched = lead.patch(f"/api/v1/events/{event['id']}", json={"capacity": 2})
    assert (patched.json()["registered"], patched.json()["waiting"]) == (2, 1)
    patched = lead.patch(f"/api/v1/events/{event['id']}", json={"capacity": None})
    assert (patched.json()["registered"], patched.json()["waiting"]) == (3, 0)


def test_registration_closes_at_its_deadline_and_when_the_event_starts(
    api_as: Client, people: dict[str, User]
) -> None:
    now = utcnow()
    lead = api_as(people["lead"])
    closed = create(
        lead,
        starts_at=(now + timedelta(days=3)).isoformat(),
        ends_at=(now + timedelta(days=3, hours=2)).isoformat(),
        registration_closes_at=(now - timedelta(minutes=1)).isoformat(),
    )
    running = create(
        lead,
        starts_at=(now - timedelta(hours=1)).isoformat(),
        ends_at=(now + timedelta(hours=2)).isoformat(),
        registration_closes_at=None,
    )
    member = api_as(people["a"])

    refused = member.post(f"/api/v1/events/{closed['id']}/registration")
    assert refused.status_code == 409
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["detail"] == "Registration has closed."
    started = member.post(f"/api/v1/events/{running['id']}/registration")
    assert started.json()["detail"] == "The event has started or is over."


def test_a_new_time_tells_the_registered_raises_the_sequence_and_checks_if_match(
    api_as: Client, people: dict[str, User], session: Session
) -> None:
    lead = api_as(people["lead"])
    event = create(lead)
    api_as(people["a"]).post(f"/api/v1/events/{event['id']}/registration")
    api_as(people["c"]).post(f"/api/v1/events/{event['id']}/registration")
    url = f"/api/v1/events/{event['id']}"
    current = lead.get(url)
    etag = current.headers["ETag"]
    assert lead.get(url, headers={"If-None-Match": etag}).status_code == 304

    moved = lead.patch(
        url,
        json={"starts_at": "2030-03-28T14:00:00+01:00", "ends_at": "2030-03-28T17:00:00+01:00"},
        headers={"If-Match": etag},
    )
    stale = lead.patch(url, json={"title": "Något annat"}, headers={"If-Match": etag})

    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"] == "2030-03-28T14:00:00+01:00"
    assert stale.status_code == 412
    told = session.exec(
        select(Notification.user_id).where(Notification.kind == NotificationKind.EVENT_CHANGED)
    ).all()
    assert sorted(told) == sorted([people["a"].id, people["c"].id])
    reminders = session.exec(
        select(Job.payload).where(Job.kind == "event.reminder").order_by(col(Job.id))
    ).all()
    assert [payload["sequence"] for payload in reminders] == [0, 1]
    # A new title is no news for the registered.
    lead.patch(url, json={"title": "Unga, arbete och framtid"})
    assert len(session.exec(select(Notification)).all()) == 2


def test_only_arrangers_change_or_cancel_and_a_cancellation_tells_everyone_registered(
    api_as: Client, people: dict[str, User], session: Session
) -> None:
    event = create(api_as(people["coordinator"]), group=None)
    url = f"/api/v1/events/{event['id']}"
    api_as(people["b"]).post(f"{url}/registration")
    assert api_as(people["lead"]).patch(url, json={"title": "Nej"}).status_code == 403
    assert api_as(people["a"]).delete(url).status_code == 403

    assert api_as(people["coordinator"]).delete(url).status_code == 204

    seen = api_as(people["b"]).get(url).json()
    assert seen["cancelled_at"] is not None
    assert api_as(people["coordinator"]).delete(url).status_code == 409
    assert api_as(people["a"]).post(f"{url}/registration").json()["detail"] == (
        "The event is cancelled."
    )
    [told] = session.exec(
        select(Notification).where(Notification.kind == NotificationKind.EVENT_CANCELLED)
    ).all()
    assert (told.user_id, told.event_id, told.group_id) == (people["b"].id, event["id"], None)
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.target_id == event["id"]))
    assert sorted(actions.all()) == ["event.cancel", "event.create"]


def test_a_closed_groups_events_are_hidden_from_outsiders_everywhere(
    api_as: Client, people: dict[str, User]
) -> None:
    event = create(api_as(people["lead"]), group="styr-e")
    outsider = api_as(people["outsider"])
    assert outsider.get(f"/api/v1/events/{event['id']}").status_code == 404
    assert outsider.post(f"/api/v1/events/{event['id']}/registration").status_code == 404
    assert outsider.get("/api/v1/events?group=styr-e").status_code == 404
    assert [e["id"] for e in outsider.get("/api/v1/events").json()["items"]] == []
    lead_sees = api_as(people["lead"]).get("/api/v1/events").json()["items"]
    assert [e["id"] for e in lead_sees] == [event["id"]]


def test_the_list_filters_by_period_and_group_and_pages_with_a_cursor(
    api_as: Client, people: dict[str, User]
) -> None:
    coordinator = api_as(people["coordinator"])
    made = [
        create(
            coordinator,
            group=None if day % 2 else "ungdom-e",
            starts_at=f"2030-04-{day:02d}T10:00:00+02:00",
            ends_at=f"2030-04-{day:02d}T12:00:00+02:00",
            registration_closes_at=None,
        )["id"]
        for day in range(1, 8)
    ]
    member = api_as(people["a"])

    page = member.get("/api/v1/events?limit=3").json()
    rest = member.get(f"/api/v1/events?limit=3&cursor={page['next_cursor']}").json()
    last = member.get(f"/api/v1/events?limit=3&cursor={rest['next_cursor']}").json()
    assert [e["id"] for e in page["items"] + rest["items"] + last["items"]] == made
    assert last["next_cursor"] is None
    between = member.get("/api/v1/events?from=2030-04-03&to=2030-04-05").json()["items"]
    assert [e["id"] for e in between] == made[2:5]
    of_group = member.get("/api/v1/events?group=ungdom-e").json()["items"]
    assert [e["id"] for e in of_group] == made[1::2]
    assert member.get("/api/v1/events?cursor=forged").status_code == 422
    assert member.get("/api/v1/events?from=0001-01-01").status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": "2030-03-28T12:00:00+01:00"}, "ends_at"),
        ({"place": "", "online_url": None}, "place"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"registration_closes_at": "2030-03-29T12:00:00+01:00"}, "registration_closes_at"),
        ({"title": "  "}, "title"),
        ({"theme": "ingen-sadan"}, None),
        (
            {"programme": [{"starts_at": "2030-03-29T09:00:00+01:00", "title": "Dagen efter"}]},
            "programme",
        ),
        ({"starts_at": "2030-03-28T13:00:00"}, "starts_at"),
    ],
)
def test_input_that_makes_no_event_is_refused_as_a_problem(
    api_as: Client, people: dict[str, User], change: dict[str, Any], field: str | None
) -> None:
    response = api_as(people["lead"]).post("/api/v1/events", json={**SEMINAR, **change})
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"] == PROBLEM
    if field is not None:
        assert response.status_code == 422
        assert field in [e["field"] for e in response.json()["errors"]]
