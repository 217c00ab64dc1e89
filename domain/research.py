"""Research items and the practices that build on them ("från forskning till praktik").

A research item (a resource of kind `research`) also tells its institution, authors, year
of publication, DOI and what it means for a municipality, in plain Swedish. Any resource
may name the research it builds on.

A link is shown to a reader only when the reader may read both ends: a practice in an open
group may build on research in a closed group, and its other readers never learn of it. An
edit of the links likewise keeps those to research the editor may not read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import policy
from domain.actor import Actor
from domain.errors import Invalid
from domain.markup import render_within_limit
from models import Group, Municipality, Resource, ResourceKind, ResourceResearch, utcnow

RESEARCH_FIELDS = ("institution", "authors", "year", "doi", "implications")
"""The fields a research item has beside those of every resource, as the API names them."""
FIRST_YEAR = 1900
MAX_INSTITUTION = 200
MAX_AUTHORS = 500
MAX_IMPLICATIONS = 20_000
MAX_DOI = 200
MAX_BUILDS_ON = 20
MAX_CHOICES = 500
_MAX_ID = 2**31 - 1
"""Ids beyond a 32-bit integer name no resource; they are not sent to the database."""
_YEAR = re.compile(r"[0-9]{1,4}")
_DOI = re.compile(r"10\.[0-9]{4,9}/[^\s<>\"]+")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:")


@dataclass(frozen=True)
class Linked:
    """A resource at the other end of a link, with the name of its municipality."""

    resource: Resource
    municipality: str
    municipality_slug: str = ""


@dataclass(frozen=True)
class Links:
    builds_on: dict[int, list[Linked]]
    """Per resource id: the research it builds on that the reader may read."""
    used_by: dict[int, list[Linked]]
    """Per research item id: the resources building on it that the reader may read."""


def parse_year(text: str) -> int | None:
    """A year typed into a form; empty is none, anything but digits is Invalid."""
    text = text.strip()
    if not text:
        return None
    if not _YEAR.fullmatch(text):
        raise Invalid.field("year", "A year is written with four digits, such as 2019.", "year")
    return int(text)


def check_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """The columns that store the research fields given in `values` (named as in
    `RESEARCH_FIELDS`; null clears a field), checked, with `implications` rendered. Call it
    before the first statement, like the case sections: rendering never holds the lock."""
    unknown = set(values) - set(RESEARCH_FIELDS)
    if unknown:
        raise ValueError(f"not research fields: {sorted(unknown)}")
    columns: dict[str, Any] = {}
    if "institution" in values:
        columns["institution"] = _text(values["institution"], "institution", MAX_INSTITUTION)
    if "authors" in values:
        columns["authors"] = _text(values["authors"], "authors", MAX_AUTHORS)
    if "year" in values:
        columns["published_year"] = _year(values["year"])
    if "doi" in values:
        columns["doi"] = _doi(values["doi"])
    if "implications" in values:
        text = _text(values["implications"], "implications", MAX_IMPLICATIONS)
        columns["implications"] = text
        columns["implications_html"] = render_within_limit(text, field="implications")
    return columns


def require_research_kind(kind: ResourceKind, columns: Mapping[str, Any]) -> None:
    """Only a research item tells an institution, authors, year, DOI and implications."""
    if kind is ResourceKind.RESEARCH:
        return
    for column, value in columns.items():
        if value and column != "implications_html":
            field = "year" if column == "published_year" else column
            raise Invalid.field(
                field,
                "Only research items have an institution, authors, a year, a DOI and "
                "what it means for a municipality. Choose the kind research, or leave "
                "these fields empty.",
                "not-research",
            )


def _text(value: Any, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid.field(field, "Write it as text.")
    text = value.strip()
    if len(text) > limit:
        raise Invalid.field(field, f"At most {limit} characters.", "too-long")
    return text


def _year(value: Any) -> int | None:
    if value is None:
        return None
    last = utcnow().year + 1
    if isinstance(value, bool) or not isinstance(value, int) or not FIRST_YEAR <= value <= last:
        raise Invalid.field(
            "year", f"The year of publication lies between {FIRST_YEAR} and {last}.", "year"
        )
    return value


def _doi(value: Any) -> str | None:
    """A DOI as `10.NNNN/…`; its address at doi.org and a `doi:` prefix are taken off."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid.field("doi", "Write the DOI as text.")
    doi = value.strip()
    for prefix in _DOI_PREFIXES:
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix) :].strip()
    if not doi:
        return None
    if len(doi) > MAX_DOI or not _DOI.fullmatch(doi):
        raise Invalid.field(
            "doi", "A DOI looks like 10.1234/abcd: 10, a dot, digits, a slash and more.", "doi"
        )
    return doi


