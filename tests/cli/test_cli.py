"""The `erfa` command, run in-process against a fresh database of the suite's backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from erfa.cli import app


@pytest.fixture
def erfa(fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ERFA_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("ERFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    runner = CliRunner()

    def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), input=input)

    return run


def test_user_create_with_password_from_stdin_then_listed(erfa) -> None:  # type: ignore[no-untyped-def]
    result = erfa(
        "user",
        "create",
        "--email",
        "Karin.Lund@Nora.se",
        "--name",
        "Karin Lund",
        "--municipality",
        "nora",
        "--title",
        "Folkhälsostrateg",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created karin.lund@nora.se" in result.output
    assert "active" in result.output

    listed = erfa("user", "list")
    assert listed.exit_code == 0, listed.output
    assert "karin.lund@nora.se\tKarin Lund\tnora\tactive\tofficial" in listed.output


def test_user_create_without_password_mails_an_invitation(erfa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = erfa(
        "user",
        "create",
        "--email",
        "per@avesta.se",
        "--name",
        "Per Ek",
        "--municipality",
        "avesta",
        "--admin",
    )
    assert result.exit_code == 0, result.output
    assert "invited by email" in result.output
    mails = list((tmp_path / "data" / "outbox").glob("*.eml"))
    assert len(mails) == 1
    text = mails[0].read_text()
    assert "To: per@avesta.se" in text
    assert "/invitations/" in text
    assert "per@avesta.se\tPer Ek\tavesta\tinvited\tcoordinator" in erfa("user", "list").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--municipality", "gotham"], "Unknown municipality 'gotham'"),
        (["--email", "not-an-email"], "is not an email address"),
    ],
)
def test_user_create_refuses_bad_input_with_one_line(erfa, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    base = {"--email": "a@avesta.se", "--name": "A", "--municipality": "avesta"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = erfa(
        "user",
        "create",
        *[x for pair in base.items() for x in pair],
        "--password-stdin",
        input="a long enough password\n",
    )
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_user_create_refuses_a_duplicate_email(erfa) -> None:  # type: ignore[no-untyped-def]
    args = ["user", "create", "--email", "a@avesta.se", "--name", "A", "--municipality", "avesta"]
    assert erfa(*args).exit_code == 0
    again = erfa(*[a.upper() if "@" in a else a for a in args])
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_user_create_refuses_a_short_password(erfa) -> None:  # type: ignore[no-untyped-def]
    result = erfa(
        "user",
        "create",
        "--email",
        "a@avesta.se",
        "--name",
        "A",
        "--municipality",
        "avesta",
        "--password-stdin",
        input="short\n",
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output


def test_group_create_and_add_member_as_lead(erfa) -> None:  # type: ignore[no-untyped-def]
    created = erfa(
        "group",
        "create",
        "--slug",
        "kultur",
        "--name",
        "Kultur",
        "--focus",
        "attraktionskraft",
        "--visibility",
        "closed",
    )
    assert created.exit_code == 0, created.output
    assert "created group kultur (closed)" in created.output
    erfa("user", "create", "--email", "b@nora.se", "--name", "B", "--municipality", "nora")
    added = erfa("group", "add-member", "kultur", "b@nora.se", "--lead")
    assert added.exit_code == 0, added.output
    assert "b@nora.se is now lead of kultur" in added.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["group", "create", "--slug", "x", "--name", "X", "--focus", "sport"],
            "Unknown focus area",
        ),
        (["group", "create", "--slug", "Bad Slug!", "--name", "X", "--focus", "youth"], "slug"),
        (["group", "add-member", "nope", "b@nora.se"], "no official with the email"),
    ],
)
def test_group_commands_refuse_bad_input(erfa, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = erfa(*args)
    assert result.exit_code == 1, result.output
    assert message in result.output


def test_a_duplicate_group_slug_is_refused(erfa) -> None:  # type: ignore[no-untyped-def]
    args = ("group", "create", "--slug", "ungdom2", "--name", "U", "--focus", "youth")
    assert erfa(*args).exit_code == 0
    again = erfa(*args)
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_db_current_upgrade_and_downgrade(erfa) -> None:  # type: ignore[no-untyped-def]
    assert "base (pending" in erfa("db", "current").output
    upgraded = erfa("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "up to date" in erfa("db", "current").output
    down = erfa("db", "downgrade", "base")
    assert down.exit_code == 0, down.output
    assert "database at base" in down.output
    bad = erfa("db", "downgrade", "no-such-revision")
    assert bad.exit_code == 1
    assert "cannot downgrade" in bad.output


def test_seed_demo_prints_logins_once_and_never_reseeds(erfa) -> None:  # type: ignore[no-untyped-def]
    first = erfa("seed", "demo")
    assert first.exit_code == 0, first.output
    lines = [line for line in first.stdout.splitlines() if line.count(" ") == 2]
    assert len(lines) >= 10
    assert any(line.endswith(" coordinator") for line in lines)
    users_before = erfa("user", "list").output.count("\n")

    second = erfa("seed", "demo")
    assert second.exit_code == 0
    assert "already present" in second.output
    assert erfa("user", "list").output.count("\n") == users_before


def test_an_unreachable_database_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ERFA_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    monkeypatch.setenv("ERFA_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["user", "list"])
    assert result.exit_code == 1
    assert (
        "cannot reach the database at postgresql+psycopg://nobody@127.0.0.1:1/nothing"
        in result.output
    )
    assert "Traceback" not in result.output


def test_invalid_configuration_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ERFA_MAX_UPLOAD_MB", "lots")
    monkeypatch.setenv("ERFA_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["db", "current"])
    assert result.exit_code == 1
    assert "ERFA_MAX_UPLOAD_MB" in result.output


def test_a_short_secret_key_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ERFA_SECRET_KEY", "short")
    monkeypatch.setenv("ERFA_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["db", "current"])
    assert result.exit_code == 1
    assert (
        "erfa: invalid configuration: ERFA_SECRET_KEY holds fewer than 32 characters"
        in result.output
    )


def test_reference_data_a_coordinator_removed_stays_removed(erfa, fresh_database_url: str) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from erfa import db

    assert erfa("db", "upgrade").exit_code == 0
    engine = db.create_db_engine(fresh_database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM theme WHERE slug = 'integration'"))
    assert erfa("db", "upgrade").exit_code == 0
    assert erfa("seed", "demo").exit_code == 0
    with engine.connect() as connection:
        slugs = connection.execute(sa.text("SELECT slug FROM theme ORDER BY slug")).scalars().all()
    engine.dispose()
    # The demo adds its own current theme; the reference theme removed stays removed.
    assert slugs == ["attraktivitet", "kompetensforsorjning", "social-hallbarhet"]


def test_municipality_slugs_are_case_insensitive(erfa) -> None:  # type: ignore[no-untyped-def]
    result = erfa(
        "user",
        "create",
        "--email",
        "c@ludvika.se",
        "--name",
        "C",
        "--municipality",
        "Ludvika",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output


def test_seed_synthetic_makes_a_consistent_corpus_whose_login_works(
    erfa, fresh_database_url: str
) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from domain.passwords import verify_password
    from erfa import db

    result = erfa("seed", "synthetic", "--posts", "250", "--threads", "7")
    assert result.exit_code == 0, result.output
    assert "seeded 7 groups, 7 threads, 250 posts, 10 officials" in result.output
    email, password, _ = result.stdout.strip().splitlines()[-1].split()
    engine = db.create_db_engine(fresh_database_url)
    with engine.connect() as connection:
        counts = connection.execute(
            sa.text(
                "SELECT t.post_count, count(p.id), max(p.position) FROM thread t "
                "JOIN post p ON p.thread_id = t.id GROUP BY t.id"
            )
        ).all()
        stored = connection.execute(
            sa.text("SELECT password_hash FROM user_account WHERE email = :e"), {"e": email}
        ).scalar_one()
    engine.dispose()
    assert all(count == posts == top for count, posts, top in counts)
    assert sum(count for count, _, _ in counts) == 250
    assert verify_password(stored, password)
    assert erfa("seed", "synthetic", "--posts", "0").exit_code != 0
