"""Municipalities as the coordinators administer them: name, the email domains sign-up
requests are matched by, the named representative, and the membership of each year (the
association's fee, 10 000 kr a year: invoiced, paid, or not a member).

Coordinators only. Each act leaves one audit entry whose `before`/`after` hold the fields it
changed (`{"status": "invoiced"}` → `{"status": "paid"}`); an act that changes nothing
leaves none. `Municipality.is_member` follows the status of the current year.

The page every official reads (`municipality_page`) lives in `domain.municipality_pages`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit, handles, policy
from domain.actor import Actor
from domain.errors import Conflict, Invalid
from domain.membership_years import by_slug, require_coordinator, years_of
from domain.municipality_pages import MunicipalityPage as MunicipalityPage
from domain.municipality_pages import municipality_page as municipality_page
from domain.municipality_pages import official_anchor as official_anchor
from domain.themes import local_today
from models import (
    FeeStatus,
    Municipality,
    MunicipalityDomain,
    MunicipalityYear,
    User,
    UserStatus,
)

MAX_NAME = 120
MAX_COUNTY = 120
MAX_DOMAINS = 20
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LEVEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")


class Keep(enum.Enum):
    """Leave the representative as it is (None would mean: no representative)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class OfficialOption:
    id: int
    name: str
    title: str


@dataclass(frozen=True)
class MunicipalityAdminView:
    municipality: Municipality
    domains: list[str]
    representative: OfficialOption | None
    year: int
    """The current year, whose membership `this_year` holds (None: not recorded)."""
    this_year: MunicipalityYear | None


@dataclass(frozen=True)
class MunicipalityAdminPage:
    view: MunicipalityAdminView
    officials: list[OfficialOption]
    """Who may be its representative: its active officials (and the one who is, whatever
    their status, so that saving the form keeps them)."""
    years: list[MunicipalityYear]
    statuses: list[str]


class DomainTaken(Conflict):
    """An email domain another municipality holds; `domain` and `owner` (its name) say which."""

    def __init__(self, domain: str, owner: str) -> None:
        super().__init__(f"The domain {domain} belongs to {owner}.")
        self.domain = domain
        self.owner = owner


def list_for_admin(
    session: Session, actor: Actor, *, today: date | None = None
) -> list[MunicipalityAdminView]:
    """Every municipality, by name, with its domains, representative and this year's
    membership."""
    policy.require_administrator(actor)
    rows = list(
        session.exec(
            select(Municipality).order_by(col(Municipality.name), col(Municipality.id))
        ).all()
    )
    return _views(session, rows, (today or local_today()).year)


def get_for_admin(
    session: Session, actor: Actor, *, slug: str, today: date | None = None
) -> MunicipalityAdminPage:
    """A municipality's administration page: its view, its officials, every year recorded."""
    policy.require_administrator(actor)
    municipality = by_slug(session, slug)
    assert municipality.id is not None
    officials = session.exec(
        select(User.id, User.name, User.title)
        .where(User.municipality_id == municipality.id)
        .where(sa.or_(col(User.status) == UserStatus.ACTIVE, col(User.is_representative).is_(True)))
        .order_by(col(User.name), col(User.id))
    ).all()
    return MunicipalityAdminPage(
        view=_views(session, [municipality], (today or local_today()).year)[0],
        officials=[OfficialOption(id=i, name=n, title=t) for i, n, t in officials if i is not None],
        years=years_of(session, municipality.id),
        statuses=[status.value for status in FeeStatus],
    )


