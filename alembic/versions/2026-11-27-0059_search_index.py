"""The full-text index: a table kept by the domain, and each backend's search tool.

SQLite gets an FTS5 table over the Swedish stems, kept in step by triggers; PostgreSQL
gets a GIN index over to_tsvector('swedish', title || ' ' || body).

Revision ID: 588df0b90db3
Revises: fd41155c81cb
Create Date: 2026-11-27 00:59:49.967537
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "588df0b90db3"
down_revision: str | None = "fd41155c81cb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("stems", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('thread', 'post', 'resource')", name=op.f("ck_search_entry_kind")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["group.id"],
            name=op.f("fk_search_entry_group_id_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_entry")),
        sa.UniqueConstraint("kind", "ref_id", name=op.f("uq_search_entry_kind_ref_id")),
    )
    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_entry_group_id"), ["group_id"], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "stems, content='search_entry', content_rowid='id', tokenize='unicode61')"
        )
        op.execute(
            "CREATE TRIGGER search_fts_insert AFTER INSERT ON search_entry BEGIN "
            "INSERT INTO search_fts(rowid, stems) VALUES (new.id, new.stems); END"
        )
        op.execute(
            "CREATE TRIGGER search_fts_delete AFTER DELETE ON search_entry BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, stems) VALUES ('delete', old.id, old.stems); END"
        )
        op.execute(
            "CREATE TRIGGER search_fts_update AFTER UPDATE ON search_entry BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, stems) VALUES ('delete', old.id, old.stems); "
            "INSERT INTO search_fts(rowid, stems) VALUES (new.id, new.stems); END"
        )
    else:
        op.execute(
            "CREATE INDEX ix_search_entry_fulltext ON search_entry "
            "USING gin (to_tsvector('swedish', title || ' ' || body))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_fts_insert", "search_fts_delete", "search_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_entry_fulltext")
    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_entry_group_id"))

    op.drop_table("search_entry")
