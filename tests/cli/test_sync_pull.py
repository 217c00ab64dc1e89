"""`erfa sync pull`, the reference client of the changes feed: it mirrors a demo instance,
follows edits, deletions and hiding, and resumes after being killed mid-way."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from erfa import db, sync_client
from models import MemberRole, User
from tests.cli.test_serve import ERFA, serving
from tests.factories import make_group, make_membership, make_user

Client = Callable[[User], TestClient]


def mirrored(out: Path) -> dict[int, dict[str, Any]]:
    return {
        item["id"]: item for item in map(json.loads, out.read_text(encoding="utf-8").splitlines())
    }


def live_posts(database_url: str) -> dict[int, tuple[Any, ...]]:
    """Every live post of the demo (the coordinator reads every group of it)."""
    engine = db.create_db_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT post.id, post.body, post.version, post.thread_id, g.slug"
                " FROM post JOIN thread ON thread.id = post.thread_id"
                ' JOIN "group" g ON g.id = thread.group_id'
                " WHERE post.deleted_at IS NULL AND post.hidden_at IS NULL"
            )
        ).all()
    engine.dispose()
    return {row[0]: tuple(row[1:]) for row in rows}


def as_rows(mirror: dict[int, dict[str, Any]]) -> dict[int, tuple[Any, ...]]:
    return {
        key: (item["body"], item["version"], item["thread_id"], item["group"])
        for key, item in mirror.items()
    }


def pull(base: str, token: str, out: Path) -> str:
    result = subprocess.run(
        [ERFA, "sync", "pull", "--url", base, "--token", token, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_a_mirror_of_the_demo_follows_edits_deletions_and_hiding(
    fresh_database_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "ERFA_DATABASE_URL": fresh_database_url,
        "ERFA_DATA_DIR": str(tmp_path / "data"),
        "ERFA_MIN_POST_INTERVAL_S": "0",
    }
    out = tmp_path / "mirror.jsonl"
    with serving(env, "--demo") as (base, _):
        logins = (tmp_path / "data" / "demo-logins.txt").read_text().splitlines()
        email, password, _ = next(line.split() for line in logins if "coordinator" in line)
        api = httpx.Client(base_url=f"{base}/api/v1")
        token = api.post("/auth/token", data={"username": email, "password": password})
        api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

        printed = pull(base, api.headers["Authorization"].split()[1], out)
        assert as_rows(mirrored(out)) == live_posts(fresh_database_url)
        assert "posts in" in printed

        mine = [i for i in mirrored(out).values() if i["author"]["name"] == "Anna Lindqvist"]
        others = [i for i in mirrored(out).values() if i["author"]["name"] != "Anna Lindqvist"]
        edited = api.patch(f"/posts/{mine[0]['id']}", json={"body": "Rättad av Anna."})
        assert edited.status_code == 200, edited.text
        assert api.delete(f"/posts/{mine[1]['id']}").status_code == 204
        ungdom = next(i for i in others if i["group"] == "ungdom")
        hidden = api.post(f"/posts/{ungdom['id']}/hide", json={"reason": "Prov"})
        assert hidden.status_code == 200, hidden.text
        api.close()

        pull(base, token.json()["access_token"], out)
    mirror = mirrored(out)
    assert as_rows(mirror) == live_posts(fresh_database_url)
    assert mirror[mine[0]["id"]]["body"] == "Rättad av Anna."
    assert mine[1]["id"] not in mirror
    assert ungdom["id"] not in mirror
    assert json.loads((tmp_path / "mirror.jsonl.state").read_text())["cursor"]


def test_a_pull_killed_mid_way_resumes_from_its_saved_cursor(
    api_as: Client, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = make_group(session, slug="spegel")
    writer = make_user(session)
    make_membership(session, group=group, user=writer, role=MemberRole.LEAD)
    client = api_as(writer)
    thread = client.post("/api/v1/groups/spegel/threads", json={"title": "T", "body": "0"}).json()
    for n in range(1, 9):
        client.post(f"/api/v1/threads/{thread['id']}/posts", json={"body": str(n)})
    monkeypatch.setattr(sync_client, "PAGE_LIMIT", 2)
    monkeypatch.setattr(sync_client, "SAVE_EVERY_PAGES", 1)
    out = tmp_path / "mirror.jsonl"

    calls = {"n": 0}
    real_get = client.get

    def dying_get(url: str, **kwargs: Any) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 3:
            raise httpx.ReadError("the connection dropped")
        return real_get(url, **kwargs)

    monkeypatch.setattr(client, "get", dying_get)
    with pytest.raises(sync_client.SyncError):
        sync_client.pull(client, out)
    assert sorted(i["body"] for i in mirrored(out).values()) == ["0", "1", "2", "3"]

    monkeypatch.setattr(client, "get", real_get)
    first = client.get(f"/api/v1/threads/{thread['id']}/posts").json()["items"][0]
    client.delete(f"/api/v1/posts/{first['id']}")
    result = sync_client.pull(client, out)
    assert sorted(i["body"] for i in mirrored(out).values()) == [str(n) for n in range(1, 9)]
    assert result.removed == 1


def test_a_refused_token_is_one_line_and_exit_1(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from erfa.cli import app

    result = CliRunner().invoke(
        app,
        ["sync", "pull", "--url", "ftp://x", "--token", "t", "--out", str(tmp_path / "m.jsonl")],
    )
    assert result.exit_code == 1
    assert "--url must start with http:// or https://" in result.output
