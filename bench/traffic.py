"""Search latency and posting throughput on the benchmark corpus.

    uv run python bench/traffic.py --data DIR [--database-url URL] [--seconds 10]
                                   [--connections 16] [--searches 200]

Uses the corpus that `bench/pages.py` seeded into DIR (seeding it when DIR holds no login),
starts `erfa serve --workers 2` with the posting pace off (`ERFA_MIN_POST_INTERVAL_S=0`),
and signs in as the corpus official. Then:

- search: `--searches` queries of `/search?q=WORD`, words drawn (with a fixed seed) from the
  corpus's own posts, first one at a time (the latency an official sees), then from
  `--connections` clients at once; median, p95 and p99 of each;
- posting: `--connections` clients, each with its own session, reply through the page's form
  (`POST /t/{id}/reply`, CSRF token and all) to discussions of the official's groups, one
  discussion per client, for `--seconds`; replies per second (each one answered 303) and
  the latency of a reply.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from pages import bench_settings, seed, serving  # bench/pages.py

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def percentiles(seconds: list[float]) -> str:
    ordered = sorted(seconds)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    median = statistics.median(ordered) * 1000
    return f"median {median:.1f} ms, p95 {at(0.95):.1f} ms, p99 {at(0.99):.1f} ms"


def corpus_words(engine: sa.Engine, count: int) -> list[str]:
    with engine.connect() as connection:
        bodies = connection.execute(sa.text("SELECT body FROM post WHERE id % 997 = 1 LIMIT 400"))
        words = sorted({w.lower() for (body,) in bodies for w in re.findall(r"[^\W\d_]{5,}", body)})
    chooser = random.Random(14)
    return [chooser.choice(words) for _ in range(count)]


def official_threads(engine: sa.Engine, email: str, count: int) -> list[int]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT t.id FROM thread t JOIN membership m ON m.group_id = t.group_id "
                "JOIN user_account u ON u.id = m.user_id WHERE u.email = :email "
                "AND NOT t.locked ORDER BY t.id LIMIT :count"
            ),
            {"email": email, "count": count},
        )
        return [row[0] for row in rows]


async def signed_in(base: str, email: str, password: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=30)
    form = (await client.get("/login")).text
    token = TOKEN.search(form)
    assert token is not None
    data = {"email": email, "password": password, "csrf_token": token.group(1)}
    response = await client.post("/login", data=data)
    assert response.status_code == 303, response.status_code
    return client


async def searches(clients: list[httpx.AsyncClient], words: list[str]) -> list[float]:
    queue = list(words)
    took: list[float] = []

    async def run(client: httpx.AsyncClient) -> None:
        while queue:
            word = queue.pop()
            started = time.perf_counter()
            response = await client.get("/search", params={"q": word})
            took.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code

    await asyncio.gather(*(run(client) for client in clients))
    return took


async def posting(
    clients: list[httpx.AsyncClient], thread_ids: list[int], seconds: float
) -> tuple[int, list[float], int]:
    deadline = time.perf_counter() + seconds
    took: list[float] = []
    refused = 0

    async def run(client: httpx.AsyncClient, thread_id: int) -> None:
        nonlocal refused
        page = (await client.get(f"/t/{thread_id}")).text
        token = TOKEN.search(page)
        assert token is not None, f"no reply form on /t/{thread_id}"
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            body = f"Svar {n} från mätningen: så gör vi i vår kommun, steg för steg."
            started = time.perf_counter()
            response = await client.post(
                f"/t/{thread_id}/reply", data={"body": body, "csrf_token": token.group(1)}
            )
            if response.status_code == 303:
                took.append(time.perf_counter() - started)
            else:
                refused += 1

    await asyncio.gather(*(run(c, t) for c, t in zip(clients, thread_ids, strict=False)))
    return len(took), took, refused


async def measure(args: argparse.Namespace, base: str, email: str, password: str) -> None:
    settings = bench_settings(args.data, args.database_url)
    engine = sa.create_engine(settings.database_url)
    try:
        words = corpus_words(engine, args.searches)
        thread_ids = official_threads(engine, email, args.connections)
    finally:
        engine.dispose()
    clients = [await signed_in(base, email, password) for _ in range(args.connections)]
    try:
        await searches(clients[:1], words[:20])  # warm up
        alone = await searches(clients[:1], words)
        print(f"search, one at a time ({len(alone)}): {percentiles(alone)}")
        together = await searches(clients, words)
        print(f"search, {len(clients)} clients ({len(together)}): {percentiles(together)}")
        replies, took, refused = await posting(clients, thread_ids, args.seconds)
        print(
            f"posting, {len(thread_ids)} clients for {args.seconds:.0f} s: {replies} replies, "
            f"{replies / args.seconds:.0f} a second, {refused} refused; {percentiles(took)}"
        )
    finally:
        for client in clients:
            await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args()
    args.data = args.data or Path(tempfile.mkdtemp(prefix="erfa-traffic-"))
    settings = bench_settings(args.data, args.database_url)
    engine = sa.create_engine(settings.database_url)
    try:
        email, password = seed(args.data, engine, args.database_url, 1_000_000, 10_000)
    finally:
        engine.dispose()
    with serving(args.data, args.database_url, 2) as (base, _):
        asyncio.run(measure(args, base, email, password))


if __name__ == "__main__":
    main()
