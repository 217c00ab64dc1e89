from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Locale, MemberRole, User, Visibility
from tests.factories import make_group, make_membership, make_user


@pytest.fixture
def client(browser_as: Callable[[User], TestClient], session: Session) -> TestClient:
    """The pages as an ordinary signed-in official."""
    return browser_as(make_user(session))


def test_start_page_lists_groups_from_the_database_in_swedish(
    client: TestClient, session: Session
) -> None:
    make_group(session, name="Ungdomsgruppen", description="Om unga i Bergslagen.")
    make_group(session, name="Den hemliga", visibility=Visibility.SECRET)

    response = client.get("/")

    assert response.status_code == 200
    assert '<html lang="sv">' in response.text
    assert "Ungdomsgruppen" in response.text
    assert "Om unga i Bergslagen." in response.text
    assert "Erfarenhetsgrupper" in response.text
    assert "Den hemliga" not in response.text


def test_start_page_speaks_the_officials_language_whatever_the_browser_says(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    make_group(session, name="Ungdomsgruppen")
    english = browser_as(make_user(session, locale=Locale.EN))
    response = english.get("/", headers={"Accept-Language": "sv-SE,sv;q=0.9"})
    assert '<html lang="en">' in response.text
    assert "Experience groups" in response.text


def test_page_loads_htmx_from_erfa_itself_and_nothing_from_elsewhere(client: TestClient) -> None:
    html = client.get("/").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("/static/vendor/htmx.min.js" in s for s in sources)
    external = [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert [s for s in external if not s.startswith("http://testserver/")] == []

    script = client.get("/static/vendor/htmx.min.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert b"htmx" in script.content[:2000]
    assert client.get("/static/erfa.css").status_code == 200


def test_htmx_request_gets_only_the_group_list_fragment(
    client: TestClient, session: Session
) -> None:
    make_group(session, name="Fragmentgruppen")
    response = client.get("/", headers={"HX-Request": "true", "HX-Target": "group_list"})
    assert "Fragmentgruppen" in response.text
    assert "<html" not in response.text
    assert response.headers["Vary"] == "HX-Request, HX-Target, Accept-Language, Cookie"


def test_pages_carry_the_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_an_unknown_page_is_a_readable_404_page(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Sidan finns inte" in response.text


def test_start_page_statement_count_does_not_grow_with_the_groups_shown(
    client: TestClient, session: Session, count_statements: Callable[[Callable[[], object]], int]
) -> None:
    def add_groups(n: int) -> None:
        for _ in range(n):
            group = make_group(session)
            make_membership(session, group=group, user=make_user(session), role=MemberRole.LEAD)

    add_groups(1)
    with_one = count_statements(lambda: client.get("/"))
    add_groups(29)
    with_thirty = count_statements(lambda: client.get("/"))
    assert with_one == with_thirty, (with_one, with_thirty)
    assert with_one <= 15  # with the next three events and what is new in the theme


def test_group_page_statement_count_does_not_grow_with_its_members(
    browser_as: Callable[[User], TestClient],
    session: Session,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    group = make_group(session, slug="counted")
    lead = make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    client = browser_as(lead)
    with_one = count_statements(lambda: client.get("/g/counted"))
    for _ in range(29):
        make_membership(session, group=group, user=make_user(session))
    with_thirty = count_statements(lambda: client.get("/g/counted"))
    assert with_one == with_thirty, (with_one, with_thirty)


def test_boosted_navigation_gets_the_whole_page_not_a_fragment(client: TestClient) -> None:
    boosted = client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text
    assert "<h1>" in boosted.text


def test_start_page_shows_my_groups_recent_activity_i_may_read_and_the_theme(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    from tests.factories import make_post, make_thread

    mine = make_group(session, name="Min grupp")
    closed = make_group(session, name="Stängd", visibility=Visibility.CLOSED)
    me = make_user(session)
    make_membership(session, group=mine, user=me)
    author = make_user(session)
    make_post(
        session,
        thread=make_thread(session, group=mine, author=author, title="Öppen tråd"),
        author=author,
    )
    make_post(
        session,
        thread=make_thread(session, group=closed, author=author, title="Intern tråd"),
        author=author,
    )
    page = browser_as(me).get("/").text
    assert "Mina grupper" in page
    assert "Min grupp" in page.split("Mina grupper")[1].split("Senaste aktivitet")[0]
    assert "Öppen tråd" in page
    assert "Intern tråd" not in page
    assert "Tema:" in page
    assert "Attraktivitet" in page
