"""Discussions: starting them, reading them, and the posts in them.

Every change a sync consumer must see (new, edited, deleted post) gives the post a new,
higher `change_seq`. Writers lock the discussion before its post (domain/locking.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import (
    activity,
    changes,
    directory,
    goals,
    locking,
    notifications,
    policy,
    reading,
    search,
    themes,
)
from domain.actor import Actor
from domain.errors import Conflict, Forbidden, Invalid, NotFound, StaleVersion, TooSoon
from domain.markup import RENDERER_VERSION, render_within_limit
from models import (
    Flag,
    Group,
    Municipality,
    Post,
    PostRevision,
    Theme,
    Thread,
    ThreadGoal,
    User,
    utcnow,
)

SLOW_MODE_CHOICES = (0, 10, 30, 60, 300, 900, 3600)
"""The slow-mode intervals the pages offer; the API takes any whole second up to a day."""
MAX_SLOW_MODE = 86_400
MAX_TITLE = 200
MAX_BODY = 50_000


@dataclass(frozen=True)
class PostView:
    post: Post
    author: User
    municipality: str
    can_edit: bool
    can_read_history: bool = False
    """The post was edited and the reader may see its earlier versions."""
    can_read_text: bool = True
    """The reader sees what it says: not when deleted, nor hidden unless theirs or moderated."""
    can_hide: bool = False
    can_restore: bool = False
    can_flag: bool = False
    flagged: bool = False
    """The reader has flagged it already."""
    municipality_slug: str = ""
    """The author's municipality, whose page (`/k/{slug}`) their name links to."""


@dataclass(frozen=True)
class ThreadView:
    thread: Thread
    group: Group
    author: User
    can_reply: bool
    goals: list[int] = field(default_factory=list)
    can_moderate: bool = False
    moved_from: Group | None = None
    """The group the discussion was moved out of, if it was (and the reader may see it)."""
    move_targets: list[tuple[str, str]] = field(default_factory=list)
    """(slug, name) of the groups a moderator may move it to."""
    slow_mode_choices: tuple[int, ...] = ()
    theme: Theme | None = None


@dataclass(frozen=True)
class Body:
    """A post's text, checked and rendered."""

    source: str
    html: str


def prepare_body(body: str) -> Body:
    """Check and render a post's text. Services call it before their first statement, so
    that rendering (up to a second for a large table) runs before the write transaction
    opens and never holds SQLite's write lock."""
    body = body.strip()
    if not body:
        raise Invalid.field("body", "Write something first.", "empty")
    if len(body) > MAX_BODY:
        raise Invalid.field("body", f"A post is at most {MAX_BODY} characters long.", "too-long")
    return Body(body, render_within_limit(body, field="body"))


def check_title(title: str) -> str:
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        raise Invalid.field("title", f"A title is 1–{MAX_TITLE} characters long.", "title")
    return title


def start_thread(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    title: str,
    body: str,
    goal_ids: Sequence[int] = (),
    theme: str | None = None,
) -> Thread:
    """`theme` is the slug of the yearly theme the discussion carries, if any."""
    return open_thread(
        session,
        actor,
        slug=slug,
        title=title,
        body=prepare_body(body),
        goal_ids=goal_ids,
        theme=theme,
    )


def open_thread(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    title: str,
    body: Body,
    goal_ids: Sequence[int] = (),
    theme: str | None = None,
) -> Thread:
    """`start_thread` with a body prepared beforehand (`prepare_body`)."""
    title = check_title(title)
    group = _group_to_start_in(session, actor, slug)
    tags = goals.check(session, goal_ids)
    theme_id = themes.theme_id_by_slug(session, theme)
    assert group.id is not None
    assert actor.user_id is not None
    now = utcnow()
    thread = Thread(
        group_id=group.id,
        author_id=actor.user_id,
        title=title,
        theme_id=theme_id,
        last_posted_at=now,
        last_poster_name=actor.name,
        created_at=now,
    )
    session.add(thread)
    session.flush()
    _add_post(session, actor, thread, group, body=body, reply_to_id=None)
    assert thread.id is not None
    goals.replace(session, ThreadGoal, thread.id, tags)
    search.index(
        session,
        kind="thread",
        ref_id=thread.id,
        group_id=group.id,
        thread_id=thread.id,
        title=title,
        body="",
    )
    # Its activity and version moved with the first post. The count is raised in SQL: a
    # move may have changed it since the group was read.
    session.execute(
        sa.update(Group)
        .where(col(Group.id) == group.id)
        .values(thread_count=col(Group.thread_count) + 1)
    )
    session.expire(group, ["thread_count"])
    session.flush()
    return thread


