"""Plain factory functions: `make_thing(session, **overrides)`; every one flushes."""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import Session, select

from domain.handles import free_handle, handle_from_name
from domain.markup import RENDERER_VERSION, render_markdown
from domain.passwords import hash_password
from models import (
    FocusArea,
    Group,
    MemberRole,
    Membership,
    Municipality,
    Post,
    Thread,
    User,
    UserStatus,
    Visibility,
    utcnow,
)

_sequence = itertools.count(1)

# The demo groups PRODUCT.md promises, in the order they are seeded.
DEMO_GROUP_SLUGS = [
    "ungdom",
    "attraktionskraft",
    "kommunikation",
    "mangfald",
    "jamstalldhet",
    "styrgrupp",
]
PASSWORD = "correct horse battery staple"
_password_hash = hash_password(PASSWORD)


def municipality(session: Session, slug: str = "avesta") -> Municipality:
    found = session.exec(select(Municipality).where(Municipality.slug == slug)).one()
    return found


def make_user(session: Session, **overrides: Any) -> User:
    n = next(_sequence)
    values: dict[str, Any] = {
        "email": f"official{n}@avesta.se",
        "name": f"Official {n}",
        "title": "Utvecklare",
        "municipality_id": municipality(session).id,
        "password_hash": _password_hash,
        "status": UserStatus.ACTIVE,
    }
    values.update(overrides)
    values.setdefault("handle", free_handle(session, handle_from_name(values["name"])))
    user = User(**values)
    session.add(user)
    session.flush()
    return user


def make_group(session: Session, **overrides: Any) -> Group:
    n = next(_sequence)
    values: dict[str, Any] = {
        "slug": f"group-{n}",
        "name": f"Group {n}",
        "focus_area": FocusArea.YOUTH,
        "visibility": Visibility.OPEN,
        "description": "A group for tests.",
    }
    values.update(overrides)
    group = Group(**values)
    session.add(group)
    session.flush()
    return group


def make_membership(
    session: Session, *, group: Group, user: User, role: MemberRole = MemberRole.MEMBER
) -> Membership:
    assert group.id is not None
    assert user.id is not None
    membership = Membership(group_id=group.id, user_id=user.id, role=role)
    session.add(membership)
    group.member_count += 1
    session.flush()
    return membership


def make_thread(session: Session, *, group: Group, author: User, **overrides: Any) -> Thread:
    assert group.id is not None
    assert author.id is not None
    values: dict[str, Any] = {
        "title": f"Thread {next(_sequence)}",
        "last_posted_at": utcnow(),
        "last_poster_name": author.name,
    }
    values.update(overrides)
    thread = Thread(group_id=group.id, author_id=author.id, **values)
    session.add(thread)
    session.flush()
    return thread


def make_post(session: Session, *, thread: Thread, author: User, **overrides: Any) -> Post:
    assert thread.id is not None
    assert author.id is not None
    body = overrides.pop("body", f"Post {next(_sequence)}")
    thread.post_count += 1
    post = Post(
        thread_id=thread.id,
        author_id=author.id,
        position=thread.post_count,
        body=body,
        body_html=render_markdown(body),
        **{"renderer_version": RENDERER_VERSION, **overrides},
    )
    session.add(post)
    session.flush()
    return post
