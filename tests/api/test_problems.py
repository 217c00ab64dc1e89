from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain import handles
from models import User
from tests.factories import make_user

PROBLEM = "application/problem+json"


def test_an_unknown_api_route_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "There is nothing at /api/v1/no-such-thing."


def test_a_wrong_method_is_a_405_problem(client: TestClient) -> None:
    response = client.delete("/api/v1/municipalities")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Method not allowed"


def test_an_unexpected_failure_is_a_500_problem_without_internals(
    client: TestClient, app: object
) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)

    def explode() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/api/v1/explode", explode)
    with TestClient(app, raise_server_exceptions=False) as quiet:
        response = quiet.get("/api/v1/explode")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "secret internals" not in response.text


def test_the_openapi_document_describes_problem_responses(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    responses = spec["paths"]["/api/v1/groups/{slug}"]["get"]["responses"]
    assert PROBLEM in responses["404"]["content"]
    assert client.get("/api/docs").status_code == 200


def test_a_unique_collision_from_a_race_is_a_409_problem_not_a_500(
    api_as: Callable[[User], TestClient], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two officials with the same name created at the same moment: the check for a free
    handle passes for both, and the database refuses the second."""
    taken = make_user(session, name="Karin Lund", handle="karin.lund")
    monkeypatch.setattr(handles, "free_handle", lambda _session, _base: taken.handle)
    answer = api_as(make_user(session, is_coordinator=True)).post(
        "/api/v1/users",
        json={"email": "karin.lund@nora.se", "name": "Karin Lund", "municipality": "nora"},
    )
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "Send it again" in answer.json()["detail"]


def test_the_openapi_document_holds_the_json_api_only(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert len(paths) > 40
    assert [path for path in paths if not path.startswith("/api/v1/")] == []
