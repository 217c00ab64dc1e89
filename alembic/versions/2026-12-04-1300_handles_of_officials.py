"""Handles of officials: mentions are @handle, never an email address

Every existing official gets a handle made from their name, folded to ASCII the way
`domain/handles.py` does it (copied here: migrations never import the application); names
that fold to fewer than two characters get `official-<id>`, and collisions `-2`, `-3`, …
in the order the officials joined.

Revision ID: 5c2e8d1f4a97
Revises: 9e4b7a2c6d13
Create Date: 2026-12-04 13:00:00
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c2e8d1f4a97"
down_revision: str | None = "9e4b7a2c6d13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_LENGTH = 30

user_account = sa.table(
    "user_account",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("handle", sa.String()),
)

_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ð": "d", "ł": "l", "þ": "th"}
)


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.lower().translate(_LETTERS))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['’`´]", "", text)
    text = re.sub(r"[^a-z0-9-]+", ".", text)
    text = re.sub(r"[.-]*-[.-]*", "-", text)
    text = re.sub(r"\.{2,}", ".", text)
    return text[:MAX_LENGTH].strip(".-")


def _pick(base: str, held: set[str]) -> str:
    candidate, n = base, 1
    while candidate in held:
        n += 1
        candidate = base[: MAX_LENGTH - len(f"-{n}")].rstrip(".-") + f"-{n}"
    return candidate


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handle", sa.String(length=30), nullable=True))

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(user_account.c.id, user_account.c.name).order_by(user_account.c.id)
    ).all()
    held: set[str] = set()
    handles = []
    for user_id, name in rows:
        folded = _fold(name or "")
        handle = _pick(folded if len(folded) >= 2 else f"official-{user_id}", held)
        held.add(handle)
        handles.append({"user_id": user_id, "new_handle": handle})
    if handles:
        connection.execute(
            user_account.update()
            .where(user_account.c.id == sa.bindparam("user_id"))
            .values(handle=sa.bindparam("new_handle")),
            handles,
        )

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column("handle", existing_type=sa.String(length=30), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_user_account_handle"), ["handle"])
        batch_op.create_check_constraint(
            batch_op.f("ck_user_account_handle_min_length"), "length(handle) >= 2"
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_user_account_handle_min_length"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_user_account_handle"), type_="unique")
        batch_op.drop_column("handle")
