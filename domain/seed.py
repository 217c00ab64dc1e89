"""Seeding a demo installation: groups, officials, discussions and shared practices.

Runs only into an empty database (no officials yet), so running `erfa serve --demo` again
keeps whatever people did since. Passwords are random per installation.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from domain import demo_data, directory, groups, resources, search, users
from domain.actor import SYSTEM
from domain.markup import render_markdown
from models import (
    CASE_SECTIONS,
    Adoption,
    FocusArea,
    Group,
    GroupGoal,
    MemberRole,
    Post,
    Resource,
    ResourceGoal,
    ResourceKind,
    Thread,
    ThreadGoal,
    User,
    Visibility,
    utcnow,
)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str

    def line(self) -> str:
        return f"{self.email} {self.password} {self.role}"


def is_empty(session: Session) -> bool:
    return session.exec(select(sa.func.count()).select_from(User)).one() == 0


def seed_demo(session: Session) -> list[DemoLogin]:
    """Seed the demo data; returns the logins, or an empty list if officials exist already."""
    if not is_empty(session):
        return []
    group_ids = _seed_groups(session)
    people, logins = _seed_officials(session, group_ids)
    clock = _Clock(utcnow() - timedelta(days=60))
    for item in demo_data.THREADS:
        _seed_thread(session, clock, group_ids[item["group"]], people, item)
    for item in demo_data.RESOURCES:
        _seed_resource(session, clock, group_ids[item["group"]], people, item)
    return logins


class _Clock:
    """Spreads seeded activity over the past weeks so lists look lived-in."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def tick(self) -> datetime:
        self.now += timedelta(hours=7, minutes=secrets.randbelow(600))
        return self.now


def _seed_groups(session: Session) -> dict[str, int]:
    ids: dict[str, int] = {}
    for item in demo_data.GROUPS:
        group = groups.create_group(
            session,
            SYSTEM,
            slug=item["slug"],
            name=item["name"],
            focus_area=FocusArea(item["focus_area"]),
            description=item["description"],
            visibility=Visibility(item["visibility"]),
        )
        assert group.id is not None
        ids[group.slug] = group.id
        session.add_all(GroupGoal(group_id=group.id, goal_id=goal) for goal in item["goals"])
    return ids


def _seed_officials(
    session: Session, group_ids: dict[str, int]
) -> tuple[dict[str, User], list[DemoLogin]]:
    people: dict[str, User] = {}
    logins: list[DemoLogin] = []
    for item in demo_data.OFFICIALS:
        password = secrets.token_urlsafe(12)
        user = users.create_user(
            session,
            SYSTEM,
            email=item["email"],
            name=item["name"],
            title=item["title"],
            municipality=item["municipality"],
            is_coordinator=item["coordinator"],
            password=password,
            locale=item["locale"],
        )
        assert user.id is not None
        people[user.email] = user
        for slug, role in item["groups"].items():
            groups.set_member(session, SYSTEM, slug=slug, user_id=user.id, role=MemberRole(role))
        roles = set(item["groups"].values())
        role = "coordinator" if item["coordinator"] else "lead" if "lead" in roles else "member"
        logins.append(DemoLogin(user.email, password, role))
    return people, logins


def _seed_thread(
    session: Session,
    clock: _Clock,
    group_id: int,
    people: dict[str, User],
    item: dict[str, Any],
    *,
    title: str | None = None,
) -> Thread:
    first_author = people[item["posts"][0]["author"]]
    assert first_author.id is not None
    thread = Thread(
        group_id=group_id,
        author_id=first_author.id,
        title=title or item["title"],
        pinned=item.get("pinned", False),
        locked=item.get("locked", False),
        created_at=clock.tick(),
    )
    session.add(thread)
    session.flush()
    assert thread.id is not None
    session.add_all(ThreadGoal(thread_id=thread.id, goal_id=goal) for goal in item.get("goals", []))
    posts: list[Post] = []
    for position, entry in enumerate(item["posts"], start=1):
        author = people[entry["author"]]
        assert author.id is not None
        reply_to = entry.get("reply_to")
        created = thread.created_at if position == 1 else clock.tick()
        post = Post(
            thread_id=thread.id,
            author_id=author.id,
            position=position,
            reply_to_id=posts[reply_to].id if reply_to is not None else None,
            body=entry["body"],
            body_html=render_markdown(entry["body"]),
            created_at=created,
        )
        session.add(post)
        session.flush()
        assert post.id is not None
        post.change_seq = post.id
        posts.append(post)
        search.index(
            session,
            kind="post",
            ref_id=post.id,
            group_id=group_id,
            thread_id=thread.id,
            title=thread.title,
            body=post.body,
        )
        thread.post_count = position
        thread.last_posted_at = created
        thread.last_poster_name = author.name
    search.index(
        session,
        kind="thread",
        ref_id=thread.id,
        group_id=group_id,
        thread_id=thread.id,
        title=thread.title,
        body="",
    )
    group = session.get(Group, group_id)
    assert group is not None
    group.thread_count += 1
    if group.last_activity_at is None or group.last_activity_at < thread.last_posted_at:
        group.last_activity_at = thread.last_posted_at
    return thread


def _seed_resource(
    session: Session, clock: _Clock, group_id: int, people: dict[str, User], item: dict[str, Any]
) -> None:
    author = people[item["contact"]]
    assert author.id is not None
    opening = {"author": author.email, "body": item["summary"]}
    thread = _seed_thread(
        session,
        clock,
        group_id,
        people,
        {"posts": [opening, *item["discussion"]]},
        title=item["title"],
    )
    sections: dict[str, str] = {}
    for name in CASE_SECTIONS:
        sections[name] = item[name]
        sections[f"{name}_html"] = render_markdown(item[name])
    resource = Resource(
        group_id=group_id,
        author_id=author.id,
        thread_id=thread.id,
        title=item["title"],
        summary=item["summary"],
        kind=ResourceKind(item["kind"]),
        municipality_id=_municipality_id(session, item["municipality"]),
        contact_user_id=author.id,
        contact_name=author.name,
        contact_email=author.email,
        link=item["link"],
        adoption_count=len(item["adoptions"]),
        created_at=thread.created_at,
    )
    for field, value in sections.items():
        setattr(resource, field, value)
    session.add(resource)
    session.flush()
    assert resource.id is not None
    resource.change_seq = resource.id
    resources.index_resource(session, resource)
    session.add_all(ResourceGoal(resource_id=resource.id, goal_id=goal) for goal in item["goals"])
    for entry in item["adoptions"]:
        session.add(
            Adoption(
                resource_id=resource.id,
                municipality_id=_municipality_id(session, entry["municipality"]),
                recorded_by_id=people[entry["author"]].id,
                adopted_on=date.fromisoformat(entry["adopted_on"]),
                summary=entry["summary"],
                outcome=entry["outcome"],
                created_at=clock.tick(),
            )
        )
    session.flush()


def _municipality_id(session: Session, slug: str) -> int:
    municipality_id = directory.municipality_by_slug(session, slug).id
    assert municipality_id is not None
    return municipality_id
