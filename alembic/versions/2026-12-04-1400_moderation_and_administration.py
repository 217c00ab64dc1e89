"""Moderation and administration: lock reasons, slow mode, moves, archiving, flag outcomes,
audit before/after, notification kinds, municipality years and representatives, theme
periods, activity counters

Themes get a period of dates (`2018-01-01`–`2019-12-31`) made from their years.

Revision ID: a1c4e9f27b63
Revises: 5c2e8d1f4a97
Create Date: 2026-12-04 14:00:00
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "a1c4e9f27b63"
down_revision: str | None = "5c2e8d1f4a97"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = ("reply", "mention", "new_thread", "join_request", "flag")
NEW_KINDS = (
    "reply",
    "mention",
    "new_thread",
    "join_request",
    "join_answer",
    "flag",
    "flag_outcome",
    "post_hidden",
    "post_restored",
)

theme = sa.table(
    "theme",
    sa.column("id", sa.Integer()),
    sa.column("year_start", sa.Integer()),
    sa.column("year_end", sa.Integer()),
    sa.column("starts_on", sa.Date()),
    sa.column("ends_on", sa.Date()),
)


def _kinds(values: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lock_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("slow_mode_s", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("moved_from_group_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_thread_moved_from_group_id_group"),
            "group",
            ["moved_from_group_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_thread_moved_from_group_id"), ["moved_from_group_id"], unique=False
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_thread_slow_mode_range"), "slow_mode_s BETWEEN 0 AND 86400"
        )
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.alter_column("slow_mode_s", server_default=None)

    with op.batch_alter_table("group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolution_reason", sa.Text(), nullable=True))
        batch_op.drop_index("ix_flag_group_status")
        batch_op.create_index("ix_flag_queue", ["group_id", "status", "created_at"], unique=False)

    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("before", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("after", sa.JSON(), nullable=True))
        batch_op.create_index("ix_audit_entry_action", ["action", "created_at"], unique=False)
        batch_op.create_index("ix_audit_entry_group_recent", ["group_id", "id"], unique=False)

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notification_notification_kind"), type_="check")
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=12), type_=sa.String(length=13)
        )
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_notification_notification_kind"), _kinds(NEW_KINDS)
        )

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("is_representative", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            batch_op.f("ix_user_account_last_active_at"), ["last_active_at"], unique=False
        )
        batch_op.create_index(
            "uq_user_account_representative",
            ["municipality_id"],
            unique=True,
            sqlite_where=sa.text("is_representative"),
            postgresql_where=sa.text("is_representative"),
        )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column("is_representative", server_default=None)

    op.create_table(
        "municipality_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "invoiced",
                "paid",
                "not_member",
                name="fee_status",
                native_enum=False,
                create_constraint=True,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("fee_sek", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "year BETWEEN 2000 AND 2200", name=op.f("ck_municipality_year_year_range")
        ),
        sa.CheckConstraint("fee_sek >= 0", name=op.f("ck_municipality_year_fee_not_negative")),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_municipality_year_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_municipality_year")),
        sa.UniqueConstraint(
            "municipality_id", "year", name=op.f("uq_municipality_year_municipality_id_year")
        ),
    )

    op.create_table(
        "activity_month",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("threads", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "posts >= 0 AND threads >= 0", name=op.f("ck_activity_month_counts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["group.id"],
            name=op.f("fk_activity_month_group_id_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_activity_month_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "group_id", "municipality_id", "month", name=op.f("pk_activity_month")
        ),
    )
    op.create_index(
        op.f("ix_activity_month_municipality_id"), "activity_month", ["municipality_id"]
    )
    op.create_index("ix_activity_month_month", "activity_month", ["month"])

    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))
    bind = op.get_bind()
    for row in bind.execute(sa.select(theme.c.id, theme.c.year_start, theme.c.year_end)).all():
        start = row.year_start or row.year_end or 2018
        end = row.year_end or start
        bind.execute(
            theme.update()
            .where(theme.c.id == row.id)
            .values(starts_on=date(start, 1, 1), ends_on=date(end, 12, 31))
        )
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_theme_year_order"), type_="check")
        batch_op.drop_column("year_end")
        batch_op.drop_column("year_start")
        batch_op.alter_column("starts_on", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("ends_on", existing_type=sa.Date(), nullable=False)
        batch_op.create_check_constraint(
            batch_op.f("ck_theme_period_order"), "ends_on >= starts_on"
        )
        batch_op.create_index("ix_theme_period", ["starts_on", "ends_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("year_start", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("year_end", sa.Integer(), nullable=True))
    bind = op.get_bind()
    for row in bind.execute(sa.select(theme.c.id, theme.c.starts_on, theme.c.ends_on)).all():
        bind.execute(
            theme.update()
            .where(theme.c.id == row.id)
            .values(year_start=row.starts_on.year, year_end=row.ends_on.year)
        )
    with op.batch_alter_table("theme", schema=None) as batch_op:
        batch_op.drop_index("ix_theme_period")
        batch_op.drop_constraint(batch_op.f("ck_theme_period_order"), type_="check")
        batch_op.drop_column("ends_on")
        batch_op.drop_column("starts_on")
        batch_op.create_check_constraint(
            batch_op.f("ck_theme_year_order"),
            "year_end IS NULL OR year_start IS NULL OR year_end >= year_start",
        )

    op.drop_index("ix_activity_month_month", table_name="activity_month")
    op.drop_index(op.f("ix_activity_month_municipality_id"), table_name="activity_month")
    op.drop_table("activity_month")
    op.drop_table("municipality_year")

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index("uq_user_account_representative")
        batch_op.drop_index(batch_op.f("ix_user_account_last_active_at"))
        batch_op.drop_column("is_representative")
        batch_op.drop_column("last_active_at")

    notification = sa.table("notification", sa.column("kind", sa.String()))
    op.execute(notification.delete().where(notification.c.kind.not_in(OLD_KINDS)))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notification_notification_kind"), type_="check")
        batch_op.drop_column("outcome")
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=13), type_=sa.String(length=12)
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_notification_notification_kind"), _kinds(OLD_KINDS)
        )

    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_group_recent")
        batch_op.drop_index("ix_audit_entry_action")
        batch_op.drop_column("after")
        batch_op.drop_column("before")

    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.drop_index("ix_flag_queue")
        batch_op.create_index("ix_flag_group_status", ["group_id", "status"], unique=False)
        batch_op.drop_column("resolution_reason")

    with op.batch_alter_table("group", schema=None) as batch_op:
        batch_op.drop_column("archived_at")

    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_thread_slow_mode_range"), type_="check")
        batch_op.drop_index(batch_op.f("ix_thread_moved_from_group_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_thread_moved_from_group_id_group"), type_="foreignkey"
        )
        batch_op.drop_column("moved_at")
        batch_op.drop_column("moved_from_group_id")
        batch_op.drop_column("slow_mode_s")
        batch_op.drop_column("lock_reason")
