"""Files of shared resources: checked by their content, stored outside the web root.

The type comes from the bytes, never from the name or the browser's claim: PDF, Office
Open XML and OpenDocument files, plain text and CSV, PNG, JPEG, GIF and WebP. Anything
else (HTML, SVG, executables, archives) is refused.

An upload is streamed to a private temporary file and checked from there in small blocks:
whatever its size or what its headers claim, a file costs a few hundred kilobytes of
memory. Office files are zip archives, so their directory is bounded before `zipfile`
reads it, and nothing in them is decompressed beyond the first bytes of `mimetype`.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import struct
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlmodel import Session, col, select

from domain import policy, resources
from domain.actor import Actor
from domain.errors import Forbidden, NotFound, TooLarge, UnsupportedMedia
from models import Attachment

_OOXML = {
    "word/": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xl/": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "ppt/": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}
_ODF = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
CONTENT_TYPES = (
    "application/pdf",
    *(content_type for _, content_type in _OOXML.values()),
    *_ODF,
    "text/plain",
    "text/csv",
    *sorted(_IMAGES),
)
"""Every type `sniff` recognises: what a stored attachment is served as."""
_MARKUP = (b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml", b"<iframe", b"<body")
_REFUSED = "Only PDF, Office and OpenDocument files, text, CSV and images."
_BLOCK = 64 * 1024

# Bounds that real Office files pass with a wide margin (hundreds of entries, a directory of
# some hundred kilobytes). ZipFile keeps a ZipInfo per entry, so these bound its memory.
_MAX_ENTRIES = 5_000
_MAX_DIRECTORY = 4 * 1024 * 1024
# Nothing is unpacked here, but the file is stored and handed on: refuse what would unpack
# into a bomb elsewhere. Apache POI refuses ratios over 100 above 100 KiB; this is laxer.
_MAX_UNPACKED = 1024 * 1024 * 1024
_MAX_RATIO = 200
_RATIO_FROM = 1024 * 1024
_MIMETYPE_BYTES = 200

_END = struct.Struct("<4s4H2LH")
_END_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")
_ENTRY = struct.Struct("<4s24x3H12x")
_ENCRYPTED = 0x1


@dataclass(frozen=True)
class Kind:
    extension: str
    content_type: str

    @property
    def inline(self) -> bool:
        return self.content_type in _IMAGES


def sniff(source: BinaryIO | bytes, filename: str) -> Kind:
    """What the content is; UnsupportedMedia for anything erfa does not accept.

    A file is read from its start in bounded blocks, so memory does not grow with its size.
    """
    file: BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else source
    file.seek(0)
    head = file.read(16)
    if head.startswith(b"%PDF-"):
        return Kind("pdf", "application/pdf")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind("png", "image/png")
    if head.startswith(b"\xff\xd8\xff"):
        return Kind("jpg", "image/jpeg")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Kind("gif", "image/gif")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return Kind("webp", "image/webp")
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(file)
    return _sniff_text(file, filename)


def _sniff_zip(file: BinaryIO) -> Kind:
    kind = None
    try:
        directory = _directory(file)
        with zipfile.ZipFile(file) as archive:
            _check_entries(archive.infolist(), directory)
            kind = _office_kind(archive)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, ValueError, zlib.error):
        pass
    if kind is None:
        raise UnsupportedMedia(_REFUSED)
    return kind


def _directory(file: BinaryIO) -> int:
    """Where the central directory starts, once its size and entries are known to be sane.

    Read the way zipfile reads it, before zipfile does, and stricter where real files lose
    nothing: one disk, the directory right where the record says, every entry announced.
    zipfile itself parses all `size` bytes whatever the announced count.
    """
    end, record = _end_record(file)
    zip64 = _zip64_record(file, end)
    if zip64 is not None:
        end -= _ZIP64_LOCATOR.size + _ZIP64_END.size
        record = zip64
    disk, directory_disk, disk_entries, entries, size, offset = record
    if disk or directory_disk or disk_entries != entries:
        raise zipfile.BadZipFile("an archive on several disks")
    if entries > _MAX_ENTRIES or size > _MAX_DIRECTORY:
        raise zipfile.BadZipFile(f"{entries} entries in a directory of {size} bytes")
    if offset + size != end:
        raise zipfile.BadZipFile("the directory is not where the record says")
    if _count_entries(file, offset, size) != entries:
        raise zipfile.BadZipFile("the directory holds other entries than announced")
    return offset


def _end_record(file: BinaryIO) -> tuple[int, tuple[int, ...]]:
    """The end of central directory record as zipfile picks it: the last 22 bytes when they
    are one without a comment, else the last signature within a comment's reach."""
    length = file.seek(0, os.SEEK_END)
    tail_start = max(length - (1 << 16) - _END.size, 0)
    file.seek(tail_start)
    tail = file.read()
    at = len(tail) - _END.size
    if at < 0 or not (tail.startswith(_END_SIGNATURE, at) and tail.endswith(b"\0\0")):
        at = tail.rfind(_END_SIGNATURE)
    if at < 0 or at + _END.size > len(tail):
        raise zipfile.BadZipFile("no end of central directory")
    return tail_start + at, _END.unpack_from(tail, at)[1:7]


