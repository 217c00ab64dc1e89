"""The OpenAPI document tells the truth: every operation of /api/v1 documents its success
answer and its problem+json errors, every reference resolves, the two bearer schemes are
declared, the examples fit their schemas, and /api/docs renders from erfa's own assets.

`.ci/schemathesis` fuzzes a running erfa against the same document; the regression tests
at the end are what it found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import MemberRole, User, Visibility
from tests.factories import make_group, make_membership, make_user

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
TOKEN_ENDPOINT = ("post", "/api/v1/auth/token")
METHODS = {"get", "put", "post", "patch", "delete"}

Document = dict[str, Any]
Operation = tuple[str, str, dict[str, Any]]


@pytest.fixture
def document(client: TestClient) -> Document:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec: Document = response.json()
    return spec


def operations(document: Document) -> Iterator[Operation]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def resolve(document: Document, ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def validator(document: Document, schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A JSON Schema (2020-12, as OpenAPI 3.1) validator whose `#/components/...` refs
    resolve in `document`."""
    return jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})


def assert_documented(document: Document, method: str, path: str, response: httpx.Response) -> None:
    """The answer's status, media type and body are the ones the document gives."""
    responses = document["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method.upper()} {path}: {status} is not documented"
    content = responses[status].get("content")
    if content is None:
        assert response.content == b""
        return
    media_type = response.headers["content-type"].split(";")[0]
    assert media_type in content, f"{media_type} is not documented for {status}"
    errors = list(validator(document, content[media_type]["schema"]).iter_errors(response.json()))
    assert errors == [], f"{method.upper()} {path} {status}: {errors}"


def test_every_reference_in_the_document_resolves(document: Document) -> None:
    """Problem's own `$defs` once stayed inline: the errors of every operation pointed at
    `#/$defs/FieldProblem`, which no client can resolve."""
    unresolved = []
    for ref in sorted(set(refs(document))):
        try:
            resolve(document, ref)
        except (AssertionError, KeyError):
            unresolved.append(ref)
    assert unresolved == []


def test_every_operation_documents_what_it_answers_on_success(document: Document) -> None:
    missing = []
    for method, path, operation in operations(document):
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert successes, f"{method.upper()} {path} documents no success"
        for status, response in successes.items():
            if status == "204":
                assert "content" not in response
                continue
            schemas = [c.get("schema") for c in response.get("content", {}).values()]
            if not schemas or any(not schema for schema in schemas):
                missing.append(f"{method.upper()} {path} {status}")
    assert missing == []


def test_every_error_is_documented_as_problem_json(document: Document) -> None:
    wrong = [
        f"{method.upper()} {path} {status}"
        for method, path, operation in operations(document)
        for status, response in operation["responses"].items()
        if status[0] in "45" and response.get("content") != {PROBLEM: {"schema": PROBLEM_REF}}
    ]
    assert wrong == []
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}


def test_every_operation_documents_422_and_every_signed_in_one_401(document: Document) -> None:
    lacking = [
        f"{method.upper()} {path}"
        for method, path, operation in operations(document)
        if "422" not in operation["responses"]
        or ("security" in operation and "401" not in operation["responses"])
    ]
    assert lacking == []


