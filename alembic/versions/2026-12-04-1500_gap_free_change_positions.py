"""Gap-free change positions: the writing transaction's id beside each change position,
a sequence on PostgreSQL and a counter row on SQLite (docs/SYNC.md)

Revision ID: b8e3d6f1a2c5
Revises: a1c4e9f27b63
Create Date: 2026-12-04 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b8e3d6f1a2c5"
down_revision: str | None = "a1c4e9f27b63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("post", "resource")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("change_txid", sa.BigInteger(), nullable=False, server_default="0")
            )
            batch_op.drop_index(f"ix_{table}_change_seq")
            batch_op.create_index(f"ix_{table}_change", ["change_txid", "change_seq"])
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("change_txid", server_default=None)
    op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_counter")),
    )
    bind = op.get_bind()
    top = bind.execute(
        sa.text(
            "SELECT max(m) FROM (SELECT coalesce(max(change_seq), 0) AS m FROM post"
            " UNION ALL SELECT coalesce(max(change_seq), 0) FROM resource) AS tops"
        )
    ).scalar_one()
    bind.execute(sa.text("INSERT INTO change_counter (id, value) VALUES (1, :v)"), {"v": top})
    if bind.dialect.name == "postgresql":
        op.execute(f"CREATE SEQUENCE change_position START WITH {int(top) + 1}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE change_position")
    op.drop_table("change_counter")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_change")
            batch_op.create_index(f"ix_{table}_change_seq", ["change_seq"])
            batch_op.drop_column("change_txid")
