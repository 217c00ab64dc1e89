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
from models import CASE_SECTIONS, Group, Municipality, Post, Resource, Thread, User

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

    def data(self) -> dict[str, Any]:
        """The feed's item as JSON-ready values (`/sync/posts`, webhook payloads)."""
        post, author = self.post, self.author
        return {
            "id": post.id,
            "thread_id": post.thread_id,
            "group": self.group,
            "author": {
                "id": author.id,
                "name": author.name,
                "title": author.title,
                "municipality": self.municipality,
            },
            "body": None if self.tombstone else post.body,
            "body_html": None if self.tombstone else post.body_html,
            "reply_to_id": post.reply_to_id,
            "created_at": post.created_at.isoformat(),
            "updated_at": post.updated_at.isoformat() if post.updated_at else None,
            "version": post.version,
            "deleted": post.deleted_at is not None,
            "hidden": post.hidden_at is not None,
        }


@dataclass(frozen=True)
class ResourceChange:
    resource: Resource
    group: str
    municipality: str

    @property
    def tombstone(self) -> bool:
        return self.resource.deleted_at is not None

    def data(self) -> dict[str, Any]:
        """The feed's item as JSON-ready values (`/sync/resources`, webhook payloads)."""
        resource, gone = self.resource, self.tombstone
        return {
            "id": resource.id,
            "group": self.group,
            "title": None if gone else resource.title,
            "summary": None if gone else resource.summary,
            "kind": resource.kind.value,
            "municipality": self.municipality,
            "link": None if gone else resource.link,
            "sections": None if gone else {n: getattr(resource, n) for n in CASE_SECTIONS},
            "sections_html": None
            if gone
            else {n: getattr(resource, f"{n}_html") for n in CASE_SECTIONS},
            "thread_id": resource.thread_id,
            "version": resource.version,
            "created_at": resource.created_at.isoformat(),
            "updated_at": resource.updated_at.isoformat() if resource.updated_at else None,
            "deleted": gone,
        }


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
    return _post_page(session, policy.readable_groups_clause(actor), after, limit)


def group_post_changes(session: Session, group_id: int, *, after: Position, limit: int) -> Page:
    """The feed of one group's posts, for its webhooks (no reader: the webhook belongs to
    the group). Posts of a discussion moved away are in it once more, now under the other
    group's slug, so the consumer learns that they left."""
    scope = sa.or_(col(Thread.group_id) == group_id, col(Thread.moved_from_group_id) == group_id)
    return _post_page(session, scope, after, limit)


def _post_page(
    session: Session, scope: sa.ColumnElement[bool], after: Position, limit: int
) -> Page:
    where, order = _window(session, Post, after, limit)
    rows = session.exec(
        select(Post, col(Group.slug), User, col(Municipality.name))
        .join(Thread, col(Thread.id) == Post.thread_id)
        .join(Group, col(Group.id) == Thread.group_id)
        .join(User, col(User.id) == Post.author_id)
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(*where, scope)
        .order_by(*order)
        .limit(limit + 1)
    ).all()
    items = [PostChange(post, slug, user, name) for post, slug, user, name in rows[:limit]]
    last = items[-1].post if items else None
    position = Position(last.change_txid, last.change_seq) if last else after
    return Page(items, position, len(rows) > limit)


def resource_changes(session: Session, actor: Actor, *, after: Position, limit: int) -> Page:
    policy.require_signed_in(actor)
    return _resource_page(session, policy.readable_groups_clause(actor), after, limit)


def group_resource_changes(session: Session, group_id: int, *, after: Position, limit: int) -> Page:
    """The feed of one group's resources, for its webhooks."""
    return _resource_page(session, col(Resource.group_id) == group_id, after, limit)


def _resource_page(
    session: Session, scope: sa.ColumnElement[bool], after: Position, limit: int
) -> Page:
    where, order = _window(session, Resource, after, limit)
    rows = session.exec(
        select(Resource, col(Group.slug), col(Municipality.name))
        .join(Group, col(Group.id) == Resource.group_id)
        .join(Municipality, col(Municipality.id) == Resource.municipality_id)
        .where(*where, scope)
        .order_by(*order)
        .limit(limit + 1)
    ).all()
    items = [ResourceChange(resource, slug, name) for resource, slug, name in rows[:limit]]
    last = items[-1].resource if items else None
    position = Position(last.change_txid, last.change_seq) if last else after
    return Page(items, position, len(rows) > limit)
