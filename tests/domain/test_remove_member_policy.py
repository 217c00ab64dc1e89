"""Who may take whom out of a group: the one rule the member list and the service share."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from domain import groups, policy
from domain.actor import ANONYMOUS, Actor, load_actor
from domain.errors import Forbidden
from models import Group, MemberRole, Scope, Visibility
from tests.factories import make_group, make_membership, make_user

GROUP = Group(id=7, slug="ungdom", name="Ungdom", visibility=Visibility.CLOSED)
READ_ONLY = frozenset({Scope.READ})

ACTORS = {
    "anonymous": ANONYMOUS,
    "member": Actor(user_id=3, active=True, roles={7: MemberRole.MEMBER}),
    "lead": Actor(user_id=4, active=True, roles={7: MemberRole.LEAD}),
    "coordinator": Actor(user_id=5, active=True, is_coordinator=True),
    "lead of another group": Actor(user_id=2, active=True, roles={8: MemberRole.LEAD}),
    "lead with a read token": Actor(
        user_id=4, active=True, roles={7: MemberRole.LEAD}, scopes=READ_ONLY
    ),
    "coordinator with a read token": Actor(
        user_id=5, active=True, is_coordinator=True, scopes=READ_ONLY
    ),
}

OTHERS = {"a member": (MemberRole.MEMBER, 10), "a lead": (MemberRole.LEAD, 9)}

# actor → may remove (a member, a lead, themselves); None: not in the group, nothing to leave
EXPECTED: dict[str, tuple[bool, bool, bool | None]] = {
    "anonymous": (False, False, None),
    "member": (False, False, True),
    "lead": (True, False, True),
    "coordinator": (True, True, None),
    "lead of another group": (False, False, None),
    "lead with a read token": (False, False, False),
    "coordinator with a read token": (False, False, None),
}


def _target(actor: Actor, name: str) -> tuple[MemberRole, int]:
    if name != "themselves":
        return OTHERS[name]
    assert actor.user_id is not None
    return actor.roles[7], actor.user_id


CASES = [
    (actor, target, allowed)
    for actor, row in EXPECTED.items()
    for target, allowed in zip([*OTHERS, "themselves"], row, strict=True)
    if allowed is not None
]


@pytest.mark.parametrize(("actor", "target", "allowed"), CASES)
def test_who_may_remove_whom(actor: str, target: str, allowed: bool) -> None:
    role, user_id = _target(ACTORS[actor], target)
    assert policy.can_remove_member(ACTORS[actor], GROUP, role, user_id) is allowed


@pytest.mark.parametrize(("actor", "target", "allowed"), CASES)
def test_the_guard_agrees_with_the_predicate(actor: str, target: str, allowed: bool) -> None:
    role, user_id = _target(ACTORS[actor], target)
    if allowed:
        policy.require_member_remover(ACTORS[actor], GROUP, role, user_id)
    else:
        with pytest.raises(Forbidden):
            policy.require_member_remover(ACTORS[actor], GROUP, role, user_id)


@pytest.mark.parametrize(
    ("actor", "target", "reason"),
    [
        ("member", "a member", "Only the group's leads and the coordinators manage"),
        ("lead", "a lead", "Only coordinators appoint group leads."),
        ("lead with a read token", "themselves", "This token may only read."),
        ("coordinator with a read token", "a lead", "Only the group's leads and the"),
    ],
)
def test_the_guard_says_why_it_refuses(actor: str, target: str, reason: str) -> None:
    role, user_id = _target(ACTORS[actor], target)
    with pytest.raises(Forbidden, match=reason):
        policy.require_member_remover(ACTORS[actor], GROUP, role, user_id)


def test_the_member_list_offers_removal_where_the_service_allows_it(session: Session) -> None:
    group = make_group(session)
    lead, other_lead, member = make_user(session), make_user(session), make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=other_lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    coordinator = make_user(session, is_coordinator=True)
    assert None not in (lead.id, other_lead.id, member.id, coordinator.id)

    def removable(user_id: int) -> dict[int | None, bool]:
        views = groups.list_members(session, load_actor(session, user_id), slug=group.slug)
        return {view.user.id: view.can_remove for view in views}

    assert removable(lead.id) == {lead.id: False, other_lead.id: False, member.id: True}
    assert removable(member.id) == {lead.id: False, other_lead.id: False, member.id: False}
    assert removable(coordinator.id) == {lead.id: True, other_lead.id: True, member.id: True}

    with pytest.raises(Forbidden):
        groups.remove_member(
            session, load_actor(session, lead.id), slug=group.slug, user_id=other_lead.id
        )
    groups.remove_member(
        session, load_actor(session, coordinator.id), slug=group.slug, user_id=other_lead.id
    )
    assert other_lead.id not in removable(coordinator.id)
