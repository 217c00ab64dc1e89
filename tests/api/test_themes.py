"""The yearly themes through the API: every official reads, coordinators edit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import AuditEntry, MemberRole, Theme, User
from tests.factories import make_group, make_membership, make_user

Client = Callable[[User], TestClient]
NEW_THEME = {
    "name": "Kompetensförsörjning",
    "description": "Att hitta och behålla medarbetare.",
    "starts_on": "2026-01-01",
    "ends_on": "2026-12-31",
}


@pytest.fixture
def coordinator(api_as: Client, session: Session) -> TestClient:
    return api_as(make_user(session, is_coordinator=True))


def entries(session: Session, action: str) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_every_official_reads_the_themes_latest_first(api_as: Client, session: Session) -> None:
    response = api_as(make_user(session)).get("/api/v1/themes")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["slug"] for item in items] == ["attraktivitet", "social-hallbarhet", "integration"]
    assert items[0]["starts_on"] == "2018-01-01"
    assert items[0]["ends_on"] == "2019-12-31"
    assert items[0]["current"] is False


def test_the_themes_page_through_cursors(api_as: Client, session: Session) -> None:
    client = api_as(make_user(session))
    first = client.get("/api/v1/themes?limit=2").json()
    rest = client.get(f"/api/v1/themes?limit=2&cursor={first['next_cursor']}").json()
    assert [i["slug"] for i in first["items"] + rest["items"]] == [
        "attraktivitet",
        "social-hallbarhet",
        "integration",
    ]
    assert rest["next_cursor"] is None


def test_a_coordinator_adds_the_current_theme(coordinator: TestClient, session: Session) -> None:
    response = coordinator.post("/api/v1/themes", json=NEW_THEME)
    assert response.status_code == 201, response.text
    assert response.json()["slug"] == "kompetensforsorjning"
    listed = coordinator.get("/api/v1/themes").json()["items"]
    assert listed[0]["slug"] == "kompetensforsorjning"
    [entry] = entries(session, "theme.create")
    assert entry.after is not None
    assert entry.after["starts_on"] == "2026-01-01"


def test_leads_members_and_read_only_tokens_may_not_edit_themes(
    api_as: Client, session: Session
) -> None:
    group = make_group(session)
    lead, member = make_user(session), make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    owner = api_as(make_user(session, is_coordinator=True))
    secret = owner.post("/api/v1/me/tokens", json={"name": "läs", "scopes": ["read"]}).json()
    read_only = api_as(make_user(session))
    read_only.headers["Authorization"] = f"Bearer {secret['token']}"
    for client in (api_as(lead), api_as(member), read_only):
        assert client.post("/api/v1/themes", json=NEW_THEME).status_code == 403
        patch = client.patch("/api/v1/themes/attraktivitet", json={"name": "X"})
        assert patch.status_code == 403
        assert client.delete("/api/v1/themes/integration").status_code == 403
    assert session.exec(select(AuditEntry).where(AuditEntry.target_type == "theme")).all() == []


def test_an_overlapping_period_is_a_422_naming_the_other_theme(coordinator: TestClient) -> None:
    response = coordinator.post(
        "/api/v1/themes", json={**NEW_THEME, "starts_on": "2019-06-01", "ends_on": "2020-06-01"}
    )
    assert response.status_code == 422
    assert "Attraktivitet" in response.json()["detail"]
    assert response.json()["errors"][0]["code"] == "overlap"


def test_an_end_before_the_start_is_a_422(coordinator: TestClient, session: Session) -> None:
    response = coordinator.patch("/api/v1/themes/attraktivitet", json={"ends_on": "2017-12-31"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "ends_on"
    theme = session.exec(select(Theme).where(Theme.slug == "attraktivitet")).one()
    assert theme.ends_on.isoformat() == "2019-12-31"


def test_patch_changes_a_theme_with_one_audit_entry(
    coordinator: TestClient, session: Session
) -> None:
    response = coordinator.patch(
        "/api/v1/themes/attraktivitet", json={"description": "Nytt.", "ends_on": "2020-12-31"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["ends_on"] == "2020-12-31"
    [entry] = entries(session, "theme.update")
    assert entry.after == {"description": "Nytt.", "ends_on": "2020-12-31"}
    assert entry.before is not None
    assert entry.before["ends_on"] == "2019-12-31"


def test_a_theme_a_group_carries_is_not_deleted(coordinator: TestClient, session: Session) -> None:
    theme = session.exec(select(Theme).where(Theme.slug == "integration")).one()
    make_group(session, theme_id=theme.id)
    assert coordinator.delete("/api/v1/themes/integration").status_code == 409
    assert coordinator.delete("/api/v1/themes/social-hallbarhet").status_code == 204
    assert coordinator.patch("/api/v1/themes/social-hallbarhet", json={}).status_code == 404
