"""Coordinators administer officials through the API: search, suspend with a reason,
reactivate, move, make or unmake coordinator, resend or withdraw invitations. Each act
writes exactly one audit entry with what it changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from domain import audit, auth, outbox, users
from domain.actor import SYSTEM, load_actor
from domain.errors import NotFound
from models import AuditEntry, Group, Invitation, MemberRole, Scope, User, UserStatus, utcnow
from tests.factories import make_group, make_membership, make_user
from tests.factories import municipality as municipality_of

Client = Callable[[User], TestClient]


@dataclass(frozen=True)
class World:
    group: Group
    coordinator: User
    lead: User
    official: User


@pytest.fixture
def world(session: Session) -> World:
    group = make_group(session, slug="adm-grupp", name="Adm-gruppen")
    coordinator = make_user(session, name="Corinna Samordnare", is_coordinator=True)
    lead = make_user(session, name="Leif Lead")
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    official = make_user(
        session,
        name="Åsa Öberg",
        email="asa.oberg@hedemora.se",
        municipality_id=municipality_of(session, "hedemora").id,
    )
    make_membership(session, group=group, user=official)
    return World(group, coordinator, lead, official)


def entries(session: Session, target: User | int | None = None) -> list[AuditEntry]:
    target_id = target.id if isinstance(target, User) else target
    query = select(AuditEntry).where(AuditEntry.target_type == "user")
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    return list(session.exec(query.order_by(AuditEntry.id)).all())  # type: ignore[arg-type]


def invite(session: Session, email: str = "ny.person@nora.se") -> tuple[User, str]:
    """An invited official and the secret of their link (from the queued mail)."""
    user = users.invite_official(
        session, SYSTEM, email=email, name="Ny Person", municipality="nora"
    )
    path = outbox.take(session)[-1].context["path"]
    session.flush()
    return user, path.rsplit("/", 1)[1]


def refused(api_as: Client, app: FastAPI, session: Session, world: World) -> dict[str, TestClient]:
    token = auth.create_api_token(
        session, load_actor(session, world.coordinator.id or 0), name="läs", scopes=[Scope.READ]
    )
    session.flush()
    read_only = TestClient(app, headers={"Authorization": f"Bearer {token.secret}"})
    return {"lead": api_as(world.lead), "member": api_as(world.official), "read-only": read_only}


# The list ------------------------------------------------------------------------------


def _emails(response: object) -> list[str]:
    assert hasattr(response, "json")
    return [item["email"] for item in response.json()["items"]]


def test_the_list_searches_by_name_email_and_handle_in_any_case(
    api_as: Client, world: World
) -> None:
    coordinator = api_as(world.coordinator)
    for q in ("åsa", "ÅSA ÖB", "Öberg", "OBERG@HEDEMORA", world.official.handle.upper()):
        assert _emails(coordinator.get("/api/v1/users", params={"q": q})) == [
            "asa.oberg@hedemora.se"
        ], q
    assert _emails(coordinator.get("/api/v1/users", params={"q": "%"})) == []


def test_the_list_filters_by_municipality_group_and_status(
    api_as: Client, session: Session, world: World
) -> None:
    invited, _ = invite(session, "invited.one@nora.se")
    coordinator = api_as(world.coordinator)
    hedemora = _emails(coordinator.get("/api/v1/users?municipality=hedemora"))
    assert hedemora == ["asa.oberg@hedemora.se"]
    in_group = _emails(coordinator.get("/api/v1/users?group=adm-grupp&limit=200"))
    assert sorted(in_group) == sorted([world.lead.email, world.official.email])
    by_status = _emails(coordinator.get("/api/v1/users?status=invited&municipality=nora"))
    assert by_status == [invited.email]
    for bad in ("municipality=atlantis", "group=finns-inte", "status=sleeping"):
        response = coordinator.get(f"/api/v1/users?{bad}")
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"


def test_each_listed_official_carries_groups_activity_and_invitation(
    api_as: Client, session: Session, world: World
) -> None:
    invited, _ = invite(session, "row.info@nora.se")
    world.official.last_active_at = utcnow()
    session.flush()
    coordinator = api_as(world.coordinator)
    row = coordinator.get("/api/v1/users?q=asa.oberg").json()["items"][0]
    assert row["groups"] == [{"slug": "adm-grupp", "name": "Adm-gruppen", "lead": False}]
    assert row["municipality"] == "hedemora"
    assert row["last_active_at"] is not None
    assert row["invitation"] is None
    pending = coordinator.get("/api/v1/users?q=row.info").json()["items"][0]
    assert pending["status"] == "invited"
    assert pending["invitation"]["expired"] is False
    assert pending["last_active_at"] is None
    assert invited.id == pending["id"]


def test_the_list_pages_by_name_with_a_cursor(api_as: Client, session: Session) -> None:
    coordinator = make_user(session, is_coordinator=True, name="Aaa Samordnare")
    for name in ("Zeta Sist", "Beta Mitt", "Alfa Först"):
        make_user(session, name=name, email=f"{name.split()[0].lower()}@pagerbyn.se")
    client = api_as(coordinator)
    seen: list[str] = []
    url = "/api/v1/users?q=pagerbyn&limit=2"
    while url:
        body = client.get(url).json()
        seen += [item["name"] for item in body["items"]]
        url = f"/api/v1/users?q=pagerbyn&limit=2&cursor={body['next_cursor']}"
        url = url if body["next_cursor"] else ""
    assert seen == ["Alfa Först", "Beta Mitt", "Zeta Sist"]


def test_only_coordinators_list_officials(
    api_as: Client, app: FastAPI, session: Session, world: World
) -> None:
    clients = refused(api_as, app, session, world)
    assert clients["lead"].get("/api/v1/users").status_code == 403
    assert clients["member"].get("/api/v1/users").status_code == 403
    assert clients["read-only"].get("/api/v1/users").status_code == 200


# Suspension ----------------------------------------------------------------------------


def test_a_suspension_with_a_reason_leaves_one_entry(
    api_as: Client, session: Session, world: World
) -> None:
    coordinator = api_as(world.coordinator)
    response = coordinator.post(
        f"/api/v1/users/{world.official.id}/suspend", json={"reason": "  Lämnat kommunen  "}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "suspended"
    assert response.json()["suspended_at"] is not None
    [entry] = entries(session, world.official)
    assert (entry.action, entry.actor_id, entry.reason) == (
        "user.suspend",
        world.coordinator.id,
        "Lämnat kommunen",
    )
    assert (entry.before, entry.after) == ({"status": "active"}, {"status": "suspended"})

    again = coordinator.post(f"/api/v1/users/{world.official.id}/suspend")
    assert again.status_code == 409
    back = coordinator.post(f"/api/v1/users/{world.official.id}/reactivate")
    assert back.json()["status"] == "active"
    assert [(e.action, e.before, e.after) for e in entries(session, world.official)][1:] == [
        ("user.reactivate", {"status": "suspended"}, {"status": "active"})
    ]
    assert coordinator.post(f"/api/v1/users/{world.official.id}/reactivate").status_code == 409


def test_a_suspension_without_a_body_still_works(
    api_as: Client, session: Session, world: World
) -> None:
    response = api_as(world.coordinator).post(f"/api/v1/users/{world.official.id}/suspend")
    assert response.status_code == 200
    assert [e.reason for e in entries(session, world.official)] == [""]


@pytest.mark.parametrize("reason", ["", "   ", "x" * (audit.MAX_REASON + 1)])
def test_a_bad_reason_is_422_and_changes_nothing(
    api_as: Client, session: Session, world: World, reason: str
) -> None:
    response = api_as(world.coordinator).post(
        f"/api/v1/users/{world.official.id}/suspend", json={"reason": reason}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    session.refresh(world.official)
    assert world.official.status is UserStatus.ACTIVE
    assert entries(session, world.official) == []


def test_coordinators_cannot_suspend_themselves(api_as: Client, world: World) -> None:
    response = api_as(world.coordinator).post(f"/api/v1/users/{world.coordinator.id}/suspend")
    assert response.status_code == 422


# Changes: municipality and coordinator role --------------------------------------------


def test_moving_an_official_records_the_municipality_before_and_after(
    api_as: Client, session: Session, world: World
) -> None:
    world.official.is_representative = True
    session.flush()
    response = api_as(world.coordinator).patch(
        f"/api/v1/users/{world.official.id}", json={"municipality": "fagersta"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["municipality"] == "fagersta"
    [entry] = entries(session, world.official)
    assert entry.action == "user.update"
    assert entry.before == {"municipality": "hedemora", "is_representative": True}
    assert entry.after == {"municipality": "fagersta", "is_representative": False}


def test_an_unknown_municipality_is_422_and_changes_nothing(
    api_as: Client, session: Session, world: World
) -> None:
    response = api_as(world.coordinator).patch(
        f"/api/v1/users/{world.official.id}",
        json={"municipality": "atlantis", "is_coordinator": True},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "municipality"
    session.refresh(world.official)
    assert world.official.is_coordinator is False
    assert entries(session, world.official) == []


def test_making_and_unmaking_a_coordinator_is_audited(
    api_as: Client, session: Session, world: World
) -> None:
    coordinator = api_as(world.coordinator)
    made = coordinator.patch(f"/api/v1/users/{world.lead.id}", json={"is_coordinator": True})
    assert made.json()["coordinator"] is True
    unchanged = coordinator.patch(f"/api/v1/users/{world.lead.id}", json={"is_coordinator": True})
    assert unchanged.status_code == 200
    unmade = coordinator.patch(f"/api/v1/users/{world.lead.id}", json={"is_coordinator": False})
    assert unmade.json()["coordinator"] is False
    assert [(e.before, e.after) for e in entries(session, world.lead)] == [
        ({"is_coordinator": False}, {"is_coordinator": True}),
        ({"is_coordinator": True}, {"is_coordinator": False}),
    ]


def test_the_last_coordinator_cannot_unmake_themself(
    api_as: Client, session: Session, world: World
) -> None:
    for other in session.exec(select(User).where(User.is_coordinator)).all():
        if other.id != world.coordinator.id:
            other.is_coordinator = False
    session.flush()
    client = api_as(world.coordinator)
    refused_ = client.patch(f"/api/v1/users/{world.coordinator.id}", json={"is_coordinator": False})
    assert refused_.status_code == 409
    assert "at least one coordinator" in refused_.json()["detail"]
    assert entries(session, world.coordinator) == []
    client.patch(f"/api/v1/users/{world.lead.id}", json={"is_coordinator": True})
    allowed = client.patch(f"/api/v1/users/{world.coordinator.id}", json={"is_coordinator": False})
    assert allowed.status_code == 200


# Invitations ---------------------------------------------------------------------------


def test_resending_an_invitation_voids_the_old_link(
    api_as: Client, session: Session, world: World
) -> None:
    invited, old_secret = invite(session)
    response = api_as(world.coordinator).post(f"/api/v1/users/{invited.id}/invitation")
    assert response.status_code == 200, response.text
    assert response.json()["invitation"]["expired"] is False
    with pytest.raises(NotFound):
        users.find_invitation(session, old_secret)
    links = session.exec(select(Invitation).where(Invitation.user_id == invited.id)).all()
    assert len(links) == 2
    [entry] = [e for e in entries(session, invited) if e.action == "user.invite_resend"]
    assert entry.actor_id == world.coordinator.id
    assert entry.before is not None
    assert entry.after is not None
    assert entry.before["invitation_expires_at"] != entry.after["invitation_expires_at"]


def test_withdrawing_an_invitation_removes_the_account(
    api_as: Client, session: Session, world: World
) -> None:
    invited, secret = invite(session, "tillbaka@nora.se")
    invited_id = invited.id
    response = api_as(world.coordinator).delete(f"/api/v1/users/{invited_id}/invitation")
    assert response.status_code == 204
    session.expire_all()
    assert session.get(User, invited_id) is None
    with pytest.raises(NotFound):
        users.find_invitation(session, secret)
    [entry] = [e for e in entries(session, invited_id) if e.action == "user.invite_withdraw"]
    assert entry.before == {"status": "invited", "email": "tillbaka@nora.se", "name": "Ny Person"}
    assert entry.after is None
    assert (
        api_as(world.coordinator).delete(f"/api/v1/users/{invited_id}/invitation").status_code
        == 404
    )
    again = invite(session, "tillbaka@nora.se")[0]
    assert again.status is UserStatus.INVITED


def test_an_accepted_invitation_can_be_neither_resent_nor_withdrawn(
    api_as: Client, world: World
) -> None:
    coordinator = api_as(world.coordinator)
    assert coordinator.post(f"/api/v1/users/{world.official.id}/invitation").status_code == 409
    assert coordinator.delete(f"/api/v1/users/{world.official.id}/invitation").status_code == 409


# Who may -------------------------------------------------------------------------------


def test_leads_members_and_read_only_tokens_are_refused_every_act(
    api_as: Client, app: FastAPI, session: Session, world: World
) -> None:
    invited, _ = invite(session, "skyddad@nora.se")
    target = world.official.id
    acts = [
        ("post", f"/api/v1/users/{target}/suspend", {"reason": "nej"}),
        ("post", f"/api/v1/users/{target}/reactivate", None),
        ("patch", f"/api/v1/users/{target}", {"municipality": "nora"}),
        ("patch", f"/api/v1/users/{target}", {"is_coordinator": True}),
        ("post", f"/api/v1/users/{invited.id}/invitation", None),
        ("delete", f"/api/v1/users/{invited.id}/invitation", None),
    ]
    for who, client in refused(api_as, app, session, world).items():
        for method, url, body in acts:
            response = client.request(method.upper(), url, json=body)
            assert response.status_code == 403, (who, method, url, response.text)
            assert response.headers["content-type"] == "application/problem+json"
    assert entries(session, world.official) == []
    assert [e.action for e in entries(session, invited)] == ["user.invite"]


def test_resending_is_rate_limited_like_inviting(
    api_as: Client, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from erfa import ratelimit

    invited, _ = invite(session, "ofta@nora.se")
    monkeypatch.setattr(
        ratelimit, "INVITATIONS_PER_SENDER", ratelimit.Limit("invite:test", 1, 3600, exact=True)
    )
    coordinator = api_as(world.coordinator)
    assert coordinator.post(f"/api/v1/users/{invited.id}/invitation").status_code == 200
    limited = coordinator.post(f"/api/v1/users/{invited.id}/invitation")
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
