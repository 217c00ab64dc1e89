"""Search results by discussion: each found once, shown by what matched best, in plain text."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session

from domain import resources, search, threads
from domain.actor import Actor, load_actor
from models import Group, ResourceKind, Thread, User, Visibility
from tests.factories import make_group, make_membership, make_user


@dataclass(frozen=True)
class Member:
    user: User
    actor: Actor
    group: Group


@pytest.fixture
def member(session: Session) -> Member:
    group = make_group(session, slug="sok-r", name="Fritid och kultur")
    user = make_user(session, name="Saga Lind")
    make_membership(session, group=group, user=user)
    assert user.id is not None
    return Member(user, load_actor(session, user.id), group)


def discussion(session: Session, member: Member, title: str, *bodies: str) -> Thread:
    thread = threads.start_thread(
        session, member.actor, slug=member.group.slug, title=title, body=bodies[0]
    )
    assert thread.id is not None
    for body in bodies[1:]:
        threads.reply(session, member.actor, thread_id=thread.id, body=body)
    return thread


def found(session: Session, actor: Actor, q: str) -> list[search.ResultView]:
    return search.search_by_discussion(session, actor, q=q)


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("Kafé", "kafe"),
        ("café", "kafe"),
        ("CRÈME", "creme"),
        ("Müller", "myller"),
        ("Ærø", "ärö"),
        ("Camping", "kamping"),
        ("cykel", "cykel"),
        ("Jönköping", "jönköping"),
        ("målen", "målen"),
        ("a\u030angen", "ången"),  # å written as a and a combining ring
    ],
)
def test_folding_drops_accents_but_keeps_a_ring_a_umlaut_and_o_umlaut(
    word: str, folded: str
) -> None:
    assert search.fold(word) == folded


def test_markdown_becomes_the_text_a_reader_sees() -> None:
    source = (
        "# Rubrik\n\nVår **fri**tidsgård har [en sida](https://x.se) och `kod`.\n\n- ~~en~~ lista"
    )
    assert search.plain_text(source) == "Rubrik Vår fritidsgård har en sida och kod. en lista"


def test_two_matching_posts_of_one_discussion_give_one_result_shown_by_its_best_post(
    session: Session, member: Member
) -> None:
    thread = discussion(
        session,
        member,
        "Sommarlov",
        "Vi planerar för barnen.",
        "Fritidsbanken lånar ut skridskor.",
        "En fritidsbank till, och en fritidsbank i Nora.",
    )
    results = found(session, member.actor, "fritidsbanker")
    assert len(results) == 1
    result = results[0]
    assert (result.kind, result.title) == ("post", "Sommarlov")
    assert result.id != thread.id
    assert result.excerpt_html.count("<mark>") >= 1


def test_a_title_match_shows_the_discussion_with_its_opening_text_as_excerpt(
    session: Session, member: Member
) -> None:
    thread = discussion(session, member, "Skridskor i Nora", "Vi lånar ut dem **gratis**.", "Bra!")
    [result] = found(session, member.actor, "skridskorna")
    assert (result.kind, result.id) == ("thread", thread.id)
    assert result.excerpt_html == "Vi lånar ut dem gratis."
    assert (result.group_name, result.author_name, result.municipality) == (
        "Fritid och kultur",
        "Saga Lind",
        "Avesta",
    )
    assert result.created_at == thread.created_at


def test_excerpts_are_escaped_plain_text_with_the_match_marked(
    session: Session, member: Member
) -> None:
    discussion(session, member, "Bad", "Vår **kommun** har <b>ett</b> nytt badhus.")
    [result] = found(session, member.actor, "kommunerna")
    assert result.excerpt_html == "Vår <mark>kommun</mark> har &lt;b&gt;ett&lt;/b&gt; nytt badhus."


def test_a_resource_and_its_discussion_are_one_result_shown_as_the_resource(
    session: Session, member: Member
) -> None:
    resource = resources.share_resource(
        session,
        member.actor,
        slug=member.group.slug,
        title="Lots för nyinflyttade",
        summary="En *modell* som kommunen tog fram.",
        kind=ResourceKind.TOOL,
        municipality="avesta",
    )
    [result] = found(session, member.actor, "kommunernas")
    assert (result.kind, result.id, result.resource_kind) == ("resource", resource.id, "tool")
    assert result.excerpt_html.startswith("En modell som <mark>kommunen</mark> tog fram.")


@pytest.mark.parametrize("query", ["kafé", "café", "CAFE", "kafe"])
def test_kafe_and_cafe_find_each_other(session: Session, member: Member, query: str) -> None:
    discussion(session, member, "Fika", "Vi öppnar ett café i biblioteket.")
    discussion(session, member, "Mer fika", "Simhallens kafé har öppet.")
    assert len(found(session, member.actor, query)) == 2


def test_a_ring_and_umlauts_stay_letters_of_their_own(session: Session, member: Member) -> None:
    discussion(session, member, "Mal", "Malen åt upp mattan.")
    discussion(session, member, "Mål", "Målen för året är satta.")
    assert [r.title for r in found(session, member.actor, "målen")] == ["Mål"]
    assert [r.title for r in found(session, member.actor, "malen")] == ["Mal"]
    flat = search.search(session, member.actor, q="mål")
    assert {hit.title for hit in flat} == {"Mål"}


def test_a_closed_groups_discussion_is_found_by_members_only(
    session: Session, member: Member
) -> None:
    closed = make_group(session, slug="sok-stangd", visibility=Visibility.CLOSED)
    make_membership(session, group=closed, user=member.user)
    assert member.user.id is not None
    both = load_actor(session, member.user.id)
    threads.start_thread(
        session, both, slug="sok-stangd", title="Budget", body="Förslagen om budgeten."
    )
    discussion(session, member, "Öppet", "Förslag till alla.", "Fler förslag.")
    outsider_user = make_user(session)
    assert outsider_user.id is not None
    outsider = load_actor(session, outsider_user.id)
    assert [r.title for r in found(session, both, "förslag")] in (
        ["Budget", "Öppet"],
        ["Öppet", "Budget"],
    )
    assert [r.title for r in found(session, outsider, "förslag")] == ["Öppet"]


def test_results_are_paged_by_discussion(session: Session, member: Member) -> None:
    for n in range(3):
        discussion(session, member, f"Båtar {n}", "Om båtar.", "Fler båtar.", "Ännu fler båtar.")
    first = search.search_by_discussion(session, member.actor, q="båt", limit=2)
    rest = search.search_by_discussion(session, member.actor, q="båt", offset=2, limit=2)
    assert len(first) == 2
    assert len(rest) == 1
    assert {r.title for r in first + rest} == {"Båtar 0", "Båtar 1", "Båtar 2"}
