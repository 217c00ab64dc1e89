"""Full-text search in Swedish: "kommunernas" finds "kommun".

The index holds one entry per thread, post and resource, written by the services that
change them. Words are reduced to their Swedish Snowball stems: SQLite searches the stems
with FTS5, PostgreSQL uses its own `swedish` text search configuration (also Snowball).
Results only ever come from groups the reader may read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import snowballstemmer
import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import policy
from domain.actor import Actor
from domain.errors import Invalid
from domain.markup import highlight
from models import Group, SearchEntry, utcnow

_WORD = re.compile(r"\w+", re.UNICODE)
KINDS = ("thread", "post", "resource")


@cache
def _stemmer() -> Any:
    return snowballstemmer.stemmer("swedish")


def stems_of(text: str) -> list[str]:
    words = [word.lower() for word in _WORD.findall(text)]
    return list(_stemmer().stemWords(words))


def index(
    session: Session,
    *,
    kind: str,
    ref_id: int,
    group_id: int,
    thread_id: int | None,
    title: str,
    body: str,
) -> None:
    """Add or refresh one entry of the index."""
    entry = session.exec(
        select(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.ref_id == ref_id)
    ).first()
    stems = " ".join(stems_of(f"{title} {body}"))
    if entry is None:
        session.add(
            SearchEntry(
                kind=kind,
                ref_id=ref_id,
                group_id=group_id,
                thread_id=thread_id,
                title=title,
                body=body,
                stems=stems,
            )
        )
        return
    entry.group_id, entry.thread_id, entry.title, entry.body = group_id, thread_id, title, body
    entry.stems, entry.updated_at = stems, utcnow()


def unindex(session: Session, *, kind: str, ref_id: int) -> None:
    session.execute(
        sa.delete(SearchEntry).where(
            col(SearchEntry.kind) == kind, col(SearchEntry.ref_id) == ref_id
        )
    )


def move(session: Session, *, thread_id: int, group_id: int) -> None:
    session.execute(
        sa.update(SearchEntry)
        .where(col(SearchEntry.thread_id) == thread_id)
        .values(group_id=group_id)
    )


@dataclass(frozen=True)
class Hit:
    kind: str
    id: int
    title: str
    snippet_html: str
    group: str
    thread_id: int | None


def search(
    session: Session,
    actor: Actor,
    *,
    q: str,
    group: str | None = None,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 20,
) -> list[Hit]:
    policy.require_signed_in(actor)
    query_stems = stems_of(q)[:20]
    if not query_stems:
        raise Invalid.field("q", "Search for at least one word.")
    if kind is not None and kind not in KINDS:
        raise Invalid.field("kind", "thread, post or resource")
    statement = (
        select(SearchEntry, col(Group.slug))
        .join(Group, col(Group.id) == SearchEntry.group_id)
        .where(policy.readable_groups_clause(actor))
    )
    if session.get_bind().dialect.name == "sqlite":
        fts = sa.table("search_fts", sa.column("rowid"), sa.column("rank"))
        match = " ".join('"' + stem.replace('"', "") + '"' for stem in query_stems)
        statement = (
            statement.join(fts, fts.c.rowid == SearchEntry.id)
            .where(sa.text("search_fts MATCH :match").bindparams(match=match))
            .order_by(fts.c.rank)
        )
    else:
        document = sa.func.to_tsvector("swedish", SearchEntry.title + " " + SearchEntry.body)
        terms = sa.func.plainto_tsquery("swedish", q[:500])
        statement = statement.where(document.op("@@")(terms)).order_by(
            sa.func.ts_rank(document, terms).desc()
        )
    if group is not None:
        statement = statement.where(Group.slug == group)
    if kind is not None:
        statement = statement.where(SearchEntry.kind == kind)
    rows = session.exec(statement.offset(offset).limit(limit)).all()
    wanted = set(query_stems)
    return [
        Hit(
            entry.kind,
            entry.ref_id,
            entry.title,
            highlight(entry.body, lambda word: _stemmer().stemWord(word.lower()) in wanted),
            slug,
            entry.thread_id,
        )
        for entry, slug in rows
    ]
