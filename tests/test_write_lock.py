"""Expensive work never runs inside a write transaction, and a busy database is a 503.

On SQLite one writer at a time holds the database's write lock. Rendering a large post
takes up to a second and a password hash a quarter of one: both run before the request's
write transaction begins. These tests use an app on a real database file (not the suite's
shared test connection) and look, at the moment of rendering or hashing, whether another
connection could start writing.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import issue_access_token
from domain import markup, passwords, threads
from domain.secrets import new_secret
from erfa import db
from erfa.app import create_app
from erfa.settings import Settings
from models import Invitation, PasswordReset, UserStatus, utcnow
from tests.factories import make_group, make_membership, make_post, make_thread, make_user


@dataclass
class Probe:
    """Whether another connection could take the write lock while the watched work ran."""

    path: str
    free: list[bool] = field(default_factory=list)

    def __call__(self) -> None:
        other = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            self.free.append(True)
        except sqlite3.OperationalError:
            self.free.append(False)
        finally:
            other.close()


@dataclass
class Site:
    app: Any
    probe: Probe
    api: TestClient
    thread_id: int
    post_id: int


@pytest.fixture
def site(tmp_path: Path, backend: str) -> Iterator[Site]:
    if backend != "sqlite":
        pytest.skip("the write lock is SQLite's; PostgreSQL's writers do not wait on it")
    path = tmp_path / "lock.db"
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{path}",
        min_post_interval_s=0,
        _env_file=None,  # type: ignore[call-arg]
    )
    app = create_app(settings)
    db.upgrade(app.state.engine)
    with db.session_scope(db.make_session_factory(app.state.engine)) as session:
        group = make_group(session, slug="las")
        author = make_user(session)
        make_membership(session, group=group, user=author)
        thread = make_thread(session, group=group, author=author)
        post = make_post(session, thread=thread, author=author)
        user_id, thread_id, post_id = author.id, thread.id, post.id
    assert user_id is not None
    assert thread_id is not None
    assert post_id is not None
    token = issue_access_token(settings, user_id)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as api:
        yield Site(app, Probe(str(path)), api, thread_id, post_id)
    app.state.engine.dispose()


def _watch(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, probe: Probe) -> None:
    original: Callable[..., Any] = getattr(module, name)

    def watched(*args: Any, **kwargs: Any) -> Any:
        probe()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, watched)


def test_posts_are_rendered_before_the_write_lock_is_taken(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    _watch(monkeypatch, threads, "render_within_limit", site.probe)
    table = "| a | b |\n|---|---|\n" + "| 1 | 2 |\n" * 50
    assert (
        site.api.post(f"/api/v1/threads/{site.thread_id}/posts", json={"body": table}).status_code
        == 201
    )
    assert site.api.patch(f"/api/v1/posts/{site.post_id}", json={"body": table}).status_code == 200
    started = site.api.post("/api/v1/groups/las/threads", json={"title": "Ny", "body": table})
    assert started.status_code == 201
    assert site.probe.free == [True, True, True]


def test_a_new_password_is_hashed_before_the_write_lock_is_taken(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session_scope(db.make_session_factory(site.app.state.engine)) as session:
        invited = make_user(session, password_hash=None, status=UserStatus.INVITED)
        active = make_user(session)
        invitation_secret, invitation_hash = new_secret()
        reset_secret, reset_hash = new_secret()
        assert invited.id is not None
        assert active.id is not None
        session.add(
            Invitation(
                user_id=invited.id,
                token_hash=invitation_hash,
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        session.add(
            PasswordReset(
                user_id=active.id, token_hash=reset_hash, expires_at=utcnow() + timedelta(hours=1)
            )
        )
    _watch(monkeypatch, passwords, "hash_password", site.probe)
    browser = TestClient(site.app, follow_redirects=False)
    for path, form in (
        (f"/invitations/{invitation_secret}", {"name": "Ny", "locale": "sv"}),
        (f"/password-reset/{reset_secret}", {}),
    ):
        page = browser.get(path)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None, page.text[:300]
        data = {**form, "password": "Ett långt nytt lösenord", "csrf_token": token.group(1)}
        assert browser.post(path, data=data).status_code == 303, path
    assert site.probe.free == [True, True]


def test_a_busy_database_answers_503_with_retry_after_not_500(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 100)
    site.app.state.engine.dispose()  # new connections pick up the short busy timeout
    holder = sqlite3.connect(site.probe.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        answer = site.api.post(f"/api/v1/threads/{site.thread_id}/posts", json={"body": "Hej"})
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert int(answer.headers["Retry-After"]) >= 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (
        site.api.post(f"/api/v1/threads/{site.thread_id}/posts", json={"body": "Hej"}).status_code
        == 201
    )


def test_an_oversized_rendering_is_refused_with_a_reason(site: Site) -> None:
    wide = "|" + "a|" * 2000 + "\n|" + "-|" * 2000 + "\n" + "|x\n" * 20_000
    answer = site.api.post(
        f"/api/v1/threads/{site.thread_id}/posts", json={"body": wide[: threads.MAX_BODY]}
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["errors"][0]["field"] == "body"
    assert problem["errors"][0]["code"] == "too-large"
    assert "kB of HTML" in problem["detail"]
    assert len(markup.render_markdown("| a |\n|---|\n| 1 |")) < markup.MAX_HTML


def test_the_probe_sees_a_held_lock(site: Site) -> None:
    holder = sqlite3.connect(site.probe.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    site.probe()
    holder.execute("ROLLBACK")
    holder.close()
    site.probe()
    assert site.probe.free == [False, True]
