"""`erfa backup` and `erfa restore` of the benchmark corpus, timed.

    uv run python bench/backup.py [--posts 1000000] [--threads 10000] [--data DIR]
                                  [--database-url postgresql://postgres@127.0.0.1/erfa_bench]
                                  [--out DIR]

Seeds the corpus of PRODUCT.md with `erfa seed synthetic` as bench/pages.py does (and with
the same DIR and database, reuses it). Then, as an operator would, it runs `erfa backup`
into a new folder under `--out` (default: a temporary folder), and `erfa restore` of that
folder into a new, empty database (SQLite: a file under `--out`; PostgreSQL: the corpus
database's name with `_restored`, dropped first), each as a process of its own, and
reports wall time, CPU time of the process and its children (`pg_dump`, `pg_restore`),
the sizes, and whether the restored database holds as many posts as the corpus.
The synthetic corpus has no uploaded files; copying them is a file copy with a SHA-256
of each, at the disk's pace.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from pages import ERFA, create_database, erfa_env, seed  # bench/pages.py, beside this file

from erfa import db


def run(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (the process and its children) and stdout of `erfa ...`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run([ERFA, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode:
        raise SystemExit(f"erfa {' '.join(args)} failed:\n{out.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout.strip()


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def posts(database_url: str) -> int:
    engine = db.create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text("SELECT count(*) FROM post")).scalar_one())
    finally:
        engine.dispose()


def restore_target(database_url: str, out: Path) -> str:
    if not database_url:
        return f"sqlite:///{out / 'restored' / 'erfa.db'}"
    url = sa.make_url(database_url)
    target = url.set(database=f"{url.database}_restored")
    admin = sa.create_engine(
        url.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    finally:
        admin.dispose()
    create_database(db.create_db_engine(target.render_as_string(hide_password=False)))
    return target.render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--data", type=Path, default=Path("data/bench"))
    parser.add_argument("--database-url", default="")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    database_url = args.database_url
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    source_url = database_url or f"sqlite:///{args.data / 'erfa.db'}"
    engine = db.create_db_engine(source_url)
    if engine.dialect.name == "postgresql":
        create_database(engine)
    try:
        seed(args.data, engine, database_url, args.posts, args.threads)
    finally:
        engine.dispose()
    out = args.out or Path(tempfile.mkdtemp(prefix="erfa-bench-backup-"))
    out.mkdir(parents=True, exist_ok=True)
    folder = out / "backup"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(out / "restored", ignore_errors=True)
    source_size = (args.data / "erfa.db").stat().st_size if not database_url else None

    wall, cpu, line = run(erfa_env(args.data, database_url), "backup", str(folder))
    print(line)
    print(
        f"backup:  {wall:6.1f} s wall, {cpu:6.1f} s CPU; {folder_size(folder) / 2**20:7.1f} MiB"
        + (f" (database file {source_size / 2**20:.1f} MiB)" if source_size else "")
    )

    target = restore_target(database_url, out)
    env = erfa_env(out / "restored", target)
    env["ERFA_SECRET_KEY"] = "bench-restore-" + "k" * 32
    wall, cpu, line = run(env, "restore", str(folder))
    print(line)
    restored = posts(target)
    print(f"restore: {wall:6.1f} s wall, {cpu:6.1f} s CPU; {restored} posts restored")
    expected = posts(source_url)
    if restored != expected:
        raise SystemExit(f"the restore holds {restored} posts, the corpus {expected}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
