"""Founding and keeping groups: coordinators create, rename, re-visibility and archive
them; a group's leads keep its description, Agenda 2030 goals and theme up to date.

Each act leaves one audit entry whose `before`/`after` hold the changed fields only
(`group.create`: `after` only). A change that changes nothing raises no version and
leaves no entry. An archived group is read-only (`policy.can_post`, `can_join`), also
for its settings, until a coordinator unarchives it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit, directory, goals, locking, memberships, policy
from domain.actor import Actor
from domain.errors import Conflict, Invalid, StaleVersion
from models import FocusArea, Group, GroupGoal, Theme, User, UserStatus, Visibility, utcnow

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
MAX_NAME = 120
MAX_DESCRIPTION = 5000
MAX_LEADS = 20

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

PROFILE_FIELDS = ("name", "focus_area", "visibility")
"""What only coordinators change; leads change the rest (description, goals, theme)."""


class SlugTaken(Conflict):
    def __init__(self, slug: str) -> None:
        super().__init__(f"A group with the slug {slug!r} already exists.")


class GroupArchived(Conflict):
    def __init__(self) -> None:
        super().__init__("The group is archived: unarchive it before changing it.")


def shown_version(actor: Actor, group: Group) -> int:
    """The version of the group as the actor sees it (its ETag): readers see its activity,
    outsiders of a closed group only its profile, so only that may move their ETag."""
    return group.version if policy.can_read_group_content(actor, group) else group.profile_version


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


def parse_lead_refs(text: str) -> list[str]:
    """The leads typed into a form: emails or @handles, separated by commas, semicolons,
    spaces or lines; at least one."""
    refs = [ref for ref in re.split(r"[\s,;]+", text.strip()) if ref]
    if not refs:
        raise Invalid.field("leads", "Name at least one lead.", "required")
    return refs


def create_group(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    name: str,
    focus_area: FocusArea,
    description: str = "",
    visibility: Visibility = Visibility.OPEN,
    goal_ids: Sequence[int] = (),
    theme: str | None = None,
    leads: Sequence[int | str] | None = None,
) -> Group:
    """A new group with its first leads: officials by id, or by email or @handle as typed
    into a form. Without leads the coordinator who creates it leads it, so that a closed
    group never starts without members (the console's SYSTEM names none: it is nobody)."""
    policy.require_write_access(actor)
    policy.require_administrator(actor)
    slug = slug.strip().lower()
    if not SLUG_PATTERN.fullmatch(slug):
        raise Invalid.field(
            "slug", "A slug is 1–64 lower-case letters a–z, digits and inner hyphens."
        )
    name = _check_name(name)
    description = _check_description(description)
    chosen_goals = goals.check(session, goal_ids)
    theme_row = _theme(session, theme)
    lead_ids = _lead_ids(session, actor, leads)
    if directory.group_by_slug(session, slug) is not None:
        raise SlugTaken(slug)
    group = Group(
        slug=slug,
        name=name,
        focus_area=focus_area,
        description=description,
        visibility=visibility,
        theme_id=theme_row.id if theme_row else None,
    )
    session.add(group)
    session.flush()
    assert group.id is not None
    session.add_all(GroupGoal(group_id=group.id, goal_id=goal) for goal in chosen_goals)
    memberships.add_founding_leads(session, group, lead_ids)
    after = {**_fields(group, chosen_goals, theme_row), "leads": lead_ids}
    audit.record(
        session,
        actor,
        "group.create",
        target_type="group",
        target_id=group.id,
        group_id=group.id,
        after=after,
    )
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
    goal_ids: Sequence[int] | None = None,
    theme: str | None = None,
    expected_version: int | None = None,
) -> Group:
    """Change what is given (None: unchanged; `theme=""` takes the theme away). Leads
    change description, goals and theme; a change of name, focus area or visibility is
    the coordinators' (Forbidden for a lead, even with the rest of the change allowed)."""
    group = policy.require_administrable_group(actor, directory.group_by_slug(session, slug))
    policy.require_group_editor(actor, group)
    # The If-Match check and the version raise below decide on the row as committed now.
    assert group.id is not None
    group = locking.for_change(session, Group, group.id) or group
    shown = shown_version(actor, group)
    if expected_version is not None and expected_version != shown:
        raise StaleVersion(f"The group is at version {shown}, not {expected_version}.")
    assert group.id is not None
    old_goals = goals_of(session, group.id)
    old_theme = session.get(Theme, group.theme_id) if group.theme_id else None
    before = _fields(group, old_goals, old_theme)
    new_goals = old_goals if goal_ids is None else goals.check(session, goal_ids)
    new_theme = old_theme if theme is None else _theme(session, theme)
    wanted = {
        **before,
        "name": before["name"] if name is None else _check_name(name),
        "description": before["description"]
        if description is None
        else _check_description(description),
        "focus_area": before["focus_area"] if focus_area is None else focus_area.value,
        "visibility": before["visibility"] if visibility is None else visibility.value,
        "goals": new_goals,
        "theme": new_theme.slug if new_theme else None,
    }
    old, new = audit.changed(before, wanted)
    if not new:
        return group
    if any(field in new for field in PROFILE_FIELDS):
        policy.require_group_administrator(actor, group)
    _require_not_archived(group)
    _apply(session, group, new, new_goals, new_theme)
    audit.record(
        session,
        actor,
        "group.update",
        target_type="group",
        target_id=group.id,
        group_id=group.id,
        before=old,
        after=new,
    )
    return group


