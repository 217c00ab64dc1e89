"""The changes feed through the API: the contract integrators mirror erfa with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import MemberRole, User, Visibility
from tests.factories import make_group, make_membership, make_user

Client = Callable[[User], TestClient]


@pytest.fixture
def member(session: Session) -> User:
    group = make_group(session, slug="synk")
    user = make_user(session, name="Sara Synk", title="Webbredaktör")
    make_membership(session, group=group, user=user, role=MemberRole.LEAD)
    return user


def pull(client: TestClient, cursor: str | None = None, limit: int = 200) -> dict[str, Any]:
    query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
    response = client.get(f"/api/v1/sync/posts{query}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def follow(client: TestClient, cursor: str | None = None, limit: int = 2) -> tuple[list, str]:  # type: ignore[type-arg]
    items: list[dict[str, Any]] = []
    while True:
        page = pull(client, cursor, limit)
        items += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return items, cursor


def test_a_consumer_sees_every_post_then_only_what_changed_again(
    api_as: Client, member: User
) -> None:
    client = api_as(member)
    thread = client.post(
        "/api/v1/groups/synk/threads", json={"title": "Synk", "body": "Första"}
    ).json()
    url = f"/api/v1/threads/{thread['id']}/posts"
    second = client.post(url, json={"body": "Andra"}).json()
    third = client.post(url, json={"body": "Tredje"}).json()
    items, cursor = follow(client)
    assert [i["body"] for i in items] == ["Första", "Andra", "Tredje"]
    first = items[0]
    assert first["group"] == "synk"
    assert first["author"] == {
        "id": member.id,
        "name": "Sara Synk",
        "title": "Webbredaktör",
        "municipality": "Avesta",
    }
    assert set(first) == {
        "id", "thread_id", "group", "author", "body", "body_html", "reply_to_id",
        "created_at", "updated_at", "version", "deleted", "hidden",
    }  # fmt: skip
    assert pull(client, cursor)["items"] == []

    client.patch(f"/api/v1/posts/{second['id']}", json={"body": "Andra, rättad"})
    client.delete(f"/api/v1/posts/{third['id']}")
    client.post(f"/api/v1/posts/{first['id']}/hide", json={"reason": "Test"})
    changed, cursor = follow(client, cursor)
    assert [(i["id"], i["version"]) for i in changed] == [
        (second["id"], 2),
        (third["id"], 2),
        (first["id"], 2),
    ]
    edited, deleted, hidden = changed
    assert edited["body"] == "Andra, rättad"
    assert (deleted["deleted"], deleted["body"], deleted["body_html"]) == (True, None, None)
    assert (hidden["hidden"], hidden["body"]) == (True, None)
    client.post(f"/api/v1/posts/{first['id']}/restore")
    restored = pull(client, cursor)["items"]
    assert [(i["id"], i["hidden"], i["body"]) for i in restored] == [(first["id"], False, "Första")]


def test_only_groups_the_caller_may_read_come_through(
    api_as: Client, session: Session, member: User
) -> None:
    closed = make_group(session, slug="synk-stangd", visibility=Visibility.CLOSED)
    make_membership(session, group=closed, user=member)
    client = api_as(member)
    client.post("/api/v1/groups/synk-stangd/threads", json={"title": "Intern", "body": "Hemligt"})
    client.post("/api/v1/groups/synk/threads", json={"title": "Öppen", "body": "Öppet"})
    outsider = api_as(make_user(session))
    assert [i["body"] for i in follow(outsider)[0]] == ["Öppet"]
    assert [i["body"] for i in follow(client)[0]] == ["Hemligt", "Öppet"]


def test_a_move_is_a_change_of_every_post_of_the_discussion(
    api_as: Client, session: Session, member: User
) -> None:
    other = make_group(session, slug="synk-annan")
    make_membership(session, group=other, user=member, role=MemberRole.LEAD)
    client = api_as(member)
    thread = client.post("/api/v1/groups/synk/threads", json={"title": "T", "body": "Ett"}).json()
    client.post(f"/api/v1/threads/{thread['id']}/posts", json={"body": "Två"})
    _, cursor = follow(client)
    client.post(f"/api/v1/threads/{thread['id']}/move", json={"group": "synk-annan"})
    moved, _ = follow(client, cursor)
    assert [(i["body"], i["group"]) for i in moved] == [
        ("Ett", "synk-annan"),
        ("Två", "synk-annan"),
    ]


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "cursor=nonsense", "limit=x"])
def test_bad_paging_is_a_422(api_as: Client, member: User, query: str) -> None:
    response = api_as(member).get(f"/api/v1/sync/posts?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_a_cursor_of_another_list_is_refused(api_as: Client, member: User) -> None:
    client = api_as(member)
    cursor = client.get("/api/v1/sync/resources").json()["next_cursor"]
    assert client.get(f"/api/v1/sync/posts?cursor={cursor}").status_code == 422


def test_resources_come_in_change_order_with_deletions_as_tombstones(
    api_as: Client, member: User
) -> None:
    client = api_as(member)
    body = {"title": "Lotsen", "summary": "En lots.", "kind": "tool", "municipality": "avesta"}
    made = client.post("/api/v1/groups/synk/resources", json=body).json()
    page = client.get("/api/v1/sync/resources").json()
    assert [(i["id"], i["title"], i["deleted"]) for i in page["items"]] == [
        (made["id"], "Lotsen", False)
    ]
    client.delete(f"/api/v1/resources/{made['id']}")
    after = client.get(f"/api/v1/sync/resources?cursor={page['next_cursor']}").json()
    assert [(i["id"], i["title"], i["deleted"]) for i in after["items"]] == [
        (made["id"], None, True)
    ]


def test_the_feed_needs_a_caller(client: TestClient) -> None:
    assert client.get("/api/v1/sync/posts").status_code == 401
