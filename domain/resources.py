"""Shared practices: models, tools, processes and research, and who has tried them.

A resource's body follows the case template (Bakgrund, Syfte och mål, Genomförande,
Resultat, Lärdomar); each section is markdown stored beside its sanitised HTML. Every
resource has its own discussion thread. A resource may carry a yearly theme and name the
research it builds on; a research item tells more of itself (domain/research.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import (
    changes,
    directory,
    goals,
    locking,
    policy,
    research,
    search,
    themes,
    threads,
    upsert,
)
from domain.actor import Actor
from domain.errors import Forbidden, Invalid, NotFound, StaleVersion
from domain.markup import RENDERER_VERSION, render_within_limit
from models import (
    CASE_SECTIONS,
    Adoption,
    Group,
    Municipality,
    Resource,
    ResourceGoal,
    ResourceKind,
    Theme,
    ThreadGoal,
    User,
    utcnow,
)

MAX_SECTION = 20_000
_LINK = re.compile(r"^https?://[^\s<>\"]{1,1990}$")


@dataclass(frozen=True)
class ResourceView:
    resource: Resource
    group: Group
    municipality: str
    adoptions: list[tuple[Adoption, str]]
    can_edit: bool
    can_adopt: bool
    goals: list[int] = field(default_factory=list)
    theme: Theme | None = None
    builds_on: list[research.Linked] = field(default_factory=list)
    """The research it builds on, as far as the reader may read it."""
    used_by: list[research.Linked] = field(default_factory=list)
    """For a research item: the resources that build on it and that the reader may read."""
    municipality_slug: str = ""
    """The address of the municipality's page (/k/{slug})."""
    adoption_slugs: dict[int, str] = field(default_factory=dict)
    """The address of each reporting municipality's page, by adoption id."""


@dataclass(frozen=True)
class ShareForm:
    """What the form to share a resource in a group offers the official."""

    group: Group
    research_choices: list[tuple[str, list[Resource]]]
    """The research items the official may name, grouped by institution."""
    themes: list[themes.ThemeView]


def share_form(session: Session, actor: Actor, *, slug: str) -> ShareForm:
    """For who may post in the group; NotFound or Forbidden otherwise."""
    group = policy.require_readable_content(actor, directory.group_by_slug(session, slug))
    policy.require_poster(actor, group)
    return ShareForm(
        group, research.research_choices(session, actor), themes.list_themes(session, actor)
    )


def _sections(values: dict[str, str], names: Sequence[str] = CASE_SECTIONS) -> dict[str, str]:
    """The case-template sections `names`, checked and rendered, as the columns that store
    them. Called before the first statement: rendering never holds the write lock."""
    stored: dict[str, str] = {}
    for name in names:
        text = values.get(name, "").strip()
        if len(text) > MAX_SECTION:
            raise Invalid.field(name, f"A section is at most {MAX_SECTION} characters long.")
        stored[name], stored[f"{name}_html"] = text, render_within_limit(text, field=name)
    return stored


def _check(title: str, summary: str, link: str | None) -> tuple[str, str, str | None]:
    title, summary = title.strip(), summary.strip()
    if not title or len(title) > 200:
        raise Invalid.field("title", "A title is 1–200 characters long.")
    if not summary or len(summary) > 2000:
        raise Invalid.field("summary", "A summary is 1–2000 characters long.")
    link = (link or "").strip() or None
    if link is not None and not _LINK.fullmatch(link):
        raise Invalid.field("link", "A link starts with https:// or http://.")
    return title, summary, link


