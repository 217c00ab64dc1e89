"""`erfa backup` and `erfa restore` for real: subprocesses, a serving erfa, a write load.

The round trip runs on the suite's backend (SQLite, or PostgreSQL with
ERFA_TEST_DATABASE_URL): demo and synthetic data and uploaded files, a backup taken while
officials reply, a restore into a fresh database, then a second backup of the quiet
database restored again and compared table by table and file by file.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel
from typer.testing import CliRunner

import models  # noqa: F401 - every table on the metadata
from erfa import backup
from erfa.cli import app
from tests.cli.test_serve import ERFA, serving
from tests.conftest import throwaway_database

PDF = b"%PDF-1.4\n" + b"erfa backup test " * 4000 + b"\n%%EOF\n"


def environment(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ERFA_DATABASE_URL": database_url,
        "ERFA_DATA_DIR": str(data_dir),
        "ERFA_SECRET_KEY": "backup-test-key-" + "k" * 32,
        "ERFA_MIN_POST_INTERVAL_S": "0",
    }


def erfa(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ERFA, *args], env=env, capture_output=True, text=True, timeout=300)


class Official:
    """A demo login speaking the JSON API."""

    def __init__(self, base: str, email: str, password: str) -> None:
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": email, "password": password}
        )
        assert token.status_code == 200, token.text
        self.client = httpx.Client(
            base_url=f"{base}/api/v1",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=30,
        )

    def close(self) -> None:
        self.client.close()

    def writable_thread_and_resource(self) -> tuple[int, int]:
        me = self.client.get("/me").json()["id"]
        for group in self.client.get("/groups").json()["items"]:
            if me not in [lead["id"] for lead in group["leads"]] or group["archived"]:
                continue
            threads = self.client.get(f"/groups/{group['slug']}/threads").json()["items"]
            resources = self.client.get(f"/groups/{group['slug']}/resources").json()["items"]
            if threads and resources:
                return threads[0]["id"], resources[0]["id"]
        raise AssertionError("the demo lead leads no group with discussions and resources")

    def upload(self, resource_id: int, name: str, content: bytes) -> dict[str, Any]:
        response = self.client.post(
            f"/resources/{resource_id}/attachments",
            files={"file": (name, content, "application/pdf")},
        )
        assert response.status_code == 201, response.text
        uploaded: dict[str, Any] = response.json()
        return uploaded

    def reply(self, thread_id: int, body: str) -> int:
        response = self.client.post(f"/threads/{thread_id}/posts", json={"body": body})
        assert response.status_code == 201, response.text
        post_id: int = response.json()["id"]
        return post_id


@contextmanager
def replying(official: Official, thread_id: int) -> Iterator[list[tuple[float, int]]]:
    """Replies as fast as the server takes them until the block ends; each acknowledged
    one as (when it was acknowledged, its id)."""
    acknowledged: list[tuple[float, int]] = []
    stop = threading.Event()

    def load() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            post_id = official.reply(thread_id, f"Svar under säkerhetskopian nummer {number}.")
            acknowledged.append((time.monotonic(), post_id))

    worker = threading.Thread(target=load)
    worker.start()
    try:
        while len(acknowledged) < 5:  # the load is running before the block goes on
            time.sleep(0.05)
        yield acknowledged
    finally:
        stop.set()
        worker.join(timeout=60)


def table_rows(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and the migration revision), in primary-key order."""
    engine = sa.create_engine(_driver(database_url))
    rows: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                rows[table.name] = [
                    tuple(row) for row in connection.execute(sa.select(table).order_by(*order))
                ]
            rows["alembic_version"] = [
                tuple(row)
                for row in connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            ]
    finally:
        engine.dispose()
    return rows


def _driver(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def folder_digests(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in folder.iterdir()
        if path.is_file()
    }


def scalar(database_url: str, query: str) -> Any:
    engine = sa.create_engine(_driver(database_url))
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(query)).scalar_one()
    finally:
        engine.dispose()


