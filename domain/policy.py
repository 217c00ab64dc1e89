"""The one permission policy of erfa. The API, the pages, search and sync all ask here.

Three faces of one rule set:
- predicates `can_*(actor, obj) -> bool`: pure, no I/O; templates and payloads get their
  booleans from these;
- guards `require_*(actor, obj)`: raise `NotFound` when the object is hidden from the actor
  (never 403: a 403 would confirm that a secret group exists) and `Forbidden` when it is
  visible but the act is not allowed;
- filters `*_clause(actor)`: SQL conditions every list query applies.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from domain.actor import SYSTEM, Actor
from domain.errors import Conflict, Forbidden, NotFound, Unauthenticated
from models import (
    Event,
    Group,
    MemberRole,
    Membership,
    Post,
    Scope,
    Thread,
    User,
    UserStatus,
    Visibility,
)


def can_see_group(actor: Actor, group: Group) -> bool:
    """Whether the group shows up at all: its name, description, leads and member count.

    Coordinators are no exception: a secret group is visible to its members only.
    Coordinators administer any group by its slug (`require_administrable_group`).
    """
    return group.visibility is not Visibility.SECRET or actor.is_member(group.id)


def can_read_group_content(actor: Actor, group: Group) -> bool:
    return actor.is_member(group.id) or (group.visibility is Visibility.OPEN and actor.signed_in)


def can_join(actor: Actor, group: Group) -> bool:
    """Open groups take anyone signed in, closed ones take requests; secret and archived
    ones neither."""
    return (
        can_write(actor)
        and not actor.is_member(group.id)
        and group.visibility is not Visibility.SECRET
        and group.archived_at is None
    )


def require_open_to_new_members(group: Group) -> None:
    """An archived group is read-only: it takes no new members (joins, requests to join,
    members added by its leads)."""
    if group.archived_at is not None:
        raise Conflict("The group is archived: it takes no new members.")


def can_review_members(actor: Actor, group: Group) -> bool:
    """See a group's pending join requests: its leads and the coordinators."""
    return actor.signed_in and (actor.is_coordinator or actor.is_lead(group.id))


def can_post(actor: Actor, group: Group) -> bool:
    """Start discussions and reply: members of the group, and in open groups everyone;
    an archived group is read-only."""
    return can_write(actor) and can_read_group_content(actor, group) and group.archived_at is None


def can_reply(actor: Actor, thread: Thread, group: Group) -> bool:
    """Reply in a discussion: who may post in its group, while it is not locked."""
    return can_post(actor, group) and not thread.locked


def can_moderate(actor: Actor, group: Group) -> bool:
    """Pin, lock, rename, move, slow down discussions and hide posts: the group's leads
    and the coordinators (who moderate every group they can reach)."""
    return can_write(actor) and (actor.is_coordinator or actor.is_lead(group.id))


def can_review_moderation(actor: Actor, group: Group) -> bool:
    """See a group's flag queue (flagged posts in full): its leads and the coordinators,
    read-only tokens included, as far as they may read the group's content. A coordinator
    moderates the groups whose content they read, like every rule here: the posts of a
    closed or secret group are for its members."""
    return (
        actor.signed_in
        and (actor.is_coordinator or actor.is_lead(group.id))
        and can_read_group_content(actor, group)
    )


def require_moderator(actor: Actor, group: Group) -> None:
    require_write_access(actor)
    if not can_moderate(actor, group):
        raise Forbidden("Only the group's leads and the coordinators moderate it.")


def require_moderation_reviewer(actor: Actor, group: Group) -> None:
    if not can_review_moderation(actor, group):
        raise Forbidden("Only the group's leads and the coordinators see this.")


def can_move_thread(actor: Actor, source: Group, target: Group) -> bool:
    """Move a discussion: who moderates both groups; never into an archived one."""
    return (
        can_moderate(actor, source)
        and can_moderate(actor, target)
        and can_see_group(actor, target)
        and target.archived_at is None
    )


def can_flag(actor: Actor, post: Post, group: Group) -> bool:
    """Any reader flags a live post of someone else (once: the service checks that)."""
    return (
        can_write(actor)
        and can_read_group_content(actor, group)
        and post.author_id != actor.user_id
        and post.deleted_at is None
        and post.hidden_at is None
    )


