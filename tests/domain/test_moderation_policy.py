"""The moderation rules of the policy: who moderates, flags, moves and reads the audit log,
and what archiving takes away."""

from __future__ import annotations

import pytest

from domain import policy
from domain.actor import ANONYMOUS, Actor
from models import Group, MemberRole, Post, Scope, Visibility, utcnow

GROUP_ID, OTHER_ID = 7, 8
ACTORS = {
    "anonymous": ANONYMOUS,
    "official": Actor(user_id=2, active=True, roles={OTHER_ID: MemberRole.LEAD}),
    "member": Actor(user_id=3, active=True, roles={GROUP_ID: MemberRole.MEMBER}),
    "lead": Actor(user_id=4, active=True, roles={GROUP_ID: MemberRole.LEAD}),
    "lead of both": Actor(
        user_id=9, active=True, roles={GROUP_ID: MemberRole.LEAD, OTHER_ID: MemberRole.LEAD}
    ),
    "coordinator": Actor(user_id=5, active=True, is_coordinator=True),
    "lead with a read token": Actor(
        user_id=6, active=True, roles={GROUP_ID: MemberRole.LEAD}, scopes=frozenset({Scope.READ})
    ),
}


def group(group_id: int = GROUP_ID, **values: object) -> Group:
    values.setdefault("visibility", Visibility.CLOSED)
    return Group(id=group_id, slug=f"g{group_id}", name="G", **values)


def post(author_id: int = 3, **values: object) -> Post:
    return Post(id=1, thread_id=1, author_id=author_id, position=1, body="x", **values)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("anonymous", False),
        ("official", False),
        ("member", False),
        ("lead", True),
        ("coordinator", True),
        ("lead with a read token", False),
    ],
)
def test_who_moderates_a_group(who: str, allowed: bool) -> None:
    assert policy.can_moderate(ACTORS[who], group()) is allowed
    assert policy.can_hide_post(ACTORS[who], post(), group()) is allowed
    assert policy.can_edit_group(ACTORS[who], group()) is allowed


def test_the_queue_is_read_by_leads_also_with_a_read_token_but_not_by_members() -> None:
    assert policy.can_review_moderation(ACTORS["lead with a read token"], group())
    assert not policy.can_review_moderation(ACTORS["member"], group())
    assert not policy.can_review_moderation(ACTORS["official"], group())


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("lead", False), ("lead of both", True), ("coordinator", True), ("official", False)],
)
def test_a_move_needs_moderation_of_both_groups(who: str, allowed: bool) -> None:
    assert policy.can_move_thread(ACTORS[who], group(), group(OTHER_ID)) is allowed


def test_nobody_moves_a_discussion_into_an_archived_group() -> None:
    archived = group(OTHER_ID, archived_at=utcnow())
    assert not policy.can_move_thread(ACTORS["coordinator"], group(), archived)


def test_readers_flag_live_posts_of_others_only() -> None:
    member, lead = ACTORS["member"], ACTORS["lead"]
    assert policy.can_flag(lead, post(author_id=3), group())
    assert not policy.can_flag(member, post(author_id=3), group()), "one's own post"
    assert not policy.can_flag(lead, post(deleted_at=utcnow()), group())
    assert not policy.can_flag(lead, post(hidden_at=utcnow()), group())
    assert not policy.can_flag(ACTORS["official"], post(), group()), "not a reader"
    assert not policy.can_flag(ACTORS["lead with a read token"], post(), group())


def test_a_deleted_post_cannot_be_hidden_even_by_a_coordinator() -> None:
    assert not policy.can_hide_post(ACTORS["coordinator"], post(deleted_at=utcnow()), group())


def test_an_archived_group_is_read_only() -> None:
    archived = group(archived_at=utcnow(), visibility=Visibility.OPEN)
    member = ACTORS["member"]
    assert policy.can_read_group_content(member, archived)
    assert not policy.can_post(member, archived)
    assert not policy.can_join(ACTORS["official"], archived)


def test_the_audit_log_coordinators_read_all_leads_their_groups_members_nothing() -> None:
    assert policy.audit_groups(ACTORS["coordinator"]) is None
    assert policy.audit_groups(ACTORS["lead of both"]) == frozenset({GROUP_ID, OTHER_ID})
    assert policy.can_read_audit(ACTORS["lead"])
    assert not policy.can_read_audit(ACTORS["member"])
    assert policy.audit_groups(ACTORS["member"]) == frozenset()