def check_builds_on(
    session: Session, actor: Actor, ids: Sequence[int], *, own_id: int | None
) -> list[int]:
    """The research items named, without repeats: each one the actor may read, of kind
    research, and not the resource itself. One that does not exist and one the actor may
    not read are refused alike, so the refusal tells nothing of closed groups."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_BUILDS_ON:
        raise Invalid.field(
            "builds_on", f"Name at most {MAX_BUILDS_ON} research items.", "too-many"
        )
    if own_id is not None and own_id in wanted:
        raise Invalid.field("builds_on", "A resource cannot build on itself.", "self")
    asked = [i for i in wanted if 1 <= i <= _MAX_ID]
    rows = (
        session.exec(
            select(col(Resource.id), col(Resource.kind), Group)
            .join(Group, col(Group.id) == Resource.group_id)
            .where(col(Resource.id).in_(asked), col(Resource.deleted_at).is_(None))
        ).all()
        if asked
        else []
    )
    found = {rid: (kind, group) for rid, kind, group in rows}
    for rid in wanted:
        kind, group = found.get(rid, (None, None))
        if group is None or not policy.can_read_group_content(actor, group):
            raise Invalid.field(
                "builds_on", f"There is no research item {rid} that you may read.", "unknown"
            )
        if kind is not ResourceKind.RESEARCH:
            raise Invalid.field(
                "builds_on", f"Resource {rid} is not a research item.", "not-research"
            )
    return wanted


def replace_links(
    session: Session, actor: Actor, *, resource_id: int, research_ids: Sequence[int]
) -> None:
    """Make `research_ids` (checked by `check_builds_on`) what the resource builds on, as
    far as the actor sees: links to research the actor may not read stay as they are."""
    current = session.exec(
        select(col(ResourceResearch.research_id), Group)
        .join(Resource, col(Resource.id) == ResourceResearch.research_id)
        .join(Group, col(Group.id) == Resource.group_id)
        .where(ResourceResearch.practice_id == resource_id)
    ).all()
    seen = {rid for rid, group in current if policy.can_read_group_content(actor, group)}
    existing = {rid for rid, _ in current}
    dropped = seen - set(research_ids)
    if dropped:
        session.execute(
            sa.delete(ResourceResearch).where(
                col(ResourceResearch.practice_id) == resource_id,
                col(ResourceResearch.research_id).in_(dropped),
            )
        )
    session.add_all(
        ResourceResearch(practice_id=resource_id, research_id=rid)
        for rid in research_ids
        if rid not in existing
    )
    session.flush()


def links_of(session: Session, actor: Actor, resources: Sequence[Resource]) -> Links:
    """What each resource builds on, and for the research items among them who builds on
    them, as far as the actor may read: two queries at most, however many resources."""
    ids = [r.id for r in resources if r.id is not None]
    research_ids = [r.id for r in resources if r.id is not None and r.kind is ResourceKind.RESEARCH]
    builds_on: dict[int, list[Linked]] = {i: [] for i in ids}
    used_by: dict[int, list[Linked]] = {i: [] for i in research_ids}
    if ids:
        for owner, linked in _linked(session, actor, ids, outward=True):
            builds_on[owner].append(linked)
    if research_ids:
        for owner, linked in _linked(session, actor, research_ids, outward=False):
            used_by[owner].append(linked)
    return Links(builds_on, used_by)


def _linked(
    session: Session, actor: Actor, ids: list[int], *, outward: bool
) -> list[tuple[int, Linked]]:
    """Outward: the research the resources `ids` build on; inward: the resources that
    build on the research items `ids`. Only resources the actor may read, by title."""
    owner = ResourceResearch.practice_id if outward else ResourceResearch.research_id
    other = ResourceResearch.research_id if outward else ResourceResearch.practice_id
    rows = session.exec(
        select(col(owner), Resource, col(Municipality.name), col(Municipality.slug))
        .join(Resource, col(Resource.id) == other)
        .join(Group, col(Group.id) == Resource.group_id)
        .join(Municipality, col(Municipality.id) == Resource.municipality_id)
        .where(col(owner).in_(ids), col(Resource.deleted_at).is_(None))
        .where(policy.readable_groups_clause(actor))
        .order_by(col(Resource.title), col(Resource.id))
    ).all()
    return [(key, Linked(resource, name, slug)) for key, resource, name, slug in rows]


def research_choices(
    session: Session, actor: Actor, *, exclude_id: int | None = None
) -> list[tuple[str, list[Resource]]]:
    """The research items the actor may name, grouped by institution (alphabetical, those
    without one last under ""), for a form's picker."""
    query = (
        select(Resource)
        .join(Group, col(Group.id) == Resource.group_id)
        .where(Resource.kind == ResourceKind.RESEARCH, col(Resource.deleted_at).is_(None))
        .where(policy.readable_groups_clause(actor))
    )
    if exclude_id is not None:
        query = query.where(col(Resource.id) != exclude_id)
    rows = session.exec(
        query.order_by(
            col(Resource.institution) == "",
            col(Resource.institution),
            col(Resource.title),
            col(Resource.id),
        ).limit(MAX_CHOICES)
    ).all()
    grouped: dict[str, list[Resource]] = defaultdict(list)
    for resource in rows:
        grouped[resource.institution].append(resource)
    return list(grouped.items())


def institutions(session: Session, actor: Actor) -> list[str]:
    """The institutions of the research items the actor may read, for the library filter."""
    rows = session.exec(
        select(col(Resource.institution))
        .join(Group, col(Group.id) == Resource.group_id)
        .where(
            Resource.kind == ResourceKind.RESEARCH,
            col(Resource.deleted_at).is_(None),
            col(Resource.institution) != "",
            policy.readable_groups_clause(actor),
        )
        .distinct()
        .order_by(col(Resource.institution))
    ).all()
    return list(rows)
