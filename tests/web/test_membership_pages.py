"""Joining groups, leads' membership work and the coordinators' pages, in the browser."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import JoinRequest, MemberRole, SignupRequest, User, UserStatus, Visibility
from tests.factories import make_group, make_membership, make_user

Browser = Callable[[User], TestClient]


def test_an_official_joins_an_open_group_from_its_page(
    browser_as: Browser, session: Session
) -> None:
    make_group(session, slug="ungdom-x", name="Ungdom X")
    official = browser_as(make_user(session))
    assert "Gå med i gruppen" in official.get("/g/ungdom-x").text
    joined = official.post("/g/ungdom-x/join")
    assert joined.status_code == 303
    page = official.get(joined.headers["location"])
    assert "Du är nu medlem i gruppen." in page.text
    assert "Lämna gruppen" in page.text


def test_a_closed_group_takes_a_request_that_its_lead_approves(
    browser_as: Browser, session: Session
) -> None:
    group = make_group(session, slug="styr-x", visibility=Visibility.CLOSED)
    lead_user = make_user(session, name="Lena Lead")
    make_membership(session, group=group, user=lead_user, role=MemberRole.LEAD)
    asker = make_user(session, name="Arne Asker", title="Planerare")
    official, lead = browser_as(asker), browser_as(lead_user)

    before = official.get("/g/styr-x").text
    assert "Be om att gå med" in before
    assert "Bara medlemmar ser vilka som är med i gruppen." in before
    official.post("/g/styr-x/join")
    assert "Din förfrågan väntar på gruppledarna." in official.get("/g/styr-x").text

    # The group's page points its lead to the requests; the member list holds them.
    assert "/g/styr-x/members" in lead.get("/g/styr-x").text
    lead_page = lead.get("/g/styr-x/members").text
    assert "Arne Asker, Planerare, Avesta" in lead_page
    request = session.exec(select(JoinRequest).where(JoinRequest.user_id == asker.id)).one()
    assert official.post(f"/join-requests/{request.id}/approve").status_code == 404
    approved = lead.post(f"/join-requests/{request.id}/approve")
    assert approved.headers["location"] == "/g/styr-x/members?notice=approved"
    assert "Lämna gruppen" in official.get("/g/styr-x").text


def test_a_secret_group_page_is_not_found_for_outsiders(
    browser_as: Browser, session: Session
) -> None:
    make_group(session, slug="hemlig-x", visibility=Visibility.SECRET)
    response = browser_as(make_user(session)).get("/g/hemlig-x")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.text


def test_only_coordinators_see_the_administration(browser_as: Browser, session: Session) -> None:
    official = browser_as(make_user(session))
    assert official.get("/admin/users").status_code == 403
    assert official.get("/admin/signups").status_code == 403
    coordinator = browser_as(make_user(session, is_coordinator=True, name="Anna Samordnare"))
    page = coordinator.get("/admin/users")
    assert page.status_code == 200
    assert "Bjud in en tjänsteperson" in page.text


def test_a_coordinator_suspends_and_reactivates_from_the_page(
    browser_as: Browser, session: Session
) -> None:
    coordinator = browser_as(make_user(session, is_coordinator=True))
    target = make_user(session)
    suspended = coordinator.post(
        f"/admin/users/{target.id}/suspend", data={"reason": "Slutat i kommunen"}
    )
    assert suspended.status_code == 303
    session.refresh(target)
    assert target.status is UserStatus.SUSPENDED
    coordinator.post(f"/admin/users/{target.id}/reactivate")
    session.refresh(target)
    assert target.status is UserStatus.ACTIVE
    assert coordinator.post(f"/admin/users/{target.id}/explode").status_code == 422


def test_a_municipal_address_may_ask_for_an_account_and_a_coordinator_approves(
    app: object, browser_as: Browser, session: Session
) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)
    visitor = TestClient(app, follow_redirects=False)
    make_user(session, is_coordinator=True)
    page = visitor.get("/signup")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    data = {"csrf_token": token, "email": "Ny@Ludvika.se", "name": "Ny Ludvikabo", "title": "HR"}
    asked = visitor.post("/signup", data=data)
    assert asked.status_code == 200
    assert "En samordnare tittar på din förfrågan" in asked.text
    outsider = visitor.post("/signup", data={**data, "email": "someone@gmail.com"})
    assert outsider.status_code == 422
    assert "Använd e-postadressen från en medlemskommun." in outsider.text

    request = session.exec(select(SignupRequest)).one()
    assert request.email == "ny@ludvika.se"
    coordinator = browser_as(make_user(session, is_coordinator=True))
    assert "Ny Ludvikabo" in coordinator.get("/admin/signups").text
    assert coordinator.post(f"/admin/signups/{request.id}/approve").status_code == 303
    invited = session.exec(select(User).where(User.email == "ny@ludvika.se")).one()
    assert invited.status is UserStatus.INVITED
    assert coordinator.post(f"/admin/signups/{request.id}/deny").status_code == 409
