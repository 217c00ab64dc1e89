"""/k/{slug}: a member municipality's page, and the links to it from every name of a
municipality (posts, the group directory, member lists, the coordinators' pages)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from domain import demo_data, flags, municipalities
from domain.actor import load_actor
from domain.seed import seed_demo
from models import (
    Adoption,
    Event,
    EventKind,
    FeeStatus,
    Group,
    Locale,
    MemberRole,
    Municipality,
    MunicipalityYear,
    Resource,
    ResourceKind,
    User,
    UserStatus,
    Visibility,
    utcnow,
)
from tests.factories import (
    make_group,
    make_membership,
    make_post,
    make_thread,
    make_user,
    municipality,
)

Browser = Callable[[User], TestClient]
Count = Callable[[Callable[[], object]], int]


@dataclass
class Hedemora:
    """Hedemora's officials and what they did, and the groups it happened in."""

    johan: User
    tomas: User
    open_group: Group
    closed_group: Group
    secret_group: Group


def hedemora(session: Session) -> Hedemora:
    home = municipality(session, "hedemora")
    johan = make_user(
        session,
        name="Johan Eriksson",
        title="Ungdomssamordnare",
        email="johan.eriksson@hedemora.se",
        municipality_id=home.id,
        is_representative=True,
    )
    tomas = make_user(
        session,
        name="Tomas Wallin",
        title="Kommunikatör",
        email="tomas.wallin@hedemora.se",
        municipality_id=home.id,
    )
    make_user(
        session,
        name="Stina Avstängd",
        email="stina@hedemora.se",
        municipality_id=home.id,
        status=UserStatus.SUSPENDED,
    )
    open_group = make_group(session, name="Ungdomsfrågor")
    closed_group = make_group(session, name="Styrgruppen", visibility=Visibility.CLOSED)
    secret_group = make_group(session, name="Hemliga rådet", visibility=Visibility.SECRET)
    make_membership(session, group=open_group, user=johan, role=MemberRole.LEAD)
    make_membership(session, group=closed_group, user=johan)
    make_membership(session, group=secret_group, user=johan)
    make_membership(session, group=open_group, user=tomas)
    return Hedemora(johan, tomas, open_group, closed_group, secret_group)


def share(
    session: Session, *, group: Group, author: User, title: str, kind: ResourceKind, slug: str
) -> Resource:
    resource = Resource(
        group_id=group.id,
        author_id=author.id,
        title=title,
        summary="En sammanfattning.",
        kind=kind,
        municipality_id=municipality(session, slug).id,
    )
    session.add(resource)
    session.flush()
    return resource


def adopt(
    session: Session, resource: Resource, slug: str, outcome: str, on: date | None = None
) -> Adoption:
    adoption = Adoption(
        resource_id=resource.id,
        municipality_id=municipality(session, slug).id,
        summary="Vi provade.",
        outcome=outcome,
        adopted_on=on,
    )
    session.add(adoption)
    session.flush()
    return adoption


def arrange(
    session: Session, *, by: User, title: str, group: Group | None = None, days: int = 10
) -> Event:
    start = utcnow() + timedelta(days=days)
    event = Event(
        kind=EventKind.SEMINAR,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Stadshuset",
        group_id=group.id if group else None,
        created_by_id=by.id,
    )
    session.add(event)
    session.flush()
    return event


def section(html: str, heading_id: str) -> str:
    """The <section> that the heading `heading_id` labels."""
    found = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    assert found, f"no section {heading_id!r} in:\n{html}"
    return found.group(1)


def test_the_page_lists_the_active_officials_with_title_groups_and_an_anchor_each(
    session: Session, browser_as: Browser
) -> None:
    world = hedemora(session)
    html = browser_as(make_user(session)).get("/k/hedemora").text
    officials = section(html, "officials-heading")
    assert f'id="official-{world.johan.handle}"' in officials
    assert f'id="official-{world.tomas.handle}"' in officials
    assert "Johan Eriksson</strong>, Ungdomssamordnare" in officials
    assert "Tomas Wallin</strong>, Kommunikatör" in officials
    assert f'href="/g/{world.open_group.slug}">Ungdomsfrågor</a> (gruppledare)' in officials
    # Who is a member of a closed group is for its readers (as its member list is); its
    # leads are public. A member of it sees the membership.
    assert "Styrgruppen" not in officials
    insider = make_user(session)
    make_membership(session, group=world.closed_group, user=insider)
    assert "Styrgruppen" in section(
        browser_as(insider).get("/k/hedemora").text, "officials-heading"
    )
    lead_of_closed = make_user(session, municipality_id=world.johan.municipality_id)
    make_membership(session, group=world.closed_group, user=lead_of_closed, role=MemberRole.LEAD)
    assert "Styrgruppen" in section(
        browser_as(make_user(session)).get("/k/hedemora").text, "officials-heading"
    )
    assert "Stina" not in html  # suspended officials are not listed
    assert "@hedemora.se" not in html  # never an email address
    assert "<h1>Hedemora</h1>" in html


