"""Threads, posts and the edit history of posts.

`post.change_seq` orders the sync feed: every write that changes what a consumer sees
(create, edit, delete, hide, restore) gives the post a new, higher value.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from models.accounts import User
from models.base import created_at_field, text_field, timestamp_field


class Thread(SQLModel, table=True):
    """A discussion. The list columns (`post_count`, `last_*`) are denormalised."""

    __tablename__ = "thread"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", ondelete="CASCADE")
    author_id: int = Field(foreign_key="user_account.id", ondelete="RESTRICT", index=True)
    title: str = Field(max_length=200)
    pinned: bool = Field(default=False)
    locked: bool = Field(default=False)
    lock_reason: str | None = Field(default=None, sa_type=sa.Text)
    """Why the leads locked it, shown in the discussion."""
    slow_mode_s: int = Field(default=0, nullable=False)
    """Slow mode: seconds one member waits between posts here (0 = off)."""
    moved_from_group_id: int | None = Field(
        default=None, foreign_key="group.id", ondelete="SET NULL", index=True
    )
    """The group the discussion was last moved out of, shown in the discussion."""
    moved_at: datetime | None = timestamp_field()
    theme_id: int | None = Field(
        default=None, foreign_key="theme.id", ondelete="SET NULL", index=True
    )
    post_count: int = Field(default=0, nullable=False)
    last_posted_at: datetime = created_at_field()
    last_poster_name: str = Field(default="", max_length=120)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
    version: int = Field(default=1, nullable=False)

    author: User = Relationship(sa_relationship_kwargs={"lazy": "raise"})

    __table_args__ = (
        # The group page: pinned first, then by last activity.
        sa.Index("ix_thread_group_activity", "group_id", "pinned", "last_posted_at"),
        # The start page's recent activity across groups: the latest first, read in order.
        sa.Index("ix_thread_activity", "last_posted_at", "id"),
        sa.CheckConstraint("title <> ''", name="title_not_empty"),
        sa.CheckConstraint("post_count >= 0", name="post_count_not_negative"),
        sa.CheckConstraint("slow_mode_s BETWEEN 0 AND 86400", name="slow_mode_range"),
    )


class ThreadRead(SQLModel, table=True):
    """How far an official has read a discussion: the highest post position they were shown."""

    __tablename__ = "thread_read"

    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", primary_key=True)
    thread_id: int = Field(
        foreign_key="thread.id", ondelete="CASCADE", primary_key=True, index=True
    )
    last_read_position: int = Field(nullable=False)
    updated_at: datetime = created_at_field()

    __table_args__ = (sa.CheckConstraint("last_read_position >= 0", name="position_not_negative"),)


class ThreadGoal(SQLModel, table=True):
    __tablename__ = "thread_goal"

    thread_id: int = Field(foreign_key="thread.id", ondelete="CASCADE", primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", ondelete="CASCADE", primary_key=True, index=True)


class Post(SQLModel, table=True):
    """A post: markdown `body` beside the sanitised `body_html` made from it on write."""

    __tablename__ = "post"

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="thread.id", ondelete="CASCADE")
    author_id: int = Field(foreign_key="user_account.id", ondelete="RESTRICT", index=True)
    position: int = Field(nullable=False)
    reply_to_id: int | None = Field(
        default=None, foreign_key="post.id", ondelete="SET NULL", index=True
    )
    body: str = text_field()
    body_html: str = text_field()
    renderer_version: int = Field(default=1, nullable=False)
    version: int = Field(default=1, nullable=False)
    change_seq: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)
    change_txid: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)
    """The writing transaction's id on PostgreSQL (0 on SQLite): the sync feed's fence
    (`domain/changes.py`, docs/SYNC.md)."""
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
    edited_at: datetime | None = timestamp_field()
    deleted_at: datetime | None = timestamp_field()
    hidden_at: datetime | None = timestamp_field()
    hidden_reason: str | None = Field(default=None, sa_type=sa.Text)
    hidden_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )

    author: User = Relationship(
        sa_relationship_kwargs={"lazy": "raise", "foreign_keys": "[Post.author_id]"}
    )

    __table_args__ = (
        # Posts of a thread in order; also makes positions unique within a thread.
        sa.UniqueConstraint("thread_id", "position"),
        # The sync feed's change order.
        sa.Index("ix_post_change", "change_txid", "change_seq"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )


class PostRevision(SQLModel, table=True):
    """The body of a post as it was before an edit raised it to the next version."""

    __tablename__ = "post_revision"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", ondelete="CASCADE")
    version: int = Field(nullable=False)
    body: str = text_field()
    edited_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )
    created_at: datetime = created_at_field()

    __table_args__ = (sa.UniqueConstraint("post_id", "version"),)
