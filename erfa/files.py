"""Serving stored attachments: as downloads, never as pages of erfa's origin."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi.responses import FileResponse

from domain.attachments import is_inline
from models import Attachment


def attachment_response(attachment: Attachment, upload_dir: Path) -> FileResponse:
    """`attachment` disposition (images may show inline), nosniff, and a sandbox CSP so
    that even a file that slipped through could not run script on erfa's origin."""
    disposition = "inline" if is_inline(attachment) else "attachment"
    name = quote(attachment.filename)
    return FileResponse(
        upload_dir / attachment.storage_name,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{name}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )
