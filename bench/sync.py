"""An initial sync of the benchmark corpus through the changes feed, page by page.

    uv run python bench/sync.py [--posts 1000000] [--threads 10000] [--data DIR]
                                [--database-url postgresql://postgres@127.0.0.1/erfa_bench]
                                [--limit 1000] [--rounds 5] [--client stdlib|httpx]
                                [--in-process]

Seeds the corpus of PRODUCT.md with `erfa seed synthetic` as bench/pages.py does (and
with the same DIR and database, reuses it). Then it starts `erfa serve` on loopback (one
uvicorn worker, a process of its own, as an integrator meets erfa) and, as the corpus
official (the synthetic groups are open, so the feed holds every post), with an HTTP
client that keeps its connection open (`--client`: the standard library's `http.client`,
which adds the least of its own, or httpx):
- follows `GET /api/v1/sync/posts?limit=LIMIT` from the start until `has_more` is false,
  parsing each page's JSON as a consumer must: posts per second, and every page's time;
- times the first, middle and last page of that pass again, `--rounds` times each
  (median), by their cursors: a page must cost the same wherever it starts; and a page
  of one post at the middle, what every request costs whatever it holds;
- follows the feed once more through `domain.sync.post_changes` alone (a read session
  per page, as a request has), to tell the database's share from the API's;
- shows the database's plan of the feed's query at the middle page, as the feed sends it
  (SQLite: `EXPLAIN QUERY PLAN`; PostgreSQL: `EXPLAIN (ANALYZE)`).
It also reports the CPU time of erfa's server process and of the client in the pass, the
time the client spent in Python's garbage collector, and the load average of the machine,
since other work on it slows a pass down. With `--in-process` the app runs in this
process behind a TestClient instead (no server, no network; the CPU time is then the
client's and the app's together): `--gc-freeze` then moves every object alive after the
warm-up page out of the collector's reach (`gc.freeze()`), as erfa's own start does once
(erfa/app.py), and `--no-freeze` undoes erfa's for comparison.
Nothing is written.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pages import bench_settings, create_database, seed  # bench/pages.py, beside this file

from api.auth import issue_access_token
from domain import sync
from domain.actor import load_actor
from domain.cursors import decode_cursor
from erfa import db
from erfa.app import create_app
from erfa.settings import Settings, derive_key

PATH = "/api/v1/sync/posts"


@dataclass(frozen=True)
class Page:
    cursor: str | None
    """The cursor it was asked with (None: the first page)."""
    items: int
    seconds: float
    decoding: float
    """How long the client took to parse the page's JSON (not in `seconds`)."""


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


