"""Test fixtures: a real database (SQLite by default, PostgreSQL via ERFA_TEST_DATABASE_URL).

The schema is built once per run by the migrations. Each test runs inside an outer
transaction that is rolled back; request sessions join it through savepoints.
Tests that need a database of their own (migrations, the CLI, `erfa serve`) get a fresh
one from `fresh_database_url`: a new file on SQLite, a new database on PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from api.auth import issue_access_token
from domain.auth import start_session
from erfa import db
from erfa.app import create_app
from erfa.settings import Settings
from models import User
from tests.smtp import Inbox, smtp_inbox
from web import csrf
from web.deps import SESSION_COOKIE

TEST_DATABASE_ENV = "ERFA_TEST_DATABASE_URL"


def _normalize(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


@pytest.fixture(scope="session")
def server_url() -> str | None:
    """The PostgreSQL database named by ERFA_TEST_DATABASE_URL, or None for SQLite."""
    url = os.environ.get(TEST_DATABASE_ENV)
    return _normalize(url) if url else None


@pytest.fixture(scope="session")
def database_url(server_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> str:
    if server_url:
        return server_url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'erfa-test.db'}"


@pytest.fixture(scope="session")
def backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.create_db_engine(database_url)
    try:
        db.check_connection(engine)
    except sa.exc.OperationalError as exc:
        pytest.exit(f"{TEST_DATABASE_ENV} names a database that does not answer: {exc}", 2)
    db.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=secrets.token_urlsafe(32),
        min_post_interval_s=0,  # tests post in quick succession; tests/test_posting_pace.py
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def connection(engine: Engine) -> Iterator[sa.Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session(connection: sa.Connection) -> Iterator[Session]:
    factory = db.make_session_factory(connection, join_transaction_mode="create_savepoint")
    with factory() as session:
        yield session


@pytest.fixture
def app(settings: Settings, connection: sa.Connection) -> FastAPI:
    app = create_app(settings)
    factory = db.make_session_factory(connection, join_transaction_mode="create_savepoint")
    app.state.session_factory = app.state.read_session_factory = factory
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def api_as(app: FastAPI, settings: Settings) -> Iterator[Callable[[User], TestClient]]:
    """A client of the JSON API that sends an access token of the given official."""
    with api_clients(app, settings) as make:
        yield make


@contextmanager
def api_clients(app: FastAPI, settings: Settings) -> Iterator[Callable[[User], TestClient]]:
    """Makes API clients of `app` signed in as an official, closed at the end."""
    clients: list[TestClient] = []

    def make(user: User) -> TestClient:
        assert user.id is not None
        client = TestClient(app)
        client.headers["Authorization"] = f"Bearer {issue_access_token(settings, user.id)}"
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def browser_as(
    app: FastAPI, settings: Settings, session: Session
) -> Iterator[Callable[[User], TestClient]]:
    """A client of the pages, signed in as the given official, that sends CSRF tokens."""
    clients: list[TestClient] = []

    def make(user: User) -> TestClient:
        assert user.id is not None
        _, secret = start_session(session, user.id)
        session.flush()
        client = TestClient(app, follow_redirects=False)
        client.cookies.set(SESSION_COOKIE, secret)
        cookie = secrets.token_urlsafe(16)
        client.cookies.set(csrf.COOKIE, cookie)
        client.headers[csrf.HEADER] = csrf.token_for(settings, cookie)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def count_statements(connection: sa.Connection) -> Callable[[Callable[[], object]], int]:
    """How many SQL statements a callable sends over the test's connection."""

    def count(action: Callable[[], object]) -> int:
        statements: list[str] = []

        def before_execute(*args: object) -> None:
            statements.append(str(args[2]))

        sa.event.listen(connection, "before_cursor_execute", before_execute)
        try:
            action()
        finally:
            sa.event.remove(connection, "before_cursor_execute", before_execute)
        return len(statements)

    return count


@contextmanager
def throwaway_database(server_url: str | None, sqlite_file: Path) -> Iterator[str]:
    """An empty database of the suite's backend: a new SQLite file, or a new database on
    the PostgreSQL server, dropped afterwards."""
    if server_url is None:
        yield f"sqlite:///{sqlite_file}"
        return
    name = f"erfa_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def fresh_database_url(server_url: str | None, tmp_path: Path) -> Iterator[str]:
    with throwaway_database(server_url, tmp_path / "fresh.db") as url:
        yield url


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, Inbox]]:
    """A real SMTP server on loopback: its URL and what it received."""
    with smtp_inbox() as server:
        yield server
