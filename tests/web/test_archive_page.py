"""/admin/archive: coordinators ask for packages (made by a job), list, download and
delete them; nobody else reaches any of it, and every form carries its CSRF token."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain import archive
from erfa import db, worker
from erfa.app import create_app
from erfa.settings import Settings
from models import Group, Job, MemberRole, User, Visibility
from tests.factories import make_group, make_membership, make_post, make_thread, make_user

Browser = Callable[[User], TestClient]
BY_GROUP = {"scope": "group", "group": "sidgrupp"}


@pytest.fixture
def settings_here(settings: Settings, tmp_path: Path) -> Settings:
    """The suite's settings with a data folder of this test's own."""
    return settings.model_copy(update={"data_dir": tmp_path})


@pytest.fixture
def app(settings_here: Settings, connection: sa.Connection) -> FastAPI:
    app = create_app(settings_here)
    factory = db.make_session_factory(connection, join_transaction_mode="create_savepoint")
    app.state.session_factory = app.state.read_session_factory = factory
    return app


@pytest.fixture
def coordinator(session: Session) -> User:
    return make_user(session, is_coordinator=True, name="Cora Koordinator")


@pytest.fixture
def group(session: Session) -> Group:
    group = make_group(session, slug="sidgrupp", name="Sidgruppen")
    author = make_user(session, name="Per Postare")
    make_membership(session, group=group, user=author)
    thread = make_thread(session, group=group, author=author, title="Arkivera mig")
    make_post(session, thread=thread, author=author, body="Ett inlägg för arkivet")
    return group


def run_archive_jobs(engine: Engine, settings: Settings, connection: sa.Connection) -> int:
    """The job runner, reading and writing through the test's transaction."""
    runner = worker.Runner(settings, engine)
    runner.factory = db.make_session_factory(connection, join_transaction_mode="create_savepoint")
    return runner.run_jobs(kinds=(archive.EXPORT,))


def test_a_coordinator_asks_for_a_package_sees_it_pending_then_downloads_it(
    browser_as: Browser,
    coordinator: User,
    group: Group,
    session: Session,
    engine: Engine,
    settings_here: Settings,
    connection: sa.Connection,
) -> None:
    browser = browser_as(coordinator)
    page = browser.get("/admin/archive")
    assert page.status_code == 200
    assert '<option value="sidgrupp">Sidgruppen</option>' in page.text
    asked = browser.post("/admin/archive", data=BY_GROUP)
    assert asked.status_code == 303
    [job] = session.exec(select(Job).where(col(Job.kind) == archive.EXPORT)).all()
    name = str(job.payload["name"])
    pending = browser.get("/admin/archive")
    assert name in pending.text
    assert f'href="/admin/archive/{name}"' not in pending.text  # not made yet

    assert run_archive_jobs(engine, settings_here, connection) == 1
    assert session.exec(select(Job).where(col(Job.kind) == archive.EXPORT)).all() == []
    listed = browser.get("/admin/archive")
    assert f'href="/admin/archive/{name}"' in listed.text
    download = browser.get(f"/admin/archive/{name}")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(download.content)) as package:
        assert json.loads(package.read("manifest.json"))["scope"] == {"group": "sidgrupp"}
        blob = b"".join(package.read(n) for n in package.namelist())
    assert "Ett inlägg för arkivet".encode() in blob

    deleted = browser.post(f"/admin/archive/{name}/delete")
    assert deleted.status_code == 303
    assert not (settings_here.data_dir / archive.DIRECTORY / name).exists()
    assert browser.get(f"/admin/archive/{name}").status_code == 404


