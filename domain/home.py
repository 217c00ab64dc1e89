"""The start page's read model: everything the page shows, from one call.

What an official sees first: the current theme and what is new in it, their own groups
with what is unread in each, what happened lately in the groups they may read (narrowed
to one of the 2030 goals if they ask), the next events, and the directory of groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from domain import event_views, goals, groups, policy, reading, theme_content, themes, threads
from domain.actor import Actor
from domain.event_views import EventRow
from domain.groups import GroupView
from domain.theme_content import NewInTheme
from models import Goal, Group, Theme, Thread


@dataclass(frozen=True)
class StartPage:
    groups: list[GroupView]
    """Every group the official may see, for the directory."""
    by_area: list[tuple[str, list[GroupView]]]
    mine: list[GroupView]
    """The groups the official belongs to, each with `unread_by_group`."""
    recent: list[tuple[Thread, Group]]
    unread: dict[int, reading.ReadState]
    unread_by_group: dict[int, int]
    theme: Theme | None
    new_in_theme: list[NewInTheme]
    goals: list[Goal]
    goal: int | None
    next_events: list[EventRow]
    can_administer: bool
    """Offer "New group" (coordinators)."""

    def context(self) -> dict[str, Any]:
        """The template's names for the parts (templates/home.html)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def start_page(session: Session, actor: Actor, *, goal: str | None = None) -> StartPage:
    goal_id = goals.parse_filter(goal)
    views = groups.list_groups(session, actor)
    recent = threads.recent_activity(session, actor, limit=8, goal=goal_id)
    news = theme_content.theme_news(session, actor, today=themes.local_today())
    return StartPage(
        groups=views,
        by_area=groups.by_focus_area(views),
        mine=[view for view in views if view.joined],
        recent=recent,
        unread=reading.read_states(session, actor, [thread for thread, _ in recent]),
        unread_by_group=reading.unread_by_group(session, actor),
        theme=news.theme if news else None,
        new_in_theme=news.items if news else [],
        goals=goals.list_goals(session),
        goal=goal_id,
        next_events=event_views.next_events(session, actor, limit=3),
        can_administer=policy.can_administer(actor),
    )
