"""Experience groups: listing, creating, and their membership."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit, policy
from domain.actor import Actor
from domain.errors import Conflict, Invalid, NotFound
from models import FocusArea, Group, MemberRole, Membership, Municipality, User, Visibility

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")

# Swedish names of the focus areas are accepted wherever an area is given.
FOCUS_AREA_ALIASES = {
    "ungdom": FocusArea.YOUTH,
    "attraktionskraft": FocusArea.ATTRACTIVENESS,
    "kommunikation": FocusArea.COMMUNICATION,
    "mangfald": FocusArea.DIVERSITY,
    "mångfald": FocusArea.DIVERSITY,
    "jamstalldhet": FocusArea.EQUALITY,
    "jämställdhet": FocusArea.EQUALITY,
    "ovrigt": FocusArea.OTHER,
    "övrigt": FocusArea.OTHER,
}


@dataclass(frozen=True)
class LeadView:
    user_id: int
    name: str
    title: str
    municipality: str


@dataclass(frozen=True)
class GroupView:
    group: Group
    leads: list[LeadView] = field(default_factory=list)
    can_read: bool = False


def parse_focus_area(value: str) -> FocusArea:
    key = value.strip().lower()
    if key in FOCUS_AREA_ALIASES:
        return FOCUS_AREA_ALIASES[key]
    try:
        return FocusArea(key)
    except ValueError:
        allowed = ", ".join(area.value for area in FocusArea)
        raise Invalid.field(
            "focus_area", f"Unknown focus area {value!r}; one of {allowed}."
        ) from None


def list_groups(
    session: Session, actor: Actor, *, after_id: int | None = None, limit: int | None = None
) -> list[GroupView]:
    """The groups the actor may see, by id; their leads come in one further query."""
    query = select(Group).where(policy.visible_groups_clause(actor)).order_by(col(Group.id))
    if after_id is not None:
        query = query.where(col(Group.id) > after_id)
    if limit is not None:
        query = query.limit(limit)
    groups = list(session.exec(query).all())
    leads = _leads_by_group(session, [g.id for g in groups if g.id is not None])
    return [
        GroupView(g, leads.get(g.id, []), policy.can_read_group_content(actor, g)) for g in groups
    ]


def get_group(session: Session, actor: Actor, slug: str) -> GroupView:
    group = policy.require_visible_group(actor, _group_by_slug(session, slug))
    assert group.id is not None
    leads = _leads_by_group(session, [group.id])
    return GroupView(group, leads.get(group.id, []), policy.can_read_group_content(actor, group))


def create_group(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    name: str,
    focus_area: FocusArea,
    description: str = "",
    visibility: Visibility = Visibility.OPEN,
) -> Group:
    policy.require_administrator(actor)
    slug = slug.strip().lower()
    if not SLUG_PATTERN.fullmatch(slug):
        raise Invalid.field(
            "slug", "A slug is 1–64 lower-case letters a–z, digits and inner hyphens."
        )
    name = name.strip()
    if not name or len(name) > 120:
        raise Invalid.field("name", "A group needs a name of 1–120 characters.")
    if _group_by_slug(session, slug) is not None:
        raise Conflict(f"A group with the slug {slug!r} already exists.")
    group = Group(
        slug=slug, name=name, focus_area=focus_area, description=description, visibility=visibility
    )
    session.add(group)
    session.flush()
    audit.record(
        session,
        actor,
        "group.create",
        target_type="group",
        target_id=group.id,
        group_id=group.id,
        slug=slug,
        visibility=visibility.value,
    )
    return group


def set_member(
    session: Session, actor: Actor, *, slug: str, user_id: int, role: MemberRole
) -> Membership:
    """Add an official to a group or change their role there."""
    group = policy.require_administrable_group(actor, _group_by_slug(session, slug))
    policy.require_member_manager(actor, group)
    if role is MemberRole.LEAD:
        policy.require_lead_appointer(actor)
    if session.get(User, user_id) is None:
        raise NotFound("official")
    membership = session.exec(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user_id)
    ).first()
    if membership is None:
        assert group.id is not None
        membership = Membership(group_id=group.id, user_id=user_id, role=role)
        session.add(membership)
        session.execute(
            sa.update(Group)
            .where(col(Group.id) == group.id)
            .values(member_count=col(Group.member_count) + 1, version=col(Group.version) + 1)
        )
    elif membership.role is not role:
        if membership.role is MemberRole.LEAD:
            policy.require_lead_appointer(actor)
        # The leads are part of the group's representation: a new ETag.
        session.execute(
            sa.update(Group).where(col(Group.id) == group.id).values(version=col(Group.version) + 1)
        )
    membership.role = role
    session.flush()
    audit.record(
        session,
        actor,
        "membership.set",
        target_type="user",
        target_id=user_id,
        group_id=group.id,
        role=role.value,
    )
    return membership


def _group_by_slug(session: Session, slug: str) -> Group | None:
    return session.exec(select(Group).where(Group.slug == slug.strip().lower())).first()


def _leads_by_group(session: Session, group_ids: list[int]) -> dict[int | None, list[LeadView]]:
    if not group_ids:
        return {}
    rows = session.exec(
        select(col(Membership.group_id), User, col(Municipality.name))
        .join(User, col(User.id) == Membership.user_id)
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(col(Membership.group_id).in_(group_ids), Membership.role == MemberRole.LEAD)
        .order_by(col(User.name))
    ).all()
    leads: dict[int | None, list[LeadView]] = {}
    for group_id, user, municipality in rows:
        assert user.id is not None
        leads.setdefault(group_id, []).append(
            LeadView(user.id, user.name, user.title, municipality)
        )
    return leads
