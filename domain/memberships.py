"""Who is in a group: its members and leads, and the leads' work on them (requests to
join: `domain.join_requests`).

Leads add and remove members and decide requests; coordinators do that in every group
and also make and unmake leads. A group keeps at least one lead: removing or demoting its
last one is a `LastLead` conflict, also when two coordinators try it at the same moment
(each change of a lead first updates the group's row, which serialises them, and counts
the leads again before it is done). An archived group takes no new members.

Every act leaves one audit entry with the changed role (`before`/`after`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from domain import audit, directory, event_registrations, policy
from domain.actor import Actor
from domain.errors import Conflict, FieldError, Invalid, NotFound
from models import (
    Group,
    MemberRole,
    Membership,
    Municipality,
    User,
    UserStatus,
)

PROFILE_CHANGED = {
    "version": col(Group.version) + 1,
    "profile_version": col(Group.profile_version) + 1,
}
"""The values of an UPDATE that changes what everyone who sees the group sees."""


class LastLead(Conflict):
    """The change would leave the group without a lead."""

    def __init__(self) -> None:
        super().__init__("A group keeps at least one lead: make another official lead of it first.")


class AlreadyMember(Invalid):
    """The official named in an invitation is in the group already; `name` says who."""

    def __init__(self, name: str) -> None:
        message = f"{name} is already a member of the group."
        super().__init__(message, [FieldError("official", message, "already-member")])
        self.name = name


@dataclass(frozen=True)
class MemberView:
    group: str
    membership: Membership
    user: User
    municipality: str
    municipality_slug: str = ""
    """Where the member's municipality has its page (`/k/{slug}`)."""
    can_remove: bool = False
    """Whether the actor may take this member out of the group; never themselves, who
    leave instead (`GroupView.can_leave`), nor the group's only lead."""
    can_change_role: bool = False
    """Whether the actor may make this member a lead, or this lead a member again."""
    only_lead: bool = False
    """The group's one lead: not removed or made a member until there is another."""
    show_activity: bool = False
    """Show when the member was last active: to who manages the group's members."""

    @property
    def leading(self) -> bool:
        """This member is one of the group's leads."""
        return self.membership.role is MemberRole.LEAD

    @property
    def last_active_at(self) -> datetime | None:
        return self.user.last_active_at


def group_to_manage(session: Session, actor: Actor, slug: str) -> Group:
    """A group whose members the actor manages (its leads, coordinators)."""
    group = policy.require_administrable_group(actor, directory.group_by_slug(session, slug))
    policy.require_member_manager(actor, group)
    return group


def set_member(
    session: Session, actor: Actor, *, slug: str, user_id: int, role: MemberRole
) -> Membership:
    """Add an official to a group or change their role there. Giving the role they have
    changes nothing and leaves no audit entry (PUT is idempotent)."""
    group = group_to_manage(session, actor, slug)
    assert group.id is not None
    if role is MemberRole.LEAD:
        policy.require_lead_appointer(actor)
    official = session.get(User, user_id)
    if official is None:
        raise NotFound("official")
    if official.status is UserStatus.SUSPENDED:
        raise Conflict("A suspended official cannot be added to a group.")
    if official.status is UserStatus.ERASED:
        raise Conflict("An erased official cannot be added to a group.")
    membership = membership_of(session, group.id, user_id)
    if membership is None:
        policy.require_open_to_new_members(group)
        membership = add_membership(session, group, user_id, role)
        _record(session, actor, "membership.add", group, user_id, None, {"role": role.value})
        return membership
    old = membership.role
    if old is role:
        return membership
    policy.require_lead_appointer(actor)  # unmaking a lead is the coordinators' too
    if old is MemberRole.LEAD:
        _require_another_lead(session, group, user_id)
    _touch(session, group)
    membership.role = role
    session.flush()
    if old is MemberRole.LEAD:
        _require_a_lead(session, group)
    before, after = {"role": old.value}, {"role": role.value}
    _record(session, actor, "membership.role", group, user_id, before, after)
    return membership


