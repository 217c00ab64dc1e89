"""Archive packages: a group, or a calendar year, as one self-contained zip for an e-archive.

A package holds, in the spirit of the E-ARK and FGS packages Swedish e-archives take in:

    manifest.json             every other entry with its size and SHA-256, and `about`
                              (erfa version, created_at, scope, creator, group_ids, counts)
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

Who reaches a package kept under the data folder is asked the same way: a coordinator
lists, downloads and deletes a package only when they may archive every group it holds
(`policy.can_read_archive_package`, by the group ids its manifest records), and sees a
package being prepared when they asked for it or may archive every group it is to hold.

This module makes, lists and deletes packages; `archive_writer` writes one, and
`archive_content` says what its pages hold.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from domain import audit, jobs, policy
from domain.actor import Actor, load_actor
from domain.archive_content import FORMAT, ArchiveScope, Counts, local
from domain.archive_writer import Writer
from domain.errors import Conflict, DomainError, Invalid, NotFound
from domain.manifest import MANIFEST, ZipPackage
from models import Group, Job, utcnow

EXPORT = "archive.export"
"""The job that makes a package asked for in the browser."""
DIRECTORY = "archives"
"""Where packages are kept, under the data folder."""
LEASE = timedelta(hours=1)
"""How long a started package is left to its runner before another may take it over."""
MIN_YEAR = 2000
PACKAGE_NAME = re.compile(r"^erfa-arkiv-[a-z0-9-]+\.zip$")
HELD = "group_ids"
"""The ids of the groups a package holds: in its manifest, and in the job that makes it."""


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
    last = local(now or utcnow()).year + 1
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
                counts = Writer(session, package, Path(scratch), upload_dir, scope).write(groups)
            except BaseException:
                package.zip.close()
                raise
            package.close(**_about(actor, scope, now, groups, counts))
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


def _about(
    actor: Actor, scope: ArchiveScope, now: datetime, groups: list[Group], counts: Counts
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": 1,
        "erfa_version": version("erfa"),
        "created_at": now.isoformat(timespec="seconds"),
        "scope": scope.as_json(),
        "creator": {"user_id": actor.user_id or None, "name": actor.name},
        HELD: [g.id for g in groups],
        "counts": asdict(counts),
    }


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
    groups = _groups(session, actor, scope)
    chosen = groups[0] if scope.group is not None else None
    what = f"grupp-{scope.group}" if scope.group is not None else str(scope.year)
    name = f"erfa-arkiv-{what}-{local(now):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}.zip"
    held = [g.id for g in groups]
    jobs.enqueue(
        session, EXPORT, {"user": actor.user_id, **scope.as_json(), "name": name, HELD: held}
    )
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
    now: datetime | None = None,
) -> Path | None:
    """The job: make the package asked for, as the official who asked (as they are now:
    one who is no longer a coordinator gets nothing). The job first takes a long lease (a
    package may take minutes). Safe to repeat: a package that exists is left as it is.
    Returns the package, or None when this run made none: its maker may not, or another
    runner took the job over (and finds the package, if this run made it)."""
    assert job.id is not None
    now = now or utcnow()
    with writer.begin() as session:
        if not jobs.own(session, job.id, job.attempts):
            return None
        jobs.retry(session, job.id, at=now + LEASE, attempts=job.attempts)
    target = directory / str(job.payload["name"])
    made = target.exists() or _make(reader, job.payload, target, upload_dir=upload_dir)
    with writer.begin() as session:
        if not jobs.finish(session, job.id, attempts=job.attempts):
            return None
    return target if made else None


def _make(
    reader: sessionmaker[Session], payload: Mapping[str, object], target: Path, *, upload_dir: Path
) -> bool:
    target.parent.mkdir(parents=True, exist_ok=True)
    scope = ArchiveScope(group=_opt_str(payload.get("group")), year=_opt_int(payload))
    with reader() as session:
        actor = load_actor(session, int(str(payload["user"])))
        try:
            export(session, actor, scope=scope, target=target, upload_dir=upload_dir)
        except DomainError:
            return False
    return True


def _opt_str(value: object) -> str | None:
    return str(value) if value is not None else None


def _opt_int(payload: Mapping[str, object]) -> int | None:
    value = payload.get("year")
    return int(str(value)) if value is not None else None


def list_packages(session: Session, actor: Actor, *, directory: Path) -> ArchiveList:
    """The packages made (newest first) and those being prepared that the actor may see,
    and the form's choices."""
    policy.require_archive_exporter(actor)
    files = directory.glob("erfa-arkiv-*.zip") if directory.is_dir() else iter(())
    found = [(path, _manifest(path)) for path in files]
    made = [(path, about) for path, about in found if about is not None]
    waiting = list(session.exec(select(Job).where(col(Job.kind) == EXPORT).order_by(col(Job.id))))
    known = _groups_by_id(session, [*(a for _, a in made), *(job.payload for job in waiting)])
    readable = [(p, a) for p, a in made if _may_read(actor, known, a)]
    readable.sort(key=lambda item: item[0].stat().st_mtime, reverse=True)
    names = {path.name for path, _ in found}
    pending = [
        PendingPackage(str(job.payload["name"]), _scope_json(job.payload), job.created_at)
        for job in waiting
        if job.payload.get("name") not in names
        and (job.payload.get("user") == actor.user_id or _may_read(actor, known, job.payload))
    ]
    groups = session.exec(
        select(Group.slug, Group.name)
        .where(policy.archived_groups_clause(actor))
        .order_by(col(Group.name))
    ).all()
    packages = [_package_info(path, about) for path, about in readable]
    this_year = local(utcnow()).year
    return ArchiveList(packages, pending, [(s, n) for s, n in groups], (MIN_YEAR, this_year + 1))


