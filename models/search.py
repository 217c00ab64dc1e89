"""The full-text index: one row per thread, post and resource, kept by the domain on write.

`stems` holds the Swedish Snowball stems of title and body, folded where Swedish spelling
varies (`domain/search.py`, `fold`); SQLite searches them with an FTS5 table, PostgreSQL
with `to_tsvector('simple', stems)`. Both tools are created by the migrations for their
own backend only.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import created_at_field, text_field


class SearchEntry(SQLModel, table=True):
    __tablename__ = "search_entry"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    ref_id: int = Field(nullable=False)
    group_id: int = Field(foreign_key="group.id", ondelete="CASCADE", index=True)
    thread_id: int | None = Field(default=None)
    """Where a hit leads: the thread of a post or thread; a resource's own discussion."""
    title: str = text_field()
    body: str = text_field()
    stems: str = text_field()
    updated_at: datetime = created_at_field()

    __table_args__ = (
        sa.UniqueConstraint("kind", "ref_id"),
        sa.CheckConstraint("kind IN ('thread', 'post', 'resource')", name="kind"),
    )
