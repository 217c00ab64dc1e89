"""Signing in: password checks, browser sessions and personal API tokens.

Browser sessions live in the database so that they can be ended at once: by signing
out, signing out everywhere, a password change or a suspension. A session ends after
`SESSION_IDLE` without use and after `SESSION_LIFETIME` in any case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit, policy
from domain.actor import Actor
from domain.errors import Invalid, NotFound, Unauthenticated
from domain.passwords import verify_password
from domain.secrets import digest, new_secret
from models import ApiToken, Scope, User, UserStatus, WebSession, utcnow

SESSION_IDLE = timedelta(hours=12)
SESSION_LIFETIME = timedelta(days=14)
SESSION_TOUCH_EVERY = timedelta(minutes=5)
API_TOKEN_PREFIX = "erfa_pat_"  # noqa: S105 - a public prefix, not a secret


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active official with these credentials, or None; the same work either way."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.status is not UserStatus.ACTIVE:
        return None
    return user


def sign_in_check(session: Session, *, email: str, password: str) -> User:
    """`authenticate`, raising Unauthenticated for wrong credentials (a failed attempt)."""
    user = authenticate(session, email=email, password=password)
    if user is None:
        raise Unauthenticated("The email or the password is not right.")
    return user


def start_session(
    session: Session, user_id: int, *, user_agent: str = "", ip: str = ""
) -> tuple[WebSession, str]:
    """A new browser session (never a reused one) and the secret for its cookie."""
    user = session.get(User, user_id)
    if user is None or user.status is not UserStatus.ACTIVE or user.id is None:
        raise Unauthenticated("The account is not active.")
    secret, token_hash = new_secret()
    now = utcnow()
    web_session = WebSession(
        user_id=user.id,
        token_hash=token_hash,
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_LIFETIME,
        user_agent=user_agent[:255],
        ip=ip[:45],
    )
    user.last_login_at = user.last_active_at = now
    session.add(web_session)
    session.flush()
    return web_session, secret


def find_session(session: Session, secret: str) -> WebSession | None:
    """The live session behind a cookie: not revoked, not idle too long, not expired."""
    found = session_and_official(session, secret)
    return found[0] if found is not None else None


_SESSION_AND_OFFICIAL = (
    sa.select(WebSession, User)
    .join(User, col(User.id) == WebSession.user_id)
    .where(col(WebSession.token_hash) == sa.bindparam("token_hash"))
)
"""Built once: every page's first statement."""


def session_and_official(session: Session, secret: str) -> tuple[WebSession, User] | None:
    """`find_session` with its official, in one statement (for `load_actor`)."""
    row = session.execute(_SESSION_AND_OFFICIAL, {"token_hash": digest(secret)}).first()
    now = utcnow()
    if row is None or row[0].revoked_at is not None or row[0].expires_at <= now:
        return None
    if row[0].last_seen_at + SESSION_IDLE <= now:
        return None
    return row[0], row[1]


def needs_touch(web_session: WebSession) -> bool:
    return web_session.last_seen_at + SESSION_TOUCH_EVERY <= utcnow()


def touch_session(session: Session, session_id: int) -> None:
    session.execute(
        sa.update(WebSession).where(col(WebSession.id) == session_id).values(last_seen_at=utcnow())
    )


