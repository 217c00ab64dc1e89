"""`erfa retention run`: the daily purge from cron, with the counts on the console, and a
dry run that deletes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

from domain import retention
from erfa import db
from erfa.cli import app
from models import AuditEntry, Notification, NotificationKind, utcnow
from tests.factories import make_user


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


def store(engine: sa.Engine) -> tuple[list[int], list[int]]:
    """Two notifications past their 90 days and one within; audit entries of three and
    one year ago. Returns the ids of the notifications and of the audit entries."""
    with db.session_scope(db.make_session_factory(engine)) as session:
        user_id = make_user(session).id
        assert user_id is not None
        notifications = [
            Notification(user_id=user_id, kind=NotificationKind.REPLY, created_at=utcnow() - age)
            for age in (timedelta(days=91), timedelta(days=120), timedelta(days=89))
        ]
        entries = [
            AuditEntry(
                action="user.suspend",
                target_type="user",
                created_at=retention.years_before(utcnow(), years) - timedelta(days=1),
            )
            for years in (3, 1)
        ]
        session.add_all([*notifications, *entries])
        session.flush()
        return [n.id or 0 for n in notifications], [e.id or 0 for e in entries]


def kept(engine: sa.Engine, table: type[Notification] | type[AuditEntry]) -> set[int]:
    with Session(engine) as session:
        return {row_id for row_id in session.exec(select(col(table.id))).all() if row_id}


def test_a_dry_run_prints_what_would_go_and_deletes_nothing(database: sa.Engine) -> None:
    notifications, entries = store(database)

    result = erfa("retention", "run", "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.output == (
        "Would delete: sessions 0, password_resets 0, invitations 0, api_tokens 0, "
        "notifications 2, webhook_deliveries 0, signup_requests 0, join_requests 0, "
        "audit_entries 0\n"
    )
    assert kept(database, Notification) == set(notifications)
    assert kept(database, AuditEntry) == set(entries)


def test_the_run_deletes_prints_the_counts_and_a_second_run_finds_nothing(
    database: sa.Engine,
) -> None:
    notifications, entries = store(database)

    first = erfa("retention", "run")

    assert first.exit_code == 0, first.output
    assert "Deleted: sessions 0," in first.output
    assert "notifications 2," in first.output
    assert "audit_entries 0, export_files 0\n" in first.output
    assert kept(database, Notification) == {notifications[2]}
    assert kept(database, AuditEntry) == set(entries)
    second = erfa("retention", "run")
    assert second.exit_code == 0, second.output
    assert "notifications 0," in second.output


def test_the_run_keeps_audit_entries_as_many_years_as_configured(
    database: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, (three_years, last_year) = store(database)
    monkeypatch.setenv("ERFA_AUDIT_RETENTION_YEARS", "2")

    result = erfa("retention", "run")

    assert result.exit_code == 0, result.output
    assert "audit_entries 1, export_files 0\n" in result.output
    assert kept(database, AuditEntry) == {last_year}
    assert three_years not in kept(database, AuditEntry)


def test_a_configured_number_of_years_out_of_bounds_is_one_line_and_exit_1(
    database: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERFA_AUDIT_RETENTION_YEARS", "0")

    result = erfa("retention", "run")

    assert result.exit_code == 1
    assert "ERFA_AUDIT_RETENTION_YEARS" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_run_deletes_expired_personal_data_exports_and_keeps_live_ones(
    database: sa.Engine, tmp_path: Path
) -> None:
    exports = tmp_path / "data" / "exports"
    exports.mkdir(parents=True)
    now = int(utcnow().timestamp())
    expired = exports / f"7-{now - 60}-abc.zip"
    live = exports / f"7-{now + 3600}-def.zip"
    for package in (expired, live):
        package.write_bytes(b"PK")

    dry = erfa("retention", "run", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert expired.exists()

    result = erfa("retention", "run")

    assert result.exit_code == 0, result.output
    assert result.output.endswith(", export_files 1\n")
    assert not expired.exists()
    assert live.exists()
