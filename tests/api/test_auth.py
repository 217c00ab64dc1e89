"""API authentication: what a valid access token is, and everything that is not one."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jose import jwt
from sqlmodel import Session

from api.auth import ACCESS_TOKEN_SECONDS, issue_access_token
from domain import users
from domain.actor import SYSTEM
from erfa.settings import Settings
from models import User, UserStatus
from tests.factories import PASSWORD, make_user

PROBLEM = "application/problem+json"


def claims(user: User, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": str(user.id),
        "iss": "erfa",
        "aud": "erfa-api",
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def call_me(client: TestClient, token: str) -> Any:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_password_grant_returns_a_short_lived_bearer_token(
    client: TestClient, session: Session, settings: Settings
) -> None:
    user = make_user(session, email="karin@nora.se")
    response = client.post(
        "/api/v1/auth/token", data={"username": "Karin@Nora.se", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == ACCESS_TOKEN_SECONDS <= 15 * 60
    decoded = jwt.decode(
        body["access_token"],
        settings.jwt_secret,
        algorithms=["HS256"],
        audience="erfa-api",
        issuer="erfa",
    )
    assert decoded["sub"] == str(user.id)
    assert set(decoded) == {"sub", "iss", "aud", "iat", "exp", "jti"}
    me = call_me(client, body["access_token"])
    assert me.status_code == 200
    assert me.json()["email"] == "karin@nora.se"


def test_a_wrong_password_gets_401_problem_without_saying_which_part_was_wrong(
    client: TestClient, session: Session
) -> None:
    make_user(session, email="karin@nora.se")
    wrong = client.post("/api/v1/auth/token", data={"username": "karin@nora.se", "password": "x"})
    unknown = client.post("/api/v1/auth/token", data={"username": "no@nora.se", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["content-type"] == PROBLEM
    assert wrong.json() == unknown.json()


BAD_TOKENS: dict[str, Callable[[User, Settings], str]] = {
    "tampered signature": lambda u, s: issue_access_token(s, u.id or 0)[:-3] + "abc",
    "tampered subject": lambda u, s: ".".join(
        [
            (parts := issue_access_token(s, u.id or 0).split("."))[0],
            b64(claims(u, sub="999999")),
            parts[2],
        ]
    ),
    "expired": lambda u, s: jwt.encode(claims(u, exp=int(time.time()) - 5), s.jwt_secret),
    "wrong key": lambda u, s: jwt.encode(claims(u), "another key of at least 32 characters!"),
    "wrong audience": lambda u, s: jwt.encode(claims(u, aud="someone-else"), s.jwt_secret),
    "wrong issuer": lambda u, s: jwt.encode(claims(u, iss="evil"), s.jwt_secret),
    "no jti": lambda u, s: jwt.encode(claims(u, jti=None), s.jwt_secret),
    "no iat": lambda u, s: jwt.encode(claims(u, iat=None), s.jwt_secret),
    "no exp": lambda u, s: jwt.encode(claims(u, exp=None), s.jwt_secret),
    "no sub": lambda u, s: jwt.encode(claims(u, sub=None), s.jwt_secret),
    "alg none": lambda u, s: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(u))}.",
    "alg HS512": lambda u, s: jwt.encode(claims(u), s.jwt_secret, algorithm="HS512"),
    "garbage": lambda u, s: "not-a-token",
    "unknown api token": lambda u, s: "erfa_pat_" + "x" * 43,
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_a_token_that_is_not_valid_is_a_401_problem(
    kind: str, client: TestClient, session: Session, settings: Settings
) -> None:
    token = BAD_TOKENS[kind](make_user(session), settings)
    response = call_me(client, token)
    assert response.status_code == 401, kind
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_no_credentials_is_a_401_problem(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Basic a2FyaW46eA=="}, {"Authorization": "Bearer "}):
        response = client.get("/api/v1/groups", headers=headers)
        assert response.status_code == 401
        assert response.json()["type"] == "/problems/unauthenticated"


def test_a_suspended_officials_tokens_stop_working_at_once(
    client: TestClient, session: Session, settings: Settings
) -> None:
    user = make_user(session)
    assert user.id is not None
    access = issue_access_token(settings, user.id)
    created = client.post(
        "/api/v1/me/tokens",
        json={"name": "intranät", "scopes": ["read"]},
        headers={"Authorization": f"Bearer {access}"},
    )
    personal = created.json()["token"]
    assert call_me(client, personal).status_code == 200

    users.set_suspended(session, SYSTEM, user_id=user.id, suspended=True)
    session.flush()

    assert call_me(client, access).status_code == 401
    assert call_me(client, personal).status_code == 401
    login = client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD})
    assert login.status_code == 401
    assert user.status is UserStatus.SUSPENDED


def test_personal_tokens_are_shown_once_stored_hashed_and_revocable(
    api_as: Callable[[User], TestClient], client: TestClient, session: Session
) -> None:
    owner = api_as(make_user(session))
    created = owner.post("/api/v1/me/tokens", json={"name": "Nyhetsbrev", "scopes": ["read"]})
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {
        "id",
        "name",
        "scopes",
        "token",
        "created_at",
        "expires_at",
        "last_used_at",
    }
    assert body["token"].startswith("erfa_pat_")
    listed = owner.get("/api/v1/me/tokens").json()["items"]
    assert [t["id"] for t in listed] == [body["id"]]
    assert "token" not in listed[0]
    from models import ApiToken

    stored = session.get(ApiToken, body["id"])
    assert stored is not None
    assert body["token"] not in stored.token_hash

    assert call_me(client, body["token"]).status_code == 200
    assert owner.delete(f"/api/v1/me/tokens/{body['id']}").status_code == 204
    assert call_me(client, body["token"]).status_code == 401
    assert owner.delete(f"/api/v1/me/tokens/{body['id']}").status_code == 404


def test_a_read_token_that_writes_gets_403(
    api_as: Callable[[User], TestClient], client: TestClient, session: Session
) -> None:
    owner = api_as(make_user(session))
    read_only = owner.post("/api/v1/me/tokens", json={"name": "läs", "scopes": ["read"]}).json()
    writer = owner.post(
        "/api/v1/me/tokens", json={"name": "skriv", "scopes": ["read", "write"]}
    ).json()
    new = {"name": "x", "scopes": ["read"]}

    denied = client.post(
        "/api/v1/me/tokens", json=new, headers={"Authorization": f"Bearer {read_only['token']}"}
    )
    allowed = client.post(
        "/api/v1/me/tokens", json=new, headers={"Authorization": f"Bearer {writer['token']}"}
    )

    assert denied.status_code == 403
    assert denied.json()["detail"] == "This token may only read."
    assert allowed.status_code == 201


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "", "scopes": ["read"]},
        {"name": "x", "scopes": ["write"]},
        {"name": "x", "scopes": ["admin"]},
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"},
    ],
)
def test_bad_token_requests_are_422_problems(
    payload: dict[str, Any], api_as: Callable[[User], TestClient], session: Session
) -> None:
    response = api_as(make_user(session)).post("/api/v1/me/tokens", json=payload)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"]


def test_sign_in_failures_are_limited_per_account_with_retry_after(
    client: TestClient, session: Session
) -> None:
    make_user(session, email="target@nora.se")
    for _ in range(10):
        failed = client.post(
            "/api/v1/auth/token", data={"username": "target@nora.se", "password": "guess"}
        )
        assert failed.status_code == 401
    blocked = client.post(
        "/api/v1/auth/token", data={"username": "target@nora.se", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert blocked.headers["content-type"] == PROBLEM
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    other = client.post(
        "/api/v1/auth/token", data={"username": "other@nora.se", "password": "guess"}
    )
    assert other.status_code == 401  # the account limit is per account


def test_sign_in_failures_are_limited_per_ip_address(client: TestClient) -> None:
    for n in range(30):
        response = client.post(
            "/api/v1/auth/token", data={"username": f"user{n}@nora.se", "password": "guess"}
        )
        assert response.status_code == 401
    blocked = client.post(
        "/api/v1/auth/token", data={"username": "fresh@nora.se", "password": "guess"}
    )
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
