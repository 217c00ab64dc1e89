""" "Download my data" in settings: the button (with CSRF) enqueues one durable job, the job
mails a signed link through SMTP, and the link serves the zip to that official only, for
seven days."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain import personal_data
from erfa import db, worker
from erfa.settings import Settings, personal_data_export_key
from models import Job, Locale, User, utcnow
from tests.factories import make_user
from tests.smtp import Inbox
from web import csrf

LINK = re.compile(r"https?://\S+(/settings/export/[A-Za-z0-9_.=-]+)")


def export_jobs(session: Session, user: User) -> list[Job]:
    return [
        job
        for job in session.exec(select(Job).where(col(Job.kind) == personal_data.EXPORT_JOB))
        if job.payload.get("user") == user.id
    ]


def run_export_jobs(
    engine: Engine, connection: sa.Connection, settings: Settings, smtp_url: str
) -> int:
    """The job runner of `erfa serve`, in the test's transaction, mailing through SMTP."""
    runner = worker.Runner(settings.model_copy(update={"smtp_url": smtp_url}), engine)
    runner.factory = db.make_session_factory(connection, join_transaction_mode="create_savepoint")
    return runner.run_jobs(kinds=(personal_data.EXPORT_JOB,))


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_the_button_mails_a_link_that_serves_the_zip_to_the_official_only(
    session: Session,
    browser_as: Callable[[User], TestClient],
    engine: Engine,
    connection: sa.Connection,
    settings: Settings,
    smtp_server: tuple[str, Inbox],
) -> None:
    karin = make_user(session, name="Karin Lund", email="karin.lund@nora.se", locale=Locale.EN)
    olle = make_user(session, name="Olle Berg")
    browser = browser_as(karin)
    page = browser.get("/settings")
    assert "Download my data" in page.text
    assert 'action="/settings/export"' in page.text

    first = browser.post("/settings/export")
    assert first.status_code == 303
    assert first.headers["location"] == "/settings?saved=export#data"
    again = browser.post("/settings/export")
    assert again.headers["location"] == "/settings?saved=export-pending#data"
    assert len(export_jobs(session, karin)) == 1
    page = browser.get("/settings")
    assert "Your data is being prepared" in page.text
    assert 'action="/settings/export"' not in page.text

    assert run_export_jobs(engine, connection, settings, smtp_server[0]) == 1
    assert export_jobs(session, karin) == []
    [message] = smtp_server[1].messages
    assert message["To"] == "karin.lund@nora.se"
    assert message["Subject"] == "Your data in erfa is ready to download"
    match = LINK.search(text_of(message))
    assert match is not None, text_of(message)
    link = match.group(1)
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert link in str(html.get_content())

    download = browser.get(link)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "no-store" in download.headers["cache-control"]
    package = zipfile.ZipFile(io.BytesIO(download.content))
    assert json.loads(package.read("data/profile.json"))["email"] == "karin.lund@nora.se"
    assert "LÄSMIG.txt" in package.namelist()

    assert browser_as(olle).get(link).status_code == 404
    name, _, signature = link.rpartition("/")[2].rpartition(".")
    forged = name.replace(f"{karin.id}-", f"{olle.id}-", 1)
    assert browser_as(olle).get(f"/settings/export/{forged}.{signature}").status_code == 404
    assert browser.get(f"/settings/export/{name}.{signature[::-1]}").status_code == 404
    anonymous = TestClient(browser.app, follow_redirects=False)
    assert anonymous.get(link).status_code == 303  # to sign in first


def test_an_expired_link_says_so_in_a_readable_page(
    session: Session, browser_as: Callable[[User], TestClient], settings: Settings
) -> None:
    karin = make_user(session, locale=Locale.EN)
    expired = int((utcnow() - timedelta(minutes=1)).timestamp())
    name = f"{karin.id}-{expired}-gone"
    settings.export_dir.mkdir(parents=True, exist_ok=True)
    stale = settings.export_dir / f"{name}.zip"
    stale.write_bytes(b"PK old")
    token = personal_data.export_token(personal_data_export_key(settings), name)
    try:
        response = browser_as(karin).get(f"/settings/export/{token}")
    finally:
        stale.unlink()  # the data folder outlives the test: the purge of others counts it
    assert response.status_code == 410
    assert "The download link has expired" in response.text
    assert b"PK old" not in response.content


def test_asking_for_the_data_needs_the_csrf_token(
    session: Session, browser_as: Callable[[User], TestClient]
) -> None:
    karin = make_user(session)
    browser = browser_as(karin)
    del browser.headers[csrf.HEADER]
    response = browser.post("/settings/export")
    assert response.status_code == 403
    assert export_jobs(session, karin) == []


def test_an_erasure_takes_the_officials_packages_and_pending_exports_with_it(
    session: Session,
    browser_as: Callable[[User], TestClient],
    engine: Engine,
    connection: sa.Connection,
    settings: Settings,
    smtp_server: tuple[str, Inbox],
) -> None:
    coordinator = make_user(session, is_coordinator=True)
    karin = make_user(session, name="Karin Lund", email="karin.lund@nora.se")
    olle = make_user(session, name="Olle Berg")
    assert karin.id is not None
    assert olle.id is not None
    before = {path.name for path in settings.export_dir.glob("*.zip")}
    for official in (karin, olle):
        assert browser_as(official).post("/settings/export").status_code == 303
    assert run_export_jobs(engine, connection, settings, smtp_server[0]) == 2
    [made] = [
        path
        for path in personal_data.export_files_of(settings.export_dir, karin.id)
        if path.name not in before
    ]
    [kept] = [
        path
        for path in personal_data.export_files_of(settings.export_dir, olle.id)
        if path.name not in before
    ]
    assert browser_as(karin).post("/settings/export").status_code == 303
    assert len(export_jobs(session, karin)) == 1
    inbox = smtp_server[1]
    inbox.messages.clear()

    erased = browser_as(coordinator).post(
        f"/admin/users/{karin.id}/erase", data={"confirmation": "karin.lund@nora.se"}
    )
    assert erased.status_code == 303
    assert not made.exists()
    assert personal_data.export_files_of(settings.export_dir, karin.id) == []
    assert kept.is_file()  # another official's package stays
    assert export_jobs(session, karin) == []
    assert run_export_jobs(engine, connection, settings, smtp_server[0]) == 0
    assert inbox.messages == []
    assert list(settings.export_dir.glob(f"{karin.id}-*")) == []
    kept.unlink()
