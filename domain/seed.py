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

from domain import (
    activity,
    changes,
    demo_activity,
    demo_data,
    demo_directory,
    demo_events,
    directory,
    flags,
    groups,
    moderation,
    research,
    resources,
    search,
    themes,
    users,
)
from domain.actor import SYSTEM, Actor, load_actor
from domain.errors import Invalid
from domain.markup import RENDERER_VERSION, render_markdown
from domain.passwords import hash_password
from models import (
    CASE_SECTIONS,
    Adoption,
    FocusArea,
    Group,
    GroupGoal,
    Locale,
    MailPace,
    MemberRole,
    Membership,
    Municipality,
    Post,
    Resource,
    ResourceGoal,
    ResourceKind,
    ResourceResearch,
    Thread,
    ThreadGoal,
    User,
    UserStatus,
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
    demo_directory.seed_municipality_years(session)
    demo_directory.seed_themes(session)
    clock = _Clock(utcnow() - timedelta(days=60))
    seeded = {
        item["title"]: _seed_thread(session, clock, group_ids[item["group"]], people, item)
        for item in demo_data.THREADS
    }
    shared = {
        item["title"]: _seed_resource(session, clock, group_ids[item["group"]], people, item)
        for item in demo_data.RESOURCES
    }
    _seed_research_links(session, shared)
    _seed_moderation(session, people, seeded)
    demo_activity.seed_history(session)
    demo_events.seed_events(session)
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
        theme_id=_theme_id(session, item.get("theme")),
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
            renderer_version=RENDERER_VERSION,
            created_at=created,
        )
        session.add(post)
        session.flush()
        assert post.id is not None
        changes.apply(session, post)
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


def _seed_moderation(session: Session, people: dict[str, User], seeded: dict[str, Thread]) -> None:
    """What the leads have done in the demo: pins and locks (through the moderation
    services, so the audit log has them), a pending join request, flags."""
    leads = {
        slug: item["email"]
        for item in demo_data.OFFICIALS
        for slug, role in item["groups"].items()
        if role == "lead" and not item["coordinator"]
    }

    def actor(email: str) -> Actor:
        user_id = people[email].id
        assert user_id is not None
        return load_actor(session, user_id)

    for item in demo_data.THREADS:
        thread = seeded[item["title"]]
        assert thread.id is not None
        lead = actor(leads[item["group"]])
        if item.get("pinned"):
            moderation.set_pinned(session, lead, thread_id=thread.id, pinned=True)
        if item.get("locked"):
            moderation.set_locked(
                session, lead, thread_id=thread.id, locked=True, reason=item.get("lock_reason")
            )
    for request in demo_data.JOIN_REQUESTS:
        groups.join_group(
            session, actor(request["official"]), slug=request["group"], message=request["message"]
        )
    for entry in demo_data.FLAGS:
        thread = seeded[entry["thread"]]
        post_id = session.exec(
            select(Post.id).where(Post.thread_id == thread.id, Post.position == entry["post"] + 1)
        ).one()
        assert post_id is not None
        flag = flags.flag_post(
            session, actor(entry["official"]), post_id=post_id, reason=entry["reason"]
        )
        if entry["resolve"] is not None:
            group = session.get(Group, thread.group_id)
            assert group is not None
            assert flag.id is not None
            flags.resolve(
                session,
                actor(leads[group.slug]),
                flag_id=flag.id,
                action=flags.Resolution(entry["resolve"]["action"]),
                reason=entry["resolve"]["reason"],
            )


def _seed_resource(
    session: Session, clock: _Clock, group_id: int, people: dict[str, User], item: dict[str, Any]
) -> int:
    author = people[item["contact"]]
    assert author.id is not None
    opening = {"author": author.email, "body": item["summary"]}
    thread = _seed_thread(
        session,
        clock,
        group_id,
        people,
        {"posts": [opening, *item["discussion"]], "goals": item["goals"]},
        title=item["title"],
    )
    sections: dict[str, str] = {}
    for name in CASE_SECTIONS:
        sections[name] = item[name]
        sections[f"{name}_html"] = render_markdown(item[name])
    studied = research.check_fields({n: item[n] for n in research.RESEARCH_FIELDS if n in item})
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
        theme_id=_theme_id(session, item.get("theme")),
        adoption_count=len(item["adoptions"]),
        renderer_version=RENDERER_VERSION,
        created_at=thread.created_at,
    )
    for field, value in {**sections, **studied}.items():
        setattr(resource, field, value)
    session.add(resource)
    session.flush()
    assert resource.id is not None
    changes.apply(session, resource)
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
    return resource.id


def _seed_research_links(session: Session, shared: dict[str, int]) -> None:
    """The practices name the research they build on ("från forskning till praktik")."""
    session.add_all(
        ResourceResearch(practice_id=shared[item["title"]], research_id=shared[title])
        for item in demo_data.RESOURCES
        for title in item.get("builds_on", [])
    )
    session.flush()


