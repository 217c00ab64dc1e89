"""Experience groups, their members and the requests to join them."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from models.accounts import User
from models.base import created_at_field, enum_field, text_field, timestamp_field
from models.enums import FocusArea, JoinRequestStatus, MemberRole, Visibility


class Group(SQLModel, table=True):
    """An ERFA group. `member_count` and `thread_count` are kept by SQL expressions."""

    __tablename__ = "group"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120)
    focus_area: FocusArea = enum_field(FocusArea, "focus_area", default=FocusArea.OTHER)
    description: str = text_field()
    visibility: Visibility = enum_field(Visibility, "visibility", default=Visibility.OPEN)
    theme_id: int | None = Field(
        default=None, foreign_key="theme.id", ondelete="SET NULL", index=True
    )
    member_count: int = Field(default=0, nullable=False)
    thread_count: int = Field(default=0, nullable=False)
    last_activity_at: datetime | None = timestamp_field()
    archived_at: datetime | None = timestamp_field()
    """An archived group is read-only: still readable, no new discussions or posts."""
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
    version: int = Field(default=1, nullable=False)
    """Raised by every change of what the group's readers see, its activity included."""
    profile_version: int = Field(default=1, nullable=False)
    """Raised only by changes of what outsiders see too (name, description, visibility,
    focus, leads, member count): the ETag of a closed group for them does not move with
    its members' activity."""

    __table_args__ = (sa.CheckConstraint("slug <> ''", name="slug_not_empty"),)


class GroupGoal(SQLModel, table=True):
    __tablename__ = "group_goal"

    group_id: int = Field(foreign_key="group.id", ondelete="CASCADE", primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", ondelete="CASCADE", primary_key=True, index=True)


class Membership(SQLModel, table=True):
    __tablename__ = "membership"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    role: MemberRole = enum_field(MemberRole, "member_role", default=MemberRole.MEMBER)
    created_at: datetime = created_at_field()

    user: User = Relationship(sa_relationship_kwargs={"lazy": "raise"})
    group: Group = Relationship(sa_relationship_kwargs={"lazy": "raise"})

    __table_args__ = (sa.UniqueConstraint("group_id", "user_id"),)


class JoinRequest(SQLModel, table=True):
    """An official's request to join a closed group; at most one pending per person and group."""

    __tablename__ = "join_request"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    message: str = text_field()
    status: JoinRequestStatus = enum_field(
        JoinRequestStatus, "join_request_status", default=JoinRequestStatus.PENDING
    )
    created_at: datetime = created_at_field()
    decided_at: datetime | None = timestamp_field()
    decided_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )

    __table_args__ = (
        sa.Index("ix_join_request_group_status", "group_id", "status"),
        sa.Index(
            "uq_join_request_pending",
            "group_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )
