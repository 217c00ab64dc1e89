"""Read markers of discussions

Revision ID: c931b18a41d4
Revises: 588df0b90db3
Create Date: 2026-11-27 02:13:55.285854
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c931b18a41d4"
down_revision: str | None = "588df0b90db3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "thread_read",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("last_read_position", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "last_read_position >= 0", name=op.f("ck_thread_read_position_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["thread.id"],
            name=op.f("fk_thread_read_thread_id_thread"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_thread_read_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "thread_id", name=op.f("pk_thread_read")),
    )
    with op.batch_alter_table("thread_read", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_thread_read_thread_id"), ["thread_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("thread_read", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thread_read_thread_id"))

    op.drop_table("thread_read")