def test_backup_while_officials_write_restores_whole_and_the_quiet_round_trip_is_equal(
    server_url: str | None, tmp_path: Path
) -> None:
    with (
        throwaway_database(server_url, tmp_path / "source.db") as source_url,
        throwaway_database(server_url, tmp_path / "restored.db") as restored_url,
        throwaway_database(server_url, tmp_path / "again.db") as again_url,
    ):
        source = environment(source_url, tmp_path / "source")
        for seeding in (("demo",), ("synthetic", "--posts", "3000", "--threads", "30")):
            seeded = erfa(source, "seed", *seeding)
            assert seeded.returncode == 0, seeded.stderr
        with serving(source) as (base, _):
            email, password, _role = (
                (tmp_path / "source" / "demo-logins.txt").read_text().splitlines()[1].split()
            )
            lead = Official(base, email, password)
            thread_id, resource_id = lead.writable_thread_and_resource()
            uploads = [
                lead.upload(resource_id, f"modell-{n}.pdf", PDF + str(n).encode()) for n in range(3)
            ]
            with replying(lead, thread_id) as acknowledged:
                started = time.monotonic()
                made = erfa(source, "backup", str(tmp_path / "under-load"))
                finished = time.monotonic()
                time.sleep(0.3)  # writes go on after the backup, too
            lead.close()
            assert made.returncode == 0, made.stderr
            before = [post_id for at, post_id in acknowledged if at < started]
            after = [post_id for at, post_id in acknowledged if at > finished]
            assert before, "no reply was acknowledged before the backup"
            assert after, "no reply was acknowledged after the backup"

        # Restored while the source goes on: whole, consistent, one moment of the source.
        restored = environment(restored_url, tmp_path / "restored")
        result = erfa(restored, "restore", str(tmp_path / "under-load"))
        assert result.returncode == 0, result.stderr
        assert "restored from" in result.stdout
        posts = {
            row[0]
            for row in table_rows(restored_url)["post"]  # id is the first column
        }
        assert set(before) <= posts
        assert not set(after) & posts
        counted = f"SELECT count(*) FROM post WHERE thread_id = {thread_id}"
        assert scalar(restored_url, f"SELECT post_count FROM thread WHERE id = {thread_id}") == (
            scalar(restored_url, counted)
        )
        assert scalar(restored_url, "SELECT count(DISTINCT change_seq) FROM post") == len(posts)
        assert (
            scalar(
                restored_url,
                "SELECT count(*) FROM post p WHERE p.body LIKE 'Svar under%' AND NOT EXISTS "
                "(SELECT 1 FROM search_entry s WHERE s.kind = 'post' AND s.ref_id = p.id)",
            )
            == 0
        )
        restored_files = folder_digests(tmp_path / "restored" / "uploads")
        source_files = folder_digests(tmp_path / "source" / "uploads")
        assert len(restored_files) == len(uploads) == len(source_files)
        assert restored_files == source_files

        # The quiet round trip: every table and every file equal.
        quiet = erfa(source, "backup", str(tmp_path / "quiet"))
        assert quiet.returncode == 0, quiet.stderr
        again = environment(again_url, tmp_path / "again")
        result = erfa(again, "restore", str(tmp_path / "quiet"))
        assert result.returncode == 0, result.stderr
        expected, actual = table_rows(source_url), table_rows(again_url)
        assert expected.keys() == actual.keys()
        for table in expected:
            assert actual[table] == expected[table], f"table {table} differs after the round trip"
        assert sum(len(rows) for rows in actual.values()) > 3000
        assert folder_digests(tmp_path / "again" / "uploads") == source_files

        # erfa serves the restore: the smoke test, and a write (sequences restored too).
        with serving(again) as (base, _):
            assert httpx.get(f"{base}/healthz").status_code == 200
            lead = Official(base, email, password)
            download = lead.client.get(f"/attachments/{uploads[2]['id']}")
            assert download.status_code == 200
            assert download.content == PDF + b"2"
            assert lead.reply(thread_id, "Första svaret efter återläsningen.") > max(after)
            lead.close()
            page = httpx.get(f"{base}/t/{thread_id}", follow_redirects=False)
            assert page.status_code in (200, 303)
        assert (tmp_path / "quiet" / "manifest.json").stat().st_mode & 0o777 == 0o600


@pytest.fixture(scope="module")
def demo_source(
    server_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, str]]]:
    """A backup of the demo data, and the environment of its source."""
    root = tmp_path_factory.mktemp("backup")
    with throwaway_database(server_url, root / "source.db") as source_url:
        source = environment(source_url, root / "source")
        assert erfa(source, "seed", "demo").returncode == 0
        made = erfa(source, "backup", str(root / "backup"))
        assert made.returncode == 0, made.stderr
        yield root / "backup", source


