"""A member municipality's page at /k/{slug}: its officials, representative, what it shared
and tried, the events its officials arrange, and for the coordinators its membership per
year. Names of municipalities elsewhere link here (templates/components/people.html), and
an @mention in a post (`/u/{handle}`, domain/markup.py) leads to its official on it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from domain import municipalities
from erfa.deps import SessionDep
from web.deps import SignedIn
from web.rendering import render, see_other

router = APIRouter()


@router.get("/k/{slug}", name="municipalities:page", response_class=HTMLResponse)
def page(request: Request, slug: str, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    view = municipalities.municipality_page(session, actor, slug)
    return render(request, "municipalities/page.html", {"page": view})


@router.get("/u/{handle}", name="municipalities:official")
def official(request: Request, handle: str, session: SessionDep, actor: SignedIn) -> Response:
    slug, anchor = municipalities.official_anchor(session, actor, handle)
    return see_other(request, f"/k/{slug}#{anchor}")