def can_hide_post(actor: Actor, post: Post, group: Group) -> bool:
    """Moderators hide a live post (with a reason) and restore a hidden one."""
    return can_moderate(actor, group) and post.deleted_at is None


def can_edit_group(actor: Actor, group: Group) -> bool:
    """Edit a group's description, goals and theme: its leads and the coordinators."""
    return can_moderate(actor, group)


def require_group_editor(actor: Actor, group: Group) -> None:
    require_write_access(actor)
    if not can_edit_group(actor, group):
        raise Forbidden("Only the group's leads and the coordinators edit it.")


def can_administer_group(actor: Actor, group: Group) -> bool:
    """Rename a group, change its focus area and visibility, archive it: coordinators."""
    return can_write(actor) and can_administer(actor)


def require_group_administrator(actor: Actor, group: Group) -> None:
    require_write_access(actor)
    if not can_administer_group(actor, group):
        raise Forbidden(
            "Only coordinators change a group's name, focus area or visibility, or archive it."
        )


def can_read_webhooks(actor: Actor, group: Group) -> bool:
    """See a group's webhooks and their deliveries: its leads and the coordinators who
    read its content (a webhook carries the content out), read-only tokens included."""
    return can_review_moderation(actor, group)


def require_webhook_reader(actor: Actor, group: Group) -> None:
    if not can_read_webhooks(actor, group):
        raise Forbidden("Only the group's leads and the coordinators see its webhooks.")


def can_manage_webhooks(actor: Actor, group: Group) -> bool:
    """Add and remove a group's webhooks: who reads them, with a token that may write."""
    return can_write(actor) and can_read_webhooks(actor, group)


def require_webhook_manager(actor: Actor, group: Group) -> None:
    require_write_access(actor)
    if not can_manage_webhooks(actor, group):
        raise Forbidden("Only the group's leads and the coordinators manage its webhooks.")


def can_read_audit(actor: Actor) -> bool:
    """The audit log: coordinators read all of it, leads the entries of their groups."""
    return actor.signed_in and (actor.is_coordinator or MemberRole.LEAD in actor.roles.values())


def audit_groups(actor: Actor) -> frozenset[int] | None:
    """The groups whose audit entries the actor reads; None means every entry."""
    if actor.signed_in and actor.is_coordinator:
        return None
    return frozenset(g for g, role in actor.roles.items() if role is MemberRole.LEAD)


def can_edit_post(actor: Actor, post: Post, group: Group) -> bool:
    """Authors edit their own live posts while they may still post in the group.

    A deleted or hidden post is no longer editable: its edit form would show its text.
    """
    return (
        post.author_id == actor.user_id
        and post.deleted_at is None
        and post.hidden_at is None
        and can_post(actor, group)
    )


def can_delete_post(actor: Actor, post: Post, group: Group) -> bool:
    """Authors withdraw their own posts, hidden ones too, while they may post in the group."""
    return post.author_id == actor.user_id and can_post(actor, group)


def can_see_post(actor: Actor, post: Post, group: Group) -> bool:
    """Whether a post's own pages (its permalink, history, edit form) show it: for readers
    of the group, except that a hidden post shows only to its author and the moderators.
    In its discussion, everyone else sees a placeholder where it was."""
    if not can_read_group_content(actor, group):
        return False
    return post.hidden_at is None or post.author_id == actor.user_id or can_moderate(actor, group)


def can_read_post_text(actor: Actor, post: Post, group: Group) -> bool:
    """Whether the actor may read what a post says (now or in earlier versions).

    A deleted post's text is shown to nobody; a hidden one to its author and the group's
    moderators only; any other to every reader of the group.
    """
    return post.deleted_at is None and can_see_post(actor, post, group)


def require_post_editor(actor: Actor, post: Post, group: Group) -> None:
    require_write_access(actor)
    if not can_edit_post(actor, post, group):
        if post.author_id == actor.user_id and post.deleted_at is not None:
            raise Conflict("The post is deleted.")
        raise Forbidden("Only the author edits a post, and only while it is live.")