def reply(
    session: Session, actor: Actor, *, thread_id: int, body: str, reply_to_id: int | None = None
) -> Post:
    prepared = prepare_body(body)  # before the first statement: see prepare_body
    # Locked: the reply counts for the group the discussion is in when it is written.
    thread, group = _readable_thread(session, actor, thread_id, for_change=True)
    _require_replier(actor, thread, group)
    if thread.slow_mode_s and not policy.can_moderate(actor, group):
        _check_slow_mode(session, actor, thread)
    if reply_to_id is not None:
        target = session.get(Post, reply_to_id)
        if target is None or target.thread_id != thread.id:
            raise Invalid.field("reply_to_id", "Reply to a post of this discussion.")
    return _add_post(session, actor, thread, group, body=prepared, reply_to_id=reply_to_id)


def preview_reply(session: Session, actor: Actor, *, thread_id: int, body: str) -> Body:
    """A reply as its post would show it, for whoever may write it and nobody else: the
    checks of `reply` asked without writing (a closed group's outsider gets NotFound, a
    reader who may not post Forbidden, a locked discussion Conflict), then the body
    prepared as a post's is (Invalid for what posting would refuse)."""
    _require_replier(actor, *_readable_thread(session, actor, thread_id))
    return prepare_body(body)


def preview_thread(session: Session, actor: Actor, *, slug: str, body: str) -> Body:
    """A new discussion's first post as it would show, with the checks of `open_thread`."""
    _group_to_start_in(session, actor, slug)
    return prepare_body(body)


def _require_replier(actor: Actor, thread: Thread, group: Group) -> None:
    """What replying asks, and its preview too: may post in the group, and not locked."""
    policy.require_poster(actor, group)
    if thread.locked:
        raise Conflict("The discussion is locked: it takes no more replies.")


def _group_to_start_in(session: Session, actor: Actor, slug: str) -> Group:
    """What starting a discussion asks, and its preview too: the group, readable, and
    the actor may post in it."""
    group = policy.require_readable_content(actor, directory.group_by_slug(session, slug))
    policy.require_poster(actor, group)
    return group


def _check_slow_mode(session: Session, actor: Actor, thread: Thread) -> None:
    """Slow mode: one post per member every `thread.slow_mode_s` seconds."""
    last = session.exec(
        select(sa.func.max(col(Post.created_at))).where(
            Post.thread_id == thread.id, Post.author_id == actor.user_id
        )
    ).one()
    if last is None:
        return
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    waited = (utcnow() - last).total_seconds()
    if waited < thread.slow_mode_s:
        raise TooSoon(math.ceil(thread.slow_mode_s - waited))