def add_member(session: Session, actor: Actor, *, slug: str, official: str) -> MemberView:
    """Add an existing official, named by email or @handle, to the group as a member.

    Invalid (field `official`) when nobody active has that address or handle, and
    `AlreadyMember` when they are in the group: both are answers for the form."""
    group = group_to_manage(session, actor, slug)
    assert group.id is not None
    user = find_official(session, official, field="official")
    assert user.id is not None
    if membership_of(session, group.id, user.id) is not None:
        raise AlreadyMember(user.name)
    set_member(session, actor, slug=slug, user_id=user.id, role=MemberRole.MEMBER)
    return member_view(session, actor, slug=slug, user_id=user.id)


def find_official(session: Session, reference: str, *, field: str) -> User:
    """The active official with this email address or handle (`@` in front or not)."""
    text = reference.strip().lower()
    if "@" in text.lstrip("@"):
        query = select(User).where(User.email == text)
    else:
        query = select(User).where(User.handle == text.lstrip("@"))
    user = session.exec(query).first() if text else None
    if user is None or user.status is not UserStatus.ACTIVE:
        raise Invalid.field(
            field, f"No active official has the email address or handle {text!r}.", "unknown"
        )
    return user


def remove_member(session: Session, actor: Actor, *, slug: str, user_id: int) -> None:
    """Leads remove members; anyone may leave; only coordinators remove a lead; nobody
    removes the last one (`LastLead`)."""
    group = policy.require_administrable_group(actor, directory.group_by_slug(session, slug))
    assert group.id is not None
    if user_id != actor.user_id:
        # Before the look-up: who is not allowed learns nothing about who is a member.
        policy.require_member_manager(actor, group)
    membership = membership_of(session, group.id, user_id)
    if membership is None:
        raise NotFound("membership")
    role = membership.role
    policy.require_member_remover(actor, group, role, user_id)
    if role is MemberRole.LEAD:
        _require_another_lead(session, group, user_id)
    _touch(session, group, member_count=col(Group.member_count) - 1)
    session.delete(membership)
    session.flush()
    if role is MemberRole.LEAD:
        _require_a_lead(session, group)
    _record(session, actor, "membership.remove", group, user_id, {"role": role.value}, None)
    event_registrations.withdraw_unseen(session, user_id)


def list_members(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    after_id: int | None = None,
    offset: int = 0,
    limit: int | None = None,
    leads_first: bool = False,
    lead_count: int | None = None,
) -> list[MemberView]:
    """The members with their municipality, by when they joined (keyset: `after_id`), or
    for a page leads first and then by name (`leads_first`, `offset`). `lead_count`, when
    the caller knows it, spares counting the leads again."""
    group = policy.require_member_list_reader(actor, directory.group_by_slug(session, slug))
    query = _member_rows().where(col(Membership.group_id) == group.id)
    if leads_first:
        lead_first = sa.case((col(Membership.role) == MemberRole.LEAD, 0), else_=1)
        query = query.order_by(lead_first, col(User.name), col(Membership.id)).offset(offset)
    else:
        query = query.order_by(col(Membership.id))
    if after_id is not None:
        query = query.where(col(Membership.id) > after_id)
    rows = session.exec(query.limit(limit)).all()
    leads = 0
    if rows and policy.can_manage_members(actor, group):
        leads = _lead_count(session, group) if lead_count is None else lead_count
    return [
        _member_view(actor, group, m, user, (place, slug), leads) for m, user, place, slug in rows
    ]


def member_view(session: Session, actor: Actor, *, slug: str, user_id: int | None) -> MemberView:
    """One member as the member list shows them to the actor."""
    group = policy.require_member_list_reader(actor, directory.group_by_slug(session, slug))
    row = session.exec(
        _member_rows().where(
            col(Membership.group_id) == group.id, col(Membership.user_id) == user_id
        )
    ).first()
    if row is None:
        raise NotFound("membership")
    membership, user, municipality, slug = row
    leads = _lead_count(session, group)
    return _member_view(actor, group, membership, user, (municipality, slug), leads)


