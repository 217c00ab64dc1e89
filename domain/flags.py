"""Flags: any reader may flag someone else's post once, with a reason; the group's leads
see the flags in their queue, several flags on one post as one item, and resolve the item
by hiding the post or dismissing the flags. The leads hear of new flags, the flaggers of
the outcome.

An item is named by the lowest id among its flags: the open flags of one post, or the
flags of one post resolved together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit, directory, locking, moderation, notifications, policy
from domain.actor import Actor
from domain.errors import Conflict, Forbidden, Invalid, NotFound
from models import (
    Flag,
    FlagStatus,
    Group,
    Municipality,
    NotificationKind,
    Post,
    Thread,
    User,
    utcnow,
)


class Resolution(StrEnum):
    HIDE = "hide"
    DISMISS = "dismiss"


def flag_post(session: Session, actor: Actor, *, post_id: int, reason: str) -> Flag:
    text = moderation.check_reason(reason, required=True)
    # The discussion first (domain/locking.py): a flag raised while it moves lands in the
    # queue of the group it is in when the flag is written.
    locked = locking.post_and_thread(session, post_id)
    post, thread = locked if locked else (None, None)
    group = session.get(Group, thread.group_id) if thread else None
    if post is None or thread is None or group is None:
        raise NotFound("post")
    if not policy.can_see_post(actor, post, group):
        raise NotFound("post")
    policy.require_write_access(actor)
    if post.author_id == actor.user_id:
        raise Forbidden("You cannot flag your own post; edit or delete it instead.")
    if not policy.can_flag(actor, post, group):
        raise Conflict("Only live posts can be flagged.")
    assert actor.user_id is not None
    assert group.id is not None
    mine = session.exec(
        select(Flag.id).where(Flag.post_id == post_id, Flag.user_id == actor.user_id)
    ).first()
    if mine is not None:
        raise Conflict("You have flagged this post already.")
    flag = Flag(post_id=post_id, user_id=actor.user_id, group_id=group.id, reason=text)
    session.add(flag)
    session.flush()
    notifications.tell(
        session,
        actor,
        notifications.group_leads(session, group.id),
        NotificationKind.FLAG,
        group=group,
        thread_id=thread.id,
        post_id=post_id,
    )
    return flag


@dataclass(frozen=True)
class FlagItem:
    """One post in the queue with the flags raised on it (open ones, or resolved together)."""

    id: int
    post: Post
    thread: Thread
    author: User
    municipality: str
    municipality_slug: str
    reasons: list[str]
    flaggers: list[str]
    count: int
    status: FlagStatus
    created_at: datetime
    """When the latest of its flags was raised."""
    resolved_at: datetime | None = None
    resolution_reason: str | None = None
    can_resolve: bool = False
    group_slug: str = ""
    reasons_by: list[tuple[str, str]] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status is FlagStatus.OPEN

    @property
    def api_status(self) -> str:
        return "open" if self.status is FlagStatus.OPEN else "resolved"

    @property
    def resolution(self) -> Literal["hide", "dismiss"] | None:
        if self.status is FlagStatus.RESOLVED:
            return "hide"
        if self.status is FlagStatus.DISMISSED:
            return "dismiss"
        return None


def _queue_group(session: Session, actor: Actor, slug: str) -> Group:
    group = policy.require_visible_group(actor, directory.group_by_slug(session, slug))
    policy.require_moderation_reviewer(actor, group)
    return group


def list_items(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    open_only: bool = True,
    before: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> list[FlagItem]:
    """The queue: items newest first (by their latest flag). Three statements, whatever the
    number of items."""
    group = _queue_group(session, actor, slug)
    statuses = [FlagStatus.OPEN] if open_only else [FlagStatus.RESOLVED, FlagStatus.DISMISSED]
    newest = sa.func.max(col(Flag.created_at))
    first = sa.func.min(col(Flag.id))
    heads = (
        select(first.label("item_id"), col(Flag.post_id), newest.label("newest"))
        .where(col(Flag.group_id) == group.id, col(Flag.status).in_(statuses))
        .group_by(col(Flag.post_id), col(Flag.resolved_at))
    )
    if before is not None:
        at, item_id = before
        heads = heads.having(sa.or_(newest < at, sa.and_(newest == at, first < item_id)))
    rows = session.execute(heads.order_by(newest.desc(), first.desc()).limit(limit)).all()
    return _items(session, actor, group, [(r.item_id, r.post_id) for r in rows], statuses)


@dataclass(frozen=True)
class QueueView:
    """A group's moderation queue as its page shows it."""

    group: Group
    items: list[FlagItem]
    open_count: int
    next_before: tuple[datetime, int] | None
    """Where the next (older) page starts, if there is one."""


