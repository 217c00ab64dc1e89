"""Search where Swedish spelling varies: every entry's stems folded (kafé and café, é and
e; å, ä and ö kept), and PostgreSQL's index over those stems

Revision ID: a6c1e5f3b7d2
Revises: f2b8d4c6a9e3
Create Date: 2026-12-04 19:00:00
"""

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

import snowballstemmer
import sqlalchemy as sa
from alembic import op

revision: str = "a6c1e5f3b7d2"
down_revision: str | None = "f2b8d4c6a9e3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000
"""Entries read and written back at a time, in id order."""

# A copy of `domain/search.py`'s folding as it was when this migration was written: a
# migration does not import the domain, which may change after it.
_NORDIC = str.maketrans({"æ": "ä", "ø": "ö", "ü": "y"})
_LETTERS = frozenset("åäö")
_HARD_C = re.compile(r"c(?=[aou])")
_FOLDED_WORD = re.compile(r"[^\W_]+")
_OLD_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMER = snowballstemmer.stemmer("swedish")

entries = sa.table(
    "search_entry",
    sa.column("id", sa.Integer()),
    sa.column("title", sa.Text()),
    sa.column("body", sa.Text()),
    sa.column("stems", sa.Text()),
)


def _fold(word: str) -> str:
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


@lru_cache(maxsize=100_000)
def _folded_stem(word: str) -> str:
    return str(_STEMMER.stemWord(_fold(word)))


def _folded(text: str) -> str:
    return " ".join(_folded_stem(word) for word in _FOLDED_WORD.findall(text))


def _unfolded(text: str) -> str:
    return " ".join(_STEMMER.stemWords([word.lower() for word in _OLD_WORD.findall(text)]))


def _restem(stems_of: Callable[[str], str]) -> None:
    """Write every entry's stems anew, a batch at a time (SQLite's triggers keep its FTS
    table in step)."""
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(entries.c.id, entries.c.title, entries.c.body)
            .where(entries.c.id > after)
            .order_by(entries.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            entries.update()
            .where(entries.c.id == sa.bindparam("entry_id"))
            .values(stems=sa.bindparam("new_stems")),
            [
                {"entry_id": entry_id, "new_stems": stems_of(f"{title} {body}")}
                for entry_id, title, body in rows
            ],
        )
        after = rows[-1][0]


def upgrade() -> None:
    _restem(_folded)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_entry_fulltext")
        op.execute(
            "CREATE INDEX ix_search_entry_fulltext ON search_entry "
            "USING gin (to_tsvector('simple'::regconfig, stems))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_entry_fulltext")
        op.execute(
            "CREATE INDEX ix_search_entry_fulltext ON search_entry "
            "USING gin (to_tsvector('swedish', title || ' ' || body))"
        )
    _restem(_unfolded)
