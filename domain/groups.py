"""Experience groups as their pages and the API show them: the directory, one group, its
member list and its settings form.

The acts live beside it: membership in `domain.memberships`, requests to join in
`domain.join_requests`, creating, editing and archiving in `domain.group_admin`; the ones
other modules and the console call are re-exported here (`groups.create_group`, ...).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import directory, goals, group_admin, policy
from domain.actor import Actor
from domain.group_admin import (
    create_group,
    parse_focus_area,
    parse_lead_refs,
    set_archived,
    shown_version,
    update_group,
)
from domain.join_requests import (
    JoinOutcome,
    JoinRequestView,
    decide_join_request,
    join_group,
    list_join_requests,
)
from domain.memberships import (
    PROFILE_CHANGED,
    AlreadyMember,
    LastLead,
    MemberView,
    add_invited_member,
    add_member,
    get_membership,
    group_to_manage,
    list_members,
    member_view,
    remove_member,
    set_member,
)
from models import (
    FocusArea,
    Goal,
    Group,
    GroupGoal,
    JoinRequest,
    JoinRequestStatus,
    MemberRole,
    Membership,
    Municipality,
    Theme,
    User,
    Visibility,
)

__all__ = [
    "PROFILE_CHANGED",
    "AlreadyMember",
    "GroupView",
    "JoinOutcome",
    "JoinRequestView",
    "LastLead",
    "LeadView",
    "MemberView",
    "MembersPage",
    "SettingsForm",
    "add_invited_member",
    "add_member",
    "by_focus_area",
    "create_group",
    "created_view",
    "decide_join_request",
    "get_group",
    "get_membership",
    "group_to_manage",
    "join_group",
    "list_groups",
    "list_join_requests",
    "list_members",
    "member_view",
    "members_page",
    "new_group_form",
    "parse_focus_area",
    "parse_lead_refs",
    "remove_member",
    "set_archived",
    "set_member",
    "settings_form",
    "shown_version",
    "update_group",
]

MEMBERS_PER_PAGE = 50


@dataclass(frozen=True)
class LeadView:
    user_id: int
    name: str
    title: str
    municipality: str
    municipality_slug: str = ""
    """Where the municipality's page is (`/k/{slug}`)."""


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
    can_moderate: bool = False
    """Moderate its discussions and see its flag queue."""
    can_edit: bool = False
    """Edit its description, goals and theme (its settings page)."""
    can_administer_group: bool = False
    """Rename it, change focus area and visibility, archive it."""
    can_read_webhooks: bool = False
    """See its webhooks and their deliveries (its webhooks page)."""
    goals: list[int] = field(default_factory=list)
    theme: Theme | None = None

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

    @property
    def archived(self) -> bool:
        """Read-only: readable as before, but no new discussions, posts or members."""
        return self.group.archived_at is not None


def by_focus_area(views: list[GroupView]) -> list[tuple[str, list[GroupView]]]:
    """The groups directory: groups under their focus area, areas in their fixed order."""
    return [
        (area.value, members)
        for area in FocusArea
        if (members := [view for view in views if view.group.focus_area == area])
    ]


def list_groups(
    session: Session, actor: Actor, *, after_id: int | None = None, limit: int | None = None
) -> list[GroupView]:
    """The groups the actor may see, by id, with their theme; their leads, goals and the
    actor's pending requests come in one further query each."""
    query = (
        select(Group, Theme)
        .outerjoin(Theme, col(Theme.id) == Group.theme_id)
        .where(policy.visible_groups_clause(actor))
        .order_by(col(Group.id))
    )
    if after_id is not None:
        query = query.where(col(Group.id) > after_id)
    if limit is not None:
        query = query.limit(limit)
    rows = session.exec(query).all()
    ids = [g.id for g, _ in rows if g.id is not None]
    leads = _leads_by_group(session, ids)
    pending = _pending_requests(session, actor, ids)
    tags = _goals_by_group(session, ids)
    return [
        _view(actor, g, leads.get(g.id, []), g.id in pending, tags.get(g.id, []), theme)
        for g, theme in rows
    ]


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
    theme = session.get(Theme, group.theme_id) if group.theme_id is not None else None
    goal_ids = _goals_by_group(session, [group.id]).get(group.id, [])
    return _view(actor, group, leads.get(group.id, []), group.id in pending, goal_ids, theme)


def created_view(session: Session, actor: Actor, group: Group) -> GroupView:
    """A group just created, as its creator sees it: the actor was loaded before the
    group existed, so the leadership it may have just taken up is added here."""
    assert group.id is not None
    if actor.user_id and actor.user_id in _leads_of(session, group.id):
        actor = replace(actor, roles={**actor.roles, group.id: MemberRole.LEAD})
    return get_group(session, actor, group.slug, administering=True)


@dataclass(frozen=True)
class MembersPage:
    view: GroupView
    members: list[MemberView]
    join_requests: list[JoinRequestView]
    page: int
    more: bool
    can_add_members: bool
    """Offer the form that adds an official by email or @handle."""
    show_activity: bool
    """Show when each member was last active: for who manages the members."""
    municipalities: list[Municipality] = field(default_factory=list)
    """For the form that invites someone without an account into the group."""


