"""Municipalities through the JSON API."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import ApiActor
from api.pagination import Page
from api.problems import problem_responses
from api.schemas import ListOut, MunicipalityOut
from domain import directory
from erfa.deps import SessionDep

router = APIRouter(tags=["municipalities"])


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
