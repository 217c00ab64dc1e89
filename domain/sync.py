"""The changes feed: every post's (and resource's) latest state in change order, for
integrators who mirror erfa (`GET /api/v1/sync/posts`, `/sync/resources`).

A page is the rows after the consumer's position `(change_txid, change_seq)`, in that
order, below the fence of `domain/changes.py`, in the groups the caller may read now. A
row that changes again moves to the end of the order, so a consumer sees a post again only
when it changed again. Deleted and hidden posts, and deleted resources, are tombstones.
Rows of groups the caller may not read are passed over (their positions count as read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import changes, policy
from domain.actor import Actor
from models import Group, Municipality, Post, Resource, Thread, User

MAX_LIMIT = 1000
DEFAULT_LIMIT = 200


@dataclass(frozen=True)
class Position:
    txid: int = 0
    seq: int = 0


@dataclass(frozen=True)
class PostChange:
    post: Post
    group: str
    author: User
    municipality: str

    @property
    def tombstone(self) -> bool:
        return self.post.deleted_at is not None or self.post.hidden_at is not None


@dataclass(frozen=True)
class ResourceChange:
    resource: Resource
    group: str
    municipality: str

    @property
    def tombstone(self) -> bool:
        return self.resource.deleted_at is not None


@dataclass(frozen=True)
class Page:
    items: list[Any]
    position: Position
    """Where the next page starts: the last item's position, else the one asked for."""
    has_more: bool


def _window(
    session: Session, model: Any, after: Position, limit: int
) -> tuple[list[sa.ColumnElement[bool]], list[Any]]:
    order = [col(model.change_txid), col(model.change_seq)]
    where = [sa.tuple_(*order) > sa.tuple_(sa.literal(after.txid), sa.literal(after.seq))]
    fence = changes.fence(session)
    if fence is not None:
        below = col(model.change_txid) < fence.below
        where.append(
            below if fence.own is None else sa.or_(below, col(model.change_txid) == fence.own)
        )
    return where, order


def post_changes(session: Session, actor: Actor, *, after: Position, limit: int) -> Page:
    policy.require_signed_in(actor)
    where, order = _window(session, Post, after, limit)
    rows = session.exec(
        select(Post, col(Group.slug), User, col(Municipality.name))
        .join(Thread, col(Thread.id) == Post.thread_id)
        .join(Group, col(Group.id) == Thread.group_id)
        .join(User, col(User.id) == Post.author_id)
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(*where, policy.readable_groups_clause(actor))
        .order_by(*order)
        .limit(limit + 1)
    ).all()
    items = [PostChange(post, slug, user, name) for post, slug, user, name in rows[:limit]]
    last = items[-1].post if items else None
    position = Position(last.change_txid, last.change_seq) if last else after
    return Page(items, position, len(rows) > limit)


def resource_changes(session: Session, actor: Actor, *, after: Position, limit: int) -> Page:
    policy.require_signed_in(actor)
    where, order = _window(session, Resource, after, limit)
    rows = session.exec(
        select(Resource, col(Group.slug), col(Municipality.name))
        .join(Group, col(Group.id) == Resource.group_id)
        .join(Municipality, col(Municipality.id) == Resource.municipality_id)
        .where(*where, policy.readable_groups_clause(actor))
        .order_by(*order)
        .limit(limit + 1)
    ).all()
    items = [ResourceChange(resource, slug, name) for resource, slug, name in rows[:limit]]
    last = items[-1].resource if items else None
    position = Position(last.change_txid, last.change_seq) if last else after
    return Page(items, position, len(rows) > limit)