def members_page(session: Session, actor: Actor, *, slug: str, page: int = 1) -> MembersPage:
    """The member list, leads first, `MEMBERS_PER_PAGE` a page, and for its leads and the
    coordinators the pending requests to join. The same number of statements for three
    members or three hundred."""
    view = get_group(session, actor, slug, administering=True)
    members = list_members(
        session,
        actor,
        slug=slug,
        offset=(page - 1) * MEMBERS_PER_PAGE,
        limit=MEMBERS_PER_PAGE + 1,
        leads_first=True,
        lead_count=len(view.leads),
    )
    requests = list_join_requests(session, actor, slug=slug) if view.can_manage else []
    return MembersPage(
        view=view,
        members=members[:MEMBERS_PER_PAGE],
        join_requests=requests,
        page=page,
        more=len(members) > MEMBERS_PER_PAGE,
        can_add_members=view.can_manage and not view.archived,
        show_activity=view.can_manage,
        municipalities=directory.list_municipalities(session)
        if view.can_manage and not view.archived
        else [],
    )


@dataclass(frozen=True)
class SettingsForm:
    """What a group's settings form (or the form of a new group) offers and holds."""

    view: GroupView | None
    goals: list[Goal]
    themes: list[Theme]
    focus_areas: list[str]
    visibilities: list[str]
    chosen_goals: list[int]
    can_edit_profile: bool
    """Show name, focus area and visibility (coordinators), not only the rest (leads)."""


def settings_form(session: Session, actor: Actor, *, slug: str) -> SettingsForm:
    """The settings of a group, for who may edit them (Forbidden for everyone else who
    sees the group; NotFound for who does not)."""
    view = get_group(session, actor, slug, administering=True)
    policy.require_group_editor(actor, view.group)
    return _form(session, view, view.goals, view.can_administer_group)


def new_group_form(session: Session, actor: Actor) -> SettingsForm:
    """The empty form of a new group: coordinators only."""
    policy.require_write_access(actor)
    policy.require_administrator(actor)
    return _form(session, None, [], True)


def _form(
    session: Session, view: GroupView | None, chosen: list[int], profile: bool
) -> SettingsForm:
    return SettingsForm(
        view=view,
        goals=goals.list_goals(session),
        themes=group_admin.list_themes(session),
        focus_areas=[area.value for area in FocusArea],
        visibilities=[v.value for v in Visibility],
        chosen_goals=chosen,
        can_edit_profile=profile,
    )


def _view(
    actor: Actor,
    group: Group,
    leads: list[LeadView],
    pending: bool,
    goal_ids: list[int],
    theme: Theme | None,
) -> GroupView:
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
        can_moderate=policy.can_moderate(actor, group),
        can_edit=policy.can_edit_group(actor, group),
        can_administer_group=policy.can_administer_group(actor, group),
        can_read_webhooks=policy.can_read_webhooks(actor, group),
        goals=goal_ids,
        theme=theme,
    )


def _pending_requests(session: Session, actor: Actor, group_ids: list[int]) -> set[int]:
    if not actor.signed_in or not group_ids:
        return set()
    rows = session.execute(_PENDING, {"user_id": actor.user_id, "group_ids": group_ids})
    return set(rows.scalars())


# The statements every group card and the group page send, built once (their cache keys
# with them): the lists of group ids are bound as they are sent.
_PENDING = sa.select(col(JoinRequest.group_id)).where(
    col(JoinRequest.user_id) == sa.bindparam("user_id"),
    col(JoinRequest.status) == JoinRequestStatus.PENDING,
    col(JoinRequest.group_id).in_(sa.bindparam("group_ids", expanding=True)),
)
_GOALS = (
    sa.select(col(GroupGoal.group_id), col(GroupGoal.goal_id))
    .where(col(GroupGoal.group_id).in_(sa.bindparam("group_ids", expanding=True)))
    .order_by(col(GroupGoal.group_id), col(GroupGoal.goal_id))
)
_LEADS = (
    sa.select(col(Membership.group_id), User, col(Municipality.name), col(Municipality.slug))
    .join(User, col(User.id) == Membership.user_id)
    .join(Municipality, col(Municipality.id) == User.municipality_id)
    .where(col(Membership.group_id).in_(sa.bindparam("group_ids", expanding=True)))
    .where(col(Membership.role) == MemberRole.LEAD)
    .order_by(col(User.name))
)


def _goals_by_group(session: Session, group_ids: list[int]) -> dict[int | None, list[int]]:
    tags: dict[int | None, list[int]] = defaultdict(list)
    if not group_ids:
        return tags
    rows = session.execute(_GOALS, {"group_ids": group_ids}).all()
    for group_id, goal_id in rows:
        tags[group_id].append(goal_id)
    return tags


def _leads_of(session: Session, group_id: int) -> list[int]:
    return list(
        session.exec(
            select(Membership.user_id).where(
                Membership.group_id == group_id, Membership.role == MemberRole.LEAD
            )
        ).all()
    )


def _leads_by_group(session: Session, group_ids: list[int]) -> dict[int | None, list[LeadView]]:
    if not group_ids:
        return {}
    rows = session.execute(_LEADS, {"group_ids": group_ids}).all()
    leads: dict[int | None, list[LeadView]] = {}
    for group_id, user, municipality, slug in rows:
        assert user.id is not None
        leads.setdefault(group_id, []).append(
            LeadView(user.id, user.name, user.title, municipality, slug)
        )
    return leads