def _zip64_record(file: BinaryIO, end: int) -> tuple[int, ...] | None:
    """The zip64 record's fields, when a locator precedes the end record.

    zipfile 3.11 looks for the record right before its locator, newer ones where the locator
    points: refusing any other layout keeps both readings the same.
    """
    if end < _ZIP64_LOCATOR.size:
        return None
    file.seek(end - _ZIP64_LOCATOR.size)
    signature, disk, record_at, disks = _ZIP64_LOCATOR.unpack(file.read(_ZIP64_LOCATOR.size))
    if signature != b"PK\x06\x07":
        return None
    if disk or disks > 1 or record_at != end - _ZIP64_LOCATOR.size - _ZIP64_END.size:
        raise zipfile.BadZipFile("a zip64 record out of place")
    file.seek(record_at)
    fields = _ZIP64_END.unpack(file.read(_ZIP64_END.size))
    if fields[0] != b"PK\x06\x06":
        raise zipfile.BadZipFile("a zip64 locator without its record")
    return fields[4:]


def _count_entries(file: BinaryIO, offset: int, size: int) -> int:
    """How many entries zipfile would make of the directory, stopping past the bound."""
    file.seek(offset)
    count = read = 0
    while read < size:
        header = file.read(_ENTRY.size)
        if len(header) != _ENTRY.size or not header.startswith(b"PK\x01\x02"):
            raise zipfile.BadZipFile("a broken directory entry")
        _, name, extra, comment = _ENTRY.unpack(header)
        file.seek(name + extra + comment, os.SEEK_CUR)
        read += _ENTRY.size + name + extra + comment
        count += 1
        if count > _MAX_ENTRIES:
            raise zipfile.BadZipFile(f"over {_MAX_ENTRIES} entries")
    return count


def _check_entries(entries: list[zipfile.ZipInfo], directory: int) -> None:
    """Refuse encryption, unusual methods, sizes that cannot be true and bombs."""
    unpacked = 0
    for entry in entries:
        packed, size, method = entry.compress_size, entry.file_size, entry.compress_type
        if entry.flag_bits & _ENCRYPTED or method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise zipfile.BadZipFile(f"{entry.filename}: encrypted or an unusual method")
        if entry.header_offset + packed > directory:
            raise zipfile.BadZipFile(f"{entry.filename}: its data runs into the directory")
        # Deflate falls back to stored blocks, so packed data never far outgrows the original.
        if packed > 2 * size + 1024 or (method == zipfile.ZIP_STORED and packed != size):
            raise zipfile.BadZipFile(f"{entry.filename}: its sizes cannot both be true")
        if size > _RATIO_FROM and size > _MAX_RATIO * packed:
            raise zipfile.BadZipFile(f"{entry.filename}: compressed over {_MAX_RATIO}:1")
        unpacked += size
    if unpacked > _MAX_UNPACKED:
        raise zipfile.BadZipFile(f"{unpacked} bytes unpacked")


def _office_kind(archive: zipfile.ZipFile) -> Kind | None:
    entries = archive.infolist()
    names = [entry.filename for entry in entries]
    if names and names[0] == "mimetype":
        with archive.open(entries[0]) as stream:
            mimetype = stream.read(_MIMETYPE_BYTES).decode("ascii", "replace").strip()
        if mimetype in _ODF:
            return Kind(_ODF[mimetype], mimetype)
    if "[Content_Types].xml" in names:
        for prefix, (extension, content_type) in _OOXML.items():
            if any(name.startswith(prefix) for name in names):
                return Kind(extension, content_type)
    return None


