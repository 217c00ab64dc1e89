"""The yearly themes: the current one by its period, and the coordinators' edits."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, col, select

from domain import demo_directory, directory, themes
from domain.actor import Actor, load_actor
from domain.errors import Conflict, Forbidden, Invalid
from models import AuditEntry, MemberRole, Scope, Theme
from tests.factories import make_group, make_membership, make_user

DAY = date(2026, 12, 4)


@pytest.fixture
def coordinator(session: Session) -> Actor:
    user = make_user(session, is_coordinator=True)
    assert user.id is not None
    return load_actor(session, user.id)


def entries(session: Session, action: str) -> list[AuditEntry]:
    session.flush()
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def lead_and_member(session: Session) -> list[Actor]:
    group = make_group(session)
    lead, member = make_user(session), make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    assert lead.id is not None
    assert member.id is not None
    return [load_actor(session, lead.id), load_actor(session, member.id)]


def test_the_2018_2019_theme_is_not_current_on_2026_12_04(
    session: Session, coordinator: Actor
) -> None:
    listed = themes.list_themes(session, coordinator, today=DAY)
    assert [v.theme.slug for v in listed] == ["attraktivitet", "social-hallbarhet", "integration"]
    assert [v.is_current for v in listed] == [False, False, False]

    demo_directory.seed_themes(session)

    listed = themes.list_themes(session, coordinator, today=DAY)
    assert listed[0].theme.slug == "kompetensforsorjning"
    assert listed[0].is_current
    assert [v.theme.slug for v in listed if v.is_current] == ["kompetensforsorjning"]
    current = directory.current_theme(session, DAY)
    assert current is not None
    assert current.slug == "kompetensforsorjning"


def test_the_current_theme_comes_first_even_before_a_later_one(
    session: Session, coordinator: Actor
) -> None:
    themes.create_theme(
        session, coordinator, name="Nästa", starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31)
    )
    themes.create_theme(
        session, coordinator, name="Nu", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
    )
    listed = themes.list_themes(session, coordinator, today=DAY)
    assert [v.theme.slug for v in listed[:3]] == ["nu", "nasta", "attraktivitet"]
    assert [v.is_current for v in listed[:2]] == [True, False]


def test_a_coordinator_adds_a_theme_with_one_audit_entry(
    session: Session, coordinator: Actor
) -> None:
    theme = themes.create_theme(
        session,
        coordinator,
        name="Kompetensförsörjning",
        description="Om att hitta och behålla medarbetare.",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )
    assert theme.slug == "kompetensforsorjning"
    [entry] = entries(session, "theme.create")
    assert entry.target_id == theme.id
    assert entry.actor_id == coordinator.user_id
    assert entry.before is None
    assert entry.after == {
        "slug": "kompetensforsorjning",
        "name": "Kompetensförsörjning",
        "description": "Om att hitta och behålla medarbetare.",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
    }


def test_leads_members_and_read_only_tokens_may_not_add_change_or_remove_themes(
    session: Session,
) -> None:
    coordinator_user = make_user(session, is_coordinator=True)
    assert coordinator_user.id is not None
    read_only = load_actor(session, coordinator_user.id, scopes=frozenset({Scope.READ}))
    for actor in [*lead_and_member(session), read_only]:
        with pytest.raises(Forbidden):
            themes.create_theme(
                session, actor, name="X", starts_on=date(2026, 1, 1), ends_on=date(2026, 2, 1)
            )
        with pytest.raises(Forbidden):
            themes.update_theme(session, actor, slug="attraktivitet", name="Y")
        with pytest.raises(Forbidden):
            themes.delete_theme(session, actor, slug="integration")
    assert entries(session, "theme.create") == entries(session, "theme.update") == []
    assert session.exec(select(Theme).where(Theme.name == "Y")).first() is None


def test_a_period_that_ends_before_it_starts_is_refused(
    session: Session, coordinator: Actor
) -> None:
    with pytest.raises(Invalid) as refused:
        themes.create_theme(
            session,
            coordinator,
            name="Baklänges",
            starts_on=date(2026, 6, 1),
            ends_on=date(2026, 5, 31),
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [("ends_on", "before-start")]
    assert session.exec(select(Theme).where(Theme.slug == "baklanges")).first() is None


def test_an_overlapping_period_is_refused_naming_the_other_theme(
    session: Session, coordinator: Actor
) -> None:
    with pytest.raises(themes.PeriodOverlap) as refused:
        themes.create_theme(
            session,
            coordinator,
            name="Krock",
            starts_on=date(2019, 6, 1),
            ends_on=date(2020, 5, 31),
        )
    assert refused.value.other.slug == "attraktivitet"
    assert "Attraktivitet" in refused.value.detail
    assert refused.value.errors[0].code == "overlap"
    assert entries(session, "theme.create") == []


def test_moving_a_theme_onto_another_is_refused_but_its_own_period_is_no_overlap(
    session: Session, coordinator: Actor
) -> None:
    themes.update_theme(session, coordinator, slug="attraktivitet", ends_on=date(2020, 6, 30))
    with pytest.raises(themes.PeriodOverlap):
        themes.update_theme(
            session, coordinator, slug="social-hallbarhet", ends_on=date(2018, 3, 1)
        )


def test_an_update_records_only_what_changed(session: Session, coordinator: Actor) -> None:
    themes.update_theme(
        session, coordinator, slug="attraktivitet", name="Attraktivitet", ends_on=date(2020, 12, 31)
    )
    [entry] = entries(session, "theme.update")
    assert entry.before == {"ends_on": "2019-12-31"}
    assert entry.after == {"ends_on": "2020-12-31"}

    themes.update_theme(session, coordinator, slug="attraktivitet", name="Attraktivitet")
    assert len(entries(session, "theme.update")) == 1  # nothing changed, nothing recorded


def test_a_theme_groups_carry_is_not_removed(session: Session, coordinator: Actor) -> None:
    theme = session.exec(select(Theme).where(Theme.slug == "integration")).one()
    make_group(session, theme_id=theme.id)
    with pytest.raises(themes.ThemeInUse) as refused:
        themes.delete_theme(session, coordinator, slug="integration")
    assert isinstance(refused.value, Conflict)
    assert refused.value.groups == 1
    assert entries(session, "theme.delete") == []


def test_a_coordinator_removes_an_unused_theme_with_one_audit_entry(
    session: Session, coordinator: Actor
) -> None:
    themes.delete_theme(session, coordinator, slug="integration")
    assert session.exec(select(Theme).where(col(Theme.slug) == "integration")).first() is None
    [entry] = entries(session, "theme.delete")
    assert entry.before is not None
    assert entry.before["name"] == "Integration"
    assert entry.after is None


def test_a_taken_slug_is_a_conflict(session: Session, coordinator: Actor) -> None:
    with pytest.raises(Conflict):
        themes.create_theme(
            session,
            coordinator,
            name="Integration",
            starts_on=date(2030, 1, 1),
            ends_on=date(2030, 12, 31),
        )


@pytest.mark.parametrize(
    ("name", "starts", "field"),
    [
        ("", date(2030, 1, 1), "name"),
        ("x" * 121, date(2030, 1, 1), "name"),
        ("Forntid", date(1999, 1, 1), "starts_on"),
    ],
)
def test_names_and_periods_out_of_bounds_are_invalid(
    session: Session, coordinator: Actor, name: str, starts: date, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        themes.create_theme(
            session, coordinator, name=name, starts_on=starts, ends_on=date(2030, 12, 31)
        )
    assert refused.value.errors[0].field == field


def test_a_typed_date_that_is_not_one_is_invalid() -> None:
    assert themes.parse_day("starts_on", " 2026-01-01 ") == date(2026, 1, 1)
    with pytest.raises(Invalid) as refused:
        themes.parse_day("ends_on", "31/12/2026")
    assert refused.value.errors[0].field == "ends_on"


def test_seeding_the_demo_theme_twice_adds_it_once(session: Session) -> None:
    demo_directory.seed_themes(session)
    demo_directory.seed_themes(session)
    assert len(session.exec(select(Theme).where(Theme.slug == "kompetensforsorjning")).all()) == 1
