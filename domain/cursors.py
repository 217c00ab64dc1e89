"""Opaque, signed list cursors: a client cannot forge or alter one.

A cursor carries a keyset position (e.g. the last id seen) and the name of the list it
belongs to; a cursor from another list, a tampered one or plain garbage is `Invalid`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from domain.errors import Invalid

_SIGNATURE_BYTES = 16


def encode_cursor(key: str, kind: str, position: dict[str, Any]) -> str:
    payload = json.dumps({"k": kind, "p": position}, separators=(",", ":")).encode()
    signature = hmac.new(key.encode(), payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(signature + payload).rstrip(b"=").decode()


def decode_cursor(key: str, kind: str, cursor: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise _invalid() from None
    signature, payload = raw[:_SIGNATURE_BYTES], raw[_SIGNATURE_BYTES:]
    expected = hmac.new(key.encode(), payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    if not hmac.compare_digest(signature, expected):
        raise _invalid()
    data = json.loads(payload)
    if data.get("k") != kind or not isinstance(data.get("p"), dict):
        raise _invalid()
    position: dict[str, Any] = data["p"]
    return position


def _invalid() -> Invalid:
    return Invalid.field("cursor", "The cursor is not one erfa issued for this list.")