def share_resource(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    title: str,
    summary: str,
    kind: ResourceKind,
    municipality: str,
    link: str | None = None,
    sections: dict[str, str] | None = None,
    goal_ids: Sequence[int] = (),
    research_fields: Mapping[str, Any] | None = None,
    builds_on: Sequence[int] = (),
    theme: str | None = None,
) -> Resource:
    """Share a model, tool, process or research item in a group, with its discussion.

    `research_fields` (see `research.RESEARCH_FIELDS`) are for research items only;
    `builds_on` names research items the actor may read; `theme` is a theme's slug."""
    title, summary, link = _check(title, summary, link)
    stored = _sections(sections or {})
    studied = research.check_fields(research_fields or {})
    research.require_research_kind(kind, studied)
    opening = threads.prepare_body(summary)
    group = policy.require_readable_content(actor, directory.group_by_slug(session, slug))
    policy.require_poster(actor, group)
    home = directory.municipality_by_slug(session, municipality)
    theme_id = themes.theme_id_by_slug(session, theme)
    named = research.check_builds_on(session, actor, builds_on, own_id=None)
    thread = threads.open_thread(
        session, actor, slug=slug, title=title, body=opening, goal_ids=goal_ids
    )
    assert home.id is not None
    assert actor.user_id is not None
    author = session.get(User, actor.user_id)
    assert author is not None
    resource = Resource(
        group_id=thread.group_id,
        author_id=actor.user_id,
        thread_id=thread.id,
        title=title,
        summary=summary,
        kind=kind,
        municipality_id=home.id,
        contact_user_id=author.id,
        contact_name=author.name,
        contact_email=author.email,
        link=link,
        theme_id=theme_id,
        renderer_version=RENDERER_VERSION,
    )
    for name, value in {**stored, **studied}.items():
        setattr(resource, name, value)
    session.add(resource)
    session.flush()
    assert resource.id is not None
    changes.apply(session, resource)
    goals.replace(session, ResourceGoal, resource.id, goals.check(session, goal_ids))
    if named:
        research.replace_links(session, actor, resource_id=resource.id, research_ids=named)
    index_resource(session, resource)
    return resource


def index_resource(session: Session, resource: Resource) -> None:
    assert resource.id is not None
    studied = (resource.institution, resource.authors, resource.implications)
    texts = [resource.summary, *(getattr(resource, n) for n in CASE_SECTIONS)]
    body = "\n\n".join([*texts, *(text for text in studied if text)])
    search.index(
        session,
        kind="resource",
        ref_id=resource.id,
        group_id=resource.group_id,
        thread_id=resource.thread_id,
        title=resource.title,
        body=body,
    )


def update_resource(
    session: Session,
    actor: Actor,
    *,
    resource_id: int,
    expected_version: int | None,
    title: str | None = None,
    summary: str | None = None,
    link: str | None = None,
    sections: dict[str, str] | None = None,
    goal_ids: Sequence[int] | None = None,
    research_fields: Mapping[str, Any] | None = None,
    builds_on: Sequence[int] | None = None,
    theme: str | None = None,
) -> Resource:
    """Change what is given. `research_fields` holds the research fields to change (null
    clears one); `builds_on` replaces the research named (as far as the actor sees it);
    `theme` is a theme's slug, "" for none."""
    changed_sections = (
        _sections(sections, [n for n in CASE_SECTIONS if n in sections]) if sections else {}
    )
    studied = research.check_fields(research_fields or {})
    resource, group = _readable(session, actor, resource_id, for_change=True)
    if not policy.can_edit_resource(actor, resource.author_id, group):
        raise Forbidden("Only who shared it, and the group's leads, edit a resource.")
    if expected_version is not None and expected_version != resource.version:
        raise StaleVersion(
            f"The resource is at version {resource.version}, not {expected_version}."
        )
    research.require_research_kind(resource.kind, studied)
    if theme is not None:
        resource.theme_id = themes.theme_id_by_slug(session, theme)
    if builds_on is not None:
        assert resource.id is not None
        named = research.check_builds_on(session, actor, builds_on, own_id=resource.id)
        research.replace_links(session, actor, resource_id=resource.id, research_ids=named)
    new_title, new_summary, new_link = _check(
        title if title is not None else resource.title,
        summary if summary is not None else resource.summary,
        link if link is not None else resource.link,
    )
    resource.title, resource.summary, resource.link = new_title, new_summary, new_link
    for name, value in {**changed_sections, **studied}.items():
        setattr(resource, name, value)
    if goal_ids is not None:
        assert resource.id is not None
        tags = goals.check(session, goal_ids)
        goals.replace(session, ResourceGoal, resource.id, tags)
        if resource.thread_id is not None:  # its discussion carries the same goals
            goals.replace(session, ThreadGoal, resource.thread_id, tags)
    resource.version += 1
    resource.updated_at = utcnow()
    changes.apply(session, resource)
    index_resource(session, resource)
    session.flush()
    return resource