def end_session(session: Session, secret: str) -> None:
    session.execute(
        sa.update(WebSession)
        .where(col(WebSession.token_hash) == digest(secret), col(WebSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def end_all_sessions(session: Session, user_id: int) -> None:
    session.execute(
        sa.update(WebSession)
        .where(col(WebSession.user_id) == user_id, col(WebSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_credentials(session: Session, user_id: int, *, api_tokens: bool) -> None:
    """End every browser session of the official and void the access tokens (JWTs) issued
    so far; with `api_tokens`, revoke their personal API tokens and feed keys too.

    The one way credentials end: a password reset ("my account was taken"), "sign out
    everywhere" and a suspension take everything; a password change keeps API tokens.
    """
    now = utcnow()
    end_all_sessions(session, user_id)
    session.execute(
        sa.update(User).where(col(User.id) == user_id).values(credentials_revoked_at=now)
    )
    if api_tokens:
        session.execute(
            sa.update(ApiToken)
            .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        # Feed keys (Atom, calendars) are credentials too: a new generation voids them.
        session.execute(
            sa.update(User)
            .where(col(User.id) == user_id)
            .values(feed_key_generation=col(User.feed_key_generation) + 1)
        )


def sign_out_everywhere(session: Session, actor: Actor) -> None:
    """Every session, access token and personal API token of the actor ends."""
    policy.require_write_access(actor)
    assert actor.user_id is not None
    revoke_credentials(session, actor.user_id, api_tokens=True)
    audit.record(
        session, actor, "user.sign_out_everywhere", target_type="user", target_id=actor.user_id
    )


def list_sessions(session: Session, actor: Actor) -> list[WebSession]:
    policy.require_signed_in(actor)
    return list(
        session.exec(
            select(WebSession)
            .where(
                WebSession.user_id == actor.user_id,
                col(WebSession.revoked_at).is_(None),
                col(WebSession.expires_at) > utcnow(),
            )
            .order_by(col(WebSession.last_seen_at).desc())
        ).all()
    )


def revoke_session(session: Session, actor: Actor, *, session_id: int) -> None:
    policy.require_signed_in(actor)
    found = session.get(WebSession, session_id)
    if found is None or found.user_id != actor.user_id:
        raise NotFound("session")
    found.revoked_at = found.revoked_at or utcnow()


@dataclass(frozen=True)
class NewApiToken:
    token: ApiToken
    secret: str
    """Shown once, at creation."""


def create_api_token(
    session: Session,
    actor: Actor,
    *,
    name: str,
    scopes: list[Scope],
    expires_at: datetime | None = None,
) -> NewApiToken:
    policy.require_signed_in(actor)
    assert actor.user_id is not None
    name = name.strip()
    if not name or len(name) > 120:
        raise Invalid.field("name", "A token needs a name of 1–120 characters.")
    if Scope.READ not in scopes:
        raise Invalid.field("scopes", 'Scopes are ["read"] or ["read", "write"].')
    if expires_at is not None and expires_at <= utcnow():
        raise Invalid.field("expires_at", "The expiry must lie in the future.")
    secret, token_hash = new_secret(API_TOKEN_PREFIX)
    token = ApiToken(
        user_id=actor.user_id,
        name=name,
        token_hash=token_hash,
        prefix=secret[: len(API_TOKEN_PREFIX) + 4],
        scopes=" ".join(sorted({scope.value for scope in scopes})),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(session, actor, "token.create", target_type="api_token", target_id=token.id)
    return NewApiToken(token, secret)


def list_api_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    policy.require_signed_in(actor)
    return list(
        session.exec(
            select(ApiToken)
            .where(ApiToken.user_id == actor.user_id, col(ApiToken.revoked_at).is_(None))
            .order_by(col(ApiToken.id))
        ).all()
    )


def revoke_api_token(session: Session, actor: Actor, *, token_id: int) -> None:
    policy.require_signed_in(actor)
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.user_id or token.revoked_at is not None:
        raise NotFound("token")
    token.revoked_at = utcnow()
    audit.record(session, actor, "token.revoke", target_type="api_token", target_id=token.id)


def find_api_token(session: Session, secret: str) -> ApiToken | None:
    """The live token behind a secret: not revoked, not expired."""
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(secret))).first()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= utcnow():
        return None
    return token


def token_needs_touch(token: ApiToken) -> bool:
    return token.last_used_at is None or token.last_used_at + SESSION_TOUCH_EVERY <= utcnow()


def touch_api_token(session: Session, token_id: int) -> None:
    session.execute(
        sa.update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=utcnow())
    )


def token_scopes(token: ApiToken) -> frozenset[Scope]:
    return frozenset(Scope(value) for value in token.scopes.split())
