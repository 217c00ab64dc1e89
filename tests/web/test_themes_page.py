"""/themes: the yearly themes for every official, the coordinators' forms to edit them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from domain import themes
from domain.actor import SYSTEM
from models import AuditEntry, Event, Locale, MemberRole, Theme, User, Visibility, utcnow
from tests.factories import make_group, make_membership, make_user

Browser = Callable[[User], TestClient]
HTMX = {"HX-Request": "true", "HX-Target": "themes_main"}


@pytest.fixture
def coordinator(browser_as: Browser, session: Session) -> TestClient:
    return browser_as(make_user(session, is_coordinator=True, locale=Locale.EN))


@pytest.fixture
def member(browser_as: Browser, session: Session) -> TestClient:
    return browser_as(make_user(session, locale=Locale.EN))


def add_theme_of_this_year(session: Session) -> Theme:
    year = themes.local_today().year
    return themes.create_theme(
        session,
        SYSTEM,
        name="Kompetensförsörjning",
        description="Att hitta och behålla medarbetare.",
        starts_on=date(year, 1, 1),
        ends_on=date(year, 12, 31),
    )


def entries(session: Session, action: str) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_every_official_sees_the_current_theme_first_with_its_badge(
    member: TestClient, session: Session
) -> None:
    theme = add_theme_of_this_year(session)
    page = member.get("/themes")
    assert page.status_code == 200
    html = page.text
    assert html.index("Kompetensförsörjning") < html.index("Attraktivitet")
    current = html.split('id="theme-kompetensforsorjning"')[1].split("</li>")[0]
    assert "Current theme" in current
    assert theme.starts_on.isoformat() in current
    older = html.split('id="theme-attraktivitet"')[1].split("</li>")[0]
    assert "Current theme" not in older
    assert "2018-01-01" in older
    assert "2019-12-31" in older
    assert "Add a theme" not in html
    assert "/themes/attraktivitet/edit" not in html


def test_without_a_theme_for_today_none_is_called_current(member: TestClient) -> None:
    html = member.get("/themes").text
    assert "Attraktivitet" in html
    assert "Current theme" not in html


def test_members_and_leads_may_not_open_or_send_the_forms(
    browser_as: Browser, session: Session
) -> None:
    group = make_group(session)
    lead = make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    for client in (browser_as(make_user(session)), browser_as(lead)):
        assert client.get("/themes/attraktivitet/edit").status_code == 403
        form = {"name": "X", "starts_on": "2030-01-01", "ends_on": "2030-12-31"}
        assert client.post("/themes", data=form).status_code == 403
        assert client.post("/themes/attraktivitet/edit", data=form).status_code == 403
        assert client.post("/themes/integration/delete").status_code == 403
    assert session.exec(select(AuditEntry).where(AuditEntry.target_type == "theme")).all() == []


def test_a_coordinator_adds_a_theme_without_javascript(
    coordinator: TestClient, session: Session
) -> None:
    html = coordinator.get("/themes").text
    assert "Add a theme" in html
    assert "/themes/attraktivitet/edit" in html
    form = {
        "name": "Klimatomställning",
        "starts_on": "2030-01-01",
        "ends_on": "2030-12-31",
        "description": "Om klimatet.",
    }
    response = coordinator.post("/themes", data=form)
    assert response.status_code == 303
    assert response.headers["location"] == "/themes?notice=created"
    assert "Klimatomställning" in coordinator.get("/themes?notice=created").text
    assert len(entries(session, "theme.create")) == 1


def test_a_coordinator_adds_a_theme_in_place_with_htmx(coordinator: TestClient) -> None:
    form = {"name": "Digitalisering", "starts_on": "2031-01-01", "ends_on": "2031-12-31"}
    response = coordinator.post("/themes", data=form, headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Digitalisering" in response.text
    assert "The theme has been added." in response.text


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        ("2019-06-01", "2020-05-31", "The period overlaps the theme Attraktivitet"),
        ("2030-06-01", "2030-05-31", "The period ends before it starts."),
        ("31/12/2030", "2031-01-01", "Give the dates as YYYY-MM-DD"),
    ],
)
def test_a_refused_theme_comes_back_with_a_readable_message_and_the_typed_values(
    coordinator: TestClient, session: Session, starts: str, ends: str, message: str
) -> None:
    form = {"name": "Krock", "starts_on": starts, "ends_on": ends}
    for headers in ({}, HTMX):
        response = coordinator.post("/themes", data=form, headers=headers)
        assert response.status_code == 422
        assert message in response.text
        assert 'value="Krock"' in response.text
    assert entries(session, "theme.create") == []


def test_a_coordinator_edits_a_theme_in_place_and_without_javascript(
    coordinator: TestClient, session: Session
) -> None:
    page = coordinator.get("/themes/attraktivitet/edit")
    assert page.status_code == 200
    assert 'value="2019-12-31"' in page.text
    form = {
        "name": "Attraktivitet",
        "starts_on": "2018-01-01",
        "ends_on": "2020-06-30",
        "description": "Ny text.",
    }
    saved = coordinator.post("/themes/attraktivitet/edit", data=form)
    assert saved.status_code == 303
    in_place = coordinator.post(
        "/themes/attraktivitet/edit",
        data={**form, "description": "Ännu nyare."},
        headers={"HX-Request": "true", "HX-Target": "theme_edit"},
    )
    assert in_place.status_code == 200
    assert "<html" not in in_place.text
    assert "Saved." in in_place.text
    first, second = entries(session, "theme.update")
    assert first.after == {"description": "Ny text.", "ends_on": "2020-06-30"}
    assert second.before == {"description": "Ny text."}


def test_a_theme_groups_carry_is_not_removed_and_says_why(
    coordinator: TestClient, session: Session
) -> None:
    theme = session.exec(select(Theme).where(Theme.slug == "integration")).one()
    make_group(session, theme_id=theme.id)
    refused = coordinator.post("/themes/integration/delete")
    assert refused.status_code == 422
    assert "1 group carries this theme" in refused.text
    removed = coordinator.post("/themes/social-hallbarhet/delete")
    assert removed.status_code == 303
    assert len(entries(session, "theme.delete")) == 1


def test_the_start_page_shows_the_current_theme_with_a_link_to_all_themes(
    member: TestClient, session: Session
) -> None:
    add_theme_of_this_year(session)
    html = member.get("/").text
    line = html.split('class="theme"')[1].split("</p>")[0]
    assert "Kompetensförsörjning" in line
    assert 'href="/themes"' in line


def test_the_themes_page_sends_as_many_statements_for_thirty_themes_as_for_three(
    member: TestClient, session: Session, count_statements: Callable[[Callable[[], object]], int]
) -> None:
    few = count_statements(lambda: member.get("/themes"))
    for n in range(27):
        themes.create_theme(
            session,
            SYSTEM,
            name=f"Tema {n}",
            starts_on=date(2100 + n, 1, 1),
            ends_on=date(2100 + n, 12, 31),
        )
    session.flush()
    many = count_statements(lambda: member.get("/themes"))
    assert few == many, (few, many)


def carry_attraktivitet(browser_as: Browser, session: Session) -> TestClient:
    """An insider (English) who shares under Attraktivitet in an open group and a closed
    one: a discussion, a model and a study in each, and an event of each group and of the
    association."""
    theme = session.exec(select(Theme).where(Theme.slug == "attraktivitet")).one()
    insider = make_user(session, locale=Locale.EN)
    client = browser_as(insider)
    for slug, visibility, where in (
        ("tema-o", Visibility.OPEN, "öppen"),
        ("tema-s", Visibility.CLOSED, "stängd"),
    ):
        group = make_group(session, slug=slug, visibility=visibility)
        make_membership(session, group=group, user=insider)
        started = client.post(
            f"/g/{slug}/threads",
            data={"title": f"Samtal {where}", "body": "Text", "theme": "attraktivitet"},
        )
        assert started.status_code == 303, started.text
        for kind, title in (("model", f"Modell {where}"), ("research", f"Studie {where}")):
            shared = client.post(
                f"/g/{slug}/resources",
                data={
                    "title": title,
                    "summary": "Kort.",
                    "kind": kind,
                    "municipality": "nora",
                    "institution": "Örebro universitet" if kind == "research" else "",
                    "theme": "attraktivitet",
                },
            )
            assert shared.status_code == 303, shared.text
        add_event(session, f"Träff {where}", group_id=group.id, theme_id=theme.id)
    add_event(session, "Konferensen", group_id=None, theme_id=theme.id)
    session.flush()
    return client


def add_event(session: Session, title: str, **values: object) -> Event:
    starts = utcnow() + timedelta(days=20)
    event = Event(title=title, starts_at=starts, ends_at=starts + timedelta(hours=3), **values)
    session.add(event)
    session.flush()
    return event


def test_each_theme_lists_what_carries_it_as_far_as_the_reader_may_read(
    browser_as: Browser, member: TestClient, session: Session
) -> None:
    insider = carry_attraktivitet(browser_as, session)
    html = member.get("/themes").text
    carried = html.split('id="theme-attraktivitet"')[1].split("</li>\n  \n")[0]
    for shown in ("Samtal öppen", "Modell öppen", "Studie öppen", "Träff öppen", "Konferensen"):
        assert shown in carried, shown
    for hidden in ("Samtal stängd", "Modell stängd", "Studie stängd", "Träff stängd"):
        assert hidden not in html, hidden
    assert "Discussions" in carried
    assert "Models, tools and processes" in carried
    assert "Events" in carried
    assert "Nothing you may read carries this theme yet." in html.split('id="theme-integration"')[1]
    inside = insider.get("/themes").text
    for shown in ("Samtal stängd", "Modell stängd", "Studie stängd", "Träff stängd"):
        assert shown in inside, shown


def test_the_themes_page_costs_the_same_statements_with_many_carriers(
    browser_as: Browser,
    member: TestClient,
    session: Session,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    carry_attraktivitet(browser_as, session)
    few = count_statements(lambda: member.get("/themes"))
    theme = session.exec(select(Theme).where(Theme.slug == "attraktivitet")).one()
    for n in range(30):
        add_event(session, f"Extra {n}", group_id=None, theme_id=theme.id)
    many = count_statements(lambda: member.get("/themes"))
    assert few == many, (few, many)
    assert "The latest 10 of 32." in member.get("/themes").text


def test_the_start_page_shows_what_is_new_in_the_current_theme(
    browser_as: Browser, member: TestClient, session: Session
) -> None:
    add_theme_of_this_year(session)
    insider = make_user(session, locale=Locale.EN)
    open_group = make_group(session, slug="nytt-o")
    closed = make_group(session, slug="nytt-s", visibility=Visibility.CLOSED)
    for group in (open_group, closed):
        make_membership(session, group=group, user=insider)
    client = browser_as(insider)
    for n, slug in enumerate(["nytt-o"] * 4 + ["nytt-s"]):
        client.post(
            f"/g/{slug}/threads",
            data={"title": f"Nyhet {n}", "body": "Text", "theme": "kompetensforsorjning"},
        )
    client.post("/g/nytt-o/threads", data={"title": "Utan tema", "body": "Text"})
    html = member.get("/").text
    news = html.split('id="theme-news"')[1].split("</section>")[0]
    assert "New in the theme Kompetensförsörjning" in news
    assert news.index("Nyhet 3") < news.index("Nyhet 2") < news.index("Nyhet 1")
    assert "Nyhet 0" not in news
    assert "Nyhet 4" not in html
    assert "Utan tema" not in news
    assert "Nyhet 4" in client.get("/").text.split('id="theme-news"')[1].split("</section>")[0]
