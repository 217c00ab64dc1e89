"""`erfa user erase EMAIL [--with-content]`, run in-process against a fresh database of the
suite's backend: one line on success, one line and exit 1 with nothing changed otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select
from typer.testing import CliRunner

from domain import threads
from domain.actor import load_actor
from erfa import db
from erfa.cli import app
from models import Attachment, Post, Resource, User, UserStatus


@pytest.fixture
def erfa(fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ERFA_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("ERFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Any:
        return runner.invoke(app, list(args), input=input)

    return run


@pytest.fixture
def database(fresh_database_url: str) -> Iterator[sa.Engine]:
    engine = db.create_db_engine(fresh_database_url)
    yield engine
    engine.dispose()


def create(erfa: Any, email: str, name: str, *extra: str) -> None:
    result = erfa(
        "user", "create", "--email", email, "--name", name, "--municipality", "nora",
        "--password-stdin", *extra, input="a long enough password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def listing(erfa: Any) -> str:
    result = erfa("user", "list")
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_erasing_keeps_the_posts_under_the_new_name(erfa: Any, database: sa.Engine) -> None:
    create(erfa, "samordnare@nora.se", "Sam Ordnare", "--admin")
    create(erfa, "karin.lund@nora.se", "Karin Lund")
    assert (
        erfa(
            "group", "create", "--slug", "ungdom", "--name", "Ungdom", "--focus", "youth"
        ).exit_code
        == 0
    )
    assert erfa("group", "add-member", "ungdom", "karin.lund@nora.se").exit_code == 0
    with Session(database, expire_on_commit=False) as session:
        karin = session.exec(select(User).where(User.email == "karin.lund@nora.se")).one()
        assert karin.id is not None
        threads.start_thread(
            session, load_actor(session, karin.id), slug="ungdom", title="Fritid", body="Hej"
        )
        session.commit()

    result = erfa("user", "erase", "Karin.Lund@nora.se")
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1
    assert f"erased official {karin.id}: 1 posts and 0 resources kept" in result.output
    assert "1 memberships" in result.output
    listed = listing(erfa)
    assert "karin.lund@nora.se" not in listed
    assert "Karin Lund" not in listed
    assert f"erased-{karin.id}@invalid\tTidigare tjänsteperson\tnora\terased" in listed
    with Session(database, expire_on_commit=False) as session:
        post = session.exec(select(Post).where(Post.author_id == karin.id)).one()
        assert post.deleted_at is None
        assert post.body == "Hej"


def test_erasing_with_content_removes_posts_and_files(
    erfa: Any, database: sa.Engine, tmp_path: Path
) -> None:
    create(erfa, "samordnare@nora.se", "Sam Ordnare", "--admin")
    create(erfa, "karin.lund@nora.se", "Karin Lund")
    assert (
        erfa(
            "group", "create", "--slug", "ungdom", "--name", "Ungdom", "--focus", "youth"
        ).exit_code
        == 0
    )
    assert erfa("group", "add-member", "ungdom", "karin.lund@nora.se").exit_code == 0
    uploads = tmp_path / "data" / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    stored = uploads / "karins-fil"
    stored.write_bytes(b"anteckningar")
    with Session(database, expire_on_commit=False) as session:
        karin = session.exec(select(User).where(User.email == "karin.lund@nora.se")).one()
        assert karin.id is not None
        actor = load_actor(session, karin.id)
        thread = threads.start_thread(session, actor, slug="ungdom", title="Fritid", body="Hej")
        resource = Resource(
            group_id=thread.group_id,
            author_id=karin.id,
            title="Karins modell",
            municipality_id=karin.municipality_id,
        )
        session.add(resource)
        session.flush()
        assert resource.id is not None
        session.add(
            Attachment(
                resource_id=resource.id,
                uploaded_by_id=karin.id,
                filename="fil.txt",
                content_type="text/plain",
                size=12,
                storage_name="karins-fil",
                sha256="0" * 64,
            )
        )
        session.commit()

    result = erfa("user", "erase", "karin.lund@nora.se", "--with-content")
    assert result.exit_code == 0, result.output
    assert "1 posts and 1 resources removed, 1 files" in result.output
    assert not stored.exists()
    with Session(database, expire_on_commit=False) as session:
        post = session.exec(select(Post).where(Post.author_id == karin.id)).one()
        assert post.deleted_at is not None
        assert post.body == ""
        assert session.exec(select(Attachment)).all() == []


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("okand@nora.se", "No such official with that email."),
        ("samordnare@nora.se", "erfa needs at least one coordinator"),
    ],
)
def test_bad_input_is_one_line_and_exit_1_with_nothing_changed(
    erfa: Any, email: str, message: str
) -> None:
    create(erfa, "samordnare@nora.se", "Sam Ordnare", "--admin")
    before = listing(erfa)
    result = erfa("user", "erase", email, "--with-content")
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.strip().count("\n") == 0
    assert listing(erfa) == before


def test_erasing_twice_is_refused(erfa: Any, database: sa.Engine) -> None:
    create(erfa, "samordnare@nora.se", "Sam Ordnare", "--admin")
    create(erfa, "karin.lund@nora.se", "Karin Lund")
    assert erfa("user", "erase", "karin.lund@nora.se").exit_code == 0
    with Session(database, expire_on_commit=False) as session:
        placeholder = session.exec(select(User.email).where(User.status == UserStatus.ERASED)).one()
    before = listing(erfa)
    again = erfa("user", "erase", placeholder)
    assert again.exit_code == 1
    assert "erased already" in again.output
    assert listing(erfa) == before


def test_a_placeholder_handle_held_by_another_is_one_line_and_exit_1(
    erfa: Any, database: sa.Engine
) -> None:
    """`erased-<id>` held from before such handles were reserved: refused, no traceback."""
    create(erfa, "samordnare@nora.se", "Sam Ordnare", "--admin")
    create(erfa, "karin.lund@nora.se", "Karin Lund")
    with Session(database) as session:
        karin = session.exec(select(User.id).where(User.email == "karin.lund@nora.se")).one()
        holder = session.exec(select(User).where(User.email == "samordnare@nora.se")).one()
        holder.handle = f"erased-{karin}"
        session.commit()
    before = listing(erfa)
    result = erfa("user", "erase", "karin.lund@nora.se")
    assert result.exit_code == 1
    assert f"@erased-{karin}" in result.output
    assert result.output.strip().count("\n") == 0
    assert listing(erfa) == before
