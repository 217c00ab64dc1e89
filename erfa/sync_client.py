"""The reference client of the changes feed (`erfa sync pull`): a mirror of every post the
token's owner may read, as JSON Lines, kept up to date by following `next_cursor`.

Beside `FILE.jsonl` it keeps `FILE.jsonl.state` with the cursor. Both are replaced
atomically (written aside, then renamed), the mirror first: a run killed at any moment
resumes from the last cursor it saved, and applying a page twice changes nothing, since
each item is the post's whole current state. Tombstones (deleted or hidden posts) take the
post out of the mirror.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

PAGE_LIMIT = 1000
SAVE_EVERY_PAGES = 20
"""The mirror is rewritten whole: every so many pages, and at the end."""


class SyncError(Exception):
    """The server refused or did not answer; the message says which and why."""


@dataclass(frozen=True)
class PullResult:
    pages: int
    applied: int
    removed: int
    mirrored: int


def state_path(out: Path) -> Path:
    return out.with_name(out.name + ".state")


def load(out: Path) -> tuple[dict[int, dict[str, Any]], str | None]:
    mirror: dict[int, dict[str, Any]] = {}
    if out.exists():
        with out.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    item = json.loads(line)
                    mirror[int(item["id"])] = item
    state = state_path(out)
    cursor = json.loads(state.read_text())["cursor"] if state.exists() else None
    return mirror, cursor


def _replace(path: Path, text: str) -> None:
    aside = path.with_name(path.name + ".tmp")
    with aside.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    aside.replace(path)


def save(out: Path, mirror: dict[int, dict[str, Any]], cursor: str | None) -> None:
    lines = "".join(json.dumps(mirror[key], ensure_ascii=False) + "\n" for key in sorted(mirror))
    _replace(out, lines)
    _replace(state_path(out), json.dumps({"cursor": cursor}))


def pull(
    client: httpx.Client,
    out: Path,
    *,
    on_page: Callable[[int], None] | None = None,
) -> PullResult:
    """Follow the feed from the saved cursor until nothing more is waiting."""
    mirror, cursor = load(out)
    pages = applied = removed = 0
    while True:
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if cursor:
            params["cursor"] = cursor
        try:
            response = client.get("/api/v1/sync/posts", params=params)
        except httpx.HTTPError as exc:
            raise SyncError(f"The server did not answer: {exc}") from exc
        if response.status_code != 200:
            raise SyncError(_problem(response))
        page = response.json()
        for item in page["items"]:
            if item["deleted"] or item["hidden"]:
                removed += mirror.pop(int(item["id"]), None) is not None
            else:
                mirror[int(item["id"])] = item
            applied += 1
        cursor = page["next_cursor"]
        pages += 1
        if on_page is not None:
            on_page(pages)
        if not page["has_more"]:
            break
        if pages % SAVE_EVERY_PAGES == 0:
            save(out, mirror, cursor)
    save(out, mirror, cursor)
    return PullResult(pages, applied, removed, len(mirror))


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
        detail = body.get("detail") or body.get("title")
    except ValueError:
        detail = response.text[:200]
    return f"{response.status_code}: {detail}"
