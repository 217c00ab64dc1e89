from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from domain import search, threads
from domain.actor import load_actor
from models import User, Visibility
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
    assert opened.headers["location"] == f"/t/{thread.id}?after=50#post-{deep.id}"
    outsider = browser_as(make_user(session))
    assert outsider.get(f"/p/{deep.id}").status_code == 404  # a closed group's post
