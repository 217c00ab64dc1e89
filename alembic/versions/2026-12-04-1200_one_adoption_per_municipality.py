"""One adoption per resource and municipality: later reports add to it

Revision ID: 9e4b7a2c6d13
Revises: 3f9a0e7c5b21
Create Date: 2026-12-04 12:00:00

Adoptions recorded more than once by the same municipality are merged into its first:
their summaries become paragraphs of one, the latest outcome and the earliest date stay,
and each resource's adoption count is counted again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9e4b7a2c6d13"
down_revision: str | None = "3f9a0e7c5b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

adoption = sa.table(
    "adoption",
    sa.column("id", sa.Integer),
    sa.column("resource_id", sa.Integer),
    sa.column("municipality_id", sa.Integer),
    sa.column("adopted_on", sa.Date),
    sa.column("summary", sa.Text),
    sa.column("outcome", sa.String),
)
resource = sa.table(
    "resource", sa.column("id", sa.Integer), sa.column("adoption_count", sa.Integer)
)


def _merge_duplicates() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(adoption).order_by(
            adoption.c.resource_id, adoption.c.municipality_id, adoption.c.id
        )
    ).all()
    groups: dict[tuple[int, int], list[sa.Row]] = {}
    for row in rows:
        groups.setdefault((row.resource_id, row.municipality_id), []).append(row)
    for same in groups.values():
        if len(same) < 2:
            continue
        first, rest = same[0], same[1:]
        dates = [row.adopted_on for row in same if row.adopted_on is not None]
        outcomes = [row.outcome for row in same if row.outcome]
        connection.execute(
            sa.update(adoption)
            .where(adoption.c.id == first.id)
            .values(
                summary="\n\n".join(row.summary for row in same if row.summary),
                outcome=outcomes[-1] if outcomes else "",
                adopted_on=min(dates) if dates else None,
            )
        )
        connection.execute(sa.delete(adoption).where(adoption.c.id.in_([row.id for row in rest])))
    counted = (
        sa.select(sa.func.count())
        .select_from(adoption)
        .where(adoption.c.resource_id == resource.c.id)
        .scalar_subquery()
    )
    connection.execute(sa.update(resource).values(adoption_count=counted))


def upgrade() -> None:
    _merge_duplicates()
    with op.batch_alter_table("adoption", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_adoption_resource_id_municipality_id"),
            ["resource_id", "municipality_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("adoption", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_adoption_resource_id_municipality_id"), type_="unique"
        )
        batch_op.drop_column("updated_at")
