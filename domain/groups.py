"""Experience groups: listing, creating, and their membership."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit, directory, policy
from domain.actor import Actor
from domain.errors import Conflict, Forbidden, Invalid, NotFound, StaleVersion
from models import (
    FocusArea,
    Group,
    JoinRequest,
    JoinRequestStatus,
    MemberRole,
    Membership,
    Municipality,
    User,
    UserStatus,
    Visibility,
    utcnow,
)

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
    role: MemberRole | None = None
    can_join: bool = False
    join_pending: bool = False
    version: int = 0
    """`shown_version`: the group's ETag for this actor."""
    can_manage: bool = False
    can_list_members: bool = False
    can_post: bool = False
    can_leave: bool = False

    @property
    def joined(self) -> bool:
        """The actor belongs to the group, as a member or as one of its leads."""
        return self.role is not None

    @property
    def leading(self) -> bool:
        """The actor is one of the group's leads."""
        return self.role is MemberRole.LEAD

    @property
    def join_needs_approval(self) -> bool:
        """Joining sends the leads a request (a closed group) instead of joining at once."""
        return self.group.visibility is Visibility.CLOSED


PROFILE_CHANGED = {
    "version": col(Group.version) + 1,
    "profile_version": col(Group.profile_version) + 1,
}
"""The values of an UPDATE that changes what everyone who sees the group sees."""


def shown_version(actor: Actor, group: Group) -> int:
    """The version of the group as the actor sees it (its ETag): readers see its activity,
    outsiders of a closed group only its profile, so only that may move their ETag."""
    return group.version if policy.can_read_group_content(actor, group) else group.profile_version


def by_focus_area(views: list[GroupView]) -> list[tuple[str, list[GroupView]]]:
    """The groups directory: groups under their focus area, areas in their fixed order."""
    return [
        (area.value, members)
        for area in FocusArea
        if (members := [view for view in views if view.group.focus_area == area])
    ]


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
    ids = [g.id for g in groups if g.id is not None]
    leads = _leads_by_group(session, ids)
    pending = _pending_requests(session, actor, ids)
    return [_view(actor, g, leads.get(g.id, []), g.id in pending) for g in groups]


def _view(actor: Actor, group: Group, leads: list[LeadView], pending: bool) -> GroupView:
    role = actor.roles.get(group.id) if actor.signed_in and group.id is not None else None
    you = actor.user_id
    return GroupView(
        group,
        leads,
        can_read=policy.can_read_group_content(actor, group),
        role=role,
        can_join=policy.can_join(actor, group) and not pending,
        join_pending=pending,
        version=shown_version(actor, group),
        can_manage=policy.can_manage_members(actor, group),
        can_list_members=policy.can_list_members(actor, group),
        can_post=policy.can_post(actor, group),
        can_leave=role is not None
        and you is not None
        and policy.can_remove_member(actor, group, role, you),
    )


def _pending_requests(session: Session, actor: Actor, group_ids: list[int]) -> set[int]:
    if not actor.signed_in or not group_ids:
        return set()
    return set(
        session.exec(
            select(JoinRequest.group_id).where(
                JoinRequest.user_id == actor.user_id,
                JoinRequest.status == JoinRequestStatus.PENDING,
                col(JoinRequest.group_id).in_(group_ids),
            )
        ).all()
    )


def get_group(
    session: Session, actor: Actor, slug: str, *, administering: bool = False
) -> GroupView:
    """A group as the actor sees it; `administering` lets coordinators reach secret ones."""
    found = directory.group_by_slug(session, slug)
    if administering:
        group = policy.require_administrable_group(actor, found)
    else:
        group = policy.require_visible_group(actor, found)
    assert group.id is not None
    leads = _leads_by_group(session, [group.id])
    pending = _pending_requests(session, actor, [group.id])
    return _view(actor, group, leads.get(group.id, []), group.id in pending)


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
    if directory.group_by_slug(session, slug) is not None:
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
    group = policy.require_administrable_group(actor, directory.group_by_slug(session, slug))
    policy.require_member_manager(actor, group)
    if role is MemberRole.LEAD:
        policy.require_lead_appointer(actor)
    official = session.get(User, user_id)
    if official is None:
        raise NotFound("official")
    if official.status is UserStatus.SUSPENDED:
        raise Conflict("A suspended official cannot be added to a group.")
    assert group.id is not None
    membership = _membership(session, group.id, user_id)
    if membership is None:
        membership = _add_membership(session, group, user_id, role)
    elif membership.role is not role:
        if membership.role is MemberRole.LEAD:
            policy.require_lead_appointer(actor)
        # The leads are part of the group's representation: a new ETag.
        session.execute(sa.update(Group).where(col(Group.id) == group.id).values(**PROFILE_CHANGED))
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


