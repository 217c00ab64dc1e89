"""Groups through the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import ApiActor, Page
from api.problems import problem_responses
from api.schemas import GroupOut, ListOut
from domain import groups
from erfa.deps import SessionDep

router = APIRouter(tags=["groups"])


@router.get("/groups", responses=problem_responses())
def list_groups(session: SessionDep, actor: ApiActor, page: Page) -> ListOut[GroupOut]:
    """Open and closed groups, and the secret ones the caller belongs to."""
    position = page.position("groups")
    views = groups.list_groups(
        session, actor, after_id=position["id"] if position else None, limit=page.limit + 1
    )
    more = len(views) > page.limit
    views = views[: page.limit]
    last = {"id": views[-1].group.id} if more and views else None
    return ListOut(
        items=[GroupOut.from_view(view) for view in views],
        next_cursor=page.next_cursor("groups", last),
    )


@router.get("/groups/{slug}", responses=problem_responses(404))
def get_group(slug: str, session: SessionDep, actor: ApiActor, response: Response) -> GroupOut:
    view = groups.get_group(session, actor, slug)
    response.headers["ETag"] = f'"{view.group.version}"'
    return GroupOut.from_view(view)