get_membership = member_view


def add_invited_member(session: Session, *, group_id: int, user_id: int) -> None:
    """Membership from an accepted invitation: the inviting lead's act, checked back then."""
    group = session.get(Group, group_id)
    if group is not None and membership_of(session, group_id, user_id) is None:
        add_membership(session, group, user_id, MemberRole.MEMBER)


def add_founding_leads(session: Session, group: Group, user_ids: list[int]) -> None:
    """The first leads of a group being created: part of its creation, which is audited
    once, and of its first version (no version is raised)."""
    assert group.id is not None
    group_id = group.id
    session.add_all(
        Membership(group_id=group_id, user_id=u, role=MemberRole.LEAD) for u in user_ids
    )
    group.member_count = len(user_ids)
    session.flush()


def _member_rows() -> Select[Membership, User, str, str]:
    return (
        select(Membership, User, col(Municipality.name), col(Municipality.slug))
        .join(User, col(User.id) == Membership.user_id)
        .join(Municipality, col(Municipality.id) == User.municipality_id)
    )


def _member_view(
    actor: Actor,
    group: Group,
    m: Membership,
    user: User,
    municipality: tuple[str, str],
    leads: int,
) -> MemberView:
    """`municipality` is the member's: its name and slug."""
    only_lead = m.role is MemberRole.LEAD and leads == 1
    manages = policy.can_manage_members(actor, group)
    return MemberView(
        group.slug,
        m,
        user,
        municipality[0],
        municipality[1],
        can_remove=m.user_id != actor.user_id
        and not only_lead
        and policy.can_remove_member(actor, group, m.role, m.user_id),
        can_change_role=manages and policy.can_appoint_leads(actor) and not only_lead,
        only_lead=only_lead,
        show_activity=manages,
    )


def _lead_count(session: Session, group: Group) -> int:
    return session.exec(
        select(sa.func.count()).where(
            col(Membership.group_id) == group.id, col(Membership.role) == MemberRole.LEAD
        )
    ).one()


def _require_another_lead(session: Session, group: Group, user_id: int) -> None:
    """Before a lead goes: another must stay (also refuses the last lead leaving)."""
    others = session.exec(
        select(sa.func.count()).where(
            col(Membership.group_id) == group.id,
            col(Membership.role) == MemberRole.LEAD,
            col(Membership.user_id) != user_id,
        )
    ).one()
    if not others:
        raise LastLead()


def _require_a_lead(session: Session, group: Group) -> None:
    """After a lead went, with the group's row updated (locked) first: a concurrent
    change that took the other lead is counted now, and this one fails."""
    if not _lead_count(session, group):
        raise LastLead()


def _touch(session: Session, group: Group, **values: object) -> None:
    """Raise the group's versions (and set `values`): its leads and member count are part
    of what outsiders see. Updating the row first also locks it for the change."""
    session.execute(
        sa.update(Group).where(col(Group.id) == group.id).values(**PROFILE_CHANGED, **values)
    )


def _record(
    session: Session,
    actor: Actor,
    action: str,
    group: Group,
    user_id: int,
    before: Mapping[str, object] | None,
    after: Mapping[str, object] | None,
) -> None:
    audit.record(
        session,
        actor,
        action,
        target_type="user",
        target_id=user_id,
        group_id=group.id,
        before=before,
        after=after,
    )


def membership_of(session: Session, group_id: int, user_id: int) -> Membership | None:
    """The official's membership of the group, if any (no permission check)."""
    return session.exec(
        select(Membership).where(Membership.group_id == group_id, Membership.user_id == user_id)
    ).first()


def add_membership(session: Session, group: Group, user_id: int, role: MemberRole) -> Membership:
    """A new membership, counted (no permission check: the caller's act was checked)."""
    assert group.id is not None
    membership = Membership(group_id=group.id, user_id=user_id, role=role)
    session.add(membership)
    _touch(session, group, member_count=col(Group.member_count) + 1)
    session.flush()
    return membership
