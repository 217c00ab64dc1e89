"""`erfa backup` and `erfa restore`: a consistent copy of the database and the uploads.

A backup is a folder:

    manifest.json        what it is (erfa's version, the migration revision, the backend,
                         when), and the size and SHA-256 of every other file
    database.sqlite3     SQLite: a page copy through SQLite's online backup API, taken in
                         one read transaction, so writers go on (WAL) and the copy is one
                         moment of the database
    database.pgdump      PostgreSQL: `pg_dump --format=custom` of an exported snapshot
    uploads/             the files the copied database refers to, and only those

The uploads are read from the same moment as the database: on PostgreSQL through the
snapshot that `pg_dump` imports, on SQLite from the copy itself. A file is written before
its row commits, so every file the snapshot names exists; one deleted after the snapshot
was taken fails the backup with a reason, and a run moments later succeeds.

A backup is written under a temporary name beside PATH and renamed at the end: a folder
named PATH is a whole backup. `restore` checks the manifest before it changes anything
(format, backend, that the schema is not newer than this erfa's, every file's size and
checksum), refuses a database that holds tables or an upload folder that holds files,
copies, and then migrates the restored database to this erfa's newest revision.

The secret key is not part of a backup (it is configuration, `ERFA_SECRET_KEY` or the data
folder's key file): keep it with the configuration. A backup holds personal data, password
hashes and the digests of tokens; store it as carefully as the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import URL, Engine
from sqlmodel import SQLModel

import models  # noqa: F401 - registers every table on the metadata
from domain.manifest import MANIFEST, Entry, digest, manifest_json
from erfa import db
from erfa.settings import Settings
from models import utcnow

FORMAT = "erfa-backup"
FORMAT_VERSION = 1
SQLITE_FILE = "database.sqlite3"
POSTGRESQL_FILE = "database.pgdump"
UPLOADS = "uploads"
CHUNK = 1 << 20

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is one line for the console."""


@dataclass(frozen=True)
class Summary:
    backend: str
    revision: str
    database_bytes: int
    files: int
    file_bytes: int
    seconds: float

    def line(self, verb: str, path: Path) -> str:
        return (
            f"{verb} {path}: {self.backend} database ({_size(self.database_bytes)}, revision "
            f"{self.revision}) and {self.files} uploaded files ({_size(self.file_bytes)}) "
            f"in {self.seconds:.1f} s"
        )


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    raise AssertionError("unreachable")


def file_columns() -> list[tuple[str, str]]:
    """(table, column) of every stored file's name: attachments and event documents."""
    return [
        (table.name, "storage_name")
        for table in SQLModel.metadata.sorted_tables
        if "storage_name" in table.c
    ]


def _stored_names_query() -> str:
    # Names from the metadata, none from outside.
    selects = (f'SELECT {column} FROM "{table}"' for table, column in file_columns())  # noqa: S608
    return " UNION ".join(selects)


def erfa_version() -> str:
    try:
        return version("erfa")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout without install
        return "unknown"


# --- backup ---------------------------------------------------------------------------


def backup(settings: Settings, engine: Engine, target: Path, progress: Progress) -> Summary:
    started = time.monotonic()
    target = target.absolute()
    _check_target(target)
    revision = db.current_revision(engine)
    if revision is None:
        raise BackupError("the database has no erfa schema: nothing to back up")
    backend = engine.dialect.name
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        progress(f"database ({backend}) …")
        if backend == "sqlite":
            database = work / SQLITE_FILE
            _sqlite_copy(engine, database)
            names = _sqlite_stored_names(database)
        elif backend == "postgresql":
            database = work / POSTGRESQL_FILE
            names = _pg_dump(engine, database, progress)
        else:  # pragma: no cover - erfa runs on these two
            raise BackupError(f"backups of {backend} databases are not supported")
        entries = [_entry(work, database)]
        progress(f"database copied: {_size(entries[0].size)} in {_since(started)}")
        entries += _copy_uploads(settings.uploads, work / UPLOADS, names, progress)
        about = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "erfa_version": erfa_version(),
            "backend": backend,
            "revision": revision,
            "created_at": utcnow().isoformat(),
            "database": database.name,
        }
        (work / MANIFEST).write_bytes(manifest_json(entries, **about))
        _fsync_tree(work)
        os.rename(work, target)  # onto a missing or empty folder; atomic on one file system
        _fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    files = [entry for entry in entries if entry.path.startswith(f"{UPLOADS}/")]
    return Summary(
        backend,
        revision,
        entries[0].size,
        len(files),
        sum(entry.size for entry in files),
        time.monotonic() - started,
    )


def _check_target(target: Path) -> None:
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a folder")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty folder")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise BackupError(f"{target.parent} is not writable")


def _since(started: float) -> str:
    return f"{time.monotonic() - started:.1f} s"


