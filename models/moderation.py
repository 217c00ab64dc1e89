"""Flags raised on posts and the audit log of everything leads and coordinators do."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import created_at_field, enum_field, text_field, timestamp_field
from models.enums import FlagStatus


class Flag(SQLModel, table=True):
    __tablename__ = "flag"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    group_id: int = Field(foreign_key="group.id", ondelete="CASCADE")
    reason: str = text_field()
    status: FlagStatus = enum_field(FlagStatus, "flag_status", default=FlagStatus.OPEN)
    created_at: datetime = created_at_field()
    resolved_at: datetime | None = timestamp_field()
    resolution_reason: str | None = Field(default=None, sa_type=sa.Text)
    """What the lead said when resolving (hide or dismiss), told to the flaggers."""
    resolved_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )

    __table_args__ = (
        sa.UniqueConstraint("post_id", "user_id"),
        # A lead's flag queue: a group's open (or resolved) flags, newest first.
        sa.Index("ix_flag_queue", "group_id", "status", "created_at"),
    )


class AuditEntry(SQLModel, table=True):
    """One audited act. Rows are only ever inserted; `actor_id` survives as a plain id."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=64)
    target_type: str = Field(max_length=32)
    target_id: int | None = Field(default=None)
    group_id: int | None = Field(default=None, index=True)
    reason: str = text_field()
    detail: dict[str, object] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    before: dict[str, object] | None = Field(default=None, sa_type=sa.JSON, nullable=True)
    """The changed fields as they were (null for a creation)."""
    after: dict[str, object] | None = Field(default=None, sa_type=sa.JSON, nullable=True)
    """The changed fields as they are now (null for a removal)."""
    created_at: datetime = created_at_field()

    __table_args__ = (
        sa.Index("ix_audit_entry_created_at", "created_at"),
        sa.Index("ix_audit_entry_action", "action", "created_at"),
        # A lead's log: the entries of their groups, newest first.
        sa.Index("ix_audit_entry_group_recent", "group_id", "id"),
    )
