"""Discussions and posts through the JSON API."""

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
from api.schemas import ListOut, PostIn, PostOut, PostPatch, ThreadIn, ThreadOut
from domain import goals, themes, threads
from erfa.deps import IdPath, PostingPaceDep, SessionDep
from models import ThreadGoal

router = APIRouter(tags=["threads"])


@router.get("/groups/{slug}/threads", responses=problem_responses(401, 404))
def list_threads(
    slug: str,
    session: SessionDep,
    actor: ApiActor,
    page: Page,
    goal: int | None = Query(default=None, ge=1, le=17),
) -> ListOut[ThreadOut]:
    """Pinned first, then by last activity; `goal` keeps those tagged with that goal."""
    scope = f"threads:{slug}" if goal is None else f"threads:{slug}:goal:{goal}"
    after = page.position(scope)
    offset = after["offset"] if after else 0
    rows = threads.list_threads(
        session, actor, slug=slug, offset=offset, limit=page.fetch, goal=goal
    )
    items, next_cursor = page.window(scope, rows, lambda _: {"offset": offset + page.limit})
    tags = goals.of(session, ThreadGoal, [t.id for t, _ in items if t.id is not None])
    theme_slugs = themes.slugs_of(session, [t.theme_id for t, _ in items])
    return ListOut(
        items=[
            ThreadOut.from_model(t, slug, tags[t.id or 0], theme=theme_slugs.get(t.theme_id or 0))
            for t, _ in items
        ],
        next_cursor=next_cursor,
    )


@router.post(
    "/groups/{slug}/threads", status_code=201, responses=problem_responses(401, 403, 404, 429)
)
def start_thread(
    slug: str, data: ThreadIn, session: SessionDep, actor: ApiActor, pace: PostingPaceDep
) -> ThreadOut:
    with pace.post(actor.user_id):
        thread = threads.start_thread(
            session,
            actor,
            slug=slug,
            title=data.title,
            body=data.body,
            goal_ids=data.goals,
            theme=data.theme,
        )
    assert thread.id is not None
    first = threads.list_posts(session, actor, thread_id=thread.id, limit=1)
    theme = themes.slugs_of(session, [thread.theme_id]).get(thread.theme_id or 0)
    return ThreadOut.from_model(
        thread, slug, sorted(set(data.goals)), PostOut.from_view(first[0]), theme=theme
    )


@router.get(
    "/threads/{thread_id}",
    response_model=ThreadOut,
    responses={**problem_responses(401, 404), 200: {"headers": ETAG_HEADER}, **NOT_MODIFIED},
)
def get_thread(
    thread_id: IdPath,
    response: Response,
    session: SessionDep,
    actor: ApiActor,
    if_none_match: IfNoneMatch = None,
) -> ThreadOut | Response:
    view = threads.get_thread(session, actor, thread_id)
    etag = etag_of(view.thread.version)
    if cached := not_modified(if_none_match, etag):
        return cached
    response.headers["ETag"] = etag
    return ThreadOut.from_view(view)


@router.get("/threads/{thread_id}/posts", responses=problem_responses(401, 404))
def list_posts(
    thread_id: IdPath, session: SessionDep, actor: ApiActor, page: Page
) -> ListOut[PostOut]:
    after = page.position(f"posts:{thread_id}")
    views = threads.list_posts(
        session,
        actor,
        thread_id=thread_id,
        after_position=after["position"] if after else 0,
        limit=page.fetch,
    )
    items, next_cursor = page.window(
        f"posts:{thread_id}", views, lambda view: {"position": view.post.position}
    )
    return ListOut(items=[PostOut.from_view(v) for v in items], next_cursor=next_cursor)


@router.post(
    "/threads/{thread_id}/posts",
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 429),
)
def reply(
    thread_id: IdPath, data: PostIn, session: SessionDep, actor: ApiActor, pace: PostingPaceDep
) -> PostOut:
    with pace.post(actor.user_id):
        post = threads.reply(
            session, actor, thread_id=thread_id, body=data.body, reply_to_id=data.reply_to_id
        )
    assert post.id is not None
    return PostOut.from_view(threads.get_post(session, actor, post.id))


@router.patch(
    "/posts/{post_id}",
    responses={**problem_responses(401, 403, 404, 409, 412, 429), 200: {"headers": ETAG_HEADER}},
)
def edit_post(
    post_id: IdPath,
    data: PostPatch,
    response: Response,
    session: SessionDep,
    actor: ApiActor,
    pace: PostingPaceDep,
    if_match: IfMatch = None,
) -> PostOut:
    expected = if_match_version(if_match)
    with pace.post(actor.user_id):
        threads.edit_post(
            session, actor, post_id=post_id, body=data.body, expected_version=expected
        )
    view = threads.get_post(session, actor, post_id)
    response.headers["ETag"] = etag_of(view.post.version)
    return PostOut.from_view(view)


@router.delete("/posts/{post_id}", status_code=204, responses=problem_responses(401, 403, 404))
def delete_post(post_id: IdPath, session: SessionDep, actor: ApiActor) -> None:
    threads.delete_post(session, actor, post_id=post_id)
