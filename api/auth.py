"""Who calls the API: short-lived JWT access tokens and personal API tokens.

Access tokens are HS256 JWTs signed with `ERFA_JWT_SECRET`; `sub`, `iss`, `aud`, `iat`,
`exp` and `jti` are all required and checked, and no other algorithm is accepted.
Personal API tokens are random secrets with the prefix `erfa_pat_`, stored as digests.
Both are sent as `Authorization: Bearer …`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jose import JWTError, jwt
from sqlmodel import Session

from domain import auth, policy
from domain.actor import Actor, load_actor
from domain.errors import Unauthenticated
from erfa.deps import (
    SAFE_METHODS,
    SessionDep,
    SettingsDep,
    SideWrites,
    SideWritesDep,
    identity_session,
)
from erfa.settings import Settings
from models import utcnow

ALGORITHM = "HS256"
ISSUER = "erfa"
AUDIENCE = "erfa-api"
ACCESS_TOKEN_SECONDS = 15 * 60
_REQUIRED = ("sub", "iss", "aud", "iat", "exp", "jti")

# Both kinds of token arrive in the same `Authorization: Bearer …` header. They are two
# schemes of the OpenAPI document so that /api/docs offers both under "Authorize" and every
# operation says it takes either; `get_api_actor` tells them apart by the token's prefix.
ACCESS_TOKEN_SCHEME = HTTPBearer(
    scheme_name="accessToken",
    bearerFormat="JWT",
    description="A short-lived access token (15 minutes) from `POST /api/v1/auth/token`.",
    auto_error=False,
)
API_TOKEN_SCHEME = HTTPBearer(
    scheme_name="apiToken",
    bearerFormat="erfa_pat_…",
    description="A personal API token (`erfa_pat_…`) from `POST /api/v1/me/tokens` or the "
    "settings page; its scopes are `read` or `read` and `write`.",
    auto_error=False,
)
Bearer = HTTPAuthorizationCredentials | None


def issue_access_token(settings: Settings, user_id: int, *, valid_from: int = 0) -> str:
    """An access token; `valid_from` is the official's `tokens_valid_from`, so that a token
    issued in the same second as a revocation, after it, is not void."""
    now = int(utcnow().timestamp())
    claims = {
        "sub": str(user_id),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": max(now, valid_from),
        "exp": now + ACCESS_TOKEN_SECONDS,
        "jti": uuid.uuid4().hex,
    }
    token: str = jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)
    return token


def verify_access_token(settings: Settings, token: str) -> tuple[int, int]:
    """The user id and issue time (`iat`) of a valid access token; `Unauthenticated` for
    anything else. Whether the official has revoked it since is `load_actor`'s question."""
    try:
        if jwt.get_unverified_header(token).get("alg") != ALGORITHM:
            raise Unauthenticated("The access token is not valid.")
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={f"require_{claim}": True for claim in _REQUIRED},
        )
        return int(claims["sub"]), int(claims["iat"])
    except (JWTError, KeyError, ValueError, TypeError, OverflowError):
        raise Unauthenticated("The access token is not valid.") from None


def get_api_actor(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    side: SideWritesDep,
    access: Annotated[Bearer, Security(ACCESS_TOKEN_SCHEME)],
    personal: Annotated[Bearer, Security(API_TOKEN_SCHEME)],
) -> Actor:
    """The signed-in caller; unsafe methods also need a token that may write."""
    return identify(request, session, settings, side, access or personal)


def identify(
    request: Request, session: Session, settings: Settings, side: SideWrites, bearer: Bearer
) -> Actor:
    """The caller of `bearer` (either kind of token), as `get_api_actor` gives it; for a
    handler that does its blocking work in one hop of its own (api/sync.py)."""
    if bearer is None:
        raise Unauthenticated()
    credential = bearer.credentials
    with identity_session(request, session) as reader:
        if credential.startswith(auth.API_TOKEN_PREFIX):
            token = auth.find_api_token(reader, credential)
            if token is None or token.id is None:
                raise Unauthenticated("The API token is not valid.")
            if auth.token_needs_touch(token):
                token_id = token.id
                side.add(lambda writer: auth.touch_api_token(writer, token_id))
            actor = load_actor(reader, token.user_id, scopes=auth.token_scopes(token))
        else:
            user_id, issued_at = verify_access_token(settings, credential)
            actor = load_actor(reader, user_id, issued_at=issued_at)
    if not actor.signed_in:
        raise Unauthenticated("The account is not active.")
    if request.method not in SAFE_METHODS:
        policy.require_write_access(actor)
    return actor


ApiActor = Annotated[Actor, Depends(get_api_actor)]
