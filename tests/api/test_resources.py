"""Shared practices through the API: the case template, adoptions, access."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import User, Visibility
from tests.factories import make_group, make_membership, make_user, municipality

Client = Callable[[User], TestClient]

MODEL = {
    "title": "Ungdomsråd i fyra steg",
    "summary": "Så startade vi ett ungdomsråd som kommunstyrelsen lyssnar på.",
    "kind": "model",
    "municipality": "hedemora",
    "background": "Unga saknade en **egen** kanal.",
    "purpose": "Att unga ska påverka beslut.",
    "implementation": "Val i skolorna.",
    "results": "Tre förslag genomförda 2019.",
    "lessons": "Ge rådet en egen budget.",
}


@pytest.fixture
def member(session: Session) -> User:
    group = make_group(session, slug="ungdom-r")
    user = make_user(session, name="Johan Eriksson")
    make_membership(session, group=group, user=user)
    return user


def test_sharing_a_model_keeps_the_case_template_and_opens_a_discussion(
    api_as: Client, member: User
) -> None:
    client = api_as(member)
    created = client.post("/api/v1/groups/ungdom-r/resources", json=MODEL)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "model"
    assert body["municipality"] == "Hedemora"
    assert body["sections"]["background"] == "Unga saknade en **egen** kanal."
    assert (
        body["sections_html"]["background"]
        == "<p>Unga saknade en <strong>egen</strong> kanal.</p>\n"
    )
    thread = client.get(f"/api/v1/threads/{body['thread_id']}").json()
    assert thread["title"] == MODEL["title"]
    listed = client.get("/api/v1/groups/ungdom-r/resources?kind=model").json()["items"]
    assert [r["id"] for r in listed] == [body["id"]]
    assert client.get("/api/v1/groups/ungdom-r/resources?kind=tool").json()["items"] == []


def test_adoptions_are_recorded_and_counted(api_as: Client, member: User, session: Session) -> None:
    created = api_as(member).post("/api/v1/groups/ungdom-r/resources", json=MODEL).json()
    other = make_user(session)
    adoption = api_as(other).post(
        f"/api/v1/resources/{created['id']}/adoptions",
        json={
            "municipality": "storfors",
            "summary": "Vi startade ett råd 2019.",
            "outcome": "Lyckat",
            "adopted_on": "2019-03-01",
        },
    )
    assert adoption.status_code == 201, adoption.text
    assert adoption.json()["municipality"] == "Storfors"
    resource = api_as(other).get(f"/api/v1/resources/{created['id']}").json()
    assert resource["adoption_count"] == 1
    assert [a["municipality"] for a in resource["adoptions"]] == ["Storfors"]


def test_edits_need_the_current_version_and_the_right_person(
    api_as: Client, member: User, session: Session
) -> None:
    created = api_as(member).post("/api/v1/groups/ungdom-r/resources", json=MODEL).json()
    url = f"/api/v1/resources/{created['id']}"
    assert api_as(make_user(session)).patch(url, json={"title": "x"}).status_code == 403
    ok = api_as(member).patch(url, json={"results": "Fem förslag."}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.json()["sections"]["results"] == "Fem förslag."
    assert ok.json()["sections"]["lessons"] == MODEL["lessons"]
    stale = api_as(member).patch(url, json={"title": "y"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert api_as(member).delete(url).status_code == 204
    assert api_as(member).get(url).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "recipe"}, "kind"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"municipality": "gotham"}, "municipality"),
        ({"summary": ""}, "summary"),
    ],
)
def test_bad_resources_are_422(
    change: dict[str, str], field: str, api_as: Client, member: User
) -> None:
    response = api_as(member).post("/api/v1/groups/ungdom-r/resources", json={**MODEL, **change})
    assert response.status_code == 422
    assert field in response.json()["errors"][0]["field"]


def test_resources_of_a_closed_group_are_invisible_to_outsiders(
    api_as: Client, session: Session
) -> None:
    closed = make_group(session, slug="styr-r", visibility=Visibility.CLOSED)
    lead = make_user(session)
    make_membership(session, group=closed, user=lead)
    created = api_as(lead).post("/api/v1/groups/styr-r/resources", json=MODEL).json()
    outsider = api_as(make_user(session))
    assert outsider.get(f"/api/v1/resources/{created['id']}").status_code == 404
    assert outsider.get("/api/v1/groups/styr-r/resources").status_code == 404
    adopt = {"municipality": "nora", "summary": "x"}
    assert (
        outsider.post(f"/api/v1/resources/{created['id']}/adoptions", json=adopt).status_code == 404
    )


def test_a_municipality_adopts_once_and_later_reports_add_to_it(
    api_as: Client, member: User, session: Session
) -> None:
    created = api_as(member).post("/api/v1/groups/ungdom-r/resources", json=MODEL).json()
    url = f"/api/v1/resources/{created['id']}/adoptions"
    reporter = api_as(make_user(session, municipality_id=municipality(session, "nora").id))
    first = reporter.post(url, json={"summary": "Vi provade 2019.", "outcome": "Bra"})
    assert first.status_code == 201, first.text
    assert first.json()["municipality"] == "Nora"  # the reporter's own, by default
    counts = [
        reporter.post(url, json={"summary": f"Rapport {n}.", "outcome": "Ännu bättre"}).status_code
        for n in range(20)
    ]
    assert counts == [200] * 20
    resource = reporter.get(f"/api/v1/resources/{created['id']}").json()
    assert resource["adoption_count"] == 1
    [adoption] = resource["adoptions"]
    assert adoption["summary"].startswith("Vi provade 2019.\n\nRapport 0.")
    assert "Rapport 19." in adoption["summary"]
    assert adoption["outcome"] == "Ännu bättre"
    other = reporter.post(url, json={"municipality": "storfors", "summary": "Också vi."})
    assert other.status_code == 201
    assert reporter.get(f"/api/v1/resources/{created['id']}").json()["adoption_count"] == 2


def test_the_adoption_form_starts_at_the_officials_own_municipality(
    api_as: Client, browser_as: Client, member: User, session: Session
) -> None:
    created = api_as(member).post("/api/v1/groups/ungdom-r/resources", json=MODEL).json()
    official = make_user(session, municipality_id=municipality(session, "fagersta").id)
    page = browser_as(official).get(f"/r/{created['id']}")
    assert page.status_code == 200
    form = page.text[page.text.index('id="adopt-municipality"') :]
    assert '<option value="fagersta" selected>' in form[: form.index("</select>")]