def test_both_bearer_schemes_are_declared_and_every_operation_but_sign_in_takes_either(
    document: Document,
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["accessToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["accessToken"]["description"],
    }
    assert "/api/v1/auth/token" in schemes["accessToken"]["description"]
    assert schemes["apiToken"]["type"] == "http"
    assert schemes["apiToken"]["scheme"] == "bearer"
    assert "/api/v1/me/tokens" in schemes["apiToken"]["description"]
    for method, path, operation in operations(document):
        if (method, path) == TOKEN_ENDPOINT:
            assert "security" not in operation
        else:
            assert operation.get("security") == [{"accessToken": []}, {"apiToken": []}], path


def test_versioned_operations_document_their_conditional_headers(document: Document) -> None:
    for path in (
        "/api/v1/groups/{slug}",
        "/api/v1/threads/{thread_id}",
        "/api/v1/resources/{resource_id}",
    ):
        get = document["paths"][path]["get"]
        assert "If-None-Match" in [p["name"] for p in get["parameters"] if p["in"] == "header"]
        assert "304" in get["responses"]
        assert "ETag" in get["responses"]["200"]["headers"]
    for path in (
        "/api/v1/groups/{slug}",
        "/api/v1/threads/{thread_id}",
        "/api/v1/posts/{post_id}",
        "/api/v1/resources/{resource_id}",
    ):
        patch = document["paths"][path]["patch"]
        assert "If-Match" in [p["name"] for p in patch["parameters"] if p["in"] == "header"]
        assert "412" in patch["responses"]


def test_the_examples_fit_the_schemas_they_illustrate(document: Document) -> None:
    schemas = document["components"]["schemas"]
    illustrated = {name: schema for name, schema in schemas.items() if schema.get("examples")}
    for name in ("ThreadIn", "ThreadOut", "PostIn", "PostOut", "ResourceIn", "ResourceOut"):
        assert name in illustrated
    for name in ("GroupOut", "TokenOut", "NewApiTokenOut", "ApiTokenIn", "Problem"):
        assert name in illustrated
    wrong = {
        name: errors
        for name, schema in illustrated.items()
        for example in schema["examples"]
        if (
            errors := [
                str(e)
                for e in validator(document, {"$ref": f"#/components/schemas/{name}"}).iter_errors(
                    example
                )
            ]
        )
    }
    assert wrong == {}


def test_the_api_reference_renders_from_erfas_own_assets(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    client = browser_as(make_user(session))
    page = client.get("/api/docs")
    assert page.status_code == 200
    referenced = re.findall(r'(?:src|href|data-spec)="([^"]+)"', page.text)
    assert any("swagger-ui-bundle.js" in url for url in referenced)
    assert any("swagger-ui.css" in url for url in referenced)
    external = [url for url in referenced if urlsplit(url).netloc not in ("", "testserver")]
    assert external == []
    for url in referenced:
        if url.startswith("data:"):
            continue
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
    script = client.get(next(url for url in referenced if url.endswith("api-docs.js"))).text
    assert re.findall(r"https?://", script) == []


def test_the_api_reference_is_for_signed_in_officials(client: TestClient) -> None:
    page = client.get("/api/docs", follow_redirects=False)
    assert page.status_code in (302, 303)
    assert client.get("/openapi.json").status_code == 200


# What `.ci/schemathesis` found.


def test_a_body_that_is_not_utf8_is_a_422_problem_not_an_undocumented_400(
    api_as: Callable[[User], TestClient], session: Session, document: Document
) -> None:
    client = api_as(make_user(session, is_coordinator=True))
    response = client.post(
        "/api/v1/themes", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "body"
    assert_documented(document, "post", "/api/v1/themes", response)


def test_a_405_names_every_method_the_path_takes(
    api_as: Callable[[User], TestClient], session: Session
) -> None:
    """Starlette named only the methods of the first route at the path (`Allow: GET`
    for `/api/v1/groups`, which also takes POST)."""
    client = api_as(make_user(session))
    assert client.put("/api/v1/groups").headers["Allow"] == "GET, POST"
    assert client.put("/api/v1/groups/ungdom").headers["Allow"] == "GET, PATCH"
    assert client.post("/api/v1/posts/1").headers["Allow"] == "PATCH, DELETE"


def test_joining_answers_as_documented_for_open_and_closed_groups(
    api_as: Callable[[User], TestClient], session: Session, document: Document
) -> None:
    """The 200 was documented as "a membership or a join request" and the 202 as a bare
    join request; each status now has its one model."""
    responses = document["paths"]["/api/v1/groups/{slug}/join"]["post"]["responses"]
    assert responses["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MembershipOut"
    }
    assert responses["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/JoinRequestOut"
    }
    make_group(session, slug="oppen")
    closed = make_group(session, slug="stangd", visibility=Visibility.CLOSED)
    make_membership(session, group=closed, user=make_user(session), role=MemberRole.LEAD)
    client = api_as(make_user(session))
    joined = client.post("/api/v1/groups/oppen/join")
    assert joined.status_code == 200
    assert_documented(document, "post", "/api/v1/groups/{slug}/join", joined)
    asked = client.post("/api/v1/groups/stangd/join", json={"message": "Får jag vara med?"})
    assert asked.status_code == 202
    assert asked.json()["status"] == "pending"
    assert_documented(document, "post", "/api/v1/groups/{slug}/join", asked)


def test_a_broken_sign_in_form_is_a_documented_problem(
    client: TestClient, document: Document
) -> None:
    response = client.post(
        "/api/v1/auth/token",
        content=b"username=a",
        headers={"Content-Type": "multipart/form-data"},
    )
    assert response.status_code == 400
    assert_documented(document, "post", "/api/v1/auth/token", response)
