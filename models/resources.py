"""Shared models, tools, processes and research, with attachments and adoption records.

A resource's body follows the case template officials know from SKR's learning examples:
Bakgrund, Syfte och mål, Genomförande, Resultat, Lärdomar. Each section is markdown with
its sanitised HTML stored beside it.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import created_at_field, enum_field, text_field, timestamp_field
from models.enums import ResourceKind

CASE_SECTIONS = ("background", "purpose", "implementation", "results", "lessons")


class Resource(SQLModel, table=True):
    __tablename__ = "resource"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", ondelete="CASCADE")
    author_id: int = Field(foreign_key="user_account.id", ondelete="RESTRICT", index=True)
    thread_id: int | None = Field(
        default=None, foreign_key="thread.id", ondelete="SET NULL", unique=True
    )
    title: str = Field(max_length=200)
    summary: str = text_field()
    kind: ResourceKind = enum_field(ResourceKind, "resource_kind", default=ResourceKind.MODEL)
    municipality_id: int = Field(foreign_key="municipality.id", ondelete="RESTRICT", index=True)
    contact_user_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )
    contact_name: str = Field(default="", max_length=120)
    contact_email: str = Field(default="", max_length=254)
    link: str | None = Field(default=None, max_length=2000)
    background: str = text_field()
    background_html: str = text_field()
    purpose: str = text_field()
    purpose_html: str = text_field()
    implementation: str = text_field()
    implementation_html: str = text_field()
    results: str = text_field()
    results_html: str = text_field()
    lessons: str = text_field()
    lessons_html: str = text_field()
    institution: str = Field(default="", max_length=200)
    """Research: the university or institute."""
    authors: str = Field(default="", max_length=500)
    published_year: int | None = Field(default=None)
    doi: str | None = Field(default=None, max_length=200)
    implications: str = text_field()
    """Research: what it means for a municipality, in plain Swedish."""
    implications_html: str = text_field()
    theme_id: int | None = Field(
        default=None, foreign_key="theme.id", ondelete="SET NULL", index=True
    )
    renderer_version: int = Field(default=1, nullable=False)
    adoption_count: int = Field(default=0, nullable=False)
    version: int = Field(default=1, nullable=False)
    change_seq: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)
    change_txid: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
    deleted_at: datetime | None = timestamp_field()

    __table_args__ = (
        sa.Index("ix_resource_group_kind", "group_id", "kind"),
        sa.Index("ix_resource_change", "change_txid", "change_seq"),
        sa.CheckConstraint("title <> ''", name="title_not_empty"),
    )


class ResourceGoal(SQLModel, table=True):
    __tablename__ = "resource_goal"

    resource_id: int = Field(foreign_key="resource.id", ondelete="CASCADE", primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", ondelete="CASCADE", primary_key=True, index=True)


class ResourceResearch(SQLModel, table=True):
    """A practice (model, tool, process) names the research it builds on."""

    __tablename__ = "resource_research"

    practice_id: int = Field(foreign_key="resource.id", ondelete="CASCADE", primary_key=True)
    research_id: int = Field(
        foreign_key="resource.id", ondelete="CASCADE", primary_key=True, index=True
    )


class Attachment(SQLModel, table=True):
    """A file of a resource, stored outside the web root under `storage_name`."""

    __tablename__ = "attachment"

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(foreign_key="resource.id", ondelete="CASCADE", index=True)
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


class Adoption(SQLModel, table=True):
    """ "We tried this": a municipality records that it applied a resource, and how it went."""

    __tablename__ = "adoption"

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(foreign_key="resource.id", ondelete="CASCADE", index=True)
    municipality_id: int = Field(foreign_key="municipality.id", ondelete="RESTRICT", index=True)
    recorded_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )
    adopted_on: date | None = Field(default=None)
    summary: str = text_field()
    """How the municipality applied it; later reports are added as further paragraphs."""
    outcome: str = Field(default="", max_length=500)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()

    __table_args__ = (sa.UniqueConstraint("resource_id", "municipality_id"),)
