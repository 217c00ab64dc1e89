"""A member municipality's page, as every signed-in official reads it: its officials (name,
title, groups), its representative, what it shared, what it tried and the events its
officials arrange; for the coordinators also its membership per year.

What the page shows of groups follows the one policy: a secret group's name only to its
members, resources and adoptions only from groups the viewer reads, group events only to
the group's readers. Emails are never part of it. The page is seven statements however many
officials, resources, adoptions and events the municipality has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from domain import policy
from domain.actor import Actor
from domain.errors import NotFound
from domain.membership_years import by_slug, years_of
from models import (
    Adoption,
    Event,
    EventKind,
    Group,
    MemberRole,
    Membership,
    Municipality,
    MunicipalityYear,
    Resource,
    ResourceKind,
    User,
    UserStatus,
    utcnow,
)

RESOURCES_SHOWN = 50
"""Resources (and, apart, adoptions) listed; the library lists all that it shared."""
EVENTS_SHOWN = 20


@dataclass(frozen=True)
class GroupLink:
    slug: str
    name: str
    leading: bool
    """The official is one of the group's leads."""


@dataclass(frozen=True)
class OfficialCard:
    """An official as the page lists them: what every colleague may know, never the email."""

    user_id: int
    handle: str
    name: str
    title: str
    representative: bool
    groups: list[GroupLink] = field(default_factory=list)
    """The groups they are in that the viewer may see (a secret one only to its members)."""


@dataclass(frozen=True)
class SharedItem:
    resource_id: int
    title: str
    kind: str
    group_slug: str
    group_name: str
    adoption_count: int
    created_at: datetime


@dataclass(frozen=True)
class TriedItem:
    """An adoption by this municipality of a resource another (or the same) one shared."""

    resource_id: int
    title: str
    kind: str
    adopted_on: date | None
    outcome: str
    home_name: str
    home_slug: str
    """The municipality the resource comes from."""


@dataclass(frozen=True)
class EventItem:
    event_id: int
    title: str
    kind: str
    starts_at: datetime
    place: str
    group_slug: str | None
    group_name: str | None
    """None: an event of the whole association."""
    cancelled: bool
    upcoming: bool
    """It has not ended yet."""


@dataclass(frozen=True)
class MunicipalityPage:
    municipality: Municipality
    officials: list[OfficialCard]
    representative: OfficialCard | None
    practices: list[SharedItem]
    """Models, tools and processes it shared."""
    research: list[SharedItem]
    more_shared: bool
    """It shared more than are listed: the library lists them all."""
    tried: list[TriedItem]
    more_tried: bool
    events: list[EventItem]
    """Upcoming events first (soonest first), then past ones (latest first)."""
    can_see_membership: bool
    years: list[MunicipalityYear] = field(default_factory=list)
    """The recorded membership years, the latest first: for `can_see_membership` only."""
    can_administer: bool = False
    """Offer the link to the municipality's administration page."""


def municipality_page(
    session: Session, actor: Actor, slug: str, *, now: datetime | None = None
) -> MunicipalityPage:
    """The page of the municipality `slug`: NotFound for an unknown one, Unauthenticated
    for who is not signed in."""
    policy.require_signed_in(actor)
    municipality = by_slug(session, slug)
    assert municipality.id is not None
    officials = _officials(session, actor, municipality.id)
    shared = _shared(session, actor, municipality.id)
    tried = _tried(session, actor, municipality.id)
    can_see_membership = policy.can_see_municipality_membership(actor)
    return MunicipalityPage(
        municipality=municipality,
        officials=officials,
        representative=next((o for o in officials if o.representative), None),
        practices=[s for s in shared[:RESOURCES_SHOWN] if s.kind != ResourceKind.RESEARCH],
        research=[s for s in shared[:RESOURCES_SHOWN] if s.kind == ResourceKind.RESEARCH],
        more_shared=len(shared) > RESOURCES_SHOWN,
        tried=tried[:RESOURCES_SHOWN],
        more_tried=len(tried) > RESOURCES_SHOWN,
        events=_events(session, actor, municipality.id, now or utcnow()),
        can_see_membership=can_see_membership,
        years=years_of(session, municipality.id) if can_see_membership else [],
        can_administer=policy.can_administer(actor),
    )


def official_anchor(session: Session, actor: Actor, handle: str) -> tuple[str, str]:
    """Where an @mention leads: the municipality page's slug and the official's anchor on
    it. Only active officials are listed there; any other handle is NotFound."""
    policy.require_signed_in(actor)
    found = session.execute(
        sa.select(col(Municipality.slug), col(User.handle))
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(col(User.handle) == handle.lower()[:64], col(User.status) == UserStatus.ACTIVE)
    ).first()
    if found is None:
        raise NotFound("official")
    slug, own_handle = found
    return slug, f"official-{own_handle}"


