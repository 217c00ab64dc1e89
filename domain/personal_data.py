"""The doors to an official's personal data package (GDPR art. 15 and 20): the console
writes it at once (`export_personal_data`, `erfa export-user`); in the browser the official
asks for it (`request_export`).

What the package holds, and how it is written: domain/personal_data_package.py (with the
categories in domain/personal_data_categories.py and `LÄSMIG.txt` in
domain/personal_data_readme.py).

In the browser, a durable job (`EXPORT_JOB`, `run_export_job`) writes the package under the
data folder's `exports/` with an unguessable name and mails a signed link (`open_export`)
that works for seven days for that official only; `purge_expired_exports` removes what has
expired. An erasure ends every export of the person: `discard_exports` deletes the jobs not
yet done (in the erasure's transaction), and the erasure's callers remove the packages of
`export_files_of` after the commit.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from domain import jobs, outbox, policy
from domain.actor import Actor
from domain.errors import NotFound
from domain.event_fields import STOCKHOLM
from domain.personal_data_package import ExportSummary, write_export
from models import Job, User, UserStatus, utcnow

EXPORT_JOB = "personal_data.export"
LINK_LIFETIME = timedelta(days=7)
"""How long the mailed link works and the package is kept."""
EXPORT_LEASE = timedelta(hours=1)
"""How long a started export is left to its runner before another may take it over."""


def export_personal_data(
    session: Session,
    actor: Actor,
    *,
    user_id: int,
    target: Path | BinaryIO,
    upload_dir: Path,
    now: datetime | None = None,
) -> ExportSummary:
    """Write the package of the official `user_id` to `target` (the official themself, or
    the operator at the console)."""
    policy.require_personal_data_owner(actor, user_id)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("official")
    return write_export(session, user, target, upload_dir=upload_dir, now=now or utcnow())


# --- The browser's door: a durable job and a signed, expiring link ----------------------


def request_export(session: Session, actor: Actor) -> bool:
    """Ask for the package by mail; False when one is already being prepared."""
    policy.require_signed_in(actor)
    assert actor.user_id is not None
    policy.require_personal_data_owner(actor, actor.user_id)
    lock = select(User.id).where(User.id == actor.user_id)
    if session.get_bind().dialect.name == "postgresql":  # two quick clicks make one job
        lock = lock.with_for_update()
    session.exec(lock).first()
    if export_pending(session, actor):
        return False
    jobs.enqueue(session, EXPORT_JOB, {"user": actor.user_id})
    session.flush()
    return True


def export_pending(session: Session, actor: Actor) -> bool:
    if actor.user_id is None:
        return False
    return session.exec(select(Job.id).where(*_export_jobs_of(actor.user_id))).first() is not None


def _export_jobs_of(user_id: int) -> list[sa.ColumnElement[bool]]:
    return [col(Job.kind) == EXPORT_JOB, col(Job.payload)["user"].as_integer() == user_id]


def run_export_job(
    factory: sessionmaker[Session],
    job: Job,
    *,
    key: bytes,
    export_dir: Path,
    upload_dir: Path,
    now: datetime | None = None,
) -> list[outbox.Mail]:
    """Run an export job: the package is written under `export_dir` and the mail with its
    link queued in the transaction that finishes the job; the caller sends it after the
    commit. The job first takes a long lease (an export may take minutes)."""
    assert job.id is not None
    now = now or utcnow()
    with factory.begin() as session:
        if not jobs.own(session, job.id, job.attempts):
            return []
        jobs.retry(session, job.id, at=now + EXPORT_LEASE, attempts=job.attempts)
    user_id = int(str(job.payload.get("user")))
    expires = int((now + LINK_LIFETIME).timestamp())
    name = f"{user_id}-{expires}-{secrets.token_urlsafe(24)}"
    path = export_dir / f"{name}.zip"
    export_dir.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=export_dir, prefix=".part-")
    try:
        with os.fdopen(descriptor, "wb") as out, factory.begin() as session:
            user = session.get(User, user_id)
            if user is None or user.status is UserStatus.ERASED:  # nothing to send
                recipient = None
            else:
                write_export(session, user, out, upload_dir=upload_dir, now=now)
                recipient = (user.email, str(user.locale), user.name)
        if recipient is not None:
            os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    with factory.begin() as session:
        if not jobs.finish(session, job.id, attempts=job.attempts) or recipient is None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # another runner took the job over and sends its own
            return []
        email, locale, official = recipient
        outbox.queue(
            session,
            "personal_data_export",
            to=email,
            locale=locale,
            name=official,
            path=f"/settings/export/{export_token(key, name)}",
            expires=(now + LINK_LIFETIME).astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M"),
        )
        return outbox.take(session)


def export_token(key: bytes, name: str) -> str:
    """The link's token: the package's name (official, expiry, random part) and an HMAC."""
    return f"{name}.{_signature(key, name)}"


def _signature(key: bytes, name: str) -> str:
    digest = hmac.new(key, f"personal-data-export:{name}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


@dataclass(frozen=True)
class ExportDownload:
    path: Path | None
    """The package; None when the link has expired (or the package was purged)."""
    filename: str


def open_export(
    actor: Actor, *, key: bytes, token: str, export_dir: Path, now: datetime
) -> ExportDownload:
    """The package a mailed link names, for the official it was made for only (anyone
    else, and a link erfa did not sign, gets NotFound)."""
    name, _, signature = token.rpartition(".")
    if not hmac.compare_digest(signature.encode(), _signature(key, name).encode()):
        raise NotFound("export")
    user_id, expires, _ = _parse_name(name)
    policy.require_personal_data_owner(actor, user_id)
    path = export_dir / f"{name}.zip"
    day = datetime.fromtimestamp(expires, STOCKHOLM).date().isoformat()
    filename = f"erfa-export-{day}.zip"
    if expires <= now.timestamp() or not path.is_file():
        return ExportDownload(None, filename)
    return ExportDownload(path, filename)


def _parse_name(name: str) -> tuple[int, int, str]:
    user_id, _, rest = name.partition("-")
    expires, _, random = rest.partition("-")
    if not (user_id.isascii() and user_id.isdigit() and expires.isascii() and expires.isdigit()):
        raise NotFound("export")
    return int(user_id), int(expires), random


def purge_expired_exports(export_dir: Path, *, now: datetime) -> int:
    """Remove the packages whose links have expired, and unfinished ones left by a runner
    that died (older than a link lives); returns how many files went."""
    if not export_dir.is_dir():
        return 0
    removed = 0
    for path in export_dir.iterdir():
        if path.name.startswith(".part-"):
            expired = path.stat().st_mtime + LINK_LIFETIME.total_seconds() <= now.timestamp()
        elif path.suffix == ".zip":
            try:
                expired = _parse_name(path.stem)[1] <= now.timestamp()
            except NotFound:
                continue
        else:
            continue
        if expired:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    return removed


# --- Erasure: no export of the person outlives it -------------------------------------


def discard_exports(session: Session, user_id: int) -> int:
    """Delete the official's export jobs not yet done, in the caller's transaction (an
    erasure's); how many. A runner busy with one then finds its job gone, and removes its
    package instead of mailing the link."""
    done = session.execute(sa.delete(Job).where(*_export_jobs_of(user_id)))
    return int(getattr(done, "rowcount", 0) or 0)


def export_files_of(export_dir: Path, user_id: int) -> list[Path]:
    """The official's packages under `export_dir`, expired or not."""
    if not export_dir.is_dir():
        return []
    found = []
    for path in export_dir.iterdir():
        if path.suffix != ".zip":
            continue
        try:
            owner = _parse_name(path.stem)[0]
        except NotFound:
            continue
        if owner == user_id:
            found.append(path)
    return sorted(found)
