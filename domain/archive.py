"""Archive packages: a group, or a calendar year, as one self-contained zip for an e-archive.

A package holds, in the spirit of the E-ARK and FGS packages Swedish e-archives take in:

    manifest.json             every other entry with its size and SHA-256, and `about`
                              (erfa version, created_at, scope, creator, counts)
    LÄSMIG.txt                what the package is and how to verify it (Swedish, English)
    representations/html/     index.html, threads/, resources/, events/: static pages with
                              relative links, one style sheet, no script, no requests out
    representations/json/     index.json and the same pages' content as JSON
    representations/files/    resources' attachments and events' documents

What goes in is what the actor reads (`policy.archived_groups_clause`): a coordinator's
package holds no closed or secret group they are not a member of; the console (SYSTEM)
archives every group. Deleted posts and resources are left out: their authors withdrew
them. Hidden posts are in, with their moderation state and reason: a post a lead hid is
still part of the municipalities' record of what was said, and the archive keeps it.

A year package holds what was created in that calendar year (Swedish time): the posts
written in it (with their discussions), the resources shared in it, the events that take
place in it (the association's own among them), and the member lists of the groups as
they are when the package is made.

Nothing is held whole in memory: discussions are read a page of threads at a time and
their posts a page at a time, streamed into the package through temporary files.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from domain import audit, jobs, policy
from domain.actor import Actor, load_actor
from domain.errors import Conflict, DomainError, Invalid, NotFound
from domain.manifest import MANIFEST, ZipPackage
from models import (
    Adoption,
    Attachment,
    Event,
    EventDocument,
    EventGoal,
    Goal,
    Group,
    GroupGoal,
    Job,
    Membership,
    Municipality,
    Post,
    ProgrammeItem,
    Resource,
    ResourceGoal,
    ResourceResearch,
    Thread,
    ThreadGoal,
    User,
    utcnow,
)

EXPORT = "archive.export"
"""The job that makes a package asked for in the browser."""
DIRECTORY = "archives"
"""Where packages are kept, under the data folder."""
MIN_YEAR = 2000
THREAD_PAGE = 100
POST_PAGE = 500
ITEM_PAGE = 100
HTML = "representations/html"
JSON_DIR = "representations/json"
FILES = "representations/files"
README = "LÄSMIG.txt"
FORMAT = "erfa-archive-package"
LOCAL_ZONE = ZoneInfo("Europe/Stockholm")
PACKAGE_NAME = re.compile(r"^erfa-arkiv-[a-z0-9-]+\.zip$")

TEMPLATES = Path(__file__).resolve().parent / "archive_templates"
_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(disabled_extensions=("txt",), default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _when(moment: str | None) -> str:
    """An ISO moment of the JSON as the pages show it: Swedish time, to the minute."""
    if not moment:
        return ""
    return _local(datetime.fromisoformat(moment)).strftime("%Y-%m-%d %H:%M")


_ENV.filters["when"] = _when

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
_ENV.filters["label"] = lambda code: GROUP_LABELS.get(str(code), str(code))
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
    def window(self) -> tuple[datetime, datetime] | None:
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


@dataclass(frozen=True)
class PackageInfo:
    name: str
    size: int
    scope: dict[str, Any]
    created_at: str
    creator: str
    counts: dict[str, int]


@dataclass(frozen=True)
class PendingPackage:
    name: str
    scope: dict[str, Any]
    requested_at: datetime


@dataclass(frozen=True)
class ArchiveList:
    packages: list[PackageInfo]
    pending: list[PendingPackage]
    groups: list[tuple[str, str]]
    """(slug, name) of the groups the actor may archive: the form's choices."""
    years: tuple[int, int]


def scope_of(*, group: str | None, year: int | None, now: datetime | None = None) -> ArchiveScope:
    """One group or one year, never both or neither; a year from `MIN_YEAR` to next year."""
    group = (group or "").strip() or None
    if (group is None) == (year is None):
        raise Invalid.field("scope", "Choose either a group or a year.", "scope")
    last = _local(now or utcnow()).year + 1
    if year is not None and not MIN_YEAR <= year <= last:
        raise Invalid.field("year", f"The year must be from {MIN_YEAR} to {last}.", "range")
    return ArchiveScope(group=group, year=year)


