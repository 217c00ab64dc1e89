"""Everything erfa holds about one official, in one zip (GDPR art. 15 and 20).

The package (`write_export`) holds:
- `data/<category>.json`, one JSON file per category of `CATEGORIES` (`profile.json` is one
  object, every other file an array of rows, times in UTC, ISO 8601);
- `files/attachments/…` and `files/event_documents/…`, the files the official uploaded;
- `LÄSMIG.txt`, what each part is and the official's rights, in Swedish and English;
- `manifest.json` (domain/manifest.py): size and SHA-256 of every other entry.

Each category is one statement, streamed row by row into a temporary file and then into
the zip, so a prolific official's thousands of posts are never in memory at once. Secrets
are never selected: no password hash (only whether one is set), no token digests.

`COVERED` names every column through which a row belongs to (or speaks of) an official:
every foreign key to `user_account.id`, the audit log's plain ids, and the sign-up
requests' email. A test walks the metadata and fails on a reference it does not name.

In the browser, an official asks for the package (`request_export`); a durable job
(`EXPORT_JOB`, `run_export_job`) writes it under the data folder's `exports/` with an
unguessable name and mails a signed link (`open_export`) that works for seven days for
that official only; `purge_expired_exports` removes what has expired.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from domain import jobs, outbox, policy
from domain.actor import Actor
from domain.errors import NotFound
from domain.event_fields import STOCKHOLM
from domain.manifest import ZipPackage
from models import (
    Adoption,
    ApiToken,
    Attachment,
    AuditEntry,
    Event,
    EventDocument,
    Flag,
    Group,
    Invitation,
    Job,
    JoinRequest,
    Membership,
    Municipality,
    Notification,
    PasswordReset,
    Post,
    PostRevision,
    Registration,
    Resource,
    ResourceGoal,
    SignupRequest,
    Subscription,
    Thread,
    ThreadRead,
    User,
    Webhook,
    WebhookDelivery,
    WebSession,
    utcnow,
)

EXPORT_JOB = "personal_data.export"
LINK_LIFETIME = timedelta(days=7)
"""How long the mailed link works and the package is kept."""
EXPORT_LEASE = timedelta(hours=1)
"""How long a started export is left to its runner before another may take it over."""
BATCH = 500
FORMAT = 1


@dataclass(frozen=True)
class Category:
    name: str
    """The file: `data/<name>.json`."""
    covers: tuple[tuple[str, str], ...]
    """The (table, column) references to the official this category answers for."""
    query: Callable[[User], sa.Select[Any]]
    key: str = "id"
    """The field that identifies a row (tests look rows up by it)."""


def _rows(
    name: str, covers: tuple[tuple[str, str], ...], *columns: Any, key: str = "id"
) -> Callable[[Callable[[User], ColumnElement[bool]]], Category]:
    """A category selecting `columns` where the decorated condition holds, in key order."""

    def make(where: Callable[[User], ColumnElement[bool]]) -> Category:
        def query(user: User) -> sa.Select[Any]:
            first = columns[0]
            return sa.select(*columns).where(where(user)).order_by(first)

        return Category(name, covers, query, key)

    return make


def _cols(model: Any, *names: str) -> list[Any]:
    return [col(getattr(model, name)) for name in names]


def _names(words: str) -> list[str]:
    return words.split()


RESOURCE_FIELDS = _names(
    "id group_id thread_id title summary kind municipality_id contact_name contact_email link "
    "background purpose implementation results lessons institution authors published_year "
    "doi implications theme_id adoption_count version created_at updated_at deleted_at"
)
EVENT_FIELDS = _names(
    "id kind title description starts_at ends_at place online_url group_id theme_id capacity "
    "registration_closes_at thread_id minutes registered_count waiting_count cancelled_at "
    "cancel_reason created_at updated_at"
)
FILE_FIELDS = _names("id filename content_type size sha256 created_at")


def _mine(column: Any) -> Callable[[User], ColumnElement[bool]]:
    return lambda user: col(column) == user.id


def _audit_about(user: User) -> ColumnElement[bool]:
    """Entries the official made, and entries about them or about what is theirs."""
    owned = {
        "user": sa.literal(user.id),
        "post": select(Post.id).where(Post.author_id == user.id).scalar_subquery(),
        "thread": select(Thread.id).where(Thread.author_id == user.id).scalar_subquery(),
        "api_token": select(ApiToken.id).where(ApiToken.user_id == user.id).scalar_subquery(),
        "join_request": select(JoinRequest.id)
        .where(JoinRequest.user_id == user.id)
        .scalar_subquery(),
        "signup_request": select(SignupRequest.id)
        .where(SignupRequest.email == user.email)
        .scalar_subquery(),
    }
    about = [
        sa.and_(col(AuditEntry.target_type) == kind, col(AuditEntry.target_id).in_(ids))
        if kind != "user"
        else sa.and_(col(AuditEntry.target_type) == kind, col(AuditEntry.target_id) == ids)
        for kind, ids in owned.items()
    ]
    return sa.or_(col(AuditEntry.actor_id) == user.id, *about)


def _own_post_revision(user: User) -> ColumnElement[bool]:
    mine = select(Post.id).where(Post.author_id == user.id).scalar_subquery()
    return sa.or_(col(PostRevision.post_id).in_(mine), col(PostRevision.edited_by_id) == user.id)


def _own_webhook_delivery(user: User) -> ColumnElement[bool]:
    mine = select(Webhook.id).where(Webhook.created_by_id == user.id).scalar_subquery()
    return col(WebhookDelivery.webhook_id).in_(mine)


_post_author = select(Post.author_id).where(Post.id == PostRevision.post_id).scalar_subquery()

CATEGORIES: tuple[Category, ...] = (
    _rows(
        "memberships",
        (("membership", "user_id"),),
        *_cols(Membership, "id", "group_id", "role", "created_at"),
        col(Group.slug).label("group_slug"),
    )(
        lambda user: sa.and_(
            col(Membership.user_id) == user.id, col(Group.id) == col(Membership.group_id)
        )
    ),
    _rows(
        "join_requests",
        (("join_request", "user_id"),),
        *_cols(JoinRequest, "id", "group_id", "message", "status", "created_at", "decided_at"),
    )(_mine(JoinRequest.user_id)),
    _rows(
        "join_requests_decided",
        (("join_request", "decided_by_id"),),
        *_cols(JoinRequest, "id", "group_id", "status", "decided_at"),
    )(_mine(JoinRequest.decided_by_id)),
    _rows(
        "threads",
        (("thread", "author_id"),),
        *_cols(Thread, "id", "group_id", "title", "pinned", "locked", "theme_id"),
        *_cols(Thread, "created_at", "updated_at"),
    )(_mine(Thread.author_id)),
    _rows(
        "posts",
        (("post", "author_id"),),
        *_cols(Post, "id", "thread_id", "position", "reply_to_id", "body", "version"),
        *_cols(Post, "created_at", "edited_at", "deleted_at", "hidden_at", "hidden_reason"),
    )(_mine(Post.author_id)),
    Category(
        "post_revisions",
        (("post_revision", "edited_by_id"),),
        lambda user: (
            sa.select(
                *_cols(PostRevision, "id", "post_id", "version", "edited_by_id", "created_at"),
                # The earlier wording of someone else's post is theirs, not the editor's.
                sa.case((_post_author == user.id, col(PostRevision.body)), else_=None).label(
                    "body"
                ),
            )
            .where(_own_post_revision(user))
            .order_by(col(PostRevision.id))
        ),
    ),
    _rows(
        "posts_hidden",
        (("post", "hidden_by_id"),),
        *_cols(Post, "id", "thread_id", "hidden_at", "hidden_reason"),
    )(_mine(Post.hidden_by_id)),
    _rows("resources", (("resource", "author_id"),), *_cols(Resource, *RESOURCE_FIELDS))(
        _mine(Resource.author_id)
    ),
    _rows(
        "resource_goals",
        (),
        *_cols(ResourceGoal, "resource_id", "goal_id"),
        key="resource_id",
    )(
        lambda user: col(ResourceGoal.resource_id).in_(
            select(Resource.id).where(Resource.author_id == user.id).scalar_subquery()
        )
    ),
    _rows(
        "resources_as_contact",
        (("resource", "contact_user_id"),),
        *_cols(Resource, "id", "group_id", "title", "contact_name", "contact_email"),
    )(_mine(Resource.contact_user_id)),
    _rows(
        "attachments",
        (("attachment", "uploaded_by_id"),),
        *_cols(Attachment, *FILE_FIELDS, "resource_id", "storage_name"),
    )(_mine(Attachment.uploaded_by_id)),
    _rows(
        "event_documents",
        (("event_document", "uploaded_by_id"),),
        *_cols(EventDocument, *FILE_FIELDS, "event_id", "storage_name"),
    )(_mine(EventDocument.uploaded_by_id)),
    _rows(
        "adoptions",
        (("adoption", "recorded_by_id"),),
        *_cols(Adoption, "id", "resource_id", "municipality_id", "adopted_on", "summary"),
        *_cols(Adoption, "outcome", "created_at", "updated_at"),
    )(_mine(Adoption.recorded_by_id)),
    _rows(
        "event_registrations",
        (("registration", "user_id"),),
        *_cols(Registration, "id", "event_id", "status", "created_at", "moved_up_at"),
    )(_mine(Registration.user_id)),
    _rows("events_arranged", (("event", "created_by_id"),), *_cols(Event, *EVENT_FIELDS))(
        _mine(Event.created_by_id)
    ),
    _rows(
        "flags",
        (("flag", "user_id"),),
        *_cols(Flag, "id", "post_id", "group_id", "reason", "status", "created_at"),
        *_cols(Flag, "resolved_at", "resolution_reason"),
    )(_mine(Flag.user_id)),
    _rows(
        "flags_resolved",
        (("flag", "resolved_by_id"),),
        *_cols(Flag, "id", "post_id", "group_id", "status", "resolved_at", "resolution_reason"),
    )(_mine(Flag.resolved_by_id)),
    _rows(
        "notifications",
        (("notification", "user_id"),),
        *_cols(Notification, "id", "kind", "actor_id", "group_id", "thread_id", "post_id"),
        *_cols(Notification, "event_id", "outcome", "created_at", "read_at", "mailed_at"),
    )(_mine(Notification.user_id)),
    _rows(
        "notifications_caused",
        (("notification", "actor_id"),),
        *_cols(Notification, "id", "kind", "group_id", "thread_id", "post_id", "event_id"),
        col(Notification.created_at),
    )(_mine(Notification.actor_id)),
    _rows(
        "subscriptions",
        (("subscription", "user_id"),),
        *_cols(Subscription, "id", "thread_id", "group_id", "created_at"),
    )(_mine(Subscription.user_id)),
    _rows(
        "thread_read_markers",
        (("thread_read", "user_id"),),
        *_cols(ThreadRead, "thread_id", "last_read_position", "updated_at"),
        key="thread_id",
    )(_mine(ThreadRead.user_id)),
    _rows(
        "web_sessions",
        (("web_session", "user_id"),),
        *_cols(WebSession, "id", "created_at", "last_seen_at", "expires_at", "revoked_at"),
        *_cols(WebSession, "ip", "user_agent"),
    )(_mine(WebSession.user_id)),
    _rows(
        "api_tokens",
        (("api_token", "user_id"),),
        *_cols(ApiToken, "id", "name", "prefix", "scopes", "created_at", "expires_at"),
        *_cols(ApiToken, "last_used_at", "revoked_at"),
    )(_mine(ApiToken.user_id)),
    _rows(
        "webhooks",
        (("webhook", "created_by_id"),),
        *_cols(Webhook, "id", "group_id", "url", "events", "created_at", "failing_since"),
        *_cols(Webhook, "disabled_at", "disabled_reason"),
    )(_mine(Webhook.created_by_id)),
    _rows(
        "webhook_deliveries",
        (),
        *_cols(WebhookDelivery, "id", "webhook_id", "message_id", "event", "status"),
        *_cols(WebhookDelivery, "attempts", "response_status", "error", "created_at"),
        *_cols(WebhookDelivery, "last_attempt_at", "delivered_at"),
    )(_own_webhook_delivery),
    _rows(
        "invitations",
        (("invitation", "user_id"),),
        *_cols(Invitation, "id", "invited_by_id", "group_id", "created_at", "expires_at"),
        col(Invitation.accepted_at),
    )(_mine(Invitation.user_id)),
    _rows(
        "invitations_sent",
        (("invitation", "invited_by_id"),),
        *_cols(Invitation, "id", "user_id", "group_id", "created_at", "accepted_at"),
    )(_mine(Invitation.invited_by_id)),
    _rows(
        "password_resets",
        (("password_reset", "user_id"),),
        *_cols(PasswordReset, "id", "created_at", "expires_at", "used_at"),
    )(_mine(PasswordReset.user_id)),
    _rows(
        "signup_requests",
        (("signup_request", "email"),),
        *_cols(SignupRequest, "id", "email", "name", "title", "municipality_id", "status"),
        *_cols(SignupRequest, "created_at", "decided_at"),
    )(lambda user: col(SignupRequest.email) == user.email),
    _rows(
        "signup_requests_decided",
        (("signup_request", "decided_by_id"),),
        *_cols(SignupRequest, "id", "municipality_id", "status", "decided_at"),
    )(_mine(SignupRequest.decided_by_id)),
    _rows(
        "audit_entries",
        (("audit_entry", "actor_id"), ("audit_entry", "target_id")),
        *_cols(AuditEntry, "id", "created_at", "actor_id", "action", "target_type"),
        *_cols(AuditEntry, "target_id", "group_id", "reason", "before", "after", "detail"),
    )(_audit_about),
)

COVERED: dict[tuple[str, str], str] = {
    reference: category.name for category in CATEGORIES for reference in category.covers
}
"""Every (table, column) that refers to an official, and the category that exports it."""

PROFILE_FIELDS = _names(
    "id email handle name title municipality_id is_coordinator is_representative status "
    "locale mail_pace created_at updated_at last_login_at last_active_at suspended_at "
    "credentials_revoked_at"
)


@dataclass(frozen=True)
class ExportSummary:
    user_id: int
    handle: str
    files: int
    missing_files: tuple[str, ...]


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


def write_export(
    session: Session, user: User, target: Path | BinaryIO, *, upload_dir: Path, now: datetime
) -> ExportSummary:
    assert user.id is not None
    package = ZipPackage(target)
    files: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="erfa-export-") as scratch:
        profile = _profile(session, user)
        package.write_bytes("data/profile.json", _json(profile, indent=2) + b"\n")
        for category in CATEGORIES:
            spool = Path(scratch) / f"{category.name}.json"
            with spool.open("wb") as out:
                for row in _stream(session, category, user):
                    if category.name in ("attachments", "event_documents"):
                        row["file"] = _file_path(category.name, row)
                        files.append((row["file"], str(row.pop("storage_name"))))
                    out.write(b"[\n" if out.tell() == 0 else b",\n")
                    out.write(_json(row))
                out.write(b"[]\n" if out.tell() == 0 else b"\n]\n")
            package.write_file(f"data/{category.name}.json", spool)
            spool.unlink()
    missing = []
    for path, storage_name in files:
        source = upload_dir / storage_name
        if source.is_file():
            package.write_file(path, source)
        else:
            missing.append(path)
    package.write_bytes(README, readme(missing).encode())
    package.close(
        package="erfa personal data export",
        format=FORMAT,
        official={"id": user.id, "handle": user.handle, "email": user.email},
        created_at=now.isoformat(),
        missing_files=missing,
    )
    return ExportSummary(user.id, user.handle, len(files) - len(missing), tuple(missing))


def _profile(session: Session, user: User) -> dict[str, Any]:
    row = {name: getattr(user, name) for name in PROFILE_FIELDS}
    row["has_password"] = user.password_hash is not None
    municipality = session.get(Municipality, user.municipality_id)
    row["municipality"] = (
        {"slug": municipality.slug, "name": municipality.name} if municipality else None
    )
    return row


def _stream(session: Session, category: Category, user: User) -> Iterator[dict[str, Any]]:
    statement = category.query(user).execution_options(yield_per=BATCH)
    result = session.connection().execute(statement)
    for row in result.mappings():
        yield dict(row)


def _file_path(category: str, row: dict[str, Any]) -> str:
    name = str(row["filename"]).replace("/", "_").replace("\\", "_")
    return f"files/{category}/{row['id']}-{name}"


def _json(value: Any, indent: int | None = None) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=_plain, indent=indent).encode()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not exported")


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
    query = select(Job.id).where(
        Job.kind == EXPORT_JOB, col(Job.payload)["user"].as_integer() == actor.user_id
    )
    return session.exec(query).first() is not None


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
            if user is None:  # gone since they asked: nothing to send
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


# --- LÄSMIG.txt -----------------------------------------------------------------------

README = "LÄSMIG.txt"

ABOUT: dict[str, tuple[str, str]] = {
    "profile": (
        "din profil: namn, titel, kommun, språk, roller, när du loggade in; "
        "om ett lösenord är satt (aldrig lösenordet)",
        "your profile: name, title, municipality, language, roles, sign-ins; "
        "whether a password is set (never the password)",
    ),
    "memberships": ("grupper du är medlem eller gruppledare i", "groups you belong to or lead"),
    "join_requests": (
        "dina förfrågningar om att gå med i stängda grupper",
        "your requests to join closed groups",
    ),
    "join_requests_decided": (
        "förfrågningar som du som gruppledare beslutade om",
        "join requests you decided as a group lead",
    ),
    "threads": ("diskussioner du startade", "discussions you started"),
    "posts": (
        "dina inlägg, med markdown-text och status (redigerat, raderat, dolt)",
        "your posts, their markdown text and state (edited, deleted, hidden)",
    ),
    "post_revisions": (
        "tidigare versioner av dina inlägg, och redigeringar du gjort",
        "earlier versions of your posts, and edits you made",
    ),
    "posts_hidden": (
        "inlägg du dolde som moderator, med skälet",
        "posts you hid as a moderator, with the reason",
    ),
    "resources": (
        "modeller, verktyg, processer och forskning du delade, med "
        "fallmallens fält och Agenda 2030-mål",
        "models, tools, processes and research you shared, with the case "
        "template's fields and Agenda 2030 goals",
    ),
    "resource_goals": (
        "Agenda 2030-mål för resurserna du delade",
        "the Agenda 2030 goals of the resources you shared",
    ),
    "resources_as_contact": (
        "resurser där du står som kontaktperson",
        "resources that name you as the contact",
    ),
    "attachments": (
        "filer du laddade upp till resurser (filerna ligger i files/attachments/)",
        "files you uploaded to resources (the files are in files/attachments/)",
    ),
    "event_documents": (
        "dokumentation du laddade upp till evenemang (files/event_documents/)",
        "event documentation you uploaded (files/event_documents/)",
    ),
    "adoptions": (
        '"vi provade detta": tillämpningar du registrerade',
        '"we tried this": adoptions you recorded',
    ),
    "event_registrations": (
        "dina anmälningar till evenemang och platser i kö",
        "your event registrations and places on waiting lists",
    ),
    "events_arranged": ("evenemang du skapade", "events you created"),
    "flags": (
        "inlägg du flaggade, och hur det avgjordes",
        "posts you flagged, and how it was decided",
    ),
    "flags_resolved": ("flaggor du avgjorde som gruppledare", "flags you resolved as a lead"),
    "notifications": ("notiser till dig", "notifications to you"),
    "notifications_caused": (
        "notiser som dina handlingar gav andra (utan mottagare)",
        "notifications your acts caused others (without recipients)",
    ),
    "subscriptions": ("diskussioner och grupper du följer", "discussions and groups you follow"),
    "thread_read_markers": (
        "hur långt du har läst i varje diskussion",
        "how far you have read each discussion",
    ),
    "web_sessions": (
        "dina inloggningar i webbläsare: när, IP-adress, webbläsare (aldrig den hemliga nyckeln)",
        "your browser sessions: when, IP address, browser (never the secret)",
    ),
    "api_tokens": (
        "dina API-nycklar: namn, början, behörighet, datum (aldrig nyckeln)",
        "your API tokens: name, prefix, scopes, dates (never the token)",
    ),
    "webhooks": (
        "webhooks du skapade (aldrig signeringsnyckeln)",
        "webhooks you created (never the signing secret)",
    ),
    "webhook_deliveries": (
        "leveranslogg för dina webhooks (utan innehåll)",
        "the delivery log of your webhooks (without payloads)",
    ),
    "invitations": ("inbjudningar till dig (bara datum)", "invitations to you (dates only)"),
    "invitations_sent": ("inbjudningar du skickade", "invitations you sent"),
    "password_resets": (
        "begäranden om nytt lösenord (bara datum)",
        "password reset requests (dates only)",
    ),
    "signup_requests": (
        "ansökningar om konto med din e-postadress",
        "account requests made with your email address",
    ),
    "signup_requests_decided": (
        "kontoansökningar du beslutade om som samordnare",
        "account requests you decided as a coordinator",
    ),
    "audit_entries": (
        "granskningsloggen: det du gjort som gruppledare eller samordnare, "
        "och det som gjorts som rör dig eller det som är ditt",
        "the audit log: what you did as a lead or coordinator, and what was "
        "done about you or what is yours",
    ),
}
"""What each `data/<name>.json` holds, in Swedish and English (LÄSMIG.txt)."""

_README_SV = """\
Dina personuppgifter i erfa
===========================

