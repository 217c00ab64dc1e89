"""One search box over everything the reader may read."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from domain import groups, search
from domain.errors import Invalid
from erfa.deps import SessionDep
from web.deps import SignedIn
from web.rendering import render

router = APIRouter()


@router.get("/search", name="search:index", response_class=HTMLResponse)
def search_page(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    q: str = Query(default="", max_length=500),
    kind: str = Query(default="", max_length=16),
    group: str = Query(default="", max_length=64),
) -> HTMLResponse:
    hits: list[search.Hit] = []
    invalid = False
    if q.strip():
        try:
            hits = search.search(
                session, actor, q=q, kind=kind or None, group=group or None, limit=50
            )
        except Invalid:
            invalid = True
    context = {
        "q": q,
        "kind": kind,
        "group": group,
        "hits": hits,
        "invalid": invalid,
        "groups": groups.list_groups(session, actor),
    }
    return render(request, "search.html", context, block="results")
