"""The SQL filters of the policy agree with its predicates, row by row, in the database."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from domain import policy
from domain.actor import ANONYMOUS, Actor
from models import Group, MemberRole, Visibility
from tests.factories import make_group


@pytest.fixture
def groups_by_visibility(session: Session) -> dict[Visibility, Group]:
    return {v: make_group(session, slug=f"clause-{v.value}", visibility=v) for v in Visibility}


def actors(groups: dict[Visibility, Group]) -> dict[str, Actor]:
    secret = groups[Visibility.SECRET].id
    closed = groups[Visibility.CLOSED].id
    assert secret is not None
    assert closed is not None
    return {
        "anonymous": ANONYMOUS,
        "official": Actor(user_id=1, active=True),
        "member of secret": Actor(user_id=2, active=True, roles={secret: MemberRole.MEMBER}),
        "lead of closed": Actor(user_id=3, active=True, roles={closed: MemberRole.LEAD}),
        "suspended member": Actor(user_id=4, active=False, roles={secret: MemberRole.MEMBER}),
        "coordinator": Actor(user_id=5, active=True, is_coordinator=True),
    }


@pytest.mark.parametrize(
    ("clause", "predicate"),
    [
        (policy.visible_groups_clause, policy.can_see_group),
        (policy.readable_groups_clause, policy.can_read_group_content),
    ],
)
def test_each_clause_selects_exactly_what_its_predicate_allows(
    session: Session,
    groups_by_visibility: dict[Visibility, Group],
    clause,
    predicate,  # type: ignore[no-untyped-def]
) -> None:
    ours = [g.id for g in groups_by_visibility.values()]
    for name, actor in actors(groups_by_visibility).items():
        selected = set(
            session.exec(select(Group.id).where(col(Group.id).in_(ours), clause(actor))).all()
        )
        expected = {g.id for g in groups_by_visibility.values() if predicate(actor, g)}
        assert selected == expected, name
