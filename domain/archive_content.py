"""What an archive package is made of: its layout, its scope, and the content of its pages.

The pages (`archive_templates/`) are in Swedish, as the municipalities' archives are, and
show times in Swedish time; the JSON keeps codes and ISO moments. `archive_writer` walks the
groups and writes these pieces; `archive` makes, lists and deletes packages.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import Session, col, select

from models import (
    Adoption,
    Event,
    Goal,
    Membership,
    Municipality,
    Post,
    ProgrammeItem,
    Resource,
    ResourceResearch,
    User,
)

HTML = "representations/html"
JSON_DIR = "representations/json"
FILES = "representations/files"
README = "LÄSMIG.txt"
FORMAT = "erfa-archive-package"
LOCAL_ZONE = ZoneInfo("Europe/Stockholm")
Window = tuple[datetime, datetime]
"""A year's start and end, in UTC."""

TEMPLATES = Path(__file__).resolve().parent / "archive_templates"
ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(disabled_extensions=("txt",), default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def when(moment: str | None) -> str:
    """An ISO moment of the JSON as the pages show it: Swedish time, to the minute."""
    if not moment:
        return ""
    return local(datetime.fromisoformat(moment)).strftime("%Y-%m-%d %H:%M")


ENV.filters["when"] = when

ROLE_LABELS = {"member": "medlem", "lead": "gruppledare"}
GROUP_LABELS = {
    "youth": "Ungdom",
    "attractiveness": "Attraktionskraft",
    "communication": "Kommunikation",
    "diversity": "Mångfald",
    "equality": "Jämställdhet",
    "other": "annat",
    "open": "öppen",
    "closed": "stängd",
    "secret": "hemlig",
}
"""The pages are in Swedish, as the municipalities' archives are; the JSON keeps the codes."""
ENV.filters["label"] = lambda code: GROUP_LABELS.get(str(code), str(code))
KIND_LABELS = {
    "model": "modell",
    "tool": "verktyg",
    "process": "process",
    "research": "forskning",
    "seminar": "seminarium",
    "workshop": "workshop",
    "conference": "konferens",
    "meeting": "möte",
}


@dataclass(frozen=True)
class ArchiveScope:
    """One group (by slug) or one calendar year."""

    group: str | None = None
    year: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"group": self.group} if self.group is not None else {"year": self.year}

    @property
    def window(self) -> Window | None:
        if self.year is None:
            return None
        start = datetime(self.year, 1, 1, tzinfo=LOCAL_ZONE).astimezone(UTC)
        return start, datetime(self.year + 1, 1, 1, tzinfo=LOCAL_ZONE).astimezone(UTC)


@dataclass
class Counts:
    groups: int = 0
    threads: int = 0
    posts: int = 0
    resources: int = 0
    events: int = 0
    files: int = 0


