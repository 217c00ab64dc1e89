"""Checksummed packages: what backups, personal-data exports and archive packages share.

A package is a folder or a zip whose `manifest.json` names every other file with its size
and SHA-256, so that whoever holds it (a restore, an official, an e-archive) can tell a
whole package from a damaged or altered one without trusting whoever handed it over.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

MANIFEST = "manifest.json"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Entry:
    path: str
    """Relative, with forward slashes."""
    size: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


def digest(stream: BinaryIO) -> tuple[int, str]:
    """Size and SHA-256 of what `stream` holds from where it stands, read in chunks."""
    hasher = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        hasher.update(chunk)
        size += len(chunk)
    return size, hasher.hexdigest()


def file_entry(root: Path, path: Path) -> Entry:
    with path.open("rb") as stream:
        size, sha256 = digest(stream)
    return Entry(path.relative_to(root).as_posix(), size, sha256)


def bytes_entry(path: str, data: bytes) -> Entry:
    return Entry(path, len(data), hashlib.sha256(data).hexdigest())


def manifest_json(entries: Iterable[Entry], **about: Any) -> bytes:
    """The manifest: `about` (what the package is, who made it, when) and the files."""
    body = {**about, "files": [entry.as_json() for entry in sorted(entries, key=_path)]}
    return json.dumps(body, ensure_ascii=False, indent=2).encode() + b"\n"


def _path(entry: Entry) -> str:
    return entry.path


class ZipPackage:
    """A zip written entry by entry, each one recorded for the manifest written last."""

    def __init__(self, target: Path | BinaryIO) -> None:
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.entries: list[Entry] = []

    def write_bytes(self, path: str, data: bytes) -> None:
        self.zip.writestr(path, data)
        self.entries.append(bytes_entry(path, data))

    def write_file(self, path: str, source: Path) -> None:
        hasher = hashlib.sha256()
        size = 0
        with source.open("rb") as stream, self.zip.open(path, "w", force_zip64=True) as out:
            while chunk := stream.read(CHUNK):
                hasher.update(chunk)
                size += len(chunk)
                out.write(chunk)
        self.entries.append(Entry(path, size, hasher.hexdigest()))

    def close(self, **about: Any) -> None:
        self.zip.writestr(MANIFEST, manifest_json(self.entries, **about))
        self.zip.close()
