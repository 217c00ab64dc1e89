"""Every foreign key is indexed: cascades, SET NULL and joins never scan a whole table."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel


def leading_columns(table: object) -> set[tuple[str, ...]]:
    """Column prefixes that some index, unique constraint or primary key can serve."""
    prefixes: set[tuple[str, ...]] = set()
    groups = [list(index.columns) for index in table.indexes]  # type: ignore[attr-defined]
    groups += [
        list(c.columns)
        for c in table.constraints  # type: ignore[attr-defined]
        if isinstance(c, sa.PrimaryKeyConstraint | sa.UniqueConstraint)
    ]
    for columns in groups:
        names = tuple(column.name for column in columns)
        prefixes.update(names[:n] for n in range(1, len(names) + 1))
    return prefixes


def test_every_foreign_key_leads_an_index() -> None:
    missing = []
    for table in SQLModel.metadata.sorted_tables:
        served = leading_columns(table)
        for fk in table.foreign_key_constraints:
            key = tuple(column.name for column in fk.columns)
            if key not in served:
                missing.append(f"{table.name}.{','.join(key)}")
    assert missing == []


def test_the_check_sees_an_unindexed_foreign_key() -> None:
    metadata = sa.MetaData()
    sa.Table("parent", metadata, sa.Column("id", sa.Integer, primary_key=True))
    child = sa.Table(
        "child",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.ForeignKey("parent.id")),
    )
    assert ("parent_id",) not in leading_columns(child)
