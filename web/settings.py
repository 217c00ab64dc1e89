"""The official's own settings: profile, language, notification mail, password, sessions,
API tokens, feed key, and the download of everything erfa holds about them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlmodel import Session

from domain import auth, feed_keys, notification_mail, personal_data, users
from domain.actor import Actor
from domain.errors import Invalid
from erfa import ratelimit
from erfa.deps import IdPath, RateLimiterDep, ReaderDep, SessionDep, SettingsDep, client_ip
from erfa.settings import personal_data_export_key
from models import Locale, MailPace, Scope, utcnow
from web.account import sign_in
from web.deps import SignedIn, clear_session_cookie, session_secret
from web.rendering import render, see_other

router = APIRouter(prefix="/settings")


def settings_page(request: Request, session: Session, actor: Actor, **extra: Any) -> dict[str, Any]:
    current = auth.find_session(session, session_secret(request))
    return {
        "me": users.get_me(session, actor),
        "sessions": auth.list_sessions(session, actor),
        "current_session_id": current.id if current else None,
        "tokens": auth.list_api_tokens(session, actor),
        "export_pending": personal_data.export_pending(session, actor),
        "errors": [],
        **extra,
    }


@router.get("", name="settings:index", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    return render(request, "settings/index.html", settings_page(request, session, actor))


@router.post("/profile", name="settings:profile")
def update_profile(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    name: Annotated[str, Form(max_length=120)],
    locale: Annotated[Locale, Form()],
    title: Annotated[str, Form(max_length=120)] = "",
    handle: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    assert actor.user_id is not None
    try:
        users.update_profile(
            session,
            actor,
            user_id=actor.user_id,
            name=name,
            title=title,
            locale=locale,
            handle=handle,
        )
    except Invalid as exc:
        session.rollback()
        page = settings_page(request, session, actor, errors=exc.errors, handle_draft=handle)
        return render(request, "settings/index.html", page, status_code=422)
    return see_other(request, "/settings?saved=profile")


@router.post("/mail", name="settings:mail")
def update_mail(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    pace: Annotated[MailPace, Form()],
) -> Response:
    notification_mail.set_pace(session, actor, pace)
    return see_other(request, "/settings?saved=mail#mail-heading")


@router.post("/password", name="settings:password")
def change_password(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    actor: SignedIn,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
    limiter: RateLimiterDep,
) -> Response:
    """A new password ends every other session and every access token; this browser goes
    on in a new session. Wrong current passwords count as failed sign-ins: a stolen session
    cookie must not let anyone guess the password without limit."""
    try:
        attempt = ratelimit.sign_in_attempt(limiter, actor.email, client_ip(request))
        with attempt, reader() as lookup:  # the argon2 check holds no write lock
            confirmed = users.confirm_password(lookup, actor, current=current_password)
        user = users.change_password(session, actor, confirmed, new=new_password)
    except Invalid as exc:
        session.rollback()
        page = settings_page(request, session, actor, errors=exc.errors)
        return render(request, "settings/index.html", page, status_code=422)
    assert user.id is not None
    return sign_in(request, session, user.id, "/settings?saved=password")


@router.post("/sessions/{session_id}/revoke", name="settings:revoke_session")
def revoke_session(
    request: Request, session_id: IdPath, session: SessionDep, actor: SignedIn
) -> Response:
    auth.revoke_session(session, actor, session_id=session_id)
    return see_other(request, "/settings#sessions")


@router.post("/sessions/revoke-all", name="settings:revoke_all_sessions")
def sign_out_everywhere(request: Request, session: SessionDep, actor: SignedIn) -> Response:
    auth.sign_out_everywhere(session, actor)
    response = see_other(request, "/login")
    clear_session_cookie(request, response)
    return response


@router.post("/tokens", name="settings:create_token")
def create_token(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    name: Annotated[str, Form(max_length=120)],
    write: Annotated[bool, Form()] = False,
) -> Response:
    scopes = [Scope.READ, Scope.WRITE] if write else [Scope.READ]
    try:
        new = auth.create_api_token(session, actor, name=name, scopes=scopes)
    except Invalid as exc:
        session.rollback()
        page = settings_page(request, session, actor, errors=exc.errors)
        return render(request, "settings/index.html", page, status_code=422)
    page = settings_page(request, session, actor, new_token=new.secret)
    return render(request, "settings/index.html", page, status_code=201)


@router.post("/feed-key/revoke", name="settings:revoke_feed_key")
def revoke_feed_key(request: Request, session: SessionDep, actor: SignedIn) -> Response:
    """Every feed link handed out so far stops working; the pages show new ones."""
    feed_keys.revoke(session, actor)
    return see_other(request, "/settings?saved=feed-key#feeds")


@router.post("/tokens/{token_id}/revoke", name="settings:revoke_token")
def revoke_token(
    request: Request, token_id: IdPath, session: SessionDep, actor: SignedIn
) -> Response:
    auth.revoke_api_token(session, actor, token_id=token_id)
    return see_other(request, "/settings#tokens")


@router.post("/export", name="settings:request_export")
def request_export(request: Request, session: SessionDep, actor: SignedIn) -> Response:
    """A durable job writes the package and mails a link; one at a time per official."""
    queued = personal_data.request_export(session, actor)
    return see_other(request, f"/settings?saved={'export' if queued else 'export-pending'}#data")


@router.get("/export/{token}", name="settings:download_export", response_model=None)
def download_export(
    request: Request, token: str, actor: SignedIn, settings: SettingsDep
) -> FileResponse | HTMLResponse:
    download = personal_data.open_export(
        actor,
        key=personal_data_export_key(settings),
        token=token[:200],
        export_dir=settings.export_dir,
        now=utcnow(),
    )
    if download.path is None:
        return render(request, "settings/export_expired.html", {}, status_code=410)
    return FileResponse(
        download.path,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{download.filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
