from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import MemberRole, User, Visibility
from tests.factories import make_group, make_membership, make_user

PROBLEM = "application/problem+json"


@pytest.fixture
def client(api_as: Callable[[User], TestClient], session: Session) -> TestClient:
    """The API as an ordinary signed-in official who belongs to no group."""
    return api_as(make_user(session))


def slugs(response_json: dict[str, object]) -> list[str]:
    items = response_json["items"]
    assert isinstance(items, list)
    return [item["slug"] for item in items]


def test_groups_list_shows_open_and_closed_groups_but_not_secret_ones(
    client: TestClient, session: Session
) -> None:
    make_group(session, slug="oppen", visibility=Visibility.OPEN)
    make_group(session, slug="sluten", visibility=Visibility.CLOSED)
    make_group(session, slug="hemlig", visibility=Visibility.SECRET)

    response = client.get("/api/v1/groups")

    assert response.status_code == 200, response.text
    assert {"oppen", "sluten"} <= set(slugs(response.json()))
    assert "hemlig" not in slugs(response.json())
    assert response.json()["next_cursor"] is None


def test_group_json_names_its_leads_with_title_and_municipality(
    client: TestClient, session: Session
) -> None:
    group = make_group(session, slug="ungdom-test", name="Ungdom")
    lead = make_user(session, name="Karin Lund", title="Ungdomssamordnare")
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)

    body = client.get("/api/v1/groups/ungdom-test").json()

    assert body["name"] == "Ungdom"
    assert body["member_count"] == 1
    assert body["leads"] == [
        {
            "id": lead.id,
            "name": "Karin Lund",
            "title": "Ungdomssamordnare",
            "municipality": "Avesta",
        }
    ]
    assert body["can_read"] is True  # an open group: every signed-in official reads it


def test_a_single_group_carries_a_strong_etag(client: TestClient, session: Session) -> None:
    make_group(session, slug="etag-group")
    response = client.get("/api/v1/groups/etag-group")
    assert response.headers["ETag"] == '"1"'


def test_a_secret_group_is_not_found_for_outsiders(client: TestClient, session: Session) -> None:
    make_group(session, slug="hemlig", visibility=Visibility.SECRET)

    response = client.get("/api/v1/groups/hemlig")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": "No such group.",
    }
    assert client.get("/api/v1/groups/no-such-group").json() == response.json()


def test_following_next_cursor_visits_every_group_once(
    client: TestClient, session: Session
) -> None:
    for n in range(7):
        make_group(session, slug=f"paged-{n}")
    seen: list[str] = []
    url = "/api/v1/groups?limit=3"
    pages = 0
    while url:
        body = client.get(url).json()
        seen += slugs(body)
        pages += 1
        url = f"/api/v1/groups?limit=3&cursor={body['next_cursor']}" if body["next_cursor"] else ""
    assert len(seen) == len(set(seen))
    assert {f"paged-{n}" for n in range(7)} <= set(seen)
    assert pages == -(-len(seen) // 3)


def test_limit_out_of_range_is_a_422_problem(client: TestClient) -> None:
    for limit in ("0", "201", "many"):
        response = client.get(f"/api/v1/groups?limit={limit}")
        assert response.status_code == 422, limit
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"][0]["field"] == "query.limit"


def test_a_cursor_erfa_did_not_issue_is_a_422_problem(client: TestClient) -> None:
    response = client.get("/api/v1/groups?cursor=eyJpZCI6IDF9")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "cursor",
            "message": "The cursor is not one erfa issued for this list.",
            "code": "invalid",
        }
    ]


def test_municipalities_list_the_ten_members(client: TestClient) -> None:
    body = client.get("/api/v1/municipalities").json()
    assert len(body["items"]) == 10
    assert {k: v for k, v in body["items"][1].items() if k != "id"} == {
        "slug": "borlange",
        "name": "Borlänge",
        "county": "Dalarnas län",
    }