def _add_post(
    session: Session,
    actor: Actor,
    thread: Thread,
    group: Group,
    *,
    body: Body,
    reply_to_id: int | None,
) -> Post:
    """The one way a post comes to be: counted, indexed, and announced to whom it concerns."""
    assert thread.id is not None
    assert actor.user_id is not None
    now = utcnow()
    # Positions come from the thread row, updated in the same statement that reads it.
    position = session.execute(
        sa.update(Thread)
        .where(col(Thread.id) == thread.id)
        .values(
            post_count=col(Thread.post_count) + 1,
            last_posted_at=now,
            last_poster_name=actor.name,
            version=col(Thread.version) + 1,
        )
        .returning(col(Thread.post_count))
    ).scalar_one()
    # Every post is activity of its group: the directory's "last active" and the ETag
    # of the group for its readers move with replies too.
    session.execute(
        sa.update(Group)
        .where(col(Group.id) == thread.group_id)
        .values(last_activity_at=now, version=col(Group.version) + 1)
    )
    session.expire(group, ["last_activity_at", "version"])
    post = Post(
        thread_id=thread.id,
        author_id=actor.user_id,
        position=position,
        reply_to_id=reply_to_id,
        body=body.source,
        body_html=body.html,
        renderer_version=RENDERER_VERSION,
        created_at=now,
    )
    changes.apply(session, post)
    session.add(post)
    session.flush()
    session.refresh(thread)
    assert post.id is not None
    search.index(
        session,
        kind="post",
        ref_id=post.id,
        group_id=thread.group_id,
        thread_id=thread.id,
        title=thread.title,
        body=body.source,
    )
    notifications.on_post(
        session, actor, post=post, thread=thread, group=group, new_thread=position == 1
    )
    reading.wrote(session, user_id=actor.user_id, thread_id=thread.id, position=position)
    if actor.municipality_id is not None:
        activity.count_post(
            session,
            group_id=thread.group_id,
            municipality_id=actor.municipality_id,
            at=now,
            new_thread=position == 1,
        )
    activity.touch_active(session, actor.user_id, now)
    return post


def edit_post(
    session: Session, actor: Actor, *, post_id: int, body: str, expected_version: int | None
) -> Post:
    """Edit one's own post; the previous text is kept as a revision."""
    prepared = prepare_body(body)  # before the first statement: see prepare_body
    post, _, group = _readable_post(session, actor, post_id, for_change=True)
    policy.require_post_editor(actor, post, group)
    if expected_version is not None and expected_version != post.version:
        raise StaleVersion(f"The post is at version {post.version}, not {expected_version}.")
    old_body = post.body
    session.add(
        PostRevision(
            post_id=post_id, version=post.version, body=post.body, edited_by_id=actor.user_id
        )
    )
    now = utcnow()
    post.body, post.body_html = prepared.source, prepared.html
    post.version += 1
    post.edited_at = post.updated_at = now
    changes.apply(session, post)
    session.flush()
    thread = session.get(Thread, post.thread_id)
    assert thread is not None
    search.index(
        session,
        kind="post",
        ref_id=post_id,
        group_id=group.id or 0,
        thread_id=post.thread_id,
        title=thread.title,
        body=prepared.source,
    )
    notifications.on_edit(session, actor, post=post, old_body=old_body, thread=thread, group=group)
    return post


def delete_post(session: Session, actor: Actor, *, post_id: int) -> Post:
    """A soft delete: the post keeps its place and becomes a tombstone."""
    post, _, group = _readable_post(session, actor, post_id, for_change=True)
    policy.require_write_access(actor)
    if not policy.can_delete_post(actor, post, group):
        raise Forbidden("Only the author deletes a post.")
    if post.deleted_at is None:
        post.deleted_at = post.updated_at = utcnow()
        post.version += 1
        changes.apply(session, post)
        search.unindex(session, kind="post", ref_id=post_id)
        session.flush()
    return post


def follow_thread(session: Session, actor: Actor, thread_id: int, *, on: bool = True) -> None:
    """Follow (or with `on=False` stop following) a discussion the actor may read."""
    _readable_thread(session, actor, thread_id)
    notifications.set_following(session, actor, on, thread_id=thread_id)


def get_thread(session: Session, actor: Actor, thread_id: int) -> ThreadView:
    thread, group = _readable_thread(session, actor, thread_id)
    author = session.get(User, thread.author_id)
    assert author is not None
    moved_from = (
        session.get(Group, thread.moved_from_group_id) if thread.moved_from_group_id else None
    )
    can_moderate = policy.can_moderate(actor, group)
    return ThreadView(
        thread,
        group,
        author,
        policy.can_reply(actor, thread, group),
        goals.of(session, ThreadGoal, [thread_id])[thread_id],
        can_moderate=can_moderate,
        moved_from=moved_from
        if moved_from is not None and policy.can_see_group(actor, moved_from)
        else None,
        move_targets=_move_targets(session, actor, group) if can_moderate else [],
        slow_mode_choices=SLOW_MODE_CHOICES,
        theme=session.get(Theme, thread.theme_id) if thread.theme_id is not None else None,
    )


