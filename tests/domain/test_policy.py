"""The permission matrix: role × visibility × action → allowed, 404 or 403."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain import policy
from domain.actor import ANONYMOUS, Actor
from domain.errors import Forbidden, NotFound
from models import Group, MemberRole, Visibility

GROUP_ID = 7
OTHER_GROUP_ID = 8

ACTORS = {
    "anonymous": ANONYMOUS,
    "suspended member": Actor(user_id=1, active=False, roles={GROUP_ID: MemberRole.MEMBER}),
    "official": Actor(user_id=2, active=True, roles={OTHER_GROUP_ID: MemberRole.LEAD}),
    "member": Actor(user_id=3, active=True, roles={GROUP_ID: MemberRole.MEMBER}),
    "lead": Actor(user_id=4, active=True, roles={GROUP_ID: MemberRole.LEAD}),
    "coordinator": Actor(user_id=5, active=True, is_coordinator=True),
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


ACTIONS: dict[str, Callable[[Actor, Group], None]] = {
    "see": see,
    "read": read,
    "manage members": manage_members,
    "appoint lead": appoint_lead,
}

OK, HIDDEN, DENIED = "ok", 404, 403
# (actor, visibility) → outcome of (see, read, manage members, appoint lead)
EXPECTED: dict[tuple[str, Visibility], tuple[object, object, object, object]] = {
    ("anonymous", Visibility.OPEN): (OK, HIDDEN, DENIED, DENIED),
    ("anonymous", Visibility.CLOSED): (OK, HIDDEN, DENIED, DENIED),
    ("anonymous", Visibility.SECRET): (HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("suspended member", Visibility.OPEN): (OK, HIDDEN, DENIED, DENIED),
    ("suspended member", Visibility.CLOSED): (OK, HIDDEN, DENIED, DENIED),
    ("suspended member", Visibility.SECRET): (HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("official", Visibility.OPEN): (OK, OK, DENIED, DENIED),
    ("official", Visibility.CLOSED): (OK, HIDDEN, DENIED, DENIED),
    ("official", Visibility.SECRET): (HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ("member", Visibility.OPEN): (OK, OK, DENIED, DENIED),
    ("member", Visibility.CLOSED): (OK, OK, DENIED, DENIED),
    ("member", Visibility.SECRET): (OK, OK, DENIED, DENIED),
    ("lead", Visibility.OPEN): (OK, OK, OK, DENIED),
    ("lead", Visibility.CLOSED): (OK, OK, OK, DENIED),
    ("lead", Visibility.SECRET): (OK, OK, OK, DENIED),
    ("coordinator", Visibility.OPEN): (OK, OK, OK, OK),
    ("coordinator", Visibility.CLOSED): (OK, HIDDEN, OK, OK),
    ("coordinator", Visibility.SECRET): (HIDDEN, HIDDEN, OK, OK),
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