def export(
    session: Session,
    actor: Actor,
    *,
    scope: ArchiveScope,
    target: Path,
    upload_dir: Path,
    now: datetime | None = None,
) -> Counts:
    """Write the package of `scope` to `target` (a new file: never one that exists).

    The zip is written beside `target` under a temporary name and moved into place when
    whole, so that no half-written package is ever found there, and none is left behind
    when writing fails.
    """
    policy.require_archive_exporter(actor)
    groups = _groups(session, actor, scope)
    if target.exists():
        raise Conflict(f"{target} exists already.")
    now = now or utcnow()
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".archive-", suffix=".part")
    try:
        with os.fdopen(descriptor, "w+b") as out, tempfile.TemporaryDirectory() as scratch:
            package = ZipPackage(out)
            try:
                counts = _Writer(session, package, Path(scratch), upload_dir, scope).write(groups)
            except BaseException:
                package.zip.close()
                raise
            package.close(**_about(actor, scope, now, counts))
        if target.exists():
            raise Conflict(f"{target} exists already.")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return counts


def _groups(session: Session, actor: Actor, scope: ArchiveScope) -> list[Group]:
    if scope.group is not None:
        group = session.exec(select(Group).where(col(Group.slug) == scope.group)).first()
        if group is None or not policy.can_archive_group(actor, group):
            raise NotFound("group")
        return [group]
    query = select(Group).where(policy.archived_groups_clause(actor)).order_by(col(Group.slug))
    return list(session.exec(query).all())


def _about(actor: Actor, scope: ArchiveScope, now: datetime, counts: Counts) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": 1,
        "erfa_version": version("erfa"),
        "created_at": now.isoformat(timespec="seconds"),
        "scope": scope.as_json(),
        "creator": {"user_id": actor.user_id or None, "name": actor.name},
        "counts": asdict(counts),
    }