def fetch(client: Any, cursor: str | None, limit: int) -> tuple[dict[str, Any], float, float]:
    """A page: its JSON, the seconds until the response was there, the seconds to parse it."""
    params: dict[str, str | int] = {"limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    started = time.perf_counter()
    response = client.get(PATH, params=params)
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body, seconds, time.perf_counter() - started - seconds


def follow(client: Any, limit: int) -> tuple[list[Page], float, float]:
    """The whole feed from the start; its pages, the wall time and the CPU time of the
    pass."""
    pages: list[Page] = []
    cursor: str | None = None
    started, cpu = time.perf_counter(), time.process_time()
    while True:
        body, seconds, decoding = fetch(client, cursor, limit)
        pages.append(Page(cursor, len(body["items"]), seconds, decoding))
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return pages, time.perf_counter() - started, time.process_time() - cpu


def again(client: Any, page: Page, limit: int, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        body, seconds, _ = fetch(client, page.cursor, limit)
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


def plan(settings: Settings, user_id: int, after: sync.Position, limit: int) -> list[str]:
    """The database's plan of the feed's query as `post_changes` sends it, after `after`."""
    engine = db.create_db_engine(settings.database_url)
    reads = db.make_session_factory(engine, read_only=True)
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    try:
        with reads() as session:
            actor = load_actor(session, user_id)
            sa.event.listen(engine, "before_cursor_execute", record)
            try:
                sync.post_changes(session, actor, after=after, limit=limit)
            finally:
                sa.event.remove(engine, "before_cursor_execute", record)
            statement, parameters = next(s for s in sent if "FROM post" in s[0])
            explain = (
                "EXPLAIN (ANALYZE, COSTS OFF) "
                if engine.dialect.name == "postgresql"
                else "EXPLAIN QUERY PLAN "
            )
            rows = session.connection().exec_driver_sql(explain + statement, parameters).all()
        return [str(row[-1]) for row in rows]
    finally:
        engine.dispose()


def load() -> str:
    return "load average " + ", ".join(f"{n:.1f}" for n in os.getloadavg())


def tenths(pages: list[Page]) -> list[float]:
    """The median page time in each tenth of the pass, first to last."""
    size = max(1, len(pages) // 10)
    return [
        statistics.median(page.seconds for page in pages[start : start + size])
        for start in range(0, size * 10, size)
        if pages[start : start + size]
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) a process has used so far (Linux's /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Answer:
    """What `fetch` reads of a response, from `http.client`."""

    def __init__(self, status: int, content: bytes) -> None:
        self.status_code, self.content = status, content

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self) -> Any:
        return json.loads(self.content)


class LeanClient:
    """The standard library's HTTP client behind the few calls the benchmark makes: one
    connection kept open, no other work per request."""

    def __init__(self, host: str, port: int) -> None:
        self.connection = http.client.HTTPConnection(host, port, timeout=60)
        self.headers: dict[str, str] = {}

    def get(self, path: str, params: dict[str, str | int] | None = None) -> Answer:
        target = path + ("?" + urlencode(params) if params else "")
        self.connection.request("GET", target, headers=self.headers)
        response = self.connection.getresponse()
        return Answer(response.status, response.read())


@contextmanager
def serving(settings: Settings, lean: bool) -> Iterator[tuple[Any, subprocess.Popen[bytes]]]:
    """erfa as an integrator meets it: `erfa serve` in a process of its own (uvicorn, one
    worker, on loopback), and an HTTP client that keeps its connection open: the standard
    library's (`lean`), or httpx."""
    port = free_port()
    env = {
        **os.environ,
        "ERFA_DATA_DIR": str(settings.data_dir),
        "ERFA_DATABASE_URL": settings.database_url,
        "ERFA_SECRET_KEY": settings.secret_key,
    }
    command = [str(Path(sys.executable).parent / "erfa"), "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(600):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise RuntimeError("erfa serve did not start")
            yield (LeanClient("127.0.0.1", port) if lean else client), server
    finally:
        server.terminate()
        server.wait(30)


@contextmanager
def in_process(settings: Settings) -> Iterator[tuple[httpx.Client, None]]:
    """The app in this process, through a TestClient (no network, no server)."""
    with TestClient(create_app(settings)) as client:
        yield client, None


def measure(
    settings: Settings,
    email: str,
    limit: int,
    rounds: int,
    *,
    freeze: bool = False,
    unfreeze: bool = False,
    local: bool = False,
    client_name: str = "stdlib",
) -> list[str]:
    engine = db.create_db_engine(settings.database_url)
    with engine.connect() as connection:
        user_id = connection.execute(
            sa.text("SELECT id FROM user_account WHERE email = :email"), {"email": email}
        ).scalar_one()
        posts = connection.execute(sa.text("SELECT count(*) FROM post")).scalar_one()
    engine.dispose()
    serve = in_process(settings) if local else serving(settings, lean=client_name == "stdlib")
    with serve as (client, server):
        client.headers["Authorization"] = f"Bearer {issue_access_token(settings, user_id)}"
        fetch(client, None, limit)  # warm: first statements compile, caches fill
        if unfreeze:
            gc.unfreeze()
        if freeze:
            gc.freeze()
        frozen = gc.get_freeze_count()
        before = load()
        server_cpu = cpu_seconds(server.pid) if server else 0.0
        with collector() as collected:
            pages, seconds, cpu = follow(client, limit)
        server_cpu = cpu_seconds(server.pid) - server_cpu if server else 0.0
        after = load()
        items = sum(page.items for page in pages)
        full = [page for page in pages if page.items == limit] or pages
        first, middle, last = full[0], full[len(full) // 2], full[-1]
        timed = {
            name: again(client, page, limit, rounds)
            for name, page in (("first", first), ("middle", middle), ("last", last))
        }
        single = [fetch(client, middle.cursor, 1)[1] for _ in range(rounds * 10)]
    with collector() as domain_collected:
        domain_items, domain_pages, domain_seconds = domain_pass(settings, user_id, limit)
    middle_position = position_of(settings, middle.cursor)
    query_plan = plan(settings, user_id, middle_position, limit)
    times = sorted(page.seconds for page in pages)
    served, parsing = sum(times), sum(page.decoding for page in pages)
    lines = [
        f"corpus: {posts} posts; database {db.safe_url(settings.database_url)}; "
        + (
            f"in process (TestClient); {frozen} objects frozen (gc.freeze) during the pass"
            if local
            else f"over HTTP to `erfa serve` (one uvicorn worker) on loopback; {client_name} client"
        ),
        f"initial sync through `GET {PATH}?limit={limit}`: {items} posts in {len(pages)} "
        f"pages, {seconds:.1f} s, {items / seconds:,.0f} posts/s; page median "
        f"{ms(statistics.median(times))}, p99 {ms(percentile(times, 0.99))}, "
        f"max {ms(times[-1])}; {collected.report(seconds)}",
        f"the pages' times add up to {served:.1f} s ({items / served:,.0f} posts/s served); "
        f"the client's parsing of their JSON to {parsing:.1f} s (median "
        f"{ms(statistics.median(page.decoding for page in pages))} a page)",
        (
            f"CPU time in the pass: erfa's server process {server_cpu:.1f} s "
            f"({items / server_cpu:,.0f} posts per CPU second), the client's {cpu:.1f} s"
            if server_cpu
            else f"CPU time of this process (client and app) in the pass: {cpu:.1f} s "
            f"({items / cpu:,.0f} posts per CPU second)"
        )
        + f"; {before} before the pass, {after} after",
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
        f"- a page of 1 post at the middle ({rounds * 10} runs, median): "
        f"{ms(statistics.median(single))}, what a request costs whatever it holds"
    )
    lines.append(
        f"through `sync.post_changes` alone: {domain_items} posts in {domain_pages} pages, "
        f"{domain_seconds:.1f} s, {domain_items / domain_seconds:,.0f} posts/s; "
        f"{domain_collected.report(domain_seconds)}"
    )
    lines.append("plan of the feed's query at the middle page:")
    lines += [f"  {line}" for line in query_plan]
    if items != posts:
        lines.append(f"the feed held {items} posts, the corpus {posts}")
    return lines


def position_of(settings: Settings, cursor: str | None) -> sync.Position:
    """The position a page's cursor stands for (the start for None)."""
    if cursor is None:
        return sync.Position()
    found = decode_cursor(derive_key(settings.secret_key, "cursor"), "sync:posts", cursor)
    return sync.Position(int(found["t"]), int(found["s"]))


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
        "--client",
        choices=("stdlib", "httpx"),
        default="stdlib",
        help="the HTTP client: the standard library's http.client (lean), or httpx",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="the app in this process through a TestClient, not `erfa serve` over HTTP",
    )
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() after the warm-up page"
    )
    parser.add_argument(
        "--no-freeze", action="store_true", help="gc.unfreeze() what erfa froze at its start"
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
    measured = measure(
        settings,
        email,
        args.limit,
        args.rounds,
        freeze=args.gc_freeze,
        unfreeze=args.no_freeze,
        local=args.in_process,
        client_name=args.client,
    )
    for line in measured:
        print(line)


if __name__ == "__main__":
    main()
