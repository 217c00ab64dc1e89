"""Counters the overview reads instead of scanning a million posts per view."""

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class ActivityMonth(SQLModel, table=True):
    """Posts and new discussions of one group by officials of one municipality in one
    month, kept up to date by every new post (`domain/activity.py`)."""

    __tablename__ = "activity_month"

    group_id: int = Field(foreign_key="group.id", ondelete="CASCADE", primary_key=True)
    municipality_id: int = Field(
        foreign_key="municipality.id", ondelete="CASCADE", primary_key=True, index=True
    )
    month: date = Field(primary_key=True)
    """The first day of the month (Europe/Stockholm)."""
    posts: int = Field(default=0, nullable=False)
    threads: int = Field(default=0, nullable=False)

    __table_args__ = (
        sa.Index("ix_activity_month_month", "month"),
        sa.CheckConstraint("posts >= 0 AND threads >= 0", name="counts_not_negative"),
    )


class ChangeCounter(SQLModel, table=True):
    """SQLite's source of change positions (one row); PostgreSQL uses the sequence
    `change_position` instead (`domain/changes.py`)."""

    __tablename__ = "change_counter"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    value: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)
