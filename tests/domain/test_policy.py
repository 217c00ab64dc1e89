"""The permission matrix: role × visibility × action → allowed, 404 or 403."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain import policy
from domain.actor import ANONYMOUS, Actor
from domain.errors import Forbidden, NotFound, Unauthenticated
from models import Group, MemberRole, Scope, Visibility

GROUP_ID = 7
OTHER_GROUP_ID = 8

ACTORS = {
    "anonymous": ANONYMOUS,
    "suspended member": Actor(user_id=1, active=False, roles={GROUP_ID: MemberRole.MEMBER}),
    "official": Actor(user_id=2, active=True, roles={OTHER_GROUP_ID: MemberRole.LEAD}),
    "member": Actor(user_id=3, active=True, roles={GROUP_ID: MemberRole.MEMBER}),
    "lead": Actor(user_id=4, active=True, roles={GROUP_ID: MemberRole.LEAD}),
    "coordinator": Actor(user_id=5, active=True, is_coordinator=True),
    "lead with a read token": Actor(
        user_id=6, active=True, roles={GROUP_ID: MemberRole.LEAD}, scopes=frozenset({Scope.READ})
    ),
}


def see(actor: Actor, group: Group) -> None:
    policy.require_visible_group(actor, group)


def read(actor: Actor, group: Group) -> None:
    policy.require_readable_content(actor, group)


def manage_members(actor: Actor, group: Group) -> None:
    policy.require_member_manager(actor, policy.require_administrable_group(actor, group))


def appoint_lead(actor: Actor, group: Group) -> None:
    policy.require_administrable_group(actor, group)
    policy.require_lead_appointer(actor)


def join(actor: Actor, group: Group) -> None:
    policy.require_visible_group(actor, group)
    policy.require_write_access(actor)
    if not policy.can_join(actor, group) and not actor.is_member(group.id):
        raise Forbidden("no")


def administer(actor: Actor, group: Group) -> None:
    policy.require_administrable_group(actor, group)
    policy.require_administrator(actor)


ACTIONS: dict[str, Callable[[Actor, Group], None]] = {
    "see": see,
    "read": read,
    "join": join,
    "manage members": manage_members,
    "appoint lead": appoint_lead,
    "administer": administer,
}

OK, HIDDEN, DENIED, UNAUTHENTICATED = "ok", 404, 403, 401
N, D, H, U = OK, DENIED, HIDDEN, UNAUTHENTICATED
# (actor, visibility) → outcome of (see, read, join, manage members, appoint lead, administer)
EXPECTED: dict[tuple[str, Visibility], tuple[object, ...]] = {
    ("anonymous", Visibility.OPEN): (N, H, U, D, D, D),
    ("anonymous", Visibility.CLOSED): (N, H, U, D, D, D),
    ("anonymous", Visibility.SECRET): (H, H, H, H, H, H),
    ("suspended member", Visibility.OPEN): (N, H, U, D, D, D),
    ("suspended member", Visibility.CLOSED): (N, H, U, D, D, D),
    ("suspended member", Visibility.SECRET): (H, H, H, H, H, H),
    ("official", Visibility.OPEN): (N, N, N, D, D, D),
    ("official", Visibility.CLOSED): (N, H, N, D, D, D),
    ("official", Visibility.SECRET): (H, H, H, H, H, H),
    ("member", Visibility.OPEN): (N, N, N, D, D, D),
    ("member", Visibility.CLOSED): (N, N, N, D, D, D),
    ("member", Visibility.SECRET): (N, N, N, D, D, D),
    ("lead", Visibility.OPEN): (N, N, N, N, D, D),
    ("lead", Visibility.CLOSED): (N, N, N, N, D, D),
    ("lead", Visibility.SECRET): (N, N, N, N, D, D),
    ("coordinator", Visibility.OPEN): (N, N, N, N, N, N),
    ("coordinator", Visibility.CLOSED): (N, H, N, N, N, N),
    ("coordinator", Visibility.SECRET): (H, H, H, N, N, N),
    ("lead with a read token", Visibility.OPEN): (N, N, D, D, D, D),
    ("lead with a read token", Visibility.CLOSED): (N, N, D, D, D, D),
    ("lead with a read token", Visibility.SECRET): (N, N, D, D, D, D),
}

CASES = [
    (actor, visibility, action, outcome)
    for (actor, visibility), outcomes in EXPECTED.items()
    for action, outcome in zip(ACTIONS, outcomes, strict=True)
]


def outcome_of(action: Callable[[Actor, Group], None], actor: Actor, group: Group) -> object:
    try:
        action(actor, group)
    except NotFound:
        return HIDDEN
    except Unauthenticated:
        return UNAUTHENTICATED
    except Forbidden:
        return DENIED
    return OK


def test_matrix_covers_every_actor_and_visibility() -> None:
    assert set(EXPECTED) == {(a, v) for a in ACTORS for v in Visibility}


@pytest.mark.parametrize(("actor", "visibility", "action", "expected"), CASES)
def test_permission_matrix(
    actor: str, visibility: Visibility, action: str, expected: object
) -> None:
    group = Group(id=GROUP_ID, slug="g", name="G", visibility=visibility)
    assert outcome_of(ACTIONS[action], ACTORS[actor], group) == expected


@pytest.mark.parametrize("actor", sorted(ACTORS))
def test_predicates_agree_with_guards(actor: str) -> None:
    for visibility in Visibility:
        group = Group(id=GROUP_ID, slug="g", name="G", visibility=visibility)
        who = ACTORS[actor]
        assert policy.can_see_group(who, group) == (outcome_of(see, who, group) == OK)
        assert policy.can_read_group_content(who, group) == (outcome_of(read, who, group) == OK)


def test_a_missing_group_is_not_found_for_everyone() -> None:
    for actor in ACTORS.values():
        with pytest.raises(NotFound):
            policy.require_visible_group(actor, None)
