"""Agenda 2030 goals on discussions and resources: tagging, showing and filtering, both doors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Goal, Group, User
from tests.factories import make_group, make_membership, make_user

Client = Callable[[User], TestClient]

RESOURCE = {
    "title": "Mötesplats för unga",
    "summary": "En modell för mötesplatser.",
    "kind": "model",
    "municipality": "nora",
}


def remove_goal(session: Session, number: int) -> None:
    """Coordinators may delete reference rows; tags must then refuse the goal."""
    goal = session.get(Goal, number)
    assert goal is not None
    session.delete(goal)
    session.flush()


@pytest.fixture
def group(session: Session) -> Group:
    return make_group(session, slug="mal-grupp", name="Målgruppen")


@pytest.fixture
def member(session: Session, group: Group) -> User:
    user = make_user(session)
    make_membership(session, group=group, user=user)
    return user


def test_api_threads_carry_their_goals_and_filter_by_them(api_as: Client, member: User) -> None:
    client = api_as(member)
    tagged = client.post(
        "/api/v1/groups/mal-grupp/threads",
        json={"title": "Jämställda lekplatser", "body": "Hur?", "goals": [10, 5, 5]},
    )
    assert tagged.status_code == 201, tagged.text
    assert tagged.json()["goals"] == [5, 10]
    plain = client.post("/api/v1/groups/mal-grupp/threads", json={"title": "Övrigt", "body": "Hej"})
    assert plain.json()["goals"] == []

    assert client.get(f"/api/v1/threads/{tagged.json()['id']}").json()["goals"] == [5, 10]
    listed = client.get("/api/v1/groups/mal-grupp/threads").json()["items"]
    assert {t["title"]: t["goals"] for t in listed} == {
        "Jämställda lekplatser": [5, 10],
        "Övrigt": [],
    }
    only_five = client.get("/api/v1/groups/mal-grupp/threads?goal=5").json()["items"]
    assert [t["title"] for t in only_five] == ["Jämställda lekplatser"]
    assert client.get("/api/v1/groups/mal-grupp/threads?goal=3").json()["items"] == []


@pytest.mark.parametrize("goals", [[0], [18], ["ett"], list(range(1, 19))])
def test_api_goals_outside_the_list_are_422(api_as: Client, member: User, goals: list) -> None:  # type: ignore[type-arg]
    response = api_as(member).post(
        "/api/v1/groups/mal-grupp/threads", json={"title": "T", "body": "B", "goals": goals}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_a_goal_the_coordinators_removed_is_refused_by_name(
    api_as: Client, member: User, session: Session
) -> None:
    remove_goal(session, 14)
    response = api_as(member).post(
        "/api/v1/groups/mal-grupp/threads", json={"title": "T", "body": "B", "goals": [14]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "goals"


def test_api_resources_are_tagged_edited_and_filtered_by_goal(api_as: Client, member: User) -> None:
    client = api_as(member)
    created = client.post("/api/v1/groups/mal-grupp/resources", json={**RESOURCE, "goals": [4]})
    assert created.status_code == 201, created.text
    resource = created.json()
    assert resource["goals"] == [4]
    thread = client.get(f"/api/v1/threads/{resource['thread_id']}").json()
    assert thread["goals"] == [4]  # its discussion carries the same goals

    patched = client.patch(f"/api/v1/resources/{resource['id']}", json={"goals": [3, 11]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["goals"] == [3, 11]
    assert patched.json()["version"] == resource["version"] + 1
    assert client.get(f"/api/v1/threads/{resource['thread_id']}").json()["goals"] == [3, 11]
    untouched = client.patch(f"/api/v1/resources/{resource['id']}", json={"title": "Ny titel"})
    assert untouched.json()["goals"] == [3, 11]

    assert [
        r["id"] for r in client.get("/api/v1/groups/mal-grupp/resources?goal=11").json()["items"]
    ] == [resource["id"]]
    assert client.get("/api/v1/groups/mal-grupp/resources?goal=4").json()["items"] == []


def test_the_new_discussion_form_tags_goals_shown_on_the_thread(
    browser_as: Client, member: User
) -> None:
    client = browser_as(member)
    form = client.get("/g/mal-grupp").text
    assert 'name="goals" value="13"' in form
    assert "13. Bekämpa klimatförändringarna" in form
    started = client.post(
        "/g/mal-grupp/threads",
        data={"title": "Klimatsmart skolskjuts", "body": "Idéer?", "goals": ["13", "11"]},
    )
    assert started.status_code == 303, started.text
    page = client.get(started.headers["location"]).text
    assert 'href="/?goal=11"' in page
    assert 'href="/?goal=13"' in page
    assert 'href="/?goal=5"' not in page


def test_an_unknown_goal_in_the_form_is_explained_and_the_text_kept(
    browser_as: Client, member: User, session: Session
) -> None:
    remove_goal(session, 2)
    response = browser_as(member).post(
        "/g/mal-grupp/threads", data={"title": "Mat", "body": "Mitt utkast", "goals": ["2"]}
    )
    assert response.status_code == 422
    assert "Välj mål i listan." in response.text
    assert "Mitt utkast" in response.text


def test_the_start_page_filters_recent_activity_by_goal(
    browser_as: Client, api_as: Client, member: User
) -> None:
    api = api_as(member)
    for title, goals in [("Om hälsa", [3]), ("Om vatten", [6])]:
        api.post(
            "/api/v1/groups/mal-grupp/threads", json={"title": title, "body": "…", "goals": goals}
        )
    client = browser_as(member)
    everything = client.get("/").text
    assert "Om hälsa" in everything
    assert "Om vatten" in everything
    health = client.get("/?goal=3").text
    assert "Om hälsa" in health
    assert "Om vatten" not in health
    assert '<option value="3" selected>' in health
    fragment = client.get("/?goal=6", headers={"HX-Request": "true", "HX-Target": "recent_list"})
    assert "<html" not in fragment.text
    assert "Om vatten" in fragment.text
    assert "Om hälsa" not in fragment.text
    assert client.get("/?goal=²").status_code == 200  # a digit int() cannot read
    assert client.get("/library?goal=²").status_code == 200
    junk = client.get("/?goal=alla")  # a hand-edited filter is ignored, not an error
    assert junk.status_code == 200
    assert "Om hälsa" in junk.text
    assert "Om vatten" in junk.text


def test_the_library_filters_by_goal_and_group(
    browser_as: Client, member: User, session: Session
) -> None:
    other = make_group(session, slug="annan-grupp", name="Annan grupp")
    make_membership(session, group=other, user=member)
    client = browser_as(member)
    shared = client.post("/g/mal-grupp/resources", data={**RESOURCE, "goals": ["4"]})
    assert shared.status_code == 303, shared.text
    assert 'href="/library?goal=4"' in client.get(shared.headers["location"]).text
    client.post("/g/annan-grupp/resources", data={**RESOURCE, "title": "Läxhjälp"})

    assert "Mötesplats för unga" in client.get("/library?goal=4").text
    assert "Läxhjälp" not in client.get("/library?goal=4").text
    in_other = client.get("/library?group=annan-grupp").text
    assert "Läxhjälp" in in_other
    assert "Mötesplats för unga" not in in_other
    assert client.get("/library?group=finns-inte").status_code == 404


def test_the_groups_directory_is_ordered_by_focus_area(
    browser_as: Client, session: Session
) -> None:
    make_group(session, slug="unga-a", name="Unga A", focus_area="youth")
    make_group(session, slug="jams-a", name="Jämställdhet A", focus_area="equality")
    page = browser_as(make_user(session)).get("/").text
    assert page.index('<h3 id="area-youth">Ungdom</h3>') < page.index("Unga A")
    assert page.index('<h3 id="area-equality">') < page.index("Jämställdhet A")
    assert page.index("area-youth") < page.index("area-equality")  # the fixed order of areas