def queue(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    open_only: bool = True,
    before: tuple[datetime, int] | None = None,
    limit: int = 30,
) -> QueueView:
    items = list_items(
        session, actor, slug=slug, open_only=open_only, before=before, limit=limit + 1
    )
    group = _queue_group(session, actor, slug)
    assert group.id is not None
    shown = items[:limit]
    more = (shown[-1].created_at, shown[-1].id) if len(items) > limit else None
    return QueueView(group, shown, open_count(session, group.id), more)


def get_item(session: Session, actor: Actor, *, flag_id: int) -> FlagItem:
    """One item by any of its flags' ids, for whom may see the group's queue."""
    flag = session.get(Flag, flag_id)
    group = session.get(Group, flag.group_id) if flag else None
    if flag is None or group is None or not policy.can_review_moderation(actor, group):
        raise NotFound("flag")
    statuses = [flag.status]
    same_item = (
        col(Flag.resolved_at).is_(None)
        if flag.resolved_at is None
        else col(Flag.resolved_at) == flag.resolved_at
    )
    head = session.exec(
        select(sa.func.min(col(Flag.id))).where(
            col(Flag.post_id) == flag.post_id, col(Flag.status) == flag.status, same_item
        )
    ).one()
    if head is None:
        raise NotFound("flag")
    found = _items(session, actor, group, [(head, flag.post_id)], statuses, flag.resolved_at)
    if not found:
        raise NotFound("flag")
    return found[0]


def _items(
    session: Session,
    actor: Actor,
    group: Group,
    heads: list[tuple[int, int]],
    statuses: list[FlagStatus],
    resolved_at: datetime | None = None,
) -> list[FlagItem]:
    if not heads:
        return []
    post_ids = [post_id for _, post_id in heads]
    flagger = sa.orm.aliased(User)
    query = (
        select(Flag, col(flagger.name))
        .join(flagger, col(flagger.id) == Flag.user_id)
        .where(col(Flag.post_id).in_(post_ids), col(Flag.status).in_(statuses))
        .order_by(col(Flag.id))
    )
    if resolved_at is not None:
        query = query.where(col(Flag.resolved_at) == resolved_at)
    grouped: dict[tuple[int, datetime | None], list[tuple[Flag, str]]] = {}
    for flag, name in session.execute(query).all():
        grouped.setdefault((flag.post_id, flag.resolved_at), []).append((flag, name))
    by_head = {fs[0][0].id: fs for fs in grouped.values()}
    posts = {
        post.id: (post, thread, author, municipality, municipality_slug)
        for post, thread, author, municipality, municipality_slug in session.execute(
            sa.select(Post, Thread, User, col(Municipality.name), col(Municipality.slug))
            .join(Thread, col(Thread.id) == Post.thread_id)
            .join(User, col(User.id) == Post.author_id)
            .join(Municipality, col(Municipality.id) == User.municipality_id)
            .where(col(Post.id).in_(post_ids))
        ).all()
    }
    items: list[FlagItem] = []
    for item_id, post_id in heads:
        group_flags = by_head.get(item_id)
        if group_flags is None or post_id not in posts:
            continue
        post, thread, author, municipality, municipality_slug = posts[post_id]
        head = group_flags[0][0]
        items.append(
            FlagItem(
                id=item_id,
                post=post,
                thread=thread,
                author=author,
                municipality=municipality,
                municipality_slug=municipality_slug,
                reasons=[f.reason for f, _ in group_flags],
                flaggers=[name for _, name in group_flags],
                count=len(group_flags),
                status=head.status,
                created_at=max(f.created_at for f, _ in group_flags),
                resolved_at=head.resolved_at,
                resolution_reason=head.resolution_reason,
                can_resolve=head.status is FlagStatus.OPEN and policy.can_moderate(actor, group),
                group_slug=group.slug,
                reasons_by=[(name, f.reason) for f, name in group_flags],
            )
        )
    return items