def set_archived(session: Session, actor: Actor, *, slug: str, archived: bool) -> Group:
    """Archive (read-only, still readable) or unarchive a group; Conflict when it already
    is what was asked."""
    group = policy.require_administrable_group(actor, directory.group_by_slug(session, slug))
    policy.require_group_administrator(actor, group)
    if (group.archived_at is not None) == archived:
        state = "archived" if archived else "not archived"
        raise Conflict(f"The group is {state} already.")
    group.archived_at = utcnow() if archived else None
    _raise_versions(group)
    session.flush()
    audit.record(
        session,
        actor,
        "group.archive" if archived else "group.unarchive",
        target_type="group",
        target_id=group.id,
        group_id=group.id,
        before={"archived": not archived},
        after={"archived": archived},
    )
    return group


def list_themes(session: Session) -> list[Theme]:
    """The themes a group may carry, the latest first."""
    return list(
        session.exec(select(Theme).order_by(col(Theme.starts_on).desc(), col(Theme.id))).all()
    )


def goals_of(session: Session, group_id: int) -> list[int]:
    return list(
        session.exec(
            select(GroupGoal.goal_id)
            .where(GroupGoal.group_id == group_id)
            .order_by(col(GroupGoal.goal_id))
        ).all()
    )


def _apply(
    session: Session,
    group: Group,
    new: dict[str, Any],
    new_goals: list[int],
    new_theme: Theme | None,
) -> None:
    if "name" in new:
        group.name = new["name"]
    if "description" in new:
        group.description = new["description"]
    if "focus_area" in new:
        group.focus_area = FocusArea(new["focus_area"])
    if "visibility" in new:
        group.visibility = Visibility(new["visibility"])
    if "theme" in new:
        group.theme_id = new_theme.id if new_theme else None
    if "goals" in new:
        session.execute(sa.delete(GroupGoal).where(col(GroupGoal.group_id) == group.id))
        assert group.id is not None
        group_id = group.id
        session.add_all(GroupGoal(group_id=group_id, goal_id=goal) for goal in new_goals)
    _raise_versions(group)
    session.flush()


def _raise_versions(group: Group) -> None:
    """What outsiders see changed too: both ETags move."""
    group.version += 1
    group.profile_version += 1
    group.updated_at = utcnow()


def _require_not_archived(group: Group) -> None:
    if group.archived_at is not None:
        raise GroupArchived()


def _fields(group: Group, goal_ids: list[int], theme: Theme | None) -> dict[str, Any]:
    return {
        "slug": group.slug,
        "name": group.name,
        "focus_area": group.focus_area.value,
        "description": group.description,
        "visibility": group.visibility.value,
        "goals": goal_ids,
        "theme": theme.slug if theme else None,
    }


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid.field("name", "A group needs a name of 1–120 characters.")
    return name


def _check_description(description: str) -> str:
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise Invalid.field("description", "A description is at most 5000 characters long.")
    return description


def _theme(session: Session, slug: str | None) -> Theme | None:
    """The theme with this slug; None for none (an empty slug)."""
    if not slug or not slug.strip():
        return None
    theme = session.exec(select(Theme).where(Theme.slug == slug.strip().lower())).first()
    if theme is None:
        raise Invalid.field("theme", f"Unknown theme {slug!r}.", "unknown")
    return theme


def _lead_ids(session: Session, actor: Actor, leads: Sequence[int | str] | None) -> list[int]:
    """The distinct active officials named as leads, in the order given."""
    if not leads:
        return [actor.user_id] if actor.user_id else []
    if len(leads) > MAX_LEADS:
        raise Invalid.field("leads", f"At most {MAX_LEADS} leads.", "too-many")
    found: dict[int, None] = {}
    for ref in leads:
        user = (
            memberships.find_official(session, ref, field="leads")
            if isinstance(ref, str)
            else session.get(User, ref)
        )
        if user is None or user.id is None or user.status is not UserStatus.ACTIVE:
            raise Invalid.field("leads", f"No active official has the id {ref}.", "unknown")
        found.setdefault(user.id, None)
    return list(found)
