"""Getting in and out: sign-in, sign-out, invitations and password resets.

These are the only pages an anonymous visitor may see.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from domain import auth, directory, signups, users
from domain.errors import Invalid, NotFound, Unauthenticated
from erfa import ratelimit
from erfa.deps import RateLimiterDep, ReaderDep, SessionDep, client_ip
from erfa.ratelimit import RateLimiter
from models import Locale, User
from web import csrf
from web.deps import (
    SignedIn,
    WebActor,
    clear_session_cookie,
    session_secret,
    set_session_cookie,
)
from web.rendering import render, safe_next, see_other

router = APIRouter()


def sign_in(request: Request, session: Session, user_id: int, target: str) -> Response:
    """Start a fresh session (never reuse one), end the browser's old one, set the cookies."""
    if old := session_secret(request):
        auth.end_session(session, old)
    _, secret = auth.start_session(
        session, user_id, user_agent=request.headers.get("User-Agent", ""), ip=client_ip(request)
    )
    response = see_other(request, safe_next(target))
    csrf.renew_cookie(request, response)
    set_session_cookie(request, response, secret)
    return response


@router.get("/login", name="account:login", response_class=HTMLResponse)
def login_form(request: Request, actor: WebActor, next: str = "/") -> Response:
    if actor.signed_in:
        return see_other(request, safe_next(next))
    return render(request, "account/login.html", {"next": safe_next(next)})


@router.post("/login", name="account:login_submit")
def login(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    session: SessionDep,
    reader: ReaderDep,
    limiter: RateLimiterDep,
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    try:
        # The password check runs on a read-only session: on SQLite no write lock is held
        # for the quarter of a second argon2 takes.
        with ratelimit.sign_in_attempt(limiter, email, client_ip(request)), reader() as lookup:
            user = auth.sign_in_check(lookup, email=email, password=password)
    except Unauthenticated:
        context = {"next": safe_next(next), "email": email, "failed": True}
        return render(request, "account/login.html", context, status_code=401)
    assert user.id is not None
    return sign_in(request, session, user.id, next)


@router.post("/logout", name="account:logout")
def logout(request: Request, session: SessionDep, actor: SignedIn) -> Response:
    auth.end_session(session, session_secret(request))
    response = see_other(request, "/login")
    clear_session_cookie(request, response)
    return response


def link_guard(request: Request, limiter: RateLimiter) -> AbstractContextManager[None]:
    """Count unknown, spent or expired links per address; refuse after too many."""
    return ratelimit.link_attempt(limiter, client_ip(request), failures=(NotFound,))


@router.get("/invitations/{token}", name="account:invitation", response_class=HTMLResponse)
def invitation_form(
    request: Request, token: str, session: SessionDep, limiter: RateLimiterDep
) -> HTMLResponse:
    try:
        with link_guard(request, limiter):
            invitation, user = users.find_invitation(session, token)
    except users.DeadInvitation as dead:
        return _gone(request, dead)
    context = _invitation_context(session, token, user)
    context["contacts"] = users.invitation_contacts(session, invitation)
    return render(request, "account/invitation.html", context)


def _gone(request: Request, dead: users.DeadInvitation) -> HTMLResponse:
    """A link that worked once: what happened to it, and what to do now."""
    return render(request, "account/invitation_gone.html", {"dead": dead}, status_code=410)


@router.post("/invitations/{token}", name="account:invitation_submit")
def accept_invitation(
    request: Request,
    token: str,
    session: SessionDep,
    name: Annotated[str, Form(max_length=120)],
    password: Annotated[str, Form(max_length=1024)],
    locale: Annotated[Locale, Form()],
    limiter: RateLimiterDep,
    reader: ReaderDep,
    title: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    try:
        with link_guard(request, limiter):
            # A made-up link is refused before the new password is hashed; the service
            # hashes before its write transaction and checks the link again inside it.
            with reader() as lookup:
                users.find_invitation(lookup, token)
            user = users.accept_invitation(
                session,
                token=token,
                name=name,
                title=title,
                password=password,
                locale=locale,
            )
    except users.DeadInvitation as dead:
        return _gone(request, dead)
    except Invalid as exc:
        session.rollback()
        invitation, invited = users.find_invitation(session, token)
        context = _invitation_context(session, token, invited)
        context["contacts"] = users.invitation_contacts(session, invitation)
        context.update(errors=exc.errors, name=name, title=title)
        return render(request, "account/invitation.html", context, status_code=422)
    assert user.id is not None
    return sign_in(request, session, user.id, "/")


def _invitation_context(session: Session, token: str, user: User) -> dict[str, object]:
    return {
        "token": token,
        "invited": user,
        "municipality": directory.municipality_name(session, user.municipality_id),
        "errors": [],
    }


@router.get("/password-reset", name="account:reset", response_class=HTMLResponse)
def reset_request_form(request: Request) -> HTMLResponse:
    return render(request, "account/reset_request.html")


@router.post("/password-reset", name="account:reset_submit")
def request_reset(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    session: SessionDep,
    limiter: RateLimiterDep,
) -> HTMLResponse:
    """The answer is the same whether or not the address belongs to an official."""
    ratelimit.send_mail(limiter, email, client_ip(request))
    users.request_password_reset(session, email=email)
    return render(request, "account/reset_request.html", {"sent": True})


@router.get("/password-reset/{token}", name="account:reset_password", response_class=HTMLResponse)
def reset_form(
    request: Request, token: str, session: SessionDep, limiter: RateLimiterDep
) -> HTMLResponse:
    with link_guard(request, limiter):
        users.find_password_reset(session, token)
    return render(request, "account/reset_password.html", {"token": token, "errors": []})


@router.post("/password-reset/{token}", name="account:reset_password_submit")
def reset_password(
    request: Request,
    token: str,
    password: Annotated[str, Form(max_length=1024)],
    session: SessionDep,
    limiter: RateLimiterDep,
    reader: ReaderDep,
) -> Response:
    try:
        with link_guard(request, limiter):
            with reader() as lookup:  # a made-up link costs no password hash
                users.find_password_reset(lookup, token)
            users.reset_password(session, token=token, password=password)
    except Invalid as exc:
        session.rollback()
        context = {"token": token, "errors": exc.errors}
        return render(request, "account/reset_password.html", context, status_code=422)
    return see_other(request, "/login?reset=1")


@router.get("/signup", name="account:signup", response_class=HTMLResponse)
def signup_form(request: Request) -> HTMLResponse:
    return render(request, "account/signup.html", {"errors": []})


@router.post("/signup", name="account:signup_submit")
def request_account(
    request: Request,
    session: SessionDep,
    limiter: RateLimiterDep,
    email: Annotated[str, Form(max_length=254)],
    name: Annotated[str, Form(max_length=120)],
    title: Annotated[str, Form(max_length=120)] = "",
) -> HTMLResponse:
    """The same answer whether or not the address already has an account."""
    ratelimit.send_mail(limiter, email, client_ip(request))
    try:
        signups.request_account(session, email=email, name=name, title=title)
    except Invalid as exc:
        session.rollback()
        context = {"errors": exc.errors, "email": email, "name": name, "title": title}
        return render(request, "account/signup.html", context, status_code=422)
    return render(request, "account/signup.html", {"sent": True, "errors": []})
