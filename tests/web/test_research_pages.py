"""Research in the browser: the form's research fields and picker, the research page with
"from research to practice", the library's filters, a discussion's theme."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Locale, User, Visibility
from tests.factories import make_group, make_membership, make_user

Browser = Callable[[User], TestClient]
Count = Callable[[Callable[[], object]], int]

STUDY: dict[str, Any] = {
    "title": "Att stanna eller flytta vidare",
    "summary": "En intervjustudie om nyanländas etablering.",
    "kind": "research",
    "municipality": "avesta",
    "institution": "Högskolan Dalarna",
    "authors": "Karin Holmgren, Yusuf Demir",
    "year": "2019",
    "doi": "10.5555/erfa-test.1",
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
    """An English-speaking member of the open group `fw-o` and the closed group `fw-s`."""
    user = make_user(session, locale=Locale.EN)
    make_membership(session, group=make_group(session, slug="fw-o", name="Öppna W"), user=user)
    closed = make_group(session, slug="fw-s", name="Stängda W", visibility=Visibility.CLOSED)
    make_membership(session, group=closed, user=user)
    return user


def share(client: TestClient, slug: str, form: dict[str, Any]) -> str:
    response = client.post(f"/g/{slug}/resources", data=form)
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    return location


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    return html[start : html.index("</section>", start)]


def test_the_whole_form_has_the_research_fields_the_picker_and_the_theme(
    browser_as: Browser, member: User, session: Session
) -> None:
    client = browser_as(member)
    share(client, "fw-o", {**STUDY, "title": "Öppen studie"})
    share(client, "fw-s", {**STUDY, "title": "Intern studie", "institution": "Örebro universitet"})
    page = client.get("/g/fw-o/resources/new")
    assert page.status_code == 200
    html = page.text
    assert "About the research (only for the kind research)" in html
    for name in ("institution", "authors", "year", "doi", "implications"):
        assert f'name="{name}"' in html
    picker = html[html.index("Builds on research (optional)") :]
    assert picker.index("Högskolan Dalarna") < picker.index("Öppen studie")
    assert picker.index("Örebro universitet") < picker.index("Intern studie")
    theme_select = html[
        html.index('id="res-theme"') : html.index("</select>", html.index('id="res-theme"'))
    ]
    assert '<option value="">No theme</option>' in theme_select
    assert 'value="attraktivitet"' in theme_select
    assert "selected" not in theme_select

    outsider = make_user(session, locale=Locale.EN)
    make_membership(session, group=make_group(session, slug="fw-eget"), user=outsider)
    theirs = browser_as(outsider).get("/g/fw-eget/resources/new").text
    assert "Öppen studie" in theirs
    assert "Intern studie" not in theirs
    assert browser_as(outsider).get("/g/fw-s/resources/new").status_code == 404


def test_the_group_page_form_has_the_research_fields_and_leads_to_the_whole_form(
    browser_as: Browser, member: User
) -> None:
    html = browser_as(member).get("/g/fw-o").text
    form = html[html.index('id="share-resource"') :]
    assert 'name="institution"' in form
    assert "/g/fw-o/resources/new" in form


def test_a_research_page_shows_its_facts_and_the_practices_that_build_on_it(
    browser_as: Browser, member: User, session: Session
) -> None:
    client = browser_as(member)
    study = share(client, "fw-o", {**STUDY, "theme": "integration"})
    study_id = int(study.rsplit("/", 1)[1])
    practice = share(client, "fw-o", {**MODEL, "builds_on": [str(study_id)]})

    html = client.get(study).text
    facts = section(html, "research-heading")
    assert "Högskolan Dalarna" in facts
    assert "Karin Holmgren, Yusuf Demir" in facts
    assert "2019" in facts
    assert 'href="https://doi.org/10.5555/erfa-test.1"' in facts
    assert "What it means for a municipality" in facts
    assert "<strong>första jobb</strong>" in facts
    assert "Integration" in html
    used = section(html, "used-by-heading")
    assert "From research to practice" in used
    assert "Inflyttarlots" in used
    assert '<a href="/k/ludvika">Ludvika</a>' in used  # the municipality's page

    practice_html = client.get(practice).text
    built = section(practice_html, "builds-on-heading")
    assert "Builds on research" in built
    assert "Att stanna eller flytta vidare" in built
    assert "Högskolan Dalarna" in built
    assert 'id="research-heading"' not in practice_html
    assert 'id="used-by-heading"' not in practice_html


def test_the_pages_speak_swedish_to_a_swedish_official(
    browser_as: Browser, member: User, session: Session
) -> None:
    study = share(browser_as(member), "fw-o", STUDY)
    swedish = make_user(session, locale=Locale.SV)
    html = browser_as(swedish).get(study).text
    assert '<html lang="sv">' in html
    assert "Forskning" in html  # the kind, in the catalogue already
    library = browser_as(swedish).get("/library?kind=research").text
    assert "Att stanna eller flytta vidare" in library
    english = browser_as(member).get(study).text
    assert '<html lang="en">' in english
    assert "Research" in english


def test_a_practice_page_hides_closed_research_from_outsiders(
    browser_as: Browser, member: User, session: Session
) -> None:
    client = browser_as(member)
    closed = share(client, "fw-s", {**STUDY, "title": "Intern studie"})
    practice = share(client, "fw-o", {**MODEL, "builds_on": [closed.rsplit("/", 1)[1]]})
    assert "Intern studie" in client.get(practice).text
    outsider = browser_as(make_user(session, locale=Locale.EN))
    html = outsider.get(practice).text
    assert "Inflyttarlots" in html
    assert "Intern studie" not in html
    assert 'id="builds-on-heading"' not in html
    assert outsider.get(closed).status_code == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"year": "19"}, "The year of publication is four digits, from 1900 to next year."),
        ({"year": "nineteen"}, "The year of publication is four digits, from 1900 to next year."),
        ({"doi": "doi 123"}, "A DOI looks like 10.1234/abcd"),
        ({"kind": "tool"}, "Only research items have an institution"),
        ({"builds_on": ["987654321"]}, "Choose research from the list."),
        ({"theme": "finns-inte"}, "Choose a theme from the list."),
    ],
)
def test_refused_research_comes_back_with_a_readable_message_and_the_text_kept(
    change: dict[str, Any], message: str, browser_as: Browser, member: User
) -> None:
    response = browser_as(member).post("/g/fw-o/resources", data={**STUDY, **change})
    assert response.status_code == 422
    assert message in response.text
    assert "Karin Holmgren, Yusuf Demir" in response.text
    assert "Ett **första jobb** betyder mest." in response.text
    assert "Builds on research (optional)" in response.text


def test_the_library_filters_research_by_institution(
    browser_as: Browser, member: User, session: Session
) -> None:
    client = browser_as(member)
    share(client, "fw-o", STUDY)
    share(
        client,
        "fw-o",
        {**STUDY, "title": "Fritid på lika villkor", "institution": "Örebro universitet"},
    )
    share(
        client, "fw-s", {**STUDY, "title": "Intern studie", "institution": "Karlstads universitet"}
    )
    share(client, "fw-o", MODEL)

    html = client.get("/library?kind=research&institution=%C3%96rebro+universitet").text
    listed = html[html.index('id="resource_list"') :]
    assert "Fritid på lika villkor" in listed
    assert "Att stanna eller flytta vidare" not in listed
    assert "Inflyttarlots" not in listed
    assert '<option value="Örebro universitet" selected>' in html

    outsider = browser_as(make_user(session, locale=Locale.EN)).get("/library").text
    options = re.findall(
        r'<option value="([^"]*)"',
        outsider[outsider.index('id="filter-institution"') :].split("</select>")[0],
    )
    assert options == ["", "Högskolan Dalarna", "Örebro universitet"]


def test_the_research_page_takes_as_many_statements_for_thirty_practices_as_for_one(
    browser_as: Browser, member: User, count_statements: Count
) -> None:
    client = browser_as(member)
    study = share(client, "fw-o", STUDY)
    study_id = study.rsplit("/", 1)[1]
    share(client, "fw-o", {**MODEL, "builds_on": [study_id]})
    one = count_statements(lambda: client.get(study))
    for n in range(29):
        share(client, "fw-o", {**MODEL, "title": f"Modell {n}", "builds_on": [study_id]})
    pages: list[str] = []
    thirty = count_statements(lambda: pages.append(client.get(study).text))
    assert one == thirty
    assert section(pages[0], "used-by-heading").count("<li>") == 30


def test_a_discussion_started_with_a_theme_shows_it(browser_as: Browser, member: User) -> None:
    client = browser_as(member)
    started = client.post(
        "/g/fw-o/threads",
        data={"title": "Om temat", "body": "Vad gör ni?", "theme": "attraktivitet"},
    )
    assert started.status_code == 303, started.text
    html = client.get(started.headers["location"]).text
    assert "Theme:" in html
    assert "/themes#theme-attraktivitet" in html
    refused = client.post("/g/fw-o/threads", data={"title": "Fel", "body": "Text", "theme": "nej"})
    assert refused.status_code == 422
    assert "Choose a theme from the list." in refused.text
    assert 'id="thread-theme"' in refused.text
    plain = client.post("/g/fw-o/threads", data={"title": "Utan", "body": "Text"})
    assert "/themes#theme-" not in client.get(plain.headers["location"]).text
