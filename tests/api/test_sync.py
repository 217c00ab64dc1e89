"""The changes feed through the API: the contract integrators mirror erfa with."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import jsonschema_rs
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.schemas import PostChangeOut, ResourceChangeOut, SyncOut
from domain import changes, sync
from domain.actor import load_actor
from models import CASE_SECTIONS, Group, MemberRole, Post, Resource, Thread, User, Visibility
from tests.factories import make_group, make_membership, make_post, make_thread, make_user

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


TEXT = 'Åsa\'s "plan" </script> & <b>\t\u2028 🌲'
"""Text whose JSON needs escaping, non-ASCII letters and a character beyond the BMP."""


def sync_schema(client: TestClient, path: str) -> jsonschema_rs.Validator:
    """A validator of the 200 answer of `path` as the OpenAPI document describes it."""
    spec = client.get("/openapi.json").json()
    answer = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    return jsonschema_rs.Draft202012Validator(
        {**answer["schema"], "components": spec["components"]}, validate_formats=True
    )


def test_the_posts_feed_writes_what_its_response_model_describes(
    api_as: Client, session: Session, member: User
) -> None:
    """The database writes each item's JSON; the page must be what `SyncOut[PostChangeOut]`
    writes (the same values, keys in the same order, datetimes as the same text), and valid
    by the OpenAPI document."""
    client = api_as(member)
    thread = client.post(
        "/api/v1/groups/synk/threads", json={"title": "Tecken", "body": TEXT}
    ).json()
    url = f"/api/v1/threads/{thread['id']}/posts"
    reply = client.post(url, json={"body": "Svar", "reply_to_id": thread["first_post"]["id"]})
    gone, hidden = (client.post(url, json={"body": body}).json() for body in ("Borta", "Dold"))
    client.patch(f"/api/v1/posts/{reply.json()['id']}", json={"body": "Svar, rättat"})
    client.delete(f"/api/v1/posts/{gone['id']}")
    client.post(f"/api/v1/posts/{hidden['id']}/hide", json={"reason": "Test"})
    on_the_second = make_post(
        session,
        thread=session.get_one(Thread, thread["id"]),
        author=member,
        created_at=datetime(2019, 3, 1, 9, 0, tzinfo=UTC),
        **changes.stamp(session).values(),
    )

    validator = sync_schema(client, "/api/v1/sync/posts")
    actor = load_actor(session, member.id or 0)
    cursor, after = "", sync.Position()
    items: list[dict[str, Any]] = []
    for limit in (3, 200):  # a page with more waiting, then the rest
        response = client.get("/api/v1/sync/posts", params={"limit": limit, "cursor": cursor})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        page = sync.post_changes(session, actor, after=after, limit=limit)
        expected = SyncOut[PostChangeOut](
            items=[PostChangeOut.from_change(change) for change in page.items],
            next_cursor=body["next_cursor"],
            has_more=page.has_more,
        )
        described = json.loads(expected.model_dump_json())
        assert body == described
        assert response.content == expected.model_dump_json().encode()  # compact, as written
        assert [list(item) for item in body["items"]] == [list(i) for i in described["items"]]
        assert [list(i["author"]) for i in body["items"]] == [
            list(i["author"]) for i in described["items"]
        ]
        validator.validate(body)
        cursor, after, items = body["next_cursor"], page.position, items + body["items"]
    assert (len(items), body["has_more"]) == (5, False)

    assert [i["body"] for i in items] == [TEXT, "Svar, rättat", None, None, on_the_second.body]
    assert items[-1]["created_at"] == "2019-03-01T09:00:00Z"
    assert items[-1]["updated_at"] is None
    for item in items:
        post = session.get_one(Post, item["id"])
        session.refresh(post)
        assert datetime.fromisoformat(item["created_at"]) == post.created_at
        assert item["created_at"].endswith("Z")
        if item["updated_at"] is not None:
            assert datetime.fromisoformat(item["updated_at"]) == post.updated_at
        assert (item["version"], item["reply_to_id"]) == (post.version, post.reply_to_id)
        assert (item["deleted"], item["hidden"]) == (
            post.deleted_at is not None,
            post.hidden_at is not None,
        )
        if not (item["deleted"] or item["hidden"]):
            assert (item["body"], item["body_html"]) == (post.body, post.body_html)
    assert items[1]["reply_to_id"] == thread["first_post"]["id"]
    assert items[1]["updated_at"] is not None


def test_the_resources_feed_writes_what_its_response_model_describes(
    api_as: Client, session: Session, member: User
) -> None:
    client = api_as(member)
    made = [
        client.post(
            "/api/v1/groups/synk/resources",
            json={
                "title": f"Lotsen {n}",
                "summary": TEXT,
                "kind": kind,
                "municipality": "avesta",
                "link": "https://example.org/lotsen" if n else None,
                "background": "**Bakgrund**",
                "lessons": TEXT,
            },
        ).json()
        for n, kind in enumerate(["tool", "research", "model"])
    ]
    client.patch(f"/api/v1/resources/{made[0]['id']}", json={"summary": "Ny"})
    client.delete(f"/api/v1/resources/{made[1]['id']}")

    response = client.get("/api/v1/sync/resources")
    assert response.status_code == 200
    body = response.json()
    page = sync.resource_changes(
        session, load_actor(session, member.id or 0), after=sync.Position(), limit=200
    )
    expected = SyncOut[ResourceChangeOut](
        items=[ResourceChangeOut.from_change(change) for change in page.items],
        next_cursor=body["next_cursor"],
        has_more=page.has_more,
    )
    assert response.content == expected.model_dump_json().encode()
    sync_schema(client, "/api/v1/sync/resources").validate(body)
    third, first, second = body["items"]
    assert (third["kind"], third["title"], third["link"]) == (
        "model", "Lotsen 2", "https://example.org/lotsen"
    )  # fmt: skip
    assert third["sections"]["lessons"] == TEXT
    assert third["sections_html"]["background"] == "<p><strong>Bakgrund</strong></p>\n"
    assert (first["summary"], first["version"], first["updated_at"] is not None) == ("Ny", 2, True)
    assert (second["deleted"], second["title"], second["sections"]) == (True, None, None)


def stamped_post(session: Session, member: User) -> Post:
    """A post in the member's group, at the next position of the feed."""
    group = session.exec(select(Group).where(Group.slug == "synk")).one()
    thread = make_thread(session, group=group, author=member)
    return make_post(session, thread=thread, author=member, **changes.stamp(session).values())