def group_to_manage(session: Session, actor: Actor, slug: str) -> Group:
    """A group whose members the actor manages (its leads, coordinators)."""
    group = policy.require_administrable_group(actor, directory.group_by_slug(session, slug))
    policy.require_member_manager(actor, group)
    return group


def update_group(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    name: str | None = None,
    description: str | None = None,
    focus_area: FocusArea | None = None,
    visibility: Visibility | None = None,
    expected_version: int | None = None,
) -> Group:
    policy.require_administrator(actor)
    group = policy.require_administrable_group(actor, directory.group_by_slug(session, slug))
    shown = shown_version(actor, group)
    if expected_version is not None and expected_version != shown:
        raise StaleVersion(f"The group is at version {shown}, not {expected_version}.")
    if name is not None:
        if not name.strip() or len(name.strip()) > 120:
            raise Invalid.field("name", "A group needs a name of 1–120 characters.")
        group.name = name.strip()
    if description is not None:
        group.description = description
    if focus_area is not None:
        group.focus_area = focus_area
    if visibility is not None:
        group.visibility = visibility
    group.version += 1
    group.profile_version += 1
    group.updated_at = utcnow()
    session.flush()
    audit.record(
        session, actor, "group.update", target_type="group", target_id=group.id, group_id=group.id
    )
    return group


@dataclass(frozen=True)
class JoinOutcome:
    membership: Membership | None
    request: JoinRequest | None


def join_group(session: Session, actor: Actor, *, slug: str, message: str = "") -> JoinOutcome:
    """Open groups: a membership at once. Closed groups: a request the leads decide on."""
    policy.require_write_access(actor)
    group = policy.require_visible_group(actor, directory.group_by_slug(session, slug))
    assert group.id is not None
    assert actor.user_id is not None
    existing = _membership(session, group.id, actor.user_id)
    if existing is not None:
        return JoinOutcome(existing, None)
    if group.visibility is Visibility.OPEN:
        membership = _add_membership(session, group, actor.user_id, MemberRole.MEMBER)
        return JoinOutcome(membership, None)
    if group.visibility is Visibility.SECRET:
        raise Forbidden("Secret groups take members by invitation only.")
    pending = session.exec(
        select(JoinRequest).where(
            JoinRequest.group_id == group.id,
            JoinRequest.user_id == actor.user_id,
            JoinRequest.status == JoinRequestStatus.PENDING,
        )
    ).first()
    if pending is None:
        pending = JoinRequest(group_id=group.id, user_id=actor.user_id, message=message[:2000])
        session.add(pending)
        session.flush()
    return JoinOutcome(None, pending)


@dataclass(frozen=True)
class MemberView:
    group: str
    membership: Membership
    user: User
    municipality: str
    can_remove: bool = False
    """Whether the actor may take this member out of the group; never themselves, who
    leave instead (`GroupView.can_leave`)."""

    @property
    def leading(self) -> bool:
        """This member is one of the group's leads."""
        return self.membership.role is MemberRole.LEAD


@dataclass(frozen=True)
class JoinRequestView:
    request: JoinRequest
    group: str
    applicant: str = ""
    """Name, title and municipality of who asks, as the leads see it."""