def create_municipality(
    session: Session,
    actor: Actor,
    *,
    name: str,
    county: str = "",
    slug: str | None = None,
    domains: Iterable[str] = (),
) -> MunicipalityAdminView:
    """A new member municipality; its slug is folded from its name unless given
    (`Borlänge` → `borlange`). Conflict when the slug or a domain is taken."""
    require_coordinator(actor)
    name, county = _check_name(name), _check_county(county)
    slug = _check_slug(slug if slug else handles.fold(name).replace(".", "-"))
    wanted = check_domains(domains)
    existing = session.exec(select(Municipality).where(Municipality.slug == slug)).first()
    if existing is not None:
        raise Conflict(f"The slug {slug!r} belongs to {existing.name} already.")
    _require_free_domains(session, wanted, municipality_id=None)
    municipality = Municipality(slug=slug, name=name, county=county)
    session.add(municipality)
    session.flush()
    assert municipality.id is not None
    session.add_all(MunicipalityDomain(municipality_id=municipality.id, domain=d) for d in wanted)
    session.flush()
    after = {"slug": slug, "name": name, "county": county, "domains": wanted}
    audit.record(
        session,
        actor,
        "municipality.create",
        target_type="municipality",
        target_id=municipality.id,
        after=after,
    )
    return _views(session, [municipality], local_today().year)[0]


def update_municipality(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    name: str | None = None,
    county: str | None = None,
    domains: Iterable[str] | None = None,
    representative_id: int | Literal[Keep.KEEP] | None = KEEP,
) -> MunicipalityAdminView:
    """Change what is given, as one act with one audit entry. `domains` replaces the list;
    `representative_id` None removes the representative. Invalid for a bad name or domain,
    or a representative who is not an active official of this municipality; Conflict
    (`DomainTaken`) for a domain another municipality holds. The slug stays."""
    require_coordinator(actor)
    municipality = by_slug(session, slug)
    assert municipality.id is not None
    before = _profile(session, municipality)
    after = dict(before)
    if name is not None:
        after["name"] = _check_name(name)
    if county is not None:
        after["county"] = _check_county(county)
    if domains is not None:
        after["domains"] = check_domains(domains)
        _require_free_domains(session, after["domains"], municipality_id=municipality.id)
    if representative_id is not KEEP:
        after["representative_id"] = representative_id
        if representative_id not in (None, before["representative_id"]):
            _require_official_of(session, municipality, representative_id)
    old, new = audit.changed(before, after)
    if new:
        _apply(session, municipality, new)
        audit.record(
            session,
            actor,
            "municipality.update",
            target_type="municipality",
            target_id=municipality.id,
            before=old,
            after=new,
        )
    return _views(session, [municipality], local_today().year)[0]


