"""Discussions and posts through the API: the forum's core, for integrators."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import MemberRole, User, Visibility
from tests.factories import make_group, make_membership, make_post, make_thread, make_user

Client = Callable[[User], TestClient]


@pytest.fixture
def member(session: Session) -> User:
    group = make_group(session, slug="ungdom-t")
    user = make_user(session, name="Karin Lund", title="Ungdomssamordnare")
    make_membership(session, group=group, user=user)
    return user


def start(client: TestClient, title: str = "Ungdomsråd", body: str = "Hur gör ni?") -> dict:  # type: ignore[type-arg]
    response = client.post("/api/v1/groups/ungdom-t/threads", json={"title": title, "body": body})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_starting_a_thread_returns_it_with_its_first_post(api_as: Client, member: User) -> None:
    thread = start(api_as(member), body="Hur **gör** ni?")
    assert thread["title"] == "Ungdomsråd"
    assert thread["post_count"] == 1
    first = thread["first_post"]
    assert first["body_html"] == "<p>Hur <strong>gör</strong> ni?</p>\n"
    assert first["author"] == {
        "id": member.id,
        "name": "Karin Lund",
        "title": "Ungdomssamordnare",
        "municipality": "Avesta",
    }


def test_replies_are_listed_in_order_with_cursors(api_as: Client, member: User) -> None:
    client = api_as(member)
    thread = start(client)
    for n in range(4):
        reply = client.post(f"/api/v1/threads/{thread['id']}/posts", json={"body": f"Svar {n}"})
        assert reply.status_code == 201, reply.text
    first = client.get(f"/api/v1/threads/{thread['id']}/posts?limit=3").json()
    rest = client.get(f"/api/v1/threads/{thread['id']}/posts?cursor={first['next_cursor']}").json()
    bodies = [p["body"] for p in first["items"] + rest["items"]]
    assert bodies == ["Hur gör ni?", "Svar 0", "Svar 1", "Svar 2", "Svar 3"]
    assert rest["next_cursor"] is None
    assert client.get(f"/api/v1/threads/{thread['id']}").json()["post_count"] == 5


def test_an_edit_with_a_stale_if_match_is_412_and_changes_nothing(
    api_as: Client, member: User
) -> None:
    client = api_as(member)
    post = start(client)["first_post"]
    url = f"/api/v1/posts/{post['id']}"
    edited = client.patch(url, json={"body": "Ny text"}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200
    assert edited.json()["version"] == 2
    assert edited.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"body": "Gammal"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    latest = client.patch(url, json={"body": "Utan If-Match"})
    assert latest.json()["version"] == 3
    assert latest.json()["body"] == "Utan If-Match"


def test_only_the_author_edits_or_deletes(api_as: Client, member: User, session: Session) -> None:
    post = start(api_as(member))["first_post"]
    other = api_as(make_user(session))
    assert other.patch(f"/api/v1/posts/{post['id']}", json={"body": "x"}).status_code == 403
    assert other.delete(f"/api/v1/posts/{post['id']}").status_code == 403
    assert api_as(member).delete(f"/api/v1/posts/{post['id']}").status_code == 204
    gone = api_as(member).get(f"/api/v1/threads/{post['thread_id']}/posts").json()["items"][0]
    assert gone["deleted"] is True
    assert gone["body"] is None
    assert gone["body_html"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "", "body": "x"}, "title"),
        ({"title": "T", "body": "   "}, "body"),
        ({"title": "T", "body": "x" * 200_000}, "body"),
    ],
)
def test_bad_threads_are_422_problems(
    payload: dict[str, str], field: str, api_as: Client, member: User
) -> None:
    response = api_as(member).post("/api/v1/groups/ungdom-t/threads", json=payload)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith(field)


def test_closed_group_threads_are_not_found_for_outsiders(api_as: Client, session: Session) -> None:
    group = make_group(session, slug="styr-t", visibility=Visibility.CLOSED)
    lead = make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    created = api_as(lead).post("/api/v1/groups/styr-t/threads", json={"title": "T", "body": "B"})
    thread_id = created.json()["id"]
    outsider = api_as(make_user(session))
    assert outsider.get("/api/v1/groups/styr-t/threads").status_code == 404
    assert outsider.get(f"/api/v1/threads/{thread_id}").status_code == 404
    assert outsider.get(f"/api/v1/threads/{thread_id}/posts").status_code == 404
    assert (
        outsider.post(f"/api/v1/threads/{thread_id}/posts", json={"body": "x"}).status_code == 404
    )


@pytest.mark.parametrize("etag", ['"' + "9" * 5000 + '"', '"-1"', '"1e3"', '"0x10"'])
def test_an_if_match_that_is_not_an_etag_erfa_issued_is_a_422(
    api_as: Client, session: Session, etag: str
) -> None:
    group = make_group(session, slug="etagg")
    author = make_user(session)
    make_membership(session, group=group, user=author)
    thread = make_thread(session, group=group, author=author)
    post = make_post(session, thread=thread, author=author)
    answer = api_as(author).patch(
        f"/api/v1/posts/{post.id}",
        json={"body": "Nytt"},
        headers={"If-Match": etag},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "If-Match"


def test_a_reply_moves_its_groups_last_activity_and_etag(
    api_as: Client, session: Session, member: User
) -> None:
    client = api_as(member)
    thread = start(client)
    before = client.get("/api/v1/groups/ungdom-t")
    client.post(f"/api/v1/threads/{thread['id']}/posts", json={"body": "Ett svar"})
    after = client.get("/api/v1/groups/ungdom-t")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.json()["last_activity_at"] > before.json()["last_activity_at"]