def test_if_none_match_with_the_current_etag_is_a_304(client: TestClient, session: Session) -> None:
    make_group(session, slug="cached")
    etag = client.get("/api/v1/groups/cached").headers["ETag"]

    cached = client.get("/api/v1/groups/cached", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.headers["ETag"] == etag
    assert cached.content == b""
    stale = client.get("/api/v1/groups/cached", headers={"If-None-Match": '"0", "99"'})
    assert stale.status_code == 200


def test_a_new_member_or_lead_gives_the_group_a_new_etag(
    client: TestClient, session: Session
) -> None:
    from domain import groups
    from domain.actor import SYSTEM

    group = make_group(session, slug="growing")
    user = make_user(session)
    assert user.id is not None
    first = client.get("/api/v1/groups/growing").headers["ETag"]
    groups.set_member(session, SYSTEM, slug="growing", user_id=user.id, role=MemberRole.MEMBER)
    session.flush()
    second = client.get("/api/v1/groups/growing")
    assert second.headers["ETag"] != first
    assert second.json()["member_count"] == 1
    groups.set_member(session, SYSTEM, slug="growing", user_id=user.id, role=MemberRole.LEAD)
    session.flush()
    third = client.get("/api/v1/groups/growing")
    assert third.headers["ETag"] not in (first, second.headers["ETag"])
    assert [lead["id"] for lead in third.json()["leads"]] == [user.id]
    assert group.member_count == 1


def test_municipalities_page_with_cursors_and_refuse_a_bad_limit(client: TestClient) -> None:
    first = client.get("/api/v1/municipalities?limit=4").json()
    assert [m["slug"] for m in first["items"]] == ["avesta", "borlange", "hedemora", "ludvika"]
    rest = client.get(f"/api/v1/municipalities?limit=200&cursor={first['next_cursor']}").json()
    assert len(rest["items"]) == 6
    assert rest["next_cursor"] is None
    assert client.get("/api/v1/municipalities?limit=0").status_code == 422
    groups_cursor = client.get("/api/v1/groups?limit=1").json()["next_cursor"]
    if groups_cursor:  # a cursor of another list is not a cursor of this one
        assert client.get(f"/api/v1/municipalities?cursor={groups_cursor}").status_code == 422


def test_a_closed_groups_etag_moves_for_outsiders_only_with_what_they_see(
    api_as: Callable[[User], TestClient], session: Session
) -> None:
    group = make_group(session, slug="tyst", visibility=Visibility.CLOSED)
    member = make_user(session)
    make_membership(session, group=group, user=member)
    coordinator = make_user(session, is_coordinator=True)
    outsider, inside, admin = api_as(make_user(session)), api_as(member), api_as(coordinator)

    def etags() -> tuple[str, str]:
        return (
            outsider.get("/api/v1/groups/tyst").headers["ETag"],
            inside.get("/api/v1/groups/tyst").headers["ETag"],
        )

    before = etags()
    started = inside.post("/api/v1/groups/tyst/threads", json={"title": "Internt", "body": "Hej"})
    assert started.status_code == 201
    after_post = etags()
    assert after_post[0] == before[0], "an outsider's ETag moved with the members' activity"
    assert after_post[1] != before[1], "a member's ETag must show the new discussion"
    cached = outsider.get("/api/v1/groups/tyst", headers={"If-None-Match": before[0]})
    assert cached.status_code == 304

    # A coordinator outside the group edits it with the ETag they were shown.
    shown = admin.get("/api/v1/groups/tyst").headers["ETag"]
    renamed = admin.patch(
        "/api/v1/groups/tyst", json={"name": "Tyst grupp"}, headers={"If-Match": shown}
    )
    assert renamed.status_code == 200, renamed.text
    stale = admin.patch("/api/v1/groups/tyst", json={"name": "Igen"}, headers={"If-Match": shown})
    assert stale.status_code == 412
    after_rename = etags()
    assert after_rename[0] != after_post[0]
    assert after_rename[1] != after_post[1]
