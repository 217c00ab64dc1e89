"""Writing the personal-data package: everything erfa holds about one official, in one
zip (GDPR art. 15 and 20).

The package holds:
- `data/<category>.json`, one JSON file per category of `CATEGORIES`
  (domain/personal_data_categories.py; `profile.json` is one object, every other file an
  array of rows, times in UTC, ISO 8601);
- `files/attachments/…` and `files/event_documents/…`, the files the official uploaded;
- `LÄSMIG.txt`, what each part is and the official's rights, in Swedish and English
  (domain/personal_data_readme.py);
- `manifest.json` (domain/manifest.py): size and SHA-256 of every other entry.

Each category is one statement, streamed row by row into a temporary file and then into
the zip, so a prolific official's thousands of posts are never in memory at once. Secrets
are never selected: no password hash (only whether one is set), no token digests.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlmodel import Session

from domain.manifest import ZipPackage
from domain.personal_data_categories import CATEGORIES, PROFILE_FIELDS, Category
from domain.personal_data_readme import README, readme
from models import Municipality, User

BATCH = 500
FORMAT = 1


@dataclass(frozen=True)
class ExportSummary:
    user_id: int
    handle: str
    files: int
    missing_files: tuple[str, ...]


def write_export(
    session: Session, user: User, target: Path | BinaryIO, *, upload_dir: Path, now: datetime
) -> ExportSummary:
    """Write the package of `user` to `target` (the caller has checked who may ask)."""
    assert user.id is not None
    package = ZipPackage(target)
    files: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="erfa-export-") as scratch:
        profile = _profile(session, user)
        package.write_bytes("data/profile.json", _json(profile, indent=2) + b"\n")
        for category in CATEGORIES:
            spool = Path(scratch) / f"{category.name}.json"
            with spool.open("wb") as out:
                for row in _stream(session, category, user):
                    if category.name in ("attachments", "event_documents"):
                        row["file"] = _file_path(category.name, row)
                        files.append((row["file"], str(row.pop("storage_name"))))
                    out.write(b"[\n" if out.tell() == 0 else b",\n")
                    out.write(_json(row))
                out.write(b"[]\n" if out.tell() == 0 else b"\n]\n")
            package.write_file(f"data/{category.name}.json", spool)
            spool.unlink()
    missing = []
    for path, storage_name in files:
        source = upload_dir / storage_name
        if source.is_file():
            package.write_file(path, source)
        else:
            missing.append(path)
    package.write_bytes(README, readme(missing).encode())
    package.close(
        package="erfa personal data export",
        format=FORMAT,
        official={"id": user.id, "handle": user.handle, "email": user.email},
        created_at=now.isoformat(),
        missing_files=missing,
    )
    return ExportSummary(user.id, user.handle, len(files) - len(missing), tuple(missing))


def _profile(session: Session, user: User) -> dict[str, Any]:
    row = {name: getattr(user, name) for name in PROFILE_FIELDS}
    row["has_password"] = user.password_hash is not None
    municipality = session.get(Municipality, user.municipality_id)
    row["municipality"] = (
        {"slug": municipality.slug, "name": municipality.name} if municipality else None
    )
    return row


def _stream(session: Session, category: Category, user: User) -> Iterator[dict[str, Any]]:
    statement = category.query(user).execution_options(yield_per=BATCH)
    result = session.connection().execute(statement)
    for row in result.mappings():
        yield dict(row)


def _file_path(category: str, row: dict[str, Any]) -> str:
    name = str(row["filename"]).replace("/", "_").replace("\\", "_")
    return f"files/{category}/{row['id']}-{name}"


def _json(value: Any, indent: int | None = None) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=_plain, indent=indent).encode()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not exported")
