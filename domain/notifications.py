"""Following discussions and groups, @mentions, and the in-app notifications they cause.

Officials follow a discussion by starting it, replying in it, or choosing to; they follow
a group by choosing to. A post tells, once each: the officials it mentions
by handle (`@karin.lund`), the author of the post it replies to, the followers of its
discussion, and for a new discussion the followers of its group. Nobody is told about
their own post, and only officials who may read the group are told at all: the policy's
`group_readers_clause` decides, as it does for the suggestions of whom to mention, which
never show an email address.

Whoever writes or reads notifications here records on the session whose they changed
(`changed_users`): once the transaction commits, the live pages' hub (erfa/live.py) wakes
those officials' streams, which count again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from domain import directory, handles, markup, policy, upsert
from domain.actor import Actor
from domain.errors import NotFound
from models import (
    Event,
    Group,
    Job,
    MailPace,
    MemberRole,
    Membership,
    Municipality,
    Notification,
    NotificationKind,
    Post,
    Subscription,
    Thread,
    User,
    UserStatus,
    utcnow,
)

MENTION = markup.MENTION
"""`@handle`, not inside a word or address (`karin@nora.se` mentions nobody) nor followed by
more of one (`@karin.lund@nora.se`, the old form, mentions nobody either). The character
class takes in a sentence's closing `.` or `-`, which `mentioned_handles` drops; the
lookahead refuses a shorter match inside a longer run. ASCII classes without IGNORECASE,
which would let `[a-z]` match the Kelvin sign."""
MAX_MENTIONS = 20
SUGGESTIONS = 8
MIN_QUERY = 2
"""Suggestions start at two characters: the address book is not listed a letter at a time."""


POST_NEWS = (NotificationKind.REPLY, NotificationKind.MENTION, NotificationKind.NEW_THREAD)
"""Kinds that point readers at a post: shown only while the post is live. The others
(moderation and membership news) are shown to whom they concern whatever the post's state."""
MAILED = (
    NotificationKind.MENTION,
    NotificationKind.REPLY,
    NotificationKind.NEW_THREAD,
    NotificationKind.JOIN_REQUEST,
    NotificationKind.JOIN_ANSWER,
)
"""The kinds that are also mailed (`domain/notification_mail.py`)."""
MAIL_JOB = "notifications.mail"
"""The durable job that mails one official what they have not been told yet."""
MAIL_DELAY = timedelta(minutes=1)
"""How long "at once" waits: replies that come in a burst go out in one mail, and what
the official reads in the app meanwhile is not mailed."""
CHANGED = "erfa.notifications_changed"
"""`session.info` key: the officials whose notifications this session's work changed."""


@dataclass(frozen=True)
class NotificationView:
    notification: Notification
    actor_name: str
    thread_title: str
    position: int | None
    group_slug: str = ""
    group_name: str = ""
    event_title: str = ""


def mentioned_handles(body: str) -> list[str]:
    """The handles a post mentions, outside quoted lines, at most `MAX_MENTIONS`."""
    text = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(">"))
    seen: dict[str, None] = {}
    for match in MENTION.finditer(text):
        handle = match.group(1).rstrip(".-").lower()
        if handles.MIN_LENGTH <= len(handle) <= handles.MAX_LENGTH:
            seen.setdefault(handle, None)
    return list(seen)[:MAX_MENTIONS]


def on_post(
    session: Session, actor: Actor, *, post: Post, thread: Thread, group: Group, new_thread: bool
) -> None:
    """What a new post causes: its author follows the discussion; the others are told."""
    assert actor.user_id is not None
    assert post.id is not None
    assert thread.id is not None
    _follow(session, actor.user_id, thread_id=thread.id)
    kinds: dict[int, NotificationKind] = {}
    if new_thread:
        for user_id in _followers(session, group_id=group.id):
            kinds[user_id] = NotificationKind.NEW_THREAD
    else:
        for user_id in _followers(session, thread_id=thread.id):
            kinds[user_id] = NotificationKind.REPLY
    if post.reply_to_id is not None:
        replied_to = session.get(Post, post.reply_to_id)
        if replied_to is not None:
            kinds[replied_to.author_id] = NotificationKind.REPLY
    kinds.update(_mentioned(session, mentioned_handles(post.body)))
    _tell(session, actor, kinds, post=post, thread=thread, group=group)


