"""The coordinators' overview on the benchmark corpus: read model, API and page.

    uv run python bench/overview.py [--posts 1000000] [--threads 10000] [--data DIR]
                                    [--database-url postgresql://postgres@127.0.0.1/erfa_bench]
                                    [--rounds 50]

Seeds the corpus of PRODUCT.md with `erfa seed synthetic` as bench/pages.py does (and
with the same DIR and database, reuses it); the seed ends by recounting the activity
counters. Then, in one transaction that is rolled back at the end, so the corpus stays as
it was: adds a coordinator, and times in process (median and p99 of `--rounds` runs)
- `stats.overview`, the read model, for the default twelve months and for ten years;
- `GET /api/v1/stats` and `GET /admin/overview` through the app (a TestClient, no
  network), with the SQL statements each sends (the synthetic officials, never active,
  first get a last activity 1–180 days ago);
- `activity.count_post`, the upsert every new post adds;
- `activity.rebuild`, the full recount of the seed (once);
- the ten-year overview again with a worst-case counter table: every group active in
  every municipality in every month of ten years.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from pages import bench_settings, create_database, seed  # bench/pages.py, beside this file
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from api.auth import issue_access_token
from domain import activity, auth, stats
from domain.actor import load_actor
from erfa import db
from erfa.app import create_app
from erfa.settings import Settings
from models import ActivityMonth, Group, Municipality, User, UserStatus
from web.deps import session_cookie


def timed(action: Callable[[], object], rounds: int) -> list[float]:
    action()  # warm: first statements compile, caches fill
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def row(label: str, samples: list[float], statements: int | str = "") -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"| {label} | {len(samples)} | {statistics.median(samples) * 1e3:.2f} ms "
        f"| {p99 * 1e3:.2f} ms | {statements} |"
    )


def counted(connection: sa.Connection, action: Callable[[], object]) -> int:
    statements: list[str] = []

    def before(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(connection, "before_cursor_execute", before)
    try:
        action()
    finally:
        sa.event.remove(connection, "before_cursor_execute", before)
    return sum(1 for s in statements if not s.startswith(("BEGIN", "SAVEPOINT", "RELEASE")))


def add_coordinator(session: Session) -> User:
    municipality_id = session.exec(select(Municipality.id)).first()
    user = User(
        email="bench-overview@avesta.se",
        handle="bench-overview",
        name="Bench Coordinator",
        municipality_id=municipality_id,
        is_coordinator=True,
        status=UserStatus.ACTIVE,
    )
    session.add(user)
    session.flush()
    return user


def spread_last_seen(session: Session) -> int:
    """The synthetic officials were never active: let them have been, one to 180 days ago
    (half of them within 90 days), so that the active-official counts have rows to read."""
    now = datetime.now(UTC)
    ids = session.exec(select(User.id).where(col(User.last_active_at).is_(None))).all()
    rows = [{"id": i, "last_active_at": now - timedelta(days=(i or 0) % 180 + 1)} for i in ids]
    for start in range(0, len(rows), 5000):
        session.execute(sa.update(User), rows[start : start + 5000])
    return len(rows)


def fill_ten_years(session: Session) -> int:
    """Every group, municipality and month of ten years: the worst case of the counters."""
    session.execute(sa.delete(ActivityMonth))
    groups = list(session.exec(select(Group.id)).all())
    municipalities = list(session.exec(select(Municipality.id)).all())
    first = datetime.now(UTC).date().year - 10
    months = [date(first + n // 12, n % 12 + 1, 1) for n in range(11 * 12)]
    rows = [
        {"group_id": g, "municipality_id": m, "month": month, "posts": 7, "threads": 1}
        for g in groups
        for m in municipalities
        for month in months
    ]
    for start in range(0, len(rows), 5000):
        session.execute(sa.insert(ActivityMonth), rows[start : start + 5000])
    return len(rows)


def measure(settings: Settings, rounds: int) -> list[str]:
    """The corpus as seeded, then with the worst-case counters (committed, as real
    counters are, and recounted from the posts afterwards)."""
    engine = db.create_db_engine(settings.database_url)
    try:
        lines = rolled_back(settings, engine, lambda bench: bench.corpus(rounds))
        with db.session_scope(db.make_session_factory(engine)) as session:
            filled = fill_ten_years(session)
        try:
            lines += rolled_back(settings, engine, lambda bench: bench.worst_case(rounds, filled))
        finally:
            with db.session_scope(db.make_session_factory(engine)) as session:
                activity.rebuild(session)
    finally:
        engine.dispose()
    return lines


def rolled_back(
    settings: Settings, engine: Engine, work: Callable[[Bench], list[str]]
) -> list[str]:
    with engine.connect() as connection:
        transaction = connection.begin()
        factory = db.make_session_factory(connection, join_transaction_mode="create_savepoint")
        try:
            with factory() as session, Bench(settings, connection, factory, session) as bench:
                return work(bench)
        finally:
            transaction.rollback()


class Bench:
    """A coordinator, signed in to the app and the API, inside the measuring transaction."""

    def __init__(
        self,
        settings: Settings,
        connection: sa.Connection,
        factory: sessionmaker[Session],
        session: Session,
    ) -> None:
        self.connection, self.session = connection, session
        self.seen = spread_last_seen(session)
        self.user = add_coordinator(session)
        assert self.user.id is not None
        self.actor = load_actor(session, self.user.id)
        _, secret = auth.start_session(session, self.user.id)
        session.flush()
        app = create_app(settings)
        app.state.session_factory = app.state.read_session_factory = factory
        self.client = TestClient(app)
        self.client.headers["Authorization"] = (
            f"Bearer {issue_access_token(settings, self.user.id)}"
        )
        self.client.cookies.set(session_cookie(settings), secret)
        today = datetime.now(stats.STOCKHOLM).date()
        self.ten_years = today.replace(year=today.year - 10, day=min(today.day, 28)).isoformat()

    def __enter__(self) -> Bench:
        self.client.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.__exit__(*exc)

    def year(self) -> object:
        return stats.overview(self.session, self.actor)

    def decade(self) -> object:
        return stats.overview(self.session, self.actor, start=self.ten_years)

    def get(self, path: str) -> Callable[[], object]:
        def fetch() -> object:
            response = self.client.get(path)
            assert response.status_code == 200, response.text
            return response

        return fetch

    def row(self, label: str, action: Callable[[], object], rounds: int) -> str:
        return row(label, timed(action, rounds), counted(self.connection, action))

    def corpus(self, rounds: int) -> list[str]:
        session = self.session
        counters = session.exec(select(sa.func.count()).select_from(ActivityMonth)).one()
        posts = session.exec(select(sa.func.count()).select_from(sa.table("post"))).one()
        lines = [
            f"corpus: {posts} posts; {counters} counter rows (activity_month); "
            f"{self.seen} officials given a last activity 1-180 days ago",
            "| what | runs | median | p99 | SQL statements |",
            "| --- | --- | --- | --- | --- |",
            self.row("`stats.overview`, 12 months", self.year, rounds),
            self.row("`stats.overview`, 10 years", self.decade, rounds),
            self.row("`GET /api/v1/stats`", self.get("/api/v1/stats"), rounds),
            self.row("`GET /admin/overview`", self.get("/admin/overview"), rounds),
        ]
        group_id = session.exec(select(Group.id)).first()
        municipality_id = self.user.municipality_id
        assert group_id is not None
        assert municipality_id is not None

        def post() -> None:
            activity.count_post(
                session,
                group_id=group_id,
                municipality_id=municipality_id,
                at=datetime.now(UTC),
                new_thread=False,
            )

        lines.append(self.row("`activity.count_post`", post, rounds * 4))
        started = time.perf_counter()
        rebuilt = activity.rebuild(session)
        seconds = time.perf_counter() - started
        lines.append(
            f"| `activity.rebuild` ({rebuilt} counter rows) | 1 | {seconds * 1e3:.0f} ms | | |"
        )
        return lines

    def worst_case(self, rounds: int, filled: int) -> list[str]:
        decade_page = f"/admin/overview?from={self.ten_years}"
        return [
            f"worst case: {filled} counter rows (every group, municipality and month of 11 years)",
            self.row("`stats.overview`, 12 months", self.year, rounds),
            self.row("`stats.overview`, 10 years", self.decade, rounds),
            self.row("`GET /admin/overview`", self.get("/admin/overview"), rounds),
            self.row("`GET /admin/overview?from=…`, 10 years", self.get(decade_page), rounds),
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--data", type=Path)
    parser.add_argument(
        "--database-url", default="", help="a PostgreSQL database (default: SQLite in DIR)"
    )
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="erfa-bench-"))
    settings = bench_settings(data, args.database_url)
    engine = db.create_db_engine(settings.database_url)
    try:
        if engine.dialect.name == "postgresql":
            create_database(engine)
        seed(data, engine, args.database_url, args.posts, args.threads)
    finally:
        engine.dispose()
    print(f"data in {data}; database {db.safe_url(settings.database_url)}")
    for line in measure(settings, args.rounds):
        print(line)


if __name__ == "__main__":
    main()