def local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_ZONE) if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def safe_filename(filename: str) -> str:
    """A file name any file system and archive takes: ASCII letters, digits, `.`, `-`, `_`."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    folded = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", folded).strip("._") or "fil"
    return cleaned[-100:]


def scope_title(scope: ArchiveScope) -> str:
    return f"gruppen {scope.group}" if scope.group is not None else f"året {scope.year}"


def within(column: Any, window: Window) -> list[Any]:
    return [column >= window[0], column < window[1]]


def in_window(moment: datetime, window: Window) -> bool:
    return window[0] <= local(moment) < window[1]


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=iso).encode() + b"\n"


def event_summaries(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "starts_at": iso(e["starts_at"])} for e in events]


def post_json(post: Post, name: str, title: str, municipality: str) -> dict[str, Any]:
    return {
        "id": post.id,
        "position": post.position,
        "reply_to_id": post.reply_to_id,
        "author": {"name": name, "title": title, "municipality": municipality},
        "created_at": iso(post.created_at),
        "edited_at": iso(post.edited_at),
        "state": "hidden" if post.hidden_at is not None else "published",
        "hidden_at": iso(post.hidden_at),
        "hidden_reason": post.hidden_reason,
        "body": post.body,
        "body_html": post.body_html,
    }


def resource_json(
    resource: Resource, municipality: str, group_names: dict[int, str]
) -> dict[str, Any]:
    sections = ("background", "purpose", "implementation", "results", "lessons", "implications")
    return {
        "id": resource.id,
        "title": resource.title,
        "group": group_names[resource.group_id],
        "kind": resource.kind,
        "kind_label": KIND_LABELS.get(resource.kind, resource.kind),
        "summary": resource.summary,
        "municipality": municipality,
        "contact_name": resource.contact_name,
        "contact_email": resource.contact_email,
        "link": resource.link,
        "institution": resource.institution,
        "authors": resource.authors,
        "published_year": resource.published_year,
        "doi": resource.doi,
        "created_at": iso(resource.created_at),
        "updated_at": iso(resource.updated_at),
        "adoption_count": resource.adoption_count,
        **{s: getattr(resource, s) for s in sections},
        **{f"{s}_html": getattr(resource, f"{s}_html") for s in sections},
    }


def event_json(event: Event, group_names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": event.id,
        "title": event.title,
        "group": group_names.get(event.group_id) if event.group_id is not None else None,
        "kind": event.kind,
        "kind_label": KIND_LABELS.get(event.kind, event.kind),
        "starts_at": iso(event.starts_at),
        "ends_at": iso(event.ends_at),
        "starts_at_local": local(event.starts_at).strftime("%Y-%m-%d %H:%M"),
        "ends_at_local": local(event.ends_at).strftime("%Y-%m-%d %H:%M"),
        "place": event.place,
        "online_url": event.online_url,
        "capacity": event.capacity,
        "registered_count": event.registered_count,
        "cancelled_at": iso(event.cancelled_at),
        "cancel_reason": event.cancel_reason,
        "description": event.description,
        "description_html": event.description_html,
        "minutes": event.minutes,
        "minutes_html": event.minutes_html,
    }


# --- look-ups: what the pages say of their items, a page of items at a time ----------


def goals(
    session: Session, link: Any, owner: Any, ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    rows = session.exec(
        select(owner, Goal.id, Goal.name_sv)
        .join(Goal, col(Goal.id) == link.goal_id)
        .where(owner.in_(ids))
        .order_by(col(Goal.id))
    ).all()
    found: dict[int, list[dict[str, Any]]] = {}
    for owner_id, goal_id, name in rows:
        found.setdefault(owner_id, []).append({"number": goal_id, "name": name})
    return found


def research(
    session: Session, ids: list[int], group_ids: list[int], window: Window | None
) -> dict[int, list[dict[str, Any]]]:
    rows = session.exec(
        select(ResourceResearch.practice_id, Resource)
        .join(Resource, col(Resource.id) == ResourceResearch.research_id)
        .where(col(ResourceResearch.practice_id).in_(ids))
        .order_by(col(Resource.id))
    ).all()
    found: dict[int, list[dict[str, Any]]] = {}
    for practice_id, research in rows:
        inside = (
            research.group_id in group_ids
            and research.deleted_at is None
            and (window is None or in_window(research.created_at, window))
        )
        link = f"r-{research.id}" if inside else None
        entry = {"id": research.id, "title": research.title, "page": link}
        found.setdefault(practice_id, []).append(entry)
    return found


def adoptions(session: Session, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = session.exec(
        select(Adoption, Municipality.name)
        .join(Municipality, col(Municipality.id) == Adoption.municipality_id)
        .where(col(Adoption.resource_id).in_(ids))
        .order_by(col(Adoption.id))
    ).all()
    found: dict[int, list[dict[str, Any]]] = {}
    for adoption, municipality in rows:
        found.setdefault(adoption.resource_id, []).append(
            {
                "municipality": municipality,
                "adopted_on": adoption.adopted_on.isoformat() if adoption.adopted_on else None,
                "summary": adoption.summary,
                "outcome": adoption.outcome,
                "created_at": iso(adoption.created_at),
            }
        )
    return found


def programme(session: Session, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = session.exec(
        select(ProgrammeItem)
        .where(col(ProgrammeItem.event_id).in_(ids))
        .order_by(col(ProgrammeItem.starts_at), col(ProgrammeItem.position))
    ).all()
    found: dict[int, list[dict[str, Any]]] = {}
    for item in rows:
        found.setdefault(item.event_id, []).append(
            {
                "starts_at": iso(item.starts_at),
                "title": item.title,
                "speaker": item.speaker,
                "room": item.room,
            }
        )
    return found


def group_members(session: Session, group_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = session.execute(
        sa.select(
            col(Membership.group_id),
            col(Membership.role),
            col(User.name),
            col(User.title),
            col(Municipality.name),
        )
        .join(User, col(User.id) == Membership.user_id)
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(col(Membership.group_id).in_(group_ids))
        .order_by(col(Membership.group_id), col(User.name), col(User.id))
    ).all()
    found: dict[int, list[dict[str, Any]]] = {}
    for group_id, role, name, title, municipality in rows:
        found.setdefault(group_id, []).append(
            {
                "name": name,
                "title": title,
                "municipality": municipality,
                "role": str(role),
                "role_label": ROLE_LABELS.get(str(role), str(role)),
            }
        )
    return found
