"""One-click unsubscribe from notification mail (RFC 8058).

Every notification mail carries `List-Unsubscribe: <…/unsubscribe/TOKEN>` and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`: a mail client unsubscribes with a
POST to that link, without cookies, so the token is the only credential (an HMAC for
the official, `domain/notification_mail.py`) and these routes take neither a session nor
CSRF. A GET only asks (link checkers and previews open links); the button on that page
posts to the same address. A token erfa did not make is a plain 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from domain import notification_mail
from erfa.deps import SessionDep, SettingsDep
from erfa.settings import unsubscribe_key
from web.rendering import render

router = APIRouter()


@router.get("/unsubscribe/{token}", name="mail:unsubscribe_form", response_class=HTMLResponse)
def unsubscribe_form(
    request: Request, token: str, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    user = notification_mail.token_owner(session, unsubscribe_key(settings), token[:100])
    return render(request, "notifications/unsubscribe.html", {"email": user.email, "token": token})


@router.post("/unsubscribe/{token}", name="mail:unsubscribe", response_class=HTMLResponse)
def unsubscribe(
    request: Request, token: str, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    user = notification_mail.unsubscribe(session, unsubscribe_key(settings), token[:100])
    context = {"email": user.email, "token": token, "done": True}
    return render(request, "notifications/unsubscribe.html", context)