def list_members(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[MemberView]:
    group = policy.require_member_list_reader(actor, directory.group_by_slug(session, slug))
    query = (
        select(Membership, User, col(Municipality.name))
        .join(User, col(User.id) == Membership.user_id)
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(Membership.group_id == group.id)
        .order_by(col(Membership.id))
    )
    if after_id is not None:
        query = query.where(col(Membership.id) > after_id)
    rows = session.exec(query.limit(limit)).all()
    return [
        MemberView(
            group.slug,
            m,
            user,
            municipality,
            can_remove=m.user_id != actor.user_id
            and policy.can_remove_member(actor, group, m.role, m.user_id),
        )
        for m, user, municipality in rows
    ]


def get_membership(session: Session, actor: Actor, *, slug: str, user_id: int | None) -> MemberView:
    group = policy.require_member_list_reader(actor, directory.group_by_slug(session, slug))
    row = session.exec(
        select(Membership, User, col(Municipality.name))
        .join(User, col(User.id) == Membership.user_id)
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(Membership.group_id == group.id, Membership.user_id == user_id)
    ).first()
    if row is None:
        raise NotFound("membership")
    membership, user, municipality = row
    return MemberView(group.slug, membership, user, municipality)


def remove_member(session: Session, actor: Actor, *, slug: str, user_id: int) -> None:
    """Leads remove members; anyone may leave; only coordinators remove a lead."""
    group = policy.require_administrable_group(actor, directory.group_by_slug(session, slug))
    assert group.id is not None
    if user_id != actor.user_id:
        # Before the look-up: who is not allowed learns nothing about who is a member.
        policy.require_member_manager(actor, group)
    membership = _membership(session, group.id, user_id)
    if membership is None:
        raise NotFound("membership")
    policy.require_member_remover(actor, group, membership.role, user_id)
    session.delete(membership)
    session.execute(
        sa.update(Group)
        .where(col(Group.id) == group.id)
        .values(member_count=col(Group.member_count) - 1, **PROFILE_CHANGED)
    )
    audit.record(
        session,
        actor,
        "membership.remove",
        target_type="user",
        target_id=user_id,
        group_id=group.id,
    )


def list_join_requests(session: Session, actor: Actor, *, slug: str) -> list[JoinRequestView]:
    group = policy.require_administrable_group(actor, directory.group_by_slug(session, slug))
    policy.require_member_reviewer(actor, group)
    rows = session.exec(
        select(JoinRequest, User, col(Municipality.name))
        .join(User, col(User.id) == JoinRequest.user_id)
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(JoinRequest.group_id == group.id, JoinRequest.status == JoinRequestStatus.PENDING)
        .order_by(col(JoinRequest.id))
    ).all()
    return [
        JoinRequestView(request, group.slug, f"{user.name}, {user.title}, {municipality}")
        for request, user, municipality in rows
    ]


def decide_join_request(
    session: Session, actor: Actor, *, request_id: int, approve: bool
) -> JoinRequestView:
    request = session.get(JoinRequest, request_id)
    group = session.get(Group, request.group_id) if request else None
    if request is None or group is None or not policy.can_review_members(actor, group):
        raise NotFound("join request")  # one answer for others' requests and made-up ids
    policy.require_member_manager(actor, group)
    if request.status is not JoinRequestStatus.PENDING:
        raise Conflict("The request has been decided already.")
    request.status = JoinRequestStatus.APPROVED if approve else JoinRequestStatus.DENIED
    request.decided_at = utcnow()
    request.decided_by_id = actor.user_id or None
    if approve and _membership(session, request.group_id, request.user_id) is None:
        _add_membership(session, group, request.user_id, MemberRole.MEMBER)
    audit.record(
        session,
        actor,
        "join_request.approve" if approve else "join_request.deny",
        target_type="user",
        target_id=request.user_id,
        group_id=group.id,
    )
    session.flush()
    return JoinRequestView(request, group.slug)


def add_invited_member(session: Session, *, group_id: int, user_id: int) -> None:
    """Membership from an accepted invitation: the inviting lead's act, checked back then."""
    group = session.get(Group, group_id)
    if group is not None and _membership(session, group_id, user_id) is None:
        _add_membership(session, group, user_id, MemberRole.MEMBER)


def _membership(session: Session, group_id: int, user_id: int) -> Membership | None:
    return session.exec(
        select(Membership).where(Membership.group_id == group_id, Membership.user_id == user_id)
    ).first()


def _add_membership(session: Session, group: Group, user_id: int, role: MemberRole) -> Membership:
    assert group.id is not None
    membership = Membership(group_id=group.id, user_id=user_id, role=role)
    session.add(membership)
    session.execute(
        sa.update(Group)
        .where(col(Group.id) == group.id)
        .values(member_count=col(Group.member_count) + 1, **PROFILE_CHANGED)
    )
    session.flush()
    return membership


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
