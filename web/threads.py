"""Discussions in the browser: start one, read it, reply in place, edit, delete, history;
and what the composer asks for beside posting: a quote of a post, a preview of the text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from sqlmodel import Session

from domain import goals, notifications, reading, themes, threads
from domain import thread_page as read_model
from domain.actor import Actor
from domain.errors import Conflict, Invalid, StaleVersion, TooSoon
from domain.thread_page import page_start
from erfa import ratelimit
from erfa.deps import IdPath, PostingPaceDep, RateLimiterDep, SessionDep, SideWritesDep
from erfa.ratelimit import RateLimiter, TooManyRequests
from web.deps import SignedIn, read_page
from web.feeds import thread_feed_url
from web.rendering import is_htmx, refusal, render, see_other

router = APIRouter()


def thread_url(thread_id: int, position: int = 1, anchor: str = "") -> str:
    after = page_start(position)
    return (
        f"/t/{thread_id}" + (f"?after={after}" if after else "") + (f"#{anchor}" if anchor else "")
    )


def thread_page(session: Session, actor: Actor, thread_id: int, after: int = 0) -> dict[str, Any]:
    """The discussion page's context (`domain/thread_page.py`), for the handlers that show
    it again after a form."""
    return read_model.thread_page(session, actor, thread_id, after=after).context()


@router.post("/g/{slug}/threads", name="threads:start")
def start(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    title: Annotated[str, Form(max_length=1000)],
    body: Annotated[str, Form(max_length=250_000)],
    pace: PostingPaceDep,
    goal_ids: Annotated[list[int], Form(alias="goals", max_length=17)] = [],  # noqa: B006
    theme: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        with pace.post(actor.user_id):
            thread = threads.start_thread(
                session,
                actor,
                slug=slug,
                title=title,
                body=body,
                goal_ids=goal_ids,
                theme=theme or None,
            )
    except (Invalid, TooManyRequests) as exc:
        session.rollback()
        shown, status, headers = refusal(exc)
        context = {**shown, **new_form(session, actor, slug, title, body, goal_ids, theme)}
        return render(request, "threads/new.html", context, status_code=status, headers=headers)
    return see_other(request, f"/t/{thread.id}")


def new_form(
    session: Session,
    actor: Actor,
    slug: str,
    title: str,
    body: str,
    goal_ids: list[int],
    theme: str,
) -> dict[str, Any]:
    """The new-discussion form again, as it was filled in."""
    return {
        "title": title,
        "body": body,
        "slug": slug,
        "goals": goals.list_goals(session),
        "chosen_goals": goal_ids,
        "theme_choices": themes.list_themes(session, actor),
        "chosen_theme": theme,
    }


@router.get("/t/{thread_id}", name="threads:detail", response_class=HTMLResponse)
async def detail(
    request: Request,
    thread_id: IdPath,
    side: SideWritesDep,
    after: int = 0,
    reply_to: int | None = Query(default=None, ge=1, le=2**63 - 1),
) -> HTMLResponse:
    def read(session: Session, actor: Actor) -> dict[str, Any]:
        shown = read_model.thread_page(
            session, actor, thread_id, after=max(after, 0), with_marker=True
        )
        page = shown.context()
        if (user_id := actor.user_id) is not None and shown.posts:
            first, last = shown.posts[0].post.position, shown.posts[-1].post.position
            if reading.moves_marker(shown.read_up_to, first, last):

                def seen(writer: Session) -> None:
                    reading.saw(
                        writer, user_id=user_id, thread_id=thread_id, first=first, last=last
                    )
                    notifications.mark_thread_read(writer, actor, thread_id)

                side.add(seen)
        if reply_to is not None:
            quoted = threads.quote(session, actor, post_id=reply_to, thread_id=thread_id)
            page.update(draft=quoted, reply_to_id=reply_to if quoted else None)
        if not is_htmx(request):  # a fragment has no head or feed link to show
            page["feed_url"] = thread_feed_url(request, session, actor, thread_id)
        return page

    return render(
        request, "threads/detail.html", await read_page(request, side, read), block="post_list"
    )


@router.get("/t/{thread_id}/unread", name="threads:first_unread")
def first_unread(
    request: Request, thread_id: IdPath, session: SessionDep, actor: SignedIn
) -> Response:
    """To the first post the official has not seen, on the page that holds it; with
    nothing unread, to the latest posts."""
    view = threads.get_thread(session, actor, thread_id)
    marker = reading.read_up_to(session, actor, thread_id)
    if marker is None:
        return see_other(request, thread_url(thread_id))
    if marker >= view.thread.post_count:
        return see_other(request, thread_url(thread_id, view.thread.post_count, "reply"))
    return see_other(request, thread_url(thread_id, marker + 1, "unread"))


@router.post("/t/{thread_id}/reply", name="threads:reply")
def reply(
    request: Request,
    thread_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    body: Annotated[str, Form(max_length=250_000)],
    pace: PostingPaceDep,
    reply_to_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
) -> Response:
    try:
        with pace.post(actor.user_id):
            post = threads.reply(
                session, actor, thread_id=thread_id, body=body, reply_to_id=reply_to_id
            )
    except (Invalid, Conflict, TooManyRequests, TooSoon) as exc:
        session.rollback()
        page = thread_page(session, actor, thread_id)
        shown, status, headers = (
            refusal(exc) if not isinstance(exc, Conflict) else ({"errors": []}, 422, {})
        )
        page.update(
            shown, draft=body, reply_to_id=reply_to_id, locked_error=isinstance(exc, Conflict)
        )
        if is_htmx(request):  # the form answers in its own place; the posts stay
            headers = {**headers, "HX-Retarget": "#reply", "HX-Reswap": "innerHTML"}
        return render(
            request,
            "threads/detail.html",
            page,
            block="reply_form",
            status_code=status,
            headers=headers,
        )
    # The author's read marker moved with the post (threads.reply, for both doors).
    if is_htmx(request):
        return render(
            request,
            "threads/detail.html",
            thread_page(session, actor, thread_id, page_start(post.position)),
            block="thread_body",
        )
    return see_other(request, thread_url(thread_id, post.position, f"post-{post.id}"))


def previewed(
    limiter: RateLimiter, actor: Actor, prepare: Callable[[], threads.Body]
) -> tuple[dict[str, Any], int]:
    """The text as its post would show it, or why posting it would be refused: the context
    for the preview region, and its status. `prepare` asks the domain (`preview_reply`,
    `preview_thread`), which refuses who may not post before it renders anything."""
    ratelimit.preview(limiter, actor.user_id)
    try:
        return {"preview_html": prepare().html, "preview_errors": []}, 200
    except Invalid as exc:
        return {"preview_html": None, "preview_errors": exc.errors}, 422


@router.post("/t/{thread_id}/preview", name="threads:preview", response_class=HTMLResponse)
def preview_reply(
    request: Request,
    thread_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    limiter: RateLimiterDep,
    body: Annotated[str, Form(max_length=250_000)] = "",
    reply_to_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
) -> HTMLResponse:
    """A reply as it would be shown, in the composer's preview region (htmx), or the
    discussion's page with the preview under the unsent reply (without JavaScript)."""
    shown, status = previewed(
        limiter,
        actor,
        lambda: threads.preview_reply(session, actor, thread_id=thread_id, body=body),
    )
    if is_htmx(request):
        return render(
            request, "threads/detail.html", shown, block="reply_preview", status_code=status
        )
    page = thread_page(session, actor, thread_id)
    page.update(shown, draft=body, reply_to_id=reply_to_id)
    page["feed_url"] = thread_feed_url(request, session, actor, thread_id)
    return render(request, "threads/detail.html", page, status_code=status)


