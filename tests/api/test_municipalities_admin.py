"""Coordinators administer municipalities through the API; everyone else is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import AuditEntry, MemberRole, User
from tests.factories import make_group, make_membership, make_user
from tests.factories import municipality as municipality_of

Client = Callable[[User], TestClient]


@pytest.fixture
def coordinator(api_as: Client, session: Session) -> TestClient:
    return api_as(make_user(session, is_coordinator=True))


def entries(session: Session, action: str) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def refused_clients(api_as: Client, session: Session) -> dict[str, TestClient]:
    group = make_group(session)
    lead, member = make_user(session), make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    owner = api_as(make_user(session, is_coordinator=True))
    secret = owner.post("/api/v1/me/tokens", json={"name": "läs", "scopes": ["read"]}).json()
    read_only = api_as(make_user(session))
    read_only.headers["Authorization"] = f"Bearer {secret['token']}"
    return {"lead": api_as(lead), "member": api_as(member), "read-only token": read_only}


def test_a_coordinator_adds_a_municipality(coordinator: TestClient, session: Session) -> None:
    response = coordinator.post(
        "/api/v1/municipalities",
        json={"name": "Smedjebacken", "county": "Dalarnas län", "domains": ["smedjebacken.se"]},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["slug"] == "smedjebacken"
    assert body["domains"] == ["smedjebacken.se"]
    assert body["representative"] is None
    assert body["current_year"] is None
    assert len(entries(session, "municipality.create")) == 1


def test_the_public_list_keeps_its_contract(coordinator: TestClient) -> None:
    items = coordinator.get("/api/v1/municipalities").json()["items"]
    assert set(items[0]) == {"id", "slug", "name", "county"}


def test_leads_members_and_read_only_tokens_are_refused_with_403(
    api_as: Client, session: Session
) -> None:
    requests = [
        ("post", "/api/v1/municipalities", {"name": "Ny kommun"}),
        ("patch", "/api/v1/municipalities/avesta", {"name": "X"}),
        ("put", "/api/v1/municipalities/avesta/years/2026", {"status": "paid"}),
    ]
    for who, client in refused_clients(api_as, session).items():
        for method, path, body in requests:
            response = client.request(method, path, json=body)
            assert response.status_code == 403, (who, method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        if who != "read-only token":
            assert client.get("/api/v1/municipalities/avesta/years").status_code == 403
    refused = select(AuditEntry).where(AuditEntry.target_type == "municipality")
    assert session.exec(refused).all() == []


def test_without_credentials_it_is_a_401(client: TestClient) -> None:
    assert client.post("/api/v1/municipalities", json={"name": "X"}).status_code == 401


def test_a_domain_of_another_municipality_is_a_409_naming_it(
    coordinator: TestClient, session: Session
) -> None:
    response = coordinator.patch(
        "/api/v1/municipalities/avesta", json={"domains": ["avesta.se", "ludvika.se"]}
    )
    assert response.status_code == 409
    assert "Ludvika" in response.json()["detail"]
    assert entries(session, "municipality.update") == []


def test_a_bad_domain_is_a_422_with_the_field(coordinator: TestClient) -> None:
    response = coordinator.patch("/api/v1/municipalities/avesta", json={"domains": ["avesta"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "domains"


def test_patch_sets_keeps_and_clears_the_representative(
    coordinator: TestClient, session: Session
) -> None:
    official = make_user(session, name="Rut Representant", title="Kommunchef")
    response = coordinator.patch(
        "/api/v1/municipalities/avesta", json={"representative_id": official.id}
    )
    assert response.status_code == 200, response.text
    assert response.json()["representative"] == {
        "id": official.id,
        "name": "Rut Representant",
        "title": "Kommunchef",
    }
    kept = coordinator.patch("/api/v1/municipalities/avesta", json={"name": "Avesta kommun"})
    assert kept.json()["representative"]["id"] == official.id
    assert kept.json()["name"] == "Avesta kommun"
    cleared = coordinator.patch("/api/v1/municipalities/avesta", json={"representative_id": None})
    assert cleared.json()["representative"] is None
    [appointed, renamed, removed] = entries(session, "municipality.update")
    assert appointed.after == {"representative_id": official.id}
    assert renamed.before == {"name": "Avesta"}
    assert removed.before == {"representative_id": official.id}
    assert removed.after == {"representative_id": None}


def test_a_representative_from_another_municipality_is_a_422(
    coordinator: TestClient, session: Session
) -> None:
    elsewhere = make_user(session, municipality_id=municipality_of(session, "nora").id)
    response = coordinator.patch(
        "/api/v1/municipalities/avesta", json={"representative_id": elsewhere.id}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "representative_id"


def test_an_unknown_municipality_is_a_404(coordinator: TestClient) -> None:
    assert coordinator.patch("/api/v1/municipalities/atlantis", json={}).status_code == 404


def test_years_are_recorded_and_listed_latest_first(
    coordinator: TestClient, session: Session
) -> None:
    first = coordinator.put("/api/v1/municipalities/nora/years/2025", json={"status": "invoiced"})
    assert first.status_code == 200, first.text
    assert first.json()["fee_sek"] == 10_000
    paid = coordinator.put(
        "/api/v1/municipalities/nora/years/2025", json={"status": "paid", "note": "Betald"}
    )
    assert paid.json()["status"] == "paid"
    coordinator.put(
        "/api/v1/municipalities/nora/years/2026", json={"status": "not_member", "fee_sek": 0}
    )

    page = coordinator.get("/api/v1/municipalities/nora/years?limit=1").json()
    assert [item["year"] for item in page["items"]] == [2026]
    rest = coordinator.get(f"/api/v1/municipalities/nora/years?cursor={page['next_cursor']}")
    assert [(i["year"], i["status"]) for i in rest.json()["items"]] == [(2025, "paid")]
    assert rest.json()["next_cursor"] is None

    change = entries(session, "municipality.year")[1]
    assert change.before == {"status": "invoiced", "note": ""}
    assert change.after == {"status": "paid", "note": "Betald"}


@pytest.mark.parametrize(
    ("year", "body", "field"),
    [
        (1999, {"status": "paid"}, "year"),
        (2201, {"status": "paid"}, "year"),
        (2026, {"status": "betald"}, "status"),
        (2026, {"status": "paid", "fee_sek": -5}, "fee_sek"),
    ],
)
def test_a_bad_year_status_or_fee_is_a_422(
    coordinator: TestClient, session: Session, year: int, body: dict[str, object], field: str
) -> None:
    response = coordinator.put(f"/api/v1/municipalities/nora/years/{year}", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert entries(session, "municipality.year") == []