def resolve(
    session: Session, actor: Actor, *, flag_id: int, action: Resolution, reason: str | None
) -> FlagItem:
    """Resolve an item: hide the post (a reason is required: its author is shown it) or
    dismiss the flags. The flaggers are told the outcome; one audit entry."""
    text = moderation.check_reason(reason, required=action is Resolution.HIDE)
    flag = session.get(Flag, flag_id)
    group = session.get(Group, flag.group_id) if flag else None
    if flag is None or group is None or not policy.can_review_moderation(actor, group):
        raise NotFound("flag")
    policy.require_moderator(actor, group)
    # Two leads resolving at once: the second waits for the first here, then reads the
    # flag as the first left it.
    locked = locking.post_and_thread(session, flag.post_id)
    assert locked is not None
    post, thread = locked
    session.refresh(flag)
    if flag.status is not FlagStatus.OPEN:
        raise Conflict("The flag has been resolved already.")
    open_flags = col(Flag.post_id) == post.id, col(Flag.status) == FlagStatus.OPEN
    count = session.exec(select(sa.func.count()).select_from(Flag).where(*open_flags)).one()
    before = {"status": "open", "flags": count, "hidden": post.hidden_at is not None}
    now = utcnow()
    if action is Resolution.HIDE and post.hidden_at is None and post.deleted_at is None:
        moderation.conceal(session, actor, post=post, thread=thread, group=group, reason=text)
    else:
        flaggers = list(session.exec(select(Flag.user_id).where(*open_flags)).all())
        status = FlagStatus.RESOLVED if action is Resolution.HIDE else FlagStatus.DISMISSED
        session.execute(
            sa.update(Flag)
            .where(*open_flags)
            .values(
                status=status,
                resolved_at=now,
                resolved_by_id=actor.user_id or None,
                resolution_reason=text or None,
            )
        )
        notifications.tell(
            session,
            actor,
            flaggers,
            NotificationKind.FLAG_OUTCOME,
            group=group,
            thread_id=thread.id,
            post_id=post.id,
            outcome=action.value,
        )
    audit.record(
        session,
        actor,
        f"flag.{action.value}",
        target_type="post",
        target_id=post.id,
        group_id=group.id,
        reason=text,
        before=before,
        after={"status": "resolved", "flags": count, "hidden": post.hidden_at is not None},
    )
    session.flush()
    session.expire_all()
    return get_item(session, actor, flag_id=flag_id)


def open_count(session: Session, group_id: int) -> int:
    """Open items of a group's queue (posts with open flags)."""
    return int(
        session.exec(
            select(sa.func.count(sa.distinct(col(Flag.post_id)))).where(
                col(Flag.group_id) == group_id, col(Flag.status) == FlagStatus.OPEN
            )
        ).one()
    )


def parse_at(value: object, field: str = "cursor") -> datetime:
    """A queue position's time (ISO 8601); one without a zone is taken as UTC."""
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid.field(field, "Not a position in the queue.", field) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def check_resolution(value: str) -> Resolution:
    try:
        return Resolution(value)
    except ValueError:
        raise Invalid.field("action", "Resolve with hide or dismiss.", "action") from None
