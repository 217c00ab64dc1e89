"""The writing of an archive package: a walk over its groups' discussions, resources and
events, each written as an HTML page and as JSON, the files copied, the index last.

Nothing is held whole in memory: discussions are read a page of threads at a time and
their posts a page at a time, streamed into the package through temporary files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import archive_content as content
from domain.archive_content import (
    ENV,
    FILES,
    HTML,
    JSON_DIR,
    README,
    TEMPLATES,
    ArchiveScope,
    Counts,
    event_json,
    event_summaries,
    iso,
    json_bytes,
    post_json,
    resource_json,
    safe_filename,
    scope_title,
    within,
)
from domain.manifest import ZipPackage
from models import (
    Attachment,
    Event,
    EventDocument,
    EventGoal,
    Group,
    GroupGoal,
    Municipality,
    Post,
    Resource,
    ResourceGoal,
    Thread,
    ThreadGoal,
    User,
)

THREAD_PAGE = 100
POST_PAGE = 500
ITEM_PAGE = 100


@dataclass
class _Index:
    """What index.html and index.json list: small summaries, gathered while writing."""

    groups: list[dict[str, Any]] = field(default_factory=list)
    threads: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    resources: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    events: dict[int | None, list[dict[str, Any]]] = field(default_factory=dict)


class Writer:
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
            goals = content.goals(self.session, ThreadGoal, col(ThreadGoal.thread_id), ids)
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
            "created_at": iso(thread.created_at),
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
            posts = Counter(self._posts(thread.id, js))
            for chunk in ENV.get_template("thread.html").generate(thread=head, posts=posts):
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
                item = post_json(post, name, title, municipality)
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
            where += within(col(Resource.created_at), self.window)
        base = select(Resource, Municipality.name).join(
            Municipality, col(Municipality.id) == Resource.municipality_id
        )
        for page in self._pages(base, col(Resource.id), where):
            ids = [r.id for r, _ in page if r.id is not None]
            goals = content.goals(self.session, ResourceGoal, col(ResourceGoal.resource_id), ids)
            research = content.research(self.session, ids, group_ids, self.window)
            adoptions = content.adoptions(self.session, ids)
            files = self._files(Attachment, col(Attachment.resource_id), ids, "a")
            for resource, municipality in page:
                assert resource.id is not None
                item = resource_json(resource, municipality, self.group_names)
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

    # --- events -----------------------------------------------------------------------

    def _write_events(self, group_ids: list[int]) -> None:
        if self.window is None:
            where: list[Any] = [col(Event.group_id).in_(group_ids)]
        else:  # the association's own events belong to every year package
            groups = sa.or_(col(Event.group_id).in_(group_ids), col(Event.group_id).is_(None))
            where = [groups, *within(col(Event.starts_at), self.window)]
        for page in self._pages(select(Event, sa.null()), col(Event.id), where):
            ids = [e.id for e, _ in page if e.id is not None]
            goals = content.goals(self.session, EventGoal, col(EventGoal.event_id), ids)
            programme = content.programme(self.session, ids)
            files = self._files(EventDocument, col(EventDocument.event_id), ids, "d")
            for event, _ in page:
                assert event.id is not None
                item = event_json(event, self.group_names)
                item["thread"] = self._thread_link(event.thread_id)
                item["goals"] = goals.get(event.id, [])
                item["programme"] = programme.get(event.id, [])
                item["documents"] = files.get(event.id, [])
                self._write_page("events", f"e-{event.id}", "event.html", item)
                summary = {"id": event.id, "title": event.title, "starts_at": event.starts_at}
                self.index.events.setdefault(event.group_id, []).append(summary)
                self.counts.events += 1

    # --- shared pieces ----------------------------------------------------------------

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
                    "created_at": iso(stored.created_at),
                    "missing": missing,
                }
            )
        return found

    def _thread_link(self, thread_id: int | None) -> str | None:
        return f"t-{thread_id}" if thread_id in self.thread_ids else None

    def _write_page(self, folder: str, name: str, template: str, item: dict[str, Any]) -> None:
        html = ENV.get_template(template).render(item=item)
        self.package.write_bytes(f"{HTML}/{folder}/{name}.html", html.encode())
        self.package.write_bytes(f"{JSON_DIR}/{folder}/{name}.json", json_bytes(item))

    def _write_index(self, groups: Sequence[Group]) -> None:
        ids = [g.id for g in groups if g.id is not None]
        members = content.group_members(self.session, ids)
        goals = content.goals(self.session, GroupGoal, col(GroupGoal.group_id), ids)
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
                    "archived_at": iso(group.archived_at),
                    "created_at": iso(group.created_at),
                    "goals": goals.get(group.id, []),
                    "members": members.get(group.id, []),
                    "threads": self.index.threads.get(group.id, []),
                    "resources": self.index.resources.get(group.id, []),
                    "events": event_summaries(self.index.events.get(group.id, [])),
                }
            )
        index = {
            "scope": self.scope.as_json(),
            "counts": asdict(self.counts),
            "groups": entries,
            "association_events": event_summaries(self.index.events.get(None, [])),
        }
        html = ENV.get_template("index.html").render(index=index, title=scope_title(self.scope))
        self.package.write_bytes(f"{HTML}/index.html", html.encode())
        self.package.write_bytes(f"{JSON_DIR}/index.json", json_bytes(index))

    def _write_static(self) -> None:
        self.package.write_bytes(f"{HTML}/style.css", (TEMPLATES / "style.css").read_bytes())
        readme = ENV.get_template("LÄSMIG.txt").render(
            title=scope_title(self.scope), counts=self.counts
        )
        self.package.write_bytes(README, readme.encode())


class Counter:
    """An iterable that counts what passed through it."""

    def __init__(self, items: Iterable[dict[str, Any]]) -> None:
        self.items = items
        self.count = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for item in self.items:
            self.count += 1
            yield item
