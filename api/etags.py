"""Strong ETags from a resource's `version`, `If-None-Match` → 304, `If-Match` → 412.

Handlers take the two request headers as declared parameters (`IfNoneMatch`, `IfMatch`)
so that the OpenAPI document names them; the responses they lead to are declared with
`NOT_MODIFIED` and `ETAG_HEADER`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Response

from domain.errors import Invalid

MAX_VERSION_DIGITS = 18
"""Versions are database integers; longer digit strings are not ETags erfa issued."""

IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        description='ETags the caller holds, e.g. `"3"`: 304 while one of them is current.',
        examples=['"3"'],
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The ETag the edit is based on, e.g. `"3"`: 412 when it is stale. '
        "Without it the edit applies to the current version.",
        examples=['"3"'],
        # Documented, not enforced here: `if_match_version` also takes `W/"3"` and `3`.
        json_schema_extra={"pattern": r'^(\*|(W/)?"[0-9]{1,18}")$'},
    ),
]
ETAG_HEADER: dict[str, Any] = {
    "ETag": {"description": 'The version, e.g. `"3"`.', "schema": {"type": "string"}}
}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {
        "description": "Not modified: the `If-None-Match` ETag is current.",
        "headers": ETAG_HEADER,
    }
}


def etag_of(version: int) -> str:
    return f'"{version}"'


def not_modified(if_none_match: str | None, etag: str) -> Response | None:
    """A 304 when the client already holds this version, else None."""
    if if_none_match is None:
        return None
    candidates = {part.strip().removeprefix("W/") for part in if_none_match.split(",")}
    if "*" in candidates or etag in candidates:
        return Response(status_code=304, headers={"ETag": etag})
    return None


def if_match_version(if_match: str | None) -> int | None:
    """The version an `If-Match` names; None without the header (edit the current one)."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.split(",")[0].strip().removeprefix("W/").strip('"')
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not (value.isascii() and value.isdigit() and len(value) <= MAX_VERSION_DIGITS):
        raise Invalid.field("If-Match", 'If-Match carries an ETag such as "3".')
    return int(value)
