"""Full-text search through the JSON API."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from api import examples
from api.auth import ApiActor
from api.pagination import Page
from api.problems import problem_responses
from api.schemas import ListOut
from domain import search
from erfa.deps import SessionDep

router = APIRouter(tags=["search"])


class SearchHitOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.SEARCH_HIT_OUT]})

    type: Literal["thread", "post", "resource"]
    id: int
    title: str
    snippet: str
    """An HTML excerpt: escaped text with the matching words in <mark>."""
    group: str
    thread_id: int | None


@router.get("/search", responses=problem_responses(401))
def search_content(
    session: SessionDep,
    actor: ApiActor,
    page: Page,
    q: str = Query(min_length=1, max_length=500),
    group: str | None = Query(default=None, max_length=64),
    kind: Literal["thread", "post", "resource"] | None = None,
) -> ListOut[SearchHitOut]:
    """Threads, posts and resources the caller may read, best matches first."""
    cursor_kind = f"search:{q}:{group}:{kind}"
    after = page.position(cursor_kind)
    offset = int(after["offset"]) if after else 0
    hits = search.search(
        session, actor, q=q, group=group, kind=kind, offset=offset, limit=page.fetch
    )
    items, next_cursor = page.window(cursor_kind, hits, lambda _: {"offset": offset + page.limit})
    return ListOut(
        items=[
            SearchHitOut(
                type=h.kind,
                id=h.id,
                title=h.title,
                snippet=h.snippet_html,
                group=h.group,
                thread_id=h.thread_id,
            )
            for h in items
        ],
        next_cursor=next_cursor,
    )
