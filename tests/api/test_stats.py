"""`GET /api/v1/stats`: the coordinators' statistics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain import activity
from models import Group, MemberRole, User
from models.base import utcnow
from tests.factories import make_group, make_membership, make_user, municipality

PROBLEM = "application/problem+json"
Api = Callable[[User], TestClient]


@pytest.fixture
def coordinator(api_as: Api, session: Session) -> TestClient:
    return api_as(make_user(session, is_coordinator=True))


def post_in(session: Session, group: Group, slug: str, *, new_thread: bool) -> None:
    assert group.id is not None
    municipality_id = municipality(session, slug).id
    assert municipality_id is not None
    activity.count_post(
        session,
        group_id=group.id,
        municipality_id=municipality_id,
        at=utcnow(),
        new_thread=new_thread,
    )
    session.flush()


def municipality_row(body: dict[str, Any], slug: str) -> dict[str, Any]:
    row: dict[str, Any] = next(m for m in body["municipalities"] if m["slug"] == slug)
    return row


def test_a_coordinator_gets_the_figures_and_they_follow_new_posts(
    coordinator: TestClient, session: Session
) -> None:
    group = make_group(session, slug="stats-group", name="Statistikgruppen")
    before = coordinator.get("/api/v1/stats")
    assert before.status_code == 200, before.text
    assert municipality_row(before.json(), "borlange")["posts"] == 0

    post_in(session, group, "borlange", new_thread=True)
    post_in(session, group, "borlange", new_thread=False)
    body = coordinator.get("/api/v1/stats").json()

    assert set(body) == {
        "from",
        "to",
        "municipalities",
        "groups",
        "open_flags",
        "pending_join_requests",
        "pending_signups",
    }
    borlange = municipality_row(body, "borlange")
    assert borlange == {
        "slug": "borlange",
        "name": "Borlänge",
        "active_30d": 0,
        "active_90d": 0,
        "posts": 2,
        "threads": 1,
        "resources": 0,
        "adoptions": 0,
    }
    assert len(body["municipalities"]) == 10
    (stats_group,) = [g for g in body["groups"] if g["slug"] == "stats-group"]
    assert stats_group["name"] == "Statistikgruppen"
    assert len(stats_group["months"]) == 12
    latest = stats_group["months"][-1]
    assert latest == {"month": body["to"][:7], "posts": 2, "new_discussions": 1}


def test_the_period_is_echoed_and_limits_the_months(coordinator: TestClient) -> None:
    response = coordinator.get("/api/v1/stats", params={"from": "2025-11-15", "to": "2026-02-01"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"]) == ("2025-11-15", "2026-02-01")
    for group in body["groups"]:
        assert [m["month"] for m in group["months"]] == ["2025-11", "2025-12", "2026-01", "2026-02"]


@pytest.mark.parametrize("role", [MemberRole.MEMBER, MemberRole.LEAD])
def test_members_and_leads_are_refused(api_as: Api, session: Session, role: MemberRole) -> None:
    user = make_user(session)
    make_membership(session, group=make_group(session), user=user, role=role)
    response = api_as(user).get("/api/v1/stats")
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM


def test_without_a_token_it_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/stats")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-02", "to": "2026-03-01"}, "from"),
        ({"from": "2010-01-01", "to": "2026-01-01"}, "from"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "1999-01-01", "to": "2000-06-01"}, "from"),
    ],
)
def test_a_bad_period_is_a_422_problem(
    coordinator: TestClient, params: dict[str, str], field: str
) -> None:
    response = coordinator.get("/api/v1/stats", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert any(field in error["field"] for error in response.json()["errors"])


def test_the_openapi_document_names_the_period_parameters(coordinator: TestClient) -> None:
    operation = coordinator.get("/openapi.json").json()["paths"]["/api/v1/stats"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"from", "to"}
    assert {"401", "403", "422"} <= set(operation["responses"])