def _local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_ZONE) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def safe_filename(filename: str) -> str:
    """A file name any file system and archive takes: ASCII letters, digits, `.`, `-`, `_`."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    folded = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", folded).strip("._") or "fil"
    return cleaned[-100:]


@dataclass
class _Index:
    """What index.html and index.json list: small summaries, gathered while writing."""

    groups: list[dict[str, Any]] = field(default_factory=list)
    threads: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    resources: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    events: dict[int | None, list[dict[str, Any]]] = field(default_factory=dict)


class _Writer:
    def __init__(
        self,
        session: Session,
        package: ZipPackage,
        scratch: Path,
        upload_dir: Path,
        scope: ArchiveScope,
    ) -> None:
        self.session = session
        self.package = package
        self.scratch = scratch
        self.upload_dir = upload_dir
        self.scope = scope
        self.window = scope.window
        self.counts = Counts()
        self.index = _Index()
        self.thread_ids: set[int] = set()
        self.group_names: dict[int, str] = {}

    def write(self, groups: Sequence[Group]) -> Counts:
        ids = [g.id for g in groups if g.id is not None]
        self.group_names = {g.id: g.name for g in groups if g.id is not None}
        self.counts.groups = len(ids)
        for group in groups:
            assert group.id is not None
            self._write_threads(group.id)
        self._write_resources(ids)
        self._write_events(ids)
        self._write_index(groups)
        self._write_static()
        return self.counts

    # --- discussions ------------------------------------------------------------------

    def _write_threads(self, group_id: int) -> None:
        after = 0
        while True:
            query = (
                select(Thread, User.name)
                .join(User, col(User.id) == Thread.author_id)
                .where(col(Thread.group_id) == group_id, col(Thread.id) > after)
                .order_by(col(Thread.id))
                .limit(THREAD_PAGE)
            )
            if self.window is not None:
                query = query.where(sa.exists().where(*self._post_filter(Thread.id)))
            page = self.session.exec(query).all()
            if not page:
                return
            ids = [t.id for t, _ in page if t.id is not None]
            goals = self._goals(ThreadGoal, col(ThreadGoal.thread_id), ids)
            for thread, author in page:
                assert thread.id is not None
                self._write_thread(thread, author, goals.get(thread.id, []))
            after = ids[-1]

    def _post_filter(self, thread_id: Any) -> list[sa.ColumnElement[bool]]:
        where = [col(Post.thread_id) == thread_id, col(Post.deleted_at).is_(None)]
        if self.window is not None:
            start, end = self.window
            where += [col(Post.created_at) >= start, col(Post.created_at) < end]
        return where

    def _write_thread(self, thread: Thread, author: str, goals: list[dict[str, Any]]) -> None:
        assert thread.id is not None
        head = {
            "id": thread.id,
            "title": thread.title,
            "group": self.group_names[thread.group_id],
            "author": author,
            "created_at": _iso(thread.created_at),
            "pinned": thread.pinned,
            "locked": thread.locked,
            "lock_reason": thread.lock_reason,
            "goals": goals,
        }
        html_path, json_path = self.scratch / "thread.html", self.scratch / "thread.json"
        with (
            json_path.open("w", encoding="utf-8") as js,
            html_path.open("w", encoding="utf-8") as h,
        ):
            js.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "posts": [')
            posts = _Counter(self._posts(thread.id, js))
            for chunk in _ENV.get_template("thread.html").generate(thread=head, posts=posts):
                h.write(chunk)
            js.write("]}\n")
        name = f"threads/t-{thread.id}"
        self.package.write_file(f"{HTML}/{name}.html", html_path)
        self.package.write_file(f"{JSON_DIR}/{name}.json", json_path)
        self.thread_ids.add(thread.id)
        self.counts.threads += 1
        self.counts.posts += posts.count
        summary = {"id": thread.id, "title": thread.title, "posts": posts.count}
        self.index.threads.setdefault(thread.group_id, []).append(summary)

    def _posts(self, thread_id: int, js: TextIO) -> Iterator[dict[str, Any]]:
        """The thread's posts in order, a page at a time, each also written to `js`."""
        after = 0
        first = True
        while True:
            query = (
                select(Post, User.name, User.title, Municipality.name)
                .join(User, col(User.id) == Post.author_id)
                .join(Municipality, col(Municipality.id) == User.municipality_id)
                .where(*self._post_filter(thread_id), col(Post.position) > after)
                .order_by(col(Post.position))
                .limit(POST_PAGE)
            )
            page = self.session.exec(query).all()
            for post, name, title, municipality in page:
                item = _post_json(post, name, title, municipality)
                js.write(("" if first else ",") + json.dumps(item, ensure_ascii=False))
                first = False
                yield item
            if len(page) < POST_PAGE:
                return
            after = page[-1][0].position

    # --- resources --------------------------------------------------------------------

    def _write_resources(self, group_ids: list[int]) -> None:
        where = [col(Resource.group_id).in_(group_ids), col(Resource.deleted_at).is_(None)]
        if self.window is not None:
            where += _within(col(Resource.created_at), self.window)
        base = select(Resource, Municipality.name).join(
            Municipality, col(Municipality.id) == Resource.municipality_id
        )
        for page in self._pages(base, col(Resource.id), where):
            ids = [r.id for r, _ in page if r.id is not None]
            goals = self._goals(ResourceGoal, col(ResourceGoal.resource_id), ids)
            research = self._research(ids, group_ids)
            adoptions = self._adoptions(ids)
            files = self._files(Attachment, col(Attachment.resource_id), ids, "a")
            for resource, municipality in page:
                assert resource.id is not None
                item = _resource_json(resource, municipality, self.group_names)
                item["thread"] = self._thread_link(resource.thread_id)
                item["goals"] = goals.get(resource.id, [])
                item["research"] = research.get(resource.id, [])
                item["adoptions"] = adoptions.get(resource.id, [])
                item["attachments"] = files.get(resource.id, [])
                self._write_page("resources", f"r-{resource.id}", "resource.html", item)
                summary = {"id": resource.id, "title": resource.title, "kind": item["kind"]}
                self.index.resources.setdefault(resource.group_id, []).append(summary)
                self.counts.resources += 1

    def _pages(self, base: Any, key: Any, where: list[Any]) -> Iterator[Sequence[Any]]:
        """The rows of `base` (a select whose first entity has the id `key`), by id."""
        after = 0
        while True:
            query = base.where(*where, key > after).order_by(key).limit(ITEM_PAGE)
            page = self.session.exec(query).all()
            if not page:
                return
            yield page
            after = page[-1][0].id

    def _research(self, ids: list[int], group_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        rows = self.session.exec(
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
                and (self.window is None or _in(research.created_at, self.window))
            )
            link = f"r-{research.id}" if inside else None
            entry = {"id": research.id, "title": research.title, "page": link}
            found.setdefault(practice_id, []).append(entry)
        return found

    def _adoptions(self, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        rows = self.session.exec(
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
                    "created_at": _iso(adoption.created_at),
                }
            )
        return found

    # --- events -----------------------------------------------------------------------

    def _write_events(self, group_ids: list[int]) -> None:
        if self.window is None:
            where: list[Any] = [col(Event.group_id).in_(group_ids)]
        else:  # the association's own events belong to every year package
            groups = sa.or_(col(Event.group_id).in_(group_ids), col(Event.group_id).is_(None))
            where = [groups, *_within(col(Event.starts_at), self.window)]
        for page in self._pages(select(Event, sa.null()), col(Event.id), where):
            ids = [e.id for e, _ in page if e.id is not None]
            goals = self._goals(EventGoal, col(EventGoal.event_id), ids)
            programme = self._programme(ids)
            files = self._files(EventDocument, col(EventDocument.event_id), ids, "d")
            for event, _ in page:
                assert event.id is not None
                item = _event_json(event, self.group_names)
                item["thread"] = self._thread_link(event.thread_id)
                item["goals"] = goals.get(event.id, [])
                item["programme"] = programme.get(event.id, [])
                item["documents"] = files.get(event.id, [])
                self._write_page("events", f"e-{event.id}", "event.html", item)
                summary = {"id": event.id, "title": event.title, "starts_at": event.starts_at}
                self.index.events.setdefault(event.group_id, []).append(summary)
                self.counts.events += 1

    def _programme(self, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        rows = self.session.exec(
            select(ProgrammeItem)
            .where(col(ProgrammeItem.event_id).in_(ids))
            .order_by(col(ProgrammeItem.starts_at), col(ProgrammeItem.position))
        ).all()
        found: dict[int, list[dict[str, Any]]] = {}
        for item in rows:
            found.setdefault(item.event_id, []).append(
                {
                    "starts_at": _iso(item.starts_at),
                    "title": item.title,
                    "speaker": item.speaker,
                    "room": item.room,
                }
            )
        return found

    # --- shared pieces ----------------------------------------------------------------

    def _goals(self, link: Any, owner: Any, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        rows = self.session.exec(
            select(owner, Goal.id, Goal.name_sv)
            .join(Goal, col(Goal.id) == link.goal_id)
            .where(owner.in_(ids))
            .order_by(col(Goal.id))
        ).all()
        found: dict[int, list[dict[str, Any]]] = {}
        for owner_id, goal_id, name in rows:
            found.setdefault(owner_id, []).append({"number": goal_id, "name": name})
        return found

    def _files(
        self, model: Any, owner: Any, ids: list[int], prefix: str
    ) -> dict[int, list[dict[str, Any]]]:
        """The stored files of these owners, copied into the package; a file missing from
        the upload folder is listed as missing, so the package says what it lacks."""
        rows = self.session.exec(select(model).where(owner.in_(ids)).order_by(model.id)).all()
        found: dict[int, list[dict[str, Any]]] = {}
        for stored in rows:
            name = f"{prefix}{stored.id}-{safe_filename(stored.filename)}"
            source = self.upload_dir / stored.storage_name
            missing = not source.is_file()
            if not missing:
                self.package.write_file(f"{FILES}/{name}", source)
                self.counts.files += 1
            owner_id = stored.resource_id if prefix == "a" else stored.event_id
            found.setdefault(owner_id, []).append(
                {
                    "filename": stored.filename,
                    "file": None if missing else name,
                    "content_type": stored.content_type,
                    "size": stored.size,
                    "sha256": stored.sha256,
                    "created_at": _iso(stored.created_at),
                    "missing": missing,
                }
            )
        return found

    def _thread_link(self, thread_id: int | None) -> str | None:
        return f"t-{thread_id}" if thread_id in self.thread_ids else None

    def _write_page(self, folder: str, name: str, template: str, item: dict[str, Any]) -> None:
        html = _ENV.get_template(template).render(item=item)
        self.package.write_bytes(f"{HTML}/{folder}/{name}.html", html.encode())
        self.package.write_bytes(f"{JSON_DIR}/{folder}/{name}.json", _json_bytes(item))

    def _write_index(self, groups: Sequence[Group]) -> None:
        ids = [g.id for g in groups if g.id is not None]
        members = _members(self.session, ids)
        goals = self._goals(GroupGoal, col(GroupGoal.group_id), ids)
        entries = []
        for group in groups:
            assert group.id is not None
            entries.append(
                {
                    "slug": group.slug,
                    "name": group.name,
                    "focus_area": group.focus_area,
                    "description": group.description,
                    "visibility": group.visibility,
                    "archived_at": _iso(group.archived_at),
                    "created_at": _iso(group.created_at),
                    "goals": goals.get(group.id, []),
                    "members": members.get(group.id, []),
                    "threads": self.index.threads.get(group.id, []),
                    "resources": self.index.resources.get(group.id, []),
                    "events": _event_summaries(self.index.events.get(group.id, [])),
                }
            )
        index = {
            "scope": self.scope.as_json(),
            "counts": asdict(self.counts),
            "groups": entries,
            "association_events": _event_summaries(self.index.events.get(None, [])),
        }
        html = _ENV.get_template("index.html").render(index=index, title=_title(self.scope))
        self.package.write_bytes(f"{HTML}/index.html", html.encode())
        self.package.write_bytes(f"{JSON_DIR}/index.json", _json_bytes(index))

    def _write_static(self) -> None:
        self.package.write_bytes(f"{HTML}/style.css", (TEMPLATES / "style.css").read_bytes())
        readme = _ENV.get_template("LÄSMIG.txt").render(
            title=_title(self.scope), counts=self.counts
        )
        self.package.write_bytes(README, readme.encode())


class _Counter:
    """An iterable that counts what passed through it."""

    def __init__(self, items: Iterable[dict[str, Any]]) -> None:
        self.items = items
        self.count = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for item in self.items:
            self.count += 1
            yield item


def _title(scope: ArchiveScope) -> str:
    return f"gruppen {scope.group}" if scope.group is not None else f"året {scope.year}"


def _within(column: Any, window: tuple[datetime, datetime]) -> list[Any]:
    return [column >= window[0], column < window[1]]


def _in(moment: datetime, window: tuple[datetime, datetime]) -> bool:
    return window[0] <= _local(moment) < window[1]


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=_iso).encode() + b"\n"


def _event_summaries(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "starts_at": _iso(e["starts_at"])} for e in events]


def _post_json(post: Post, name: str, title: str, municipality: str) -> dict[str, Any]:
    return {
        "id": post.id,
        "position": post.position,
        "reply_to_id": post.reply_to_id,
        "author": {"name": name, "title": title, "municipality": municipality},
        "created_at": _iso(post.created_at),
        "edited_at": _iso(post.edited_at),
        "state": "hidden" if post.hidden_at is not None else "published",
        "hidden_at": _iso(post.hidden_at),
        "hidden_reason": post.hidden_reason,
        "body": post.body,
        "body_html": post.body_html,
    }


def _resource_json(
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
        "created_at": _iso(resource.created_at),
        "updated_at": _iso(resource.updated_at),
        "adoption_count": resource.adoption_count,
        **{s: getattr(resource, s) for s in sections},
        **{f"{s}_html": getattr(resource, f"{s}_html") for s in sections},
    }


def _event_json(event: Event, group_names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": event.id,
        "title": event.title,
        "group": group_names.get(event.group_id) if event.group_id is not None else None,
        "kind": event.kind,
        "kind_label": KIND_LABELS.get(event.kind, event.kind),
        "starts_at": _iso(event.starts_at),
        "ends_at": _iso(event.ends_at),
        "starts_at_local": _local(event.starts_at).strftime("%Y-%m-%d %H:%M"),
        "ends_at_local": _local(event.ends_at).strftime("%Y-%m-%d %H:%M"),
        "place": event.place,
        "online_url": event.online_url,
        "capacity": event.capacity,
        "registered_count": event.registered_count,
        "cancelled_at": _iso(event.cancelled_at),
        "cancel_reason": event.cancel_reason,
        "description": event.description,
        "description_html": event.description_html,
        "minutes": event.minutes,
        "minutes_html": event.minutes_html,
    }


def _members(session: Session, group_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
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


# --- packages kept under the data folder, made by jobs --------------------------------


def request_export(
    session: Session,
    actor: Actor,
    *,
    group: str | None,
    year: int | None,
    now: datetime | None = None,
) -> str:
    """Ask for a package (made by a job, `run_export`); returns the name it will have."""
    policy.require_archive_exporter(actor)
    now = now or utcnow()
    scope = scope_of(group=group, year=year, now=now)
    chosen = _groups(session, actor, scope)[0] if scope.group is not None else None
    what = f"grupp-{scope.group}" if scope.group is not None else str(scope.year)
    name = f"erfa-arkiv-{what}-{_local(now):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}.zip"
    payload = {"user": actor.user_id, **scope.as_json(), "name": name}
    jobs.enqueue(session, EXPORT, payload)
    audit.record(
        session,
        actor,
        "archive.export",
        target_type="group" if chosen is not None else "year",
        target_id=chosen.id if chosen is not None else scope.year,
        group_id=chosen.id if chosen is not None else None,
        package=name,
    )
    return name


def run_export(
    writer: sessionmaker[Session],
    reader: sessionmaker[Session],
    job: Job,
    *,
    upload_dir: Path,
    directory: Path,
) -> Path | None:
    """The job: make the package asked for, as the official who asked (as they are now:
    one who is no longer a coordinator gets nothing). Safe to repeat: a package that
    exists is left as it is. Returns the package, or None when none could be made."""
    assert job.id is not None
    payload = job.payload
    target = directory / str(payload["name"])
    made: Path | None = target
    if not target.exists():
        directory.mkdir(parents=True, exist_ok=True)
        scope = ArchiveScope(group=_opt_str(payload.get("group")), year=_opt_int(payload))
        with reader() as session:
            actor = load_actor(session, int(str(payload["user"])))
            try:
                export(session, actor, scope=scope, target=target, upload_dir=upload_dir)
            except DomainError:
                made = None
    with writer.begin() as session:
        jobs.finish(session, job.id, attempts=job.attempts)
    return made


def _opt_str(value: object) -> str | None:
    return str(value) if value is not None else None


def _opt_int(payload: dict[str, object]) -> int | None:
    value = payload.get("year")
    return int(str(value)) if value is not None else None


def list_packages(session: Session, actor: Actor, *, directory: Path) -> ArchiveList:
    """The packages made (newest first), those being prepared, and the form's choices."""
    policy.require_archive_exporter(actor)
    packages = []
    files = directory.glob("erfa-arkiv-*.zip") if directory.is_dir() else iter(())
    for path in sorted(files, key=lambda p: p.stat().st_mtime, reverse=True):
        info = _package_info(path)
        if info is not None:
            packages.append(info)
    made = {p.name for p in packages}
    waiting = session.exec(select(Job).where(col(Job.kind) == EXPORT).order_by(col(Job.id)))
    pending = [
        PendingPackage(str(job.payload["name"]), _scope_json(job.payload), job.created_at)
        for job in waiting
        if job.payload.get("name") not in made
    ]
    groups = session.exec(
        select(Group.slug, Group.name)
        .where(policy.archived_groups_clause(actor))
        .order_by(col(Group.name))
    ).all()
    this_year = _local(utcnow()).year
    return ArchiveList(packages, pending, [(s, n) for s, n in groups], (MIN_YEAR, this_year + 1))


def _scope_json(payload: dict[str, object]) -> dict[str, Any]:
    if payload.get("group") is not None:
        return {"group": payload["group"]}
    return {"year": payload.get("year")}


def _package_info(path: Path) -> PackageInfo | None:
    """What a package's manifest says of it; None for a file that is no readable package."""
    try:
        with zipfile.ZipFile(path) as package:
            about = json.loads(package.read(MANIFEST))
        return PackageInfo(
            name=path.name,
            size=path.stat().st_size,
            scope=dict(about.get("scope") or {}),
            created_at=str(about.get("created_at", "")),
            creator=str((about.get("creator") or {}).get("name", "")),
            counts=dict(about.get("counts") or {}),
        )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def package_path(actor: Actor, *, directory: Path, name: str) -> Path:
    """A package to download: NotFound for any name that is not one in `directory`."""
    policy.require_archive_exporter(actor)
    path = directory / name
    if not PACKAGE_NAME.fullmatch(name) or not path.is_file():
        raise NotFound("package")
    return path


def delete_package(session: Session, actor: Actor, *, directory: Path, name: str) -> None:
    path = package_path(actor, directory=directory, name=name)
    path.unlink(missing_ok=True)
    audit.record(
        session, actor, "archive.delete", target_type="archive", target_id=None, package=name
    )
