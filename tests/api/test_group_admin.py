"""Creating, editing and archiving groups and managing their members through the API:
each act for the role that may, refused for those who may not, one audit entry each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from models import (
    AuditEntry,
    Group,
    MemberRole,
    Notification,
    NotificationKind,
    User,
    Visibility,
)
from tests.factories import make_group, make_membership, make_user

Client = Callable[[User], TestClient]
PROBLEM = "application/problem+json"


@dataclass
class Team:
    group: Group
    lead: User
    member: User
    other_lead: User
    coordinator: User
    official: User


@pytest.fixture
def team(session: Session) -> Team:
    group = make_group(session, slug="styr-a", name="Styr A", visibility=Visibility.CLOSED)
    other = make_group(session, slug="annan-a")
    lead, member, other_lead = make_user(session), make_user(session), make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    make_membership(session, group=other, user=other_lead, role=MemberRole.LEAD)
    coordinator = make_user(session, is_coordinator=True)
    return Team(group, lead, member, other_lead, coordinator, make_user(session))


def read_only(api_as: Client, user: User) -> TestClient:
    """A client with a personal token of `user` that may only read."""
    owner = api_as(user)
    token = owner.post("/api/v1/me/tokens", json={"name": "läs", "scopes": ["read"]}).json()
    reader = TestClient(owner.app)
    reader.headers["Authorization"] = f"Bearer {token['token']}"
    return reader


def entries(session: Session, action: str | None = None) -> list[AuditEntry]:
    """The audit entries of groups and their members (tokens made for a test are not)."""
    session.expire_all()
    query = (
        select(AuditEntry)
        .where(col(AuditEntry.target_type).in_(["group", "user", "join_request"]))
        .order_by(col(AuditEntry.id))
    )
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list(session.exec(query).all())


NEW = {
    "slug": "kultur-a",
    "name": "Kultur",
    "focus_area": "attraktionskraft",
    "description": "Kultur som tillväxtmotor.",
    "visibility": "closed",
}


def test_a_closed_group_created_without_leads_is_led_by_its_creator(
    api_as: Client, session: Session, team: Team
) -> None:
    coordinator = api_as(team.coordinator)
    created = coordinator.post("/api/v1/groups", json=NEW)
    assert created.status_code == 201, created.text
    body = created.json()
    assert [lead["id"] for lead in body["leads"]] == [team.coordinator.id]
    assert body["member_count"] == 1
    assert body["can_read"] is True
    assert body["archived"] is False
    shown = coordinator.get("/api/v1/groups/kultur-a").json()
    assert shown["can_read"] is True
    assert coordinator.post("/api/v1/groups/kultur-a/join").status_code == 200  # already in
    members = coordinator.get("/api/v1/groups/kultur-a/members").json()["items"]
    assert [(m["user"]["id"], m["role"]) for m in members] == [(team.coordinator.id, "lead")]
    [entry] = entries(session, "group.create")
    assert entry.after is not None
    assert entry.after["leads"] == [team.coordinator.id]
    assert entry.after["visibility"] == "closed"


def test_a_group_created_with_leads_is_led_by_them(
    api_as: Client, session: Session, team: Team
) -> None:
    created = api_as(team.coordinator).post(
        "/api/v1/groups", json={**NEW, "leads": [team.official.id], "goals": [3]}
    )
    assert created.status_code == 201, created.text
    assert [lead["id"] for lead in created.json()["leads"]] == [team.official.id]
    assert created.json()["goals"] == [3]
    official = api_as(team.official)
    assert official.get("/api/v1/groups/kultur-a/join-requests").status_code == 200


@pytest.mark.parametrize("leads", [[999_999], [0]])
def test_unknown_leads_are_a_422_and_nothing_is_created(
    api_as: Client, session: Session, team: Team, leads: list[int]
) -> None:
    response = api_as(team.coordinator).post("/api/v1/groups", json={**NEW, "leads": leads})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert session.exec(select(Group).where(Group.slug == "kultur-a")).first() is None


def test_who_is_no_coordinator_creates_no_group(api_as: Client, team: Team) -> None:
    for user in (team.lead, team.member, team.official):
        assert api_as(user).post("/api/v1/groups", json=NEW).status_code == 403
    assert read_only(api_as, team.coordinator).post("/api/v1/groups", json=NEW).status_code == 403


def test_a_lead_edits_description_goals_and_theme_but_not_the_name(
    api_as: Client, session: Session, team: Team
) -> None:
    lead = api_as(team.lead)
    etag = lead.get("/api/v1/groups/styr-a").headers["ETag"]
    patched = lead.patch(
        "/api/v1/groups/styr-a",
        json={"description": "Styrgruppen för gruppledarna.", "goals": [16, 17], "theme": ""},
        headers={"If-Match": etag},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == "Styrgruppen för gruppledarna."
    assert patched.json()["goals"] == [16, 17]
    assert patched.headers["ETag"] != etag
    stale = lead.patch("/api/v1/groups/styr-a", json={"goals": []}, headers={"If-Match": etag})
    assert stale.status_code == 412
    for change in ({"name": "Annat"}, {"visibility": "open"}, {"focus_area": "equality"}):
        refused = lead.patch("/api/v1/groups/styr-a", json=change)
        assert refused.status_code == 403, change
        assert refused.headers["content-type"] == PROBLEM
    [entry] = entries(session, "group.update")
    assert entry.before == {"description": "A group for tests.", "goals": []}
    assert entry.after == {"description": "Styrgruppen för gruppledarna.", "goals": [16, 17]}


def test_members_and_leads_of_other_groups_may_not_edit_a_group(
    api_as: Client, session: Session, team: Team
) -> None:
    change = {"description": "x"}
    for user in (team.member, team.other_lead, team.official):
        assert api_as(user).patch("/api/v1/groups/styr-a", json=change).status_code == 403
    assert (
        read_only(api_as, team.lead).patch("/api/v1/groups/styr-a", json=change).status_code == 403
    )
    assert entries(session) == []


def test_a_coordinator_renames_a_group(api_as: Client, team: Team) -> None:
    renamed = api_as(team.coordinator).patch(
        "/api/v1/groups/styr-a", json={"name": "Styrgruppen", "visibility": "secret"}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Styrgruppen"
    assert renamed.json()["visibility"] == "secret"


def test_archiving_refuses_new_discussions_and_joins_and_is_undone(
    api_as: Client, session: Session, team: Team
) -> None:
    coordinator = api_as(team.coordinator)
    archived = coordinator.post("/api/v1/groups/styr-a/archive")
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived"] is True
    again = coordinator.post("/api/v1/groups/styr-a/archive")
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM

    member = api_as(team.member)
    assert member.get("/api/v1/groups/styr-a").json()["archived"] is True
    started = member.post("/api/v1/groups/styr-a/threads", json={"title": "Ny", "body": "Text"})
    assert started.status_code == 403
    assert api_as(team.official).post("/api/v1/groups/styr-a/join").status_code == 409
    added = api_as(team.lead).put(
        f"/api/v1/groups/styr-a/members/{team.official.id}", json={"role": "member"}
    )
    assert added.status_code == 409

    unarchived = coordinator.post("/api/v1/groups/styr-a/unarchive")
    assert unarchived.status_code == 200
    assert unarchived.json()["archived"] is False
    assert coordinator.post("/api/v1/groups/styr-a/unarchive").status_code == 409
    acts = [(e.action, e.before, e.after) for e in entries(session)]
    assert acts == [
        ("group.archive", {"archived": False}, {"archived": True}),
        ("group.unarchive", {"archived": True}, {"archived": False}),
    ]


def test_only_coordinators_archive(api_as: Client, team: Team) -> None:
    for user in (team.lead, team.member):
        assert api_as(user).post("/api/v1/groups/styr-a/archive").status_code == 403
    assert (
        read_only(api_as, team.coordinator).post("/api/v1/groups/styr-a/archive").status_code == 403
    )
    assert api_as(team.coordinator).post("/api/v1/groups/nej-a/archive").status_code == 404


def test_the_last_lead_is_not_removed_or_demoted(
    api_as: Client, session: Session, team: Team
) -> None:
    coordinator = api_as(team.coordinator)
    url = f"/api/v1/groups/styr-a/members/{team.lead.id}"
    removed = coordinator.delete(url)
    assert removed.status_code == 409
    assert removed.headers["content-type"] == PROBLEM
    assert "lead" in removed.json()["detail"]
    assert coordinator.put(url, json={"role": "member"}).status_code == 409
    assert api_as(team.lead).delete(url).status_code == 409  # nor leaves
    assert entries(session) == []

    promoted = coordinator.put(
        f"/api/v1/groups/styr-a/members/{team.member.id}", json={"role": "lead"}
    )
    assert promoted.status_code == 200
    assert coordinator.put(url, json={"role": "member"}).json()["role"] == "member"
    acts = [(e.action, e.target_id, e.before, e.after) for e in entries(session)]
    assert acts == [
        ("membership.role", team.member.id, {"role": "member"}, {"role": "lead"}),
        ("membership.role", team.lead.id, {"role": "lead"}, {"role": "member"}),
    ]


def test_member_acts_are_refused_to_members_other_leads_and_read_only_tokens(
    api_as: Client, session: Session, team: Team
) -> None:
    url = f"/api/v1/groups/styr-a/members/{team.official.id}"
    for user in (team.member, team.other_lead):
        assert api_as(user).put(url, json={"role": "member"}).status_code == 403
    reader = read_only(api_as, team.lead)
    assert reader.put(url, json={"role": "member"}).status_code == 403
    assert reader.delete(f"/api/v1/groups/styr-a/members/{team.member.id}").status_code == 403
    assert entries(session) == []
    added = api_as(team.lead).put(url, json={"role": "member"})
    assert added.status_code == 200
    again = api_as(team.lead).put(url, json={"role": "member"})
    assert again.status_code == 200  # PUT again: no change, no second entry
    [entry] = entries(session)
    assert (entry.action, entry.before, entry.after) == ("membership.add", None, {"role": "member"})


def test_a_request_tells_the_leads_and_the_answer_tells_the_official(
    api_as: Client, session: Session, team: Team
) -> None:
    asked = api_as(team.official).post("/api/v1/groups/styr-a/join", json={"message": "Hej"})
    assert asked.status_code == 202
    leads_told = session.exec(
        select(Notification.user_id).where(Notification.kind == NotificationKind.JOIN_REQUEST)
    ).all()
    assert list(leads_told) == [team.lead.id]

    denied = api_as(team.lead).post(f"/api/v1/join-requests/{asked.json()['id']}/deny")
    assert denied.status_code == 200
    assert denied.json()["status"] == "denied"
    [answer] = session.exec(
        select(Notification).where(Notification.kind == NotificationKind.JOIN_ANSWER)
    ).all()
    assert (answer.user_id, answer.outcome) == (team.official.id, "denied")
    [entry] = entries(session, "join_request.deny")
    assert (entry.before, entry.after) == ({"status": "pending"}, {"status": "denied"})

    again = api_as(team.official).post("/api/v1/groups/styr-a/join")
    assert again.status_code == 202
    assert again.json()["id"] != asked.json()["id"]
    reader = read_only(api_as, team.lead)
    assert reader.post(f"/api/v1/join-requests/{again.json()['id']}/approve").status_code == 403
