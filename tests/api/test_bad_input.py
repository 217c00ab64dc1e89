"""Input that could break the database layer gets a 422 problem, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import User
from tests.factories import make_user

HUGE = 2**70


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", f"/api/v1/me/tokens/{HUGE}"),
        ("POST", f"/api/v1/users/{HUGE}/suspend"),
        ("POST", f"/api/v1/join-requests/{HUGE}/approve"),
        ("PUT", f"/api/v1/groups/x/members/{HUGE}"),
        ("DELETE", "/api/v1/me/tokens/0"),
    ],
)
def test_ids_out_of_range_are_422(
    method: str, path: str, api_as: Callable[[User], TestClient], session: Session
) -> None:
    client = api_as(make_user(session, is_coordinator=True))
    response = client.request(method, path, json={"role": "member"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_a_naive_expiry_is_a_422(api_as: Callable[[User], TestClient], session: Session) -> None:
    client = api_as(make_user(session))
    response = client.post(
        "/api/v1/me/tokens",
        json={"name": "x", "scopes": ["read"], "expires_at": "2099-01-01T00:00:00"},
    )
    assert response.status_code == 422


def test_nul_characters_never_cause_a_500(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token", data={"username": "a\x00@nora.se", "password": "x"}
    )
    assert response.status_code in (401, 422)