def on_edit(
    session: Session, actor: Actor, *, post: Post, old_body: str, thread: Thread, group: Group
) -> None:
    """An edit tells only the officials it newly mentions, and none twice about one post
    (taking a mention out and putting it back does not tell again)."""
    before = set(mentioned_handles(old_body))
    added = _mentioned(
        session, [handle for handle in mentioned_handles(post.body) if handle not in before]
    )
    if added:
        told = session.exec(
            select(Notification.user_id).where(
                col(Notification.post_id) == post.id, col(Notification.user_id).in_(added)
            )
        ).all()
        for user_id in told:
            added.pop(user_id, None)
    _tell(session, actor, added, post=post, thread=thread, group=group)


def _mentioned(session: Session, mentioned: list[str]) -> dict[int, NotificationKind]:
    if not mentioned:
        return {}
    found = session.exec(select(User.id).where(col(User.handle).in_(mentioned))).all()
    return {user_id: NotificationKind.MENTION for user_id in found if user_id is not None}


def _tell(
    session: Session,
    actor: Actor,
    kinds: dict[int, NotificationKind],
    *,
    post: Post,
    thread: Thread,
    group: Group,
) -> None:
    """Notify `kinds` of `post`: never its author, and only officials who may read the group."""
    kinds.pop(actor.user_id or 0, None)
    if not kinds:
        return
    readers = session.exec(
        select(User.id).where(col(User.id).in_(kinds), policy.group_readers_clause(group))
    ).all()
    if not readers:
        return
    now = utcnow()
    session.execute(
        sa.insert(Notification),
        [
            {
                "user_id": user_id,
                "kind": kinds[user_id],
                "actor_id": actor.user_id,
                "group_id": group.id,
                "thread_id": thread.id,
                "post_id": post.id,
                "created_at": now,
            }
            for user_id in readers
            if user_id is not None
        ],
    )
    told = [u for u in readers if u is not None]
    _changed(session, told)
    mail_at_once(session, told, set(kinds.values()))


def tell(
    session: Session,
    actor: Actor,
    user_ids: Iterable[int | None],
    kind: NotificationKind,
    *,
    group: Group | None,
    thread_id: int | None = None,
    post_id: int | None = None,
    outcome: str | None = None,
    event_id: int | None = None,
) -> None:
    """Tell officials about a moderation or membership act (a join request, its answer, a
    flag, its outcome, a hidden or restored post) or about an event they registered for
    (`group` None: an event of the whole association); never the actor. What the list
    shows later is still filtered by what each of them may see (`_shown`)."""
    recipients = sorted({u for u in user_ids if u is not None and u != actor.user_id})
    if not recipients:
        return
    now = utcnow()
    session.execute(
        sa.insert(Notification),
        [
            {
                "user_id": user_id,
                "kind": kind,
                "actor_id": actor.user_id or None,
                "group_id": group.id if group is not None else None,
                "thread_id": thread_id,
                "post_id": post_id,
                "outcome": outcome,
                "event_id": event_id,
                "created_at": now,
            }
            for user_id in recipients
        ],
    )
    _changed(session, recipients)
    mail_at_once(session, recipients, {kind})


def mail_at_once(session: Session, user_ids: list[int], kinds: set[NotificationKind]) -> None:
    """Notifications of `kinds` were just written for `user_ids`: a durable job that
    mails each of them who wants mail at once (`MailPace.INSTANT`) — one statement to
    find them, one to enqueue the jobs. The digests gather the others."""
    if not user_ids or not kinds.intersection(MAILED):
        return
    instant = session.execute(
        sa.select(col(User.id)).where(
            col(User.id).in_(user_ids),
            col(User.mail_pace) == MailPace.INSTANT,
            col(User.status) == UserStatus.ACTIVE,
        )
    ).scalars()
    now = utcnow()
    rows = [
        {
            "kind": MAIL_JOB,
            "payload": {"user": user_id},
            "run_at": now + MAIL_DELAY,
            "created_at": now,
        }
        for user_id in instant
    ]
    if rows:
        session.execute(sa.insert(Job), rows)