def _move_targets(session: Session, actor: Actor, source: Group) -> list[tuple[str, str]]:
    candidates = session.exec(
        select(Group)
        .where(col(Group.id) != source.id, col(Group.archived_at).is_(None))
        .where(sa.true() if actor.is_coordinator else col(Group.id).in_(actor.member_group_ids))
        .order_by(col(Group.name))
    ).all()
    return [
        (group.slug, group.name)
        for group in candidates
        if policy.can_move_thread(actor, source, group)
    ]


def list_threads(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    offset: int = 0,
    limit: int = 50,
    goal: int | None = None,
) -> list[tuple[Thread, User]]:
    """Pinned first, then by last activity, newest first; only those tagged `goal` if given."""
    group = policy.require_readable_content(actor, directory.group_by_slug(session, slug))
    query = _GROUP_THREADS if goal is None else _GROUP_THREADS.where(goals.tagged(ThreadGoal, goal))
    rows = session.execute(query, {"group_id": group.id, "offset": offset, "limit": limit})
    return [(thread, user) for thread, user in rows.all()]


_GROUP_THREADS = (
    sa.select(Thread, User)
    .join(User, col(User.id) == Thread.author_id)
    .where(col(Thread.group_id) == sa.bindparam("group_id"))
    .order_by(col(Thread.pinned).desc(), col(Thread.last_posted_at).desc(), col(Thread.id).desc())
    .offset(sa.bindparam("offset"))
    .limit(sa.bindparam("limit"))
)
"""A page of a group's discussions, built once: every group page sends it."""


_POSTS = (
    sa.select(
        Post,
        User,
        col(Municipality.name),
        col(Municipality.slug),
        sa.exists().where(  # the reader flagged it: their flag link says so instead
            col(Flag.post_id) == Post.id, col(Flag.user_id) == sa.bindparam("flagger_id")
        ),
    )
    .join(User, col(User.id) == Post.author_id)
    .join(Municipality, col(Municipality.id) == User.municipality_id)
    .where(col(Post.thread_id) == sa.bindparam("thread_id"))
    .where(col(Post.position) > sa.bindparam("after"))
    .order_by(col(Post.position))
    .limit(sa.bindparam("limit"))
)
"""A page of a discussion's posts, built once (its cache key with it): every discussion
page sends it."""


def list_posts(
    session: Session, actor: Actor, *, thread_id: int, after_position: int = 0, limit: int = 50
) -> list[PostView]:
    _, group = _readable_thread(session, actor, thread_id)
    rows = session.execute(
        _POSTS,
        {
            "thread_id": thread_id,
            "after": after_position,
            "limit": limit,
            "flagger_id": actor.user_id or -1,
        },
    ).all()
    flagged = frozenset(p.id for p, _, _, _, flag in rows if flag and p.id is not None)
    return [_view_of(actor, p, u, (m, slug), group, flagged) for p, u, m, slug, _ in rows]


def _flagged_by(session: Session, actor: Actor, post_ids: list[int]) -> frozenset[int]:
    """Which of these posts the actor has flagged: their flag link says so instead."""
    if actor.user_id is None or not post_ids:
        return frozenset()
    return frozenset(
        session.exec(
            select(Flag.post_id).where(
                Flag.user_id == actor.user_id, col(Flag.post_id).in_(post_ids)
            )
        ).all()
    )


def get_post(session: Session, actor: Actor, post_id: int) -> PostView:
    post, _, group = _readable_post(session, actor, post_id)
    return _post_view(session, actor, post, group)


def _post_view(session: Session, actor: Actor, post: Post, group: Group) -> PostView:
    author = session.get(User, post.author_id)
    assert author is not None
    municipality = session.get(Municipality, author.municipality_id)
    flagged = _flagged_by(session, actor, [post.id] if post.id is not None else [])
    home = (municipality.name, municipality.slug) if municipality else ("", "")
    return _view_of(actor, post, author, home, group, flagged)


