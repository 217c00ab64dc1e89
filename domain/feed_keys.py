"""Personal feed keys: the one credential of the Atom feeds (and the calendar feed).

Feed readers and calendar apps send no headers and keep no cookies, so the key travels in
the URL (`?key=` or the path). A key is derived, never stored:

    key = f"{user_id}-{base64url(HMAC-SHA256(secret, f'{user_id}:{generation}'))[:22]}"

`secret` is the installation's key for this one purpose (the doors pass in
`derive_key(settings.secret_key, "feed-key")`: the domain never reads settings), and
`generation` is `User.feed_key_generation`. Raising the generation (`revoke`) voids every
key handed out before; an official who is not active (suspended, invited, gone) has no
working key. 22 base64url characters carry 132 bits of the MAC.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import sqlalchemy as sa
from sqlmodel import Session, col

from domain import policy
from domain.actor import ANONYMOUS, Actor, load_actor
from models import User, UserStatus

MAC_CHARS = 22
MAX_KEY_LENGTH = 64
"""Longer than any key erfa hands out (a 19-digit id, "-", 22 characters): refused unread."""
_MAX_ID = 2**63 - 1


def _mac(secret: str, user_id: int, generation: int) -> str:
    digest = hmac.new(secret.encode(), f"{user_id}:{generation}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:MAC_CHARS]


def key_for(user: User, secret: str) -> str:
    """The official's current feed key."""
    assert user.id is not None
    return f"{user.id}-{_mac(secret, user.id, user.feed_key_generation)}"


def _user_id_of(key: str) -> int | None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii():
        return None
    head, sep, _ = key.partition("-")
    if not sep or not head.isdigit() or len(head) > 19:
        return None
    user_id = int(head)
    return user_id if 1 <= user_id <= _MAX_ID else None


def user_for(session: Session, key: str, secret: str) -> User | None:
    """The active official whose current key `key` is, else None (malformed, forged,
    revoked, or the official is not active). The MAC is compared in constant time."""
    user_id = _user_id_of(key)
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None or user.status is not UserStatus.ACTIVE:
        return None
    if not hmac.compare_digest(key.encode(), key_for(user, secret).encode()):
        return None
    return user


def actor_for(session: Session, key: str, secret: str) -> Actor:
    """Who a feed is read as: the key's owner with their memberships, as every other door
    builds them (`load_actor`), or ANONYMOUS for a key that does not work. The policy then
    treats a bad key exactly like an official who may not read the group: a 404."""
    user = user_for(session, key, secret)
    if user is None or user.id is None:
        return ANONYMOUS
    return load_actor(session, user.id)


def own_key(session: Session, actor: Actor, secret: str) -> str | None:
    """The signed-in official's key, for the feed links of the pages they are shown."""
    if not actor.signed_in or actor.user_id is None:
        return None
    user = session.get(User, actor.user_id)
    return key_for(user, secret) if user is not None else None


def revoke(session: Session, actor: Actor) -> None:
    """Void every feed key of the official handed out so far; the next key differs.

    The generation is raised in SQL, so two revocations at once both count."""
    policy.require_write_access(actor)
    session.execute(
        sa.update(User)
        .where(col(User.id) == actor.user_id)
        .values(feed_key_generation=col(User.feed_key_generation) + 1)
    )
