"""Municipalities: look-ups. Their rows come from a migration and the coordinators."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.errors import Invalid
from models import Group, Municipality, Theme


def list_municipalities(
    session: Session, *, after_id: int | None = None, limit: int | None = None
) -> list[Municipality]:
    query = select(Municipality).order_by(col(Municipality.id))
    if after_id is not None:
        query = query.where(col(Municipality.id) > after_id)
    return list(session.exec(query.limit(limit)).all())


def municipality_name(session: Session, municipality_id: int) -> str:
    municipality = session.get(Municipality, municipality_id)
    return municipality.name if municipality else ""


def municipality_by_slug(session: Session, slug: str) -> Municipality:
    slug = slug.strip().lower()
    municipality = session.exec(select(Municipality).where(Municipality.slug == slug)).first()
    if municipality is None:
        known = ", ".join(sorted(m.slug for m in list_municipalities(session)))
        raise Invalid.field(
            "municipality", f"Unknown municipality {slug!r}. Known: {known or 'none'}."
        )
    return municipality


def group_by_slug(session: Session, slug: str) -> Group | None:
    """The group with `slug`, asked of the database once per session: a page that asks
    several services about one group (its card, members, discussions) sends one query."""
    slug = slug.strip().lower()
    for loaded in session.identity_map.values():
        if isinstance(loaded, Group) and loaded.slug == slug and loaded not in session.deleted:
            return loaded
    return session.exec(select(Group).where(Group.slug == slug)).first()


def current_theme(session: Session, today: date) -> Theme | None:
    """The theme whose period holds `today`, else the latest one (by its start): one query."""
    running = sa.and_(col(Theme.starts_on) <= today, col(Theme.ends_on) >= today)
    return session.exec(
        select(Theme)
        .order_by(sa.case((running, 0), else_=1), col(Theme.starts_on).desc(), col(Theme.id).desc())
        .limit(1)
    ).first()
