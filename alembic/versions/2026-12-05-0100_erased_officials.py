"""Erased officials: the status `erased` of an official whose personal data was removed
(GDPR erasure, `erfa user erase`)

Revision ID: b8d2f4a6c1e9
Revises: a6c1e5f3b7d2
Create Date: 2026-12-05 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b8d2f4a6c1e9"
down_revision: str | None = "a6c1e5f3b7d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("invited", "active", "suspended")
NEW_STATUSES = (*OLD_STATUSES, "erased")


def _statuses(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _replace_check(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_user_account_user_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_user_account_user_status"), _statuses(values)
        )


def upgrade() -> None:
    _replace_check(NEW_STATUSES)


def downgrade() -> None:
    # An erased official has no personal data left and cannot sign in: the nearest status
    # the older schema knows is `suspended`.
    user_account = sa.table("user_account", sa.column("status", sa.String()))
    op.execute(
        user_account.update().where(user_account.c.status == "erased").values(status="suspended")
    )
    _replace_check(OLD_STATUSES)
