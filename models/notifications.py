"""What officials follow, and what they are told about."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import created_at_field, enum_field, timestamp_field
from models.enums import NotificationKind


class Subscription(SQLModel, table=True):
    """Following exactly one thread or one group."""

    __tablename__ = "subscription"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    thread_id: int | None = Field(default=None, foreign_key="thread.id", ondelete="CASCADE")
    group_id: int | None = Field(default=None, foreign_key="group.id", ondelete="CASCADE")
    created_at: datetime = created_at_field()

    __table_args__ = (
        sa.UniqueConstraint("user_id", "thread_id"),
        sa.UniqueConstraint("user_id", "group_id"),
        sa.Index("ix_subscription_thread_id", "thread_id"),
        sa.Index("ix_subscription_group_id", "group_id"),
        sa.CheckConstraint("(thread_id IS NULL) <> (group_id IS NULL)", name="exactly_one_target"),
    )


class Notification(SQLModel, table=True):
    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    kind: NotificationKind = enum_field(NotificationKind, "notification_kind", default=None)
    actor_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )
    group_id: int | None = Field(
        default=None, foreign_key="group.id", ondelete="CASCADE", index=True
    )
    thread_id: int | None = Field(
        default=None, foreign_key="thread.id", ondelete="CASCADE", index=True
    )
    post_id: int | None = Field(default=None, foreign_key="post.id", ondelete="CASCADE", index=True)
    event_id: int | None = Field(
        default=None, foreign_key="event.id", ondelete="CASCADE", index=True
    )
    outcome: str | None = Field(default=None, max_length=16)
    """How a request or flag was decided: `approved`/`denied` (join_answer), `hide`/`dismiss`
    (flag_outcome)."""
    created_at: datetime = created_at_field()
    read_at: datetime | None = timestamp_field()
    mailed_at: datetime | None = timestamp_field()
    """When a mail told of it, at once or in a digest: none is mailed twice."""

    __table_args__ = (
        # The header's unread count and the notifications page.
        sa.Index("ix_notification_user_unread", "user_id", "read_at", "created_at"),
    )
