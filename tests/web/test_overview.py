"""`/admin/overview`: the coordinators' figures, tables, charts and CSV exports."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain import activity
from models import Group, MemberRole, User
from models.base import utcnow
from tests.factories import make_group, make_membership, make_user, municipality

Browser = Callable[[User], TestClient]
EN = {"Accept-Language": "en"}


@pytest.fixture
def coordinator(browser_as: Browser, session: Session) -> TestClient:
    client = browser_as(make_user(session, is_coordinator=True, locale="en"))
    client.headers.update(EN)
    return client


def post_in(session: Session, group: Group, slug: str, *, new_thread: bool = False) -> None:
    assert group.id is not None
    municipality_id = municipality(session, slug).id
    assert municipality_id is not None
    activity.count_post(
        session,
        group_id=group.id,
        municipality_id=municipality_id,
        at=utcnow(),
        new_thread=new_thread,
    )
    session.flush()


def table_row(html: str, attribute: str, value: str) -> list[str]:
    """The cells of the row `<tr data-… = value>` as text."""
    found = re.search(rf'<tr {attribute}="{value}">(.*?)</tr>', html, re.S)
    assert found is not None, f"no row {value} in:\n{html[:2000]}"
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", found.group(1), re.S)
    ]


def test_the_coordinator_sees_the_figures_change_with_a_new_post(
    coordinator: TestClient, session: Session
) -> None:
    group = make_group(session, slug="page-group", name="Sidgruppen")
    before = coordinator.get("/admin/overview")
    assert before.status_code == 200, before.text
    assert table_row(before.text, "data-municipality", "ludvika")[3] == "0"

    post_in(session, group, "ludvika", new_thread=True)
    post_in(session, group, "ludvika")
    page = coordinator.get("/admin/overview")

    assert "<h1>Overview</h1>" in page.text
    assert table_row(page.text, "data-municipality", "ludvika")[:5] == [
        "Ludvika",
        "0",
        "0",
        "2",
        "1",
    ]
    cells = table_row(page.text, "data-group", "page-group")
    assert cells[0] == "Sidgruppen"
    assert cells[-3:] == ["2 (1)", "2", "1"]
    assert page.headers["cache-control"] == "no-store"


def test_each_chart_is_an_image_with_a_title_a_description_and_a_table(
    coordinator: TestClient, session: Session
) -> None:
    post_in(session, make_group(session, name="Grafgruppen"), "nora", new_thread=True)
    html = coordinator.get("/admin/overview").text
    charts = re.findall(r"<svg [^>]*>.*?</svg>", html, re.S)
    assert len(charts) == 3
    for chart in charts:
        svg_id = re.search(r'<svg [^>]*id="([^"]+)"', chart)
        assert svg_id is not None
        chart_id = svg_id.group(1)
        assert 'role="img"' in chart
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in chart
        assert re.search(rf'<title id="{chart_id}-title">[^<]+</title>', chart)
        assert re.search(rf'<desc id="{chart_id}-desc">[^<]+</desc>', chart)
        assert "<script" not in chart
    assert "the most, 1, from Nora" in html
    for table in ("municipalities-table", "months-table", "groups-table"):
        assert f'<table id="{table}"' in html
    assert html.count('class="table-scroll" role="region"') == 3
    assert 'tabindex="0"' in html


def test_the_navigation_offers_the_overview_to_coordinators_only(
    coordinator: TestClient, browser_as: Browser, session: Session
) -> None:
    assert 'href="/admin/overview"' in coordinator.get("/").text
    member = browser_as(make_user(session))
    assert 'href="/admin/overview"' not in member.get("/").text


@pytest.mark.parametrize("role", [MemberRole.MEMBER, MemberRole.LEAD])
def test_members_and_leads_get_a_403_page_and_no_csv(
    browser_as: Browser, session: Session, role: MemberRole
) -> None:
    user = make_user(session)
    make_membership(session, group=make_group(session), user=user, role=role)
    client = browser_as(user)
    page = client.get("/admin/overview")
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    export = client.get("/admin/overview.csv?table=municipalities")
    assert export.status_code == 403
    assert "Ludvika" not in export.text


def test_an_anonymous_visitor_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/admin/overview", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-03-02&to=2026-03-01", "The period starts after it ends"),
        ("from=2010-01-01&to=2026-01-01", "A period is at most ten years long."),
        ("from=31.12.2025", "Give the dates as YYYY-MM-DD"),
    ],
)
def test_a_bad_period_is_explained_beside_the_form(
    coordinator: TestClient, query: str, message: str
) -> None:
    page = coordinator.get(f"/admin/overview?{query}")
    assert page.status_code == 422
    assert message in page.text
    assert 'id="period-from"' in page.text  # the form, to try again
    assert "<svg" not in page.text


def test_htmx_gets_the_overview_block_alone(coordinator: TestClient) -> None:
    response = coordinator.get(
        "/admin/overview?from=2025-01-01&to=2025-12-31", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="period-from"' not in response.text
    assert "Period: 1 Jan 2025 to 31 Dec 2025." in response.text


def test_the_municipality_csv_opens_in_a_spreadsheet(
    coordinator: TestClient, session: Session
) -> None:
    post_in(session, make_group(session), "borlange", new_thread=True)
    response = coordinator.get(
        "/admin/overview.csv", params={"table": "municipalities", "from": "2025-01-01"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "erfa-municipalities-2025-01-01_" in disposition
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Municipality",
        "Active officials, 30 days",
        "Active officials, 90 days",
        "Posts",
        "New discussions",
        "Resources shared",
        "Adoptions",
    ]
    assert len(rows) == 11
    assert ["Borlänge", "0", "0", "1", "1", "0", "0"] in rows


def test_the_group_csv_has_a_row_per_month_and_defuses_formulas(
    coordinator: TestClient, session: Session
) -> None:
    group = make_group(session, slug="formula", name='=HYPERLINK("http://evil","x")')
    make_group(session, slug="plus", name="+46 Grupp")
    post_in(session, group, "nora")
    response = coordinator.get("/admin/overview.csv?table=groups")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Group", "Month", "Posts", "New discussions"]
    mine = [r for r in rows if r[0].startswith("'=HYPERLINK")]
    assert len(mine) == 12
    assert mine[-1][2] == "1"
    assert not any(r[0].startswith(("=", "+", "-", "@")) for r in rows[1:])
    assert any(r[0] == "'+46 Grupp" for r in rows)


def test_an_unknown_csv_table_is_refused(coordinator: TestClient) -> None:
    assert coordinator.get("/admin/overview.csv?table=officials").status_code == 422


def test_the_page_sends_as_many_statements_with_thirty_groups_as_with_one(
    coordinator: TestClient,
    session: Session,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    def add(n: int) -> None:
        for _ in range(n):
            group = make_group(session)
            for slug in ("avesta", "hedemora"):
                post_in(session, group, slug, new_thread=True)

    add(1)
    with_one = count_statements(lambda: coordinator.get("/admin/overview"))
    add(29)
    with_thirty = count_statements(lambda: coordinator.get("/admin/overview"))
    assert with_one == with_thirty, (with_one, with_thirty)
