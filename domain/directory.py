"""Municipalities, themes and goals: look-ups and the reference data of a new installation."""

from __future__ import annotations

from sqlmodel import Session, col, select

from domain import demo_data
from domain.errors import Invalid
from models import Goal, Municipality, MunicipalityDomain, Theme


def list_municipalities(session: Session) -> list[Municipality]:
    return list(session.exec(select(Municipality).order_by(col(Municipality.name))).all())


def municipality_by_slug(session: Session, slug: str) -> Municipality:
    municipality = session.exec(select(Municipality).where(Municipality.slug == slug)).first()
    if municipality is None:
        known = ", ".join(m.slug for m in list_municipalities(session))
        raise Invalid.field(
            "municipality", f"Unknown municipality {slug!r}. Known: {known or 'none'}."
        )
    return municipality


def ensure_reference_data(session: Session) -> None:
    """Add the municipalities, themes and goals of a new installation that are missing.

    Idempotent: rows are matched by slug (or goal number) and existing ones are left as
    the coordinators edited them.
    """
    have = set(session.exec(select(Municipality.slug)).all())
    for item in demo_data.MUNICIPALITIES:
        if item["slug"] in have:
            continue
        municipality = Municipality(slug=item["slug"], name=item["name"], county=item["county"])
        session.add(municipality)
        session.flush()
        assert municipality.id is not None
        session.add(
            MunicipalityDomain(municipality_id=municipality.id, domain=item["email_domain"])
        )
    have_themes = set(session.exec(select(Theme.slug)).all())
    session.add_all(Theme(**item) for item in demo_data.THEMES if item["slug"] not in have_themes)
    have_goals = set(session.exec(select(Goal.id)).all())
    session.add_all(
        Goal(id=item["number"], name_sv=item["name_sv"], name_en=item["name_en"])
        for item in demo_data.GOALS
        if item["number"] not in have_goals
    )
    session.flush()
