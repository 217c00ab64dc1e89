"""Moderation in the browser: the leads' tools in a discussion, hiding and restoring posts,
flagging, and a group's moderation queue. Each form works without JavaScript (a 303 back
to where it was) and in place with htmx (the post, the head of the discussion or the queue
item is swapped)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from domain import flags, moderation, threads
from domain.actor import Actor
from domain.errors import Conflict, FieldError, Invalid
from erfa.deps import IdPath, SessionDep
from web.deps import SignedIn
from web.rendering import is_htmx, render, see_other
from web.threads import thread_page, thread_url

router = APIRouter()
Reason = Annotated[str, Form(max_length=2000)]


def _refusal(exc: Invalid | Conflict) -> list[FieldError]:
    if isinstance(exc, Invalid):
        return exc.errors
    return [FieldError("", exc.detail, "conflict")]


def _after_thread_act(
    request: Request,
    session: Session,
    actor: Actor,
    thread_id: int,
    act: Any,
    message: str,
) -> Response:
    """Run a moderation act on a discussion; answer with its head (htmx) or the page."""
    try:
        act()
    except (Invalid, Conflict) as exc:
        session.rollback()
        page = thread_page(session, actor, thread_id)
        page.update(mod_errors=_refusal(exc), mod_open=True)
        return render(request, "threads/detail.html", page, block="thread_head", status_code=422)
    if is_htmx(request):
        page = thread_page(session, actor, thread_id)
        page.update(mod_message=message)
        return render(request, "threads/detail.html", page, block="thread_head")
    return see_other(request, thread_url(thread_id))


@router.post("/t/{thread_id}/pin", name="moderation:pin")
def pin(
    request: Request,
    thread_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    on: Annotated[bool, Form()],
) -> Response:
    return _after_thread_act(
        request,
        session,
        actor,
        thread_id,
        lambda: moderation.set_pinned(session, actor, thread_id=thread_id, pinned=on),
        "thread.pin" if on else "thread.unpin",
    )


@router.post("/t/{thread_id}/lock", name="moderation:lock")
def lock(
    request: Request,
    thread_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    on: Annotated[bool, Form()],
    reason: Reason = "",
) -> Response:
    return _after_thread_act(
        request,
        session,
        actor,
        thread_id,
        lambda: moderation.set_locked(
            session, actor, thread_id=thread_id, locked=on, reason=reason
        ),
        "thread.lock" if on else "thread.unlock",
    )


@router.post("/t/{thread_id}/update", name="moderation:update")
def update(
    request: Request,
    thread_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    title: Annotated[str, Form(max_length=1000)],
    slow_mode_s: Annotated[int, Form(ge=0, le=86_400)] = 0,
) -> Response:
    return _after_thread_act(
        request,
        session,
        actor,
        thread_id,
        lambda: moderation.update_thread(
            session, actor, thread_id=thread_id, title=title, slow_mode_s=slow_mode_s
        ),
        "thread.update",
    )


@router.post("/t/{thread_id}/move", name="moderation:move")
def move(
    request: Request,
    thread_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    group: Annotated[str, Form(max_length=64)],
) -> Response:
    return _after_thread_act(
        request,
        session,
        actor,
        thread_id,
        lambda: moderation.move(session, actor, thread_id=thread_id, target_slug=group),
        "thread.move",
    )


def _post_in_place(
    request: Request,
    session: Session,
    actor: Actor,
    post_id: int,
    *,
    message: str | None = None,
    errors: list[FieldError] | None = None,
    failed: str | None = None,
) -> Response:
    item = threads.get_post(session, actor, post_id)
    if is_htmx(request) or errors:
        view = threads.get_thread(session, actor, item.post.thread_id)
        context = {
            "item": item,
            "can_reply": view.can_reply,
            "message": message,
            "errors": errors or [],
            "failed": failed,
        }
        status = 422 if errors else 200
        template = "threads/post.html" if is_htmx(request) else "moderation/post_page.html"
        return render(request, template, context, status_code=status)
    anchor = f"post-{post_id}"
    return see_other(request, thread_url(item.post.thread_id, item.post.position, anchor))


def _post_act(
    request: Request,
    session: Session,
    actor: Actor,
    post_id: int,
    act: Any,
    *,
    done: str,
    already: str,
    form: str | None = None,
) -> Response:
    """Run an act on a post; answer with the post in place, saying how it went: a reason
    refused is shown in the form `form`, a conflict (done by someone meanwhile) as a note."""
    try:
        act()
    except Invalid as exc:
        session.rollback()
        return _post_in_place(request, session, actor, post_id, errors=exc.errors, failed=form)
    except Conflict:
        session.rollback()
        return _post_in_place(request, session, actor, post_id, message=already)
    return _post_in_place(request, session, actor, post_id, message=done)


@router.post("/p/{post_id}/hide", name="posts:hide")
def hide(
    request: Request,
    post_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    reason: Reason = "",
) -> Response:
    return _post_act(
        request,
        session,
        actor,
        post_id,
        lambda: moderation.hide_post(session, actor, post_id=post_id, reason=reason),
        done="hidden",
        already="hidden-already",
        form="hide",
    )


@router.post("/p/{post_id}/restore", name="posts:restore")
def restore(request: Request, post_id: IdPath, session: SessionDep, actor: SignedIn) -> Response:
    return _post_act(
        request,
        session,
        actor,
        post_id,
        lambda: moderation.restore_post(session, actor, post_id=post_id),
        done="restored",
        already="not-hidden",
    )


@router.post("/p/{post_id}/flag", name="posts:flag")
def flag(
    request: Request,
    post_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    reason: Reason = "",
) -> Response:
    return _post_act(
        request,
        session,
        actor,
        post_id,
        lambda: flags.flag_post(session, actor, post_id=post_id, reason=reason),
        done="flagged",
        already="flagged-already",
        form="flag",
    )


QUEUE_PAGE = 30


@router.get("/g/{slug}/flags", name="moderation:queue", response_class=HTMLResponse)
def queue(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    status: Literal["open", "resolved"] = "open",
    before_at: Annotated[str | None, Query(max_length=64)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> HTMLResponse:
    """A group's moderation queue: flagged posts, newest first, each with its flags."""
    before = (
        (flags.parse_at(before_at, "before_at"), before_id)
        if before_at is not None and before_id is not None
        else None
    )
    view = flags.queue(
        session, actor, slug=slug, open_only=status == "open", before=before, limit=QUEUE_PAGE
    )
    context = {"queue": view, "status": status, "notice": request.query_params.get("notice")}
    return render(request, "moderation/queue.html", context)


@router.post("/flags/{flag_id}/resolve", name="moderation:resolve")
def resolve(
    request: Request,
    flag_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    action: Annotated[Literal["hide", "dismiss"], Form()],
    reason: Reason = "",
) -> Response:
    try:
        item = flags.resolve(
            session, actor, flag_id=flag_id, action=flags.Resolution(action), reason=reason
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        item = flags.get_item(session, actor, flag_id=flag_id)
        context = {"item": item, "errors": _refusal(exc), "draft": reason}
        template = "moderation/item.html" if is_htmx(request) else "moderation/item_page.html"
        return render(request, template, context, status_code=422)
    if is_htmx(request):
        return render(request, "moderation/item.html", {"item": item, "resolved_now": True})
    return see_other(request, f"/g/{item.group_slug}/flags?notice={action}")
