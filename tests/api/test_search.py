"""Swedish full-text search: inflected forms find each other; hidden groups never show."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.search import stems_of
from models import User, Visibility
from tests.factories import make_group, make_membership, make_user

Client = Callable[[User], TestClient]


def test_swedish_stemming_folds_inflections() -> None:
    assert stems_of("kommunernas")[0] == stems_of("kommun")[0]
    assert stems_of("ungdomsrådet")[0] == stems_of("ungdomsråd")[0]


@pytest.fixture
def member(session: Session) -> User:
    group = make_group(session, slug="sok-g")
    user = make_user(session)
    make_membership(session, group=group, user=user)
    return user


def test_an_inflected_word_finds_posts_threads_and_resources(api_as: Client, member: User) -> None:
    client = api_as(member)
    client.post(
        "/api/v1/groups/sok-g/threads",
        json={"title": "Samverkan", "body": "Varje kommun har ett ungdomsråd."},
    )
    client.post(
        "/api/v1/groups/sok-g/resources",
        json={
            "title": "Lots för nyinflyttade",
            "summary": "En modell som kommunen tog fram.",
            "kind": "model",
            "municipality": "nora",
        },
    )
    found = client.get("/api/v1/search", params={"q": "kommunernas"})
    assert found.status_code == 200, found.text
    types = sorted(item["type"] for item in found.json()["items"])
    assert types == ["post", "post", "resource"]  # the resource's discussion opens with its summary
    snippet = next(i["snippet"] for i in found.json()["items"] if i["type"] == "resource")
    assert "<mark>kommunen</mark>" in snippet
    only = client.get("/api/v1/search", params={"q": "kommunernas", "kind": "resource"}).json()
    assert [i["type"] for i in only["items"]] == ["resource"]


def test_markup_in_posts_cannot_break_out_of_snippets(api_as: Client, member: User) -> None:
    client = api_as(member)
    client.post(
        "/api/v1/groups/sok-g/threads",
        json={"title": "T", "body": "kommun <script>alert(1)</script>"},
    )
    snippet = client.get("/api/v1/search", params={"q": "kommun"}).json()["items"][0]["snippet"]
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet


def test_edited_and_deleted_posts_are_searched_as_they_are_now(
    api_as: Client, member: User
) -> None:
    client = api_as(member)
    post = client.post(
        "/api/v1/groups/sok-g/threads", json={"title": "T", "body": "cykelvägar"}
    ).json()["first_post"]
    client.patch(f"/api/v1/posts/{post['id']}", json={"body": "busslinjer"})
    assert client.get("/api/v1/search", params={"q": "cykelvägar"}).json()["items"] == []
    assert len(client.get("/api/v1/search", params={"q": "busslinjen"}).json()["items"]) == 1
    client.delete(f"/api/v1/posts/{post['id']}")
    assert (
        client.get("/api/v1/search", params={"q": "busslinjer", "kind": "post"}).json()["items"]
        == []
    )


def test_closed_group_content_is_not_found_by_outsiders(api_as: Client, session: Session) -> None:
    closed = make_group(session, slug="sok-c", visibility=Visibility.CLOSED)
    lead = make_user(session)
    make_membership(session, group=closed, user=lead)
    api_as(lead).post(
        "/api/v1/groups/sok-c/threads", json={"title": "Hemligt", "body": "förslagen om budgeten"}
    )
    assert api_as(lead).get("/api/v1/search", params={"q": "förslag"}).json()["items"]
    outsider = api_as(make_user(session))
    assert outsider.get("/api/v1/search", params={"q": "förslag"}).json()["items"] == []


def test_an_empty_or_wordless_query_is_422(api_as: Client, member: User) -> None:
    client = api_as(member)
    assert client.get("/api/v1/search", params={"q": ""}).status_code == 422
    assert client.get("/api/v1/search", params={"q": "?!"}).status_code == 422
