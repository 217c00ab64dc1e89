"""The coordinators' officials page: search, and each act in place with htmx and without
JavaScript (303 back with a notice), with readable refusals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from domain import audit, outbox, users
from domain.actor import SYSTEM
from models import AuditEntry, Group, Invitation, Locale, MemberRole, User, UserStatus
from tests.factories import make_group, make_membership, make_user
from tests.factories import municipality as municipality_of

Browser = Callable[[User], TestClient]
Count = Callable[[Callable[[], object]], int]
EN = {"Accept-Language": "en"}
HTMX = {**EN, "HX-Request": "true"}


@dataclass(frozen=True)
class World:
    group: Group
    coordinator: User
    official: User


@pytest.fixture
def world(session: Session) -> World:
    group = make_group(session, slug="sida-grupp", name="Sidgruppen")
    coordinator = make_user(session, name="Cissi Samordnare", is_coordinator=True, locale=Locale.EN)
    official = make_user(
        session,
        name="Östen Ärlig",
        email="osten.arlig@norberg.se",
        municipality_id=municipality_of(session, "norberg").id,
    )
    make_membership(session, group=group, user=official, role=MemberRole.LEAD)
    return World(group, coordinator, official)


def entries(session: Session, user: User) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry)
            .where(AuditEntry.target_type == "user", AuditEntry.target_id == user.id)
            .order_by(AuditEntry.id)  # type: ignore[arg-type]
        ).all()
    )


def test_the_list_shows_groups_status_and_activity_and_searches(
    browser_as: Browser, world: World
) -> None:
    coordinator = browser_as(world.coordinator)
    page = coordinator.get("/admin/users?q=ÖSTEN", headers=EN)
    assert page.status_code == 200
    text = page.text
    assert "Östen Ärlig" in text
    assert f'id="official-{world.coordinator.id}"' not in text
    assert 'href="/g/sida-grupp">Sidgruppen</a> (lead)' in text
    assert f'<tr id="official-{world.official.id}">' in text
    assert "never" in text
    by_group = coordinator.get("/admin/users?group=sida-grupp&status=active", headers=EN).text
    assert "Östen Ärlig" in by_group
    bad = coordinator.get("/admin/users?municipality=atlantis", headers=EN)
    assert bad.status_code == 422
    assert "Choose a municipality from the list." in bad.text
    fragment = coordinator.get("/admin/users?municipality=norberg", headers=HTMX).text
    assert "<html" not in fragment
    assert "Östen Ärlig" in fragment


def test_members_and_leads_are_refused_the_page_and_every_act(
    browser_as: Browser, session: Session, world: World
) -> None:
    target = world.coordinator.id
    acts = [
        (f"/admin/users/{target}/suspend", {"reason": "nej"}),
        (f"/admin/users/{target}/reactivate", {}),
        (f"/admin/users/{target}/municipality", {"municipality": "nora"}),
        (f"/admin/users/{target}/coordinator", {}),
        (f"/admin/users/{target}/invitation/resend", {}),
        (f"/admin/users/{target}/invitation/withdraw", {}),
    ]
    for client in (browser_as(make_user(session)), browser_as(world.official)):
        assert client.get("/admin/users").status_code == 403
        assert client.get(f"/admin/users/{target}/suspend").status_code == 403
        for path, data in acts:
            assert client.post(path, data=data).status_code == 403, path
            assert client.post(path, data=data, headers=HTMX).status_code == 403, path
    assert entries(session, world.coordinator) == []


def test_a_suspension_asks_for_a_reason_on_its_own_page_without_javascript(
    browser_as: Browser, session: Session, world: World
) -> None:
    coordinator = browser_as(world.coordinator)
    confirm = coordinator.get(f"/admin/users/{world.official.id}/suspend", headers=EN)
    assert confirm.status_code == 200
    assert "Suspend Östen Ärlig?" in confirm.text
    assert 'name="reason"' in confirm.text
    assert "required" in confirm.text

    empty = coordinator.post(f"/admin/users/{world.official.id}/suspend", data={"reason": " "})
    assert empty.status_code == 422
    assert "Give a reason for the suspension" in empty.text
    too_long = "x" * (audit.MAX_REASON + 1)
    long = coordinator.post(f"/admin/users/{world.official.id}/suspend", data={"reason": too_long})
    assert long.status_code == 422
    assert too_long in long.text  # the draft is kept
    session.refresh(world.official)
    assert world.official.status is UserStatus.ACTIVE
    assert entries(session, world.official) == []

    done = coordinator.post(f"/admin/users/{world.official.id}/suspend", data={"reason": "Slutat"})
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/users?notice=suspended"
    assert "The official has been suspended." in coordinator.get(done.headers["location"]).text
    [entry] = entries(session, world.official)
    assert (entry.action, entry.reason, entry.before, entry.after) == (
        "user.suspend",
        "Slutat",
        {"status": "active"},
        {"status": "suspended"},
    )


def test_with_htmx_the_suspension_is_confirmed_and_done_in_the_row(
    browser_as: Browser, session: Session, world: World
) -> None:
    coordinator = browser_as(world.coordinator)
    row_id = f'<tr id="official-{world.official.id}">'
    confirm = coordinator.get(f"/admin/users/{world.official.id}/suspend", headers=HTMX)
    assert confirm.text.lstrip().startswith(row_id)
    assert "autofocus" in confirm.text
    cancel = coordinator.get(f"/admin/users/{world.official.id}/row", headers=HTMX)
    assert cancel.text.lstrip().startswith(row_id)
    assert 'name="reason"' not in cancel.text

    refused = coordinator.post(
        f"/admin/users/{world.official.id}/suspend", data={"reason": ""}, headers=HTMX
    )
    assert refused.status_code == 422
    assert refused.text.lstrip().startswith(row_id)
    assert 'aria-invalid="true"' in refused.text

    done = coordinator.post(
        f"/admin/users/{world.official.id}/suspend", data={"reason": "Tillfälligt"}, headers=HTMX
    )
    assert done.status_code == 200
    assert done.text.lstrip().startswith(row_id)
    assert "Reactivate" in done.text
    assert "The official has been suspended." in done.text
    back = coordinator.post(f"/admin/users/{world.official.id}/reactivate", headers=HTMX)
    assert "The official has been reactivated." in back.text
    assert [e.action for e in entries(session, world.official)] == [
        "user.suspend",
        "user.reactivate",
    ]


def test_changing_the_municipality_in_place_and_without_javascript(
    browser_as: Browser, session: Session, world: World
) -> None:
    coordinator = browser_as(world.coordinator)
    url = f"/admin/users/{world.official.id}/municipality"
    moved = coordinator.post(url, data={"municipality": "nora"}, headers=HTMX)
    assert moved.status_code == 200
    assert '<option value="nora" selected>' in moved.text
    unknown = coordinator.post(url, data={"municipality": "atlantis"}, headers=HTMX)
    assert unknown.status_code == 422
    assert "Choose a municipality from the list." in unknown.text
    plain = coordinator.post(url, data={"municipality": "atlantis"})
    assert plain.status_code == 303
    assert plain.headers["location"] == "/admin/users?error=municipality"
    shown = coordinator.get(plain.headers["location"], headers=EN).text
    assert "Choose a municipality from the list." in shown
    assert coordinator.post(url, data={"municipality": "avesta"}).headers["location"] == (
        "/admin/users?notice=changed"
    )
    assert [(e.before, e.after) for e in entries(session, world.official)] == [
        ({"municipality": "norberg"}, {"municipality": "nora"}),
        ({"municipality": "nora"}, {"municipality": "avesta"}),
    ]


def test_making_a_coordinator_and_refusing_to_unmake_the_last(
    browser_as: Browser, session: Session, world: World
) -> None:
    for other in session.exec(select(User).where(User.is_coordinator)).all():
        other.is_coordinator = other.id == world.coordinator.id
    session.flush()
    coordinator = browser_as(world.coordinator)
    own = f"/admin/users/{world.coordinator.id}/coordinator"
    last = coordinator.post(own, headers=HTMX)
    assert last.status_code == 422
    assert "erfa needs at least one coordinator" in last.text
    assert coordinator.post(own).headers["location"] == "/admin/users?error=last-coordinator"

    made = coordinator.post(
        f"/admin/users/{world.official.id}/coordinator", data={"make": "true"}, headers=HTMX
    )
    assert "Remove the coordinator role" in made.text
    assert coordinator.post(own).headers["location"] == "/admin/users?notice=changed"
    [entry] = entries(session, world.official)
    assert (entry.before, entry.after) == ({"is_coordinator": False}, {"is_coordinator": True})


def test_resending_and_withdrawing_an_invitation_from_the_page(
    browser_as: Browser, session: Session, world: World
) -> None:
    invited = users.invite_official(
        session, SYSTEM, email="inbjuden@nora.se", name="Inge Inbjuden", municipality="nora"
    )
    outbox.take(session)
    session.flush()
    coordinator = browser_as(world.coordinator)
    row = coordinator.get("/admin/users?q=inbjuden", headers=EN).text
    assert "Resend the invitation" in row
    assert "Invitation sent" in row
    resent = coordinator.post(f"/admin/users/{invited.id}/invitation/resend", headers=HTMX)
    assert resent.status_code == 200
    assert "A new invitation has been sent." in resent.text
    links = session.exec(select(Invitation).where(Invitation.user_id == invited.id)).all()
    assert len(links) == 2

    gone = coordinator.post(f"/admin/users/{invited.id}/invitation/withdraw", headers=HTMX)
    assert gone.status_code == 200
    assert "The invitation to Inge Inbjuden (inbjuden@nora.se) has been withdrawn." in gone.text
    assert users.user_by_email(session, "inbjuden@nora.se") is None
    accepted = coordinator.post(f"/admin/users/{world.official.id}/invitation/withdraw")
    assert accepted.headers["location"] == "/admin/users?error=accepted"


def test_the_page_sends_as_many_statements_for_thirty_officials_as_for_one(
    browser_as: Browser, session: Session, world: World, count_statements: Count
) -> None:
    coordinator = browser_as(world.coordinator)
    url = "/admin/users?q=raknad"
    make_user(session, name="Raknad 0", email="raknad0@fagersta.se")
    coordinator.get(url)
    one = count_statements(lambda: coordinator.get(url))
    for n in range(1, 30):
        user = make_user(session, name=f"Raknad {n}", email=f"raknad{n}@fagersta.se")
        make_membership(session, group=world.group, user=user)
    for n in range(3):
        users.invite_official(
            session,
            SYSTEM,
            email=f"raknad.ny{n}@nora.se",
            name=f"Raknad ny {n}",
            municipality="nora",
        )
    session.flush()
    thirty = count_statements(lambda: coordinator.get(url))
    assert "Raknad 29" in coordinator.get(url).text
    assert thirty == one
