"""The association's year: events with programme, registrations and documents; research
fields and the practices that build on research; themes on discussions and resources

Revision ID: e7a3c9b5d2f1
Revises: c4f7a2e9d1b3
Create Date: 2026-12-04 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7a3c9b5d2f1"
down_revision: str | None = "c4f7a2e9d1b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = (
    "reply",
    "mention",
    "new_thread",
    "join_request",
    "join_answer",
    "flag",
    "flag_outcome",
    "post_hidden",
    "post_restored",
    "webhook_disabled",
)
NEW_KINDS = (*OLD_KINDS, "event_changed", "event_cancelled", "event_moved_up")


def _kinds(values: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "seminar",
                "workshop",
                "conference",
                "meeting",
                name="event_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("online_url", sa.String(length=2000), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("registration_closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("minutes_html", sa.Text(), nullable=False),
        sa.Column("registered_count", sa.Integer(), nullable=False),
        sa.Column("waiting_count", sa.Integer(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("renderer_version", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("title <> ''", name=op.f("ck_event_title_not_empty")),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity >= 1", name=op.f("ck_event_capacity_positive")
        ),
        sa.CheckConstraint("ends_at >= starts_at", name=op.f("ck_event_period_order")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_event_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["group.id"], name=op.f("fk_event_group_id_group"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["theme.id"], name=op.f("fk_event_theme_id_theme"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["thread.id"],
            name=op.f("fk_event_thread_id_thread"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_created_by_id"), ["created_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_group_id"), ["group_id"], unique=False)
        batch_op.create_index("ix_event_starts_at", ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_theme_id"), ["theme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_thread_id"), ["thread_id"], unique=False)

    op.create_table(
        "event_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_name", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_event_document_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_document_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_event_document_uploaded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_document")),
        sa.UniqueConstraint("storage_name", name=op.f("uq_event_document_storage_name")),
    )
    with op.batch_alter_table("event_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_document_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_event_document_uploaded_by_id"), ["uploaded_by_id"], unique=False
        )

    op.create_table(
        "event_goal",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_goal_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_event_goal_goal_id_goal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", "goal_id", name=op.f("pk_event_goal")),
    )
    with op.batch_alter_table("event_goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_goal_goal_id"), ["goal_id"], unique=False)

    op.create_table(
        "programme_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("speaker", sa.String(length=200), nullable=False),
        sa.Column("room", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_programme_item_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_item")),
    )
    with op.batch_alter_table("programme_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_item_event_id"), ["event_id"], unique=False)

    op.create_table(
        "registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "registered",
                "waiting",
                name="registration_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moved_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_registration_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_registration_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_registration_event_id_user_id")),
    )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registration_line", ["event_id", "status", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_registration_user_id"), ["user_id"], unique=False)

    op.create_table(
        "resource_research",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("research_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["resource.id"],
            name=op.f("fk_resource_research_practice_id_resource"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["research_id"],
            ["resource.id"],
            name=op.f("fk_resource_research_research_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practice_id", "research_id", name=op.f("pk_resource_research")),
    )
    with op.batch_alter_table("resource_research", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resource_research_research_id"), ["research_id"], unique=False
        )

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_notification_event_id"), ["event_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_event_id_event"),
            "event",
            ["event_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_constraint(batch_op.f("ck_notification_notification_kind"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_notification_notification_kind"), _kinds(NEW_KINDS)
        )

    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("institution", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("authors", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("published_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("doi", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("implications", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("implications_html", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("theme_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_resource_theme_id"), ["theme_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_resource_theme_id_theme"),
            "theme",
            ["theme_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("resource", schema=None) as batch_op:
        for column in ("institution", "authors", "implications", "implications_html"):
            batch_op.alter_column(column, server_default=None)

    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.add_column(sa.Column("theme_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_thread_theme_id"), ["theme_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_thread_theme_id_theme"),
            "theme",
            ["theme_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_thread_theme_id_theme"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_thread_theme_id"))
        batch_op.drop_column("theme_id")

    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_resource_theme_id_theme"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_resource_theme_id"))
        batch_op.drop_column("theme_id")
        batch_op.drop_column("implications_html")
        batch_op.drop_column("implications")
        batch_op.drop_column("doi")
        batch_op.drop_column("published_year")
        batch_op.drop_column("authors")
        batch_op.drop_column("institution")

    notification = sa.table("notification", sa.column("kind", sa.String()))
    op.execute(notification.delete().where(notification.c.kind.not_in(OLD_KINDS)))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notification_notification_kind"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_notification_notification_kind"), _kinds(OLD_KINDS)
        )
        batch_op.drop_constraint(batch_op.f("fk_notification_event_id_event"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_notification_event_id"))
        batch_op.drop_column("event_id")

    with op.batch_alter_table("resource_research", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_research_research_id"))

    op.drop_table("resource_research")
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_user_id"))
        batch_op.drop_index("ix_registration_line")

    op.drop_table("registration")
    with op.batch_alter_table("programme_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_item_event_id"))

    op.drop_table("programme_item")
    with op.batch_alter_table("event_goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_goal_goal_id"))

    op.drop_table("event_goal")
    with op.batch_alter_table("event_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_document_uploaded_by_id"))
        batch_op.drop_index(batch_op.f("ix_event_document_event_id"))

    op.drop_table("event_document")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_thread_id"))
        batch_op.drop_index(batch_op.f("ix_event_theme_id"))
        batch_op.drop_index("ix_event_starts_at")
        batch_op.drop_index(batch_op.f("ix_event_group_id"))
        batch_op.drop_index(batch_op.f("ix_event_created_by_id"))

    op.drop_table("event")
