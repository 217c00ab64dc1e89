"""What carries a yearly theme: its discussions, practices, research and events.

Each reader sees only what they may read: discussions and resources of the groups they
read, the association's own events (no group) and the events of the groups they read.
Lists are short (the latest few of each kind, with how many there are in all) and cost a
fixed number of queries however many themes and items there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import policy
from domain.actor import Actor
from models import Event, Group, Resource, ResourceKind, Theme, Thread

SHOWN_PER_KIND = 10
"""How many discussions, practices, research items and events /themes lists per theme."""


@dataclass
class ThemeContent:
    discussions: list[tuple[Thread, Group]] = field(default_factory=list)
    practices: list[tuple[Resource, Group]] = field(default_factory=list)
    """Models, tools and processes."""
    research: list[tuple[Resource, Group]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    """How many of each kind ("discussions", "practices", "research", "events") in all."""

    @property
    def empty(self) -> bool:
        return not any(self.totals.values())


@dataclass(frozen=True)
class NewInTheme:
    """A discussion or a resource that carries the theme, for the start page."""

    kind: str
    """"discussion" or "resource"."""
    id: int
    title: str
    group_name: str
    at: datetime


@dataclass(frozen=True)
class ThemeNews:
    """The theme the start page shows (the current one, else the latest) and what is new
    in it."""

    theme: Theme
    items: list[NewInTheme]


def carried(
    session: Session, actor: Actor, theme_ids: Sequence[int], *, shown: int = SHOWN_PER_KIND
) -> dict[int, ThemeContent]:
    """Per theme: the latest `shown` of each kind the actor may read, and their totals.
    Three queries, each ranking within its theme (window functions)."""
    content = {theme_id: ThemeContent() for theme_id in theme_ids}
    if not theme_ids or not actor.signed_in:
        return content
    _add_discussions(session, actor, content, shown)
    _add_resources(session, actor, content, shown)
    _add_events(session, actor, content, shown)
    return content


def _ranked(partition: Sequence[Any], order: Sequence[Any]) -> tuple[Any, Any]:
    rank = sa.func.row_number().over(partition_by=partition, order_by=order).label("rank")
    total = sa.func.count().over(partition_by=partition).label("total")
    return rank, total


def _add_discussions(
    session: Session, actor: Actor, content: dict[int, ThemeContent], shown: int
) -> None:
    order: list[Any] = [col(Thread.last_posted_at).desc(), col(Thread.id).desc()]
    rank, total = _ranked([col(Thread.theme_id)], order)
    ranked = (
        select(col(Thread.id).label("id"), rank, total)
        .join(Group, col(Group.id) == Thread.group_id)
        .where(col(Thread.theme_id).in_(list(content)), policy.readable_groups_clause(actor))
        .subquery()
    )
    rows = session.exec(
        select(Thread, Group, ranked.c.total)
        .join(ranked, ranked.c.id == Thread.id)
        .join(Group, col(Group.id) == Thread.group_id)
        .where(ranked.c.rank <= shown)
        .order_by(*order)
    ).all()
    for thread, group, count in rows:
        assert thread.theme_id is not None
        entry = content[thread.theme_id]
        entry.discussions.append((thread, group))
        entry.totals["discussions"] = count


def _add_resources(
    session: Session, actor: Actor, content: dict[int, ThemeContent], shown: int
) -> None:
    is_research = col(Resource.kind) == ResourceKind.RESEARCH
    order: list[Any] = [col(Resource.created_at).desc(), col(Resource.id).desc()]
    rank, total = _ranked([col(Resource.theme_id), is_research], order)
    ranked = (
        select(col(Resource.id).label("id"), rank, total)
        .join(Group, col(Group.id) == Resource.group_id)
        .where(col(Resource.theme_id).in_(list(content)), col(Resource.deleted_at).is_(None))
        .where(policy.readable_groups_clause(actor))
        .subquery()
    )
    rows = session.exec(
        select(Resource, Group, ranked.c.total)
        .join(ranked, ranked.c.id == Resource.id)
        .join(Group, col(Group.id) == Resource.group_id)
        .where(ranked.c.rank <= shown)
        .order_by(*order)
    ).all()
    for resource, group, count in rows:
        assert resource.theme_id is not None
        entry = content[resource.theme_id]
        kind = "research" if resource.kind is ResourceKind.RESEARCH else "practices"
        (entry.research if kind == "research" else entry.practices).append((resource, group))
        entry.totals[kind] = count


def _add_events(
    session: Session, actor: Actor, content: dict[int, ThemeContent], shown: int
) -> None:
    """The association's events (no group) are for every signed-in official; a group's
    events for those who read the group, as its discussions are. Cancelled ones are left
    out: nothing took place under the theme."""
    order: list[Any] = [col(Event.starts_at).desc(), col(Event.id).desc()]
    rank, total = _ranked([col(Event.theme_id)], order)
    ranked = (
        select(col(Event.id).label("id"), rank, total)
        .outerjoin(Group, col(Group.id) == Event.group_id)
        .where(col(Event.theme_id).in_(list(content)), col(Event.cancelled_at).is_(None))
        .where(policy.visible_events_clause(actor))
        .subquery()
    )
    rows = session.exec(
        select(Event, ranked.c.total)
        .join(ranked, ranked.c.id == Event.id)
        .where(ranked.c.rank <= shown)
        .order_by(*order)
    ).all()
    for event, count in rows:
        assert event.theme_id is not None
        entry = content[event.theme_id]
        entry.events.append(event)
        entry.totals["events"] = count


def theme_news(session: Session, actor: Actor, *, today: date, limit: int = 3) -> ThemeNews | None:
    """The theme whose period holds `today` (else the latest one) with its newest
    discussions and resources that the actor may read, newest first; None without themes.

    One statement: the start page counts its queries."""
    running = sa.and_(col(Theme.starts_on) <= today, col(Theme.ends_on) >= today)
    shown = (
        select(col(Theme.id))
        .order_by(sa.case((running, 0), else_=1), col(Theme.starts_on).desc(), col(Theme.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    readable = policy.readable_groups_clause(actor)
    discussions: sa.Select[Any] = (
        sa.select(
            sa.literal("discussion").label("kind"),
            col(Thread.id).label("id"),
            col(Thread.title).label("title"),
            col(Thread.created_at).label("at"),
            col(Thread.theme_id).label("theme_id"),
            col(Group.name).label("group_name"),
        )
        .join(Group, col(Group.id) == Thread.group_id)
        .where(col(Thread.theme_id) == shown, readable)
    )
    shared = (
        sa.select(
            sa.literal("resource").label("kind"),
            col(Resource.id),
            col(Resource.title),
            col(Resource.created_at),
            col(Resource.theme_id),
            col(Group.name),
        )
        .join(Group, col(Group.id) == Resource.group_id)
        .where(col(Resource.theme_id) == shown, col(Resource.deleted_at).is_(None), readable)
    )
    items = sa.union_all(discussions, shared).subquery()
    rows = session.execute(
        sa.select(Theme, items.c.kind, items.c.id, items.c.title, items.c.group_name, items.c.at)
        .outerjoin(items, items.c.theme_id == Theme.id)
        .where(col(Theme.id) == shown)
        .order_by(items.c.at.desc(), items.c.kind, items.c.id.desc())
        .limit(limit)
    ).all()
    if not rows:
        return None
    news = [
        NewInTheme(kind, item_id, title, group_name, at)
        for _, kind, item_id, title, group_name, at in rows
        if item_id is not None
    ]
    return ThemeNews(rows[0][0], news if actor.signed_in else [])