def _entry(root: Path, path: Path) -> Entry:
    with path.open("rb") as stream:
        size, sha256 = digest(stream)
    return Entry(path.relative_to(root).as_posix(), size, sha256)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _sqlite_copy(engine: Engine, database: Path) -> None:
    """SQLite's online backup in one step: one read transaction, so the copy is a moment
    of the database, while writers go on appending to the WAL."""
    source = sqlite3.connect(_sqlite_path(engine.url))
    copy = sqlite3.connect(database)
    try:
        source.execute(f"PRAGMA busy_timeout={db.SQLITE_BUSY_TIMEOUT_MS}")
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        copy.close()
        source.close()


def _sqlite_stored_names(database: Path) -> list[str]:
    connection = sqlite3.connect(database)
    try:
        return [row[0] for row in connection.execute(_stored_names_query())]
    finally:
        connection.close()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The database as libpq's tools take it, the password in the environment (never in
    the process list)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_dump(engine: Engine, target: Path, progress: Progress) -> list[str]:
    """`pg_dump` of a snapshot this transaction exports and holds, and the names of the
    files that same snapshot refers to."""
    dsn, env = _libpq(engine.url)
    repeatable = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with repeatable as connection, connection.begin():
        snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
        names = [row[0] for row in connection.execute(sa.text(_stored_names_query()))]
        command = [
            "pg_dump",
            "--format=custom",
            "--compress=1",
            "--verbose",
            f"--snapshot={snapshot}",
            f"--file={target}",
            f"--dbname={dsn}",
        ]
        _run_pg_tool(command, env, progress, "dumping contents of table")
    return names


