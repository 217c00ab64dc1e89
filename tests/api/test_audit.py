"""`GET /api/v1/audit`: coordinators read every entry, leads their groups', others none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain import audit, auth
from domain.actor import SYSTEM, Actor, load_actor
from models import Group, MemberRole, Scope, User
from tests.factories import make_group, make_membership, make_user

Client = Callable[[User], TestClient]


@dataclass(frozen=True)
class World:
    ours: Group
    theirs: Group
    lead: User
    coordinator: User
    member: User


def _actor(session: Session, user: User) -> Actor:
    assert user.id is not None
    return load_actor(session, user.id)


@pytest.fixture
def world(session: Session) -> World:
    ours = make_group(session, slug="api-var", name="Vår")
    theirs = make_group(session, slug="api-deras", name="Deras")
    lead = make_user(session, name="Lisa Lead", email="lisa.lead@ludvika.se")
    make_membership(session, group=ours, user=lead, role=MemberRole.LEAD)
    coordinator = make_user(session, name="Carl Samordnare", is_coordinator=True)
    member = make_user(session)
    make_membership(session, group=ours, user=member)
    by_lead = _actor(session, lead)
    for action, who, group, at in [
        ("post.hide", by_lead, ours, datetime(2026, 5, 1, 8, tzinfo=UTC)),
        ("thread.lock", by_lead, ours, datetime(2026, 5, 2, 8, tzinfo=UTC)),
        ("thread.pin", SYSTEM, theirs, datetime(2026, 5, 3, 8, tzinfo=UTC)),
        ("user.suspend", SYSTEM, None, datetime(2026, 5, 4, 8, tzinfo=UTC)),
    ]:
        entry = audit.record(
            session,
            who,
            action,
            target_type="post" if action.startswith("post") else "thread",
            target_id=7,
            group_id=group.id if group else None,
            reason="Personangrepp" if action == "post.hide" else "",
            before={"hidden": False},
            after={"hidden": True},
        )
        entry.created_at = at
    session.flush()
    return World(ours, theirs, lead, coordinator, member)


def _actions(response: object) -> list[str]:
    assert hasattr(response, "json")
    return [item["action"] for item in response.json()["items"]]


def test_a_coordinator_reads_every_entry_in_the_contract_shape(
    api_as: Client, world: World
) -> None:
    response = api_as(world.coordinator).get("/api/v1/audit?from=2026-05-01&to=2026-05-31")
    assert response.status_code == 200, response.text
    body = response.json()
    assert _actions(response) == ["user.suspend", "thread.pin", "thread.lock", "post.hide"]
    assert body["next_cursor"] is None
    hide = body["items"][-1]
    assert set(hide) == {
        "id",
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "group",
        "reason",
        "before",
        "after",
    }
    assert hide["actor"] == {"id": world.lead.id, "name": "Lisa Lead"}
    assert (hide["object_type"], hide["object_id"], hide["group"]) == ("post", 7, "api-var")
    assert (hide["reason"], hide["before"], hide["after"]) == (
        "Personangrepp",
        {"hidden": False},
        {"hidden": True},
    )
    assert hide["at"].startswith("2026-05-01T08:00:00")
    system = body["items"][0]
    assert system["actor"] is None
    assert system["group"] is None
    assert system["reason"] is None


def test_a_lead_reads_only_the_entries_of_their_groups(api_as: Client, world: World) -> None:
    lead = api_as(world.lead)
    assert _actions(lead.get("/api/v1/audit?from=2026-05-01")) == ["thread.lock", "post.hide"]
    refused = lead.get("/api/v1/audit?group=api-deras")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


def test_members_are_refused_with_a_problem_and_strangers_must_sign_in(
    api_as: Client, client: TestClient, world: World
) -> None:
    refused = api_as(world.member).get("/api/v1/audit")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 403
    assert client.get("/api/v1/audit").status_code == 401


def test_a_read_only_token_of_a_lead_reads_the_log(
    app: FastAPI, session: Session, world: World
) -> None:
    token = auth.create_api_token(
        session, _actor(session, world.lead), name="arkiv", scopes=[Scope.READ]
    )
    session.flush()
    with TestClient(app, headers={"Authorization": f"Bearer {token.secret}"}) as reader:
        response = reader.get("/api/v1/audit?from=2026-05-01")
    assert _actions(response) == ["thread.lock", "post.hide"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("group=api-deras", ["thread.pin"]),
        ("actor=system&from=2026-05-01", ["user.suspend", "thread.pin"]),
        ("actor=lisa.lead@ludvika.se", ["thread.lock", "post.hide"]),
        ("action=thread.&from=2026-05-01", ["thread.pin", "thread.lock"]),
        ("action=post.hide", ["post.hide"]),
        ("from=2026-05-02&to=2026-05-03", ["thread.pin", "thread.lock"]),
        ("from=2026-05-02T10:00%2B02:00&to=2026-05-03T10:00", ["thread.pin", "thread.lock"]),
    ],
)
def test_the_filters_narrow_the_log(
    api_as: Client, world: World, query: str, expected: list[str]
) -> None:
    response = api_as(world.coordinator).get(f"/api/v1/audit?{query}")
    assert response.status_code == 200, response.text
    assert _actions(response) == expected


@pytest.mark.parametrize(
    "query", ["from=yesterday", "to=2026-02-30", "action=DROP%20TABLE", "cursor=forged", "limit=0"]
)
def test_bad_filters_and_cursors_are_422_problems(api_as: Client, world: World, query: str) -> None:
    response = api_as(world.coordinator).get(f"/api/v1/audit?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_the_cursor_walks_the_log_without_gaps(api_as: Client, world: World) -> None:
    coordinator = api_as(world.coordinator)
    seen: list[str] = []
    url = "/api/v1/audit?from=2026-05-01&limit=3"
    while url:
        body = coordinator.get(url).json()
        seen += [item["action"] for item in body["items"]]
        cursor = body["next_cursor"]
        url = f"/api/v1/audit?from=2026-05-01&limit=3&cursor={cursor}" if cursor else ""
    assert seen == ["user.suspend", "thread.pin", "thread.lock", "post.hide"]


def test_an_administration_act_shows_up_with_its_reason_and_change(
    api_as: Client, session: Session, world: World
) -> None:
    coordinator = api_as(world.coordinator)
    suspended = coordinator.post(
        f"/api/v1/users/{world.member.id}/suspend", json={"reason": "Delat sitt konto"}
    )
    assert suspended.status_code == 200, suspended.text
    newest = coordinator.get("/api/v1/audit?action=user.suspend&limit=1").json()["items"][0]
    assert newest["actor"] == {"id": world.coordinator.id, "name": "Carl Samordnare"}
    assert (newest["object_type"], newest["object_id"]) == ("user", world.member.id)
    assert newest["reason"] == "Delat sitt konto"
    assert (newest["before"], newest["after"]) == ({"status": "active"}, {"status": "suspended"})