def require_post_text_reader(actor: Actor, post: Post, group: Group) -> None:
    """Guard of a post's text and history: NotFound for anyone `can_read_post_text` refuses."""
    if not can_read_post_text(actor, post, group):
        raise NotFound("post")


def can_edit_resource(actor: Actor, author_id: int, group: Group) -> bool:
    """Who shared a resource keeps it up to date; the group's leads may too."""
    return can_post(actor, group) and (author_id == actor.user_id or can_moderate(actor, group))


def can_see_event(actor: Actor, group: Group | None) -> bool:
    """An event of the whole association (no group) is for every signed-in official; a
    group's event for who reads the group's content."""
    return actor.signed_in if group is None else can_read_group_content(actor, group)


def require_event_reader(actor: Actor, group: Group | None) -> None:
    if not can_see_event(actor, group):
        raise NotFound("event")


def can_arrange_event(actor: Actor, group: Group | None) -> bool:
    """Who arranges an event: the coordinators any event (the association's own, the
    conference among them, and every group's they can see), a group's leads their group's
    seminars and meetings. Arrangers see the registrations; with a token that may write
    they create, change, cancel and document events (`can_edit_event`)."""
    if not can_see_event(actor, group):
        return False
    return actor.is_coordinator or (group is not None and actor.is_lead(group.id))


def can_create_event(actor: Actor, group: Group | None) -> bool:
    """Arrangers create events, never in an archived group."""
    archived = group is not None and group.archived_at is not None
    return can_write(actor) and can_arrange_event(actor, group) and not archived


def require_event_creator(actor: Actor, group: Group | None) -> None:
    require_write_access(actor)
    require_event_reader(actor, group)
    if not can_create_event(actor, group):
        if group is None:
            raise Forbidden("Only coordinators arrange events of the whole association.")
        raise Forbidden("Only the group's leads and the coordinators arrange its events.")


def can_edit_event(actor: Actor, event: Event, group: Group | None) -> bool:
    """Change, cancel and document an event: its arrangers, while it is not cancelled."""
    return can_write(actor) and can_arrange_event(actor, group) and event.cancelled_at is None


def require_event_editor(actor: Actor, event: Event, group: Group | None) -> None:
    require_write_access(actor)
    if event.cancelled_at is not None and can_arrange_event(actor, group):
        raise Conflict("The event is cancelled.")
    if not can_edit_event(actor, event, group):
        raise Forbidden("Only the event's arrangers change it.")


def require_registration_reader(actor: Actor, group: Group | None) -> None:
    """The list of registered officials (and its CSV) is the arrangers'."""
    if not can_arrange_event(actor, group):
        raise Forbidden("Only the event's arrangers see who is registered.")


def registration_closed(event: Event, now: datetime) -> str | None:
    """Why nobody can register now, or None: `cancelled`, `started` (it has begun or is
    over) or `closed` (the registration deadline has passed)."""
    if event.cancelled_at is not None:
        return "cancelled"
    if event.starts_at <= now:
        return "started"
    if event.registration_closes_at is not None and event.registration_closes_at <= now:
        return "closed"
    return None


def can_register(actor: Actor, event: Event, group: Group | None, now: datetime) -> bool:
    """Register (or join the waiting list): whoever sees the event, until it starts or its
    registration closes."""
    return (
        can_write(actor) and can_see_event(actor, group) and registration_closed(event, now) is None
    )


def can_unregister(actor: Actor, event: Event, group: Group | None, now: datetime) -> bool:
    """Give a place back: until the event starts, after the registration deadline too (a
    freed place goes to the first in line)."""
    return (
        can_write(actor)
        and can_see_event(actor, group)
        and event.cancelled_at is None
        and event.starts_at > now
    )


def require_poster(actor: Actor, group: Group) -> None:
    require_write_access(actor)
    if not can_post(actor, group):
        if group.archived_at is not None and can_read_group_content(actor, group):
            raise Forbidden("The group is archived: it is read-only.")
        raise Forbidden("Only members post in this group.")


def can_manage_members(actor: Actor, group: Group) -> bool:
    """Change who is in a group; a read-only token never may."""
    return can_write(actor) and can_review_members(actor, group)


