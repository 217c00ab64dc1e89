"""Pages: thin adapters that call one domain service and render its result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from domain import home
from erfa.deps import SideWritesDep
from web.deps import SignedIn, read_page
from web.rendering import render

router = APIRouter()


@router.get("/api/docs", name="api:docs", response_class=HTMLResponse)
def api_docs(request: Request, actor: SignedIn) -> HTMLResponse:
    """The API reference (Swagger UI), served with erfa's own copy of its assets."""
    return render(request, "api_docs.html")


@router.get("/", name="home:index", response_class=HTMLResponse)
async def index(
    request: Request,
    side: SideWritesDep,
    goal: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    context = await read_page(
        request, side, lambda session, actor: home.start_page(session, actor, goal=goal).context()
    )
    return render(request, "home.html", context, block=("group_list", "recent_list"))