def group_leads(session: Session, group_id: int | None) -> list[int]:
    """The leads of a group: who hears of its join requests and flags."""
    return list(
        session.exec(
            select(Membership.user_id).where(
                Membership.group_id == group_id, Membership.role == MemberRole.LEAD
            )
        ).all()
    )


@dataclass(frozen=True)
class MentionView:
    """An official one may mention, as suggestions show them: no email address."""

    name: str
    title: str
    municipality: str
    handle: str


def suggest_mentions(session: Session, actor: Actor, slug: str, query: str) -> list[MentionView]:
    """Officials who may read the group whose handle, name or a word of their name starts
    like `query`, for an actor who may read it too. Only the columns a suggestion shows are
    read, so an address cannot slip into one."""
    group = policy.require_readable_content(actor, directory.group_by_slug(session, slug))
    query = query.strip().lstrip("@").lower()
    if len(query) < MIN_QUERY:
        return []
    pattern = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    words = sa.or_(
        col(User.handle).like(pattern, escape="\\"),
        sa.func.lower(User.name).like(pattern, escape="\\"),
        sa.func.lower(User.name).like("% " + pattern, escape="\\"),
    )
    rows = session.exec(
        select(col(User.name), col(User.title), col(Municipality.name), col(User.handle))
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(words, policy.group_readers_clause(group))
        .order_by(col(User.name), col(User.id))
        .limit(SUGGESTIONS)
    ).all()
    return [MentionView(*row) for row in rows]


def follow_group(session: Session, actor: Actor, slug: str, *, on: bool = True) -> None:
    """Follow (or with `on=False` stop following) a group's new discussions."""
    group = policy.require_readable_content(actor, directory.group_by_slug(session, slug))
    set_following(session, actor, on, group_id=group.id)


def set_following(
    session: Session,
    actor: Actor,
    on: bool,
    *,
    thread_id: int | None = None,
    group_id: int | None = None,
) -> None:
    """Follow or stop following one discussion or group the caller has found readable."""
    policy.require_write_access(actor)
    assert actor.user_id is not None
    if on:
        _follow(session, actor.user_id, thread_id=thread_id, group_id=group_id)
    else:
        session.execute(
            sa.delete(Subscription).where(
                col(Subscription.user_id) == actor.user_id, _target(thread_id, group_id)
            )
        )


def is_following(
    session: Session, actor: Actor, *, thread_id: int | None = None, group_id: int | None = None
) -> bool:
    if actor.user_id is None:
        return False
    found = session.exec(
        select(Subscription.id).where(
            col(Subscription.user_id) == actor.user_id, _target(thread_id, group_id)
        )
    ).first()
    return found is not None


def _target(thread_id: int | None, group_id: int | None) -> sa.ColumnElement[bool]:
    """The subscriptions to one discussion, or else to one group."""
    if thread_id is not None:
        return col(Subscription.thread_id) == thread_id
    return col(Subscription.group_id) == group_id


def _shown(query: sa.Select[Any], actor: Actor) -> sa.Select[Any]:
    """The actor's notifications that still point at something they may see.

    About a discussion: the group it is in now must be readable, and news of a post
    (`POST_NEWS`) needs the post live. About a group alone (a join request or its answer):
    the group must be visible to them. About an event (changed, cancelled, a place from
    the waiting list): the event must be one they see, the whole association's or a
    group's they read (`policy.visible_events_clause`).
    """
    group_id = sa.func.coalesce(col(Thread.group_id), col(Notification.group_id))
    return (
        query.select_from(Notification)
        .outerjoin(Thread, col(Thread.id) == Notification.thread_id)
        .outerjoin(Group, col(Group.id) == group_id)
        .outerjoin(Event, col(Event.id) == Notification.event_id)
        .outerjoin(Post, col(Post.id) == Notification.post_id)
        .where(
            col(Notification.user_id) == actor.user_id,
            sa.or_(
                sa.and_(col(Thread.id).is_not(None), policy.readable_groups_clause(actor)),
                sa.and_(
                    col(Notification.thread_id).is_(None),
                    col(Notification.event_id).is_(None),
                    policy.visible_groups_clause(actor),
                ),
                sa.and_(col(Event.id).is_not(None), policy.visible_events_clause(actor)),
            ),
            sa.or_(
                col(Notification.kind).not_in(POST_NEWS),
                col(Post.id).is_(None),
                sa.and_(col(Post.deleted_at).is_(None), col(Post.hidden_at).is_(None)),
            ),
        )
    )


