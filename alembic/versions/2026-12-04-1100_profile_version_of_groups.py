"""Profile version of groups: what outsiders see changes apart from the activity

Revision ID: 3f9a0e7c5b21
Revises: 7d1e0c2a9b40
Create Date: 2026-12-04 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f9a0e7c5b21"
down_revision: str | None = "7d1e0c2a9b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("group", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("profile_version", sa.Integer(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("group", schema=None) as batch_op:
        batch_op.alter_column("profile_version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("group", schema=None) as batch_op:
        batch_op.drop_column("profile_version")
