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

MAX_RESULTS = 50


@router.get("/search", name="search:index", response_class=HTMLResponse)
def search_page(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    q: str = Query(default="", max_length=500),
    kind: str = Query(default="", max_length=16),
    group: str = Query(default="", max_length=64),
) -> HTMLResponse:
    results: list[search.ResultView] = []
    invalid = False
    if q.strip():
        try:
            results = search.search_by_discussion(
                session, actor, q=q, kind=kind or None, group=group or None, limit=MAX_RESULTS
            )
        except Invalid:
            invalid = True
    context = {
        "q": q,
        "kind": kind,
        "group": group,
        "results": results,
        "invalid": invalid,
        "groups": groups.list_groups(session, actor),
    }
    return render(request, "search.html", context, block="results")