_ANY_UNREAD = (
    sa.select(col(Notification.id))
    .where(col(Notification.user_id) == sa.bindparam("user_id"))
    .where(col(Notification.read_at).is_(None))
    .limit(1)
)
"""Built once: the statement every page's header sends first."""


def unread_count(session: Session, actor: Actor) -> int:
    """The header's count: unread notifications the list would show.

    Most pages are shown to an official with nothing unread: one indexed look-up says so,
    before the count that asks the policy of each notification is built and sent."""
    if actor.user_id is None:
        return 0
    if session.execute(_ANY_UNREAD, {"user_id": actor.user_id}).first() is None:
        return 0
    query = _shown(sa.select(sa.func.count()), actor).where(col(Notification.read_at).is_(None))
    return int(session.execute(query).scalar_one())


def list_notifications(
    session: Session,
    actor: Actor,
    *,
    before_id: int | None = None,
    limit: int = 50,
    where: Iterable[sa.ColumnElement[bool]] = (),
) -> list[NotificationView]:
    """The actor's notifications, newest first, about what they may still read (and
    that meet `where`: the mails ask for those not read or mailed yet)."""
    author = aliased(User)
    query = (
        _shown(
            sa.select(
                Notification,
                col(author.name),
                col(Thread.title),
                col(Post.position),
                col(Group.slug),
                col(Group.name),
                col(Event.title),
            ),
            actor,
        )
        .outerjoin(author, col(author.id) == Notification.actor_id)
        .order_by(col(Notification.id).desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(col(Notification.id) < before_id)
    query = query.where(*where)
    return [
        NotificationView(
            notification,
            name or "",
            title or "",
            position,
            slug or "",
            group_name or "",
            event_title or "",
        )
        for notification, name, title, position, slug, group_name, event_title in session.execute(
            query
        ).all()
    ]


def open_notification(session: Session, actor: Actor, notification_id: int) -> NotificationView:
    """Mark one of the actor's notifications read and say where it points."""
    views = [
        view
        for view in list_notifications(session, actor, before_id=notification_id + 1, limit=1)
        if view.notification.id == notification_id
    ]
    if not views:
        raise NotFound("notification")
    _mark(session, actor, col(Notification.id) == notification_id)
    return views[0]


def mark_all_read(session: Session, actor: Actor) -> None:
    _mark(session, actor, sa.true())


def mark_thread_read(session: Session, actor: Actor, thread_id: int) -> None:
    """Reading a discussion answers what one was told about it."""
    _mark(session, actor, col(Notification.thread_id) == thread_id)


def _mark(session: Session, actor: Actor, which: sa.ColumnElement[bool]) -> None:
    result = session.execute(
        sa.update(Notification)
        .where(
            col(Notification.user_id) == actor.user_id,
            col(Notification.read_at).is_(None),
            which,
        )
        .values(read_at=utcnow())
    )
    if getattr(result, "rowcount", 0) and actor.user_id is not None:
        _changed(session, [actor.user_id])


def _changed(session: Session, user_ids: Iterable[int]) -> None:
    session.info.setdefault(CHANGED, set()).update(user_ids)


def changed_users(session: Session) -> set[int]:
    """The officials whose notifications the session changed since the last call (whose
    streams the hub wakes after a commit); a rolled-back change wakes them needlessly,
    which costs one count."""
    found: set[int] = session.info.pop(CHANGED, set())
    return found


def _followers(
    session: Session, *, thread_id: int | None = None, group_id: int | None = None
) -> list[int]:
    query = select(Subscription.user_id).where(_target(thread_id, group_id))
    return list(session.exec(query).all())


def _follow(
    session: Session, user_id: int, *, thread_id: int | None = None, group_id: int | None = None
) -> None:
    statement = upsert.insert(session, Subscription).values(
        user_id=user_id, thread_id=thread_id, group_id=group_id, created_at=utcnow()
    )
    session.execute(statement.on_conflict_do_nothing())
