"""The group pages and the header show what the policy allows, and say what the view says."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from models import MemberRole, User, Visibility
from tests.factories import make_group, make_membership, make_user

Browser = Callable[[User], TestClient]


def _remove_url(slug: str, user: User) -> str:
    return f"/g/{slug}/members/{user.id}/remove"


def test_a_coordinator_is_offered_to_remove_a_lead_and_a_lead_is_not(
    browser_as: Browser, session: Session
) -> None:
    group = make_group(session, slug="lag-x")
    lead, other_lead, member = make_user(session), make_user(session), make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=other_lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    coordinator = make_user(session, is_coordinator=True)

    as_lead = browser_as(lead).get("/g/lag-x").text
    assert _remove_url("lag-x", member) in as_lead
    assert _remove_url("lag-x", other_lead) not in as_lead
    assert _remove_url("lag-x", lead) not in as_lead
    assert "Lämna gruppen" in as_lead

    as_coordinator = browser_as(coordinator)
    page = as_coordinator.get("/g/lag-x").text
    assert _remove_url("lag-x", other_lead) in page
    assert _remove_url("lag-x", member) in page
    assert "Lämna gruppen" not in page
    assert as_coordinator.post(_remove_url("lag-x", other_lead)).status_code == 303

    as_member = browser_as(member).get("/g/lag-x").text
    assert "/remove" not in as_member
    assert "Lämna gruppen" in as_member


def test_the_administration_link_shows_for_coordinators_only(
    browser_as: Browser, session: Session
) -> None:
    assert 'href="/admin/users"' not in browser_as(make_user(session)).get("/").text
    coordinator = browser_as(make_user(session, is_coordinator=True))
    assert 'href="/admin/users"' in coordinator.get("/").text


def test_cards_say_how_to_join_and_who_leads(browser_as: Browser, session: Session) -> None:
    official = make_user(session)
    led = make_group(session, name="Ledd grupp")
    make_membership(session, group=led, user=official, role=MemberRole.LEAD)
    make_group(session, name="Öppen grupp")
    make_group(session, name="Stängd grupp", visibility=Visibility.CLOSED)
    home = browser_as(official).get("/").text
    assert "Du leder gruppen" in home
    assert "Gå med i gruppen" in home
    assert "Be om att gå med" in home


def test_a_coordinator_sees_and_manages_the_members_of_a_closed_group_from_its_page(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    group = make_group(session, slug="sluten-k", visibility=Visibility.CLOSED)
    member = make_user(session, name="Sara Svensson")
    make_membership(session, group=group, user=member)
    page = browser_as(make_user(session, is_coordinator=True)).get("/g/sluten-k")
    assert page.status_code == 200
    assert "Sara Svensson" in page.text
    assert f"/g/sluten-k/members/{member.id}/remove" in page.text
    outsider = browser_as(make_user(session)).get("/g/sluten-k")
    assert "Sara Svensson" not in outsider.text
