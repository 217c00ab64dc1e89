"""`erfa export-user EMAIL [--out PATH]`: one zip, one line; bad input is one line, exit 1,
and nothing left behind."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from domain import personal_data
from domain.actor import load_actor
from erfa import db
from erfa.cli import app
from models import Job, User, utcnow


@pytest.fixture
def erfa(fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ERFA_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("ERFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env is read; the default path lands here
    runner = CliRunner()

    def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), input=input)

    created = run(
        "user",
        "create",
        "--email",
        "karin.lund@nora.se",
        "--name",
        "Karin Lund",
        "--municipality",
        "nora",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert created.exit_code == 0, created.output
    return run


def files_in(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


def test_export_user_writes_the_zip_under_the_default_name_and_says_where(  # type: ignore[no-untyped-def]
    erfa, tmp_path: Path
) -> None:
    result = erfa("export-user", "Karin.Lund@Nora.se")
    assert result.exit_code == 0, result.output
    [written] = [path for path in tmp_path.glob("erfa-export-karin.lund-*.zip")]
    assert len(written.stem.rsplit("-", 1)[1]) == 8  # YYYYMMDD
    assert result.output.strip() == f"wrote {written} ({written.stat().st_size} bytes)"
    package = zipfile.ZipFile(written)
    assert json.loads(package.read("data/profile.json"))["email"] == "karin.lund@nora.se"
    assert "LÄSMIG.txt" in package.namelist()
    assert not [name for name in files_in(tmp_path) if name.startswith(".erfa-export-")]


def test_export_user_writes_where_out_says(erfa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "out").mkdir()
    result = erfa("export-user", "karin.lund@nora.se", "--out", "out/karin.zip")
    assert result.exit_code == 0, result.output
    assert files_in(tmp_path / "out") == {"karin.zip"}
    assert zipfile.ZipFile(tmp_path / "out" / "karin.zip").testzip() is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@nora.se"], "erfa: no official with the email nobody@nora.se"),
        (["karin.lund@nora.se", "--out", "exists.zip"], "exists already"),
        (["karin.lund@nora.se", "--out", "missing/karin.zip"], "is not a folder"),
        (["karin.lund@nora.se", "--out", "a-file/karin.zip"], "is not a folder"),
    ],
)
def test_export_user_refuses_bad_input_with_one_line_and_writes_nothing(  # type: ignore[no-untyped-def]
    erfa, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "exists.zip").write_bytes(b"mine")
    (tmp_path / "a-file").write_bytes(b"not a folder")
    before = files_in(tmp_path)
    result = erfa("export-user", *args)
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("erfa: ")
    assert message in result.output
    assert files_in(tmp_path) == before
    assert (tmp_path / "exists.zip").read_bytes() == b"mine"


def test_erasing_an_official_removes_their_packages_and_pending_export(  # type: ignore[no-untyped-def]
    erfa, fresh_database_url: str, tmp_path: Path
) -> None:
    engine = db.create_db_engine(fresh_database_url)
    try:
        with Session(engine) as session:
            karin = session.exec(select(User).where(User.email == "karin.lund@nora.se")).one()
            assert karin.id is not None
            assert personal_data.request_export(session, load_actor(session, karin.id))
            session.commit()
            karin_id = karin.id
        exports = tmp_path / "data" / "exports"
        exports.mkdir(parents=True, exist_ok=True)
        expires = int((utcnow() + timedelta(days=7)).timestamp())
        theirs = exports / f"{karin_id}-{expires}-made.zip"
        other = exports / f"{karin_id + 1}-{expires}-other.zip"
        for path in (theirs, other):
            path.write_bytes(b"PK package")

        result = erfa("user", "erase", "karin.lund@nora.se")
        assert result.exit_code == 0, result.output
        assert "1 pending exports" in result.output
        assert not theirs.exists()
        assert other.read_bytes() == b"PK package"
        with Session(engine) as session:
            assert session.exec(select(Job).where(Job.kind == personal_data.EXPORT_JOB)).all() == []
    finally:
        engine.dispose()
