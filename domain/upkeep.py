"""Upkeep at start: the upload folder and the database agree again after a crash.

An upload is written in this order (`attachments.store`): received into a partial file
(`.upload-…`), synced to disk, renamed to its random storage name, the folder synced, and
only then is the row that names it committed. A crash can therefore leave behind
- a partial file (the upload was still streaming in);
- a stored file that no row names (the transaction never committed), or one whose row was
  deleted since (a cascade, an erasure that died before it removed the file);
but never a committed row without its file, unless something outside erfa removed it.

`clean_uploads` removes the first two kinds, but only once they are older than a grace
period (by modification time): with several `erfa serve` processes on several hosts
sharing the folder, another process may be receiving that partial file right now, or be
about to commit the row of that stored file. A live upload keeps its partial file's time
fresh, and its row commits within moments of the rename; an hour is far beyond both.
Until it is cleaned such a file is unreachable: files are served only through the row
that names them.

Rows whose file is missing cannot be repaired here. They are reported, one line each,
and left as they are rather than hidden: the row is the record that the file was shared,
the operator restores the file from a backup, and a download of it meanwhile fails
loudly instead of the file vanishing without a trace.

Only names erfa gives are touched (32 hex digits, or the partial prefix): whatever else
an operator keeps in the folder stays.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col

from domain.attachments import PARTIAL_PREFIX
from models import Attachment, EventDocument

DEFAULT_GRACE = timedelta(hours=1)
"""How old an unreferenced file must be before start-up removes it (see the docstring)."""

_STORED_NAME = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class UploadsReport:
    partial: int
    """Partial uploads removed."""
    unreferenced: int
    """Stored files that no row names, removed."""
    missing: tuple[str, ...]
    """Rows whose file is missing, one description each."""

    def lines(self) -> list[str]:
        """What start-up prints: one line per missing file and one for what was removed;
        nothing when all was in order."""
        lines = [f"Upload missing: {description}." for description in self.missing]
        if self.partial or self.unreferenced:
            lines.append(
                f"Removed {self.partial} partial uploads and {self.unreferenced} "
                "uploaded files that no attachment or document names."
            )
        return lines


def clean_uploads(
    session: Session, *, upload_dir: Path, grace: timedelta = DEFAULT_GRACE
) -> UploadsReport:
    """Remove partial and unreferenced upload files older than `grace`; report the rows
    whose file is missing. Safe while other erfa processes serve (see the docstring)."""
    # Listed before the rows are read: a file that appears later is young and stays.
    present = _erfa_files(upload_dir)
    named = _named_files(session)
    cutoff = time.time() - grace.total_seconds()
    partial = unreferenced = 0
    for name, modified in present.items():
        if modified >= cutoff or name in named:
            continue
        if _remove(upload_dir / name):
            if name.startswith(PARTIAL_PREFIX):
                partial += 1
            else:
                unreferenced += 1
    missing = tuple(
        f"{kind} {row_id} ({filename}): {upload_dir / name}"
        for name, (kind, row_id, filename) in sorted(named.items())
        if name not in present
    )
    return UploadsReport(partial, unreferenced, missing)


def _erfa_files(upload_dir: Path) -> dict[str, float]:
    """The folder's files with names erfa gives, and their modification times."""
    found: dict[str, float] = {}
    try:
        entries = list(os.scandir(upload_dir))
    except FileNotFoundError:
        return found
    for entry in entries:
        if not (entry.name.startswith(PARTIAL_PREFIX) or _STORED_NAME.fullmatch(entry.name)):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                found[entry.name] = entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:  # renamed or removed meanwhile
            continue
    return found


def _named_files(session: Session) -> dict[str, tuple[str, int, str]]:
    """Every storage name a row holds: the kind of row, its id and the file's name."""
    named: dict[str, tuple[str, int, str]] = {}
    for kind, model in (("attachment", Attachment), ("event document", EventDocument)):
        rows = session.execute(
            sa.select(col(model.storage_name), col(model.id), col(model.filename))
        ).all()
        for storage_name, row_id, filename in rows:
            named[storage_name] = (kind, row_id, filename)
    return named


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:  # another process cleaned it first
        return False
    return True
