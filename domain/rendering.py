"""Stored HTML made by an older renderer, rendered again from the markdown beside it.

Posts, resources and events keep the `renderer_version` that made their `*_html`. When
`markup.RENDERER_VERSION` goes up, `rerender_stale` brings the older rows up to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session

from domain import changes
from domain.markup import RENDERER_VERSION, render_markdown
from models import CASE_SECTIONS, Event, Post, Resource

# Each table with the markdown columns whose `<name>_html` it stores. A research item's
# "what it means for a municipality" is markdown beside the case sections.
_RENDERED: tuple[tuple[sa.Table, Sequence[str]], ...] = (
    (cast(sa.Table, sa.inspect(Post).local_table), ("body",)),
    (cast(sa.Table, sa.inspect(Resource).local_table), (*CASE_SECTIONS, "implications")),
    (cast(sa.Table, sa.inspect(Event).local_table), ("description", "minutes")),
)
_IN_FEED = frozenset({"post", "resource"})
"""Tables whose rows have a position in the change feed (an event has none)."""


def rerender_stale(session: Session, *, batch_size: int = 500) -> int:
    """Render the HTML of posts and resources made by an older renderer again; how many rows.

    Rows are read `batch_size` at a time in id order (keyset, so a table of a million posts is
    never in memory at once) and written back by id, one executemany per batch. Nothing is
    committed: that is the caller's part.

    A row whose HTML comes out different is a change readers and integrators must see: it
    gets a new `version` (so a cached ETag does not answer 304 with the old HTML, and an edit
    form opened before is told the post changed) and a new `change_seq` (so the sync feed
    sends it again). A row whose HTML comes out the same only records the new renderer.

    A row whose markdown changed between the read and the write (an edit, which renders
    anew itself) is left alone and not counted. The UPDATEs bypass the session, so objects
    it has already loaded keep their old HTML until refreshed: use a session of its own.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return sum(_rerender(session, table, sources, batch_size) for table, sources in _RENDERED)


def _rerender(session: Session, table: sa.Table, sources: Sequence[str], batch_size: int) -> int:
    query = (
        sa.select(
            table.c.id,
            *(table.c[name] for name in sources),
            *(table.c[f"{name}_html"] for name in sources),
        )
        .where(table.c.renderer_version < RENDERER_VERSION, table.c.id > sa.bindparam("after"))
        .order_by(table.c.id)
        .limit(batch_size)
    )
    unchanged_source = [table.c[name] == sa.bindparam(f"was_{name}") for name in sources]
    in_feed = table.name in _IN_FEED
    position: dict[str, Any] = (
        {
            "change_seq": sa.bindparam("new_change_seq"),
            "change_txid": sa.bindparam("new_change_txid"),
        }
        if in_feed
        else {}
    )
    changed = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"), *unchanged_source)
        .values(
            {
                **{f"{name}_html": sa.bindparam(f"new_{name}_html") for name in sources},
                "renderer_version": RENDERER_VERSION,
                "version": table.c.version + 1,
                **position,
            }
        )
    )
    same = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"), *unchanged_source)
        .values(renderer_version=RENDERER_VERSION)
    )
    done, after = 0, 0
    while rows := session.execute(query, {"after": after}).all():
        new_html: list[dict[str, Any]] = []
        kept_html: list[dict[str, Any]] = []
        for row in rows:
            values: dict[str, Any] = {"row_id": row.id}
            differs = False
            for name in sources:
                source = row._mapping[name]
                values[f"was_{name}"] = source
                values[f"new_{name}_html"] = html = render_markdown(source)
                differs = differs or html != row._mapping[f"{name}_html"]
            (new_html if differs else kept_html).append(values)
        if new_html and in_feed:
            for values, taken in zip(new_html, changes.block(session, len(new_html)), strict=True):
                values["new_change_seq"], values["new_change_txid"] = taken.seq, taken.txid
        if new_html:
            done += cast(sa.CursorResult[Any], session.execute(changed, new_html)).rowcount
        if kept_html:
            done += cast(sa.CursorResult[Any], session.execute(same, kept_html)).rowcount
        after = rows[-1].id
    return done
