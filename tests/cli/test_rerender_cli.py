"""`erfa db rerender` and the re-rendering `erfa serve` does before it serves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn
from sqlmodel import Session
from typer.testing import CliRunner, Result

from domain.markup import RENDERER_VERSION, render_markdown
from erfa import db
from erfa.cli import app
from models import Post
from tests.factories import make_group, make_post, make_thread, make_user


@pytest.fixture
def database(
    fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[sa.Engine]:
    """The fresh database the `erfa` command is pointed at, migrated."""
    monkeypatch.setenv("ERFA_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("ERFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


def erfa(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def store_stale_post(engine: sa.Engine, body: str) -> int:
    """A committed post whose HTML an older renderer made."""
    with db.session_scope(db.make_session_factory(engine)) as session:
        author = make_user(session)
        thread = make_thread(session, group=make_group(session), author=author)
        post = make_post(session, thread=thread, author=author, body=body)
        post.body_html, post.renderer_version = "<p>old</p>", RENDERER_VERSION - 1
        assert post.id is not None
        return post.id


def stored_html(engine: sa.Engine, post_id: int) -> tuple[str, int]:
    with Session(engine) as session:
        post = session.get(Post, post_id)
        assert post is not None
        return post.body_html, post.renderer_version


def test_db_rerender_renders_stale_posts_again_and_prints_the_count(database: sa.Engine) -> None:
    post_id = store_stale_post(database, "Vi **testade**")

    first = erfa("db", "rerender")
    again = erfa("db", "rerender")

    assert first.exit_code == 0, first.output
    assert f"re-rendered 1 posts and resources (renderer version {RENDERER_VERSION})" in (
        first.stdout
    )
    assert stored_html(database, post_id) == (render_markdown("Vi **testade**"), RENDERER_VERSION)
    assert again.exit_code == 0, again.output
    assert "re-rendered 0 posts and resources" in again.stdout


def test_serve_notes_a_rerender_on_stderr_only_when_there_was_one(
    database: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    post_id = store_stale_post(database, "*hej*")
    note = f"Re-rendered 1 posts and resources with renderer version {RENDERER_VERSION}."

    first = erfa("serve")
    again = erfa("serve")

    assert first.exit_code == 0, first.output
    assert note in first.stderr
    assert note not in first.stdout
    assert stored_html(database, post_id) == (render_markdown("*hej*"), RENDERER_VERSION)
    assert again.exit_code == 0, again.output
    assert "Re-rendered" not in again.output
