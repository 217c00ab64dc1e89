"""Request bodies are read with bounds: a size limit before anything is parsed, a pace below
which the sender is cut off, and multipart parsed only once the caller is known.

`BodyLimitMiddleware` wraps every request's `receive`: a body larger than its limit (by
`Content-Length`, or as it arrives) is refused with 413 before the app parses it, and a
body that stalls is refused with 408. The limit is `ERFA_MAX_BODY_KB` for forms and JSON,
and `ERFA_MAX_UPLOAD_MB` (plus room for the multipart framing) on the upload routes
(`UPLOAD_PATH`). The refusals are HTTP exceptions, so the app answers them as it answers
every error: problem+json under /api, a readable page elsewhere.

Upload routes take no form parameters (FastAPI would parse the body before any dependency
ran); a dependency that needs the signed-in caller calls `read_upload` instead.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UPLOAD_PATH = re.compile(r"^/(?:(?:api/v1/resources|r)/[^/]+/attachments|e/[^/]+/documents)$")
"""The routes that take a file; tests/test_bodies.py checks that these are exactly the
routes that call `read_upload`."""
MULTIPART_FRAMING = 64 * 1024
"""Room for boundaries, part headers and the form's few other fields."""
IDLE_TIMEOUT_S = 15.0
"""The longest wait for the next piece of a body."""
SLOWEST_RATE = 32 * 1024
"""Bytes per second below which a whole body takes too long (a 20 MiB file: 11 minutes)."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload + MULTIPART_FRAMING

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload if UPLOAD_PATH.match(scope["path"]) else self.max_body
        await self.app(scope, _BoundedBody(receive, limit, _declared_length(scope)), send)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() and len(value) <= 18 else -1
    return None


class _BoundedBody:
    """A `receive` that refuses a body over `limit` bytes or one that arrives too slowly."""

    def __init__(self, receive: Receive, limit: int, declared: int | None) -> None:
        self.receive = receive
        self.limit = limit
        self.declared = declared
        self.received = 0
        self.finished = False
        self.deadline = time.monotonic() + 30 + limit / SLOWEST_RATE

    async def __call__(self) -> Message:
        if self.finished:  # after the body: only the disconnect is left to wait for
            return await self.receive()
        if self.declared is not None and (self.declared < 0 or self.declared > self.limit):
            raise _too_large(self.limit)
        wait = min(IDLE_TIMEOUT_S, self.deadline - time.monotonic())
        try:
            message = await asyncio.wait_for(self.receive(), timeout=max(wait, 0.001))
        except TimeoutError:
            raise HTTPException(408, detail="The request body arrived too slowly.") from None
        if message["type"] != "http.request":
            self.finished = True
            return message
        self.received += len(message.get("body", b""))
        if self.received > self.limit:
            raise _too_large(self.limit)
        self.finished = not message.get("more_body", False)
        return message


def _too_large(limit: int) -> HTTPException:
    size = f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"
    return HTTPException(413, detail=f"The request body is larger than {size}.")


@asynccontextmanager
async def read_upload(request: Request, field: str = "file") -> AsyncIterator[UploadFile]:
    """The one file of a multipart upload, parsed on entry and closed on exit. Enter it
    from a dependency that comes after authentication (and, for pages, CSRF). One file, a
    handful of small fields."""
    try:
        form = await request.form(max_files=1, max_fields=8, max_part_size=64 * 1024)
    except MultiPartException as exc:
        raise HTTPException(400, detail=f"The upload is not valid multipart: {exc}") from None
    try:
        upload = form.get(field)
        if not isinstance(upload, UploadFile):
            missing = {
                "loc": ("body", field),
                "msg": "Send the file in this field.",
                "type": "missing",
            }
            raise RequestValidationError([missing])
        yield upload
    finally:
        await form.close()
