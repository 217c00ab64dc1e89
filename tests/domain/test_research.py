"""Research items, the practices that build on them, and what carries a yearly theme."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import demo_directory, rendering, research, resources, theme_content, themes
from domain.actor import Actor, load_actor
from domain.errors import Invalid
from domain.markup import RENDERER_VERSION
from domain.seed import seed_demo
from models import (
    Event,
    Group,
    MemberRole,
    Resource,
    ResourceKind,
    ResourceResearch,
    Theme,
    Thread,
    User,
    Visibility,
    utcnow,
)
from tests.factories import make_group, make_membership, make_user

Count = Callable[[Callable[[], object]], int]

STUDY: dict[str, Any] = {
    "institution": "Högskolan Dalarna",
    "authors": "Karin Holmgren, Yusuf Demir",
    "year": 2019,
    "doi": "10.5555/erfa-test.2019.01",
    "implications": "Börja med **praktikplatser** i den egna organisationen.",
}


@dataclass(frozen=True)
class World:
    """An open and a closed group; `member` belongs to both, `outsider` to none."""

    open_group: Group
    closed_group: Group
    member: Actor
    outsider: Actor
    member_user: User
    outsider_user: User


def actor_of(session: Session, user: User) -> Actor:
    assert user.id is not None
    return load_actor(session, user.id)


def make_world(session: Session) -> World:
    open_group = make_group(session)
    closed_group = make_group(session, visibility=Visibility.CLOSED)
    member, outsider = make_user(session), make_user(session)
    make_membership(session, group=open_group, user=member)
    make_membership(session, group=closed_group, user=member)
    return World(
        open_group,
        closed_group,
        actor_of(session, member),
        actor_of(session, outsider),
        member,
        outsider,
    )


def share(
    session: Session,
    actor: Actor,
    group: Group,
    title: str,
    kind: ResourceKind = ResourceKind.MODEL,
    **extra: Any,
) -> Resource:
    return resources.share_resource(
        session,
        actor,
        slug=group.slug,
        title=title,
        summary=f"Om {title}.",
        kind=kind,
        municipality="hedemora",
        **extra,
    )


def study(session: Session, actor: Actor, group: Group, title: str, **fields: Any) -> Resource:
    return share(
        session,
        actor,
        group,
        title,
        ResourceKind.RESEARCH,
        research_fields={**STUDY, **fields},
    )


def field_error(exc: pytest.ExceptionInfo[Invalid]) -> tuple[str, str]:
    return exc.value.errors[0].field, exc.value.errors[0].code


def test_a_research_item_keeps_its_fields_with_the_implications_rendered(
    session: Session,
) -> None:
    world = make_world(session)
    item = study(session, world.member, world.open_group, "Att stanna")
    assert item.institution == "Högskolan Dalarna"
    assert item.authors == "Karin Holmgren, Yusuf Demir"
    assert item.published_year == 2019
    assert item.doi == "10.5555/erfa-test.2019.01"
    assert "<strong>praktikplatser</strong>" in item.implications_html


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://doi.org/10.5555/abc.1", "10.5555/abc.1"),
        ("doi:10.1234/x(y)z", "10.1234/x(y)z"),
        ("  ", None),
        (None, None),
    ],
)
def test_a_doi_is_kept_without_its_address_or_prefix(given: str | None, stored: str | None) -> None:
    assert research.check_fields({"doi": given}) == {"doi": stored}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"year": 1899}, ("year", "year")),
        ({"year": utcnow().year + 2}, ("year", "year")),
        ({"doi": "11.1234/abc"}, ("doi", "doi")),
        ({"doi": "10.12/abc"}, ("doi", "doi")),
        ({"doi": "10.1234/with space"}, ("doi", "doi")),
        ({"institution": "x" * 201}, ("institution", "too-long")),
        ({"authors": "x" * 501}, ("authors", "too-long")),
        ({"implications": "x" * 20_001}, ("implications", "too-long")),
    ],
)
def test_research_fields_out_of_bounds_are_refused_by_field(
    fields: dict[str, Any], error: tuple[str, str]
) -> None:
    with pytest.raises(Invalid) as exc:
        research.check_fields(fields)
    assert field_error(exc) == error


def test_next_year_is_a_year_of_publication_still() -> None:
    year = utcnow().year + 1
    assert research.check_fields({"year": year}) == {"published_year": year}


def test_only_a_research_item_tells_an_institution(session: Session) -> None:
    world = make_world(session)
    with pytest.raises(Invalid) as exc:
        share(
            session,
            world.member,
            world.open_group,
            "Modell",
            research_fields={"institution": "Örebro universitet"},
        )
    assert field_error(exc) == ("institution", "not-research")
    model = share(session, world.member, world.open_group, "Modell", research_fields={})
    with pytest.raises(Invalid) as exc:
        resources.update_resource(
            session,
            world.member,
            resource_id=model.id or 0,
            expected_version=None,
            research_fields={"year": 2020},
        )
    assert field_error(exc) == ("year", "not-research")


def test_a_practice_names_research_and_both_pages_show_the_link(session: Session) -> None:
    world = make_world(session)
    item = study(session, world.member, world.open_group, "Studien")
    practice = share(
        session, world.member, world.open_group, "Modellen", builds_on=[item.id, item.id]
    )
    assert practice.id is not None
    assert item.id is not None
    seen = resources.get_resource(session, world.outsider, practice.id)
    assert [linked.resource.id for linked in seen.builds_on] == [item.id]
    assert seen.used_by == []
    used = resources.get_resource(session, world.outsider, item.id)
    assert [(linked.resource.id, linked.municipality) for linked in used.used_by] == [
        (practice.id, "Hedemora")
    ]


def test_a_practice_cannot_name_what_is_not_readable_research(session: Session) -> None:
    world = make_world(session)
    closed = study(session, world.member, world.closed_group, "Intern studie")
    model = share(session, world.member, world.open_group, "En modell")
    outsider_group = make_group(session)
    make_membership(session, group=outsider_group, user=world.outsider_user)
    outsider = actor_of(session, world.outsider_user)
    for named, code in [
        ([closed.id], "unknown"),
        ([999_999_999], "unknown"),
        ([2**62], "unknown"),
        ([model.id], "not-research"),
    ]:
        with pytest.raises(Invalid) as exc:
            share(session, outsider, outsider_group, "Försök", builds_on=named)
        assert field_error(exc) == ("builds_on", code)
    with pytest.raises(Invalid) as exc:
        share(session, outsider, outsider_group, "Försök", builds_on=list(range(1, 23)))
    assert field_error(exc) == ("builds_on", "too-many")


def test_research_cannot_build_on_itself_but_on_other_research(session: Session) -> None:
    world = make_world(session)
    first = study(session, world.member, world.open_group, "Första studien")
    second = study(session, world.member, world.open_group, "Andra studien")
    with pytest.raises(Invalid) as exc:
        resources.update_resource(
            session,
            world.member,
            resource_id=first.id or 0,
            expected_version=None,
            builds_on=[first.id or 0],
        )
    assert field_error(exc) == ("builds_on", "self")
    resources.update_resource(
        session,
        world.member,
        resource_id=first.id or 0,
        expected_version=None,
        builds_on=[second.id or 0],
    )
    view = resources.get_resource(session, world.member, second.id or 0)
    assert [linked.resource.id for linked in view.used_by] == [first.id]


def test_closed_research_stays_hidden_from_outsiders_and_survives_their_edits(
    session: Session,
) -> None:
    world = make_world(session)
    closed = study(session, world.member, world.closed_group, "Intern studie")
    public = study(session, world.member, world.open_group, "Öppen studie")
    practice = share(
        session,
        world.member,
        world.open_group,
        "Modellen",
        builds_on=[closed.id, public.id],
    )
    assert practice.id is not None
    seen = resources.get_resource(session, world.outsider, practice.id)
    assert [linked.resource.title for linked in seen.builds_on] == ["Öppen studie"]
    insider = resources.get_resource(session, world.member, practice.id)
    assert [linked.resource.title for linked in insider.builds_on] == [
        "Intern studie",
        "Öppen studie",
    ]
    with pytest.raises(Exception, match="resource"):
        resources.get_resource(session, world.outsider, closed.id or 0)

    # A lead of the open group who is no member of the closed one edits the list.
    lead = make_user(session)
    make_membership(session, group=world.open_group, user=lead, role=MemberRole.LEAD)
    resources.update_resource(
        session,
        actor_of(session, lead),
        resource_id=practice.id,
        expected_version=None,
        builds_on=[],
    )
    kept = session.exec(
        select(ResourceResearch.research_id).where(ResourceResearch.practice_id == practice.id)
    ).all()
    assert list(kept) == [closed.id]


def test_deleted_research_is_no_longer_linked_anywhere(session: Session) -> None:
    world = make_world(session)
    item = study(session, world.member, world.open_group, "Studien")
    practice = share(session, world.member, world.open_group, "Modellen", builds_on=[item.id])
    resources.delete_resource(session, world.member, resource_id=item.id or 0)
    view = resources.get_resource(session, world.member, practice.id or 0)
    assert view.builds_on == []
    with pytest.raises(Invalid):
        share(session, world.member, world.open_group, "Till", builds_on=[item.id])


def test_the_links_of_a_list_cost_two_statements_however_many_resources(
    session: Session, count_statements: Count
) -> None:
    world = make_world(session)
    item = study(session, world.member, world.open_group, "Studien")
    practices = [
        share(session, world.member, world.open_group, f"Modell {n}", builds_on=[item.id])
        for n in range(30)
    ]
    listed = [item, *practices]
    session.expire_all()
    fresh = list(session.exec(select(Resource).where(col(Resource.id).in_([r.id for r in listed]))))
    links: list[research.Links] = []
    assert (
        count_statements(lambda: links.append(research.links_of(session, world.member, fresh))) == 2
    )
    assert len(links[0].used_by[item.id or 0]) == 30
    assert all(len(links[0].builds_on[p.id or 0]) == 1 for p in practices)
    assert count_statements(lambda: research.links_of(session, world.member, [])) == 0


def test_a_research_page_takes_as_many_statements_for_thirty_practices_as_for_one(
    session: Session, count_statements: Count
) -> None:
    world = make_world(session)
    item = study(session, world.member, world.open_group, "Studien")
    share(session, world.member, world.open_group, "Modell 0", builds_on=[item.id])
    one = count_statements(lambda: resources.get_resource(session, world.member, item.id or 0))
    for n in range(1, 30):
        share(session, world.member, world.open_group, f"Modell {n}", builds_on=[item.id])
    thirty = count_statements(lambda: resources.get_resource(session, world.member, item.id or 0))
    assert one == thirty


def test_the_picker_groups_readable_research_by_institution(session: Session) -> None:
    world = make_world(session)
    study(session, world.member, world.open_group, "B-studien", institution="Örebro universitet")
    study(session, world.member, world.open_group, "A-studien", institution="Örebro universitet")
    study(session, world.member, world.open_group, "Utan lärosäte", institution="")
    study(session, world.member, world.closed_group, "Intern", institution="Karlstads universitet")
    share(session, world.member, world.open_group, "En modell")

    def titles(actor: Actor) -> list[tuple[str, list[str]]]:
        return [
            (name, [r.title for r in items])
            for name, items in research.research_choices(session, actor)
            if name != "Högskolan Dalarna"
        ]

    assert titles(world.outsider) == [
        ("Örebro universitet", ["A-studien", "B-studien"]),
        ("", ["Utan lärosäte"]),
    ]
    assert ("Karlstads universitet", ["Intern"]) in titles(world.member)
    assert "Karlstads universitet" not in research.institutions(session, world.outsider)
    assert "Karlstads universitet" in research.institutions(session, world.member)


def test_the_library_is_filtered_by_institution(session: Session) -> None:
    world = make_world(session)
    study(session, world.member, world.open_group, "Dalarna", institution="Högskolan Dalarna")
    study(session, world.member, world.open_group, "Örebro", institution="Örebro universitet")
    rows = resources.list_resources(
        session, world.outsider, kind=ResourceKind.RESEARCH, institution="Örebro universitet"
    )
    assert [r.title for r, _, _ in rows] == ["Örebro"]


def test_the_implications_are_rendered_again_by_a_newer_renderer(session: Session) -> None:
    world = make_world(session)
    item = study(session, world.member, world.open_group, "Studien")
    session.execute(
        sa.update(Resource)
        .where(col(Resource.id) == item.id)
        .values(implications_html="<p>old</p>", renderer_version=RENDERER_VERSION - 1)
    )
    version = item.version
    assert rendering.rerender_stale(session) >= 1
    session.refresh(item)
    assert "<strong>praktikplatser</strong>" in item.implications_html
    assert item.version == version + 1
    assert item.renderer_version == RENDERER_VERSION


def test_a_resource_and_a_discussion_carry_a_theme_by_its_slug(session: Session) -> None:
    world = make_world(session)
    model = share(session, world.member, world.open_group, "Modell", theme="attraktivitet")
    attraktivitet = session.exec(select(Theme).where(Theme.slug == "attraktivitet")).one()
    assert model.theme_id == attraktivitet.id
    view = resources.get_resource(session, world.member, model.id or 0)
    assert view.theme is not None
    assert view.theme.slug == "attraktivitet"
    resources.update_resource(
        session, world.member, resource_id=model.id or 0, expected_version=None, theme=""
    )
    assert model.theme_id is None
    with pytest.raises(Invalid) as exc:
        share(session, world.member, world.open_group, "Modell 2", theme="finns-inte")
    assert field_error(exc) == ("theme", "unknown-theme")


@dataclass(frozen=True)
class Carriers:
    world: World
    theme: Theme


def carriers(session: Session) -> Carriers:
    """The theme Attraktivitet carried by a discussion, a practice and a research item in
    the open group and in the closed one, and by events of both and of the association."""
    world = make_world(session)
    theme = session.exec(select(Theme).where(Theme.slug == "attraktivitet")).one()
    for group, where in ((world.open_group, "öppen"), (world.closed_group, "stängd")):
        assert group.id is not None
        assert world.member_user.id is not None
        session.add(
            Thread(
                group_id=group.id,
                author_id=world.member_user.id,
                title=f"Samtal {where}",
                theme_id=theme.id,
            )
        )
        share(session, world.member, group, f"Modell {where}", theme="attraktivitet")
        study(session, world.member, group, f"Studie {where}").theme_id = theme.id
        event(session, f"Träff {where}", group_id=group.id, theme_id=theme.id)
    event(session, "Konferensen", group_id=None, theme_id=theme.id)
    cancelled = event(session, "Inställd", group_id=None, theme_id=theme.id)
    cancelled.cancelled_at = utcnow()
    session.flush()
    return Carriers(world, theme)


def event(session: Session, title: str, **values: Any) -> Event:
    starts = utcnow() + timedelta(days=10)
    row = Event(title=title, starts_at=starts, ends_at=starts + timedelta(hours=2), **values)
    session.add(row)
    session.flush()
    return row


def test_what_carries_a_theme_is_what_the_reader_may_read(session: Session) -> None:
    world, theme = (c := carriers(session)).world, c.theme
    assert theme.id is not None
    outside = theme_content.carried(session, world.outsider, [theme.id])[theme.id]
    assert [t.title for t, _ in outside.discussions] == ["Samtal öppen"]
    assert [r.title for r, _ in outside.practices] == ["Modell öppen"]
    assert [r.title for r, _ in outside.research] == ["Studie öppen"]
    assert [e.title for e in outside.events] == ["Träff öppen", "Konferensen"] or [
        e.title for e in outside.events
    ] == ["Konferensen", "Träff öppen"]
    assert outside.totals == {"discussions": 1, "practices": 1, "research": 1, "events": 2}
    inside = theme_content.carried(session, world.member, [theme.id])[theme.id]
    assert inside.totals == {"discussions": 2, "practices": 2, "research": 2, "events": 3}
    assert "Inställd" not in [e.title for e in inside.events]


def test_the_themes_page_costs_the_same_statements_for_many_carriers_as_for_few(
    session: Session, count_statements: Count
) -> None:
    world, theme = (c := carriers(session)).world, c.theme
    session.flush()
    few = count_statements(lambda: themes.themes_page(session, world.member))
    for n in range(30):
        share(session, world.member, world.open_group, f"Fler {n}", theme="attraktivitet")
    session.flush()
    many_page: list[themes.ThemesPage] = []
    many = count_statements(lambda: many_page.append(themes.themes_page(session, world.member)))
    assert few == many
    shown = many_page[0].content[theme.id or 0]
    assert len(shown.practices) == theme_content.SHOWN_PER_KIND
    assert shown.totals["practices"] == 32


def test_the_start_page_shows_the_current_theme_and_the_newest_it_carries(
    session: Session, count_statements: Count
) -> None:
    world = make_world(session)
    demo_directory.seed_themes(session)
    today = date(2026, 6, 1)
    assert theme_content.theme_news(session, world.outsider, today=today) is not None
    for n in range(4):
        share(session, world.member, world.open_group, f"Nytt {n}", theme="kompetensforsorjning")
    share(session, world.member, world.closed_group, "Internt", theme="kompetensforsorjning")
    share(session, world.member, world.open_group, "Utan tema")
    session.flush()
    news: list[theme_content.ThemeNews | None] = []
    assert (
        count_statements(
            lambda: news.append(theme_content.theme_news(session, world.outsider, today=today))
        )
        == 1
    )
    shown = news[0]
    assert shown is not None
    assert shown.theme.slug == "kompetensforsorjning"
    assert [item.title for item in shown.items] == ["Nytt 3", "Nytt 2", "Nytt 1"]
    insider = theme_content.theme_news(session, world.member, today=today)
    assert insider is not None
    assert insider.items[0].title == "Internt"
    # In 2010 no theme holds the day: the latest one is shown, with nothing new in it.
    before = theme_content.theme_news(session, world.outsider, today=date(2010, 1, 1))
    assert before is not None
    assert before.theme.slug == "kompetensforsorjning"


def test_without_themes_the_start_page_has_none(session: Session) -> None:
    session.execute(sa.update(Group).values(theme_id=None))
    session.execute(sa.delete(Theme))
    world = make_world(session)
    assert theme_content.theme_news(session, world.member, today=date(2026, 1, 1)) is None


def test_the_demo_tells_the_story_from_research_to_practice(session: Session) -> None:
    assert seed_demo(session)
    items = session.exec(
        select(Resource).where(Resource.kind == ResourceKind.RESEARCH).order_by(col(Resource.id))
    ).all()
    assert len(items) == 3
    for item in items:
        assert item.title.endswith("(demo)")
        assert item.institution
        assert item.authors
        assert item.published_year is not None
        assert item.doi is not None
        assert item.doi.startswith("10.5555/")
        assert item.implications_html
        assert session.exec(
            select(ResourceResearch).where(ResourceResearch.research_id == item.id)
        ).first(), item.title
    assert len({item.institution for item in items}) == 3
    by_slug = {t.slug: t.id for t in session.exec(select(Theme)).all()}
    for slug in ("integration", "social-hallbarhet", "attraktivitet", "kompetensforsorjning"):
        carried = (
            session.exec(
                select(sa.func.count()).select_from(Thread).where(Thread.theme_id == by_slug[slug])
            ).one()
            + session.exec(
                select(sa.func.count())
                .select_from(Resource)
                .where(Resource.theme_id == by_slug[slug])
            ).one()
        )
        assert carried >= 2, slug
    coordinator = session.exec(select(User).where(col(User.is_coordinator).is_(True))).first()
    assert coordinator is not None
    page = themes.themes_page(session, actor_of(session, coordinator), today=date(2026, 3, 1))
    assert page.themes[0].theme.slug == "kompetensforsorjning"
    assert page.themes[0].is_current


@pytest.mark.parametrize("typed", ["nineteen", "²⁰¹⁹", "٢٠١٩", "20190", "-2019", "20 19"])
def test_a_typed_year_that_is_not_four_ascii_digits_is_refused(typed: str) -> None:
    with pytest.raises(Invalid) as exc:
        research.parse_year(typed)
    assert field_error(exc) == ("year", "year")


def test_a_typed_year_is_read_and_then_checked_for_its_range() -> None:
    assert research.parse_year(" 2019 ") == 2019
    assert research.parse_year("") is None
    assert research.parse_year("19") == 19
    with pytest.raises(Invalid):
        research.check_fields({"year": 19})
