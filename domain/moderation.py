"""What group leads (and coordinators) do to discussions and posts in their groups: pin, lock
with a reason, rename, move to another group, slow mode; hide a post with a reason and
restore it. Moderation never deletes: a hidden post keeps its text for its author and the
moderators, leaves the search index and comes to sync consumers as a tombstone, and comes
back on restore.

Every act is checked by `domain/policy.py`, raises the thread's (and group's) version, and
writes exactly one audit entry with what changed. Each locks what it decides on before
reading it, the discussion before its groups and posts (domain/locking.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit, changes, directory, locking, notifications, policy, search, threads
from domain.actor import Actor
from domain.errors import Conflict, Invalid, NotFound, StaleVersion
from models import (
    Flag,
    FlagStatus,
    Group,
    NotificationKind,
    Post,
    Resource,
    SearchEntry,
    Thread,
    Visibility,
    utcnow,
)

MAX_SLOW_MODE = threads.MAX_SLOW_MODE


def check_reason(reason: str | None, *, required: bool) -> str:
    """A moderation reason (`audit.check_reason`); when required, the author is shown it."""
    return audit.check_reason(
        reason, required=required, missing="Say why: the author is shown the reason."
    )


def _moderated_thread(session: Session, actor: Actor, thread_id: int) -> tuple[Thread, Group]:
    """The discussion, locked, and its group."""
    thread = locking.for_change(session, Thread, thread_id)
    group = session.get(Group, thread.group_id) if thread else None
    if thread is None or group is None or not policy.can_read_group_content(actor, group):
        raise NotFound("discussion")
    policy.require_moderator(actor, group)
    return thread, group


def _changed(session: Session, thread: Thread, *groups: Group) -> None:
    """A moderation act changes the discussion and how its group lists it."""
    thread.version += 1
    thread.updated_at = utcnow()
    for group in groups:
        session.execute(
            sa.update(Group).where(col(Group.id) == group.id).values(version=col(Group.version) + 1)
        )


def set_pinned(session: Session, actor: Actor, *, thread_id: int, pinned: bool) -> Thread:
    thread, group = _moderated_thread(session, actor, thread_id)
    if thread.pinned is pinned:
        raise Conflict("The discussion is pinned already." if pinned else "It is not pinned.")
    thread.pinned = pinned
    _changed(session, thread, group)
    audit.record(
        session,
        actor,
        "thread.pin" if pinned else "thread.unpin",
        target_type="thread",
        target_id=thread.id,
        group_id=group.id,
        before={"pinned": not pinned},
        after={"pinned": pinned},
    )
    session.flush()
    return thread


def set_locked(
    session: Session, actor: Actor, *, thread_id: int, locked: bool, reason: str | None = None
) -> Thread:
    """Lock a discussion (no more replies; the reason is shown in it) or open it again."""
    text = check_reason(reason, required=False)
    thread, group = _moderated_thread(session, actor, thread_id)
    if thread.locked is locked:
        raise Conflict("The discussion is locked already." if locked else "It is not locked.")
    before = {"locked": thread.locked, "lock_reason": thread.lock_reason}
    thread.locked = locked
    thread.lock_reason = (text or None) if locked else None
    _changed(session, thread, group)
    audit.record(
        session,
        actor,
        "thread.lock" if locked else "thread.unlock",
        target_type="thread",
        target_id=thread.id,
        group_id=group.id,
        reason=text,
        before=before,
        after={"locked": thread.locked, "lock_reason": thread.lock_reason},
    )
    session.flush()
    return thread


def rename(session: Session, actor: Actor, *, thread_id: int, title: str) -> Thread:
    return update_thread(session, actor, thread_id=thread_id, title=title)


def set_slow_mode(session: Session, actor: Actor, *, thread_id: int, seconds: int) -> Thread:
    return update_thread(session, actor, thread_id=thread_id, slow_mode_s=seconds)


def update_thread(
    session: Session,
    actor: Actor,
    *,
    thread_id: int,
    title: str | None = None,
    slow_mode_s: int | None = None,
    expected_version: int | None = None,
) -> Thread:
    """Rename a discussion and/or set its slow mode: each member waits `slow_mode_s` seconds
    between their posts here (0 turns it off; moderators are not slowed). One act, one
    audit entry with the fields that changed."""
    new_title = threads.check_title(title) if title is not None else None
    if slow_mode_s is not None and not 0 <= slow_mode_s <= MAX_SLOW_MODE:
        raise Invalid.field("slow_mode_s", f"Slow mode is 0–{MAX_SLOW_MODE} seconds.", "range")
    thread, group = _moderated_thread(session, actor, thread_id)
    if expected_version is not None and expected_version != thread.version:
        raise StaleVersion(
            f"The discussion is at version {thread.version}, not {expected_version}."
        )
    next_title = new_title if new_title is not None else thread.title
    next_slow = slow_mode_s if slow_mode_s is not None else thread.slow_mode_s
    before, after = audit.changed(
        {"title": thread.title, "slow_mode_s": thread.slow_mode_s},
        {"title": next_title, "slow_mode_s": next_slow},
    )
    if not after:
        raise Conflict("Nothing to change: the discussion is like that already.")
    thread.title, thread.slow_mode_s = next_title, next_slow
    _changed(session, thread, group)
    if "title" in after:
        assert thread.id is not None
        search.index(
            session,
            kind="thread",
            ref_id=thread.id,
            group_id=group.id or 0,
            thread_id=thread.id,
            title=thread.title,
            body="",
        )
        session.execute(
            sa.update(SearchEntry)
            .where(col(SearchEntry.thread_id) == thread.id, col(SearchEntry.kind) == "post")
            .values(title=thread.title)
        )
    action = "thread.rename" if list(after) == ["title"] else "thread.slow_mode"
    audit.record(
        session,
        actor,
        action if len(after) == 1 else "thread.update",
        target_type="thread",
        target_id=thread.id,
        group_id=group.id,
        before=before,
        after=after,
    )
    session.flush()
    return thread


def move(session: Session, actor: Actor, *, thread_id: int, target_slug: str) -> Thread:
    """Move a discussion, with its posts, to another group. Its address stays the same; the
    discussion says where it came from."""
    thread, source = _moderated_thread(session, actor, thread_id)
    target = directory.group_by_slug(session, target_slug)
    if target is None or not (policy.can_see_group(actor, target) or policy.can_administer(actor)):
        raise Invalid.field("group", "There is no such group to move the discussion to.", "group")
    if target.id == source.id:
        raise Invalid.field("group", "The discussion is in that group already.", "same-group")
    if target.archived_at is not None:
        raise Invalid.field("group", "An archived group takes no discussions.", "archived")
    if not policy.can_move_thread(actor, source, target):
        raise Invalid.field("group", "You may only move discussions to groups you lead.", "lead")
    if session.exec(select(Resource.id).where(Resource.thread_id == thread_id)).first():
        raise Conflict("This is the discussion of a shared resource: it stays with the resource.")
    assert thread.id is not None
    assert source.id is not None
    assert target.id is not None
    locking.groups(session, [source.id, target.id])
    locking.posts_of_thread(session, thread.id)
    thread.group_id = target.id
    thread.moved_from_group_id = source.id
    thread.moved_at = utcnow()
    _changed(session, thread, source, target)
    now = utcnow()
    session.execute(
        sa.update(Group)
        .where(col(Group.id) == source.id)
        .values(thread_count=col(Group.thread_count) - 1)
    )
    session.execute(
        sa.update(Group)
        .where(col(Group.id) == target.id)
        .values(thread_count=col(Group.thread_count) + 1, last_activity_at=now)
    )
    search.move(session, thread_id=thread.id, group_id=target.id)
    # Open flags follow the posts into the new group's queue; the posts change group for
    # sync consumers, so each gets a new change position.
    in_thread = select(Post.id).where(Post.thread_id == thread.id).scalar_subquery()
    session.execute(
        sa.update(Flag).where(col(Flag.post_id).in_(in_thread)).values(group_id=target.id)
    )
    table: sa.Table = Post.__table__  # type: ignore[attr-defined]
    changes.restamp(session, table, table.c.thread_id == thread.id)
    audit.record(
        session,
        actor,
        "thread.move",
        target_type="thread",
        target_id=thread.id,
        group_id=source.id,
        before={"group": source.slug},
        # The entry is read by the source group's leads: a secret group stays unnamed.
        after={"group": target.slug if target.visibility is not Visibility.SECRET else None},
        to_group_id=target.id,
    )
    session.flush()
    return thread


@dataclass(frozen=True)
class HideOutcome:
    post: Post
    group: Group


def _moderated_post(session: Session, actor: Actor, post_id: int) -> tuple[Post, Thread, Group]:
    """The post and its discussion, locked (the discussion first), and its group."""
    locked = locking.post_and_thread(session, post_id)
    if locked is None:
        raise NotFound("post")
    post, thread = locked
    group = session.get(Group, thread.group_id)
    if group is None:
        raise NotFound("post")
    if not policy.can_read_group_content(actor, group):
        raise NotFound("post")
    policy.require_moderator(actor, group)
    return post, thread, group


def hide_post(session: Session, actor: Actor, *, post_id: int, reason: str) -> Post:
    """Hide a post with a reason: its author sees it with the reason and is told; other
    readers see a placeholder. Open flags on it are resolved by the same act."""
    text = check_reason(reason, required=True)
    post, thread, group = _moderated_post(session, actor, post_id)
    if post.deleted_at is not None:
        raise Conflict("The post is deleted: there is nothing to hide.")
    if post.hidden_at is not None:
        raise Conflict("The post is hidden already.")
    _conceal(session, actor, post=post, thread=thread, group=group, reason=text)
    audit.record(
        session,
        actor,
        "post.hide",
        target_type="post",
        target_id=post.id,
        group_id=group.id,
        reason=text,
        before={"hidden": False},
        after={"hidden": True},
    )
    session.flush()
    return post


def conceal(
    session: Session, actor: Actor, *, post: Post, thread: Thread, group: Group, reason: str
) -> list[int]:
    """Hide the post (no audit entry: the caller's act writes it) and resolve its open
    flags. Returns the officials who had flagged it.

    The discussion and the post are locked first and `post` and `thread` read afresh, so
    a caller that read them without a lock may find them changed; a post deleted or hidden
    meanwhile is a Conflict."""
    assert post.id is not None
    if locking.post_and_thread(session, post.id) is None:
        raise NotFound("post")
    if post.deleted_at is not None:
        raise Conflict("The post is deleted: there is nothing to hide.")
    if post.hidden_at is not None:
        raise Conflict("The post is hidden already.")
    return _conceal(session, actor, post=post, thread=thread, group=group, reason=reason)


def _conceal(
    session: Session, actor: Actor, *, post: Post, thread: Thread, group: Group, reason: str
) -> list[int]:
    """`conceal` on a post and discussion the caller has locked."""
    assert post.id is not None
    now = utcnow()
    post.hidden_at = post.updated_at = now
    post.hidden_reason = reason
    post.hidden_by_id = actor.user_id or None
    post.version += 1
    changes.apply(session, post)
    search.unindex(session, kind="post", ref_id=post.id)
    _touch_thread(session, thread)
    flaggers = list(
        session.exec(
            select(Flag.user_id).where(Flag.post_id == post.id, Flag.status == FlagStatus.OPEN)
        ).all()
    )
    if flaggers:
        session.execute(
            sa.update(Flag)
            .where(col(Flag.post_id) == post.id, col(Flag.status) == FlagStatus.OPEN)
            .values(
                status=FlagStatus.RESOLVED,
                resolved_at=now,
                resolved_by_id=actor.user_id or None,
                resolution_reason=reason,
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
            outcome="hide",
        )
    notifications.tell(
        session,
        actor,
        [post.author_id],
        NotificationKind.POST_HIDDEN,
        group=group,
        thread_id=thread.id,
        post_id=post.id,
    )
    return flaggers


def restore_post(session: Session, actor: Actor, *, post_id: int) -> Post:
    """Show a hidden post again: back in the search index, the sync feed and the thread."""
    post, thread, group = _moderated_post(session, actor, post_id)
    if post.deleted_at is not None:
        raise Conflict("The post is deleted: its author withdrew it.")
    if post.hidden_at is None:
        raise Conflict("The post is not hidden.")
    before = {"hidden": True, "hidden_reason": post.hidden_reason}
    post.hidden_at = post.hidden_reason = post.hidden_by_id = None
    post.updated_at = utcnow()
    post.version += 1
    changes.apply(session, post)
    assert post.id is not None
    assert thread.id is not None
    search.index(
        session,
        kind="post",
        ref_id=post.id,
        group_id=group.id or 0,
        thread_id=thread.id,
        title=thread.title,
        body=post.body,
    )
    _touch_thread(session, thread)
    notifications.tell(
        session,
        actor,
        [post.author_id],
        NotificationKind.POST_RESTORED,
        group=group,
        thread_id=thread.id,
        post_id=post.id,
    )
    audit.record(
        session,
        actor,
        "post.restore",
        target_type="post",
        target_id=post.id,
        group_id=group.id,
        before=before,
        after={"hidden": False, "hidden_reason": None},
    )
    session.flush()
    return post


def _touch_thread(session: Session, thread: Thread) -> None:
    session.execute(
        sa.update(Thread).where(col(Thread.id) == thread.id).values(version=col(Thread.version) + 1)
    )
