"""Handles: the name an official is @mentioned by, instead of their email address.

A handle is 2–30 characters of ASCII `a`–`z`, `0`–`9`, `.` and `-`; it starts and ends
with a letter or digit and has no two `.`/`-` in a row (`karin.lund`, `anna-karin.oberg`).
ASCII only, on purpose: Unicode offers letters that look alike (Cyrillic `а` and Latin `a`),
so two officials could otherwise hold handles nobody can tell apart. A name is folded to
ASCII (`Åsa Öberg` → `asa.oberg`) to make the handle an official starts with; they may
change it in their settings.

Handles that start with `erased-` are reserved: an erased official's handle becomes
`erased-<id>` (`domain/erasure.py`), so no official may choose one, and a name that folds
to one (`Erased-7`) suggests `erased.7` instead.

The migration that gave existing officials their handles folds names the same way in its
own copy of `fold` (migrations never import the application).
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.errors import Invalid
from models import User

MIN_LENGTH = 2
MAX_LENGTH = 30
PATTERN = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
FALLBACK = "official"
"""The handle for a name with fewer than two ASCII letters or digits (then `official-2`…)."""
RESERVED_PREFIX = "erased-"
"""The start of the placeholder handles of erased officials (`erased-<id>`)."""

_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ð": "d", "ł": "l", "þ": "th"}
)


def fold(name: str) -> str:
    """`name` as a handle's characters: ASCII letters without accents, words joined by `.`,
    hyphens kept, apostrophes dropped; possibly shorter than `MIN_LENGTH`."""
    text = unicodedata.normalize("NFKD", name.lower().translate(_LETTERS))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['’`´]", "", text)
    text = re.sub(r"[^a-z0-9-]+", ".", text)
    text = re.sub(r"[.-]*-[.-]*", "-", text)
    text = re.sub(r"\.{2,}", ".", text)
    return text[:MAX_LENGTH].strip(".-")


def handle_from_name(name: str) -> str:
    """The handle a name suggests, before looking at who holds which."""
    folded = fold(name)
    return unreserved(folded) if len(folded) >= MIN_LENGTH else FALLBACK


def reserved(handle: str) -> bool:
    """Whether only erasure gives this handle (`erased-<id>`)."""
    return handle.startswith(RESERVED_PREFIX)


def unreserved(handle: str) -> str:
    """`handle`, with a reserved `erased-` start made `erased.` (a name like `Erased-7`)."""
    if not reserved(handle):
        return handle
    return RESERVED_PREFIX.removesuffix("-") + "." + handle.removeprefix(RESERVED_PREFIX)


def free_handle(session: Session, base: str) -> str:
    """`base` (never a reserved one), or the first of `base-2`, `base-3`… that no official
    holds."""
    base = unreserved(base)
    # Every candidate up to `base-999999` starts with these characters.
    stem = base[: MAX_LENGTH - 10]
    held = set(session.exec(select(User.handle).where(col(User.handle).startswith(stem))).all())
    if base not in held:
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: MAX_LENGTH - len(suffix)].rstrip(".-") + suffix
        if candidate not in held:
            return candidate
        n += 1


def _typed(handle: str) -> str:
    return handle.strip().removeprefix("@").lower()


def check_handle(handle: str) -> str:
    """A handle typed by an official, lower-cased, with any leading `@` dropped; Invalid
    (field `handle`) when it breaks the rules in the module docstring, with code
    `reserved` when it starts with `erased-`."""
    handle = _typed(handle)
    if not MIN_LENGTH <= len(handle) <= MAX_LENGTH or not PATTERN.fullmatch(handle):
        raise Invalid.field(
            "handle",
            "A handle is 2–30 characters: a–z, 0–9, '.' and '-', starting and ending with a "
            "letter or digit, with no two '.' or '-' in a row.",
        )
    if reserved(handle):
        raise Invalid.field(
            "handle",
            f"Handles that start with {RESERVED_PREFIX} are reserved for erased officials.",
            code="reserved",
        )
    return handle


def change_handle(session: Session, user: User, handle: str) -> None:
    """Give `user` the handle they typed. Invalid (field `handle`) when it breaks the rules,
    with code `taken` when another official holds it: a 422 through either door. The
    handle they hold already is kept as it is (one taken before `erased-` was reserved)."""
    if _typed(handle) == user.handle:
        return
    handle = check_handle(handle)
    if session.exec(select(User.id).where(col(User.handle) == handle)).first() is not None:
        raise _taken(handle)
    user.handle = handle
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:  # another official took it a moment ago
        raise _taken(handle) from None


def _taken(handle: str) -> Invalid:
    return Invalid.field("handle", f"The handle @{handle} is taken.", code="taken")