def delete_resource(session: Session, actor: Actor, *, resource_id: int) -> None:
    resource, group = _readable(session, actor, resource_id, for_change=True)
    if not policy.can_edit_resource(actor, resource.author_id, group):
        raise Forbidden("Only who shared it, and the group's leads, remove a resource.")
    resource.deleted_at = resource.updated_at = utcnow()
    resource.version += 1
    changes.apply(session, resource)
    search.unindex(session, kind="resource", ref_id=resource_id)


MAX_ADOPTION_SUMMARY = 10_000
"""All reports of one municipality about one resource together."""


@dataclass(frozen=True)
class Recorded:
    adoption: Adoption
    created: bool
    """False when the municipality had reported trying it before: the report was added."""


def record_adoption(
    session: Session,
    actor: Actor,
    *,
    resource_id: int,
    summary: str,
    outcome: str = "",
    municipality: str | None = None,
    adopted_on: date | None = None,
) -> Recorded:
    """ "Vi har provat detta": a municipality records that it applied the resource, by
    default the official's own. One adoption per resource and municipality: a later report
    adds its text to the first (the count orders the library, so it counts municipalities,
    not reports); the latest outcome stands, the earliest date stays."""
    summary, outcome = summary.strip(), outcome.strip()
    if not summary or len(summary) > 2000:
        raise Invalid.field("summary", "Tell briefly how you applied it (at most 2000 characters).")
    if len(outcome) > 500:
        raise Invalid.field("outcome", "The outcome is at most 500 characters long.")
    if adopted_on is not None and adopted_on > utcnow().date():
        raise Invalid.field("adopted_on", "The date cannot lie in the future.")
    resource, group = _readable(session, actor, resource_id)
    policy.require_poster(actor, group)
    home_id = _reporting_municipality(session, actor, municipality)
    inserted = session.execute(
        upsert.insert(session, Adoption)
        .values(
            resource_id=resource_id,
            municipality_id=home_id,
            recorded_by_id=actor.user_id,
            adopted_on=adopted_on,
            summary=summary,
            outcome=outcome,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["resource_id", "municipality_id"])
        .returning(col(Adoption.id))
    ).scalar_one_or_none()
    if inserted is not None:
        session.execute(
            sa.update(Resource)
            .where(col(Resource.id) == resource_id)
            .values(adoption_count=col(Resource.adoption_count) + 1)
        )
    adoption = session.exec(
        select(Adoption).where(
            Adoption.resource_id == resource_id, Adoption.municipality_id == home_id
        )
    ).one()
    if inserted is None:
        _add_report(adoption, summary=summary, outcome=outcome, adopted_on=adopted_on)
    session.flush()
    session.refresh(resource)
    return Recorded(adoption, created=inserted is not None)


def _reporting_municipality(session: Session, actor: Actor, slug: str | None) -> int:
    if slug is None or not slug.strip():
        if actor.municipality_id is None:
            raise Invalid.field("municipality", "Name the municipality that tried it.")
        return actor.municipality_id
    home = directory.municipality_by_slug(session, slug)
    assert home.id is not None
    return home.id