def test_the_representative_is_named_and_links_to_their_place_on_the_page(
    session: Session, browser_as: Browser
) -> None:
    world = hedemora(session)
    html = browser_as(make_user(session)).get("/k/hedemora").text
    representative = section(html, "representative-heading")
    assert f'<a href="#official-{world.johan.handle}">Johan Eriksson</a>, Ungdomssamordnare' in (
        representative
    )
    nora = browser_as(make_user(session)).get("/k/nora").text
    assert "Kommunen har inte utsett någon representant i erfa." in nora


def test_a_secret_group_shows_only_to_its_members(session: Session, browser_as: Browser) -> None:
    world = hedemora(session)
    outsider = browser_as(make_user(session)).get("/k/hedemora").text
    assert "Hemliga rådet" not in outsider
    insider = make_user(session)
    make_membership(session, group=world.secret_group, user=insider)
    assert "Hemliga rådet" in browser_as(insider).get("/k/hedemora").text


def test_what_it_shared_and_tried_shows_only_from_groups_the_viewer_reads(
    session: Session, browser_as: Browser
) -> None:
    world = hedemora(session)
    kw = {"author": world.johan, "slug": "hedemora"}
    share(session, group=world.open_group, title="Ungdomsrådet", kind=ResourceKind.MODEL, **kw)
    share(session, group=world.closed_group, title="Styrdokumentet", kind=ResourceKind.TOOL, **kw)
    share(
        session, group=world.open_group, title="Studien om unga", kind=ResourceKind.RESEARCH, **kw
    )
    gone = share(session, group=world.open_group, title="Borttagen", kind=ResourceKind.TOOL, **kw)
    gone.deleted_at = utcnow()
    borlange = {"author": world.tomas, "slug": "borlange", "kind": ResourceKind.PROCESS}
    plan = share(session, group=world.open_group, title="Kommunikationsplan", **borlange)
    inner = share(session, group=world.closed_group, title="Intern rutin", **borlange)
    adopt(session, plan, "hedemora", "Infört i två förvaltningar", date(2019, 5, 1))
    adopt(session, inner, "hedemora", "Pågår")
    session.flush()

    outsider = browser_as(make_user(session)).get("/k/hedemora").text
    shared, tried = section(outsider, "shared-heading"), section(outsider, "tried-heading")
    assert "Ungdomsrådet" in shared
    assert "Studien om unga" in shared
    assert shared.index("Modeller, verktyg och processer") < shared.index("Ungdomsrådet")
    assert shared.index("Forskning") < shared.index("Studien om unga")
    assert "Styrdokumentet" not in outsider
    assert "Borttagen" not in outsider
    assert "Kommunikationsplan" in tried
    assert "Infört i två förvaltningar" in tried
    assert '<a href="/k/borlange">Borlänge</a>' in tried
    assert "2019-05-01" in tried
    assert "Intern rutin" not in outsider

    member = make_user(session)
    make_membership(session, group=world.closed_group, user=member)
    insider = browser_as(member).get("/k/hedemora").text
    assert "Styrdokumentet" in insider
    assert "Intern rutin" in insider


def test_events_its_officials_arrange_show_to_who_may_see_them(
    session: Session, browser_as: Browser
) -> None:
    world = hedemora(session)
    day = arrange(session, by=world.johan, title="Ungdomsdagen")
    arrange(session, by=world.johan, title="Styrgruppens möte", group=world.closed_group)
    arrange(session, by=world.tomas, title="Förra årets seminarium", days=-300)
    arrange(session, by=make_user(session), title="Avestas seminarium")  # another municipality

    outsider = section(browser_as(make_user(session)).get("/k/hedemora").text, "events-heading")
    assert f'<a href="/e/{day.id}">Ungdomsdagen</a>' in outsider
    assert "hela föreningen" in outsider
    assert "Förra årets seminarium" in outsider
    assert outsider.index("Ungdomsdagen") < outsider.index("Förra årets seminarium")
    assert "Styrgruppens möte" not in outsider
    assert "Avestas seminarium" not in outsider

    member = make_user(session)
    make_membership(session, group=world.closed_group, user=member)
    insider = section(browser_as(member).get("/k/hedemora").text, "events-heading")
    assert "Styrgruppens möte" in insider


