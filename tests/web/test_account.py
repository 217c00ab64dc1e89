"""Signing in and out in the browser, sessions, CSRF, invitations and password resets."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from domain import auth, users
from domain.actor import SYSTEM, load_actor
from domain.secrets import digest, new_secret
from models import Invitation, MemberRole, PasswordReset, User, UserStatus, WebSession, utcnow
from tests.factories import PASSWORD, make_group, make_membership, make_user, municipality
from tests.routes import api_routes
from web import csrf
from web.deps import SESSION_COOKIE


@pytest.fixture
def visitor(app: FastAPI) -> TestClient:
    """A browser with nobody signed in; it keeps cookies and does not follow redirects."""
    return TestClient(app, follow_redirects=False)


def form_token(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


def post_login(
    client: TestClient,
    email: str,
    password: str = PASSWORD,
    *,
    token: str | None = None,
    next: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """POST the sign-in form as a browser would (with the page's CSRF token)."""
    data = {"email": email, "password": password, "csrf_token": token or form_token(client)}
    if next is not None:
        data["next"] = next
    return client.post("/login", data=data, headers=headers)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> TestClient:
    response = post_login(client, email, password)
    assert response.status_code == 303, response.text
    return client


def known_secret(row: Invitation | PasswordReset) -> str:
    """Give a link row a secret the test knows (the real one left in a queued mail)."""
    secret, row.token_hash = new_secret()
    return secret


def test_anonymous_visitors_are_sent_to_sign_in_and_back(visitor: TestClient) -> None:
    response = visitor.get("/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsettings"
    assert visitor.get("/").headers["location"] == "/login"


def test_signing_in_sets_an_httponly_lax_session_cookie_and_honours_next(
    visitor: TestClient, session: Session
) -> None:
    make_user(session, email="eva@hedemora.se")
    response = post_login(visitor, "eva@hedemora.se", next="/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("erfa_session")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # ERFA_BASE_URL is http here
    assert visitor.get("/settings").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_next_never_leads_off_site(visitor: TestClient, session: Session, target: str) -> None:
    make_user(session, email="eva@hedemora.se")
    response = post_login(visitor, "eva@hedemora.se", next=target)
    assert response.headers["location"] == "/"


def test_a_wrong_password_re_renders_the_form_with_a_message(
    visitor: TestClient, session: Session
) -> None:
    make_user(session, email="eva@hedemora.se")
    token = form_token(visitor)
    wrong = visitor.post(
        "/login", data={"email": "eva@hedemora.se", "password": "nope", "csrf_token": token}
    )
    unknown = visitor.post(
        "/login", data={"email": "nobody@hedemora.se", "password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "E-postadressen eller lösenordet stämmer inte." in wrong.text
    assert wrong.text.replace("eva@", "x@") == unknown.text.replace("nobody@", "x@")


def test_a_post_without_csrf_token_is_refused_with_a_readable_page(
    visitor: TestClient, session: Session, browser_as: Callable[[User], TestClient]
) -> None:
    make_user(session, email="eva@hedemora.se")
    form_token(visitor)  # the cookie is there, the token is not sent
    response = visitor.post("/login", data={"email": "eva@hedemora.se", "password": PASSWORD})
    assert response.status_code == 403
    assert "Formuläret hade gått ut" in response.text
    signed_in = browser_as(make_user(session))
    del signed_in.headers[csrf.HEADER]
    assert signed_in.post("/logout").status_code == 403
    forged = signed_in.post("/logout", headers={csrf.HEADER: "0" * 64})
    assert forged.status_code == 403


def test_htmx_requests_carry_the_token_in_a_header(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    client = browser_as(make_user(session))
    response = client.post("/logout", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/login"


def test_sign_out_ends_the_session_on_the_server(visitor: TestClient, session: Session) -> None:
    make_user(session, email="eva@hedemora.se")
    sign_in(visitor, "eva@hedemora.se")
    stolen = visitor.cookies[SESSION_COOKIE]
    token = form_token(visitor, "/settings")
    assert visitor.post("/logout", data={"csrf_token": token}).status_code == 303
    visitor.cookies.set(SESSION_COOKIE, stolen)  # replaying the old cookie does not work
    assert visitor.get("/settings").status_code == 303


def test_sign_out_everywhere_and_password_change_end_all_sessions(
    app: FastAPI, session: Session
) -> None:
    user = make_user(session, email="eva@hedemora.se")
    first = sign_in(TestClient(app, follow_redirects=False), user.email)
    second = sign_in(TestClient(app, follow_redirects=False), user.email)
    token = form_token(first, "/settings")
    assert (
        first.post("/settings/sessions/revoke-all", data={"csrf_token": token}).status_code == 303
    )
    assert second.get("/settings").status_code == 303

    third = sign_in(TestClient(app, follow_redirects=False), user.email)
    fourth = sign_in(TestClient(app, follow_redirects=False), user.email)
    token = form_token(third, "/settings")
    changed = third.post(
        "/settings/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "Ny lösenordsfras för Hedemora",
        },
    )
    assert changed.status_code == 303
    assert fourth.get("/settings").status_code == 303
    sign_in(TestClient(app, follow_redirects=False), user.email, "Ny lösenordsfras för Hedemora")


def test_suspension_ends_sessions_at_once(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    user = make_user(session)
    client = browser_as(user)
    assert client.get("/settings").status_code == 200
    assert user.id is not None
    users.set_suspended(session, SYSTEM, user_id=user.id, suspended=True)
    session.flush()
    assert client.get("/settings").status_code == 303


def test_idle_and_old_sessions_end(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    user = make_user(session)
    client = browser_as(user)
    row = session.exec(select(WebSession).where(WebSession.user_id == user.id)).one()
    row.last_seen_at = utcnow() - auth.SESSION_IDLE - timedelta(minutes=1)
    session.flush()
    assert client.get("/settings").status_code == 303

    client = browser_as(user)
    rows = session.exec(select(WebSession).where(WebSession.user_id == user.id)).all()
    newest = max(rows, key=lambda r: r.id or 0)
    newest.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    assert client.get("/settings").status_code == 303


def test_an_invitation_works_once_and_signs_the_official_in(
    visitor: TestClient, session: Session
) -> None:
    users.invite_official(
        session, SYSTEM, email="ny@fagersta.se", name="Ny", municipality="fagersta"
    )
    secret = known_secret(session.exec(select(Invitation)).all()[-1])
    session.flush()
    path = f"/invitations/{secret}"
    token = form_token(visitor, path)
    data = {
        "csrf_token": token,
        "name": "Nils Ny",
        "title": "Utvecklare",
        "municipality": "storfors",  # ignored: the invitation named the municipality
        "password": "Ett långt lösenord i Fagersta",
        "locale": "en",
    }
    accepted = visitor.post(path, data=data)
    assert accepted.status_code == 303
    assert visitor.get("/settings").status_code == 200
    user = users.user_by_email(session, "ny@fagersta.se")
    assert user is not None
    session.refresh(user)
    assert user.status is UserStatus.ACTIVE
    assert user.name == "Nils Ny"
    assert user.municipality_id == municipality(session, "fagersta").id
    used = visitor.get(path)
    assert used.status_code == 410
    assert "Inbjudan är redan använd" in used.text
    assert 'href="/login"' in used.text
    data["csrf_token"] = form_token(visitor, "/settings")  # renewed at sign-in
    assert visitor.post(path, data=data).status_code == 410
    assert visitor.get("/invitations/made-up-link").status_code == 404


def test_an_expired_invitation_is_refused_and_says_whom_to_ask(
    visitor: TestClient, session: Session
) -> None:
    coordinator = make_user(session, name="Sara Samordnare", email="sara@avesta.se")
    coordinator.is_coordinator = True
    users.invite_official(session, SYSTEM, email="sen@nora.se", name="Sen", municipality="nora")
    invitation = session.exec(select(Invitation)).all()[-1]
    secret = known_secret(invitation)
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    page = visitor.get(f"/invitations/{secret}")
    assert page.status_code == 410
    assert "Inbjudan har gått ut" in page.text
    assert "sen@nora.se" in page.text
    assert 'href="mailto:sara@avesta.se"' in page.text  # no inviter: the coordinators
    assert "Sidan finns inte" not in page.text


def test_a_replaced_invitation_points_to_the_newer_mail(
    visitor: TestClient, session: Session
) -> None:
    lead = make_user(session, name="Lena Lead", email="lena@nora.se")
    group = make_group(session, slug="ersatt", name="Ersättargruppen")
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    actor = load_actor(session, lead.id or 0)
    user = users.invite_official(
        session, actor, email="om@nora.se", name="Om", municipality="nora", group="ersatt"
    )
    first = session.exec(select(Invitation)).all()[-1]
    old_secret = known_secret(first)
    new_secret_value = "en-nyare-lank-som-ersatter-den-forsta"
    first.expires_at = utcnow()
    session.add(
        Invitation(
            user_id=user.id or 0,
            invited_by_id=lead.id,
            group_id=group.id,
            token_hash=digest(new_secret_value),
            expires_at=utcnow() + timedelta(days=7),
        )
    )
    session.flush()
    page = visitor.get(f"/invitations/{old_secret}")
    assert page.status_code == 410
    assert "En nyare inbjudan har skickats" in page.text
    assert 'href="mailto:lena@nora.se"' in page.text  # who invited them
    current = visitor.get(f"/invitations/{new_secret_value}")
    assert current.status_code == 200
    assert "Lena Lead (lena@nora.se), som bjöd in dig" in current.text
    assert "samordnaren som bjöd in dig" not in current.text


def test_invitation_form_shows_what_is_wrong_in_place(
    visitor: TestClient, session: Session
) -> None:
    users.invite_official(session, SYSTEM, email="fel@nora.se", name="Fel", municipality="nora")
    secret = known_secret(session.exec(select(Invitation)).all()[-1])
    session.flush()
    path = f"/invitations/{secret}"
    token = form_token(visitor, path)
    response = visitor.post(
        path,
        data={
            "csrf_token": token,
            "name": "Fel",
            "municipality": "nora",
            "password": "password",
            "locale": "sv",
        },
    )
    assert response.status_code == 422
    assert "Lösenordet måste vara minst 12 tecken långt." in response.text
    assert visitor.get(path).status_code == 200  # still usable


def test_password_reset_works_once_within_the_hour_and_ends_sessions(
    visitor: TestClient, session: Session, app: FastAPI
) -> None:
    user = make_user(session, email="glomsk@avesta.se")
    other_browser = sign_in(TestClient(app, follow_redirects=False), user.email)
    token = form_token(visitor, "/password-reset")
    asked = visitor.post("/password-reset", data={"email": user.email, "csrf_token": token})
    unknown = visitor.post("/password-reset", data={"email": "vem@avesta.se", "csrf_token": token})
    assert asked.status_code == unknown.status_code == 200
    assert "en länk för att välja nytt lösenord på väg" in asked.text
    assert asked.text == unknown.text
    reset = session.exec(select(PasswordReset).where(PasswordReset.user_id == user.id)).one()
    secret = known_secret(reset)
    session.flush()
    path = f"/password-reset/{secret}"
    token = form_token(visitor, path)
    done = visitor.post(path, data={"csrf_token": token, "password": "Helt nytt lösenord 2026"})
    assert done.status_code == 303
    assert other_browser.get("/settings").status_code == 303  # sessions ended
    assert visitor.get(path).status_code == 404  # the link is spent
    sign_in(TestClient(app, follow_redirects=False), user.email, "Helt nytt lösenord 2026")

    users.request_password_reset(session, email=user.email)
    late = session.exec(select(PasswordReset).where(PasswordReset.used_at.is_(None))).one()  # type: ignore[union-attr]
    secret = known_secret(late)
    late.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    assert visitor.get(f"/password-reset/{secret}").status_code == 404


def test_sign_in_failures_in_the_browser_are_limited_too(
    visitor: TestClient, session: Session
) -> None:
    make_user(session, email="eva@hedemora.se")
    token = form_token(visitor)
    for _ in range(10):
        post_login(visitor, "eva@hedemora.se", "gissning", token=token)
    blocked = post_login(visitor, "eva@hedemora.se", token=token)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "För många försök" in blocked.text


PUBLIC = {
    "/login",
    "/logout",
    "/invitations/{token}",
    "/password-reset",
    "/password-reset/{token}",
    "/signup",
    "/healthz",
    "/api/v1/auth/token",
    "/static/vendor/{name}",
}
KEY_BASED = {"/cal/{key}.ics", "/unsubscribe/{token}"}
"""The personal calendar feed and the one-click unsubscribe link of notification mail:
their key is their credential, so a key that does not work is a 404 like a feed that does
not exist (tests/web/test_calendar.py, tests/domain/test_notification_mail.py)."""


def test_no_page_or_endpoint_answers_an_anonymous_visitor(app: FastAPI) -> None:
    """Everything but sign-in, invitation, reset and health needs a signed-in official."""
    client = TestClient(app, follow_redirects=False)
    answered = []
    routes = api_routes(app)
    assert len(routes) > 50
    for route in routes:
        if route.path in PUBLIC:
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in route.methods - {"HEAD"}:
            response = client.request(method, path)
            refused = (404,) if route.path in KEY_BASED else (303, 401, 403)
            if response.status_code not in refused:
                answered.append(f"{method} {route.path}: {response.status_code}")
    assert answered == []


def test_guessing_invitation_or_reset_links_is_limited_per_address(visitor: TestClient) -> None:
    """30 guesses a quarter of an hour. The limit counts in a sliding window (erfa/ratelimit.py),
    whose estimate lets up to twice as many through when the guesses straddle the edge of
    its clock-aligned window, as a test run may: never fewer."""
    for n in range(30):
        path = f"/invitations/guess{n}" if n % 2 else f"/password-reset/guess{n}"
        assert visitor.get(path).status_code == 404
    answers = [visitor.get(f"/invitations/one-more-guess{n}") for n in range(31)]
    blocked = next((a for a in answers if a.status_code == 429), None)
    assert blocked is not None, [a.status_code for a in answers]
    assert {a.status_code for a in answers[: answers.index(blocked)]} <= {404}
    assert "Retry-After" in blocked.headers


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\\evil.example", "/\n/evil", "/ok\x00"])
def test_next_with_control_characters_or_backslashes_stays_on_site_with_htmx_too(
    visitor: TestClient, session: Session, target: str
) -> None:
    make_user(session, email="eva@hedemora.se")
    response = post_login(visitor, "eva@hedemora.se", next=target, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"


def test_guessing_the_current_password_counts_as_failed_sign_ins(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    client = browser_as(make_user(session))
    for _ in range(10):
        wrong = client.post(
            "/settings/password", data={"current_password": "gissning", "new_password": "x" * 20}
        )
        assert wrong.status_code == 422
    blocked = client.post(
        "/settings/password", data={"current_password": PASSWORD, "new_password": "x" * 20}
    )
    assert blocked.status_code == 429


def test_a_csrf_token_with_non_ascii_characters_is_refused_not_a_500(
    visitor: TestClient,
) -> None:
    form_token(visitor)  # the browser holds a CSRF cookie
    answer = visitor.post("/login", data={"email": "a@b.se", "password": "x", "csrf_token": "été"})
    assert answer.status_code == 403
    assert "Ladda om sidan" in answer.text or "formuläret" in answer.text


def test_over_https_the_session_cookie_carries_the_host_prefix(
    app: FastAPI, session: Session
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"base_url": "https://erfa.test"})
    user = make_user(session)
    browser = TestClient(app, base_url="https://erfa.test", follow_redirects=False)
    answer = post_login(browser, user.email)
    assert answer.status_code == 303
    cookie = next(line for line in answer.headers.get_list("set-cookie") if "erfa_session=" in line)
    assert cookie.startswith("__Host-erfa_session=")
    assert "Secure" in cookie
    assert "Path=/" in cookie
    assert "Domain" not in cookie
    assert browser.get("/settings").status_code == 200
    out = browser.post("/logout", data={"csrf_token": form_token(browser, "/settings")})
    assert "__Host-erfa_session=" in out.headers["set-cookie"]
    assert browser.get("/settings").status_code == 303