def can_remove_member(
    actor: Actor, group: Group, membership_role: MemberRole, user_id: int
) -> bool:
    """Take someone out of a group: anyone may leave; its leads remove members, and only
    coordinators remove a lead. A read-only token never may."""
    if user_id == actor.user_id:
        return can_write(actor)
    if membership_role is MemberRole.LEAD:
        return can_manage_members(actor, group) and can_appoint_leads(actor)
    return can_manage_members(actor, group)


def can_appoint_leads(actor: Actor) -> bool:
    return actor.signed_in and actor.is_coordinator


def can_administer(actor: Actor) -> bool:
    return actor.signed_in and actor.is_coordinator


def can_see_municipality_membership(actor: Actor) -> bool:
    """A municipality's membership per year (fee invoiced, paid, not a member) is the
    association's own business: its page shows it to the coordinators only."""
    return can_administer(actor)


def can_export_personal_data(actor: Actor, user_id: int | None) -> bool:
    """Everything erfa holds about an official goes to that official only (GDPR art. 15),
    and to the operator at the console (`erfa export-user`), not to coordinators."""
    return actor == SYSTEM or (actor.signed_in and user_id == actor.user_id)


def require_personal_data_owner(actor: Actor, user_id: int | None) -> None:
    if not can_export_personal_data(actor, user_id):
        raise NotFound("export")


def can_write(actor: Actor) -> bool:
    """Whether the credential allows changes at all (a read-only API token does not)."""
    return actor.signed_in and Scope.WRITE in actor.scopes


def require_signed_in(actor: Actor) -> None:
    if not actor.signed_in:
        raise Unauthenticated()


def require_write_access(actor: Actor) -> None:
    require_signed_in(actor)
    if not can_write(actor):
        raise Forbidden("This token may only read.")


def require_visible_group(actor: Actor, group: Group | None) -> Group:
    if group is None or not can_see_group(actor, group):
        raise NotFound("group")
    return group


def require_readable_content(actor: Actor, group: Group | None) -> Group:
    if group is None or not can_read_group_content(actor, group):
        raise NotFound("group")
    return group


def require_administrable_group(actor: Actor, group: Group | None) -> Group:
    """A group the actor may administer: coordinators reach every group, leads their own."""
    if group is None or not (can_see_group(actor, group) or can_administer(actor)):
        raise NotFound("group")
    return group


def can_list_members(actor: Actor, group: Group) -> bool:
    """Who sees the member list: readers of the group, and who manages its members (the
    coordinators, who may add and remove members of any group, read its list too)."""
    return can_read_group_content(actor, group) or can_review_members(actor, group)


def require_member_list_reader(actor: Actor, group: Group | None) -> Group:
    group = require_administrable_group(actor, group)
    if not can_list_members(actor, group):
        raise NotFound("group")
    return group


def require_member_reviewer(actor: Actor, group: Group) -> None:
    if not can_review_members(actor, group):
        raise Forbidden("Only the group's leads and the coordinators see its join requests.")


def require_member_manager(actor: Actor, group: Group) -> None:
    if not can_manage_members(actor, group):
        raise Forbidden("Only the group's leads and the coordinators manage its members.")


def require_member_remover(
    actor: Actor, group: Group, membership_role: MemberRole, user_id: int
) -> None:
    """`can_remove_member` decides; the guards after it only tell why it said no."""
    if can_remove_member(actor, group, membership_role, user_id):
        return
    if user_id == actor.user_id:
        require_write_access(actor)
    require_member_manager(actor, group)
    require_lead_appointer(actor)
    raise Forbidden("Only the group's leads and the coordinators manage its members.")


def require_lead_appointer(actor: Actor) -> None:
    if not can_appoint_leads(actor):
        raise Forbidden("Only coordinators appoint group leads.")


def require_administrator(actor: Actor) -> None:
    if not can_administer(actor):
        raise Forbidden("Only coordinators may do this.")


def can_erase_official(actor: Actor, official_id: int) -> bool:
    """Erase an official's personal data (GDPR): coordinators, and SYSTEM at the console.
    Never oneself: another coordinator (or the operator) does it, so that nobody locks
    themself out of erfa by a slip, and the act has a second pair of eyes."""
    return can_write(actor) and can_administer(actor) and official_id != actor.user_id


