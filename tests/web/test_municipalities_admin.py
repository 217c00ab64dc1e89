"""/admin/municipalities: the coordinators' pages of the member municipalities."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from domain import municipalities, themes
from domain.actor import SYSTEM
from models import AuditEntry, FeeStatus, Locale, MemberRole, MunicipalityYear, User, UserStatus
from tests.factories import make_group, make_membership, make_user
from tests.factories import municipality as municipality_of

Browser = Callable[[User], TestClient]


@pytest.fixture
def coordinator(browser_as: Browser, session: Session) -> TestClient:
    return browser_as(make_user(session, is_coordinator=True, locale=Locale.EN))


def entries(session: Session, action: str) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_the_list_shows_every_municipality_and_the_navigation_links_to_it(
    coordinator: TestClient, browser_as: Browser, session: Session
) -> None:
    html = coordinator.get("/admin/municipalities").text
    assert 'href="/admin/municipalities"' in html.split("</header>")[0]
    for name in ("Avesta", "Borlänge", "Storfors"):
        assert name in html
    assert "avesta.se" in html
    assert '<caption id="municipalities-caption">' in html
    member_page = browser_as(make_user(session)).get("/").text
    assert 'href="/admin/municipalities"' not in member_page


def test_members_and_leads_get_403_on_every_page_and_form(
    browser_as: Browser, session: Session
) -> None:
    group = make_group(session)
    lead = make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    for client in (browser_as(make_user(session)), browser_as(lead)):
        assert client.get("/admin/municipalities").status_code == 403
        assert client.get("/admin/municipalities/avesta").status_code == 403
        assert client.post("/admin/municipalities", data={"name": "Ny"}).status_code == 403
        edit = {"name": "X", "domains": "avesta.se"}
        assert client.post("/admin/municipalities/avesta", data=edit).status_code == 403
        year = {"year": "2026", "status": "paid"}
        assert client.post("/admin/municipalities/avesta/years", data=year).status_code == 403
    refused = select(AuditEntry).where(AuditEntry.target_type == "municipality")
    assert session.exec(refused).all() == []


def test_a_coordinator_adds_a_municipality_without_javascript(
    coordinator: TestClient, session: Session
) -> None:
    form = {"name": "Smedjebacken", "county": "Dalarnas län", "domains": "smedjebacken.se\n"}
    response = coordinator.post("/admin/municipalities", data=form)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/municipalities/smedjebacken?notice=created"
    page = coordinator.get(response.headers["location"]).text
    assert "The municipality has been added." in page
    assert "smedjebacken.se" in page
    assert len(entries(session, "municipality.create")) == 1


def test_a_domain_of_another_municipality_is_refused_in_the_form_naming_it(
    coordinator: TestClient, session: Session
) -> None:
    form = {"name": "Smedjebacken", "domains": "smedjebacken.se\nludvika.se"}
    for headers in ({}, {"HX-Request": "true", "HX-Target": "add_form"}):
        response = coordinator.post("/admin/municipalities", data=form, headers=headers)
        assert response.status_code == 422
        assert "The domain ludvika.se belongs to Ludvika already." in response.text
        assert "smedjebacken.se\nludvika.se</textarea>" in response.text
    assert entries(session, "municipality.create") == []


def test_the_edit_form_offers_only_the_municipalitys_active_officials(
    coordinator: TestClient, session: Session
) -> None:
    make_user(session, name="Aktiv Avestabo", title="Kommunchef")
    make_user(session, name="Avstängd Avestabo", status=UserStatus.SUSPENDED)
    make_user(session, name="Nora Noraboe", municipality_id=municipality_of(session, "nora").id)
    html = coordinator.get("/admin/municipalities/avesta").text
    select_html = html.split('id="m-representative"')[1].split("</select>")[0]
    assert "Aktiv Avestabo, Kommunchef" in select_html
    assert "Avstängd Avestabo" not in select_html
    assert "Nora Noraboe" not in select_html


def test_a_coordinator_names_the_representative_and_domains_in_place(
    coordinator: TestClient, session: Session
) -> None:
    official = make_user(session, name="Rut Representant")
    form = {
        "name": "Avesta",
        "county": "Dalarnas län",
        "domains": "avesta.se\nskola.avesta.se",
        "representative": str(official.id),
    }
    response = coordinator.post(
        "/admin/municipalities/avesta",
        data=form,
        headers={"HX-Request": "true", "HX-Target": "profile"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Saved." in response.text
    assert f'<option value="{official.id}" selected>' in response.text
    [entry] = entries(session, "municipality.update")
    assert entry.before == {"domains": ["avesta.se"], "representative_id": None}
    assert entry.after == {
        "domains": ["avesta.se", "skola.avesta.se"],
        "representative_id": official.id,
    }
    plain = coordinator.post("/admin/municipalities/avesta", data={**form, "representative": ""})
    assert plain.status_code == 303
    assert plain.headers["location"] == "/admin/municipalities/avesta?notice=saved"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"domains": "avesta.se\nnot a domain"}, "Write one email domain per line"),
        ({"representative": "elsewhere"}, "must be an active official of this municipality"),
        ({"representative": "abc"}, "must be an active official of this municipality"),
        ({"name": "   "}, "A municipality needs a name"),
    ],
)
def test_bad_input_comes_back_with_a_readable_message(
    coordinator: TestClient, session: Session, change: dict[str, str], message: str
) -> None:
    if change.get("representative") == "elsewhere":
        nora = municipality_of(session, "nora")
        change = {"representative": str(make_user(session, municipality_id=nora.id).id)}
    form = {"name": "Avesta", "county": "", "domains": "avesta.se", **change}
    response = coordinator.post("/admin/municipalities/avesta", data=form)
    assert response.status_code == 422
    assert message in response.text
    assert entries(session, "municipality.update") == []


def test_the_year_form_preselects_the_current_year(coordinator: TestClient) -> None:
    html = coordinator.get("/admin/municipalities/avesta").text
    year = themes.local_today().year
    field = html.split('id="record-year"')[1].split(">")[0]
    assert f'value="{year}"' in field


def test_a_coordinator_records_and_changes_a_year(
    coordinator: TestClient, session: Session
) -> None:
    response = coordinator.post(
        "/admin/municipalities/nora/years",
        data={"year": "2025", "status": "invoiced", "fee_sek": "10 000", "note": ""},
    )
    assert response.status_code == 303
    in_place = coordinator.post(
        "/admin/municipalities/nora/years",
        data={"year": "2025", "status": "paid", "fee_sek": "10000", "note": "Betald i mars"},
        headers={"HX-Request": "true", "HX-Target": "years"},
    )
    assert in_place.status_code == 200
    assert "<html" not in in_place.text
    assert "The membership of 2025 has been saved." in in_place.text
    row = session.exec(select(MunicipalityYear)).one()
    assert (row.year, row.status, row.fee_sek, row.note) == (
        2025,
        FeeStatus.PAID,
        10_000,
        "Betald i mars",
    )
    invoiced, paid = entries(session, "municipality.year")
    assert invoiced.before is None
    assert paid.before == {"status": "invoiced", "note": ""}
    assert paid.after == {"status": "paid", "note": "Betald i mars"}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"year": "1999", "status": "paid"}, "A year is 2000–2200."),
        ({"year": "tjugo", "status": "paid"}, "A year is 2000–2200."),
        ({"year": "2026", "status": "betald"}, "Choose invoiced, paid or not a member."),
        ({"year": "2026", "status": "paid", "fee_sek": "mycket"}, "A fee is a whole number"),
    ],
)
def test_a_bad_year_comes_back_with_a_readable_message(
    coordinator: TestClient, session: Session, form: dict[str, str], message: str
) -> None:
    for headers in ({}, {"HX-Request": "true", "HX-Target": "years"}):
        response = coordinator.post("/admin/municipalities/nora/years", data=form, headers=headers)
        assert response.status_code == 422
        assert message in response.text
    assert session.exec(select(MunicipalityYear)).all() == []


def test_the_list_sends_as_many_statements_for_thirty_municipalities_as_for_ten(
    coordinator: TestClient,
    session: Session,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    few = count_statements(lambda: coordinator.get("/admin/municipalities"))
    for n in range(20):
        municipalities.create_municipality(
            session, SYSTEM, name=f"Kommun {n}", domains=[f"kommun{n}.se"]
        )
    session.flush()
    many = count_statements(lambda: coordinator.get("/admin/municipalities"))
    assert few == many, (few, many)


def test_the_edit_page_sends_as_many_statements_for_many_years_and_officials(
    coordinator: TestClient,
    session: Session,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    few = count_statements(lambda: coordinator.get("/admin/municipalities/nora"))
    nora = municipality_of(session, "nora")
    assert nora.id is not None
    for n in range(20):
        make_user(session, municipality_id=nora.id)
        session.add(MunicipalityYear(municipality_id=nora.id, year=2000 + n))
    session.flush()
    many = count_statements(lambda: coordinator.get("/admin/municipalities/nora"))
    assert few == many, (few, many)


def test_saving_the_form_keeps_a_representative_who_was_suspended_since(
    coordinator: TestClient, session: Session
) -> None:
    official = make_user(session, name="Sara Suspenderad")
    municipalities.update_municipality(
        session, SYSTEM, slug="avesta", representative_id=official.id
    )
    official.status = UserStatus.SUSPENDED
    session.flush()
    html = coordinator.get("/admin/municipalities/avesta").text
    assert f'<option value="{official.id}" selected>Sara Suspenderad' in html
    form = {
        "name": "Avesta kommun",
        "county": "Dalarnas län",
        "domains": "avesta.se",
        "representative": str(official.id),
    }
    assert coordinator.post("/admin/municipalities/avesta", data=form).status_code == 303
    session.refresh(official)
    assert official.is_representative
    [entry] = entries(session, "municipality.update")[1:]
    assert entry.after == {"name": "Avesta kommun"}
