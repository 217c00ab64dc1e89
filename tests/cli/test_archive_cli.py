"""`erfa archive export (--group SLUG | --year YYYY) --out PATH.zip`: one line with path,
size and counts; bad input is one line, exit 1, and no file left behind."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from erfa.cli import app

Run = Callable[..., Result]


@pytest.fixture
def erfa(fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("ERFA_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("ERFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input)

    created = run(
        "user", "create", "--email", "karin.lund@nora.se", "--name", "Karin Lund",
        "--municipality", "nora", "--password-stdin", input="a long enough password\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    for slug, visibility in (("ungdom", "open"), ("hemlig", "secret")):
        made = run("group", "create", "--slug", slug, "--name", slug.title(), "--focus", "youth",
                   "--visibility", visibility)  # fmt: skip
        assert made.exit_code == 0, made.output
    added = run("group", "add-member", "hemlig", "karin.lund@nora.se", "--lead")
    assert added.exit_code == 0, added.output
    return run


def test_a_group_package_is_written_and_reported_in_one_line(erfa: Run, tmp_path: Path) -> None:
    out = tmp_path / "ungdom.zip"
    result = erfa("archive", "export", "--group", "ungdom", "--out", str(out))
    assert result.exit_code == 0, result.output
    size = out.stat().st_size
    assert result.output == (
        f"{out}: {size} bytes; 1 groups, 0 threads, 0 posts, 0 resources, 0 events, 0 files\n"
    )
    with zipfile.ZipFile(out) as package:
        manifest = json.loads(package.read("manifest.json"))
        assert manifest["scope"] == {"group": "ungdom"}
        assert "representations/html/index.html" in package.namelist()


def test_the_console_archives_a_year_of_every_group_secret_ones_too(
    erfa: Run, tmp_path: Path
) -> None:
    out = tmp_path / "year.zip"
    result = erfa("archive", "export", "--year", "2024", "--out", str(out))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as package:
        index = json.loads(package.read("representations/json/index.json"))
    assert {g["slug"] for g in index["groups"]} == {"ungdom", "hemlig"}
    assert [m["name"] for g in index["groups"] for m in g["members"]] == ["Karin Lund"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--group", "finns-inte"], "no group with the slug finns-inte"),
        (["--group", "ungdom", "--year", "2020"], "Choose either --group or --year."),
        ([], "Choose either --group or --year."),
        (["--year", "1850"], "The year must be from 2000 to"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_no_file(
    erfa: Run, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "out.zip"
    before = set(tmp_path.iterdir())
    result = erfa("archive", "export", *args, "--out", str(out))
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert message in result.output
    assert set(tmp_path.iterdir()) == before


def test_an_existing_file_or_a_missing_folder_is_refused(erfa: Run, tmp_path: Path) -> None:
    existing = tmp_path / "there.zip"
    existing.write_bytes(b"keep me")
    result = erfa("archive", "export", "--group", "ungdom", "--out", str(existing))
    assert result.exit_code == 1
    assert result.output.strip() == f"erfa: {existing} exists already; give a new file"
    assert existing.read_bytes() == b"keep me"
    nowhere = tmp_path / "missing" / "p.zip"
    result = erfa("archive", "export", "--group", "ungdom", "--out", str(nowhere))
    assert result.exit_code == 1
    assert "cannot write" in result.output
    assert not nowhere.parent.exists()
