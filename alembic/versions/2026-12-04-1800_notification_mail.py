"""Notifications by mail: each official's pace (at once, daily, weekly, off), and when a
notification was mailed

Revision ID: f2b8d4c6a9e3
Revises: e7a3c9b5d2f1
Create Date: 2026-12-04 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f2b8d4c6a9e3"
down_revision: str | None = "e7a3c9b5d2f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mail_pace",
                sa.Enum(
                    "instant",
                    "daily",
                    "weekly",
                    "off",
                    name="mail_pace",
                    native_enum=False,
                    create_constraint=True,
                    length=7,
                ),
                nullable=False,
                server_default="instant",
            )
        )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column("mail_pace", server_default=None)
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("mailed_at")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_user_account_mail_pace"), type_="check")
        batch_op.drop_column("mail_pace")
