"""The coordinators' "Radera personuppgifter": a confirmation page asked exactly like the
erasure, the official's email typed to confirm, CSRF, a readable result; afterwards the
official's sessions and tokens are dead."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.auth import issue_access_token
from domain import auth, erasure
from domain.actor import load_actor
from erfa.settings import Settings
from models import AuditEntry, Locale, Post, Scope, User, UserStatus
from tests.domain.test_erasure import EMAIL, NAME, World, build_world
from tests.factories import make_user
from web import csrf

Browser = Callable[[User], TestClient]
EN = {"Accept-Language": "en"}


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    built = build_world(session, settings)
    built.coordinator.locale = Locale.EN
    session.flush()
    return built


def erased(session: Session, user: User) -> bool:
    session.refresh(user)
    return user.status is UserStatus.ERASED


def test_the_row_offers_the_erasure_and_the_page_explains_it(
    browser_as: Browser, world: World
) -> None:
    coordinator = browser_as(world.coordinator)
    listed = coordinator.get("/admin/users", headers=EN)
    assert f"/admin/users/{world.person.id}/erase" in listed.text
    assert f"/admin/users/{world.coordinator.id}/erase" not in listed.text
    assert "Your own personal data is erased by another coordinator." in listed.text
    page = coordinator.get(f"/admin/users/{world.person.id}/erase", headers=EN)
    assert page.status_code == 200, page.text
    assert NAME in page.text
    assert EMAIL in page.text
    assert "Erase their posts and resources too" in page.text


def test_others_are_refused_the_page_and_the_act(
    browser_as: Browser, session: Session, world: World
) -> None:
    path = f"/admin/users/{world.person.id}/erase"
    for client in (browser_as(world.other), browser_as(make_user(session))):
        assert client.get(path).status_code == 403
        assert client.post(path, data={"confirmation": EMAIL}).status_code == 403
    coordinator = browser_as(world.coordinator)
    own = f"/admin/users/{world.coordinator.id}/erase"
    assert coordinator.get(own).status_code == 403
    assert coordinator.post(own, data={"confirmation": world.coordinator.email}).status_code == 403
    assert not erased(session, world.person)
    assert not erased(session, world.coordinator)


def test_without_the_csrf_token_nothing_is_erased(
    browser_as: Browser, session: Session, world: World
) -> None:
    coordinator = browser_as(world.coordinator)
    del coordinator.headers[csrf.HEADER]
    answer = coordinator.post(f"/admin/users/{world.person.id}/erase", data={"confirmation": EMAIL})
    assert answer.status_code == 403
    assert not erased(session, world.person)


def test_a_wrong_confirmation_shows_the_form_again_and_changes_nothing(
    browser_as: Browser, session: Session, world: World
) -> None:
    coordinator = browser_as(world.coordinator)
    answer = coordinator.post(
        f"/admin/users/{world.person.id}/erase",
        data={"confirmation": "bo.kvar@nora.se", "with_content": "true"},
        headers=EN,
    )
    assert answer.status_code == 422
    assert "That is not the official's email address. Nothing has been erased." in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert " checked" in answer.text
    assert not erased(session, world.person)
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "user.erase")).all() == []


def test_erasing_signs_the_official_out_everywhere_and_keeps_their_posts(
    browser_as: Browser, app: object, settings: Settings, session: Session, world: World
) -> None:
    assert world.person.id is not None
    theirs = browser_as(world.person)
    assert theirs.get("/settings").status_code == 200
    token = auth.create_api_token(
        session, load_actor(session, world.person.id), name="Test", scopes=[Scope.READ]
    )
    session.flush()
    api = TestClient(app)  # type: ignore[arg-type]
    jwt = issue_access_token(settings, world.person.id)
    for bearer in (token.secret, jwt):
        me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {bearer}"})
        assert me.status_code == 200
    coordinator = browser_as(world.coordinator)
    answer = coordinator.post(
        f"/admin/users/{world.person.id}/erase", data={"confirmation": EMAIL.upper()}
    )
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("/admin/users?notice=erased")
    notice = coordinator.get(answer.headers["location"], headers=EN)
    assert "The official's personal data has been erased." in notice.text
    assert erased(session, world.person)
    assert all(path.exists() for path in world.files)
    # Signed out in the browser, refused by the API.
    assert theirs.get("/settings").status_code == 303
    for bearer in (token.secret, jwt):
        me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {bearer}"})
        assert me.status_code == 401
    # Their post shows under the new name, with the municipality.
    page = coordinator.get(f"/t/{world.opened.id}")
    assert "Tidigare tjänsteperson" in page.text
    assert NAME not in page.text
    api.close()


def test_erasing_with_content_removes_the_files_after_the_commit(
    browser_as: Browser, session: Session, world: World
) -> None:
    coordinator = browser_as(world.coordinator)
    answer = coordinator.post(
        f"/admin/users/{world.person.id}/erase",
        data={"confirmation": EMAIL, "with_content": "true"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("notice=erased-content")
    assert not any(path.exists() for path in world.files)
    posts = session.exec(select(Post).where(Post.author_id == world.person.id)).all()
    assert posts
    assert all(post.deleted_at is not None for post in posts)
    # Twice is refused readably: there is nothing left to erase.
    again = coordinator.post(f"/admin/users/{world.person.id}/erase", data={"confirmation": ""})
    assert again.status_code == 303
    assert again.headers["location"].endswith("error=erase-refused")
    assert erasure.ERASED_NAME in coordinator.get("/admin/users?status=erased").text


def test_a_placeholder_handle_held_by_another_is_refused_readably(
    browser_as: Browser, session: Session, world: World
) -> None:
    """An official who took `erased-<id>` before such handles were reserved: the erasure
    of official <id> is refused (never a server error) until they have another."""
    holder = world.other
    holder.handle = f"erased-{world.person.id}"
    session.flush()
    coordinator = browser_as(world.coordinator)
    path = f"/admin/users/{world.person.id}/erase"
    assert coordinator.get(path).status_code == 409
    answer = coordinator.post(path, data={"confirmation": EMAIL})
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("error=erase-refused")
    assert not erased(session, world.person)
    holder.handle = "bo.kvar"
    session.flush()
    answer = coordinator.post(path, data={"confirmation": EMAIL})
    assert answer.headers["location"].endswith("/admin/users?notice=erased")
    assert erased(session, world.person)
