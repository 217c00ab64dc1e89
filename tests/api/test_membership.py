"""Membership and administration through the API, for each kind of caller."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from erfa.settings import Settings
from models import Group, MemberRole, User, Visibility
from tests.factories import make_group, make_membership, make_user

Client = Callable[[User], TestClient]


@pytest.fixture
def team(session: Session) -> dict[str, object]:
    closed = make_group(session, slug="styr", visibility=Visibility.CLOSED)
    lead, member = make_user(session), make_user(session)
    make_membership(session, group=closed, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=closed, user=member)
    return {
        "group": closed,
        "lead": lead,
        "member": member,
        "coordinator": make_user(session, is_coordinator=True),
        "official": make_user(session),
    }


def test_joining_an_open_group_is_immediate(api_as: Client, session: Session) -> None:
    make_group(session, slug="oppen")
    official = make_user(session)
    response = api_as(official).post("/api/v1/groups/oppen/join")
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "member"
    assert response.json()["user"]["id"] == official.id


def test_joining_a_closed_group_is_a_request_the_lead_approves(
    api_as: Client, team: dict[str, object]
) -> None:
    official, lead = team["official"], team["lead"]
    assert isinstance(official, User)
    assert isinstance(lead, User)
    asked = api_as(official).post("/api/v1/groups/styr/join", json={"message": "Får jag vara med?"})
    assert asked.status_code == 202, asked.text
    request_id = asked.json()["id"]
    assert api_as(official).get("/api/v1/groups/styr/members").status_code == 404

    pending = api_as(lead).get("/api/v1/groups/styr/join-requests").json()["items"]
    assert [r["id"] for r in pending] == [request_id]
    assert api_as(official).get("/api/v1/groups/styr/join-requests").status_code == 403

    approved = api_as(lead).post(f"/api/v1/join-requests/{request_id}/approve")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    again = api_as(lead).post(f"/api/v1/join-requests/{request_id}/deny")
    assert again.status_code == 409
    members = api_as(official).get("/api/v1/groups/styr/members").json()["items"]
    assert official.id in [m["user"]["id"] for m in members]


def test_a_secret_group_cannot_be_joined_or_even_found(api_as: Client, session: Session) -> None:
    make_group(session, slug="hemlig", visibility=Visibility.SECRET)
    response = api_as(make_user(session)).post("/api/v1/groups/hemlig/join")
    assert response.status_code == 404


def test_leads_add_members_but_only_coordinators_make_leads(
    api_as: Client, team: dict[str, object]
) -> None:
    lead, official, coordinator = team["lead"], team["official"], team["coordinator"]
    assert isinstance(lead, User)
    assert isinstance(official, User)
    assert isinstance(coordinator, User)
    url = f"/api/v1/groups/styr/members/{official.id}"
    assert api_as(lead).put(url, json={"role": "lead"}).status_code == 403
    added = api_as(lead).put(url, json={"role": "member"})
    assert added.status_code == 200
    assert added.json()["role"] == "member"
    promoted = api_as(coordinator).put(url, json={"role": "lead"})
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "lead"
    assert api_as(lead).delete(url).status_code == 403  # a lead is not removed by a lead
    assert api_as(coordinator).delete(url).status_code == 204
    assert api_as(coordinator).delete(url).status_code == 404


def test_members_may_leave_and_others_may_not_remove_them(
    api_as: Client, team: dict[str, object]
) -> None:
    member, official = team["member"], team["official"]
    assert isinstance(member, User)
    assert isinstance(official, User)
    url = f"/api/v1/groups/styr/members/{member.id}"
    assert api_as(official).delete(url).status_code == 403  # closed groups are listed
    assert api_as(member).delete(url).status_code == 204


def test_coordinators_create_and_edit_groups_with_if_match(
    api_as: Client, team: dict[str, object]
) -> None:
    coordinator, official = team["coordinator"], team["official"]
    assert isinstance(coordinator, User)
    assert isinstance(official, User)
    new = {
        "slug": "kultur",
        "name": "Kultur",
        "focus_area": "attraktionskraft",
        "description": "Kultur som tillväxtmotor.",
        "visibility": "secret",
    }
    assert api_as(official).post("/api/v1/groups", json=new).status_code == 403
    created = api_as(coordinator).post("/api/v1/groups", json=new)
    assert created.status_code == 201, created.text
    assert created.json()["focus_area"] == "attractiveness"
    assert api_as(coordinator).post("/api/v1/groups", json=new).status_code == 409

    version = created.json()
    patched = api_as(coordinator).patch(
        "/api/v1/groups/kultur", json={"name": "Kultur och fritid"}, headers={"If-Match": '"1"'}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Kultur och fritid"
    assert patched.headers["ETag"] == '"2"'
    stale = api_as(coordinator).patch(
        "/api/v1/groups/kultur", json={"name": "Gammal"}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.json()["type"] == "/problems/stale-version"
    assert version["slug"] == "kultur"


@pytest.mark.parametrize(
    "payload",
    [
        {"slug": "Bad Slug", "name": "X", "focus_area": "youth"},
        {"slug": "ok", "name": "", "focus_area": "youth"},
        {"slug": "ok", "name": "X", "focus_area": "football"},
        {"slug": "ok", "name": "X", "focus_area": "youth", "visibility": "public"},
    ],
)
def test_bad_group_input_is_a_422_problem(
    payload: dict[str, str], api_as: Client, team: dict[str, object]
) -> None:
    coordinator = team["coordinator"]
    assert isinstance(coordinator, User)
    response = api_as(coordinator).post("/api/v1/groups", json=payload)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_coordinators_invite_suspend_and_reactivate_officials(
    api_as: Client, team: dict[str, object], settings: Settings
) -> None:
    coordinator, official = team["coordinator"], team["official"]
    assert isinstance(coordinator, User)
    assert isinstance(official, User)
    invite = {
        "email": "Ny.Person@Storfors.se",
        "name": "Ny Person",
        "municipality": "storfors",
        "title": "Kulturchef",
    }
    assert api_as(official).post("/api/v1/users", json=invite).status_code == 403
    created = api_as(coordinator).post("/api/v1/users", json=invite)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "invited"
    assert created.json()["email"] == "ny.person@storfors.se"
    mails = [message_from_bytes(p.read_bytes()) for p in settings.outbox_dir.glob("*.eml")]
    assert "ny.person@storfors.se" in [m["To"] for m in mails]

    listed = api_as(coordinator).get("/api/v1/users?limit=200").json()["items"]
    assert "ny.person@storfors.se" in [u["email"] for u in listed]
    assert api_as(official).get("/api/v1/users").status_code == 403

    suspended = api_as(coordinator).post(f"/api/v1/users/{official.id}/suspend")
    assert suspended.json()["status"] == "suspended"
    back = api_as(coordinator).post(f"/api/v1/users/{official.id}/reactivate")
    assert back.json()["status"] == "active"
    assert api_as(coordinator).post("/api/v1/users/999999/suspend").status_code == 404


def test_a_lead_invites_into_their_own_group_only(
    session: Session, team: dict[str, object]
) -> None:
    from domain import users
    from domain.actor import load_actor
    from domain.errors import Forbidden, NotFound

    lead = team["lead"]
    group = team["group"]
    assert isinstance(lead, User)
    assert isinstance(group, Group)
    assert lead.id is not None
    actor = load_actor(session, lead.id)
    invited = users.invite_official(
        session, actor, email="gast@nora.se", name="Gäst", municipality="nora", group="styr"
    )
    assert invited.email == "gast@nora.se"
    make_group(session, slug="annan", visibility=Visibility.CLOSED)
    with pytest.raises(Forbidden):
        users.invite_official(
            session, actor, email="b@nora.se", name="B", municipality="nora", group="annan"
        )
    with pytest.raises(Forbidden):
        users.invite_official(session, actor, email="c@nora.se", name="C", municipality="nora")
    make_group(session, slug="gomd", visibility=Visibility.SECRET)
    with pytest.raises(NotFound):
        users.invite_official(
            session, actor, email="d@nora.se", name="D", municipality="nora", group="gomd"
        )


def test_sending_invitations_is_limited_per_sender(api_as: Client, session: Session) -> None:
    coordinator = api_as(make_user(session, is_coordinator=True))
    for n in range(100):
        invite = {"email": f"person{n}@storfors.se", "name": f"P {n}", "municipality": "storfors"}
        assert coordinator.post("/api/v1/users", json=invite).status_code == 201
    extra = {"email": "one.more@storfors.se", "name": "One more", "municipality": "storfors"}
    blocked = coordinator.post("/api/v1/users", json=extra)
    assert blocked.status_code == 429
    assert blocked.headers["content-type"] == "application/problem+json"


def test_who_may_not_manage_a_group_learns_nothing_about_its_members(
    api_as: Client, session: Session, team: dict[str, object]
) -> None:
    """The same answer whether or not the official named is a member, for an outsider of
    the closed group and for one of its plain members alike."""
    member, lead = team["member"], team["lead"]
    assert isinstance(member, User)
    assert isinstance(lead, User)
    stranger = make_user(session)
    for caller in (team["official"], member):
        assert isinstance(caller, User)
        client = api_as(caller)
        answers = {
            client.delete(f"/api/v1/groups/styr/members/{target.id}").status_code
            for target in (lead, stranger)
        }
        answers.add(client.delete("/api/v1/groups/styr/members/999999").status_code)
        assert answers == {403}, caller.id


def test_join_request_ids_cannot_be_probed_by_who_may_not_decide_them(
    api_as: Client, team: dict[str, object]
) -> None:
    official, member = team["official"], team["member"]
    assert isinstance(official, User)
    assert isinstance(member, User)
    request_id = api_as(official).post("/api/v1/groups/styr/join").json()["id"]
    for caller in (official, member):
        client = api_as(caller)
        for probe in (request_id, 999_999):
            response = client.post(f"/api/v1/join-requests/{probe}/approve")
            assert response.status_code == 404, (caller.id, probe, response.status_code)


def test_a_coordinator_reads_the_members_of_closed_and_secret_groups(
    api_as: Client, session: Session, team: dict[str, object]
) -> None:
    coordinator = team["coordinator"]
    assert isinstance(coordinator, User)
    secret = make_group(session, slug="hemlig-m", visibility=Visibility.SECRET)
    make_membership(session, group=secret, user=make_user(session))
    client = api_as(coordinator)
    for slug, count in (("styr", 2), ("hemlig-m", 1)):
        listed = client.get(f"/api/v1/groups/{slug}/members")
        assert listed.status_code == 200, (slug, listed.text)
        assert len(listed.json()["items"]) == count
    # Who may neither read nor manage the group still gets a 404, as for its content.
    official = team["official"]
    assert isinstance(official, User)
    assert api_as(official).get("/api/v1/groups/styr/members").status_code == 404
    assert api_as(official).get("/api/v1/groups/hemlig-m/members").status_code == 404
