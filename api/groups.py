"""Groups through the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from api.auth import ApiActor
from api.etags import (
    ETAG_HEADER,
    NOT_MODIFIED,
    IfMatch,
    IfNoneMatch,
    etag_of,
    if_match_version,
    not_modified,
)
from api.pagination import Page
from api.problems import problem_responses
from api.schemas import (
    GroupIn,
    GroupOut,
    GroupPatch,
    JoinIn,
    JoinRequestOut,
    ListOut,
    MembershipIn,
    MembershipOut,
    PersonOut,
)
from domain import groups
from erfa.deps import IdPath, SessionDep

router = APIRouter(tags=["groups"])


@router.get("/groups", responses=problem_responses(401))
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
    responses={**problem_responses(401, 404), 200: {"headers": ETAG_HEADER}, **NOT_MODIFIED},
)
def get_group(
    slug: str,
    response: Response,
    session: SessionDep,
    actor: ApiActor,
    if_none_match: IfNoneMatch = None,
) -> GroupOut | Response:
    view = groups.get_group(session, actor, slug)
    etag = etag_of(view.version)
    if cached := not_modified(if_none_match, etag):
        return cached
    response.headers["ETag"] = etag
    return GroupOut.from_view(view)


@router.post("/groups", status_code=201, responses=problem_responses(401, 403, 409, 422))
def create_group(data: GroupIn, session: SessionDep, actor: ApiActor) -> GroupOut:
    """A new group; its first leads are `leads`, or without them the caller."""
    group = groups.create_group(
        session,
        actor,
        slug=data.slug,
        name=data.name,
        focus_area=groups.parse_focus_area(data.focus_area),
        description=data.description,
        visibility=data.visibility,
        goal_ids=data.goals,
        theme=data.theme,
        leads=data.leads,
    )
    return GroupOut.from_view(groups.created_view(session, actor, group))


@router.patch(
    "/groups/{slug}",
    responses={**problem_responses(401, 403, 404, 409, 412), 200: {"headers": ETAG_HEADER}},
)
def update_group(
    slug: str,
    data: GroupPatch,
    response: Response,
    session: SessionDep,
    actor: ApiActor,
    if_match: IfMatch = None,
) -> GroupOut:
    """Leads change description, goals and theme; coordinators also name, focus area and
    visibility (a lead who changes those gets a 403)."""
    group = groups.update_group(
        session,
        actor,
        slug=slug,
        name=data.name,
        description=data.description,
        focus_area=groups.parse_focus_area(data.focus_area) if data.focus_area else None,
        visibility=data.visibility,
        goal_ids=data.goals,
        theme=data.theme,
        expected_version=if_match_version(if_match),
    )
    return _group_out(session, actor, group.slug, response)


@router.post(
    "/groups/{slug}/archive",
    responses={**problem_responses(401, 403, 404, 409), 200: {"headers": ETAG_HEADER}},
)
def archive_group(slug: str, response: Response, session: SessionDep, actor: ApiActor) -> GroupOut:
    """Coordinators: the group becomes read-only (still readable); 409 if it is already."""
    groups.set_archived(session, actor, slug=slug, archived=True)
    return _group_out(session, actor, slug, response)


@router.post(
    "/groups/{slug}/unarchive",
    responses={**problem_responses(401, 403, 404, 409), 200: {"headers": ETAG_HEADER}},
)
def unarchive_group(
    slug: str, response: Response, session: SessionDep, actor: ApiActor
) -> GroupOut:
    groups.set_archived(session, actor, slug=slug, archived=False)
    return _group_out(session, actor, slug, response)


def _group_out(session: SessionDep, actor: ApiActor, slug: str, response: Response) -> GroupOut:
    view = groups.get_group(session, actor, slug, administering=True)
    response.headers["ETag"] = etag_of(view.version)
    return GroupOut.from_view(view)


@router.post(
    "/groups/{slug}/join",
    response_model=MembershipOut,
    responses={
        **problem_responses(401, 403, 404, 409),
        202: {"model": JoinRequestOut, "description": "Closed group: the request is pending."},
    },
)
def join_group(
    slug: str, session: SessionDep, actor: ApiActor, data: JoinIn | None = None
) -> MembershipOut | JSONResponse:
    """Open group: a membership (200). Closed group: a request for its leads (202)."""
    outcome = groups.join_group(session, actor, slug=slug, message=data.message if data else "")
    if outcome.request is not None:
        pending = JoinRequestOut.from_model(outcome.request, slug)
        return JSONResponse(pending.model_dump(mode="json"), status_code=202)
    return membership_out(groups.get_membership(session, actor, slug=slug, user_id=actor.user_id))


@router.get("/groups/{slug}/members", responses=problem_responses(401, 404))
def list_members(
    slug: str, session: SessionDep, actor: ApiActor, page: Page
) -> ListOut[MembershipOut]:
    after = page.position(f"members:{slug}")
    views = groups.list_members(
        session, actor, slug=slug, after_id=after["id"] if after else None, limit=page.fetch
    )
    items, next_cursor = page.window(
        f"members:{slug}", views, lambda view: {"id": view.membership.id}
    )
    return ListOut(items=[membership_out(view) for view in items], next_cursor=next_cursor)


@router.put("/groups/{slug}/members/{user_id}", responses=problem_responses(401, 403, 404, 409))
def set_member(
    slug: str, user_id: IdPath, data: MembershipIn, session: SessionDep, actor: ApiActor
) -> MembershipOut:
    """Leads add members; only coordinators make (or unmake) leads; a group keeps at
    least one lead (409)."""
    groups.set_member(session, actor, slug=slug, user_id=user_id, role=data.role)
    return membership_out(groups.get_membership(session, actor, slug=slug, user_id=user_id))


@router.delete(
    "/groups/{slug}/members/{user_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409),
)
def remove_member(slug: str, user_id: IdPath, session: SessionDep, actor: ApiActor) -> None:
    groups.remove_member(session, actor, slug=slug, user_id=user_id)


@router.get("/groups/{slug}/join-requests", responses=problem_responses(401, 403, 404))
def list_join_requests(slug: str, session: SessionDep, actor: ApiActor) -> ListOut[JoinRequestOut]:
    views = groups.list_join_requests(session, actor, slug=slug)
    items = [JoinRequestOut.from_model(view.request, view.group) for view in views]
    return ListOut(items=items, next_cursor=None)


@router.post("/join-requests/{request_id}/approve", responses=problem_responses(401, 403, 404, 409))
def approve_join_request(
    request_id: IdPath, session: SessionDep, actor: ApiActor
) -> JoinRequestOut:
    decided = groups.decide_join_request(session, actor, request_id=request_id, approve=True)
    return JoinRequestOut.from_model(decided.request, decided.group)


@router.post("/join-requests/{request_id}/deny", responses=problem_responses(401, 403, 404, 409))
def deny_join_request(request_id: IdPath, session: SessionDep, actor: ApiActor) -> JoinRequestOut:
    decided = groups.decide_join_request(session, actor, request_id=request_id, approve=False)
    return JoinRequestOut.from_model(decided.request, decided.group)


def membership_out(view: groups.MemberView) -> MembershipOut:
    return MembershipOut(
        group=view.group,
        user=PersonOut.of(view.user, view.municipality),
        role=view.membership.role,
        created_at=view.membership.created_at,
    )
