"""Agenda 2030 goals as a controlled list of tags on discussions and resources.

The goals are rows of `goal` (SDG 1–17, from a data migration). A tag set is replaced
whole; reading the tags of a page's threads or resources is one statement, not one a row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.errors import Invalid
from models import Goal, Resource, ResourceGoal, Thread, ThreadGoal

TagTable = type[ThreadGoal] | type[ResourceGoal]


def list_goals(session: Session) -> list[Goal]:
    return list(session.exec(select(Goal).order_by(col(Goal.id))).all())


def goal_name(goal: Goal, locale: str) -> str:
    return goal.name_en if locale == "en" else goal.name_sv


def parse_filter(value: str | None) -> int | None:
    """A goal number from a list filter; anything else (empty, junk) means no filter."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and 1 <= int(value) <= 17 else None


def check(session: Session, goal_ids: Iterable[int]) -> list[int]:
    """The distinct goals, sorted; an unknown one is Invalid on the field `goals`."""
    wanted = sorted(set(goal_ids))
    if not wanted:
        return []
    known = set(session.exec(select(Goal.id).where(col(Goal.id).in_(wanted))).all())
    unknown = [goal_id for goal_id in wanted if goal_id not in known]
    if unknown:
        raise Invalid.field(
            "goals", f"Unknown goal {unknown[0]}: goals are the Agenda 2030 goals 1–17.", "goal"
        )
    return wanted


def _owner(table: TagTable) -> sa.ColumnElement[int]:
    column = col(ThreadGoal.thread_id) if table is ThreadGoal else col(ResourceGoal.resource_id)
    return cast("sa.ColumnElement[int]", column)


def replace(session: Session, table: TagTable, owner_id: int, goal_ids: Sequence[int]) -> None:
    """Tag a thread or resource with exactly `goal_ids` (already checked)."""
    session.execute(sa.delete(table).where(_owner(table) == owner_id))
    if table is ThreadGoal:
        session.add_all(ThreadGoal(thread_id=owner_id, goal_id=g) for g in goal_ids)
    else:
        session.add_all(ResourceGoal(resource_id=owner_id, goal_id=g) for g in goal_ids)
    session.flush()


def of(session: Session, table: TagTable, owner_ids: Iterable[int]) -> dict[int, list[int]]:
    """The goals of each of `owner_ids`, in number order, in one statement."""
    ids = list(owner_ids)
    tags: dict[int, list[int]] = defaultdict(list)
    if not ids:
        return tags
    owner, goal = _owner(table), col(table.goal_id)
    rows = session.execute(sa.select(owner, goal).where(owner.in_(ids)).order_by(owner, goal)).all()
    for owner_id, goal_id in rows:
        tags[owner_id].append(goal_id)
    return tags


def tagged(table: TagTable, goal_id: int) -> sa.ColumnElement[bool]:
    """A WHERE clause: the thread (or resource) carries `goal_id`."""
    owner = col(Thread.id) if table is ThreadGoal else col(Resource.id)
    return sa.exists().where(_owner(table) == owner, col(table.goal_id) == goal_id)
