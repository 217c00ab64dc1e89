"""Notifications, following, and suggestions for @mentions, in the browser."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from domain import notifications, threads
from erfa import ratelimit
from erfa.deps import IdPath, RateLimiterDep, SessionDep
from erfa.ratelimit import TooManyRequests
from models import NotificationKind
from web.deps import SignedIn
from web.rendering import render, see_other
from web.threads import thread_url

router = APIRouter()
PAGE_SIZE = 50


@router.get("/notifications", name="notifications:index", response_class=HTMLResponse)
def index(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> HTMLResponse:
    views = notifications.list_notifications(session, actor, before_id=before, limit=PAGE_SIZE + 1)
    shown = views[:PAGE_SIZE]
    context = {
        "views": shown,
        "older": shown[-1].notification.id if len(views) > PAGE_SIZE else None,
    }
    return render(request, "notifications/index.html", context)


@router.get("/notifications/{notification_id}", name="notifications:open")
def open_one(
    request: Request, notification_id: IdPath, session: SessionDep, actor: SignedIn
) -> Response:
    """Follow a notification to its post; it is read from then on."""
    view = notifications.open_notification(session, actor, notification_id)
    target = view.notification
    if target.event_id is not None:
        return see_other(request, f"/e/{target.event_id}")
    if target.kind is NotificationKind.JOIN_REQUEST:
        return see_other(request, f"/g/{view.group_slug}/members")
    if target.kind is NotificationKind.FLAG:
        return see_other(request, f"/g/{view.group_slug}/flags")
    if target.thread_id is None:
        return see_other(request, f"/g/{view.group_slug}")
    if target.kind is NotificationKind.FLAG_OUTCOME and target.outcome == "hide":
        return see_other(request, thread_url(target.thread_id))
    if view.position is None or target.post_id is None:
        return see_other(request, thread_url(target.thread_id))
    return see_other(request, thread_url(target.thread_id, view.position, f"post-{target.post_id}"))


@router.post("/notifications/read", name="notifications:read_all")
def read_all(request: Request, session: SessionDep, actor: SignedIn) -> Response:
    notifications.mark_all_read(session, actor)
    return see_other(request, "/notifications")


@router.post("/t/{thread_id}/follow", name="threads:follow")
def follow_thread(
    request: Request,
    thread_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    on: Annotated[bool, Form()],
) -> Response:
    threads.follow_thread(session, actor, thread_id, on=on)
    return see_other(request, f"/t/{thread_id}")


@router.post("/g/{slug}/follow", name="groups:follow")
def follow_group(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    on: Annotated[bool, Form()],
) -> Response:
    notifications.follow_group(session, actor, slug, on=on)
    return see_other(request, f"/g/{slug}")


@router.get("/g/{slug}/mentions", name="groups:mentions", response_class=HTMLResponse)
def mention_suggestions(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    limiter: RateLimiterDep,
    q: Annotated[str, Query(max_length=100)] = "",
    target: Annotated[str, Query(max_length=40, pattern=r"^[a-z][a-z0-9-]*$")] = "reply-body",
) -> HTMLResponse:
    """Officials who may read the group and could be mentioned: name, title, municipality
    and handle. Limited per official (`SUGGESTIONS_PER_OFFICIAL`), so that nobody walks the
    directory two letters at a time."""
    context: dict[str, object] = {"q": q, "target": target, "slug": slug, "retry_after": None}
    try:
        ratelimit.suggest(limiter, actor.user_id)
    except TooManyRequests as exc:
        context.update(suggestions=[], retry_after=exc.retry_after)
        headers = {"Retry-After": str(exc.retry_after)}
        return render(
            request,
            "notifications/mentions.html",
            context,
            block="suggestions",
            status_code=429,
            headers=headers,
        )
    context["suggestions"] = notifications.suggest_mentions(session, actor, slug, q)
    return render(request, "notifications/mentions.html", context, block="suggestions")
