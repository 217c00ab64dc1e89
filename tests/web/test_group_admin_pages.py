"""Leads and coordinators run groups in the browser: the member list with requests to
join, adding and removing members, leads, a new group, settings and archiving; in place
with htmx and without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from models import (
    AuditEntry,
    Group,
    JoinRequest,
    Locale,
    MemberRole,
    Membership,
    Notification,
    NotificationKind,
    User,
    Visibility,
    utcnow,
)
from tests.factories import make_group, make_membership, make_user

Browser = Callable[[User], TestClient]
HTMX = {"HX-Request": "true"}


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
    group = make_group(session, slug="styr-w", name="Styr W", visibility=Visibility.CLOSED)
    other = make_group(session, slug="annan-w")

    def person(name: str, **extra: object) -> User:
        return make_user(session, name=name, locale=Locale.EN, **extra)

    lead = person("Lena Lead", title="Samordnare", last_active_at=utcnow())
    member = person("Maja Medlem")
    other_lead = person("Olle Other")
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    make_membership(session, group=other, user=other_lead, role=MemberRole.LEAD)
    coordinator = person("Cecilia Coordinator", is_coordinator=True)
    official = person("Arne Asker", title="Planerare")
    return Team(group, lead, member, other_lead, coordinator, official)


def role_of(session: Session, group: Group, user: User) -> MemberRole | None:
    session.expire_all()
    found = session.exec(
        select(Membership.role).where(
            Membership.group_id == group.id, Membership.user_id == user.id
        )
    ).first()
    return MemberRole(found) if found is not None else None


def actions(session: Session) -> list[str]:
    session.expire_all()
    return list(session.exec(select(AuditEntry.action).order_by(col(AuditEntry.id))).all())


def ask_to_join(browser_as: Browser, session: Session, team: Team) -> JoinRequest:
    assert browser_as(team.official).post("/g/styr-w/join").status_code == 303
    return session.exec(select(JoinRequest).where(JoinRequest.user_id == team.official.id)).one()


# --- the member list --------------------------------------------------------------------


def test_the_lead_sees_members_with_municipality_role_activity_and_the_requests(
    browser_as: Browser, session: Session, team: Team
) -> None:
    ask_to_join(browser_as, session, team)
    page = browser_as(team.lead).get("/g/styr-w/members")
    assert page.status_code == 200
    text = page.text
    assert "<caption" in text
    assert "Lena Lead" in text
    assert "Samordnare" in text
    assert "Avesta" in text
    assert "Last active" in text
    assert "Arne Asker, Planerare, Avesta" in text
    assert f'id="member-{team.member.id}"' in text
    assert "Add a member" in text
    # The only lead is neither removed nor made a member from here.
    assert f"/g/styr-w/members/{team.lead.id}/remove" not in text
    assert "the only lead" in text


def test_a_member_reads_the_list_without_activity_or_actions(
    browser_as: Browser, team: Team
) -> None:
    text = browser_as(team.member).get("/g/styr-w/members").text
    assert "Lena Lead" in text
    assert "Last active" not in text
    assert "/remove" not in text
    assert "Requests to join" not in text
    assert "Add a member" not in text


def test_outsiders_of_the_closed_group_get_404_for_its_member_list(
    browser_as: Browser, team: Team
) -> None:
    assert browser_as(team.official).get("/g/styr-w/members").status_code == 404
    assert browser_as(team.other_lead).get("/g/styr-w/members").status_code == 404


def test_the_lead_approves_in_place_and_the_official_is_told(
    browser_as: Browser, session: Session, team: Team
) -> None:
    request = ask_to_join(browser_as, session, team)
    [note] = session.exec(
        select(Notification).where(Notification.kind == NotificationKind.JOIN_REQUEST)
    ).all()
    assert note.user_id == team.lead.id
    approved = browser_as(team.lead).post(
        f"/join-requests/{request.id}/approve", data={"group": "styr-w"}, headers=HTMX
    )
    assert approved.status_code == 200
    assert f'id="join-request-{request.id}"' in approved.text
    assert "Approved: Arne Asker" in approved.text
    assert "<html" not in approved.text
    assert role_of(session, team.group, team.official) is MemberRole.MEMBER
    [answer] = session.exec(
        select(Notification).where(Notification.kind == NotificationKind.JOIN_ANSWER)
    ).all()
    assert (answer.user_id, answer.outcome) == (team.official.id, "approved")
    again = browser_as(team.lead).post(
        f"/join-requests/{request.id}/deny", data={"group": "styr-w"}, headers=HTMX
    )
    assert again.status_code == 422
    assert "could not be decided" in again.text


def test_denying_without_javascript_goes_back_to_the_list_with_a_notice(
    browser_as: Browser, session: Session, team: Team
) -> None:
    request = ask_to_join(browser_as, session, team)
    lead = browser_as(team.lead)
    denied = lead.post(f"/join-requests/{request.id}/deny", data={"group": "styr-w"})
    assert denied.status_code == 303
    assert denied.headers["location"] == "/g/styr-w/members?notice=denied"
    assert "The request is denied." in lead.get(denied.headers["location"]).text
    assert actions(session) == ["join_request.deny"]
    # Denied, the official may ask again.
    assert "Ask to join" in browser_as(team.official).get("/g/styr-w").text


def test_the_lead_adds_an_official_by_handle_and_hears_when_they_are_in_already(
    browser_as: Browser, session: Session, team: Team
) -> None:
    lead = browser_as(team.lead)
    added = lead.post("/g/styr-w/members", data={"official": f"@{team.official.handle}"})
    assert added.status_code == 303
    assert added.headers["location"] == "/g/styr-w/members?notice=added"
    assert role_of(session, team.group, team.official) is MemberRole.MEMBER
    again = lead.post("/g/styr-w/members", data={"official": team.official.email}, headers=HTMX)
    assert again.status_code == 422
    assert "Arne Asker is already a member of the group." in again.text
    assert 'aria-invalid="true"' in again.text
    unknown = lead.post("/g/styr-w/members", data={"official": "ingen@nora.se"})
    assert unknown.status_code == 422
    assert "No active official has that email address or handle." in unknown.text
    assert actions(session) == ["membership.add"]


def test_adding_in_place_shows_the_new_member_in_the_list(
    browser_as: Browser, session: Session, team: Team
) -> None:
    added = browser_as(team.lead).post(
        "/g/styr-w/members", data={"official": team.official.email}, headers=HTMX
    )
    assert added.status_code == 200
    assert "Arne Asker is now a member of the group." in added.text
    assert f'id="member-{team.official.id}"' in added.text
    assert "<html" not in added.text


def test_members_and_other_leads_may_not_add_or_remove(
    browser_as: Browser, session: Session, team: Team
) -> None:
    member = browser_as(team.member)
    assert (
        member.post("/g/styr-w/members", data={"official": team.official.email}).status_code == 403
    )
    other = browser_as(team.other_lead)
    assert (
        other.post("/g/styr-w/members", data={"official": team.official.email}).status_code == 403
    )
    assert other.post(f"/g/styr-w/members/{team.member.id}/remove").status_code == 403
    assert (
        member.post(f"/g/styr-w/members/{team.lead.id}/role", data={"role": "member"}).status_code
        == 403
    )
    assert actions(session) == []


def test_a_coordinator_makes_a_lead_in_place_and_the_last_lead_stays(
    browser_as: Browser, session: Session, team: Team
) -> None:
    coordinator = browser_as(team.coordinator)
    url = f"/g/styr-w/members/{team.lead.id}/role"
    refused = coordinator.post(url, data={"role": "member"}, headers=HTMX)
    assert refused.status_code == 422
    assert "keeps at least one lead" in refused.text
    plain = coordinator.post(url, data={"role": "member"})
    assert plain.headers["location"] == "/g/styr-w/members?notice=last-lead"
    assert "keeps at least one lead" in coordinator.get(plain.headers["location"]).text
    assert role_of(session, team.group, team.lead) is MemberRole.LEAD

    promoted = coordinator.post(
        f"/g/styr-w/members/{team.member.id}/role", data={"role": "lead"}, headers=HTMX
    )
    assert promoted.status_code == 200
    assert f'<tr id="member-{team.member.id}">' in promoted.text
    assert "Maja Medlem now leads the group." in promoted.text
    assert role_of(session, team.group, team.member) is MemberRole.LEAD
    assert coordinator.post(url, data={"role": "member"}).status_code == 303
    assert role_of(session, team.group, team.lead) is MemberRole.MEMBER
    assert actions(session) == ["membership.role", "membership.role"]


def test_a_lead_may_not_make_leads(browser_as: Browser, session: Session, team: Team) -> None:
    lead = browser_as(team.lead)
    url = f"/g/styr-w/members/{team.member.id}/role"
    assert lead.post(url, data={"role": "lead"}).status_code == 403
    assert "Make lead" not in lead.get("/g/styr-w/members").text


def test_the_lead_removes_a_member_in_place(
    browser_as: Browser, session: Session, team: Team
) -> None:
    page = browser_as(team.lead).get("/g/styr-w/members").text
    assert 'hx-confirm="Remove this official from the group?"' in page
    removed = browser_as(team.lead).post(f"/g/styr-w/members/{team.member.id}/remove", headers=HTMX)
    assert removed.status_code == 200
    assert "Maja Medlem is no longer a member of the group." in removed.text
    assert role_of(session, team.group, team.member) is None
    assert actions(session) == ["membership.remove"]


def test_the_last_lead_who_leaves_is_told_why_not(
    browser_as: Browser, session: Session, team: Team
) -> None:
    lead = browser_as(team.lead)
    left = lead.post("/g/styr-w/leave")
    assert left.headers["location"] == "/g/styr-w?notice=last-lead"
    assert "You are the group's only lead" in lead.get(left.headers["location"]).text
    assert role_of(session, team.group, team.lead) is MemberRole.LEAD


def test_the_member_list_takes_as_many_statements_for_30_members_as_for_3(
    client: TestClient,
    browser_as: Browser,
    session: Session,
    team: Team,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    lead = browser_as(team.lead)
    make_membership(session, group=team.group, user=make_user(session))
    few = count_statements(lambda: lead.get("/g/styr-w/members"))
    for _ in range(27):
        make_membership(session, group=team.group, user=make_user(session))
        asker = make_user(session)
        session.add(JoinRequest(group_id=team.group.id or 0, user_id=asker.id or 0, message="Hej"))
    session.flush()
    many = count_statements(lambda: lead.get("/g/styr-w/members"))
    assert few == many


# --- the group's page --------------------------------------------------------------------


def test_the_group_page_links_its_leads_to_members_settings_and_flags(
    browser_as: Browser, team: Team
) -> None:
    lead = browser_as(team.lead).get("/g/styr-w").text
    assert 'href="/g/styr-w/members"' in lead
    assert 'href="/g/styr-w/settings"' in lead
    assert 'href="/g/styr-w/flags"' in lead
    member = browser_as(team.member).get("/g/styr-w").text
    assert 'href="/g/styr-w/settings"' not in member
    assert 'href="/g/styr-w/flags"' not in member


# --- creating a group -------------------------------------------------------------------


def test_a_coordinator_creates_a_group_with_its_first_lead(
    browser_as: Browser, session: Session, team: Team
) -> None:
    coordinator = browser_as(team.coordinator)
    assert 'href="/admin/groups/new"' in coordinator.get("/").text
    form = coordinator.get("/admin/groups/new")
    assert form.status_code == 200
    assert 'name="leads"' in form.text
    data = {
        "name": "Kultur",
        "slug": "kultur-w",
        "focus_area": "attractiveness",
        "visibility": "closed",
        "description": "Kultur som tillväxtmotor.",
        "leads": f"@{team.official.handle}",
        "goals": ["11"],
    }
    created = coordinator.post("/admin/groups/new", data=data)
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/g/kultur-w?notice=created"
    group = session.exec(select(Group).where(Group.slug == "kultur-w")).one()
    assert group.visibility is Visibility.CLOSED
    assert role_of(session, group, team.official) is MemberRole.LEAD
    # The new lead is not asked to request to join: they lead it.
    official_page = browser_as(team.official).get("/g/kultur-w").text
    assert "Ask to join" not in official_page
    assert 'href="/g/kultur-w/members"' in official_page
    assert actions(session) == ["group.create"]


def test_a_new_group_needs_a_lead_and_a_free_slug_and_keeps_what_was_typed(
    browser_as: Browser, session: Session, team: Team
) -> None:
    coordinator = browser_as(team.coordinator)
    data = {"name": "Kultur", "slug": "kultur-w", "focus_area": "youth", "visibility": "open"}
    no_lead = coordinator.post("/admin/groups/new", data={**data, "leads": ""})
    assert no_lead.status_code == 422
    assert "Name at least one lead." in no_lead.text
    assert 'value="Kultur"' in no_lead.text
    taken = coordinator.post(
        "/admin/groups/new", data={**data, "slug": "styr-w", "leads": team.lead.email}
    )
    assert taken.status_code == 422
    assert "Another group already has that web address name." in taken.text
    unknown = coordinator.post("/admin/groups/new", data={**data, "leads": "@ingen-alls"})
    assert unknown.status_code == 422
    assert actions(session) == []


def test_only_coordinators_reach_the_new_group_form(browser_as: Browser, team: Team) -> None:
    lead = browser_as(team.lead)
    assert lead.get("/admin/groups/new").status_code == 403
    data = {
        "name": "X",
        "slug": "x-w",
        "focus_area": "youth",
        "visibility": "open",
        "leads": "a@b.se",
    }
    assert lead.post("/admin/groups/new", data=data).status_code == 403
    assert 'href="/admin/groups/new"' not in lead.get("/").text


# --- settings and archive ------------------------------------------------------------------


def test_a_lead_edits_the_settings_in_place_but_not_the_name(
    browser_as: Browser, session: Session, team: Team
) -> None:
    lead = browser_as(team.lead)
    form = lead.get("/g/styr-w/settings")
    assert form.status_code == 200
    assert 'name="description"' in form.text
    assert 'name="name"' not in form.text
    assert "Archive the group" not in form.text
    version = str(team.group.version)
    saved = lead.post(
        "/g/styr-w/settings",
        data={"version": version, "description": "Ny text", "goals": ["4"], "theme": ""},
        headers=HTMX,
    )
    assert saved.status_code == 200
    assert "The settings are saved." in saved.text
    assert "<html" not in saved.text
    stale = lead.post("/g/styr-w/settings", data={"version": version, "description": "Gammal"})
    assert stale.status_code == 422
    assert "Someone else changed the group" in stale.text
    crafted = lead.post(
        "/g/styr-w/settings",
        data={"version": str(team.group.version + 1), "description": "Ny text", "name": "Annat"},
    )
    assert crafted.status_code == 403
    session.expire_all()
    assert team.group.description == "Ny text"
    assert team.group.name == "Styr W"
    assert actions(session) == ["group.update"]


def test_members_and_other_leads_reach_no_settings(browser_as: Browser, team: Team) -> None:
    assert browser_as(team.member).get("/g/styr-w/settings").status_code == 403
    assert browser_as(team.other_lead).get("/g/styr-w/settings").status_code == 403
    assert (
        browser_as(team.official)
        .post("/g/styr-w/settings", data={"version": "1", "description": "x"})
        .status_code
        == 403
    )


def test_a_coordinator_renames_and_archives_and_the_directory_says_so(
    browser_as: Browser, session: Session, team: Team
) -> None:
    coordinator = browser_as(team.coordinator)
    form = coordinator.get("/g/styr-w/settings").text
    assert 'name="name"' in form
    assert 'name="visibility"' in form
    assert "Archive the group" in form
    saved = coordinator.post(
        "/g/styr-w/settings",
        data={
            "version": str(team.group.profile_version),
            "name": "Styrgruppen W",
            "focus_area": "other",
            "visibility": "closed",
            "description": "A group for tests.",
        },
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/g/styr-w/settings?notice=saved"
    archived = coordinator.post("/g/styr-w/archive")
    assert archived.headers["location"] == "/g/styr-w?notice=archived"
    assert coordinator.post("/g/styr-w/archive").headers["location"] == (
        "/g/styr-w/settings?notice=unchanged"
    )
    page = browser_as(team.member).get("/g/styr-w").text
    assert "Archived" in page
    assert "New discussion" not in page
    assert "Archived" in browser_as(team.official).get("/").text
    assert "Ask to join" not in browser_as(team.official).get("/g/styr-w").text
    assert browser_as(team.lead).post("/g/styr-w/archive").status_code == 403
    assert coordinator.post("/g/styr-w/unarchive").status_code == 303
    assert actions(session) == ["group.update", "group.archive", "group.unarchive"]


def test_a_lead_invites_someone_without_an_account_into_the_group(
    browser_as: Browser, session: Session, team: Team
) -> None:
    from models import Invitation

    lead = browser_as(team.lead)
    form = {"email": "ny.person@nora.se", "name": "Ny Person", "municipality": "nora"}
    page = lead.get("/g/styr-w/members").text
    assert 'action="/g/styr-w/members/invite"' in page
    sent = lead.post("/g/styr-w/members/invite", data=form)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/g/styr-w/members?notice=invited"
    session.expire_all()
    invited = session.exec(select(User).where(User.email == "ny.person@nora.se")).one()
    invitation = session.exec(select(Invitation).where(Invitation.user_id == invited.id)).one()
    assert invitation.group_id == team.group.id
    assert actions(session)[-1] == "user.invite"

    bad = lead.post(
        "/g/styr-w/members/invite", data={**form, "email": "inte-en-adress"}, headers=HTMX
    )
    assert bad.status_code == 422
    assert "check the address and the name" in bad.text
    assert 'value="inte-en-adress"' in bad.text

    refused = browser_as(team.member).post("/g/styr-w/members/invite", data=form)
    assert refused.status_code == 403
    other = browser_as(team.other_lead).post("/g/styr-w/members/invite", data=form)
    assert other.status_code == 403


def test_inviting_someone_who_has_an_account_adds_them_and_says_so(
    browser_as: Browser, session: Session, team: Team
) -> None:
    from models import Invitation

    lead = browser_as(team.lead)
    form = {"email": team.official.email, "name": "Arne", "municipality": "nora"}
    sent = lead.post("/g/styr-w/members/invite", data=form)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/g/styr-w/members?notice=existing"
    page = lead.get(sent.headers["location"]).text
    assert "already had an account in erfa and is now a member" in page
    assert "The invitation has been sent" not in page
    assert role_of(session, team.group, team.official) is MemberRole.MEMBER
    assert (
        session.exec(select(Invitation).where(Invitation.user_id == team.official.id)).all() == []
    )
    htmx = lead.post("/g/styr-w/members/invite", data=form, headers=HTMX)
    assert "already had an account" in htmx.text


def test_inviting_a_lead_of_the_group_leaves_them_lead(
    browser_as: Browser, session: Session, team: Team
) -> None:
    coordinator = browser_as(team.coordinator)
    form = {"email": team.lead.email, "name": "Lena", "municipality": "nora"}
    sent = coordinator.post("/g/styr-w/members/invite", data=form)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/g/styr-w/members?notice=existing"
    assert role_of(session, team.group, team.lead) is MemberRole.LEAD
