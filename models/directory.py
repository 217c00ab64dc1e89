"""Municipalities, themes and the Agenda 2030 goals: the association's reference data."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import created_at_field, text_field


class Municipality(SQLModel, table=True):
    __tablename__ = "municipality"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120)
    county: str = Field(default="", max_length=120)
    is_member: bool = Field(default=True)
    created_at: datetime = created_at_field()


class MunicipalityDomain(SQLModel, table=True):
    """An email domain of a municipality; sign-up requests are matched against it."""

    __tablename__ = "municipality_domain"

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", ondelete="CASCADE", index=True)
    domain: str = Field(max_length=253, unique=True)


class Theme(SQLModel, table=True):
    """The yearly theme a working group decides (e.g. "Attraktivitet", 2018–2019)."""

    __tablename__ = "theme"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120)
    description: str = text_field()
    year_start: int | None = Field(default=None)
    year_end: int | None = Field(default=None)

    __table_args__ = (
        sa.CheckConstraint(
            "year_end IS NULL OR year_start IS NULL OR year_end >= year_start",
            name="year_order",
        ),
    )


class Goal(SQLModel, table=True):
    """One of the 17 UN sustainable development goals; the primary key is its number."""

    __tablename__ = "goal"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name_sv: str = Field(max_length=120)
    name_en: str = Field(max_length=120)

    __table_args__ = (sa.CheckConstraint("id BETWEEN 1 AND 17", name="sdg_number"),)
