"""Files of shared resources: checked by their content, stored outside the web root.

The type comes from the bytes, never from the name or the browser's claim: PDF, Office
Open XML and OpenDocument files, plain text and CSV, PNG, JPEG, GIF and WebP. Anything
else (HTML, SVG, executables, archives) is refused.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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
_MARKUP = (b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml", b"<iframe", b"<body")


@dataclass(frozen=True)
class Kind:
    extension: str
    content_type: str

    @property
    def inline(self) -> bool:
        return self.content_type in _IMAGES


def sniff(data: bytes, filename: str) -> Kind:
    """What the bytes are; UnsupportedMedia for anything erfa does not accept."""
    if data.startswith(b"%PDF-"):
        return Kind("pdf", "application/pdf")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind("png", "image/png")
    if data.startswith(b"\xff\xd8\xff"):
        return Kind("jpg", "image/jpeg")
    if data.startswith((b"GIF87a", b"GIF89a")):
        return Kind("gif", "image/gif")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return Kind("webp", "image/webp")
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    return _sniff_text(data, filename)


def _sniff_zip(data: bytes) -> Kind:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        if names and names[0] == "mimetype":
            mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
            if mimetype in _ODF:
                return Kind(_ODF[mimetype], mimetype)
        if "[Content_Types].xml" in names:
            for prefix, (extension, content_type) in _OOXML.items():
                if any(name.startswith(prefix) for name in names):
                    return Kind(extension, content_type)
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError):
        pass
    raise UnsupportedMedia("Only PDF, Office and OpenDocument files, text, CSV and images.")


def _sniff_text(data: bytes, filename: str) -> Kind:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    head = data[:4096].lstrip().lower()
    if extension in ("txt", "csv") and b"\x00" not in data and not head.startswith(_MARKUP):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return Kind(extension, "text/csv" if extension == "csv" else "text/plain")
    raise UnsupportedMedia("Only PDF, Office and OpenDocument files, text, CSV and images.")


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
    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) > max_bytes:
            raise TooLarge(f"A file may be at most {max_bytes // (1024 * 1024)} MiB.")
    kind = sniff(bytes(data), filename)
    storage_name = uuid.uuid4().hex
    upload_dir.mkdir(parents=True, exist_ok=True)
    path = upload_dir / storage_name
    with open(path, "xb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)
    attachment = Attachment(
        resource_id=resource_id,
        uploaded_by_id=actor.user_id,
        filename=clean_filename(filename, kind),
        content_type=kind.content_type,
        size=len(data),
        storage_name=storage_name,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    session.add(attachment)
    session.flush()
    return attachment


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
