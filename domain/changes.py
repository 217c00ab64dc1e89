"""Change positions: the one place that says where a change stands in the sync feed.

A change (a new, edited, deleted, hidden, restored or moved post; a resource written) is
stamped with `(change_txid, change_seq)`:
- on PostgreSQL, `change_seq` comes from the sequence `change_position` and
  `change_txid` is the writing transaction's id (`pg_current_xact_id()`);
- on SQLite, writers are serialised (BEGIN IMMEDIATE), so `change_seq` comes from the
  counter row `change_counter`, taken inside the write transaction, and `change_txid` is 0.

The feed reads in `(change_txid, change_seq)` order, and on PostgreSQL only below the
fence `pg_snapshot_xmin(pg_current_snapshot())`: every transaction below it has ended, and
every transaction that has not ended will write a txid at or above it. So no change can
later appear behind a position a consumer has read past. docs/SYNC.md has the argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

_TXID = sa.text("pg_current_xact_id()::text::bigint")
_COUNTER = sa.text("UPDATE change_counter SET value = value + :n WHERE id = 1 RETURNING value")


@dataclass(frozen=True)
class Stamp:
    txid: int
    seq: int

    def values(self) -> dict[str, int]:
        return {"change_txid": self.txid, "change_seq": self.seq}


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def stamp(session: Session) -> Stamp:
    """The position of one change, taken in the writing transaction."""
    if _postgres(session):
        txid, seq = session.execute(
            sa.text("SELECT pg_current_xact_id()::text::bigint, nextval('change_position')")
        ).one()
        return Stamp(int(txid), int(seq))
    return Stamp(0, int(session.execute(_COUNTER, {"n": 1}).scalar_one()))


def apply(session: Session, entity: Any) -> None:
    """Stamp an ORM row (a Post or a Resource) with the next change position."""
    taken = stamp(session)
    entity.change_txid, entity.change_seq = taken.txid, taken.seq


def restamp(session: Session, table: sa.Table, where: sa.ColumnElement[bool]) -> None:
    """Give every row `where` selects a new change position of its own, in one statement
    (a moved discussion's posts). SQLite reserves a block of the counter for them."""
    if _postgres(session):
        session.execute(
            table.update()
            .where(where)
            .values(change_txid=_TXID, change_seq=sa.func.nextval("change_position"))
        )
        return
    ids = [row[0] for row in session.execute(sa.select(table.c.id).where(where)).all()]
    if not ids:
        return
    last = int(session.execute(_COUNTER, {"n": len(ids)}).scalar_one())
    first = last - len(ids) + 1
    session.execute(
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values(change_txid=0, change_seq=sa.bindparam("seq")),
        [{"row_id": row_id, "seq": first + n} for n, row_id in enumerate(sorted(ids))],
    )


def block(session: Session, count: int) -> list[Stamp]:
    """`count` change positions in one statement, for a batch of changes in this
    transaction (re-rendered posts)."""
    if count <= 0:
        return []
    if _postgres(session):
        rows = session.execute(
            sa.text(
                "SELECT pg_current_xact_id()::text::bigint, nextval('change_position')"
                " FROM generate_series(1, :n)"
            ),
            {"n": count},
        ).all()
        return [Stamp(int(txid), int(seq)) for txid, seq in rows]
    last = int(session.execute(_COUNTER, {"n": count}).scalar_one())
    return [Stamp(0, seq) for seq in range(last - count + 1, last + 1)]


def reserve(session: Session, count: int) -> Stamp:
    """`count` consecutive positions for bulk seeding by one writer (the CLI): the first
    of them. Not for concurrent writers on PostgreSQL, where `stamp` is the way."""
    if count <= 0:
        return stamp(session)
    if _postgres(session):
        txid, last = session.execute(
            sa.text(
                "SELECT pg_current_xact_id()::text::bigint,"
                " setval('change_position', nextval('change_position') + :n - 1)"
            ),
            {"n": count},
        ).one()
        return Stamp(int(txid), int(last) - count + 1)
    last = int(session.execute(_COUNTER, {"n": count}).scalar_one())
    return Stamp(0, last - count + 1)


@dataclass(frozen=True)
class Fence:
    """What the feed may show: txids below `below` (every transaction there has ended),
    and the reading transaction's own `txid` if it has written (it sees its own rows; a
    request of the API that reads the feed writes nothing, so there it is None)."""

    below: int
    own: int | None


def fence(session: Session) -> Fence | None:
    """The fence of the feed on PostgreSQL; None on SQLite, whose serialised writers
    commit in position order."""
    if not _postgres(session):
        return None
    below, own = session.execute(
        sa.text(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,"
            " pg_current_xact_id_if_assigned()::text::bigint"
        )
    ).one()
    return Fence(int(below), int(own) if own is not None else None)


FAR = 2**62
"""A change_seq beyond any that is ever taken."""


def horizon(session: Session) -> tuple[int, int]:
    """A feed position at or past every change that is visible now, for a consumer that
    starts from now on (a new webhook). On PostgreSQL every change below the fence is
    behind it; changes at or above the fence may come again (at least once, never lost)."""
    found = fence(session)
    if found is not None:
        return found.below - 1, FAR
    return 0, int(
        session.execute(sa.text("SELECT value FROM change_counter WHERE id = 1")).scalar_one()
    )


def visible_mark(session: Session) -> int:
    """A number that stays the same while the feed's visible rows stay the same: the fence
    on PostgreSQL (rows below it were all committed before it was taken), the counter on
    SQLite. Followers of the feed skip a round when it has not moved."""
    found = fence(session)
    if found is not None:
        return found.below
    return horizon(session)[1]
