"""Strong ETags from a resource's `version`, and `If-None-Match` → 304."""

from __future__ import annotations

from fastapi import Request, Response

from domain.errors import Invalid

MAX_VERSION_DIGITS = 18
"""Versions are database integers; longer digit strings are not ETags erfa issued."""


def etag_of(version: int) -> str:
    return f'"{version}"'


def not_modified(request: Request, etag: str) -> Response | None:
    """A 304 when the client already holds this version, else None."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return None
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    if "*" in candidates or etag in candidates:
        return Response(status_code=304, headers={"ETag": etag})
    return None


def if_match_version(request: Request) -> int | None:
    """The version an `If-Match` names; None without the header (edit the current one)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.split(",")[0].strip().removeprefix("W/").strip('"')
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not (value.isascii() and value.isdigit() and len(value) <= MAX_VERSION_DIGITS):
        raise Invalid.field("If-Match", 'If-Match carries an ETag such as "3".')
    return int(value)
