"""Research through the API: its fields, the practices that build on it, themes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import User, Visibility
from tests.factories import make_group, make_membership, make_user

Client = Callable[[User], TestClient]
Count = Callable[[Callable[[], object]], int]

STUDY: dict[str, Any] = {
    "title": "Att stanna eller flytta vidare",
    "summary": "En intervjustudie om nyanländas etablering.",
    "kind": "research",
    "municipality": "avesta",
    "institution": "Högskolan Dalarna",
    "authors": "Karin Holmgren, Yusuf Demir",
    "year": 2019,
    "doi": "https://doi.org/10.5555/erfa-test.1",
    "implications": "Ett **första jobb** betyder mest.",
}
MODEL: dict[str, Any] = {
    "title": "Inflyttarlots",
    "summary": "En lots för nya invånare.",
    "kind": "model",
    "municipality": "ludvika",
}


@pytest.fixture
def member(session: Session) -> User:
    """A member of the open group `forskning-o` and the closed group `forskning-s`."""
    user = make_user(session)
    for slug, visibility in (("forskning-o", Visibility.OPEN), ("forskning-s", Visibility.CLOSED)):
        make_membership(
            session, group=make_group(session, slug=slug, visibility=visibility), user=user
        )
    return user


def post(client: TestClient, slug: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1/groups/{slug}/resources", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_research_item_is_shared_with_its_fields_and_read_back(
    api_as: Client, member: User
) -> None:
    client = api_as(member)
    created = post(client, "forskning-o", {**STUDY, "theme": "integration"})
    assert created["institution"] == "Högskolan Dalarna"
    assert created["authors"] == "Karin Holmgren, Yusuf Demir"
    assert created["year"] == 2019
    assert created["doi"] == "10.5555/erfa-test.1"
    assert created["implications"] == "Ett **första jobb** betyder mest."
    assert "<strong>första jobb</strong>" in created["implications_html"]
    assert created["theme"] == "integration"
    assert created["builds_on"] == []
    assert created["used_by"] == []
    read = client.get(f"/api/v1/resources/{created['id']}").json()
    assert {k: read[k] for k in ("institution", "year", "doi", "theme")} == {
        "institution": "Högskolan Dalarna",
        "year": 2019,
        "doi": "10.5555/erfa-test.1",
        "theme": "integration",
    }


def test_a_model_without_research_fields_reads_as_before_with_empty_ones(
    api_as: Client, member: User
) -> None:
    created = post(api_as(member), "forskning-o", MODEL)
    assert created["institution"] == ""
    assert created["year"] is None
    assert created["doi"] is None
    assert created["theme"] is None
    assert created["sections"].keys() == {
        "background",
        "purpose",
        "implementation",
        "results",
        "lessons",
    }


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"year": 1850}, "year", "year"),
        ({"year": 3000}, "year", "year"),
        ({"doi": "not a doi"}, "doi", "doi"),
        ({"theme": "finns-inte"}, "theme", "unknown-theme"),
        ({"builds_on": [987654321]}, "builds_on", "unknown"),
        ({"kind": "model"}, "institution", "not-research"),
    ],
)
def test_bad_research_is_a_readable_422_problem(
    change: dict[str, Any], field: str, code: str, api_as: Client, member: User
) -> None:
    response = api_as(member).post("/api/v1/groups/forskning-o/resources", json={**STUDY, **change})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["errors"][0]["field"] == field
    assert problem["errors"][0]["code"] == code
    assert problem["detail"]


def test_a_year_beyond_any_calendar_is_refused_by_the_schema(api_as: Client, member: User) -> None:
    response = api_as(member).post(
        "/api/v1/groups/forskning-o/resources", json={**STUDY, "year": 10**30}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("year")


def test_a_practice_builds_on_research_and_the_research_knows_it(
    api_as: Client, member: User, session: Session
) -> None:
    client = api_as(member)
    study = post(client, "forskning-o", STUDY)
    practice = post(client, "forskning-o", {**MODEL, "builds_on": [study["id"]]})
    assert practice["builds_on"] == [study["id"]]
    outsider = api_as(make_user(session))
    assert outsider.get(f"/api/v1/resources/{study['id']}").json()["used_by"] == [practice["id"]]
    listed = outsider.get("/api/v1/groups/forskning-o/resources").json()["items"]
    by_id = {item["id"]: item for item in listed}
    assert by_id[study["id"]]["used_by"] == [practice["id"]]
    assert by_id[practice["id"]]["builds_on"] == [study["id"]]


def test_closed_research_is_neither_named_by_outsiders_nor_shown_to_them(
    api_as: Client, member: User, session: Session
) -> None:
    client = api_as(member)
    closed = post(client, "forskning-s", STUDY)
    practice = post(client, "forskning-o", {**MODEL, "builds_on": [closed["id"]]})
    assert practice["builds_on"] == [closed["id"]]

    outsider_user = make_user(session)
    make_membership(session, group=make_group(session, slug="egen"), user=outsider_user)
    outsider = api_as(outsider_user)
    refused = outsider.post(
        "/api/v1/groups/egen/resources", json={**MODEL, "builds_on": [closed["id"]]}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "builds_on"
    assert outsider.get(f"/api/v1/resources/{practice['id']}").json()["builds_on"] == []
    assert outsider.get(f"/api/v1/resources/{closed['id']}").status_code == 404


def test_an_edit_changes_research_fields_links_and_theme(api_as: Client, member: User) -> None:
    client = api_as(member)
    study = post(client, "forskning-o", STUDY)
    other = post(client, "forskning-o", {**STUDY, "title": "Andra studien"})
    practice = post(
        client, "forskning-o", {**MODEL, "builds_on": [study["id"]], "theme": "attraktivitet"}
    )

    changed = client.patch(
        f"/api/v1/resources/{study['id']}", json={"year": 2020, "doi": None, "authors": None}
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["year"], body["doi"], body["authors"]) == (2020, None, "")
    assert body["institution"] == "Högskolan Dalarna"
    assert body["version"] == study["version"] + 1

    relinked = client.patch(
        f"/api/v1/resources/{practice['id']}", json={"builds_on": [other["id"]], "theme": None}
    ).json()
    assert relinked["builds_on"] == [other["id"]]
    assert relinked["theme"] is None
    untouched = client.patch(f"/api/v1/resources/{practice['id']}", json={"title": "Lots"}).json()
    assert untouched["builds_on"] == [other["id"]]
    assert client.get(f"/api/v1/resources/{study['id']}").json()["used_by"] == []

    refused = client.patch(f"/api/v1/resources/{practice['id']}", json={"year": 2001})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "not-research"


def test_the_library_is_filtered_to_research_and_by_institution(
    api_as: Client, member: User
) -> None:
    client = api_as(member)
    dalarna = post(client, "forskning-o", STUDY)
    orebro = post(client, "forskning-o", {**STUDY, "institution": "Örebro universitet"})
    post(client, "forskning-o", MODEL)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/groups/forskning-o/resources?{query}")
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids("kind=research") == [orebro["id"], dalarna["id"]]
    assert ids("kind=research&institution=Högskolan Dalarna") == [dalarna["id"]]
    assert ids("institution=Ingen") == []


def test_the_list_takes_as_many_statements_for_thirty_linked_items_as_for_one(
    api_as: Client, member: User, count_statements: Count
) -> None:
    client = api_as(member)
    study = post(client, "forskning-o", {**STUDY, "theme": "integration"})
    post(client, "forskning-o", {**MODEL, "builds_on": [study["id"]], "theme": "integration"})
    url = "/api/v1/groups/forskning-o/resources"
    one = count_statements(lambda: client.get(url))
    for n in range(29):
        post(client, "forskning-o", {**MODEL, "title": f"Modell {n}", "builds_on": [study["id"]]})
    listed: list[Any] = []
    thirty = count_statements(lambda: listed.append(client.get(url).json()))
    assert one == thirty
    assert len(listed[0]["items"]) == 31


def test_a_discussion_carries_a_theme_from_its_start(api_as: Client, member: User) -> None:
    client = api_as(member)
    started = client.post(
        "/api/v1/groups/forskning-o/threads",
        json={"title": "Om temat", "body": "Vad gör ni?", "theme": "attraktivitet"},
    )
    assert started.status_code == 201, started.text
    assert started.json()["theme"] == "attraktivitet"
    thread_id = started.json()["id"]
    assert client.get(f"/api/v1/threads/{thread_id}").json()["theme"] == "attraktivitet"
    listed = client.get("/api/v1/groups/forskning-o/threads").json()["items"]
    assert [t["theme"] for t in listed if t["id"] == thread_id] == ["attraktivitet"]
    plain = client.post(
        "/api/v1/groups/forskning-o/threads", json={"title": "Utan", "body": "Text"}
    ).json()
    assert plain["theme"] is None
    refused = client.post(
        "/api/v1/groups/forskning-o/threads",
        json={"title": "Fel", "body": "Text", "theme": "nej"},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "theme"