def _theme_id(session: Session, slug: str | None) -> int | None:
    """The demo's theme by slug; none when the installation lacks it (a theme of its own
    holding 2026 keeps the demo's from being added)."""
    try:
        return themes.theme_id_by_slug(session, slug)
    except Invalid:
        return None


def _municipality_id(session: Session, slug: str) -> int:
    municipality_id = directory.municipality_by_slug(session, slug).id
    assert municipality_id is not None
    return municipality_id


@dataclass(frozen=True)
class SyntheticCorpus:
    groups: int
    threads: int
    posts: int
    officials: int
    login: DemoLogin


def seed_synthetic(
    session: Session,
    *,
    posts: int,
    threads: int | None = None,
    groups: int = 50,
    officials: int | None = None,
    batch: int = 5000,
) -> SyntheticCorpus:
    """Bulk data for benchmarks, written with plain INSERTs in batches.

    Every synthetic official shares one random password, printed as the corpus login;
    posts are not added to the search index (it is measured on its own).
    """
    if posts < 1:
        raise Invalid.field("posts", "At least one post.")
    threads = max(1, min(threads or max(1, posts // 100), posts))
    officials = officials or max(10, min(20_000, posts // 50))
    groups = max(1, min(groups, threads))
    tag = secrets.token_hex(3)
    password = secrets.token_urlsafe(12)
    password_hash = hash_password(password)
    municipality_ids = list(session.exec(select(Municipality.id)).all())
    now = utcnow()
    group_ids = _bulk(
        session,
        Group,
        [
            {
                "slug": f"bench-{tag}-{n}",
                "name": f"Benchmark {n}",
                "focus_area": FocusArea.OTHER,
                "description": "Synthetic benchmark group.",
                "visibility": Visibility.OPEN,
                "member_count": 0,
                "thread_count": threads // groups,
                "created_at": now,
                "version": 1,
            }
            for n in range(groups)
        ],
        batch,
    )
    user_ids = _bulk(
        session,
        User,
        [
            {
                "email": f"bench-{tag}-{n}@avesta.se",
                "handle": f"bench-{tag}-{n}",
                "name": f"Official {n}",
                "title": "Utvecklare",
                "municipality_id": municipality_ids[n % len(municipality_ids)],
                "password_hash": password_hash,
                "is_coordinator": False,
                "status": UserStatus.ACTIVE,
                "locale": Locale.SV,
                "mail_pace": MailPace.OFF,  # made-up officials have no mailbox
                "created_at": now,
            }
            for n in range(officials)
        ],
        batch,
    )
    per_thread = posts // threads
    thread_ids = _bulk(
        session,
        Thread,
        [
            {
                "group_id": group_ids[n % groups],
                "author_id": user_ids[n % officials],
                "title": f"Diskussion {n} om ungdomsråd och kommunernas samverkan",
                "pinned": False,
                "locked": False,
                "post_count": per_thread + (1 if n < posts % threads else 0),
                "last_posted_at": now - timedelta(minutes=n),
                "last_poster_name": "Official",
                "created_at": now - timedelta(days=30),
                "version": 1,
            }
            for n in range(threads)
        ],
        batch,
    )
    body = "Så här gjorde vi i vår kommun: **ungdomsråd** med egen budget och tydliga mål."
    html = render_markdown(body)
    rows: list[dict[str, Any]] = []
    first = changes.reserve(session, posts)
    for n in range(posts):
        thread_index = n % threads
        rows.append(
            {
                "thread_id": thread_ids[thread_index],
                "author_id": user_ids[n % officials],
                "position": n // threads + 1,
                "body": body,
                "body_html": html,
                "renderer_version": RENDERER_VERSION,
                "version": 1,
                "change_seq": first.seq + n,
                "change_txid": first.txid,
                "created_at": now - timedelta(seconds=posts - n),
            }
        )
        if len(rows) >= batch:
            session.execute(sa.insert(Post), rows)
            rows = []
    if rows:
        session.execute(sa.insert(Post), rows)
    session.execute(
        sa.insert(Membership),
        [
            {
                "group_id": group_ids[0],
                "user_id": user_id,
                "role": MemberRole.MEMBER,
                "created_at": now,
            }
            for user_id in user_ids[:1]
        ],
    )
    login = DemoLogin(f"bench-{tag}-0@avesta.se", password, "member")
    activity.rebuild(session)
    return SyntheticCorpus(groups, threads, posts, officials, login)


def _bulk(session: Session, model: type[Any], rows: list[dict[str, Any]], batch: int) -> list[int]:
    """Insert rows in batches; their ids, in order."""
    ids: list[int] = []
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        statement = sa.insert(model).returning(model.id, sort_by_parameter_order=True)
        result = session.execute(statement, chunk)
        ids.extend(row[0] for row in result.all())
    return ids
