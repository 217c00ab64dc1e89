"""The group page's read model: everything `/g/{slug}` shows, from one call.

What it holds follows what the official may do there (`GroupView`'s `can_*` flags from
`domain/policy.py`): its discussions and events for its readers, its members where they may
be listed, the join requests for its leads, and what the new-discussion form offers for
who may post. The page decides nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from domain import (
    directory,
    event_views,
    goals,
    groups,
    live,
    notifications,
    reading,
    themes,
    threads,
)
from domain.actor import Actor
from domain.event_views import GroupEvents
from domain.groups import GroupView
from domain.join_requests import JoinRequestView
from domain.memberships import MemberView
from domain.sync import Position
from domain.themes import ThemeView
from models import Goal, Municipality, Thread, User

THREADS_PER_PAGE = 30
"""Discussions a page of the group lists, the latest activity first."""
MEMBERS_SHOWN = 30


@dataclass(frozen=True)
class GroupPage:
    view: GroupView
    members: list[MemberView]
    more_members: bool
    discussions: list[tuple[Thread, User]]
    unread: dict[int, reading.ReadState]
    page: int
    more: bool
    following: bool
    join_requests: list[JoinRequestView]
    municipalities: list[Municipality]
    """For the invitation form of its leads (the official's own preselected)."""
    goals: list[Goal]
    theme_choices: list[ThemeView]
    events: GroupEvents | None
    live_since: Position | None = None
    """The change-feed position the page is read at (before its discussions): what the
    live stream counts as new starts after it. None when the reader sees no list."""

    def context(self) -> dict[str, Any]:
        """The template's names for the parts (templates/groups/detail.html)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def group_page(session: Session, actor: Actor, slug: str, *, page: int = 1) -> GroupPage:
    view = groups.get_group(session, actor, slug)
    live_since = live.start(session) if view.can_read and page == 1 else None
    members = (
        groups.list_members(session, actor, slug=slug, limit=MEMBERS_SHOWN, leads_first=True)
        if view.can_list_members
        else []
    )
    discussions = (
        threads.list_threads(
            session,
            actor,
            slug=slug,
            offset=(page - 1) * THREADS_PER_PAGE,
            limit=THREADS_PER_PAGE + 1,
        )
        if view.can_read
        else []
    )
    shown = discussions[:THREADS_PER_PAGE]
    return GroupPage(
        view=view,
        members=members,
        more_members=view.group.member_count > len(members),
        discussions=shown,
        unread=reading.read_states(session, actor, [thread for thread, _ in shown]),
        page=page,
        more=len(discussions) > THREADS_PER_PAGE,
        following=view.can_read
        and notifications.is_following(session, actor, group_id=view.group.id),
        join_requests=groups.list_join_requests(session, actor, slug=slug)
        if view.can_manage
        else [],
        municipalities=directory.list_municipalities(session) if view.can_post else [],
        goals=goals.list_goals(session) if view.can_post or view.goals else [],
        theme_choices=themes.list_themes(session, actor) if view.can_post else [],
        events=event_views.group_events(session, actor, view.group) if view.can_read else None,
        live_since=live_since,
    )
