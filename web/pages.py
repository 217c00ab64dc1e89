"""Pages: thin adapters that call one domain service and render its result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from domain import event_views, goals, groups, reading, theme_content, themes, threads
from erfa.deps import SessionDep
from web.deps import SignedIn
from web.rendering import render

router = APIRouter()


@router.get("/api/docs", name="api:docs", response_class=HTMLResponse)
def api_docs(request: Request, actor: SignedIn) -> HTMLResponse:
    """The API reference (Swagger UI), served with erfa's own copy of its assets."""
    return render(request, "api_docs.html")


@router.get("/", name="home:index", response_class=HTMLResponse)
def index(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    goal: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    goal_id = goals.parse_filter(goal)
    views = groups.list_groups(session, actor)
    recent = threads.recent_activity(session, actor, limit=8, goal=goal_id)
    news = theme_content.theme_news(session, actor, today=themes.local_today())
    context = {
        "groups": views,
        "by_area": groups.by_focus_area(views),
        "mine": [view for view in views if view.joined],
        "recent": recent,
        "unread": reading.read_states(session, actor, [thread for thread, _ in recent]),
        "unread_by_group": reading.unread_by_group(session, actor),
        "theme": news.theme if news else None,
        "new_in_theme": news.items if news else [],
        "goals": goals.list_goals(session),
        "goal": goal_id,
        "next_events": event_views.next_events(session, actor, limit=3),
    }
    return render(request, "home.html", context, block=("group_list", "recent_list"))
