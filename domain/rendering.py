"""Stored HTML made by an older renderer, rendered again from the markdown beside it.

Posts and resources keep the `renderer_version` that made their `*_html`. When
`markup.RENDERER_VERSION` goes up, `rerender_stale` brings the older rows up to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session

from domain.markup import RENDERER_VERSION, render_markdown
from models import CASE_SECTIONS, Post, Resource

# Each table with the markdown columns whose `<name>_html` it stores.
_RENDERED: tuple[tuple[sa.Table, Sequence[str]], ...] = (
    (cast(sa.Table, sa.inspect(Post).local_table), ("body",)),
    (cast(sa.Table, sa.inspect(Resource).local_table), CASE_SECTIONS),
)


def rerender_stale(session: Session, *, batch_size: int = 500) -> int:
    """Render the HTML of posts and resources made by an older renderer again; how many rows.

    Rows are read `batch_size` at a time in id order (keyset, so a table of a million posts is
    never in memory at once) and written back by id, one executemany per batch. Nothing is
    committed: that is the caller's part.

    `version` and `change_seq` stay as they are: what the author wrote did not change.
    `version` is the optimistic-lock token behind If-Match, so raising it would turn an
    author's open edit into a 412 for nothing they can see; `change_seq` orders the sync
    feed, so raising it would send every row of the forum to every consumer again after each
    renderer change. A sync consumer that keeps `body_html` therefore keeps the older
    rendering until the row next changes.

    A row whose markdown changed between the read and the write (an edit, which renders
    anew itself) is left alone and not counted. The UPDATEs bypass the session, so objects
    it has already loaded keep their old HTML until refreshed: use a session of its own.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return sum(_rerender(session, table, sources, batch_size) for table, sources in _RENDERED)


def _rerender(session: Session, table: sa.Table, sources: Sequence[str], batch_size: int) -> int:
    query = (
        sa.select(table.c.id, *(table.c[name] for name in sources))
        .where(table.c.renderer_version < RENDERER_VERSION, table.c.id > sa.bindparam("after"))
        .order_by(table.c.id)
        .limit(batch_size)
    )
    write = (
        sa.update(table)
        .where(
            table.c.id == sa.bindparam("row_id"),
            *(table.c[name] == sa.bindparam(f"was_{name}") for name in sources),
        )
        .values(
            {
                **{f"{name}_html": sa.bindparam(f"new_{name}_html") for name in sources},
                "renderer_version": RENDERER_VERSION,
            }
        )
    )
    done, after = 0, 0
    while rows := session.execute(query, {"after": after}).all():
        params: list[dict[str, Any]] = []
        for row in rows:
            values: dict[str, Any] = {"row_id": row.id}
            for name in sources:
                source = row._mapping[name]
                values[f"was_{name}"] = source
                values[f"new_{name}_html"] = render_markdown(source)
            params.append(values)
        result = cast(sa.CursorResult[Any], session.execute(write, params))
        done += result.rowcount
        after = rows[-1].id
    return done
