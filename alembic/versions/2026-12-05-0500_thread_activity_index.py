"""The start page's recent activity reads discussions by their last post, across groups:
an index on (last_posted_at, id) instead of sorting every discussion on each view

Revision ID: c3e7a9d1f5b2
Revises: b8d2f4a6c1e9
Create Date: 2026-12-05 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c3e7a9d1f5b2"
down_revision: str | None = "b8d2f4a6c1e9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_thread_activity", "thread", ["last_posted_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_thread_activity", table_name="thread")
