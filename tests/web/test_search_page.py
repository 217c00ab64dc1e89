from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain import resources, search, threads
from domain.actor import load_actor
from domain.thread_page import page_start
from erfa import i18n
from models import ResourceKind, Thread, User, Visibility
from tests.factories import make_group, make_membership, make_post, make_thread, make_user


def test_the_search_page_finds_an_inflected_form_and_marks_it(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    group = make_group(session, slug="sok-w")
    user = make_user(session)
    make_membership(session, group=group, user=user)
    assert user.id is not None
    threads.start_thread(
        session,
        load_actor(session, user.id),
        slug="sok-w",
        title="Sommarlov",
        body="Alla kommuner erbjuder sommarjobb.",
    )
    session.flush()
    client = browser_as(user)
    page = client.get("/search", params={"q": "kommunernas"})
    assert page.status_code == 200
    assert "<mark>kommuner</mark>" in page.text
    assert "1 träff" in page.text
    fragment = client.get("/search", params={"q": "kommun"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert "Sommarlov" in fragment.text
    assert "Sök efter minst ett ord." in client.get("/search", params={"q": "?!"}).text


def test_the_search_page_narrows_to_one_group(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    user = make_user(session)
    assert user.id is not None
    for slug, title in (("sok-a", "Fritidsgårdar i A"), ("sok-b", "Fritidsgårdar i B")):
        make_membership(session, group=make_group(session, slug=slug), user=user)
        threads.start_thread(
            session, load_actor(session, user.id), slug=slug, title=title, body="Om fritidsgårdar."
        )
    client = browser_as(user)
    both = client.get("/search", params={"q": "fritidsgård"}).text
    assert "Fritidsgårdar i A" in both
    assert "Fritidsgårdar i B" in both
    only_b = client.get("/search", params={"q": "fritidsgård", "group": "sok-b"}).text
    assert "Fritidsgårdar i B" in only_b
    assert "Fritidsgårdar i A" not in only_b
    assert '<option value="sok-b" selected>' in only_b


def test_a_post_found_deep_in_a_discussion_opens_on_its_page(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    group = make_group(session, slug="sok-djup", visibility=Visibility.CLOSED)
    user = make_user(session)
    make_membership(session, group=group, user=user)
    thread = make_thread(session, group=group, author=user)
    for n in range(59):
        make_post(session, thread=thread, author=user, body=f"Inlägg {n}")
    deep = make_post(session, thread=thread, author=user, body="Om fritidsbanker i länet")
    search.index(
        session,
        kind="post",
        ref_id=deep.id or 0,
        group_id=group.id or 0,
        thread_id=thread.id,
        title=thread.title,
        body=deep.body,
    )
    client = browser_as(user)
    page = client.get("/search", params={"q": "fritidsbank"}).text
    assert f'href="/p/{deep.id}"' in page
    opened = client.get(f"/p/{deep.id}", follow_redirects=False)
    assert opened.status_code == 303
    after = page_start(deep.position)
    assert opened.headers["location"] == f"/t/{thread.id}?after={after}#post-{deep.id}"
    outsider = browser_as(make_user(session))
    assert outsider.get(f"/p/{deep.id}").status_code == 404  # a closed group's post


def start(session: Session, user: User, slug: str, title: str, *bodies: str) -> Thread:
    assert user.id is not None
    thread = threads.start_thread(
        session, load_actor(session, user.id), slug=slug, title=title, body=bodies[0]
    )
    assert thread.id is not None
    for body in bodies[1:]:
        threads.reply(session, load_actor(session, user.id), thread_id=thread.id, body=body)
    return thread


def results_of(page: str) -> list[str]:
    found = re.search(r'<ol class="results">(.*?)</ol>', page, re.S)
    assert found is not None, page
    return re.findall(r"<li>(.*?)</li>", found.group(1), re.S)


def test_a_discussion_is_one_result_labelled_with_type_group_author_municipality_and_date(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    group = make_group(session, slug="sok-etikett", name="Fritid i Bergslagen")
    user = make_user(session, name="Saga Lind")
    make_membership(session, group=group, user=user)
    thread = start(
        session,
        user,
        "sok-etikett",
        "Sommarlov",
        "Vi planerar för barnen.",
        "Fritidsbanken lånar ut skridskor.",
        "En **fritidsbank** till i Nora.",
    )
    assert user.id is not None
    resources.share_resource(
        session,
        load_actor(session, user.id),
        slug="sok-etikett",
        title="Skridskolån",
        summary="Så startar en kommun en fritidsbank.",
        kind=ResourceKind.MODEL,
        municipality="avesta",
    )
    page = browser_as(user).get("/search", params={"q": "fritidsbanker"}).text
    post, resource = sorted(results_of(page), key=lambda item: "Skridskolån" in item)
    assert "2 träffar" in page
    sv = i18n.translations("sv")
    assert f'<span class="badge">{sv.gettext("Post")}</span>' in post
    assert re.search(r'href="/p/\d+">Sommarlov</a>', post)
    assert f'href="/t/{thread.id}"' not in post
    assert 'href="/g/sok-etikett">Fritid i Bergslagen</a>' in post
    assert "Saga Lind</a>, <a" in post
    assert 'href="/k/avesta">Avesta</a>' in post
    assert re.search(
        r'<time datetime="\d{4}-\d\d-\d\dT[^"]+">\d+ \w+\.? \d{4} \d\d:\d\d</time>', post
    )
    assert '<span class="badge">Modell</span>' in resource
    assert "Skridskolån</a>" in resource


def test_excerpts_are_plain_text_with_the_match_marked(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    group = make_group(session, slug="sok-text")
    user = make_user(session)
    make_membership(session, group=group, user=user)
    start(session, user, "sok-text", "Bad", "Vår **kommun** har [ett nytt](https://x.se) badhus.")
    page = browser_as(user).get("/search", params={"q": "kommunerna"}).text
    [result] = results_of(page)
    assert '<p class="snippet">Vår <mark>kommun</mark> har ett nytt badhus.</p>' in result
    assert "**" not in page


def test_kafe_finds_cafe(browser_as: Callable[[User], TestClient], session: Session) -> None:
    group = make_group(session, slug="sok-kafe")
    user = make_user(session)
    make_membership(session, group=group, user=user)
    start(session, user, "sok-kafe", "Fika", "Vi öppnar ett café i biblioteket.")
    page = browser_as(user).get("/search", params={"q": "kafé"}).text
    assert "<mark>café</mark>" in page
    assert "1 träff" in page


def test_grouped_results_hide_a_closed_groups_posts_from_a_non_member(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    closed = make_group(session, slug="sok-lyckt", visibility=Visibility.CLOSED)
    open_ = make_group(session, slug="sok-oppen")
    lead = make_user(session)
    make_membership(session, group=closed, user=lead)
    make_membership(session, group=open_, user=lead)
    start(session, lead, "sok-lyckt", "Budget", "Förslagen om budgeten.", "Två förslag till.")
    start(session, lead, "sok-oppen", "Öppet", "Förslag till alla.", "Fler förslag.")
    assert len(results_of(browser_as(lead).get("/search", params={"q": "förslag"}).text)) == 2
    page = browser_as(make_user(session)).get("/search", params={"q": "förslag"}).text
    [result] = results_of(page)
    assert "Öppet" in result
    assert "1 träff" in page
    assert "Budget" not in page
    assert "budgeten" not in page


def test_the_search_page_statement_count_does_not_grow_with_its_results(
    browser_as: Callable[[User], TestClient],
    session: Session,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    group = make_group(session, slug="sok-n1")
    user = make_user(session)
    make_membership(session, group=group, user=user)
    assert user.id is not None
    actor = load_actor(session, user.id)

    def add(n: int) -> None:
        """A discussion found by its title, one by a reply, and a resource."""
        start(session, user, "sok-n1", f"Skolbussar {n}", "Om vintern.")
        start(session, user, "sok-n1", f"Linje {n}", "Bussen går.", "Skolbussen går också.")
        resources.share_resource(
            session,
            actor,
            slug="sok-n1",
            title=f"Schema {n}",
            summary="Ett schema för skolbussen.",
            kind=ResourceKind.TOOL,
            municipality="avesta",
        )

    client = browser_as(user)

    def count() -> tuple[int, int]:
        pages: list[str] = []
        statements = count_statements(
            lambda: pages.append(client.get("/search", params={"q": "skolbuss"}).text)
        )
        return len(results_of(pages[0])), statements

    add(0)
    shown_one, with_one = count()
    for n in range(1, 10):
        add(n)
    shown_thirty, with_thirty = count()
    assert (shown_one, shown_thirty) == (3, 30)
    assert with_one == with_thirty, (with_one, with_thirty)


@pytest.mark.parametrize(
    "q",
    ["\" * AND OR NOT NEAR( a:b ^ ' \\ %_ ()", "a\x00b", "😀 kommun", "²", "é" * 500, "_ __"],
)
def test_search_syntax_and_odd_characters_are_only_words(
    browser_as: Callable[[User], TestClient], session: Session, q: str
) -> None:
    page = browser_as(make_user(session)).get("/search", params={"q": q})
    assert page.status_code == 200