def test_only_coordinators_see_the_membership_per_year(
    session: Session, browser_as: Browser
) -> None:
    home = municipality(session, "hedemora")
    session.add(MunicipalityYear(municipality_id=home.id, year=2025, status=FeeStatus.PAID))
    session.add(
        MunicipalityYear(
            municipality_id=home.id, year=2026, status=FeeStatus.INVOICED, note="Påminnelse sänd"
        )
    )
    session.flush()
    lead = make_user(session)
    make_membership(session, group=make_group(session), user=lead, role=MemberRole.LEAD)
    for viewer in (make_user(session), lead):
        html = browser_as(viewer).get("/k/hedemora").text
        assert "Medlemskap per år" not in html
        assert "Påminnelse sänd" not in html
        assert "/admin/municipalities/hedemora" not in html

    html = browser_as(make_user(session, is_coordinator=True)).get("/k/hedemora").text
    years = section(html, "membership-heading")
    assert "Medlemskap per år" in years
    assert years.index("2026") < years.index("2025")
    assert "Fakturerad, ej betald" in years
    assert "Betald" in years
    assert "Påminnelse sänd" in years
    assert "10\u00a0000" in years
    assert 'href="/admin/municipalities/hedemora"' in html


def test_the_read_model_keeps_membership_years_from_who_is_not_a_coordinator(
    session: Session,
) -> None:
    home = municipality(session, "hedemora")
    session.add(MunicipalityYear(municipality_id=home.id, year=2025, status=FeeStatus.PAID))
    session.flush()
    official = load_actor(session, make_user(session).id or 0)
    coordinator = load_actor(session, make_user(session, is_coordinator=True).id or 0)
    shown = municipalities.municipality_page(session, official, "hedemora")
    assert (shown.can_see_membership, shown.years) == (False, [])
    seen = municipalities.municipality_page(session, coordinator, "hedemora")
    assert seen.can_see_membership
    assert [y.year for y in seen.years] == [2025]


