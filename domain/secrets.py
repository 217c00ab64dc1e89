"""Random secrets handed out once (links, cookies, API tokens); only digests are stored."""

from __future__ import annotations

import hashlib
import secrets


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix: str = "") -> tuple[str, str]:
    """A fresh secret with 256 bits of randomness, and the digest to store."""
    secret = prefix + secrets.token_urlsafe(32)
    return secret, digest(secret)
