"""CSRF protection for every unsafe browser request, forms and htmx alike.

A random value lives in an HttpOnly cookie; the token that forms carry (hidden field
`csrf_token`) and htmx sends (header `X-CSRF-Token`) is an HMAC of it under a key only
erfa knows. Another site can neither read the cookie nor compute the token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request, Response

from erfa.deps import SAFE_METHODS
from erfa.settings import Settings, derive_key

COOKIE = "erfa_csrf"
SECURE_COOKIE = "__Host-erfa_csrf"
"""Over https the cookie carries the __Host- prefix: no subdomain can plant one."""
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def _key(settings: Settings) -> bytes:
    return derive_key(settings.secret_key, "csrf").encode()


def token_for(settings: Settings, cookie: str) -> str:
    return hmac.new(_key(settings), cookie.encode(), hashlib.sha256).hexdigest()


def cookie_name(settings: Settings) -> str:
    return SECURE_COOKIE if settings.is_https else COOKIE


def token(request: Request) -> str:
    """The token for forms on this page; makes the cookie when the browser has none."""
    name = cookie_name(request.app.state.settings)
    cookie = getattr(request.state, "new_csrf_cookie", None) or request.cookies.get(name)
    if not cookie:
        cookie = secrets.token_urlsafe(32)
        request.state.new_csrf_cookie = cookie
    return token_for(request.app.state.settings, cookie)


def set_cookie(request: Request, response: Response) -> None:
    cookie = getattr(request.state, "new_csrf_cookie", None)
    if cookie:
        settings: Settings = request.app.state.settings
        response.set_cookie(
            cookie_name(settings),
            cookie,
            httponly=True,
            samesite="lax",
            secure=settings.is_https,
            path="/",
        )


def renew_cookie(request: Request, response: Response) -> None:
    """A fresh value at sign-in: a value planted before it is worth nothing after."""
    request.state.new_csrf_cookie = secrets.token_urlsafe(32)
    set_cookie(request, response)


async def verify(request: Request) -> None:
    """Router dependency: an unsafe request without the right token is refused with 403.

    The token comes from the header, or the form field of a small urlencoded form. A
    multipart body (a file upload) is never parsed for it: its form carries the token in
    its action's query string, so that a forged upload is refused before its file is read.
    """
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(cookie_name(request.app.state.settings))
    sent = request.headers.get(HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith("multipart/form-data"):
        sent = request.query_params.get(FIELD)
    elif sent is None and content_type.startswith("application/x-www-form-urlencoded"):
        value = (await request.form()).get(FIELD)
        sent = value if isinstance(value, str) else None
    expected = token_for(request.app.state.settings, cookie) if cookie else None
    # Bytes: compare_digest refuses str with non-ASCII characters (a 500 for a forged token).
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="csrf")
