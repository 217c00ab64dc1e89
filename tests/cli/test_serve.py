"""`erfa serve --demo` for real: a subprocess, a port, and HTTP over loopback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.factories import DEMO_GROUP_SLUGS
from tests.ports import free_port

ERFA = str(Path(sys.executable).with_name("erfa"))
LOGIN_LINE = re.compile(r"^\S+@\S+ \S{12,} (coordinator|lead|member)$")


@contextmanager
def serving(env: dict[str, str], *args: str) -> Iterator[tuple[str, list[str]]]:
    """Runs `erfa serve` until the block ends; the list then holds what it printed."""
    port = free_port()
    process = subprocess.Popen(
        [ERFA, "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    printed: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, "erfa serve exited early"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("erfa serve did not answer within 60 s")
        yield base, printed
    finally:
        process.terminate()
        process.wait(timeout=20)
        assert process.stdout is not None
        printed += process.stdout.read().splitlines()
        process.stdout.close()


def test_serve_demo_seeds_once_prints_logins_and_keeps_data(
    fresh_database_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "ERFA_DATABASE_URL": fresh_database_url,
        "ERFA_DATA_DIR": str(tmp_path / "data"),
    }

    with serving(env, "--demo") as (base, printed):
        home = httpx.get(base + "/")
        groups = httpx.get(base + "/api/v1/groups").json()["items"]
    first = [line for line in printed if LOGIN_LINE.match(line)]

    assert home.status_code == 200
    assert "Attraktionskraft" in home.text
    assert [g["slug"] for g in groups] == DEMO_GROUP_SLUGS
    assert len(first) >= 10
    assert (tmp_path / "data" / "demo-logins.txt").stat().st_mode & 0o777 == 0o600

    with serving(env, "--demo") as (base, printed):
        again = httpx.get(base + "/api/v1/groups").json()["items"]
    second = [line for line in printed if LOGIN_LINE.match(line)]

    assert again == groups  # no re-seeding: same groups, same counts
    assert second == first  # the logins of this installation, shown again
