"""Municipalities through the JSON API."""

from __future__ import annotations

from fastapi import APIRouter

from api.schemas import ListOut, MunicipalityOut
from domain import directory
from erfa.deps import SessionDep

router = APIRouter(tags=["municipalities"])


@router.get("/municipalities")
def list_municipalities(session: SessionDep) -> ListOut[MunicipalityOut]:
    """All member municipalities; a short list, so it comes whole (`next_cursor` is null)."""
    items = [MunicipalityOut.from_model(m) for m in directory.list_municipalities(session)]
    return ListOut(items=items, next_cursor=None)
