"""Where a page's time goes: py-spy samples a running `erfa serve` worker under load.

    uv run python bench/profile.py --data DIR [--database-url URL] [--page thread|group|start]
                                   [--seconds 20] [--connections 16] [--top 30]

Uses the corpus that `bench/pages.py` seeded into DIR (or seeds a small one: 20 000 posts in
200 threads, when DIR holds no login), starts `erfa serve` with one worker, signs in as the
corpus official, and drives the page with wrk while `py-spy record` samples the worker at
250 Hz, only the thread that holds the GIL: what the worker's one core spends its Python
time on (a thread waiting for the GIL, or for the database with the GIL released, is not
counted). py-spy is a dev dependency; it reads the process's memory, so it needs ptrace
rights (root, or `kernel.yama.ptrace_scope=0`).

It prints the share of samples that fall in each part of the stack (erfa's own code per
module, SQLAlchemy, the database driver, Jinja2 templates, FastAPI/Starlette, the event
loop, the thread pool) and the functions with the most samples of their own, and keeps the
folded stacks in `DIR/profile-<page>.txt` for a flame graph (e.g. speedscope.app opens it).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import sqlalchemy as sa
from pages import bench_settings, seed, serving, sign_in  # bench/pages.py

PARTS = (
    # (label, what a frame's file path contains), first match wins for a sample's leaf
    ("sqlite3 driver", "sqlite3/"),
    ("psycopg driver", "psycopg"),
    ("SQLAlchemy", "sqlalchemy/"),
    ("SQLModel", "sqlmodel/"),
    ("Jinja2 templates", ".html"),
    ("Jinja2", "jinja2"),
    ("markupsafe", "markupsafe"),
    ("pydantic", "pydantic"),
    ("FastAPI", "fastapi/"),
    ("Starlette", "starlette/"),
    ("uvicorn", "uvicorn/"),
    ("anyio thread pool", "anyio/"),
    ("asyncio", "asyncio/"),
    ("babel", "babel/"),
    ("erfa domain", "(domain/"),
    ("erfa web", "(web/"),
    ("erfa api", "(api/"),
    ("erfa core", "(erfa/"),
    ("erfa models", "(models/"),
)


def part_of(frame: str) -> str:
    for label, marker in PARTS:
        if marker in frame:
            return label
    return "other"


def summarise(folded: Path, top: int) -> str:
    """Self time per part and per function, and inclusive time of erfa's own functions."""
    own: Counter[str] = Counter()
    parts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        leaf = frames[-1]
        own[leaf] += n
        parts[part_of(leaf)] += n
        for frame in set(frames):
            if any(f"({package}/" in frame for package in ("domain", "web", "api", "erfa")):
                inclusive[frame] += n
    if not total:
        return "no samples: is py-spy allowed to read the worker (ptrace)?"
    lines = [f"{total} samples", "", "| part (self time) | share |", "| --- | --- |"]
    lines += [f"| {label} | {n / total:.1%} |" for label, n in parts.most_common()]
    lines += ["", "| function (self time) | share |", "| --- | --- |"]
    lines += [f"| `{frame}` | {n / total:.1%} |" for frame, n in own.most_common(top)]
    lines += ["", "| erfa function (inclusive) | share |", "| --- | --- |"]
    lines += [f"| `{frame}` | {n / total:.1%} |" for frame, n in inclusive.most_common(top)]
    return "\n".join(lines)


def page_path(engine: sa.Engine, page: str) -> str:
    if page == "start":
        return "/"
    with engine.connect() as connection:
        slug, thread_id = connection.execute(
            sa.text(
                'SELECT g.slug, t.id FROM thread t JOIN "group" g ON g.id = t.group_id '
                "WHERE t.post_count BETWEEN 90 AND 110 ORDER BY t.id LIMIT 1"
            )
        ).one()
    return f"/t/{thread_id}" if page == "thread" else f"/g/{slug}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--page", choices=("thread", "group", "start"), default="thread")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    for tool in ("wrk", "py-spy"):
        if shutil.which(tool) is None and not Path(sys.executable).with_name(tool).exists():
            raise SystemExit(f"{tool} is missing (wrk: apt-get install wrk; py-spy: uv sync)")
    data = args.data or Path(tempfile.mkdtemp(prefix="erfa-profile-"))
    settings = bench_settings(data, args.database_url)
    engine = sa.create_engine(settings.database_url)
    try:
        email, password = seed(data, engine, args.database_url, 20_000, 200)
        path = page_path(engine, args.page)
    finally:
        engine.dispose()
    folded = data / f"profile-{args.page}.txt"
    with serving(data, args.database_url, 1) as (base, server):
        cookies = sign_in(base, email, password)
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        httpx.get(base + path, cookies=cookies, timeout=30).raise_for_status()  # first view
        load = ["wrk", "-t2", f"-c{args.connections}", "-H", f"Cookie: {cookie}", base + path]
        subprocess.run([*load, "-d3s"], capture_output=True, check=True)  # warm up
        with subprocess.Popen(
            [*load, f"-d{args.seconds + 2}s"], stdout=subprocess.PIPE, text=True
        ) as wrk:
            time.sleep(1)
            py_spy = str(Path(sys.executable).with_name("py-spy"))
            sampling = ["--rate", "250", "--gil", "--nonblocking", "--format", "raw"]
            output = ["--duration", str(args.seconds), "--output", str(folded)]
            subprocess.run(
                [py_spy, "record", "--pid", str(server.pid), *sampling, *output],
                check=True,
                capture_output=True,
            )
            out, _ = wrk.communicate()
    rate = next((line for line in out.splitlines() if line.startswith("Requests/sec")), "")
    print(f"{args.page} page {path}: {rate.strip()} (one worker, {args.connections} connections)")
    print(summarise(folded, args.top))
    print(f"\nfolded stacks: {folded}")


if __name__ == "__main__":
    main()