def _run_pg_tool(command: list[str], env: dict[str, str], progress: Progress, marker: str) -> None:
    try:
        process = subprocess.Popen(  # noqa: S603 - a fixed tool with our own arguments
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
    except FileNotFoundError as exc:
        raise BackupError(
            f"{command[0]} is not installed (PostgreSQL's client tools, the server's major "
            "version or newer)"
        ) from exc
    assert process.stderr is not None
    last_error = ""
    for line in process.stderr:
        line = line.strip()
        if marker in line:
            progress(line.removeprefix(f"{command[0]}: "))
        elif "error" in line.lower():
            last_error = last_error or line
    if process.wait() != 0:
        raise BackupError(f"{command[0]} failed: {last_error or f'exit {process.returncode}'}")


def _copy_uploads(
    source: Path, target: Path, names: Iterable[str], progress: Progress
) -> list[Entry]:
    names = sorted(set(names))
    target.mkdir()
    entries: list[Entry] = []
    reported = time.monotonic()
    for number, name in enumerate(names, 1):
        _check_name(name)
        try:
            entries.append(_copy_file(source / name, target / name, f"{UPLOADS}/{name}"))
        except FileNotFoundError:
            raise BackupError(
                f"the uploaded file {name} went missing during the backup (deleted meanwhile?); "
                "run the backup again"
            ) from None
        if time.monotonic() - reported > 2 or number == len(names):
            progress(f"uploads: {number}/{len(names)} files")
            reported = time.monotonic()
    return entries


def _check_name(name: str) -> None:
    """Stored names are erfa's own (hex); anything else in the column is refused rather
    than followed out of the folder."""
    if not name or Path(name).name != name or name.startswith("."):
        raise BackupError(f"a stored file name is not erfa's: {name!r}")


def _copy_file(source: Path, target: Path, path: str) -> Entry:
    hasher = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, target.open("xb") as writer:
        while chunk := reader.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
            writer.write(chunk)
    return Entry(path, size, hasher.hexdigest())


def _fsync_tree(root: Path) -> None:
    """Everything written to disk before the folder gets its final name; readable by the
    owner only (a backup holds personal data and password hashes)."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fchmod(fd, 0o600)
                os.fsync(fd)
            finally:
                os.close(fd)
        os.chmod(folder, 0o700)
        _fsync_dir(Path(folder))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- restore --------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    root: Path
    about: dict[str, Any]
    entries: list[Entry]

    @property
    def database(self) -> Entry:
        [entry] = [e for e in self.entries if e.path == self.about["database"]]
        return entry

    @property
    def uploads(self) -> list[Entry]:
        return [e for e in self.entries if e.path.startswith(f"{UPLOADS}/")]


def read_manifest(source: Path) -> Backup:
    """The backup's manifest, checked for shape and against the files' sizes (the checksums
    are checked as the files are read)."""
    if not source.is_dir():
        raise BackupError(f"{source} is not a folder")
    try:
        raw = (source / MANIFEST).read_bytes()
    except FileNotFoundError:
        raise BackupError(f"{source} is not an erfa backup (no {MANIFEST})") from None
    try:
        about = json.loads(raw)
        entries = [Entry(str(f["path"]), int(f["size"]), str(f["sha256"])) for f in about["files"]]
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"the backup's {MANIFEST} is damaged") from None
    if not isinstance(about, dict) or about.get("format") != FORMAT:
        raise BackupError(f"{source} is not an erfa backup")
    if about.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"the backup's format version {about.get('format_version')} is not "
            f"{FORMAT_VERSION}: restore it with the erfa that made it ({about.get('erfa_version')})"
        )
    names = {entry.path for entry in entries}
    if len(names) != len(entries):
        raise BackupError("the backup's manifest is damaged: it lists a file more than once")
    backup = Backup(source, about, entries)
    if about.get("database") not in names or about.get("database") not in (
        SQLITE_FILE,
        POSTGRESQL_FILE,
    ):
        raise BackupError("the backup's manifest names no database")
    for entry in entries:
        parts = Path(entry.path).parts
        if entry.path != backup.database.path and (
            len(parts) != 2 or parts[0] != UPLOADS or parts[1].startswith(".")
        ):
            raise BackupError(f"the backup's manifest names an unexpected file: {entry.path}")
        path = source / entry.path
        if not path.is_file():
            raise BackupError(f"the backup is incomplete: {entry.path} is missing")
        if path.stat().st_size != entry.size:
            raise BackupError(
                f"the backup is damaged: {entry.path} holds {path.stat().st_size} bytes, "
                f"not {entry.size}"
            )
    return backup


def _known_revision(revision: str) -> bool:
    scripts = ScriptDirectory.from_config(db.alembic_config())
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def restore(settings: Settings, engine: Engine, source: Path, progress: Progress) -> Summary:
    started = time.monotonic()
    backup = read_manifest(source.absolute())
    backend = engine.dialect.name
    if backup.about.get("backend") != backend:
        raise BackupError(
            f"the backup is of a {backup.about.get('backend')} database; "
            f"ERFA_DATABASE_URL names a {backend} one"
        )
    revision = str(backup.about.get("revision"))
    if not _known_revision(revision):
        raise BackupError(
            f"the backup's schema (revision {revision}) is newer than this erfa knows: "
            f"restore it with erfa {backup.about.get('erfa_version')} or newer"
        )
    _check_empty_database(engine)
    uploads = settings.uploads
    _check_empty_uploads(uploads)
    progress("checking the database copy …")
    _check_digest(backup.root, backup.database)
    uploads.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=uploads))
    try:
        _stage_uploads(backup, staging, progress)
        progress(f"database ({backend}) …")
        if backend == "sqlite":
            _sqlite_restore(engine, backup.root / backup.database.path)
        else:
            _pg_restore(engine, backup.root / backup.database.path, progress)
        for entry in backup.uploads:
            name = Path(entry.path).name
            os.rename(staging / name, uploads / name)
        _fsync_dir(uploads)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress(f"database restored in {_since(started)}; migrating to this erfa's schema …")
    db.upgrade(engine)
    files = backup.uploads
    return Summary(
        backend,
        db.current_revision(engine) or revision,
        backup.database.size,
        len(files),
        sum(entry.size for entry in files),
        time.monotonic() - started,
    )


def _check_empty_database(engine: Engine) -> None:
    with engine.connect() as connection:
        tables = sa.inspect(connection).get_table_names()
    if tables:
        raise BackupError(
            f"the database at {engine.url.render_as_string(hide_password=True)} "
            f"is not empty ({len(tables)} tables): restore into a new, empty database"
        )


def _check_empty_uploads(uploads: Path) -> None:
    if uploads.exists() and not uploads.is_dir():
        raise BackupError(f"the upload folder {uploads} is not a folder")
    if uploads.is_dir() and any(path.is_file() for path in uploads.rglob("*")):
        raise BackupError(f"the upload folder {uploads} holds files: restore into an empty one")


def _check_digest(root: Path, entry: Entry) -> None:
    with (root / entry.path).open("rb") as stream:
        size, sha256 = digest(stream)
    if (size, sha256) != (entry.size, entry.sha256):
        raise BackupError(f"the backup is damaged: {entry.path} does not match its checksum")


def _stage_uploads(backup: Backup, staging: Path, progress: Progress) -> None:
    files = backup.uploads
    reported = time.monotonic()
    for number, entry in enumerate(files, 1):
        name = Path(entry.path).name
        copied = _copy_file(backup.root / entry.path, staging / name, entry.path)
        if (copied.size, copied.sha256) != (entry.size, entry.sha256):
            raise BackupError(f"the backup is damaged: {entry.path} does not match its checksum")
        if time.monotonic() - reported > 2 or number == len(files):
            progress(f"uploads: {number}/{len(files)} files checked and copied")
            reported = time.monotonic()
    _fsync_tree(staging)


def _sqlite_restore(engine: Engine, database: Path) -> None:
    """Page copy into the (empty) target through SQLite itself, which keeps its journal
    consistent, rather than a file copy over a database someone may have open."""
    target = _sqlite_path(engine.url)
    engine.dispose()
    source = sqlite3.connect(database)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=WAL")
    finally:
        copy.close()
        source.close()


def _pg_restore(engine: Engine, dump: Path, progress: Progress) -> None:
    dsn, env = _libpq(engine.url)
    engine.dispose()
    command = [
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--verbose",
        f"--dbname={dsn}",
        str(dump),
    ]
    _run_pg_tool(command, env, progress, "processing data for table")


def describe(backup: Backup) -> str:
    created = backup.about.get("created_at", "")
    with contextlib.suppress(ValueError):
        created = datetime.fromisoformat(created).strftime("%Y-%m-%d %H:%M UTC")
    about = backup.about
    return (
        f"{about.get('backend')} backup of {created}, erfa {about.get('erfa_version')}, "
        f"revision {about.get('revision')}"
    )
