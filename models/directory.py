"""Municipalities, themes and the Agenda 2030 goals: the association's reference data."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import created_at_field, enum_field, text_field, timestamp_field
from models.enums import FeeStatus


class Municipality(SQLModel, table=True):
    __tablename__ = "municipality"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120)
    county: str = Field(default="", max_length=120)
    is_member: bool = Field(default=True)
    created_at: datetime = created_at_field()


class MunicipalityYear(SQLModel, table=True):
    """A municipality's membership in one year: the fee invoiced, paid, or not a member."""

    __tablename__ = "municipality_year"

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", ondelete="CASCADE")
    year: int = Field(nullable=False)
    status: FeeStatus = enum_field(FeeStatus, "fee_status", default=FeeStatus.INVOICED)
    fee_sek: int = Field(default=10_000, nullable=False)
    note: str = text_field()
    updated_at: datetime | None = timestamp_field()

    __table_args__ = (
        sa.UniqueConstraint("municipality_id", "year"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2200", name="year_range"),
        sa.CheckConstraint("fee_sek >= 0", name="fee_not_negative"),
    )


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
    starts_on: date = Field(nullable=False)
    ends_on: date = Field(nullable=False)
    """The period: the current theme is the one whose period holds today, else the latest."""

    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="period_order"),
        sa.Index("ix_theme_period", "starts_on", "ends_on"),
    )


class Goal(SQLModel, table=True):
    """One of the 17 UN sustainable development goals; the primary key is its number."""

    __tablename__ = "goal"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name_sv: str = Field(max_length=120)
    name_en: str = Field(max_length=120)

    __table_args__ = (sa.CheckConstraint("id BETWEEN 1 AND 17", name="sdg_number"),)
