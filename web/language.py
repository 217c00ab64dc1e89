"""Choosing the language before signing in: the header's switch on the pages anyone sees.

Signed in, an official's language is the one in their settings. Before that the choice
is kept in a cookie, so the sign-in page and the pages after it stay in that language
until the browser forgets it. The form is CSRF-checked like every other.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from models import Locale
from web.rendering import LOCALE_COOKIE, safe_next, see_other

router = APIRouter()

REMEMBERED_SECONDS = 365 * 24 * 3600


@router.post("/language", name="language:choose")
async def choose(
    request: Request,
    locale: Annotated[Locale, Form()],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    response = see_other(request, safe_next(next))
    response.set_cookie(
        LOCALE_COOKIE,
        locale.value,
        max_age=REMEMBERED_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.is_https,
        path="/",
    )
    return response
