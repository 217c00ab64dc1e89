"""Shared models, tools, processes and research through the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

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
from api.schemas import AdoptionIn, AdoptionOut, ListOut, ResourceIn, ResourceOut, ResourcePatch
from domain import goals, research, resources, themes
from erfa.deps import IdPath, PostingPaceDep, SessionDep
from models import ResourceGoal, ResourceKind

router = APIRouter(tags=["resources"])


def resource_out(view: resources.ResourceView) -> ResourceOut:
    adoptions = [AdoptionOut.from_model(adoption, name) for adoption, name in view.adoptions]
    return ResourceOut.build(
        view.resource,
        view.group.slug,
        view.municipality,
        view.goals,
        adoptions,
        builds_on=_ids(view.builds_on),
        used_by=_ids(view.used_by),
        theme=view.theme.slug if view.theme is not None else None,
    )


def _ids(linked: list[research.Linked]) -> list[int]:
    return [item.resource.id for item in linked if item.resource.id is not None]


@router.get("/groups/{slug}/resources", responses=problem_responses(401, 404))
def list_resources(
    slug: str,
    session: SessionDep,
    actor: ApiActor,
    page: Page,
    kind: ResourceKind | None = None,
    municipality: str | None = Query(default=None, max_length=64),
    goal: int | None = Query(default=None, ge=1, le=17),
    institution: str | None = Query(
        default=None, max_length=200, description="Research items of this institution."
    ),
) -> ListOut[ResourceOut]:
    after = page.position(f"resources:{slug}")
    rows = resources.list_resources(
        session,
        actor,
        slug=slug,
        kind=kind,
        municipality=municipality,
        goal=goal,
        institution=institution,
        after_id=after["id"] if after else None,
        limit=page.fetch,
    )
    items, next_cursor = page.window(f"resources:{slug}", rows, lambda row: {"id": row[0].id})
    shown = [r for r, _, _ in items]
    tags = goals.of(session, ResourceGoal, [r.id for r in shown if r.id is not None])
    links = research.links_of(session, actor, shown)
    theme_slugs = themes.slugs_of(session, [r.theme_id for r in shown])
    return ListOut(
        items=[
            ResourceOut.build(
                r,
                g.slug,
                m,
                tags[r.id or 0],
                builds_on=_ids(links.builds_on.get(r.id or 0, [])),
                used_by=_ids(links.used_by.get(r.id or 0, [])),
                theme=theme_slugs.get(r.theme_id or 0),
            )
            for r, g, m in items
        ],
        next_cursor=next_cursor,
    )


@router.post(
    "/groups/{slug}/resources", status_code=201, responses=problem_responses(401, 403, 404, 429)
)
def share_resource(
    slug: str, data: ResourceIn, session: SessionDep, actor: ApiActor, pace: PostingPaceDep
) -> ResourceOut:
    with pace.post(actor.user_id):
        resource = resources.share_resource(
            session,
            actor,
            slug=slug,
            title=data.title,
            summary=data.summary,
            kind=data.kind,
            municipality=data.municipality,
            link=data.link,
            sections=data.sections(),
            goal_ids=data.goals,
            research_fields=data.research(),
            builds_on=data.builds_on,
            theme=data.theme,
        )
    assert resource.id is not None
    return resource_out(resources.get_resource(session, actor, resource.id))


@router.get(
    "/resources/{resource_id}",
    response_model=ResourceOut,
    responses={**problem_responses(401, 404), 200: {"headers": ETAG_HEADER}, **NOT_MODIFIED},
)
def get_resource(
    resource_id: IdPath,
    response: Response,
    session: SessionDep,
    actor: ApiActor,
    if_none_match: IfNoneMatch = None,
) -> ResourceOut | Response:
    view = resources.get_resource(session, actor, resource_id)
    etag = etag_of(view.resource.version)
    if cached := not_modified(if_none_match, etag):
        return cached
    response.headers["ETag"] = etag
    return resource_out(view)


@router.patch(
    "/resources/{resource_id}",
    responses={**problem_responses(401, 403, 404, 412), 200: {"headers": ETAG_HEADER}},
)
def update_resource(
    resource_id: IdPath,
    data: ResourcePatch,
    response: Response,
    session: SessionDep,
    actor: ApiActor,
    if_match: IfMatch = None,
) -> ResourceOut:
    resources.update_resource(
        session,
        actor,
        resource_id=resource_id,
        expected_version=if_match_version(if_match),
        title=data.title,
        summary=data.summary,
        link=data.link,
        sections=data.sections(),
        goal_ids=data.goals,
        research_fields=data.research(),
        builds_on=data.builds_on,
        theme=data.theme_change(),
    )
    view = resources.get_resource(session, actor, resource_id)
    response.headers["ETag"] = etag_of(view.resource.version)
    return resource_out(view)


@router.delete(
    "/resources/{resource_id}", status_code=204, responses=problem_responses(401, 403, 404)
)
def delete_resource(resource_id: IdPath, session: SessionDep, actor: ApiActor) -> None:
    resources.delete_resource(session, actor, resource_id=resource_id)


@router.post(
    "/resources/{resource_id}/adoptions",
    status_code=201,
    responses={**problem_responses(401, 403, 404, 429), 200: {"model": AdoptionOut}},
)
def record_adoption(
    resource_id: IdPath,
    data: AdoptionIn,
    response: Response,
    session: SessionDep,
    actor: ApiActor,
    pace: PostingPaceDep,
) -> AdoptionOut:
    """Record that a municipality (by default the caller's own) tried the resource: 201.
    A municipality that reported before gets its new report added to its adoption: 200."""
    with pace.post(actor.user_id):
        recorded = resources.record_adoption(
            session,
            actor,
            resource_id=resource_id,
            municipality=data.municipality,
            summary=data.summary,
            outcome=data.outcome,
            adopted_on=data.adopted_on,
        )
    if not recorded.created:
        response.status_code = 200
    view = resources.get_resource(session, actor, resource_id)
    adoption = recorded.adoption
    name = next(n for a, n in view.adoptions if a.id == adoption.id)
    return AdoptionOut.from_model(adoption, name)
