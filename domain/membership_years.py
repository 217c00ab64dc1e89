"""The membership of a municipality in each year: the association's fee (10 000 kr a year)
invoiced, paid, or not a member. Coordinators only; each recorded change leaves one audit
entry (`{"status": "invoiced"}` → `{"status": "paid"}`), and `Municipality.is_member`
follows the status of the current year.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from domain import audit, policy
from domain.actor import Actor
from domain.errors import Invalid, NotFound
from domain.themes import local_today
from models import FeeStatus, Municipality, MunicipalityYear, utcnow

DEFAULT_FEE_SEK = 10_000
MAX_FEE_SEK = 10_000_000
FIRST_YEAR, LAST_YEAR = 2000, 2200
MAX_NOTE = 500


def list_membership_years(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    before_year: int | None = None,
    limit: int | None = None,
) -> list[MunicipalityYear]:
    """The years recorded for a municipality, the latest first."""
    policy.require_administrator(actor)
    municipality = by_slug(session, slug)
    assert municipality.id is not None
    return years_of(session, municipality.id, before_year=before_year, limit=limit)


def years_of(
    session: Session,
    municipality_id: int,
    *,
    before_year: int | None = None,
    limit: int | None = None,
) -> list[MunicipalityYear]:
    """The recorded years of a municipality, the latest first; callers check permissions."""
    query = select(MunicipalityYear).where(MunicipalityYear.municipality_id == municipality_id)
    if before_year is not None:
        query = query.where(col(MunicipalityYear.year) < before_year)
    query = query.order_by(col(MunicipalityYear.year).desc()).limit(limit)
    return list(session.exec(query).all())


def set_membership_year(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    year: int,
    status: str,
    fee_sek: int | None = None,
    note: str | None = None,
    today: date | None = None,
) -> MunicipalityYear:
    """Record a year's membership (insert or update): `status` invoiced, paid or
    not_member; `fee_sek` defaults to 10 000 for a new year and is kept otherwise, like
    `note`. Invalid for a year outside 2000–2200, an unknown status, a fee or note out
    of bounds."""
    require_coordinator(actor)
    municipality = by_slug(session, slug)
    assert municipality.id is not None
    fee_status = _check_input(year, status, fee_sek, note)
    row = session.exec(
        select(MunicipalityYear).where(
            MunicipalityYear.municipality_id == municipality.id, MunicipalityYear.year == year
        )
    ).first()
    created = row is None
    if row is None:
        row = MunicipalityYear(municipality_id=municipality.id, year=year, fee_sek=DEFAULT_FEE_SEK)
        session.add(row)
    before: dict[str, Any] = {
        "status": row.status.value,
        "fee_sek": row.fee_sek,
        "note": row.note,
        "is_member": municipality.is_member,
    }
    row.status = fee_status
    row.fee_sek = row.fee_sek if fee_sek is None else fee_sek
    row.note = row.note if note is None else note.strip()
    if year == (today or local_today()).year:
        municipality.is_member = fee_status is not FeeStatus.NOT_MEMBER
    after = {**before, "status": row.status.value, "fee_sek": row.fee_sek, "note": row.note}
    after["is_member"] = municipality.is_member
    old, new = audit.changed(before, after)
    if created or new:
        row.updated_at = utcnow()
        session.flush()
        audit.record(
            session,
            actor,
            "municipality.year",
            target_type="municipality",
            target_id=municipality.id,
            before=None if created else old,
            after=after if created else new,
            year=year,
        )
    return row


def _check_input(year: int, status: str, fee_sek: int | None, note: str | None) -> FeeStatus:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid.field("year", "A year is 2000–2200.", "out-of-range")
    fee_status = parse_fee_status(status)
    if fee_sek is not None and not 0 <= fee_sek <= MAX_FEE_SEK:
        raise Invalid.field("fee_sek", "A fee is 0–10 000 000 kr.", "out-of-range")
    if note is not None and len(note.strip()) > MAX_NOTE:
        raise Invalid.field("note", "A note is at most 500 characters long.", "too-long")
    return fee_status


def parse_year(text: str) -> int:
    """A year typed into a form; Invalid (field `year`) unless it is 2000–2200."""
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        raise Invalid.field("year", "A year is 2000–2200.", "out-of-range")
    return int(text)


def parse_fee(text: str) -> int | None:
    """A fee typed into a form, in whole kronor ("10 000", "10000 kr"); None when empty."""
    digits = "".join(text.split()).lower().removesuffix("kr").removesuffix(":-")
    if not digits:
        return None
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 9):
        raise Invalid.field("fee_sek", "A fee is 0–10 000 000 kr.", "out-of-range")
    return int(digits)


def parse_fee_status(value: str) -> FeeStatus:
    try:
        return FeeStatus(value.strip().lower())
    except ValueError:
        raise Invalid.field(
            "status", "A status is invoiced, paid or not_member.", "unknown-status"
        ) from None


def by_slug(session: Session, slug: str) -> Municipality:
    found = session.exec(
        select(Municipality).where(Municipality.slug == slug.strip().lower())
    ).first()
    if found is None:
        raise NotFound("municipality")
    return found


def require_coordinator(actor: Actor) -> None:
    policy.require_write_access(actor)
    policy.require_administrator(actor)
