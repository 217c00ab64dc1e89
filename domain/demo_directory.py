"""Demo data of the association's directory: representatives, membership years, a theme.

Run by the demo seeding after the officials exist, through the same services the
coordinators use (as SYSTEM, so the audit log shows the seeding). Each step skips what is
there already.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from domain import membership_years, municipalities, themes
from domain.actor import SYSTEM
from domain.errors import Conflict
from models import Municipality, MunicipalityYear, User, UserStatus

DEMO_YEARS = (2025, 2026)
UNPAID = "storfors"
"""The municipality whose 2026 invoice is still unpaid."""
NOT_MEMBER = "filipstad"
"""The municipality that left the association for 2026."""

THEME_2026_DESCRIPTION = (
    "Temat för 2026 handlar om hur Bergslagens kommuner hittar, utbildar och behåller de "
    "medarbetare som välfärden behöver: samarbete med lärosäten och yrkeshögskolor, "
    "validering av nyanländas kompetens, karriärvägar inom vård, skola och omsorg och "
    "gemensam rekrytering över kommungränserna."
)


def seed_municipality_years(session: Session) -> None:
    """Every municipality gets a representative (its first active official) and the
    membership of 2025 (paid) and 2026 (paid, but for one unpaid invoice and one
    municipality that is not a member)."""
    rows = session.exec(select(Municipality).order_by(col(Municipality.id))).all()
    for municipality in rows:
        _seed_representative(session, municipality)
        for year in DEMO_YEARS:
            status = "paid"
            if year == DEMO_YEARS[-1] and municipality.slug == UNPAID:
                status = "invoiced"
            elif year == DEMO_YEARS[-1] and municipality.slug == NOT_MEMBER:
                status = "not_member"
            recorded = session.exec(
                select(MunicipalityYear.id).where(
                    MunicipalityYear.municipality_id == municipality.id,
                    MunicipalityYear.year == year,
                )
            ).first()
            if recorded is None:
                note = "Faktura skickad i januari." if status == "invoiced" else ""
                membership_years.set_membership_year(
                    session, SYSTEM, slug=municipality.slug, year=year, status=status, note=note
                )


def seed_themes(session: Session) -> None:
    """The theme of 2026, beside the three of the reference data (2016–2019); skipped when
    a theme holds part of 2026 already."""
    try:
        themes.create_theme(
            session,
            SYSTEM,
            slug="kompetensforsorjning",
            name="Kompetensförsörjning",
            description=THEME_2026_DESCRIPTION,
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        )
    except (themes.PeriodOverlap, Conflict):
        return


def _seed_representative(session: Session, municipality: Municipality) -> None:
    first = session.exec(
        select(User.id, User.is_representative)
        .where(User.municipality_id == municipality.id, User.status == UserStatus.ACTIVE)
        .order_by(col(User.is_representative).desc(), col(User.id))
        .limit(1)
    ).first()
    if first is None or first[1]:
        return
    municipalities.update_municipality(
        session, SYSTEM, slug=municipality.slug, representative_id=first[0]
    )
