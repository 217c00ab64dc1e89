"""Municipalities through the JSON API: the list every official reads, and the
coordinators' administration (name, email domains, representative, membership per year)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.auth import ApiActor
from api.pagination import Page
from api.problems import problem_responses
from api.schemas import (
    ListOut,
    MunicipalityAdminOut,
    MunicipalityIn,
    MunicipalityOut,
    MunicipalityPatch,
    MunicipalityYearIn,
    MunicipalityYearOut,
    RepresentativeOut,
)
from domain import directory, membership_years, municipalities
from domain.municipalities import KEEP, MunicipalityAdminView
from erfa.deps import SessionDep
from models import MunicipalityYear

router = APIRouter(tags=["municipalities"])
YearPath = Annotated[int, Path(description="A year, 2000–2200.")]


@router.get("/municipalities", responses=problem_responses(401))
def list_municipalities(
    session: SessionDep, actor: ApiActor, page: Page
) -> ListOut[MunicipalityOut]:
    """The member municipalities, in the order they joined."""
    after = page.position("municipalities")
    rows = directory.list_municipalities(
        session, after_id=after["id"] if after else None, limit=page.fetch
    )
    items, next_cursor = page.window("municipalities", rows, lambda m: {"id": m.id})
    return ListOut(items=[MunicipalityOut.from_model(m) for m in items], next_cursor=next_cursor)


@router.post("/municipalities", status_code=201, responses=problem_responses(401, 403, 409))
def create_municipality(
    data: MunicipalityIn, session: SessionDep, actor: ApiActor
) -> MunicipalityAdminOut:
    """Add a member municipality (coordinators). The slug is folded from the name unless
    given; a domain another municipality holds is a 409."""
    view = municipalities.create_municipality(
        session, actor, name=data.name, slug=data.slug, county=data.county, domains=data.domains
    )
    return admin_out(view)


@router.patch("/municipalities/{slug}", responses=problem_responses(401, 403, 404, 409))
def update_municipality(
    slug: str, data: MunicipalityPatch, session: SessionDep, actor: ApiActor
) -> MunicipalityAdminOut:
    """Change name, county, email domains (the whole list) or the representative (an
    active official of the municipality; null for none). Coordinators only."""
    view = municipalities.update_municipality(
        session,
        actor,
        slug=slug,
        name=data.name,
        county=data.county,
        domains=data.domains,
        representative_id=(
            data.representative_id if "representative_id" in data.model_fields_set else KEEP
        ),
    )
    return admin_out(view)


@router.get("/municipalities/{slug}/years", responses=problem_responses(401, 403, 404))
def list_years(
    slug: str, session: SessionDep, actor: ApiActor, page: Page
) -> ListOut[MunicipalityYearOut]:
    """The membership of each recorded year, the latest first (coordinators)."""
    kind = f"municipality-years:{slug}"
    after = page.position(kind)
    rows = membership_years.list_membership_years(
        session, actor, slug=slug, before_year=after["year"] if after else None, limit=page.fetch
    )
    items, next_cursor = page.window(kind, rows, lambda row: {"year": row.year})
    return ListOut(items=[year_out(row) for row in items], next_cursor=next_cursor)


@router.put("/municipalities/{slug}/years/{year}", responses=problem_responses(401, 403, 404))
def set_year(
    slug: str, year: YearPath, data: MunicipalityYearIn, session: SessionDep, actor: ApiActor
) -> MunicipalityYearOut:
    """Record the membership of a year: invoiced, paid or not_member (coordinators)."""
    row = membership_years.set_membership_year(
        session,
        actor,
        slug=slug,
        year=year,
        status=data.status,
        fee_sek=data.fee_sek,
        note=data.note,
    )
    return year_out(row)


def year_out(row: MunicipalityYear) -> MunicipalityYearOut:
    return MunicipalityYearOut(
        year=row.year,
        status=row.status.value,
        fee_sek=row.fee_sek,
        note=row.note,
        updated_at=row.updated_at,
    )


def admin_out(view: MunicipalityAdminView) -> MunicipalityAdminOut:
    municipality = view.municipality
    assert municipality.id is not None
    person = view.representative
    return MunicipalityAdminOut(
        id=municipality.id,
        slug=municipality.slug,
        name=municipality.name,
        county=municipality.county,
        domains=view.domains,
        representative=(
            RepresentativeOut(id=person.id, name=person.name, title=person.title)
            if person
            else None
        ),
        is_member=municipality.is_member,
        current_year=year_out(view.this_year) if view.this_year else None,
    )
