"""The association's year in the calendar: seminars, workshops, meetings and the yearly
conference "Bergslagen 2030", with their programme, registrations and documentation."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, created_at_field, enum_field, text_field, timestamp_field
from models.enums import EventKind, RegistrationStatus


class Event(SQLModel, table=True):
    """An event of a group, or of the whole association when `group_id` is null."""

    __tablename__ = "event"

    id: int | None = Field(default=None, primary_key=True)
    kind: EventKind = enum_field(EventKind, "event_kind", default=EventKind.SEMINAR)
    title: str = Field(max_length=200)
    description: str = text_field()
    description_html: str = text_field()
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    place: str = Field(default="", max_length=300)
    online_url: str | None = Field(default=None, max_length=2000)
    group_id: int | None = Field(
        default=None, foreign_key="group.id", ondelete="CASCADE", index=True
    )
    theme_id: int | None = Field(
        default=None, foreign_key="theme.id", ondelete="SET NULL", index=True
    )
    capacity: int | None = Field(default=None)
    """Places; null is no limit. Registrations beyond it wait in line."""
    registration_closes_at: datetime | None = timestamp_field()
    created_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )
    thread_id: int | None = Field(
        default=None, foreign_key="thread.id", ondelete="SET NULL", index=True
    )
    """The discussion that goes on after the event, in its group."""
    minutes: str = text_field()
    minutes_html: str = text_field()
    """Documentation written after the event."""
    registered_count: int = Field(default=0, nullable=False)
    waiting_count: int = Field(default=0, nullable=False)
    cancelled_at: datetime | None = timestamp_field()
    cancel_reason: str | None = Field(default=None, sa_type=sa.Text)
    sequence: int = Field(default=0, nullable=False)
    """iCalendar SEQUENCE: raised when the time or place changes or the event is cancelled."""
    renderer_version: int = Field(default=1, nullable=False)
    version: int = Field(default=1, nullable=False)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()

    __table_args__ = (
        sa.Index("ix_event_starts_at", "starts_at"),
        sa.CheckConstraint("ends_at >= starts_at", name="period_order"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("title <> ''", name="title_not_empty"),
    )


class EventGoal(SQLModel, table=True):
    __tablename__ = "event_goal"

    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE", primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", ondelete="CASCADE", primary_key=True, index=True)


class ProgrammeItem(SQLModel, table=True):
    """One item of an event's programme (a conference's talks and sessions)."""

    __tablename__ = "programme_item"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE", index=True)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    title: str = Field(max_length=200)
    speaker: str = Field(default="", max_length=200)
    room: str = Field(default="", max_length=100)
    position: int = Field(default=0, nullable=False)


class Registration(SQLModel, table=True):
    """An official's place at an event, or their place in line for one."""

    __tablename__ = "registration"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    status: RegistrationStatus = enum_field(
        RegistrationStatus, "registration_status", default=RegistrationStatus.REGISTERED
    )
    created_at: datetime = created_at_field()
    """When they asked: the line moves up in this order."""
    moved_up_at: datetime | None = timestamp_field()

    __table_args__ = (
        sa.UniqueConstraint("event_id", "user_id"),
        sa.Index("ix_registration_line", "event_id", "status", "created_at"),
    )


class EventDocument(SQLModel, table=True):
    """A file of an event's documentation (slides, minutes as PDF), stored like a
    resource's attachments: outside the web root under `storage_name`."""

    __tablename__ = "event_document"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE", index=True)
    uploaded_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=127)
    size: int = Field(nullable=False)
    storage_name: str = Field(max_length=64, unique=True)
    sha256: str = Field(max_length=64)
    created_at: datetime = created_at_field()

    __table_args__ = (sa.CheckConstraint("size >= 0", name="size_not_negative"),)