@router.post("/g/{slug}/threads/preview", name="threads:preview_new", response_class=HTMLResponse)
def preview_new(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    limiter: RateLimiterDep,
    title: Annotated[str, Form(max_length=1000)] = "",
    body: Annotated[str, Form(max_length=250_000)] = "",
    goal_ids: Annotated[list[int], Form(alias="goals", max_length=17)] = [],  # noqa: B006
    theme: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    """A new discussion's first post as it would be shown: `preview_reply` for the form
    that starts one."""
    shown, status = previewed(
        limiter, actor, lambda: threads.preview_thread(session, actor, slug=slug, body=body)
    )
    if is_htmx(request):
        return render(
            request, "threads/_new_form.html", shown, block="thread_preview", status_code=status
        )
    context = {**shown, **new_form(session, actor, slug, title, body, goal_ids, theme)}
    return render(request, "threads/new.html", context, status_code=status)


@router.get("/t/{thread_id}/quote/{post_id}", name="threads:quote")
def quote(thread_id: IdPath, post_id: IdPath, session: SessionDep, actor: SignedIn) -> Response:
    """The Markdown quote that `?reply_to=` puts in the reply form, alone, for the composer
    to insert in place; empty when the post cannot be quoted (as the form's draft is)."""
    quoted = threads.quote(session, actor, post_id=post_id, thread_id=thread_id)
    return PlainTextResponse(quoted, headers={"Cache-Control": "no-store"})


@router.get("/p/{post_id}", name="posts:permalink")
def permalink(request: Request, post_id: IdPath, session: SessionDep, actor: SignedIn) -> Response:
    """A post's lasting address: its discussion, on the page that holds it."""
    post = threads.get_post(session, actor, post_id).post
    return see_other(request, thread_url(post.thread_id, post.position, f"post-{post_id}"))


@router.get("/p/{post_id}/edit", name="posts:edit_form", response_class=HTMLResponse)
def edit_form(request: Request, post_id: IdPath, session: SessionDep, actor: SignedIn) -> Response:
    view = threads.post_for_editing(session, actor, post_id)
    return render(request, "threads/edit.html", {"item": view, "errors": []}, block="edit_form")


@router.post("/p/{post_id}/edit", name="posts:edit")
def edit(
    request: Request,
    post_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    body: Annotated[str, Form(max_length=250_000)],
    version: Annotated[int, Form(ge=1, le=2**31)],
    pace: PostingPaceDep,
) -> Response:
    try:
        with pace.post(actor.user_id):
            threads.edit_post(session, actor, post_id=post_id, body=body, expected_version=version)
    except (Invalid, StaleVersion, TooManyRequests) as exc:
        session.rollback()
        shown, status, headers = (
            refusal(exc) if not isinstance(exc, StaleVersion) else ({"errors": []}, 422, {})
        )
        context = {
            **shown,
            "item": threads.post_for_editing(session, actor, post_id),
            "draft": body,
            "stale": isinstance(exc, StaleVersion),
        }
        return render(
            request,
            "threads/edit.html",
            context,
            block="edit_form",
            status_code=status,
            headers=headers,
        )
    return post_in_place(request, session, actor, post_id)


@router.post("/p/{post_id}/delete", name="posts:delete")
def delete(request: Request, post_id: IdPath, session: SessionDep, actor: SignedIn) -> Response:
    threads.delete_post(session, actor, post_id=post_id)
    return post_in_place(request, session, actor, post_id)


def post_in_place(request: Request, session: Session, actor: Actor, post_id: int) -> Response:
    """After an edit or delete: htmx swaps the post itself; a plain browser goes back to it
    on its page (an anchor alone would not reload the page)."""
    item = threads.get_post(session, actor, post_id)
    if is_htmx(request):
        view = threads.get_thread(session, actor, item.post.thread_id)
        context = {"item": item, "can_reply": view.can_reply}
        return render(request, "threads/post.html", context)
    anchor = f"post-{post_id}"
    return see_other(request, thread_url(item.post.thread_id, item.post.position, anchor))


@router.get("/p/{post_id}/history", name="posts:history", response_class=HTMLResponse)
def history(request: Request, post_id: IdPath, session: SessionDep, actor: SignedIn) -> Response:
    view, revisions = threads.post_history(session, actor, post_id)
    return render(request, "threads/history.html", {"item": view, "revisions": revisions})
