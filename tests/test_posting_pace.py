"""ERFA_MIN_POST_INTERVAL_S: one post per official per interval, through both doors."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from erfa.settings import Settings
from models import Thread, User
from tests.factories import make_group, make_post, make_thread, make_user

Client = Callable[[User], TestClient]


@pytest.fixture
def paced(app: FastAPI, settings: Settings) -> Callable[[float], None]:
    def set_interval(seconds: float) -> None:
        app.state.settings = settings.model_copy(update={"min_post_interval_s": seconds})

    set_interval(3)
    return set_interval


@pytest.fixture
def thread(session: Session) -> Thread:
    group = make_group(session, slug="takt")
    starter = make_user(session)
    thread = make_thread(session, group=group, author=starter)
    make_post(session, thread=thread, author=starter)
    return thread


def test_the_api_refuses_a_second_post_within_the_interval_with_429(
    api_as: Client, session: Session, thread: Thread, paced: Callable[[float], None]
) -> None:
    client = api_as(make_user(session))
    url = f"/api/v1/threads/{thread.id}/posts"
    assert client.post(url, json={"body": "Första"}).status_code == 201
    second = client.post(url, json={"body": "Andra"})
    assert second.status_code == 429
    assert second.headers["content-type"] == "application/problem+json"
    assert 1 <= int(second.headers["Retry-After"]) <= 3
    # Another official is not held up, and starting a discussion counts as posting too.
    assert api_as(make_user(session)).post(url, json={"body": "Tredje"}).status_code == 201
    started = client.post("/api/v1/groups/takt/threads", json={"title": "Ny", "body": "Text"})
    assert started.status_code == 429


def test_a_refused_post_does_not_count(
    api_as: Client, session: Session, thread: Thread, paced: Callable[[float], None]
) -> None:
    client = api_as(make_user(session))
    url = f"/api/v1/threads/{thread.id}/posts"
    assert client.post(url, json={"body": "   "}).status_code == 422
    assert client.post(url, json={"body": "Nu med text"}).status_code == 201


def test_the_interval_passes_and_zero_turns_the_pace_off(
    api_as: Client, session: Session, thread: Thread, paced: Callable[[float], None]
) -> None:
    paced(2)  # two seconds, so that a slow machine still sends the second post within them
    client = api_as(make_user(session))
    url = f"/api/v1/threads/{thread.id}/posts"
    assert client.post(url, json={"body": "Ett"}).status_code == 201
    assert client.post(url, json={"body": "Två"}).status_code == 429
    time.sleep(2.05)
    assert client.post(url, json={"body": "Tre"}).status_code == 201
    paced(0)
    assert [client.post(url, json={"body": f"{n}"}).status_code for n in range(3)] == [201] * 3


def test_the_reply_form_explains_the_wait_in_place_and_keeps_the_text(
    browser_as: Client, session: Session, thread: Thread, paced: Callable[[float], None]
) -> None:
    client = browser_as(make_user(session))
    assert client.post(f"/t/{thread.id}/reply", data={"body": "Först"}).status_code == 303
    again = client.post(
        f"/t/{thread.id}/reply", data={"body": "Mitt långa svar"}, headers={"HX-Request": "true"}
    )
    assert again.status_code == 429
    assert "<html" not in again.text
    assert "Du skriver snabbare än erfa tillåter" in again.text
    assert "Mitt långa svar" in again.text
    shared = client.post(
        "/g/takt/resources",
        data={"title": "Verktyg", "summary": "Kort", "kind": "tool", "municipality": "nora"},
    )
    assert shared.status_code == 429
    assert "Du skriver snabbare än erfa tillåter" in shared.text
    assert 'value="Verktyg"' in shared.text


def test_an_edit_obeys_the_pace_through_both_doors(
    api_as: Client,
    browser_as: Client,
    session: Session,
    thread: Thread,
    paced: Callable[[float], None],
) -> None:
    author = make_user(session)
    post = make_post(session, thread=thread, author=author, body="Först")
    api = api_as(author)
    assert api.patch(f"/api/v1/posts/{post.id}", json={"body": "Ändrat"}).status_code == 200
    again = api.patch(f"/api/v1/posts/{post.id}", json={"body": "Ändrat igen"})
    assert again.status_code == 429
    assert "Retry-After" in again.headers
    page = browser_as(author).post(
        f"/p/{post.id}/edit", data={"body": "Ändrat i webben", "version": "2"}
    )
    assert page.status_code == 429
    assert "Du skriver snabbare än erfa tillåter" in page.text
    assert "Ändrat i webben" in page.text


def test_many_refused_posts_by_several_officials_never_break_the_limiter(
    api_as: Client, session: Session, thread: Thread, paced: Callable[[float], None]
) -> None:
    """A refused post is taken back from the pace; 1 100 of them, alternating between two
    officials, once made the in-process limiter index an emptied counter (a 500)."""
    clients = [api_as(make_user(session)), api_as(make_user(session))]
    url = f"/api/v1/threads/{thread.id}/posts"
    statuses = {clients[n % 2].post(url, json={"body": " "}).status_code for n in range(1100)}
    assert statuses == {422}


def test_reporting_a_reuse_obeys_the_pace(
    api_as: Client, session: Session, thread: Thread, paced: Callable[[float], None]
) -> None:
    author = make_user(session)
    group_member = api_as(author)
    shared = group_member.post(
        "/api/v1/groups/takt/resources",
        json={"title": "Verktyg", "summary": "Kort", "kind": "tool", "municipality": "nora"},
    )
    assert shared.status_code == 201
    reporter = api_as(make_user(session))
    url = f"/api/v1/resources/{shared.json()['id']}/adoptions"
    assert reporter.post(url, json={"summary": "Vi provade."}).status_code == 201
    assert reporter.post(url, json={"summary": "Igen."}).status_code == 429
