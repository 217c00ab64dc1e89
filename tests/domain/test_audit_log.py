"""The audit log's read model: who reads which entries, the filters, the order and paging."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

import domain
from domain import audit, audit_log
from domain.actor import SYSTEM, Actor, load_actor
from domain.audit_log import AuditFilters
from domain.errors import Forbidden, Invalid, NotFound
from models import AuditEntry, Group, MemberRole, User, Visibility
from tests.factories import make_group, make_membership, make_user

Count = Callable[[Callable[[], object]], int]


def _actor(session: Session, user: User) -> Actor:
    assert user.id is not None
    return load_actor(session, user.id)


def _entry(
    session: Session,
    actor: Actor,
    action: str,
    *,
    group: Group | None = None,
    at: datetime | None = None,
    target_type: str = "thread",
    target_id: int | None = 1,
    reason: str = "",
) -> AuditEntry:
    entry = audit.record(
        session,
        actor,
        action,
        target_type=target_type,
        target_id=target_id,
        group_id=group.id if group else None,
        reason=reason,
        before={"pinned": False},
        after={"pinned": True},
    )
    if at is not None:
        entry.created_at = at
    session.flush()
    return entry


@dataclass(frozen=True)
class World:
    ours: Group
    theirs: Group
    hidden: Group
    lead: User
    coordinator: User
    member: User


@pytest.fixture
def world(session: Session) -> World:
    ours = make_group(session, slug="var-grupp", name="Vår grupp")
    theirs = make_group(session, slug="deras-grupp", name="Deras grupp")
    hidden = make_group(session, slug="hemlig-grupp", visibility=Visibility.SECRET)
    lead = make_user(session, name="Lena Lead", email="lena.lead@nora.se")
    make_membership(session, group=ours, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=theirs, user=lead)
    coordinator = make_user(session, name="Cora Samordnare", is_coordinator=True)
    member = make_user(session, name="Mats Medlem")
    make_membership(session, group=ours, user=member)
    return World(ours, theirs, hidden, lead, coordinator, member)


def _actions(rows: list[audit_log.AuditRow]) -> list[str]:
    return [row.entry.action for row in rows]


def test_coordinators_read_every_entry_and_leads_only_their_groups(
    session: Session, world: World
) -> None:
    lead, coordinator = world.lead, world.coordinator
    ours, theirs, hidden = world.ours, world.theirs, world.hidden
    by_lead = _actor(session, lead)
    _entry(session, by_lead, "thread.pin", group=ours)
    _entry(session, SYSTEM, "thread.lock", group=theirs)
    _entry(session, SYSTEM, "thread.move", group=hidden)
    _entry(session, SYSTEM, "user.suspend", target_type="user")

    everything = audit_log.list_entries(
        session, _actor(session, coordinator), filters=AuditFilters()
    )
    assert _actions(everything)[:4] == ["user.suspend", "thread.move", "thread.lock", "thread.pin"]
    theirs_only = audit_log.list_entries(session, by_lead, filters=AuditFilters())
    assert _actions(theirs_only) == ["thread.pin"]
    assert theirs_only[0].actor_name == "Lena Lead"
    assert (theirs_only[0].group_slug, theirs_only[0].group_name) == ("var-grupp", "Vår grupp")


def test_members_and_visitors_read_no_audit_entries(session: Session, world: World) -> None:
    member = world.member
    with pytest.raises(Forbidden):
        audit_log.list_entries(session, _actor(session, member), filters=AuditFilters())
    with pytest.raises(Forbidden):
        audit_log.list_entries(session, Actor(), filters=AuditFilters())


def test_a_lead_filtering_by_a_group_they_do_not_lead_is_refused(
    session: Session, world: World
) -> None:
    lead = world.lead
    actor = _actor(session, lead)
    assert audit_log.list_entries(session, actor, filters=AuditFilters(group="var-grupp")) == []
    with pytest.raises(Forbidden):
        audit_log.list_entries(session, actor, filters=AuditFilters(group="deras-grupp"))
    with pytest.raises(NotFound):
        audit_log.list_entries(session, actor, filters=AuditFilters(group="hemlig-grupp"))
    with pytest.raises(NotFound):
        audit_log.list_entries(session, actor, filters=AuditFilters(group="finns-inte"))


def test_filters_by_group_actor_action_and_period(session: Session, world: World) -> None:
    lead, coordinator = world.lead, world.coordinator
    ours, theirs = world.ours, world.theirs
    by_lead, reader = _actor(session, lead), _actor(session, coordinator)
    _entry(session, by_lead, "post.hide", group=ours, at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    _entry(session, by_lead, "post.restore", group=ours, at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    _entry(session, SYSTEM, "thread.pin", group=theirs, at=datetime(2026, 3, 3, 23, 30, tzinfo=UTC))
    _entry(session, by_lead, "postal.x", group=ours, at=datetime(2026, 3, 4, 9, tzinfo=UTC))

    def listed(**filters: str) -> list[str]:
        return _actions(audit_log.list_entries(session, reader, filters=AuditFilters(**filters)))

    assert listed(group="deras-grupp") == ["thread.pin"]
    assert listed(actor=str(lead.id), action="post.") == ["post.restore", "post.hide"]
    assert listed(actor="LENA.LEAD@nora.se", action="post") == ["post.restore", "post.hide"]
    assert listed(actor="@" + lead.handle, action="post.*") == ["post.restore", "post.hide"]
    assert listed(actor="system", since="2026-01-01") == ["thread.pin"]
    assert listed(actor="nobody@nowhere.se") == []
    assert listed(action="post.hide") == ["post.hide"]
    # 23:30 UTC on 3 March is 00:30 on 4 March in Stockholm: a date is a Swedish day.
    assert listed(since="2026-03-02", until="2026-03-03", action="") == ["post.restore"]
    assert listed(since="2026-03-04", until="2026-03-04") == ["postal.x", "thread.pin"]
    assert listed(since="2026-03-02T10:00:00+00:00", until="2026-03-03T12:00") == []
    assert listed(since="2026-03-01T10:01", until="2026-03-02T10:00") == ["post.restore"]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (AuditFilters(action="post.hide; drop"), "action"),
        (AuditFilters(action="x" * 65), "action"),
        (AuditFilters(since="igår"), "from"),
        (AuditFilters(until="2026-13-01"), "to"),
        (AuditFilters(until="9999-12-31"), "to"),
        (AuditFilters(since="2026-03-02", until="2026-03-01"), "to"),
    ],
)
def test_malformed_filters_are_invalid(
    session: Session, world: World, filters: AuditFilters, field: str
) -> None:
    coordinator = world.coordinator
    with pytest.raises(Invalid) as caught:
        audit_log.list_entries(session, _actor(session, coordinator), filters=filters)
    assert [error.field for error in caught.value.errors] == [field]


def test_pages_go_from_newest_to_oldest_by_id(session: Session, world: World) -> None:
    coordinator, ours = world.coordinator, world.ours
    reader = _actor(session, coordinator)
    made = [_entry(session, SYSTEM, "thread.pin", group=ours).id for _ in range(5)]
    first = audit_log.list_entries(
        session, reader, filters=AuditFilters(group="var-grupp"), limit=2
    )
    assert [row.entry.id for row in first] == made[:-3:-1]
    second = audit_log.list_entries(
        session, reader, filters=AuditFilters(group="var-grupp"), before_id=first[-1].entry.id
    )
    assert [row.entry.id for row in second] == list(reversed(made[:3]))


def test_the_page_model_offers_the_groups_the_reader_may_filter_by(
    session: Session, world: World
) -> None:
    lead, coordinator = world.lead, world.coordinator
    page = audit_log.audit_page(session, _actor(session, lead), filters=AuditFilters())
    assert [g.slug for g in page.groups] == ["var-grupp"]
    everyone = audit_log.audit_page(session, _actor(session, coordinator), filters=AuditFilters())
    assert {"var-grupp", "deras-grupp", "hemlig-grupp"} <= {g.slug for g in everyone.groups}
    broken = audit_log.audit_page(
        session, _actor(session, coordinator), filters=AuditFilters(since="förra veckan")
    )
    assert broken.rows == []
    assert [e.field for e in broken.errors] == ["from"]


def test_names_are_joined_in_one_statement_whatever_the_number_of_entries(
    session: Session, world: World, count_statements: Count
) -> None:
    coordinator, lead, ours = world.coordinator, world.lead, world.ours
    reader, by_lead = _actor(session, coordinator), _actor(session, lead)
    _entry(session, by_lead, "membership.set", group=ours, target_type="user", target_id=lead.id)

    def read() -> None:
        audit_log.list_entries(session, reader, filters=AuditFilters(action="membership."))

    one = count_statements(read)
    for n in range(30):
        _entry(
            session,
            SYSTEM if n % 2 else by_lead,
            "membership.set",
            group=ours,
            target_type="user",
            target_id=coordinator.id,
        )
    assert count_statements(read) == one == 1
    rows = audit_log.list_entries(session, reader, filters=AuditFilters(action="membership."))
    assert rows[-1].target_name == "Lena Lead"
    assert rows[0].target_name == "Cora Samordnare"


def test_an_export_reads_in_batches_up_to_its_limit(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    coordinator, ours = world.coordinator, world.ours
    made = [_entry(session, SYSTEM, "thread.pin", group=ours).id for _ in range(7)]
    monkeypatch.setattr(audit_log, "EXPORT_BATCH", 3)
    criteria = audit_log.criteria_for(
        session, _actor(session, coordinator), AuditFilters(group="var-grupp")
    )
    assert [row.entry.id for row in audit_log.export_rows(session, criteria)] == made[::-1]
    assert [row.entry.id for row in audit_log.export_rows(session, criteria, limit=4)] == (
        made[::-1][:4]
    )
    monkeypatch.setattr(audit_log, "EXPORT_LIMIT", 5)
    assert len(list(audit_log.export_rows(session, criteria))) == 5


def _mutations_of_audit_entries(source: str) -> list[int]:
    """Lines that call `update(AuditEntry)` or `delete(AuditEntry)` in any spelling."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("update", "delete") and any(
            isinstance(arg, ast.Name) and arg.id == "AuditEntry" for arg in node.args
        ):
            found.append(node.lineno)
    return found


def test_the_domain_offers_no_way_to_change_or_remove_an_entry() -> None:
    """Append-only by construction; no PostgreSQL trigger is required (see audit_log)."""
    for module in (audit, audit_log):
        verbs = [
            name
            for name, value in vars(module).items()
            if callable(value) and getattr(value, "__module__", "") == module.__name__
        ]
        assert "record" in verbs or "list_entries" in verbs
        assert [v for v in verbs if v.lstrip("_").startswith(CHANGING_VERBS)] == []
    offenders = [
        f"{path.name}:{line}"
        for path in sorted(Path(domain.__file__).parent.rglob("*.py"))
        for line in _mutations_of_audit_entries(path.read_text())
    ]
    assert offenders == []
    assert _mutations_of_audit_entries("sa.delete(AuditEntry).where(x)") == [1]


CHANGING_VERBS = ("update", "delete", "edit", "remove", "purge", "set_")


@pytest.mark.parametrize("ref", ["²", "٣", "12³"])
def test_an_actor_filter_of_non_ascii_digits_matches_nobody_instead_of_failing(
    session: Session, world: World, ref: str
) -> None:
    entries = audit_log.list_entries(
        session, _actor(session, world.coordinator), filters=AuditFilters(actor=ref)
    )
    assert entries == []
