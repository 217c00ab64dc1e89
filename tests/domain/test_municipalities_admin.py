"""The coordinators administer municipalities: name, domains, representative, years."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlmodel import Session, col, select

from domain import demo_directory, membership_years, municipalities
from domain.actor import Actor, load_actor
from domain.errors import Conflict, Forbidden, Invalid
from models import (
    AuditEntry,
    FeeStatus,
    MemberRole,
    Municipality,
    MunicipalityDomain,
    MunicipalityYear,
    Scope,
    User,
    UserStatus,
)
from tests.factories import make_group, make_membership, make_user
from tests.factories import municipality as municipality_of

TODAY = date(2026, 12, 4)


@pytest.fixture
def coordinator(session: Session) -> Actor:
    user = make_user(session, is_coordinator=True)
    assert user.id is not None
    return load_actor(session, user.id)


def entries(session: Session, action: str) -> list[AuditEntry]:
    session.flush()
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def domains_of(session: Session, slug: str) -> list[str]:
    found = municipality_of(session, slug)
    rows = session.exec(
        select(MunicipalityDomain.domain).where(MunicipalityDomain.municipality_id == found.id)
    ).all()
    return sorted(rows)


def refused_actors(session: Session) -> dict[str, Actor]:
    group = make_group(session)
    lead, member = make_user(session), make_user(session)
    coordinator = make_user(session, is_coordinator=True)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    actors = {}
    for name, user, scopes in [
        ("lead", lead, frozenset(Scope)),
        ("member", member, frozenset(Scope)),
        ("coordinator with a read-only token", coordinator, frozenset({Scope.READ})),
    ]:
        assert user.id is not None
        actors[name] = load_actor(session, user.id, scopes=scopes)
    return actors


def test_a_coordinator_adds_a_municipality_with_a_folded_slug_and_one_audit_entry(
    session: Session, coordinator: Actor
) -> None:
    view = municipalities.create_municipality(
        session,
        coordinator,
        name="Smedjebacken",
        county="Dalarnas län",
        domains=["Smedjebacken.se", "@smedjebacken.se", "skola.smedjebacken.se"],
    )
    assert view.municipality.slug == "smedjebacken"
    assert view.domains == ["skola.smedjebacken.se", "smedjebacken.se"]
    [entry] = entries(session, "municipality.create")
    assert entry.target_id == view.municipality.id
    assert entry.before is None
    assert entry.after == {
        "slug": "smedjebacken",
        "name": "Smedjebacken",
        "county": "Dalarnas län",
        "domains": ["skola.smedjebacken.se", "smedjebacken.se"],
    }
    created = municipalities.create_municipality(session, coordinator, name="Malung-Sälen")
    assert created.municipality.slug == "malung-salen"


def test_a_new_municipality_whose_slug_is_taken_is_a_conflict(
    session: Session, coordinator: Actor
) -> None:
    with pytest.raises(Conflict, match="Avesta"):
        municipalities.create_municipality(session, coordinator, name="Avesta")


@pytest.mark.parametrize(
    "bad", ["avesta", "not a domain.se", "-x.avesta.se", "a..se", "x.123", "ö.se", "@", ""]
)
def test_a_bad_domain_is_invalid_and_nothing_changes(
    session: Session, coordinator: Actor, bad: str
) -> None:
    with pytest.raises(Invalid) as refused:
        municipalities.update_municipality(
            session, coordinator, slug="avesta", name="Avesta kommun", domains=["avesta.se", bad]
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [("domains", "bad-domain")]
    assert municipality_of(session, "avesta").name == "Avesta"
    assert domains_of(session, "avesta") == ["avesta.se"]
    assert entries(session, "municipality.update") == []


def test_a_domain_another_municipality_holds_is_a_conflict_naming_it(
    session: Session, coordinator: Actor
) -> None:
    with pytest.raises(municipalities.DomainTaken) as refused:
        municipalities.update_municipality(
            session, coordinator, slug="avesta", domains=["avesta.se", "borlange.se"]
        )
    assert refused.value.owner == "Borlänge"
    assert "Borlänge" in refused.value.detail
    with pytest.raises(Conflict):
        municipalities.create_municipality(session, coordinator, name="Ny", domains=["nora.se"])
    assert domains_of(session, "avesta") == ["avesta.se"]


def test_changing_domains_records_the_lists_before_and_after(
    session: Session, coordinator: Actor
) -> None:
    view = municipalities.update_municipality(
        session, coordinator, slug="avesta", domains=["Avesta.se", "skola.avesta.se"]
    )
    assert view.domains == ["avesta.se", "skola.avesta.se"]
    municipalities.update_municipality(session, coordinator, slug="avesta", domains=["ny.se"])
    assert domains_of(session, "avesta") == ["ny.se"]
    first, second = entries(session, "municipality.update")
    assert first.before == {"domains": ["avesta.se"]}
    assert first.after == {"domains": ["avesta.se", "skola.avesta.se"]}
    assert second.before == {"domains": ["avesta.se", "skola.avesta.se"]}
    assert second.after == {"domains": ["ny.se"]}


def test_one_act_changing_name_and_domains_leaves_one_entry(
    session: Session, coordinator: Actor
) -> None:
    municipalities.update_municipality(
        session, coordinator, slug="nora", name="Nora kommun", domains=["nora.se", "nora.nu"]
    )
    [entry] = entries(session, "municipality.update")
    assert entry.before == {"name": "Nora", "domains": ["nora.se"]}
    assert entry.after == {"name": "Nora kommun", "domains": ["nora.nu", "nora.se"]}
    municipalities.update_municipality(session, coordinator, slug="nora", name="Nora kommun")
    assert len(entries(session, "municipality.update")) == 1  # no change, no entry


def test_a_new_representative_takes_over_from_the_old_one(
    session: Session, coordinator: Actor
) -> None:
    first, second = make_user(session), make_user(session)
    municipalities.update_municipality(
        session, coordinator, slug="avesta", representative_id=first.id
    )
    view = municipalities.update_municipality(
        session, coordinator, slug="avesta", representative_id=second.id
    )
    assert view.representative is not None
    assert view.representative.id == second.id
    session.refresh(first)
    session.refresh(second)
    assert (first.is_representative, second.is_representative) == (False, True)
    appointed, replaced = entries(session, "municipality.update")
    assert appointed.before == {"representative_id": None}
    assert appointed.after == {"representative_id": first.id}
    assert replaced.before == {"representative_id": first.id}
    assert replaced.after == {"representative_id": second.id}

    view = municipalities.update_municipality(
        session, coordinator, slug="avesta", representative_id=None
    )
    assert view.representative is None
    view = municipalities.update_municipality(session, coordinator, slug="avesta", name="Avesta")
    assert len(entries(session, "municipality.update")) == 3


def test_the_representative_is_an_active_official_of_that_municipality(
    session: Session, coordinator: Actor
) -> None:
    elsewhere = make_user(session, municipality_id=municipality_of(session, "nora").id)
    suspended = make_user(session, status=UserStatus.SUSPENDED)
    for candidate in (elsewhere.id, suspended.id, 987_654_321):
        with pytest.raises(Invalid) as refused:
            municipalities.update_municipality(
                session, coordinator, slug="avesta", representative_id=candidate
            )
        assert refused.value.errors[0].field == "representative_id"
    assert session.exec(select(User).where(col(User.is_representative).is_(True))).all() == []
    assert entries(session, "municipality.update") == []


def test_leads_members_and_read_only_tokens_may_not_administer_municipalities(
    session: Session,
) -> None:
    official = make_user(session)
    acts: list[Callable[[Actor], object]] = [
        lambda a: municipalities.create_municipality(session, a, name="Ny kommun"),
        lambda a: municipalities.update_municipality(session, a, slug="avesta", name="X"),
        lambda a: municipalities.update_municipality(
            session, a, slug="avesta", representative_id=official.id
        ),
        lambda a: membership_years.set_membership_year(
            session, a, slug="avesta", year=2026, status="paid"
        ),
    ]
    for name, actor in refused_actors(session).items():
        for act in acts:
            with pytest.raises(Forbidden):
                act(actor)
        if name != "coordinator with a read-only token":
            with pytest.raises(Forbidden):
                municipalities.list_for_admin(session, actor)
    assert municipality_of(session, "avesta").name == "Avesta"
    assert session.exec(select(AuditEntry)).all() == []


def test_a_year_is_invoiced_then_paid_with_one_entry_each(
    session: Session, coordinator: Actor
) -> None:
    row = membership_years.set_membership_year(
        session, coordinator, slug="hedemora", year=2025, status="invoiced", today=TODAY
    )
    assert (row.status, row.fee_sek, row.note) == (FeeStatus.INVOICED, 10_000, "")
    row = membership_years.set_membership_year(
        session,
        coordinator,
        slug="hedemora",
        year=2025,
        status="paid",
        note="Betald 12/3",
        today=TODAY,
    )
    assert (row.status, row.fee_sek) == (FeeStatus.PAID, 10_000)
    invoiced, paid = entries(session, "municipality.year")
    assert invoiced.before is None
    assert invoiced.after == {
        "status": "invoiced",
        "fee_sek": 10_000,
        "note": "",
        "is_member": True,
    }
    assert invoiced.detail == {"year": 2025}
    assert paid.before == {"status": "invoiced", "note": ""}
    assert paid.after == {"status": "paid", "note": "Betald 12/3"}
    assert len(session.exec(select(MunicipalityYear)).all()) == 1


def test_the_current_years_status_decides_whether_the_municipality_is_a_member(
    session: Session, coordinator: Actor
) -> None:
    membership_years.set_membership_year(
        session, coordinator, slug="norberg", year=2026, status="not_member", today=TODAY
    )
    assert municipality_of(session, "norberg").is_member is False
    [entry] = entries(session, "municipality.year")
    assert entry.after is not None
    assert entry.after["is_member"] is False

    membership_years.set_membership_year(
        session, coordinator, slug="norberg", year=2025, status="paid", today=TODAY
    )
    assert municipality_of(session, "norberg").is_member is False  # not this year
    membership_years.set_membership_year(
        session, coordinator, slug="norberg", year=2026, status="invoiced", today=TODAY
    )
    assert municipality_of(session, "norberg").is_member is True


@pytest.mark.parametrize(
    ("year", "status", "fee", "field"),
    [
        (1999, "paid", None, "year"),
        (2201, "paid", None, "year"),
        (2026, "betald", None, "status"),
        (2026, "paid", -1, "fee_sek"),
        (2026, "paid", 10**12, "fee_sek"),
    ],
)
def test_a_year_out_of_range_an_unknown_status_or_a_bad_fee_is_invalid(
    session: Session, coordinator: Actor, year: int, status: str, fee: int | None, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        membership_years.set_membership_year(
            session, coordinator, slug="avesta", year=year, status=status, fee_sek=fee
        )
    assert refused.value.errors[0].field == field
    assert session.exec(select(MunicipalityYear)).all() == []
    assert entries(session, "municipality.year") == []


def test_typed_years_and_fees_are_read_leniently_but_not_blindly() -> None:
    assert membership_years.parse_year(" 2026 ") == 2026
    assert membership_years.parse_fee("10 000 kr") == 10_000
    assert membership_years.parse_fee("") is None
    for bad in ("tjugo", "2026.5", "²"):
        with pytest.raises(Invalid):
            membership_years.parse_year(bad)
    with pytest.raises(Invalid):
        membership_years.parse_fee("tio tusen")


def test_the_admin_list_shows_domains_representative_and_this_years_status(
    session: Session, coordinator: Actor, count_statements: Callable[[Callable[[], object]], int]
) -> None:
    official = make_user(session, name="Rut Representant")
    municipalities.update_municipality(
        session, coordinator, slug="avesta", representative_id=official.id
    )
    membership_years.set_membership_year(
        session, coordinator, slug="avesta", year=2026, status="invoiced", today=TODAY
    )
    views = {
        v.municipality.slug: v
        for v in municipalities.list_for_admin(session, coordinator, today=TODAY)
    }
    assert views["avesta"].domains == ["avesta.se"]
    assert views["avesta"].representative is not None
    assert views["avesta"].representative.name == "Rut Representant"
    assert views["avesta"].this_year is not None
    assert views["avesta"].this_year.status is FeeStatus.INVOICED
    assert views["nora"].this_year is None

    few = count_statements(lambda: municipalities.list_for_admin(session, coordinator))
    for n in range(20):
        municipalities.create_municipality(
            session, coordinator, name=f"Kommun {n}", domains=[f"kommun{n}.se"]
        )
    session.flush()
    many = count_statements(lambda: municipalities.list_for_admin(session, coordinator))
    assert few == many


def test_the_demo_gives_every_municipality_a_representative_and_two_years(
    session: Session,
) -> None:
    for municipality in session.exec(select(Municipality)).all():
        make_user(session, municipality_id=municipality.id)
    demo_directory.seed_municipality_years(session)
    demo_directory.seed_municipality_years(session)  # a second run adds nothing

    rows = session.exec(select(MunicipalityYear)).all()
    municipality_count = len(session.exec(select(Municipality)).all())
    assert len(rows) == 2 * municipality_count
    latest = {row.municipality_id: row.status for row in rows if row.year == 2026}
    assert sorted(latest.values()).count(FeeStatus.INVOICED) == 1
    assert sorted(latest.values()).count(FeeStatus.NOT_MEMBER) == 1
    assert {row.status for row in rows if row.year == 2025} == {FeeStatus.PAID}
    representatives = session.exec(select(User).where(col(User.is_representative).is_(True))).all()
    assert len(representatives) == municipality_count