def _add_report(adoption: Adoption, *, summary: str, outcome: str, adopted_on: date | None) -> None:
    if summary not in adoption.summary.split("\n\n"):
        combined = f"{adoption.summary}\n\n{summary}"
        if len(combined) > MAX_ADOPTION_SUMMARY:
            raise Invalid.field(
                "summary",
                "Your municipality's reports about this are long enough already "
                f"(at most {MAX_ADOPTION_SUMMARY} characters together).",
                "too-long",
            )
        adoption.summary = combined
    if outcome:
        adoption.outcome = outcome
    if adopted_on is not None and (adoption.adopted_on is None or adopted_on < adoption.adopted_on):
        adoption.adopted_on = adopted_on
    adoption.updated_at = utcnow()


def get_resource(session: Session, actor: Actor, resource_id: int) -> ResourceView:
    resource, group = _readable(session, actor, resource_id)
    municipality = session.get(Municipality, resource.municipality_id)
    adoptions = session.exec(
        select(Adoption, col(Municipality.name), col(Municipality.slug))
        .join(Municipality, col(Municipality.id) == Adoption.municipality_id)
        .where(Adoption.resource_id == resource_id)
        .order_by(col(Adoption.id))
    ).all()
    links = research.links_of(session, actor, [resource])
    return ResourceView(
        resource,
        group,
        municipality.name if municipality else "",
        [(adoption, name) for adoption, name, _ in adoptions],
        policy.can_edit_resource(actor, resource.author_id, group),
        policy.can_post(actor, group),
        goals.of(session, ResourceGoal, [resource_id])[resource_id],
        theme=session.get(Theme, resource.theme_id) if resource.theme_id is not None else None,
        builds_on=links.builds_on.get(resource_id, []),
        used_by=links.used_by.get(resource_id, []),
        municipality_slug=municipality.slug if municipality else "",
        adoption_slugs={adoption.id or 0: slug for adoption, _, slug in adoptions},
    )


def list_resources(
    session: Session,
    actor: Actor,
    *,
    slug: str | None = None,
    kind: ResourceKind | None = None,
    municipality: str | None = None,
    goal: int | None = None,
    institution: str | None = None,
    by_adoptions: bool = False,
    after_id: int | None = None,
    limit: int = 50,
) -> list[tuple[Resource, Group, str]]:
    """Resources of the groups the actor may read, filtered; newest or most adopted first.

    Naming a group the actor may not read is NotFound, as everywhere.
    """
    if slug is not None:
        found = directory.group_by_slug(session, slug)
        policy.require_readable_content(actor, found)
    query = (
        select(Resource, Group, col(Municipality.name))
        .join(Group, col(Group.id) == Resource.group_id)
        .join(Municipality, col(Municipality.id) == Resource.municipality_id)
        .where(policy.readable_groups_clause(actor), col(Resource.deleted_at).is_(None))
    )
    if slug is not None:
        query = query.where(Group.slug == slug)
    if kind is not None:
        query = query.where(Resource.kind == kind)
    if municipality is not None:
        query = query.where(Municipality.slug == municipality)
    if goal is not None:
        query = query.where(goals.tagged(ResourceGoal, goal))
    if institution is not None:
        query = query.where(Resource.institution == institution.strip())
    if after_id is not None:
        query = query.where(col(Resource.id) < after_id)
    order = [col(Resource.adoption_count).desc()] if by_adoptions else []
    query = query.order_by(*order, col(Resource.id).desc()).limit(limit)
    return [(r, g, m) for r, g, m in session.exec(query).all()]


def _readable(
    session: Session, actor: Actor, resource_id: int, *, for_change: bool = False
) -> tuple[Resource, Group]:
    """The resource and its group; `for_change` locks the resource (domain/locking.py), so
    that its version is checked and raised on what the last writer committed."""
    resource = (
        locking.for_change(session, Resource, resource_id)
        if for_change
        else session.get(Resource, resource_id)
    )
    group = session.get(Group, resource.group_id) if resource else None
    if (
        resource is None
        or group is None
        or resource.deleted_at is not None
        or not policy.can_read_group_content(actor, group)
    ):
        raise NotFound("resource")
    return resource, group