def _scope_json(payload: Mapping[str, object]) -> dict[str, Any]:
    if payload.get("group") is not None:
        return {"group": payload["group"]}
    return {"year": payload.get("year")}


def _manifest(path: Path) -> dict[str, Any] | None:
    """What a package's manifest says of it; None for a file that is no readable package."""
    try:
        with zipfile.ZipFile(path) as package:
            about = json.loads(package.read(MANIFEST))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    return about if isinstance(about, dict) else None


def _package_info(path: Path, about: Mapping[str, Any]) -> PackageInfo:
    creator = about.get("creator")
    return PackageInfo(
        name=path.name,
        size=path.stat().st_size,
        scope=dict(about.get("scope") or {}),
        created_at=str(about.get("created_at", "")),
        creator=str(creator.get("name", "")) if isinstance(creator, dict) else "",
        counts=dict(about.get("counts") or {}),
    )


def _held(about: Mapping[str, Any] | None) -> list[int] | None:
    """The ids of the groups a package (or its job) holds; None when it does not say."""
    held = about.get(HELD) if about is not None else None
    if not isinstance(held, list) or not all(isinstance(i, int) for i in held):
        return None
    return held


def _groups_by_id(session: Session, abouts: Iterable[Mapping[str, Any]]) -> dict[int, Group]:
    ids = {i for about in abouts for i in _held(about) or ()}
    if not ids:
        return {}
    rows = session.exec(select(Group).where(col(Group.id).in_(ids))).all()
    return {g.id: g for g in rows if g.id is not None}


def _held_groups(about: Mapping[str, Any] | None, known: Mapping[int, Group]) -> list[Group | None]:
    """The groups a package holds; None for one erfa cannot tell (gone, or not said)."""
    held = _held(about)
    return [None] if held is None else [known.get(i) for i in held]


def _may_read(actor: Actor, known: Mapping[int, Group], about: Mapping[str, Any]) -> bool:
    return policy.can_read_archive_package(actor, _held_groups(about, known))


def package_path(session: Session, actor: Actor, *, directory: Path, name: str) -> Path:
    """A package to download or delete: NotFound for any name that is not one in
    `directory`, and for a package holding a group the actor may not archive."""
    policy.require_archive_exporter(actor)
    path = directory / name
    if not PACKAGE_NAME.fullmatch(name) or not path.is_file():
        raise NotFound("package")
    about = _manifest(path)
    known = _groups_by_id(session, [about] if about is not None else [])
    policy.require_archive_package_reader(actor, _held_groups(about, known))
    return path


def delete_package(session: Session, actor: Actor, *, directory: Path, name: str) -> Path:
    """Record the deletion of a package; returns it, for the caller to remove once the
    record is committed (`remove_package`): a failed commit leaves the package."""
    path = package_path(session, actor, directory=directory, name=name)
    audit.record(
        session, actor, "archive.delete", target_type="archive", target_id=None, package=name
    )
    return path


def remove_package(path: Path) -> None:
    path.unlink(missing_ok=True)
