"""A request holds at most one pooled connection at a time, also when it writes on the side.

The benchmark found that the thread page's read marker, written through a second
connection while the request still held its first, hung a worker once as many officials
opened unread discussions at once as the pool has connections. This test uses the app's
real engine and pool (not the suite's shared test connection) and watches checkouts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col

from erfa import db
from erfa.app import create_app
from erfa.settings import Settings
from models import WebSession, utcnow
from tests.factories import PASSWORD, make_group, make_membership, make_post, make_thread, make_user


class Checkouts:
    def __init__(self) -> None:
        self.now = self.most = 0

    def out(self, *_: object) -> None:
        self.now += 1
        self.most = max(self.most, self.now)

    def back(self, *_: object) -> None:
        self.now -= 1


@pytest.fixture
def pooled(fresh_database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, Checkouts, int]]:
    """A signed-in official of a real app on a migrated database, an unread discussion's id,
    and a count of the connections the app's pool has lent out at once."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=fresh_database_url,
        _env_file=None,  # type: ignore[call-arg]
    )
    app = create_app(settings)
    engine: sa.Engine = app.state.engine
    db.upgrade(engine)
    with db.session_scope(db.make_session_factory(engine)) as session:
        group = make_group(session, slug="pool")
        reader, writer = make_user(session), make_user(session)
        for user in (reader, writer):
            make_membership(session, group=group, user=user)
        thread = make_thread(session, group=group, author=writer)
        make_post(session, thread=thread, author=writer)
        email, thread_id = reader.email, thread.id
    assert thread_id is not None
    checkouts = Checkouts()
    sa.event.listen(engine, "checkout", checkouts.out)
    sa.event.listen(engine, "checkin", checkouts.back)
    with TestClient(app) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        signed_in = client.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text
        yield client, checkouts, thread_id
    engine.dispose()


def test_opening_an_unread_discussion_holds_one_connection(
    pooled: tuple[TestClient, Checkouts, int],
) -> None:
    client, checkouts, thread_id = pooled
    checkouts.most = 0
    assert client.get(f"/t/{thread_id}").status_code == 200
    assert checkouts.most == 1
    assert checkouts.now == 0


def test_touching_an_old_session_holds_one_connection(
    pooled: tuple[TestClient, Checkouts, int],
) -> None:
    client, checkouts, _ = pooled
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:  # the session was last seen an hour ago
        session.execute(sa.update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
        session.commit()
    checkouts.most = 0
    assert client.get("/").status_code == 200
    assert checkouts.most == 1
    with Session(engine) as session:
        seen = session.execute(sa.select(sa.func.max(col(WebSession.last_seen_at)))).scalar_one()
    assert seen > utcnow() - timedelta(minutes=1)