def test_a_page_of_the_feed_sends_as_many_statements_for_thirty_posts_as_for_one(
    api_as: Client,
    session: Session,
    member: User,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    thread = session.get_one(Thread, stamped_post(session, member).thread_id)
    client = api_as(member)
    with_one = count_statements(lambda: pull(client))
    for _ in range(29):
        author = make_user(session)
        make_post(session, thread=thread, author=author, **changes.stamp(session).values())
    assert len(pull(client)["items"]) == 30
    with_thirty = count_statements(lambda: pull(client))
    assert with_one == with_thirty, (with_one, with_thirty)


def test_the_feed_never_reads_password_hashes(
    session: Session, connection: sa.Connection, member: User
) -> None:
    post = stamped_post(session, member)
    actor = load_actor(session, member.id or 0)
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(connection, "before_cursor_execute", record)
    try:
        page = sync.post_changes(session, actor, after=sync.Position(), limit=10)
    finally:
        sa.event.remove(connection, "before_cursor_execute", record)
    assert [change.post.id for change in page.items] == [post.id]
    assert statements
    assert not [s for s in statements if "password_hash" in s]


def test_the_items_json_ready_data_is_the_posts_and_resources_state(
    api_as: Client, session: Session, member: User
) -> None:
    """`data()` (webhook payloads) spelled out from the tables, datetimes in ISO 8601."""
    client = api_as(member)
    thread = client.post("/api/v1/groups/synk/threads", json={"title": "T", "body": TEXT}).json()
    first = thread["first_post"]["id"]
    reply = client.post(
        f"/api/v1/threads/{thread['id']}/posts", json={"body": "Svar", "reply_to_id": first}
    ).json()
    client.patch(f"/api/v1/posts/{reply['id']}", json={"body": "Svar, rättat"})
    client.post(f"/api/v1/posts/{first}/hide", json={"reason": "Test"})
    actor = load_actor(session, member.id or 0)

    posts = sync.post_changes(session, actor, after=sync.Position(), limit=10).items
    assert [change.post.id for change in posts] == [reply["id"], first]
    for change in posts:
        post = session.get_one(Post, change.post.id)
        session.refresh(post)
        gone = post.deleted_at is not None or post.hidden_at is not None
        assert change.tombstone is gone
        assert change.group == "synk"
        assert (change.post.thread_id, change.post.version, change.post.position) == (
            post.thread_id, post.version, post.position
        )  # fmt: skip
        assert change.data() == {
            "id": post.id,
            "thread_id": post.thread_id,
            "group": "synk",
            "author": {
                "id": member.id,
                "name": "Sara Synk",
                "title": "Webbredaktör",
                "municipality": "Avesta",
            },
            "body": None if gone else post.body,
            "body_html": None if gone else post.body_html,
            "reply_to_id": post.reply_to_id,
            "created_at": post.created_at.isoformat(),
            "updated_at": post.updated_at.isoformat() if post.updated_at else None,
            "version": post.version,
            "deleted": post.deleted_at is not None,
            "hidden": post.hidden_at is not None,
        }
        assert change.data()["created_at"].endswith("+00:00")
    assert posts[0].data()["updated_at"] is not None
    assert posts[1].tombstone
    assert posts[1].data()["body"] is None

    made = client.post(
        "/api/v1/groups/synk/resources",
        json={"title": "Lotsen", "summary": "En lots.", "kind": "process", "municipality": "nora"},
    ).json()
    client.patch(f"/api/v1/resources/{made['id']}", json={"purpose": "Att lotsa"})
    (change,) = sync.resource_changes(session, actor, after=sync.Position(), limit=10).items
    resource = session.get_one(Resource, made["id"])
    session.refresh(resource)
    assert not change.tombstone
    assert (change.resource.id, change.resource.version) == (resource.id, 2)
    assert change.data() == {
        "id": resource.id,
        "group": "synk",
        "title": "Lotsen",
        "summary": "En lots.",
        "kind": "process",
        "municipality": "Nora",
        "link": None,
        "sections": {name: getattr(resource, name) for name in CASE_SECTIONS},
        "sections_html": {name: getattr(resource, f"{name}_html") for name in CASE_SECTIONS},
        "thread_id": resource.thread_id,
        "version": 2,
        "created_at": resource.created_at.isoformat(),
        "updated_at": resource.updated_at.isoformat() if resource.updated_at else None,
        "deleted": False,
    }
    assert change.data()["sections"]["purpose"] == "Att lotsa"


def test_a_page_of_the_feed_is_one_hop_to_the_thread_pool(
    api_as: Client, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handlers are `async def` and their dependencies do no blocking work, so a page
    costs one hop to the thread pool, not one per dependency (../shared/STYLE.md, 5)."""
    hops: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        inner = getattr(function, "func", function)  # run_in_threadpool sends a partial
        hops.append(inner.__name__)
        return await run_sync(function, *args, **kwargs)

    client = api_as(member)
    pull(client)  # warm
    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    for path in ("/api/v1/sync/posts", "/api/v1/sync/resources"):
        hops.clear()
        assert client.get(path).status_code == 200
        assert hops == ["_serve"], path


def test_a_personal_token_follows_the_feed_and_is_marked_used(
    api_as: Client, client: TestClient, session: Session, member: User
) -> None:
    post = stamped_post(session, member)
    created = api_as(member).post("/api/v1/me/tokens", json={"name": "Arkiv", "scopes": ["read"]})
    assert created.status_code == 201, created.text
    token = created.json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    page = client.get("/api/v1/sync/posts", headers=headers)
    assert page.status_code == 200, page.text
    assert [item["id"] for item in page.json()["items"]] == [post.id]
    listed = api_as(member).get("/api/v1/me/tokens").json()["items"]
    assert listed[0]["last_used_at"] is not None  # the side write ran after the response

    assert api_as(member).delete(f"/api/v1/me/tokens/{token['id']}").status_code == 204
    refused = client.get("/api/v1/sync/posts", headers=headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"


def test_a_bad_cursor_is_refused_before_the_caller_is_even_looked_up(client: TestClient) -> None:
    """A forged cursor with a valid-looking token is a 422 problem, never a 500."""
    answer = client.get(
        "/api/v1/sync/posts?cursor=not-a-cursor", headers={"Authorization": "Bearer x.y.z"}
    )
    assert answer.status_code in (401, 422)
    assert answer.headers["content-type"] == "application/problem+json"
