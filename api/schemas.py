"""Response and request schemas of the JSON API. Tables are never response models."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel

from domain.groups import GroupView
from models import FocusArea, Municipality, Visibility

T = TypeVar("T")


class ListOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class LeadOut(BaseModel):
    id: int
    name: str
    title: str
    municipality: str


class GroupOut(BaseModel):
    id: int
    slug: str
    name: str
    focus_area: FocusArea
    description: str
    visibility: Visibility
    member_count: int
    thread_count: int
    last_activity_at: datetime | None
    created_at: datetime
    leads: list[LeadOut]
    can_read: bool

    @classmethod
    def from_view(cls, view: GroupView) -> GroupOut:
        group = view.group
        assert group.id is not None
        return cls(
            id=group.id,
            slug=group.slug,
            name=group.name,
            focus_area=group.focus_area,
            description=group.description,
            visibility=group.visibility,
            member_count=group.member_count,
            thread_count=group.thread_count,
            last_activity_at=group.last_activity_at,
            created_at=group.created_at,
            leads=[
                LeadOut(
                    id=lead.user_id,
                    name=lead.name,
                    title=lead.title,
                    municipality=lead.municipality,
                )
                for lead in view.leads
            ],
            can_read=view.can_read,
        )


class MunicipalityOut(BaseModel):
    id: int
    slug: str
    name: str
    county: str

    @classmethod
    def from_model(cls, municipality: Municipality) -> MunicipalityOut:
        assert municipality.id is not None
        return cls(
            id=municipality.id,
            slug=municipality.slug,
            name=municipality.name,
            county=municipality.county,
        )
