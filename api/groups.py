"""Groups through the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import ApiActor
from api.etags import etag_of, not_modified
from api.pagination import Page
from api.problems import problem_responses
from api.schemas import GroupOut, ListOut
from domain import groups
from erfa.deps import SessionDep

router = APIRouter(tags=["groups"])


@router.get("/groups", responses=problem_responses())
def list_groups(session: SessionDep, actor: ApiActor, page: Page) -> ListOut[GroupOut]:
    """Open and closed groups, and the secret ones the caller belongs to."""
    after = page.position("groups")
    views = groups.list_groups(
        session, actor, after_id=after["id"] if after else None, limit=page.fetch
    )
    items, next_cursor = page.window("groups", views, lambda view: {"id": view.group.id})
    return ListOut(items=[GroupOut.from_view(view) for view in items], next_cursor=next_cursor)


@router.get(
    "/groups/{slug}",
    response_model=GroupOut,
    responses={**problem_responses(404), 304: {"description": "Not modified"}},
)
def get_group(
    slug: str, request: Request, response: Response, session: SessionDep, actor: ApiActor
) -> GroupOut | Response:
    view = groups.get_group(session, actor, slug)
    etag = etag_of(view.group.version)
    if cached := not_modified(request, etag):
        return cached
    response.headers["ETag"] = etag
    return GroupOut.from_view(view)