def _view_of(
    actor: Actor,
    post: Post,
    author: User,
    municipality: tuple[str, str],
    group: Group,
    flagged: frozenset[int] = frozenset(),
) -> PostView:
    """`municipality` is the author's: its name and slug."""
    can_read = policy.can_read_post_text(actor, post, group)
    can_hide = policy.can_hide_post(actor, post, group)
    return PostView(
        post,
        author,
        municipality[0],
        can_edit=policy.can_edit_post(actor, post, group),
        can_read_history=post.edited_at is not None and can_read,
        can_read_text=can_read,
        can_hide=can_hide and post.hidden_at is None,
        can_restore=can_hide and post.hidden_at is not None,
        can_flag=policy.can_flag(actor, post, group) and post.id not in flagged,
        flagged=post.id in flagged,
        municipality_slug=municipality[1],
    )


def quote(session: Session, actor: Actor, *, post_id: int, thread_id: int) -> str:
    """The start of a reply that quotes a post of the same discussion ("" if it cannot)."""
    try:
        post, _, group = _readable_post(session, actor, post_id)
    except NotFound:
        return ""
    if post.thread_id != thread_id or post.hidden_at is not None:
        return ""
    if not policy.can_read_post_text(actor, post, group):
        return ""
    author = session.get(User, post.author_id)
    name = author.name if author else ""
    lines = post.body.strip().splitlines()[:20]
    return f"{name}:\n" + "\n".join(f"> {line}" for line in lines) + "\n\n"


def post_for_editing(session: Session, actor: Actor, post_id: int) -> PostView:
    """The post as its edit form shows it: only its author, only while it is live."""
    post, _, group = _readable_post(session, actor, post_id)
    policy.require_post_editor(actor, post, group)
    return _post_view(session, actor, post, group)


def post_history(
    session: Session, actor: Actor, post_id: int
) -> tuple[PostView, list[PostRevision]]:
    """A post and its earlier versions, for those who may read its text (never a deleted one)."""
    post, _, group = _readable_post(session, actor, post_id)
    policy.require_post_text_reader(actor, post, group)
    return _post_view(session, actor, post, group), list(
        session.exec(
            select(PostRevision)
            .where(PostRevision.post_id == post_id)
            .order_by(col(PostRevision.version))
        ).all()
    )


def _readable_thread(
    session: Session, actor: Actor, thread_id: int, *, for_change: bool = False
) -> tuple[Thread, Group]:
    """The discussion and its group; `for_change` locks the discussion first."""
    thread = (
        locking.for_change(session, Thread, thread_id)
        if for_change
        else session.get(Thread, thread_id)
    )
    group = session.get(Group, thread.group_id) if thread else None
    if thread is None or group is None or not policy.can_read_group_content(actor, group):
        raise NotFound("discussion")
    return thread, group


def _readable_post(
    session: Session, actor: Actor, post_id: int, *, for_change: bool = False
) -> tuple[Post, Thread, Group]:
    """The post, its discussion and group; `for_change` locks the discussion, then the post."""
    if for_change:
        locked = locking.post_and_thread(session, post_id)
        post = locked[0] if locked is not None else None
    else:
        post = session.get(Post, post_id)
    if post is None:
        raise NotFound("post")
    try:
        thread, group = _readable_thread(session, actor, post.thread_id)
    except NotFound:
        raise NotFound("post") from None
    if not policy.can_see_post(actor, post, group):
        raise NotFound("post")
    return post, thread, group


def recent_activity(
    session: Session, actor: Actor, *, limit: int = 10, goal: int | None = None
) -> list[tuple[Thread, Group]]:
    """The discussions with the latest posts, across the groups the actor may read."""
    rows = session.exec(
        select(Thread, Group)
        .join(Group, col(Group.id) == Thread.group_id)
        .where(policy.readable_groups_clause(actor))
        .where(goals.tagged(ThreadGoal, goal) if goal is not None else sa.true())
        .order_by(col(Thread.last_posted_at).desc(), col(Thread.id).desc())
        .limit(limit)
    ).all()
    return [(thread, group) for thread, group in rows]