def parse_official_id(text: str) -> int | None:
    """An official chosen in a form ("" for none); Invalid when it is not an id."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise Invalid.field(
            "representative_id", "Choose an official from the list.", "not-official"
        )
    return int(text)


def domains_from_text(text: str) -> list[str]:
    """Domains typed one per line (or separated by spaces or commas)."""
    return text.replace(",", " ").split()


def check_domains(domains: Iterable[str]) -> list[str]:
    """Email domains, lower-cased, without a leading `@`, sorted, each once; Invalid (field
    `domains`, code `bad-domain`) for anything that is not a host name such as avesta.se."""
    found: set[str] = set()
    for raw in domains:
        domain = raw.strip().lower().removeprefix("@").rstrip(".")
        labels = domain.split(".")
        if (
            len(domain) > 253
            or len(labels) < 2
            or not all(_LABEL.fullmatch(label) for label in labels)
            or not _TOP_LEVEL.fullmatch(labels[-1])
        ):
            raise Invalid.field(
                "domains",
                f"{raw.strip()[:60]!r} is not an email domain such as avesta.se.",
                "bad-domain",
            )
        found.add(domain)
    if len(found) > MAX_DOMAINS:
        raise Invalid.field("domains", "A municipality has at most 20 domains.", "too-many")
    return sorted(found)


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid.field("name", "A municipality needs a name of 1–120 characters.")
    return name


def _check_county(county: str) -> str:
    county = county.strip()
    if len(county) > MAX_COUNTY:
        raise Invalid.field("county", "A county is at most 120 characters long.")
    return county


def _check_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if len(slug) > 64 or not SLUG_PATTERN.fullmatch(slug):
        raise Invalid.field(
            "slug", "A slug is 1–64 lower-case letters a–z, digits and inner hyphens."
        )
    return slug


def _require_free_domains(
    session: Session, domains: Sequence[str], *, municipality_id: int | None
) -> None:
    if not domains:
        return
    held = session.exec(
        select(MunicipalityDomain.domain, Municipality.name)
        .join(Municipality, col(Municipality.id) == MunicipalityDomain.municipality_id)
        .where(col(MunicipalityDomain.domain).in_(domains))
        .where(MunicipalityDomain.municipality_id != municipality_id)
        .order_by(col(MunicipalityDomain.domain))
    ).first()
    if held is not None:
        raise DomainTaken(held[0], held[1])


def _require_official_of(session: Session, municipality: Municipality, user_id: int) -> None:
    official = session.get(User, user_id) if 0 < user_id < 2**63 else None
    if (
        official is None
        or official.municipality_id != municipality.id
        or official.status is not UserStatus.ACTIVE
    ):
        raise Invalid.field(
            "representative_id",
            f"The representative is an active official of {municipality.name}.",
            "not-official",
        )


def _profile(session: Session, municipality: Municipality) -> dict[str, Any]:
    """What `update_municipality` may change, as audit entries show it."""
    domains = session.exec(
        select(MunicipalityDomain.domain).where(
            MunicipalityDomain.municipality_id == municipality.id
        )
    ).all()
    representative = session.exec(
        select(User.id).where(
            User.municipality_id == municipality.id, col(User.is_representative).is_(True)
        )
    ).first()
    return {
        "name": municipality.name,
        "county": municipality.county,
        "domains": sorted(domains),
        "representative_id": representative,
    }


def _apply(session: Session, municipality: Municipality, new: dict[str, Any]) -> None:
    assert municipality.id is not None
    municipality.name = new.get("name", municipality.name)
    municipality.county = new.get("county", municipality.county)
    if "domains" in new:
        wanted = set(new["domains"])
        rows = session.exec(
            select(MunicipalityDomain).where(MunicipalityDomain.municipality_id == municipality.id)
        ).all()
        for row in rows:
            if row.domain not in wanted:
                session.delete(row)
        session.flush()
        held = {row.domain for row in rows}
        session.add_all(
            MunicipalityDomain(municipality_id=municipality.id, domain=d)
            for d in sorted(wanted - held)
        )
    if "representative_id" in new:
        # One representative per municipality (a unique index): the old one steps down first.
        session.execute(
            sa.update(User)
            .where(col(User.municipality_id) == municipality.id)
            .where(col(User.is_representative).is_(True))
            .values(is_representative=False)
        )
        if new["representative_id"] is not None:
            session.execute(
                sa.update(User)
                .where(col(User.id) == new["representative_id"])
                .values(is_representative=True)
            )
    session.flush()


def _views(session: Session, rows: list[Municipality], year: int) -> list[MunicipalityAdminView]:
    """Views of `rows` in four statements, however many rows."""
    ids = [m.id for m in rows]
    domains: dict[int, list[str]] = {}
    for municipality_id, domain in session.exec(
        select(MunicipalityDomain.municipality_id, MunicipalityDomain.domain)
        .where(col(MunicipalityDomain.municipality_id).in_(ids))
        .order_by(col(MunicipalityDomain.domain))
    ).all():
        domains.setdefault(municipality_id, []).append(domain)
    representatives = {
        municipality_id: OfficialOption(id=user_id, name=name, title=title)
        for user_id, municipality_id, name, title in session.exec(
            select(User.id, User.municipality_id, User.name, User.title).where(
                col(User.municipality_id).in_(ids), col(User.is_representative).is_(True)
            )
        ).all()
        if user_id is not None
    }
    years = {
        row.municipality_id: row
        for row in session.exec(
            select(MunicipalityYear).where(
                col(MunicipalityYear.municipality_id).in_(ids), MunicipalityYear.year == year
            )
        ).all()
    }
    return [
        MunicipalityAdminView(
            municipality=m,
            domains=domains.get(m.id, []) if m.id is not None else [],
            representative=representatives.get(m.id) if m.id is not None else None,
            year=year,
            this_year=years.get(m.id) if m.id is not None else None,
        )
        for m in rows
    ]