def _officials(session: Session, actor: Actor, municipality_id: int) -> list[OfficialCard]:
    """Its active officials by name, each with the groups the viewer may see: two statements."""
    people = session.execute(
        sa.select(
            col(User.id),
            col(User.handle),
            col(User.name),
            col(User.title),
            col(User.is_representative),
        )
        .where(col(User.municipality_id) == municipality_id, col(User.status) == UserStatus.ACTIVE)
        .order_by(col(User.name), col(User.id))
    ).all()
    groups: dict[int, list[GroupLink]] = {}
    for user_id, role, slug, name in session.exec(
        select(Membership.user_id, Membership.role, Group.slug, Group.name)
        .join(Group, col(Group.id) == Membership.group_id)
        .join(User, col(User.id) == Membership.user_id)
        .where(User.municipality_id == municipality_id, User.status == UserStatus.ACTIVE)
        .where(policy.listed_memberships_clause(actor))
        .order_by(col(Group.name), col(Group.id))
    ).all():
        leading = MemberRole(role) is MemberRole.LEAD
        groups.setdefault(user_id, []).append(GroupLink(slug, name, leading))
    return [
        OfficialCard(user_id, handle, name, title, representative, groups.get(user_id, []))
        for user_id, handle, name, title, representative in people
        if user_id is not None
    ]


def _shared(session: Session, actor: Actor, municipality_id: int) -> list[SharedItem]:
    """What it shared in the groups the viewer reads, newest first, one more than shown."""
    rows = session.execute(
        sa.select(
            col(Resource.id),
            col(Resource.title),
            col(Resource.kind),
            col(Group.slug),
            col(Group.name),
            col(Resource.adoption_count),
            col(Resource.created_at),
        )
        .join(Group, col(Group.id) == Resource.group_id)
        .where(col(Resource.municipality_id) == municipality_id, col(Resource.deleted_at).is_(None))
        .where(policy.readable_groups_clause(actor))
        .order_by(col(Resource.created_at).desc(), col(Resource.id).desc())
        .limit(RESOURCES_SHOWN + 1)
    ).all()
    return [
        SharedItem(rid, title, ResourceKind(kind).value, slug, name, count, created)
        for rid, title, kind, slug, name, count, created in rows
        if rid is not None
    ]


def _tried(session: Session, actor: Actor, municipality_id: int) -> list[TriedItem]:
    """Its adoptions of resources the viewer may read, the latest first (undated last)."""
    home = aliased(Municipality)
    rows = session.execute(
        sa.select(
            col(Resource.id),
            col(Resource.title),
            col(Resource.kind),
            col(Adoption.adopted_on),
            col(Adoption.outcome),
            col(home.name),
            col(home.slug),
        )
        .join(Resource, col(Resource.id) == Adoption.resource_id)
        .join(Group, col(Group.id) == Resource.group_id)
        .join(home, col(home.id) == Resource.municipality_id)
        .where(col(Adoption.municipality_id) == municipality_id, col(Resource.deleted_at).is_(None))
        .where(policy.readable_groups_clause(actor))
        .order_by(
            col(Adoption.adopted_on).is_(None),
            col(Adoption.adopted_on).desc(),
            col(Adoption.id).desc(),
        )
        .limit(RESOURCES_SHOWN + 1)
    ).all()
    return [
        TriedItem(rid, title, ResourceKind(kind).value, adopted_on, outcome, home_name, home_slug)
        for rid, title, kind, adopted_on, outcome, home_name, home_slug in rows
        if rid is not None
    ]


def _events(session: Session, actor: Actor, municipality_id: int, now: datetime) -> list[EventItem]:
    """Events its officials arrange that the viewer may see: the association's own for
    every official, a group's for the group's readers."""
    upcoming = col(Event.ends_at) >= now
    rows = session.execute(
        sa.select(
            col(Event.id),
            col(Event.title),
            col(Event.kind),
            col(Event.starts_at),
            col(Event.place),
            col(Group.slug),
            col(Group.name),
            col(Event.cancelled_at),
            col(Event.ends_at),
        )
        .join(User, col(User.id) == Event.created_by_id)
        .outerjoin(Group, col(Group.id) == Event.group_id)
        .where(col(User.municipality_id) == municipality_id)
        .where(policy.visible_events_clause(actor))
        .order_by(
            sa.case((upcoming, 0), else_=1),
            sa.case((upcoming, col(Event.starts_at))),
            col(Event.starts_at).desc(),
            col(Event.id),
        )
        .limit(EVENTS_SHOWN)
    ).all()
    return [
        EventItem(
            eid,
            title,
            EventKind(kind).value,
            starts,
            place,
            slug,
            name,
            cancelled is not None,
            ends >= now,
        )
        for eid, title, kind, starts, place, slug, name, cancelled, ends in rows
        if eid is not None
    ]