def _sniff_text(file: BinaryIO, filename: str) -> Kind:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in ("txt", "csv") and _is_plain_text(file):
        return Kind(extension, "text/csv" if extension == "csv" else "text/plain")
    raise UnsupportedMedia(_REFUSED)


def _is_plain_text(file: BinaryIO) -> bool:
    """UTF-8 without NUL bytes that does not open like markup, checked block by block."""
    file.seek(0)
    if file.read(4096).lstrip().lower().startswith(_MARKUP):
        return False
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while block := file.read(_BLOCK):
            if b"\x00" in block:
                return False
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def clean_filename(filename: str, kind: Kind) -> str:
    """A name to offer on download: no path, no control characters, the right ending."""
    base = Path(filename.replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:|?*').strip(". ")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{(stem or 'bilaga')[:200]}.{kind.extension}"


def add_attachment(
    session: Session,
    actor: Actor,
    *,
    resource_id: int,
    filename: str,
    chunks: Iterator[bytes],
    upload_dir: Path,
    max_bytes: int,
) -> Attachment:
    view = resources.get_resource(session, actor, resource_id)
    policy.require_write_access(actor)
    if not view.can_edit:
        raise Forbidden("Only who shared the resource, and the group's leads, add files.")
    stored = store(chunks, filename, upload_dir=upload_dir, max_bytes=max_bytes)
    attachment = Attachment(
        resource_id=resource_id, uploaded_by_id=actor.user_id, **stored.columns()
    )
    session.add(attachment)
    session.flush()
    return attachment


@dataclass(frozen=True)
class Stored:
    """A file received into the upload folder, checked, as its row describes it."""

    filename: str
    content_type: str
    size: int
    storage_name: str
    sha256: str

    def columns(self) -> dict[str, Any]:
        return asdict(self)


PARTIAL_PREFIX = ".upload-"
"""How the name of an upload still being received begins (`domain/upkeep.py` cleans them)."""


def store(chunks: Iterator[bytes], filename: str, *, upload_dir: Path, max_bytes: int) -> Stored:
    """Receive an uploaded file into `upload_dir` under a new random name, for a resource's
    attachments and an event's documentation alike. UnsupportedMedia for a kind erfa does
    not take, TooLarge once past `max_bytes`; nothing is left behind either way.

    When it returns, the file and its name are on disk (synced), so the row the caller
    commits next never names a file a crash could lose. A crash before that leaves a
    partial file or a file no row names, which start-up removes (`domain/upkeep.py`)."""
    _make_directory(upload_dir)
    # mkstemp creates the file 0600 in the same directory, so the rename below is atomic.
    descriptor, temporary = tempfile.mkstemp(dir=upload_dir, prefix=PARTIAL_PREFIX)
    stored = upload_dir / uuid.uuid4().hex
    try:
        with os.fdopen(descriptor, "w+b") as file:
            size, sha256 = _receive(chunks, file, max_bytes)
            kind = sniff(file, filename)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, stored)
    except BaseException:
        os.unlink(temporary)
        raise
    try:
        _sync_directory(upload_dir)  # the rename itself
    except BaseException:
        stored.unlink(missing_ok=True)
        raise
    return Stored(clean_filename(filename, kind), kind.content_type, size, stored.name, sha256)


def _make_directory(path: Path) -> None:
    if path.is_dir():
        return
    path.mkdir(parents=True, exist_ok=True)
    _sync_directory(path.parent)


def _sync_directory(path: Path) -> None:
    """Make the directory's entries (a rename, a new file) survive a crash of the machine."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _receive(chunks: Iterator[bytes], file: BinaryIO, max_bytes: int) -> tuple[int, str]:
    """Write the chunks to `file`; their size and sha256. TooLarge once past `max_bytes`."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"A file may be at most {max_bytes // (1024 * 1024)} MiB.")
        digest.update(chunk)
        file.write(chunk)
    return size, digest.hexdigest()


def get_attachment(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    """An attachment the actor may read (its resource's group is readable to them)."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("attachment")
    try:
        resources.get_resource(session, actor, attachment.resource_id)
    except NotFound:
        raise NotFound("attachment") from None
    return attachment


def list_attachments(session: Session, actor: Actor, resource_id: int) -> list[Attachment]:
    resources.get_resource(session, actor, resource_id)
    return list(
        session.exec(
            select(Attachment)
            .where(Attachment.resource_id == resource_id)
            .order_by(col(Attachment.id))
        ).all()
    )


def is_inline(attachment: Attachment) -> bool:
    return attachment.content_type in _IMAGES
