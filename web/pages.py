"""Pages: thin adapters that call one domain service and render its result."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from domain import directory, groups, threads
from erfa.deps import SessionDep
from models import utcnow
from web.deps import SignedIn
from web.rendering import render

router = APIRouter()


@router.get("/api/docs", name="api:docs", response_class=HTMLResponse)
def api_docs(request: Request, actor: SignedIn) -> HTMLResponse:
    """The API reference (Swagger UI), served with erfa's own copy of its assets."""
    return render(request, "api_docs.html")


@router.get("/", name="home:index", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    views = groups.list_groups(session, actor)
    context = {
        "groups": views,
        "mine": [view for view in views if view.role is not None],
        "recent": threads.recent_activity(session, actor, limit=8),
        "theme": directory.current_theme(session, utcnow().year),
    }
    return render(request, "home.html", context, block="group_list")
