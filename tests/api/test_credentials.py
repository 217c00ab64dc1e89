"""What ends an official's credentials: browser sessions, access tokens (JWTs), API tokens.

A password reset ("my account was taken"), "sign out everywhere" and a suspension end all
three; a password change ends the other sessions and the access tokens and keeps the API
tokens. An access token issued before a suspension stays dead after reactivation.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from domain import auth, users
from domain.actor import SYSTEM, load_actor
from domain.secrets import new_secret
from models import PasswordReset, Scope, User
from tests.factories import PASSWORD, make_user

Client = Callable[[User], TestClient]
NEW_PASSWORD = "Ett alldeles nytt lösenord"


class Credentials:
    """One official signed in three ways at once."""

    def __init__(self, app: FastAPI, session: Session, user: User, api_as: Client) -> None:
        assert user.id is not None
        self.jwt = api_as(user)
        token = auth.create_api_token(
            session, load_actor(session, user.id), name="intranät", scopes=[Scope.READ]
        )
        self.pat = TestClient(app, headers={"Authorization": f"Bearer {token.secret}"})
        _, secret = auth.start_session(session, user.id)
        session.flush()
        self.browser = TestClient(app, follow_redirects=False, cookies={"erfa_session": secret})

    def alive(self) -> dict[str, bool]:
        return {
            "jwt": self.jwt.get("/api/v1/me").status_code == 200,
            "api token": self.pat.get("/api/v1/me").status_code == 200,
            "session": self.browser.get("/settings").status_code == 200,
        }


@pytest.fixture
def official(session: Session) -> User:
    return make_user(session, email="kapad@ludvika.se")


@pytest.fixture
def signed_in(app: FastAPI, session: Session, official: User, api_as: Client) -> Credentials:
    credentials = Credentials(app, session, official, api_as)
    assert credentials.alive() == {"jwt": True, "api token": True, "session": True}
    return credentials


def _new_access_token(app: FastAPI, email: str, password: str) -> TestClient:
    answer = TestClient(app).post(
        "/api/v1/auth/token", data={"username": email, "password": password}
    )
    assert answer.status_code == 200, answer.text
    return TestClient(app, headers={"Authorization": f"Bearer {answer.json()['access_token']}"})


def test_a_password_reset_ends_sessions_access_tokens_and_api_tokens(
    app: FastAPI, session: Session, official: User, signed_in: Credentials
) -> None:
    users.request_password_reset(session, email=official.email)
    reset = session.exec(select(PasswordReset).where(PasswordReset.user_id == official.id)).one()
    secret, reset.token_hash = new_secret()
    session.flush()
    users.reset_password(session, token=secret, password=NEW_PASSWORD)
    session.flush()
    assert signed_in.alive() == {"jwt": False, "api token": False, "session": False}
    # A token asked for at once, in the same second as the reset, works.
    assert _new_access_token(app, official.email, NEW_PASSWORD).get("/api/v1/me").status_code == 200


def test_sign_out_everywhere_ends_sessions_access_tokens_and_api_tokens(
    app: FastAPI, signed_in: Credentials, official: User, browser_as: Client
) -> None:
    out = browser_as(official).post("/settings/sessions/revoke-all")
    assert out.status_code == 303
    assert signed_in.alive() == {"jwt": False, "api token": False, "session": False}
    assert _new_access_token(app, official.email, PASSWORD).get("/api/v1/me").status_code == 200


def test_a_jwt_issued_before_a_suspension_stays_dead_after_reactivation(
    app: FastAPI, session: Session, official: User, signed_in: Credentials
) -> None:
    assert official.id is not None
    users.set_suspended(session, SYSTEM, user_id=official.id, suspended=True)
    session.flush()
    assert signed_in.alive() == {"jwt": False, "api token": False, "session": False}
    users.set_suspended(session, SYSTEM, user_id=official.id, suspended=False)
    session.flush()
    assert signed_in.alive() == {"jwt": False, "api token": False, "session": False}
    assert _new_access_token(app, official.email, PASSWORD).get("/api/v1/me").status_code == 200


def test_a_password_change_ends_other_sessions_and_jwts_and_keeps_api_tokens(
    app: FastAPI, session: Session, official: User, signed_in: Credentials, browser_as: Client
) -> None:
    here = browser_as(official)
    page = here.get("/settings")
    assert "Dina API-nycklar nedan fortsätter att fungera" in page.text
    changed = here.post(
        "/settings/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 303
    assert changed.headers["location"] == "/settings?saved=password"
    assert signed_in.alive() == {"jwt": False, "api token": True, "session": False}
    # This browser goes on, in a new session (the old cookie is dead).
    cookie = re.search(r"erfa_session=([^;]+)", changed.headers["set-cookie"])
    assert cookie is not None
    here.cookies.set("erfa_session", cookie.group(1))
    after = here.get("/settings?saved=password")
    assert after.status_code == 200
    assert "dina API-nycklar fungerar fortfarande" in after.text


def test_an_access_token_dated_in_the_second_of_the_revocation_is_void(
    session: Session, official: User
) -> None:
    """The check is on `iat` against the stored revocation, not on anything in the token
    that erfa issued afterwards."""
    assert official.id is not None
    auth.revoke_credentials(session, official.id, api_tokens=False)
    session.flush()
    assert official.credentials_revoked_at is not None
    revoked_second = int(official.credentials_revoked_at.timestamp())
    actor_before = load_actor(session, official.id, issued_at=revoked_second)
    actor_after = load_actor(session, official.id, issued_at=revoked_second + 1)
    assert not actor_before.signed_in
    assert actor_after.signed_in