def test_a_coordinator_neither_sees_nor_reaches_a_package_of_a_secret_group_they_are_not_in(
    browser_as: Browser,
    coordinator: User,
    session: Session,
    engine: Engine,
    settings_here: Settings,
    connection: sa.Connection,
) -> None:
    secret = make_group(session, slug="lonngrupp", name="Lönngruppen", visibility=Visibility.SECRET)
    insider = make_user(session, is_coordinator=True, name="Ida Insider")
    make_membership(session, group=secret, user=insider)
    theirs, cora = browser_as(insider), browser_as(coordinator)
    assert (
        theirs.post("/admin/archive", data={"scope": "group", "group": "lonngrupp"}).status_code
        == 303
    )
    [job] = session.exec(select(Job).where(col(Job.kind) == archive.EXPORT)).all()
    name = str(job.payload["name"])
    assert name in theirs.get("/admin/archive").text
    assert "lonngrupp" not in cora.get("/admin/archive").text  # not even being prepared

    assert run_archive_jobs(engine, settings_here, connection) == 1
    assert f'href="/admin/archive/{name}"' in theirs.get("/admin/archive").text
    assert "lonngrupp" not in cora.get("/admin/archive").text
    assert cora.get(f"/admin/archive/{name}").status_code == 404
    assert cora.post(f"/admin/archive/{name}/delete").status_code == 404
    assert (settings_here.data_dir / archive.DIRECTORY / name).is_file()
    assert theirs.get(f"/admin/archive/{name}").status_code == 200


def test_a_year_out_of_range_is_shown_on_the_form(
    browser_as: Browser, coordinator: User, session: Session
) -> None:
    too_early = {**BY_GROUP, "scope": "year", "year": "1990"}
    refused = browser_as(coordinator).post("/admin/archive", data=too_early)
    assert refused.status_code == 422
    assert "field-error" in refused.text
    assert session.exec(select(Job).where(col(Job.kind) == archive.EXPORT)).all() == []


def test_a_coordinator_cannot_archive_a_secret_group_they_are_not_in(
    browser_as: Browser, coordinator: User, session: Session
) -> None:
    make_group(session, slug="lönngrupp", name="Lönngruppen", visibility=Visibility.SECRET)
    browser = browser_as(coordinator)
    assert "Lönngruppen" not in browser.get("/admin/archive").text
    hidden = {"scope": "group", "group": "lönngrupp"}
    assert browser.post("/admin/archive", data=hidden).status_code == 404
    assert session.exec(select(Job).where(col(Job.kind) == archive.EXPORT)).all() == []


def test_officials_who_are_not_coordinators_reach_no_route(
    browser_as: Browser, session: Session, group: Group, settings_here: Settings
) -> None:
    folder = settings_here.data_dir / archive.DIRECTORY
    folder.mkdir(parents=True)
    name = "erfa-arkiv-2024-20240101-120000-abcdef.zip"
    (folder / name).write_bytes(b"PK")
    lead = make_user(session)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    browser = browser_as(lead)
    assert browser.get("/admin/archive").status_code == 403
    assert browser.post("/admin/archive", data=BY_GROUP).status_code == 403
    assert browser.get(f"/admin/archive/{name}").status_code == 403
    assert browser.post(f"/admin/archive/{name}/delete").status_code == 403
    assert (folder / name).exists()
    assert session.exec(select(Job).where(col(Job.kind) == archive.EXPORT)).all() == []


def test_posts_without_a_csrf_token_are_refused(
    browser_as: Browser, coordinator: User, group: Group, settings_here: Settings, session: Session
) -> None:
    folder = settings_here.data_dir / archive.DIRECTORY
    folder.mkdir(parents=True)
    name = "erfa-arkiv-2024-20240101-120000-abcdef.zip"
    (folder / name).write_bytes(b"PK")
    browser = browser_as(coordinator)
    del browser.headers["X-CSRF-Token"]
    assert browser.post("/admin/archive", data=BY_GROUP).status_code == 403
    assert browser.post(f"/admin/archive/{name}/delete").status_code == 403
    assert (folder / name).exists()
    assert session.exec(select(Job).where(col(Job.kind) == archive.EXPORT)).all() == []


@pytest.mark.parametrize("name", ["../erfa.db", "erfa-arkiv-x.txt", "erfa-arkiv-nej.zip"])
def test_only_packages_in_the_folder_are_served(
    browser_as: Browser, coordinator: User, name: str
) -> None:
    assert browser_as(coordinator).get(f"/admin/archive/{name}").status_code == 404
