"""An initial sync of the benchmark corpus through the changes feed, page by page.

    uv run python bench/sync.py [--posts 1000000] [--threads 10000] [--data DIR]
                                [--database-url postgresql://postgres@127.0.0.1/erfa_bench]
                                [--limit 1000] [--rounds 5]

Seeds the corpus of PRODUCT.md with `erfa seed synthetic` as bench/pages.py does (and
with the same DIR and database, reuses it). Then, as the corpus official (the synthetic
groups are open, so the feed holds every post), in process:
- follows `GET /api/v1/sync/posts?limit=LIMIT` from the start until `has_more` is false,
  through the app (a TestClient, no network): posts per second, and every page's time;
- times the first, middle and last page of that pass again, `--rounds` times each
  (median), by their cursors: a page must cost the same wherever it starts;
- follows the feed once more through `domain.sync.post_changes` alone (a read session
  per page, as a request has), to tell the database's share from the API's.
It also reports how much of each pass went to Python's garbage collector. With
`--gc-freeze` it moves every object alive after the warm-up page out of the collector's
reach first (`gc.freeze()`), as a server could do once it has started; erfa does not.
Nothing is written.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from pages import bench_settings, create_database, seed  # bench/pages.py, beside this file

from api.auth import issue_access_token
from domain import sync
from domain.actor import load_actor
from erfa import db
from erfa.app import create_app
from erfa.settings import Settings

PATH = "/api/v1/sync/posts"


@dataclass(frozen=True)
class Page:
    cursor: str | None
    """The cursor it was asked with (None: the first page)."""
    items: int
    seconds: float


@dataclass
class Collector:
    """Time spent in the garbage collector, per generation."""

    seconds: dict[int, float] = field(default_factory=lambda: {0: 0.0, 1: 0.0, 2: 0.0})
    runs: dict[int, int] = field(default_factory=lambda: {0: 0, 1: 0, 2: 0})
    _started: float = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation = info["generation"]
        self.seconds[generation] += time.perf_counter() - self._started
        self.runs[generation] += 1

    def report(self, total: float) -> str:
        spent = sum(self.seconds.values())
        full = self.seconds[2]
        return (
            f"garbage collector {spent:.1f} s ({spent / total:.0%}), of it {full:.1f} s in "
            f"{self.runs[2]} full collections"
        )


@contextmanager
def collector() -> Iterator[Collector]:
    watch = Collector()
    gc.callbacks.append(watch)
    try:
        yield watch
    finally:
        gc.callbacks.remove(watch)


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def fetch(client: TestClient, cursor: str | None, limit: int) -> tuple[dict[str, Any], float]:
    params: dict[str, str | int] = {"limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    started = time.perf_counter()
    response = client.get(PATH, params=params)
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body, seconds


def follow(client: TestClient, limit: int) -> tuple[list[Page], float]:
    """The whole feed from the start; its pages and the wall time of the pass."""
    pages: list[Page] = []
    cursor: str | None = None
    started = time.perf_counter()
    while True:
        body, seconds = fetch(client, cursor, limit)
        pages.append(Page(cursor, len(body["items"]), seconds))
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return pages, time.perf_counter() - started


def again(client: TestClient, page: Page, limit: int, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        body, seconds = fetch(client, page.cursor, limit)
        assert len(body["items"]) == page.items
        samples.append(seconds)
    return samples


def domain_pass(settings: Settings, user_id: int, limit: int) -> tuple[int, int, float]:
    """The feed through `sync.post_changes` alone: items, pages and seconds."""
    engine = db.create_db_engine(settings.database_url)
    reads = db.make_session_factory(engine, read_only=True)
    try:
        with reads() as session:
            actor = load_actor(session, user_id)
        position, items, pages = sync.Position(), 0, 0
        started = time.perf_counter()
        while True:
            with reads() as session:
                page = sync.post_changes(session, actor, after=position, limit=limit)
            items, pages, position = items + len(page.items), pages + 1, page.position
            if not page.has_more:
                return items, pages, time.perf_counter() - started
    finally:
        engine.dispose()


def tenths(pages: list[Page]) -> list[float]:
    """The median page time in each tenth of the pass, first to last."""
    size = max(1, len(pages) // 10)
    return [
        statistics.median(page.seconds for page in pages[start : start + size])
        for start in range(0, size * 10, size)
        if pages[start : start + size]
    ]


def measure(
    settings: Settings, email: str, limit: int, rounds: int, *, freeze: bool = False
) -> list[str]:
    app = create_app(settings)
    with app.state.engine.connect() as connection:
        user_id = connection.execute(
            sa.text("SELECT id FROM user_account WHERE email = :email"), {"email": email}
        ).scalar_one()
        posts = connection.execute(sa.text("SELECT count(*) FROM post")).scalar_one()
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {issue_access_token(settings, user_id)}"
        fetch(client, None, limit)  # warm: first statements compile, caches fill
        if freeze:
            gc.freeze()
        with collector() as collected:
            pages, seconds = follow(client, limit)
        items = sum(page.items for page in pages)
        full = [page for page in pages if page.items == limit] or pages
        first, middle, last = full[0], full[len(full) // 2], full[-1]
        timed = {
            name: again(client, page, limit, rounds)
            for name, page in (("first", first), ("middle", middle), ("last", last))
        }
    with collector() as domain_collected:
        domain_items, domain_pages, domain_seconds = domain_pass(settings, user_id, limit)
    times = sorted(page.seconds for page in pages)
    lines = [
        f"corpus: {posts} posts; database {db.safe_url(settings.database_url)}"
        + ("; gc.freeze() after the warm-up page" if freeze else ""),
        f"initial sync through `GET {PATH}?limit={limit}`: {items} posts in {len(pages)} "
        f"pages, {seconds:.1f} s, {items / seconds:,.0f} posts/s; page median "
        f"{ms(statistics.median(times))}, p99 {ms(percentile(times, 0.99))}, "
        f"max {ms(times[-1])}; {collected.report(seconds)}",
        "median page time by tenth of the pass: "
        + ", ".join(f"{median * 1e3:.1f}" for median in tenths(pages))
        + " ms",
        f"the same pages again ({rounds} runs each, median; in the pass):",
    ]
    for name, page in (("first", first), ("middle", middle), ("last", last)):
        position = pages.index(page) + 1
        lines.append(
            f"- {name} page (page {position} of {len(pages)}): "
            f"{ms(statistics.median(timed[name]))} ({ms(page.seconds)})"
        )
    lines.append(
        f"through `sync.post_changes` alone: {domain_items} posts in {domain_pages} pages, "
        f"{domain_seconds:.1f} s, {domain_items / domain_seconds:,.0f} posts/s; "
        f"{domain_collected.report(domain_seconds)}"
    )
    if items != posts:
        lines.append(f"the feed held {items} posts, the corpus {posts}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--data", type=Path)
    parser.add_argument(
        "--database-url", default="", help="a PostgreSQL database (default: SQLite in DIR)"
    )
    parser.add_argument("--limit", type=int, default=sync.MAX_LIMIT)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() after the warm-up page"
    )
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="erfa-bench-"))
    settings = bench_settings(data, args.database_url)
    engine = db.create_db_engine(settings.database_url)
    try:
        if engine.dialect.name == "postgresql":
            create_database(engine)
        email, _ = seed(data, engine, args.database_url, args.posts, args.threads)
    finally:
        engine.dispose()
    print(f"data in {data}")
    for line in measure(settings, email, args.limit, args.rounds, freeze=args.gc_freeze):
        print(line)


if __name__ == "__main__":
    main()
