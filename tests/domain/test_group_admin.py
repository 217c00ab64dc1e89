"""Groups and their members as services: who may do what, the last lead, archived groups,
who is told, and one audit entry with what changed for every act."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pytest
from sqlmodel import Session, col, select

from domain import group_admin, groups, memberships, threads
from domain.actor import SYSTEM, Actor, load_actor
from domain.errors import Conflict, Forbidden, Invalid, NotFound
from models import (
    AuditEntry,
    FocusArea,
    Group,
    JoinRequest,
    JoinRequestStatus,
    MemberRole,
    Membership,
    Notification,
    NotificationKind,
    Scope,
    Theme,
    User,
    UserStatus,
    Visibility,
)
from tests.factories import make_group, make_membership, make_user

READ_ONLY = frozenset({Scope.READ})


@dataclass
class Team:
    group: Group
    other: Group
    lead: User
    member: User
    other_lead: User
    coordinator: User
    official: User

    def actor(self, session: Session, user: User) -> Actor:
        assert user.id is not None
        return load_actor(session, user.id)


@pytest.fixture
def team(session: Session) -> Team:
    group = make_group(session, slug="styr-d", name="Styr D", visibility=Visibility.CLOSED)
    other = make_group(session, slug="annan-d", name="Annan D")
    lead, member, other_lead = make_user(session), make_user(session), make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    make_membership(session, group=other, user=other_lead, role=MemberRole.LEAD)
    coordinator = make_user(session, is_coordinator=True)
    return Team(group, other, lead, member, other_lead, coordinator, make_user(session))


def entries(session: Session, action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(col(AuditEntry.id))
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list(session.exec(query).all())


def role_of(session: Session, group: Group, user: User) -> MemberRole | None:
    found = session.exec(
        select(Membership.role).where(
            Membership.group_id == group.id, Membership.user_id == user.id
        )
    ).first()
    return MemberRole(found) if found is not None else None


def told(session: Session, user: User, kind: NotificationKind) -> list[Notification]:
    return list(
        session.exec(
            select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
        ).all()
    )


# --- creating a group -----------------------------------------------------------------


def test_a_coordinator_who_names_no_lead_leads_the_new_closed_group(
    session: Session, team: Team
) -> None:
    actor = team.actor(session, team.coordinator)
    group = groups.create_group(
        session,
        actor,
        slug="ny-d",
        name="Ny",
        focus_area=FocusArea.YOUTH,
        visibility=Visibility.CLOSED,
    )
    assert role_of(session, group, team.coordinator) is MemberRole.LEAD
    assert group.member_count == 1
    assert group.version == 1  # the founding leads are part of the first version
    view = groups.created_view(session, actor, group)
    assert view.leading
    assert view.can_read
    assert not view.can_join
    [entry] = entries(session, "group.create")
    assert entry.before is None
    assert entry.after == {
        "slug": "ny-d",
        "name": "Ny",
        "focus_area": "youth",
        "description": "",
        "visibility": "closed",
        "goals": [],
        "theme": None,
        "leads": [team.coordinator.id],
    }


def test_named_leads_by_id_email_or_handle_lead_the_new_group(session: Session, team: Team) -> None:
    theme = Theme(
        slug="attr-d", name="Attr", starts_on=date(2018, 1, 1), ends_on=date(2019, 12, 31)
    )
    session.add(theme)
    session.flush()
    group = groups.create_group(
        session,
        team.actor(session, team.coordinator),
        slug="ledd-d",
        name="Ledd",
        focus_area=FocusArea.EQUALITY,
        goal_ids=[5, 10],
        theme="attr-d",
        leads=[team.official.email.upper(), f"@{team.member.handle}", team.official.id or 0],
    )
    assert role_of(session, group, team.official) is MemberRole.LEAD
    assert role_of(session, group, team.member) is MemberRole.LEAD
    assert role_of(session, group, team.coordinator) is None
    assert group.member_count == 2
    assert group.theme_id == theme.id
    assert group_admin.goals_of(session, group.id or 0) == [5, 10]
    [entry] = entries(session, "group.create")
    assert entry.after is not None
    assert entry.after["leads"] == [team.official.id, team.member.id]
    assert entry.after["theme"] == "attr-d"


def test_the_console_creates_a_group_without_a_lead(session: Session) -> None:
    group = groups.create_group(
        session, SYSTEM, slug="konsol-d", name="K", focus_area=FocusArea.OTHER
    )
    assert group.member_count == 0


@pytest.mark.parametrize(
    ("leads", "field"),
    [(["nobody@nora.se"], "leads"), (["@ingen-alls"], "leads"), ([999_999], "leads")],
)
def test_an_unknown_lead_is_invalid_and_creates_nothing(
    session: Session, team: Team, leads: list[int | str], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        groups.create_group(
            session,
            team.actor(session, team.coordinator),
            slug="fel-d",
            name="Fel",
            focus_area=FocusArea.OTHER,
            leads=leads,
        )
    assert refused.value.errors[0].field == field
    assert session.exec(select(Group).where(Group.slug == "fel-d")).first() is None
    assert entries(session) == []


def test_a_suspended_official_cannot_lead_a_new_group(session: Session, team: Team) -> None:
    team.official.status = UserStatus.SUSPENDED
    session.flush()
    with pytest.raises(Invalid):
        groups.create_group(
            session,
            team.actor(session, team.coordinator),
            slug="susp-d",
            name="S",
            focus_area=FocusArea.OTHER,
            leads=[team.official.id or 0],
        )


@pytest.mark.parametrize("who", ["lead", "member", "official"])
def test_only_coordinators_create_groups(session: Session, team: Team, who: str) -> None:
    with pytest.raises(Forbidden):
        groups.create_group(
            session,
            team.actor(session, getattr(team, who)),
            slug="inte-d",
            name="Inte",
            focus_area=FocusArea.OTHER,
        )


def test_a_read_only_token_of_a_coordinator_creates_no_group(session: Session, team: Team) -> None:
    actor = replace(team.actor(session, team.coordinator), scopes=READ_ONLY)
    with pytest.raises(Forbidden):
        groups.create_group(session, actor, slug="las-d", name="L", focus_area=FocusArea.OTHER)


def test_a_taken_slug_is_a_conflict(session: Session, team: Team) -> None:
    with pytest.raises(Conflict):
        groups.create_group(
            session,
            team.actor(session, team.coordinator),
            slug="styr-d",
            name="Igen",
            focus_area=FocusArea.OTHER,
        )


# --- settings ----------------------------------------------------------------------------


def test_a_lead_edits_description_goals_and_theme_and_the_audit_keeps_only_the_change(
    session: Session, team: Team
) -> None:
    theme = Theme(
        slug="int-d", name="Integration", starts_on=date(2016, 1, 1), ends_on=date(2017, 12, 31)
    )
    session.add(theme)
    session.flush()
    version = team.group.version
    groups.update_group(
        session,
        team.actor(session, team.lead),
        slug="styr-d",
        name=team.group.name,  # the same name again is no change of name
        description="Ny beskrivning",
        goal_ids=[11, 4, 4],
        theme="int-d",
        expected_version=version,
    )
    assert team.group.description == "Ny beskrivning"
    assert group_admin.goals_of(session, team.group.id or 0) == [4, 11]
    assert team.group.version == version + 1
    [entry] = entries(session, "group.update")
    assert entry.before == {"description": "A group for tests.", "goals": [], "theme": None}
    assert entry.after == {"description": "Ny beskrivning", "goals": [4, 11], "theme": "int-d"}


def test_a_change_that_changes_nothing_leaves_no_entry_and_no_new_version(
    session: Session, team: Team
) -> None:
    version = team.group.version
    groups.update_group(
        session, team.actor(session, team.lead), slug="styr-d", description="A group for tests."
    )
    assert team.group.version == version
    assert entries(session) == []


@pytest.mark.parametrize(
    "change",
    [{"name": "Nytt namn"}, {"visibility": Visibility.OPEN}, {"focus_area": FocusArea.OTHER}],
)
def test_a_lead_may_not_rename_refocus_or_open_the_group(
    session: Session, team: Team, change: dict[str, object]
) -> None:
    with pytest.raises(Forbidden):
        groups.update_group(
            session,
            team.actor(session, team.lead),
            slug="styr-d",
            description="also this",
            **change,  # type: ignore[arg-type]
        )
    assert team.group.description == "A group for tests."
    assert entries(session) == []


def test_a_coordinator_renames_and_opens_the_group(session: Session, team: Team) -> None:
    groups.update_group(
        session,
        team.actor(session, team.coordinator),
        slug="styr-d",
        name="Styrgruppen",
        visibility=Visibility.OPEN,
    )
    [entry] = entries(session, "group.update")
    assert entry.before == {"name": "Styr D", "visibility": "closed"}
    assert entry.after == {"name": "Styrgruppen", "visibility": "open"}


@pytest.mark.parametrize("who", ["member", "other_lead", "official"])
def test_members_and_leads_of_other_groups_may_not_edit(
    session: Session, team: Team, who: str
) -> None:
    with pytest.raises(Forbidden):
        groups.update_group(
            session, team.actor(session, getattr(team, who)), slug="styr-d", description="x"
        )


def test_a_read_only_token_of_a_lead_may_not_edit(session: Session, team: Team) -> None:
    actor = replace(team.actor(session, team.lead), scopes=READ_ONLY)
    with pytest.raises(Forbidden):
        groups.update_group(session, actor, slug="styr-d", description="x")


def test_unknown_goals_and_themes_are_invalid(session: Session, team: Team) -> None:
    lead = team.actor(session, team.lead)
    with pytest.raises(Invalid):
        groups.update_group(session, lead, slug="styr-d", goal_ids=[18])
    with pytest.raises(Invalid):
        groups.update_group(session, lead, slug="styr-d", theme="ingen-sadan")


def test_the_settings_form_offers_leads_no_name_and_coordinators_everything(
    session: Session, team: Team
) -> None:
    assert not groups.settings_form(
        session, team.actor(session, team.lead), slug="styr-d"
    ).can_edit_profile
    assert groups.settings_form(
        session, team.actor(session, team.coordinator), slug="styr-d"
    ).can_edit_profile
    with pytest.raises(Forbidden):
        groups.settings_form(session, team.actor(session, team.member), slug="styr-d")


# --- archive ------------------------------------------------------------------------------


def test_archiving_makes_the_group_read_only_until_it_is_unarchived(
    session: Session, team: Team
) -> None:
    coordinator = team.actor(session, team.coordinator)
    groups.set_archived(session, coordinator, slug="styr-d", archived=True)
    [entry] = entries(session, "group.archive")
    assert (entry.before, entry.after) == ({"archived": False}, {"archived": True})
    with pytest.raises(Conflict):
        groups.set_archived(session, coordinator, slug="styr-d", archived=True)

    member = team.actor(session, team.member)
    view = groups.get_group(session, member, "styr-d")
    assert view.archived
    assert view.can_read
    assert not view.can_post
    with pytest.raises(Forbidden, match="archived"):
        threads.start_thread(session, member, slug="styr-d", title="Ny", body="Text")
    with pytest.raises(Conflict):
        groups.join_group(session, team.actor(session, team.official), slug="styr-d")
    with pytest.raises(Conflict):
        groups.set_member(
            session,
            team.actor(session, team.lead),
            slug="styr-d",
            user_id=team.official.id or 0,
            role=MemberRole.MEMBER,
        )
    with pytest.raises(Conflict):
        groups.update_group(session, team.actor(session, team.lead), slug="styr-d", description="x")

    groups.set_archived(session, coordinator, slug="styr-d", archived=False)
    [back] = entries(session, "group.unarchive")
    assert (back.before, back.after) == ({"archived": True}, {"archived": False})
    assert groups.get_group(session, member, "styr-d").can_post


@pytest.mark.parametrize("who", ["lead", "member"])
def test_only_coordinators_archive(session: Session, team: Team, who: str) -> None:
    with pytest.raises(Forbidden):
        groups.set_archived(
            session, team.actor(session, getattr(team, who)), slug="styr-d", archived=True
        )


def test_a_secret_group_stays_hidden_from_a_lead_of_another_group(session: Session) -> None:
    make_group(session, slug="hemlig-d", visibility=Visibility.SECRET)
    lead = make_user(session)
    make_membership(session, group=make_group(session), user=lead, role=MemberRole.LEAD)
    assert lead.id is not None
    with pytest.raises(NotFound):
        groups.update_group(session, load_actor(session, lead.id), slug="hemlig-d", description="x")


# --- members ------------------------------------------------------------------------------


def test_adding_changing_and_removing_a_member_leave_one_entry_each(
    session: Session, team: Team
) -> None:
    coordinator = team.actor(session, team.coordinator)
    official_id = team.official.id or 0
    groups.set_member(
        session,
        team.actor(session, team.lead),
        slug="styr-d",
        user_id=official_id,
        role=MemberRole.MEMBER,
    )
    groups.set_member(
        session, coordinator, slug="styr-d", user_id=official_id, role=MemberRole.MEMBER
    )  # the same role again: no act
    groups.set_member(
        session, coordinator, slug="styr-d", user_id=official_id, role=MemberRole.LEAD
    )
    groups.remove_member(session, coordinator, slug="styr-d", user_id=official_id)
    acts = [(e.action, e.target_id, e.before, e.after) for e in entries(session)]
    assert acts == [
        ("membership.add", official_id, None, {"role": "member"}),
        ("membership.role", official_id, {"role": "member"}, {"role": "lead"}),
        ("membership.remove", official_id, {"role": "lead"}, None),
    ]


def test_the_last_lead_is_neither_removed_nor_made_a_member_nor_leaves(
    session: Session, team: Team
) -> None:
    coordinator = team.actor(session, team.coordinator)
    lead_id = team.lead.id or 0
    with pytest.raises(memberships.LastLead):
        groups.remove_member(session, coordinator, slug="styr-d", user_id=lead_id)
    with pytest.raises(memberships.LastLead):
        groups.set_member(
            session, coordinator, slug="styr-d", user_id=lead_id, role=MemberRole.MEMBER
        )
    with pytest.raises(memberships.LastLead):
        groups.remove_member(
            session, team.actor(session, team.lead), slug="styr-d", user_id=lead_id
        )
    assert role_of(session, team.group, team.lead) is MemberRole.LEAD
    assert entries(session) == []

    groups.set_member(
        session, coordinator, slug="styr-d", user_id=team.member.id or 0, role=MemberRole.LEAD
    )
    groups.set_member(session, coordinator, slug="styr-d", user_id=lead_id, role=MemberRole.MEMBER)
    assert role_of(session, team.group, team.lead) is MemberRole.MEMBER


def test_the_member_list_offers_nothing_that_would_take_the_last_lead(
    session: Session, team: Team
) -> None:
    views = groups.list_members(session, team.actor(session, team.coordinator), slug="styr-d")
    by_id = {view.user.id: view for view in views}
    assert by_id[team.lead.id].only_lead
    assert not by_id[team.lead.id].can_remove
    assert not by_id[team.lead.id].can_change_role
    assert by_id[team.member.id].can_change_role
    assert by_id[team.member.id].can_remove


def test_leads_add_officials_by_email_or_handle_once(session: Session, team: Team) -> None:
    lead = team.actor(session, team.lead)
    added = groups.add_member(session, lead, slug="styr-d", official=f"@{team.official.handle}")
    assert added.user.id == team.official.id
    with pytest.raises(memberships.AlreadyMember) as again:
        groups.add_member(session, lead, slug="styr-d", official=team.official.email)
    assert again.value.name == team.official.name
    assert again.value.errors[0].code == "already-member"
    with pytest.raises(Invalid):
        groups.add_member(session, lead, slug="styr-d", official="ingen@nora.se")
    with pytest.raises(Forbidden):
        groups.add_member(
            session,
            team.actor(session, team.member),
            slug="styr-d",
            official=team.coordinator.email,
        )
    with pytest.raises(Forbidden):
        groups.add_member(
            session,
            team.actor(session, team.other_lead),
            slug="styr-d",
            official=team.coordinator.email,
        )
    assert [e.action for e in entries(session)] == ["membership.add"]


def test_only_coordinators_make_leads(session: Session, team: Team) -> None:
    with pytest.raises(Forbidden):
        groups.set_member(
            session,
            team.actor(session, team.lead),
            slug="styr-d",
            user_id=team.member.id or 0,
            role=MemberRole.LEAD,
        )


# --- requests to join -------------------------------------------------------------------


def _ask(session: Session, team: Team) -> JoinRequest:
    outcome = groups.join_group(
        session, team.actor(session, team.official), slug="styr-d", message="Får jag?"
    )
    assert outcome.request is not None
    return outcome.request


def test_the_leads_hear_of_a_request_and_the_official_of_the_answer(
    session: Session, team: Team
) -> None:
    request = _ask(session, team)
    [note] = told(session, team.lead, NotificationKind.JOIN_REQUEST)
    assert note.group_id == team.group.id
    assert note.actor_id == team.official.id
    assert told(session, team.member, NotificationKind.JOIN_REQUEST) == []
    _ask(session, team)  # asking again while it waits is the same request, told once
    assert len(told(session, team.lead, NotificationKind.JOIN_REQUEST)) == 1

    decided = groups.decide_join_request(
        session, team.actor(session, team.lead), request_id=request.id or 0, approve=True
    )
    assert decided.applicant.startswith(team.official.name)
    [answer] = told(session, team.official, NotificationKind.JOIN_ANSWER)
    assert answer.outcome == "approved"
    assert role_of(session, team.group, team.official) is MemberRole.MEMBER
    [entry] = entries(session, "join_request.approve")
    assert (entry.target_type, entry.target_id) == ("join_request", request.id)
    assert (entry.before, entry.after) == ({"status": "pending"}, {"status": "approved"})
    assert len(entries(session)) == 1


def test_a_denied_official_is_told_and_may_ask_again(session: Session, team: Team) -> None:
    request = _ask(session, team)
    groups.decide_join_request(
        session, team.actor(session, team.coordinator), request_id=request.id or 0, approve=False
    )
    [answer] = told(session, team.official, NotificationKind.JOIN_ANSWER)
    assert answer.outcome == "denied"
    [entry] = entries(session, "join_request.deny")
    assert entry.after == {"status": "denied"}
    again = _ask(session, team)
    assert again.id != request.id
    assert again.status is JoinRequestStatus.PENDING
    with pytest.raises(Conflict):
        groups.decide_join_request(
            session, team.actor(session, team.lead), request_id=request.id or 0, approve=True
        )


@pytest.mark.parametrize("who", ["member", "other_lead"])
def test_who_does_not_lead_the_group_cannot_decide(session: Session, team: Team, who: str) -> None:
    request = _ask(session, team)
    with pytest.raises(NotFound):
        groups.decide_join_request(
            session,
            team.actor(session, getattr(team, who)),
            request_id=request.id or 0,
            approve=True,
        )
