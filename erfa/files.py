"""Serving stored files (attachments, event documents): as downloads, never as pages of
erfa's origin."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi.responses import FileResponse

from domain.attachments import is_inline
from domain.errors import NotFound
from models import Attachment, EventDocument


def attachment_response(attachment: Attachment, upload_dir: Path) -> FileResponse:
    """Images may show inline; everything else is an `attachment`."""
    return stored_file_response(attachment, upload_dir, inline=is_inline(attachment))


def stored_file_response(
    stored: Attachment | EventDocument, upload_dir: Path, *, inline: bool = False
) -> FileResponse:
    """nosniff, and a sandbox CSP so that even a file that slipped through could not run
    script on erfa's origin. A row whose file is gone (storage lost, a restore without the
    uploads: `erfa serve` names such rows at start) is a 404 that says so, not a crash."""
    path = upload_dir / stored.storage_name
    if not path.is_file():
        raise NotFound("file in storage (it is missing; the operator can restore it)")
    disposition = "inline" if inline else "attachment"
    return FileResponse(
        path,
        media_type=stored.content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(stored.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )
