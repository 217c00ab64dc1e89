"""Pages: thin adapters that call one domain service and render its result."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from domain import groups
from erfa.deps import SessionDep
from web.deps import SignedIn
from web.rendering import render

router = APIRouter()


@router.get("/api/docs", name="api:docs", response_class=HTMLResponse)
def api_docs(request: Request, actor: SignedIn) -> HTMLResponse:
    """The API reference (Swagger UI), served with erfa's own copy of its assets."""
    return render(request, "api_docs.html")


@router.get("/", name="home:index", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    directory = groups.list_groups(session, actor)
    return render(request, "home.html", {"groups": directory}, block="group_list")