Det här paketet innehåller allt som erfa, Bergslagsakademiens forum för
erfarenhetsgrupper, har sparat om dig. Du har begärt det själv (artikel 15 och 20
i dataskyddsförordningen, GDPR).

Innehåll
--------
- data/*.json: uppgifterna i maskinläsbar form (JSON, UTF-8), en fil per slag.
  Tider anges i UTC (ISO 8601). Id-nummer pekar på rader i erfa, t.ex. en grupp
  eller en diskussion.
{files}
- files/: filer du har laddat upp, byte för byte som de sparades.
- manifest.json: storlek och SHA-256-kontrollsumma för varje fil i paketet, så att
  du kan se att inget saknas eller har ändrats.
{missing}
Dina rättigheter
----------------
Du har rätt att få rättat felaktiga uppgifter (du ändrar själv namn, titel och språk
under Inställningar), att få uppgifter raderade, att begära begränsning, att invända
mot behandlingen och att flytta dina uppgifter (det här paketet). Vänd dig till
föreningens samordnare. Är du missnöjd kan du klaga hos Integritetsskyddsmyndigheten
(IMY), www.imy.se.

Länken till paketet gäller i sju dagar; sedan raderas paketet.
"""

_README_EN = """\
Your personal data in erfa (English)
====================================

This package holds everything erfa, the forum of Bergslagsakademien's experience
groups, keeps about you, as you asked (GDPR articles 15 and 20).

- data/*.json: the data in machine-readable form (JSON, UTF-8), one file per kind.
  Times are UTC (ISO 8601); ids point to rows in erfa, such as a group or a discussion.
{files}
- files/: the files you uploaded, byte for byte as stored.
- manifest.json: the size and SHA-256 checksum of every file in the package.
{missing}
Your rights: rectification (change your name, title and language under Settings),
erasure, restriction, objection and portability (this package). Ask the association's
coordinators. You may complain to the Swedish Authority for Privacy Protection (IMY),
www.imy.se. The link to this package works for seven days; then the package is deleted.
"""


def readme(missing: list[str]) -> str:
    names = ["profile", *(category.name for category in CATEGORIES)]
    sv = "\n".join(f"  - data/{name}.json: {ABOUT[name][0]}" for name in names)
    en = "\n".join(f"  - data/{name}.json: {ABOUT[name][1]}" for name in names)
    gone_sv = gone_en = ""
    if missing:
        listed = "\n".join(f"  - {path}" for path in missing)
        gone_sv = f"\nDessa filer fanns inte längre i erfas lagring:\n{listed}\n"
        gone_en = f"\nThese files were no longer in erfa's storage:\n{listed}\n"
    return (
        _README_SV.format(files=sv, missing=gone_sv)
        + "\n\n"
        + _README_EN.format(files=en, missing=gone_en)
    )
