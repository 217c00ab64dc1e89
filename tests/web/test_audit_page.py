"""The audit log page `/admin/audit` and its CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain import audit, audit_log
from domain.actor import SYSTEM, Actor, load_actor
from models import AuditEntry, Group, Locale, MemberRole, User
from tests.factories import make_group, make_membership, make_user
from web.audit import CSV_COLUMNS

Browser = Callable[[User], TestClient]
Count = Callable[[Callable[[], object]], int]
EN = {"Accept-Language": "en"}


@dataclass(frozen=True)
class World:
    ours: Group
    theirs: Group
    lead: User
    coordinator: User
    member: User


def _actor(session: Session, user: User) -> Actor:
    assert user.id is not None
    return load_actor(session, user.id)


def _entry(
    session: Session,
    actor: Actor,
    action: str,
    group: Group | None,
    *,
    reason: str = "",
    at: datetime | None = None,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
) -> AuditEntry:
    entry = audit.record(
        session,
        actor,
        action,
        target_type="thread",
        target_id=41,
        group_id=group.id if group else None,
        reason=reason,
        before=before,
        after=after,
    )
    if at is not None:
        entry.created_at = at
    session.flush()
    return entry


@pytest.fixture
def world(session: Session) -> World:
    ours = make_group(session, slug="webb-var", name="Vår webbgrupp")
    theirs = make_group(session, slug="webb-deras", name="Deras webbgrupp")
    lead = make_user(session, locale=Locale.EN, name="Linnea Lead")
    make_membership(session, group=ours, user=lead, role=MemberRole.LEAD)
    coordinator = make_user(
        session, locale=Locale.EN, name="Cecilia Samordnare", is_coordinator=True
    )
    member = make_user(session, locale=Locale.EN, name="Max Medlem")
    make_membership(session, group=ours, user=member)
    by_lead = _actor(session, lead)
    _entry(
        session,
        by_lead,
        "thread.lock",
        ours,
        reason="Tråden har spårat ur",
        at=datetime(2026, 6, 1, 10, tzinfo=UTC),
        before={"locked": False},
        after={"locked": True},
    )
    _entry(
        session,
        SYSTEM,
        "thread.move",
        theirs,
        at=datetime(2026, 6, 2, 10, tzinfo=UTC),
        before={"group": "webb-deras"},
        after={"group": "annan"},
    )
    return World(ours, theirs, lead, coordinator, member)


def test_a_coordinator_reads_the_log_in_words(browser_as: Browser, world: World) -> None:
    page = browser_as(world.coordinator).get("/admin/audit?from=2026-06-01", headers=EN)
    assert page.status_code == 200
    text = page.text
    assert '<caption id="audit-caption">Audit entries, newest first</caption>' in text
    assert "Locked a discussion" in text
    assert "Moved a discussion" in text
    assert "Linnea Lead" in text
    assert "The system" in text
    assert "Tråden har spårat ur" in text
    assert "Locked: no → yes" in text
    assert "Group: webb-deras → annan" in text
    assert "1 Jun 2026, 12:00" in text  # 10:00 UTC is noon in Stockholm in summer
    assert 'href="/t/41"' in text
    assert text.index("Moved a discussion") < text.index("Locked a discussion")


def test_leads_see_their_groups_entries_and_the_link_to_the_log(
    browser_as: Browser, world: World
) -> None:
    lead = browser_as(world.lead)
    assert 'href="/admin/audit"' in lead.get("/", headers=EN).text
    text = lead.get("/admin/audit", headers=EN).text
    assert "Locked a discussion" in text
    assert "Moved a discussion" not in text
    assert 'value="webb-var"' in text
    assert 'value="webb-deras"' not in text
    assert lead.get("/admin/audit?group=webb-deras").status_code == 403


def test_members_are_refused_and_not_shown_the_link(browser_as: Browser, world: World) -> None:
    member = browser_as(world.member)
    assert 'href="/admin/audit"' not in member.get("/", headers=EN).text
    assert member.get("/admin/audit").status_code == 403
    assert member.get("/admin/audit.csv").status_code == 403


def test_the_filters_narrow_the_table_and_bad_ones_are_explained(
    browser_as: Browser, world: World
) -> None:
    coordinator = browser_as(world.coordinator)
    moved = coordinator.get("/admin/audit?action=thread.move&from=2026-06-01", headers=EN).text
    assert "Moved a discussion" in moved
    assert "Locked a discussion" not in moved
    mine = coordinator.get(f"/admin/audit?actor={world.lead.email}", headers=EN).text
    assert "Locked a discussion" in mine
    assert "Moved a discussion" not in mine
    bad = coordinator.get("/admin/audit?from=igår", headers=EN)
    assert bad.status_code == 422
    assert "Give a date like 2026-12-04." in bad.text
    assert 'aria-invalid="true"' in bad.text


def test_htmx_gets_only_the_table_and_older_pages_follow(
    browser_as: Browser, session: Session, world: World
) -> None:
    for n in range(audit_log.PER_PAGE + 1):
        _entry(session, SYSTEM, "thread.pin", world.ours, reason=f"nål {n}")
    coordinator = browser_as(world.coordinator)
    first = coordinator.get(
        "/admin/audit?group=webb-var", headers={**EN, "HX-Request": "true"}
    ).text
    assert "<html" not in first
    assert "nål 50" in first
    assert "nål 0<" not in first
    assert "Older entries" in first
    older = first.split('class="pager"><a href="')[1].split('"')[0].replace("&amp;", "&")
    assert "group=webb-var" in older
    second = coordinator.get(older, headers=EN).text
    assert "nål 0<" in second
    assert "Tråden har spårat ur" in second
    assert "Older entries" not in second


def test_the_page_sends_as_many_statements_for_thirty_entries_as_for_one(
    browser_as: Browser, session: Session, world: World, count_statements: Count
) -> None:
    coordinator = browser_as(world.coordinator)
    url = "/admin/audit?group=webb-var"
    coordinator.get(url)
    one = count_statements(lambda: coordinator.get(url))
    for n in range(30):
        who = _actor(session, world.lead) if n % 2 else SYSTEM
        _entry(session, who, "post.hide", world.ours, before={"hidden": False})
    thirty = count_statements(lambda: coordinator.get(url))
    assert thirty == one


def _csv(response: object) -> list[list[str]]:
    assert hasattr(response, "content")
    content: bytes = response.content
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_export_is_a_bom_marked_csv_of_the_filtered_entries(
    browser_as: Browser, session: Session, world: World
) -> None:
    _entry(session, _actor(session, world.lead), "post.hide", world.ours, reason="=HYPERLINK(1)")
    coordinator = browser_as(world.coordinator)
    response = coordinator.get("/admin/audit.csv?group=webb-var")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = _csv(response)
    header, body = rows[0], rows[1:]
    assert header == list(CSV_COLUMNS)
    assert header[:5] == ["id", "at", "actor_id", "actor", "action"]
    assert [row[4] for row in body] == ["post.hide", "thread.lock"]
    assert body[0][8] == "'=HYPERLINK(1)"
    assert body[1][3] == "Linnea Lead"
    assert body[1][9] == '{"locked": false}'
    assert body[1][1] == "2026-06-01T12:00:00+02:00"
    assert all(row[7] == "webb-var" for row in body)


def test_a_leads_export_holds_their_groups_entries_only(browser_as: Browser, world: World) -> None:
    rows = _csv(browser_as(world.lead).get("/admin/audit.csv?from=2026-06-01"))
    assert [row[4] for row in rows[1:]] == ["thread.lock"]


def test_the_export_stops_at_its_limit(
    browser_as: Browser, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(6):
        _entry(session, SYSTEM, "thread.pin", world.ours)
    monkeypatch.setattr(audit_log, "EXPORT_LIMIT", 4)
    monkeypatch.setattr(audit_log, "EXPORT_BATCH", 3)
    rows = _csv(browser_as(world.coordinator).get("/admin/audit.csv"))
    assert len(rows) == 1 + 4