def test_an_unknown_municipality_is_404_and_anonymous_visitors_sign_in_first(
    session: Session, browser_as: Browser, client: TestClient
) -> None:
    response = browser_as(make_user(session)).get("/k/atlantis")
    assert response.status_code == 404
    anonymous = client.get("/k/hedemora", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=%2Fk%2Fhedemora"


def test_the_page_speaks_english_to_who_chose_it(session: Session, browser_as: Browser) -> None:
    hedemora(session)
    html = browser_as(make_user(session, locale=Locale.EN)).get("/k/hedemora").text
    assert '<html lang="en"' in html
    for heading in ("Representative", "Officials", "What the municipality shared"):
        assert f">{heading}</h2>" in html
    assert "Groups:" in html
    assert "(lead)" in html


def test_the_page_sends_as_many_statements_for_thirty_officials_as_for_one(
    session: Session, browser_as: Browser, count_statements: Count
) -> None:
    viewer = browser_as(make_user(session, is_coordinator=True))
    home = municipality(session, "hedemora")
    groups = [make_group(session) for _ in range(3)]

    def add_official(n: int) -> None:
        official = make_user(session, municipality_id=home.id, email=f"o{n}@hedemora.se")
        for group in groups:
            make_membership(session, group=group, user=official)
        resource = share(
            session,
            group=groups[n % 3],
            author=official,
            title=f"Modell {n}",
            kind=ResourceKind.MODEL,
            slug="hedemora",
        )
        adopt(session, resource, "nora" if n % 2 else "hedemora", "Infört")
        arrange(session, by=official, title=f"Möte {n}", group=groups[n % 3])

    add_official(0)
    few = count_statements(lambda: viewer.get("/k/hedemora"))
    for n in range(1, 30):
        add_official(n)
    session.flush()
    many = count_statements(lambda: viewer.get("/k/hedemora"))
    html = viewer.get("/k/hedemora").text
    assert html.count('id="official-') == 30
    assert "Modell 29" in html
    assert few == many, (few, many)


def test_a_posts_author_and_municipality_link_to_the_municipality_page(
    session: Session, browser_as: Browser
) -> None:
    world = hedemora(session)
    thread = make_thread(session, group=world.open_group, author=world.tomas)
    make_post(session, thread=thread, author=world.tomas, body="Hej från Hedemora")
    html = browser_as(make_user(session)).get(f"/t/{thread.id}").text
    handle = world.tomas.handle
    assert f'<a href="/k/hedemora#official-{handle}">Tomas Wallin</a></strong>' in html
    assert ', Kommunikatör, <a href="/k/hedemora">Hedemora</a></span>' in html


def test_the_group_directory_and_member_lists_link_each_municipality(
    session: Session, browser_as: Browser
) -> None:
    world = hedemora(session)
    viewer = browser_as(make_user(session, is_coordinator=True))
    lead = 'Johan Eriksson (Ungdomssamordnare, <a href="/k/hedemora">Hedemora</a>)'
    group_page = viewer.get(f"/g/{world.open_group.slug}").text
    assert lead in group_page  # its leads, public as in the directory before
    assert f'<a href="/k/hedemora#official-{world.tomas.handle}">Tomas Wallin</a>' in group_page
    members = viewer.get(f"/g/{world.open_group.slug}/members").text
    assert '<td><a href="/k/hedemora">Hedemora</a></td>' in members


def test_the_coordinators_pages_link_the_names_of_municipalities(
    session: Session, browser_as: Browser
) -> None:
    coordinator = browser_as(make_user(session, is_coordinator=True))
    listing = coordinator.get("/admin/municipalities").text
    assert '<a href="/k/avesta">Avesta</a>' in listing
    assert 'href="/admin/municipalities/avesta"' in listing
    admin_page = coordinator.get("/admin/municipalities/avesta").text
    assert 'href="/k/avesta"' in admin_page
    assert '<a href="/k/avesta">Avesta</a>' in coordinator.get("/admin/overview").text


@pytest.mark.parametrize("slug", ["AVESTA", " avesta"])
def test_the_slug_is_read_as_the_municipality_folds_it(
    session: Session, browser_as: Browser, slug: str
) -> None:
    response = browser_as(make_user(session)).get(f"/k/{slug}")
    assert response.status_code == 200
    assert "<h1>Avesta</h1>" in response.text


def test_events_are_ordered_upcoming_first_then_the_latest_past(session: Session) -> None:
    world = hedemora(session)
    for days in (30, 5, -2, -40):
        arrange(session, by=world.johan, title=f"Dag {days}", days=days)
    actor = load_actor(session, make_user(session).id or 0)
    page = municipalities.municipality_page(session, actor, "hedemora", now=utcnow())
    assert [e.title for e in page.events] == ["Dag 5", "Dag 30", "Dag -2", "Dag -40"]
    assert [e.upcoming for e in page.events] == [True, True, False, False]
    assert isinstance(page.events[0].starts_at, datetime)


def test_every_demo_municipality_has_a_populated_page(session: Session) -> None:
    seed_demo(session)
    coordinator = next(o["email"] for o in demo_data.OFFICIALS if o["coordinator"])
    user = session.exec(select(User).where(User.email == coordinator)).one()
    actor = load_actor(session, user.id or 0)
    for home in session.exec(select(Municipality).order_by(col(Municipality.slug))).all():
        page = municipalities.municipality_page(session, actor, home.slug)
        assert page.representative is not None, home.slug
        assert any(o.title and o.groups for o in page.officials), home.slug
        assert page.practices or page.research or page.tried, home.slug
        assert page.years, home.slug


def test_a_resource_page_and_the_flag_queue_link_the_municipalities_they_name(
    session: Session, browser_as: Browser
) -> None:
    world = hedemora(session)
    plan = share(
        session,
        group=world.open_group,
        author=world.tomas,
        title="Kommunikationsplan",
        kind=ResourceKind.PROCESS,
        slug="borlange",
    )
    adopt(session, plan, "hedemora", "Infört")
    thread = make_thread(session, group=world.open_group, author=world.tomas)
    post = make_post(session, thread=thread, author=world.tomas, body="Något att granska")
    session.flush()
    assert post.id is not None
    flags.flag_post(session, load_actor(session, world.johan.id or 0), post_id=post.id, reason="x")
    session.flush()
    viewer = browser_as(world.johan)

    page = viewer.get(f"/r/{plan.id}").text
    assert '· <a href="/k/borlange">Borlänge</a> ·' in page
    assert '<strong><a href="/k/hedemora">Hedemora</a></strong>' in page
    assert '· <a href="/k/borlange">Borlänge</a> ·' in viewer.get("/library").text
    queue = viewer.get(f"/g/{world.open_group.slug}/flags").text
    assert f'<a href="/k/hedemora#official-{world.tomas.handle}">Tomas Wallin</a>' in queue
    assert ', <a href="/k/hedemora">Hedemora</a> ·' in queue