@pytest.fixture
def demo_backup(
    demo_source: tuple[Path, dict[str, str]], server_url: str | None, tmp_path: Path
) -> Iterator[tuple[Path, dict[str, str], dict[str, str]]]:
    """The demo backup, its source's environment, and one of an empty database to restore
    into."""
    with throwaway_database(server_url, tmp_path / "target.db") as target_url:
        yield *demo_source, environment(target_url, tmp_path / "target")


def _tables(env: dict[str, str]) -> list[str]:
    engine = sa.create_engine(_driver(env["ERFA_DATABASE_URL"]))
    try:
        with engine.connect() as connection:
            return sa.inspect(connection).get_table_names()
    finally:
        engine.dispose()


def refused(env: dict[str, str], *args: str) -> str:
    """The one line of an `erfa` command (run in this process) that must fail with exit
    code 1."""
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.startswith("erfa: ")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_backup_refuses_a_missing_or_unwritable_place_and_leaves_nothing(
    demo_backup: tuple[Path, dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    backup_dir, source, _ = demo_backup
    assert "is not a folder" in refused(source, "backup", str(tmp_path / "missing" / "b"))
    assert "is not an empty folder" in refused(source, "backup", str(backup_dir))
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    assert "is not a folder" in refused(source, "backup", str(a_file / "b"))
    assert "cannot back up" in refused(source, "backup", "/proc/erfa-backup")
    assert list(tmp_path.iterdir()) == [a_file]


@pytest.mark.parametrize(
    "damage",
    [
        "truncated",
        "altered",
        "no manifest",
        "foreign",
        "newer schema",
        "other backend",
        "listed twice",
        "files not a list",
    ],
)
def test_restore_refuses_a_damaged_or_foreign_backup_and_changes_nothing(
    demo_backup: tuple[Path, dict[str, str], dict[str, str]], tmp_path: Path, damage: str
) -> None:
    original, _, target = demo_backup
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(original), str(copy)], check=True)
    manifest = json.loads((copy / "manifest.json").read_text())
    database = copy / manifest["database"]
    if damage == "truncated":
        with database.open("r+b") as handle:
            handle.truncate(database.stat().st_size // 2)
        expected = "damaged"
    elif damage == "altered":
        data = bytearray(database.read_bytes())
        data[len(data) // 2] ^= 0xFF
        database.write_bytes(bytes(data))
        expected = "does not match its checksum"
    elif damage == "no manifest":
        (copy / "manifest.json").unlink()
        expected = "is not an erfa backup"
    elif damage == "foreign":
        manifest["format"] = "something-else"
        (copy / "manifest.json").write_text(json.dumps(manifest))
        expected = "is not an erfa backup"
    elif damage == "newer schema":
        manifest["revision"] = "ffffffffffff"
        (copy / "manifest.json").write_text(json.dumps(manifest))
        expected = "newer than this erfa knows"
    elif damage == "other backend":
        manifest["backend"] = "postgresql" if manifest["backend"] == "sqlite" else "sqlite"
        (copy / "manifest.json").write_text(json.dumps(manifest))
        expected = "names a"
    elif damage == "listed twice":
        manifest["files"] = manifest["files"] * 2
        (copy / "manifest.json").write_text(json.dumps(manifest))
        expected = "more than once"
    else:
        manifest["files"] = "database.sqlite3"
        (copy / "manifest.json").write_text(json.dumps(manifest))
        expected = "is damaged"

    assert expected in refused(target, "restore", str(copy))
    assert _tables(target) == []
    uploads = Path(target["ERFA_DATA_DIR"]) / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_restore_refuses_a_database_that_is_not_empty(
    demo_backup: tuple[Path, dict[str, str], dict[str, str]],
) -> None:
    original, _, target = demo_backup
    first = erfa(target, "restore", str(original))
    assert first.returncode == 0, first.stderr
    rows = table_rows(target["ERFA_DATABASE_URL"])
    assert "is not empty" in refused(target, "restore", str(original))
    assert table_rows(target["ERFA_DATABASE_URL"]) == rows


def test_restore_refuses_a_missing_path(
    demo_backup: tuple[Path, dict[str, str], dict[str, str]],
) -> None:
    _, _, target = demo_backup
    assert "is not a folder" in refused(target, "restore", "/nonexistent/backup")


def test_the_files_a_backup_copies_are_those_the_database_names() -> None:
    assert sorted(backup.file_columns()) == [
        ("attachment", "storage_name"),
        ("event_document", "storage_name"),
    ]
