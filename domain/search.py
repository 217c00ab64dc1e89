"""Full-text search in Swedish: "kommunernas" finds "kommun", "kafé" finds "café".

The index holds one entry per thread, post and resource, written by the services that
change them. `stems` holds the words of title and body, folded where Swedish spelling
varies (`fold`) and reduced to their Swedish Snowball stems. Both backends search those
stems, so they find the same things: SQLite with FTS5, PostgreSQL with
`to_tsvector('simple', stems)`. The FTS5 tokenizer strips every diacritic, å, ä and ö
too, so on SQLite each query stem is also looked for in `stems` as it is written.
Results only ever come from groups the reader may read. (Rows indexed before folding
came in were stemmed anew by the migration `a6c1e5f3b7d2`.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from itertools import groupby
from typing import Any

import snowballstemmer
import sqlalchemy as sa
from markdown_it import MarkdownIt
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from domain import policy
from domain.actor import Actor
from domain.errors import Invalid
from domain.markup import highlight
from models import Group, Municipality, Post, Resource, SearchEntry, Thread, User, utcnow

_WORD = re.compile(r"[^\W_]+")  # as both backends split words: "_" parts them
KINDS = ("thread", "post", "resource")
MAX_QUERY_WORDS = 20

# Swedish collation's own equivalences: æ and ø are ä and ö, ü is y. Every other accent
# is dropped (é → e), but å, ä and ö are letters of the alphabet, not accented a and o.
_NORDIC = str.maketrans({"æ": "ä", "ø": "ö", "ü": "y"})
_LETTERS = frozenset("åäö")
# "café" and "kafé", "camping" and "kamping": a c sounding k is written either way.
_HARD_C = re.compile(r"c(?=[aou])")


def fold(word: str) -> str:
    """A lower-cased word as the index keeps it: accents folded, å, ä and ö kept."""
    word = unicodedata.normalize("NFC", word.lower()).translate(_NORDIC)
    letters = (
        letter
        if letter in _LETTERS or letter.isascii()
        else "".join(
            c for c in unicodedata.normalize("NFD", letter) if not unicodedata.combining(c)
        )
        for letter in word
    )
    return _HARD_C.sub("k", "".join(letters))


@cache
def _stemmer() -> Any:
    return snowballstemmer.stemmer("swedish")


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(fold(word)))


def stems_of(text: str) -> list[str]:
    return [_stem(word) for word in _WORD.findall(text)]


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


_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
_INLINE_TEXT = {"text", "code_inline", "image"}  # an image's content is its alt text
_BREAKS = {"softbreak", "hardbreak"}


def plain_text(source: str) -> str:
    """Markdown as the text a reader sees, on one line: no `**`, `#` or link targets."""
    parts: list[str] = []
    for token in _markdown.parse(source):
        if token.type in ("fence", "code_block"):
            parts.append(token.content)
        for child in token.children or ():
            if child.type in _INLINE_TEXT:
                parts.append(child.content)
            elif child.type in _BREAKS:
                parts.append(" ")
        parts.append(" ")
    return " ".join("".join(parts).split())


EXCERPT_SOURCE = 10_000
"""Characters of an entry's text read for its excerpt: a match further in falls back to
the start, and a page of long posts stays quick to render."""


def excerpt(text: str, wanted: set[str]) -> str:
    """Escaped plain text around the first word that matches, matching words in <mark>;
    the start of the text when none does."""
    return highlight(plain_text(text[:EXCERPT_SOURCE]), lambda word: _stem(word) in wanted)


def _query_stems(q: str, kind: str | None) -> list[str]:
    stems = list(dict.fromkeys(stems_of(q)))[:MAX_QUERY_WORDS]
    if not stems:
        raise Invalid.field("q", "Search for at least one word.")
    if kind is not None and kind not in KINDS:
        raise Invalid.field("kind", "thread, post or resource")
    return stems


def _matching(
    session: Session,
    actor: Actor,
    stems: Sequence[str],
    columns: Sequence[Any],
    *,
    group: str | None,
    kind: str | None,
) -> tuple[sa.Select[Any], sa.ColumnElement[Any]]:
    """The entries that hold every stem, in groups the actor may read, and their score
    (lower is better)."""
    statement = (
        sa.select(*columns)
        .select_from(SearchEntry)
        .join(Group, col(Group.id) == SearchEntry.group_id)
        .where(policy.readable_groups_clause(actor))
    )
    if group is not None:
        statement = statement.where(col(Group.slug) == group)
    if kind is not None:
        statement = statement.where(col(SearchEntry.kind) == kind)
    if session.get_bind().dialect.name == "sqlite":
        return _fts_match(statement, stems)
    return _tsvector_match(statement, stems)


def _fts_match(
    statement: sa.Select[Any], stems: Sequence[str]
) -> tuple[sa.Select[Any], sa.ColumnElement[Any]]:
    fts = sa.table("search_fts", sa.column("rowid"), sa.column("rank"))
    match = " ".join('"' + stem.replace('"', "") + '"' for stem in stems)
    statement = statement.join(fts, fts.c.rowid == SearchEntry.id).where(
        sa.text("search_fts MATCH :match").bindparams(match=match)
    )
    # The tokenizer takes "mål" for "mal": each stem is checked as it is written.
    padded = " " + col(SearchEntry.stems) + " "
    for stem in stems:
        statement = statement.where(sa.func.instr(padded, f" {stem} ") > 0)
    return statement, fts.c.rank


def _tsvector_match(
    statement: sa.Select[Any], stems: Sequence[str]
) -> tuple[sa.Select[Any], sa.ColumnElement[Any]]:
    # Written out, not bound: so the planner matches it to the index's expression.
    simple: sa.ColumnElement[Any] = sa.literal_column("'simple'::regconfig")
    document = sa.func.to_tsvector(simple, SearchEntry.stems)
    terms = sa.func.plainto_tsquery(simple, " ".join(stems))
    return statement.where(document.op("@@")(terms)), -sa.func.ts_rank(document, terms)


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
    """Every matching thread, post and resource on its own, best matches first."""
    policy.require_signed_in(actor)
    stems = _query_stems(q, kind)
    statement, score = _matching(
        session, actor, stems, (SearchEntry, col(Group.slug)), group=group, kind=kind
    )
    rows = session.execute(statement.order_by(score).offset(offset).limit(limit)).all()
    wanted = set(stems)
    return [
        Hit(
            entry.kind,
            entry.ref_id,
            entry.title,
            excerpt(entry.body or entry.title, wanted),
            slug,
            entry.thread_id,
        )
        for entry, slug in rows
    ]


@dataclass(frozen=True)
class ResultView:
    """One discussion or resource found, shown by the entry of it that matched best.

    `kind` is that entry's: "resource" (the resource itself, `resource_kind` set),
    "post" (a post of the discussion, `id` its id) or "thread" (the discussion's title:
    `id` the thread's). `title` is the discussion's or resource's."""

    kind: str
    id: int
    title: str
    excerpt_html: str
    group_name: str
    group_slug: str
    author_name: str
    author_handle: str
    municipality: str
    municipality_slug: str
    created_at: datetime
    resource_kind: str | None


CANDIDATES = 4
"""Entries read per discussion to choose what shows it: its resource and thread entries,
then its best-scoring posts."""


def search_by_discussion(
    session: Session,
    actor: Actor,
    *,
    q: str,
    group: str | None = None,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 20,
) -> list[ResultView]:
    """Each discussion (with its resource, if it is one's) found once, best first.

    It shows as its resource when that matched; else as its best-scoring post that
    matched in its own text; else by its title. One statement, however many are found."""
    policy.require_signed_in(actor)
    stems = _query_stems(q, kind)
    rows = session.execute(_grouped(session, actor, stems, group, kind, offset, limit)).all()
    wanted = set(stems)
    return [
        _result(_representative(list(candidates), wanted), wanted)
        for _, candidates in groupby(rows, key=lambda row: row.place)
    ]


def _grouped(
    session: Session,
    actor: Actor,
    stems: Sequence[str],
    group: str | None,
    kind: str | None,
    offset: int,
    limit: int,
) -> sa.Select[Any]:
    # A discussion is its thread; a resource without one stands alone.
    discussion = sa.case(
        (col(SearchEntry.thread_id).is_not(None), col(SearchEntry.thread_id)),
        else_=-col(SearchEntry.id),
    )
    statement, score = _matching(
        session,
        actor,
        stems,
        (col(SearchEntry.id).label("entry_id"), col(SearchEntry.kind).label("kind")),
        group=group,
        kind=kind,
    )
    matched = statement.add_columns(discussion.label("discussion"), score.label("score")).subquery(
        "matched"
    )
    ranked = sa.select(
        matched.c.entry_id,
        matched.c.discussion,
        sa.func.row_number()
        .over(
            partition_by=matched.c.discussion,
            order_by=(matched.c.kind == "post", matched.c.score, matched.c.entry_id),
        )
        .label("candidate"),
        sa.func.min(matched.c.score).over(partition_by=matched.c.discussion).label("best"),
    ).subquery("ranked")
    placed = (
        sa.select(
            ranked.c.entry_id,
            ranked.c.candidate,
            sa.func.dense_rank().over(order_by=(ranked.c.best, ranked.c.discussion)).label("place"),
        )
        .where(ranked.c.candidate <= CANDIDATES)
        .subquery("placed")
    )
    return _with_details(placed, offset, limit)


def _with_details(placed: Any, offset: int, limit: int) -> sa.Select[Any]:
    """The placed entries with what a result shows: group, author, date and text."""
    opening = aliased(Post)
    ref, kind = col(SearchEntry.ref_id), col(SearchEntry.kind)
    author_id = sa.func.coalesce(Post.author_id, Thread.author_id, Resource.author_id)
    opening_post = sa.and_(
        kind == "thread",
        col(opening.thread_id) == ref,
        col(opening.position) == 1,
        col(opening.deleted_at).is_(None),
        col(opening.hidden_at).is_(None),
    )
    return (
        sa.select(placed.c.place, *_shown(opening))
        .select_from(placed)
        .join(SearchEntry, col(SearchEntry.id) == placed.c.entry_id)
        .join(Group, col(Group.id) == SearchEntry.group_id)
        .outerjoin(Post, sa.and_(kind == "post", col(Post.id) == ref))
        .outerjoin(Thread, sa.and_(kind == "thread", col(Thread.id) == ref))
        .outerjoin(Resource, sa.and_(kind == "resource", col(Resource.id) == ref))
        .outerjoin(opening, opening_post)
        .join(User, col(User.id) == author_id)
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(placed.c.place > offset, placed.c.place <= offset + limit)
        .order_by(placed.c.place, placed.c.candidate)
    )


def _shown(opening: Any) -> list[sa.ColumnElement[Any]]:
    created_at = sa.func.coalesce(Post.created_at, Thread.created_at, Resource.created_at)
    return [
        col(SearchEntry.kind).label("kind"),
        col(SearchEntry.ref_id).label("ref_id"),
        col(SearchEntry.title).label("title"),
        sa.func.substr(SearchEntry.body, 1, EXCERPT_SOURCE).label("body"),
        col(SearchEntry.stems).label("stems"),
        sa.func.substr(opening.body, 1, EXCERPT_SOURCE).label("opening"),
        col(Group.name).label("group_name"),
        col(Group.slug).label("group_slug"),
        col(User.name).label("author_name"),
        col(User.handle).label("author_handle"),
        col(Municipality.name).label("municipality"),
        col(Municipality.slug).label("municipality_slug"),
        created_at.label("created_at"),
        col(Resource.kind).label("resource_kind"),
    ]


def _representative(candidates: list[sa.Row[Any]], wanted: set[str]) -> sa.Row[Any]:
    for row in candidates:
        if row.kind == "resource":
            return row
    for row in candidates:
        if row.kind == "post" and _body_matches(row, wanted):
            return row
    for row in candidates:
        if row.kind == "thread":
            return row
    return candidates[0]


def _body_matches(row: sa.Row[Any], wanted: set[str]) -> bool:
    """Whether a post matched in its own text, not only in its discussion's title: its
    stems are the title's, then the body's."""
    body_stems = row.stems.split()[len(_WORD.findall(row.title)) :]
    return not wanted.isdisjoint(body_stems)


def _result(row: sa.Row[Any], wanted: set[str]) -> ResultView:
    text = row.opening if row.kind == "thread" else row.body
    return ResultView(
        kind=row.kind,
        id=row.ref_id,
        title=row.title,
        excerpt_html=excerpt(text or row.title, wanted),
        group_name=row.group_name,
        group_slug=row.group_slug,
        author_name=row.author_name,
        author_handle=row.author_handle,
        municipality=row.municipality,
        municipality_slug=row.municipality_slug,
        created_at=row.created_at,
        resource_kind=row.resource_kind.value if row.resource_kind is not None else None,
    )