def require_official_eraser(actor: Actor, official_id: int) -> None:
    require_write_access(actor)
    require_administrator(actor)
    if official_id == actor.user_id:
        raise Forbidden(
            "Coordinators cannot erase their own personal data: ask another coordinator."
        )


def can_export_archive(actor: Actor) -> bool:
    """Make, list, download and delete archive packages of a group or a year: coordinators."""
    return can_write(actor) and can_administer(actor)


def require_archive_exporter(actor: Actor) -> None:
    require_signed_in(actor)
    if not can_export_archive(actor):
        raise Forbidden("Only coordinators make archive packages.")


def can_archive_group(actor: Actor, group: Group) -> bool:
    """Whether a package the actor makes holds the group's content: what they read, like
    every rule here (a coordinator who is no member of a closed or secret group archives
    it only from the console, where SYSTEM acts for the operator of the installation)."""
    return actor == SYSTEM or can_read_group_content(actor, group)


def archived_groups_clause(actor: Actor) -> ColumnElement[bool]:
    """`can_archive_group` as SQL over `Group`."""
    return sa.true() if actor == SYSTEM else readable_groups_clause(actor)


def can_read_archive_package(actor: Actor, groups: list[Group | None]) -> bool:
    """List, download and delete an archive package that holds `groups`: who may archive
    every one of them, so that no package hands anyone a group they do not read; SYSTEM
    all. None stands for a group erfa cannot tell (deleted since, or a package that does
    not say what it holds): only SYSTEM reaches such a package."""
    if actor == SYSTEM:
        return True
    return can_export_archive(actor) and all(
        group is not None and can_archive_group(actor, group) for group in groups
    )


def require_archive_package_reader(actor: Actor, groups: list[Group | None]) -> None:
    """A package the actor may not read is hidden (NotFound), like a group they do not see."""
    require_archive_exporter(actor)
    if not can_read_archive_package(actor, groups):
        raise NotFound("package")


def visible_groups_clause(actor: Actor) -> ColumnElement[bool]:
    listed = col(Group.visibility) != Visibility.SECRET
    if not actor.member_group_ids:
        return listed
    return sa.or_(listed, col(Group.id).in_(actor.member_group_ids))


def listed_memberships_clause(actor: Actor) -> ColumnElement[bool]:
    """Which memberships of others an official sees (`can_list_members` as SQL over
    `Membership` joined with `Group`): all of a group whose member list they read, and of
    the other groups they see only the leads, whom a closed group names publicly."""
    visible = visible_groups_clause(actor)
    if actor.signed_in and actor.is_coordinator:
        return visible
    leads = col(Membership.role) == MemberRole.LEAD
    return sa.and_(visible, sa.or_(readable_groups_clause(actor), leads))


def readable_groups_clause(actor: Actor) -> ColumnElement[bool]:
    if not actor.signed_in:
        return sa.false()
    open_ = col(Group.visibility) == Visibility.OPEN
    if not actor.member_group_ids:
        return open_
    return sa.or_(open_, col(Group.id).in_(actor.member_group_ids))


def visible_events_clause(actor: Actor) -> ColumnElement[bool]:
    """`can_see_event` as SQL: the query outer-joins `Group` on `Event.group_id`."""
    if not actor.signed_in:
        return sa.false()
    return sa.or_(col(Event.group_id).is_(None), readable_groups_clause(actor))


def event_readers_clause(group: Group | None) -> ColumnElement[bool]:
    """Which officials see an event (`can_see_event` as SQL over `user_account`): who may
    be told about it."""
    if group is None:
        return col(User.status) == UserStatus.ACTIVE
    return group_readers_clause(group)


def group_readers_clause(group: Group) -> ColumnElement[bool]:
    """Which officials may read the group's content (`can_read_group_content` as SQL over
    `user_account`): active ones, and in a closed or secret group its members only. Who may
    be told about a post, mentioned in it, or offered in autocomplete."""
    active = col(User.status) == UserStatus.ACTIVE
    if group.visibility is Visibility.OPEN:
        return active
    members = sa.select(col(Membership.user_id)).where(col(Membership.group_id) == group.id)
    return sa.and_(active, col(User.id).in_(members))
