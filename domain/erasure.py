"""GDPR erasure of an official (`erfa user erase`, the coordinators' "Radera personuppgifter").

What goes, in one transaction (all or nothing):
- the person: the row keeps its id, because posts and audit entries point at it, but the
  name becomes `ERASED_NAME` ("Tidigare tjänsteperson": posts then read "Tidigare
  tjänsteperson, <municipality>"), the title, password and roles go, the email and handle
  become placeholders that name nobody (`erased-<id>@invalid`, `erased-<id>`), the status
  `erased`; every credential ends (sessions, API tokens, access tokens, feed keys);
- what exists only for them: password resets, invitations, subscriptions, notifications to
  them, read markers, memberships, join requests, event registrations (upcoming places go
  to the first in line), webhooks they made, sign-up requests with their address;
- copies of their name, email and handle elsewhere: a discussion's last poster, a
  resource's contact, a programme's speaker, webhook delivery logs (every "author" object
  with their id, wherever it sits in the payload), and the audit log, whose entries stay
  (their keeping is a legal duty) with the person's data replaced. A copy is a whole value
  equal to their email, name or handle, or in free text a whole word: "Anna Berg" is not
  in "Anna Bergström", nor "anna.berg@x.se" in "johanna.berg@x.se", and a handle only
  counts as `@handle` there.

Their posts and resources stay, under the new name, and each gets a new change position
so that mirrors learn it. With `with_content` they go too: every post of theirs becomes a
tombstone (text and revisions removed, `post.deleted` in the feed), every resource of
theirs is deleted with its texts cleared, the flags they raised are deleted, and the files
they uploaded (attachments, event documents) are removed (`domain/erasure_content.py`).
A discussion they started stays with its title when others replied: the replies are
others' words, and only the opening post (theirs) is emptied; a discussion with nothing
but their posts leaves the search index, and its title (their words too) becomes
`erasure_content.REMOVED_THREAD_TITLE`. What others wrote (a quotation of them, an
@mention) is others' content and is not rewritten.

The placeholder handle `erased-<id>` is reserved (`domain/handles.py`); an official who
took one before it was reserved makes the erasure of official <id> a Conflict until they
have another handle.

Files are removed only after the commit (`remove_files`): a file deleted before a commit
that then fails would be lost while its row stays. So with their personal data exports: the
jobs not yet done go in the transaction (`personal_data.discard_exports`), and the callers
remove the packages of `personal_data.export_files_of` after the commit.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit, auth, erasure_content, event_registrations, personal_data, policy
from domain.actor import Actor
from domain.errors import Conflict, Invalid, NotFound
from domain.users import user_by_email
from models import (
    ApiToken,
    Attachment,
    AuditEntry,
    Event,
    EventDocument,
    Group,
    Invitation,
    JoinRequest,
    MailPace,
    Membership,
    Municipality,
    Notification,
    PasswordReset,
    Post,
    ProgrammeItem,
    Registration,
    RegistrationStatus,
    Resource,
    SignupRequest,
    Subscription,
    Thread,
    ThreadRead,
    User,
    UserStatus,
    Webhook,
    WebhookDelivery,
    WebSession,
    utcnow,
)

log = logging.getLogger(__name__)

ERASED_NAME = "Tidigare tjänsteperson"
"""The name an erased official's posts show (in both languages: it is stored)."""


@dataclass(frozen=True)
class Target:
    """Whom a coordinator is about to erase, as the confirmation page shows them."""

    user_id: int
    name: str
    email: str
    municipality: str
    posts: int
    resources: int
    files: int


@dataclass
class Erasure:
    """What an erasure did: counts by kind, and the stored files to remove after commit."""

    user_id: int
    with_content: bool
    removed: dict[str, int] = field(default_factory=dict)
    posts_kept: int = 0
    posts_removed: int = 0
    resources_kept: int = 0
    resources_removed: int = 0
    files: list[str] = field(default_factory=list)
    """Storage names under the upload directory."""

    def summary(self) -> str:
        """One line for the console."""
        rows = ", ".join(f"{n} {what}" for what, n in sorted(self.removed.items()) if n)
        if self.with_content:
            content = (
                f"{self.posts_removed} posts and {self.resources_removed} resources removed, "
                f"{len(self.files)} files"
            )
        else:
            content = (
                f"{self.posts_kept} posts and {self.resources_kept} resources kept "
                f"as {ERASED_NAME!r}"
            )
        return f"erased official {self.user_id}: {content}; removed {rows or 'nothing else'}"


def erasure_target(session: Session, actor: Actor, *, user_id: int) -> Target:
    """The official to erase, checked exactly as `erase_official` checks: coordinators
    only, never oneself, not twice, never the last active coordinator."""
    user = _erasable(session, actor, user_id)
    home = session.get(Municipality, user.municipality_id)
    return Target(
        user_id=user_id,
        name=user.name,
        email=user.email,
        municipality=home.name if home else "",
        posts=_count(session, Post, col(Post.author_id) == user_id),
        resources=_count(
            session,
            Resource,
            col(Resource.author_id) == user_id,
            col(Resource.deleted_at).is_(None),
        ),
        files=_count(session, Attachment, col(Attachment.uploaded_by_id) == user_id)
        + _count(session, EventDocument, col(EventDocument.uploaded_by_id) == user_id),
    )


def erase_by_email(session: Session, actor: Actor, *, email: str, with_content: bool) -> Erasure:
    """`erase_official` for the console, which names the official by their address."""
    user = user_by_email(session, email)
    if user is None or user.id is None:
        raise NotFound("official with that email")
    return erase_official(session, actor, user_id=user.id, with_content=with_content)


def erase_official(
    session: Session,
    actor: Actor,
    *,
    user_id: int,
    with_content: bool,
    confirmation: str | None = None,
) -> Erasure:
    """Erase the official's personal data (see the module). `confirmation`, when given
    (the browser's form), must be the official's email address: Invalid otherwise."""
    user = _erasable(session, actor, user_id, lock=True)
    if confirmation is not None and confirmation.strip().lower() != user.email:
        raise Invalid.field(
            "confirmation", "Type the official's email address to confirm.", "mismatch"
        )
    old = _Identity(user.email, user.name, user.handle, user.status.value)
    done = Erasure(user_id=user_id, with_content=with_content)
    # Reads that may take a while come before the first write of the transaction.
    entries = _audit_entries(session, user_id, old)
    deliveries = _deliveries(session, user_id)
    _scrub_account(session, user)
    _remove_own_rows(session, done, user_id, old.email)
    # Exports not yet made are not made; made ones go after the commit (the callers).
    done.removed["pending exports"] = personal_data.discard_exports(session, user_id)
    _replace_copies(session, user_id, old)
    _scrub_audit(entries, old, user_id)
    _scrub_deliveries(session, deliveries, user_id, drop=with_content)
    if with_content:
        gone = erasure_content.remove(session, user_id)
        done.posts_removed, done.resources_removed = gone.posts, gone.resources
        done.files = gone.files
        done.removed.update(flags=gone.flags, files=len(gone.files))
    else:
        done.posts_kept, done.resources_kept = erasure_content.keep(session, user_id)
    audit.record(
        session,
        actor,
        "user.erase",
        target_type="user",
        target_id=user_id,
        before={"status": old.status},
        after={"status": UserStatus.ERASED.value},
        with_content=with_content,
        posts=done.posts_removed if with_content else done.posts_kept,
        resources=done.resources_removed if with_content else done.resources_kept,
        files=len(done.files),
    )
    session.flush()
    return done


def remove_files(upload_dir: Path, names: Iterable[str]) -> int:
    """Remove stored files after the erasure committed; how many were there. A file that
    cannot be removed is logged, not raised: the erasure itself has been saved."""
    removed = 0
    for name in names:
        path = upload_dir / name
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.error("could not remove %s of an erased official: %s", path, exc)
    return removed


@dataclass(frozen=True)
class _Identity:
    email: str
    name: str
    handle: str
    status: str


def _erasable(session: Session, actor: Actor, user_id: int, *, lock: bool = False) -> User:
    policy.require_official_eraser(actor, user_id)
    user = (
        session.get(User, user_id, with_for_update=True, populate_existing=True)
        if lock
        else session.get(User, user_id)
    )
    if user is None:
        raise NotFound("official")
    if user.status is UserStatus.ERASED:
        raise Conflict("The official's personal data has been erased already.")
    handle, email = _placeholder_handle(user_id), _placeholder_email(user_id)
    if session.exec(
        select(User.id).where(
            sa.or_(col(User.handle) == handle, col(User.email) == email),
            col(User.id) != user_id,
        )
    ).first():
        raise Conflict(
            f"Another official holds @{handle} or {email}, the placeholders of this one "
            "(taken before they were reserved): give them others before erasing this official."
        )
    if user.is_coordinator and user.status is UserStatus.ACTIVE:
        others = _count(
            session,
            User,
            col(User.is_coordinator).is_(True),
            col(User.status) == UserStatus.ACTIVE,
            col(User.id) != user_id,
        )
        if not others:
            raise Conflict(
                "erfa needs at least one coordinator: make another official coordinator "
                "before erasing this one."
            )
    return user


def _placeholder_handle(user_id: int) -> str:
    return f"erased-{user_id}"


def _placeholder_email(user_id: int) -> str:
    return f"erased-{user_id}@invalid"


def _count(session: Session, model: Any, *where: sa.ColumnElement[bool]) -> int:
    return int(session.exec(select(sa.func.count()).select_from(model).where(*where)).one())


def _scrub_account(session: Session, user: User) -> None:
    assert user.id is not None
    auth.revoke_credentials(session, user.id, api_tokens=True)
    session.refresh(user)
    user.name, user.title = ERASED_NAME, ""
    user.email = _placeholder_email(user.id)
    user.handle = _placeholder_handle(user.id)
    user.password_hash = None
    user.is_coordinator = user.is_representative = False
    user.status = UserStatus.ERASED
    user.mail_pace = MailPace.OFF
    user.last_login_at = user.last_active_at = user.suspended_at = None
    user.updated_at = utcnow()
    session.flush()


def _remove_own_rows(session: Session, done: Erasure, user_id: int, email: str) -> None:
    # Upcoming places go to the first in line (the official no longer sees any event).
    event_registrations.withdraw_unseen(session, user_id)
    for status, counter in (
        (RegistrationStatus.REGISTERED, Event.registered_count),
        (RegistrationStatus.WAITING, Event.waiting_count),
    ):
        theirs = select(col(Registration.event_id)).where(
            col(Registration.user_id) == user_id, col(Registration.status) == status
        )
        session.execute(
            sa.update(Event).where(col(Event.id).in_(theirs)).values({counter: col(counter) - 1})
        )
    member_of = select(col(Membership.group_id)).where(col(Membership.user_id) == user_id)
    session.execute(
        sa.update(Group)
        .where(col(Group.id).in_(member_of))
        .values(
            member_count=col(Group.member_count) - 1,
            version=col(Group.version) + 1,
            profile_version=col(Group.profile_version) + 1,
        )
    )
    owned: list[tuple[str, Any, sa.ColumnElement[bool]]] = [
        ("sessions", WebSession, col(WebSession.user_id) == user_id),
        ("API tokens", ApiToken, col(ApiToken.user_id) == user_id),
        ("password resets", PasswordReset, col(PasswordReset.user_id) == user_id),
        ("invitations", Invitation, col(Invitation.user_id) == user_id),
        ("subscriptions", Subscription, col(Subscription.user_id) == user_id),
        ("notifications", Notification, col(Notification.user_id) == user_id),
        ("read markers", ThreadRead, col(ThreadRead.user_id) == user_id),
        ("memberships", Membership, col(Membership.user_id) == user_id),
        ("join requests", JoinRequest, col(JoinRequest.user_id) == user_id),
        ("registrations", Registration, col(Registration.user_id) == user_id),
        ("webhooks", Webhook, col(Webhook.created_by_id) == user_id),
        ("sign-up requests", SignupRequest, sa.func.lower(col(SignupRequest.email)) == email),
    ]
    for what, model, where in owned:
        result = session.execute(sa.delete(model).where(where))
        done.removed[what] = int(getattr(result, "rowcount", 0) or 0)


def _replace_copies(session: Session, user_id: int, old: _Identity) -> None:
    their_threads = select(col(Post.thread_id)).where(col(Post.author_id) == user_id)
    session.execute(
        sa.update(Thread)
        .where(col(Thread.id).in_(their_threads), col(Thread.last_poster_name) == old.name)
        .values(last_poster_name=ERASED_NAME)
    )
    session.execute(
        sa.update(Resource)
        .where(
            sa.or_(
                col(Resource.contact_user_id) == user_id,
                sa.func.lower(col(Resource.contact_email)) == old.email,
            )
        )
        .values(contact_user_id=None, contact_name=ERASED_NAME, contact_email="")
    )
    if old.name:
        named = col(ProgrammeItem.speaker).icontains(old.name, autoescape=True)
        for item in session.exec(select(ProgrammeItem).where(named)).all():
            speaker = _scrubbed(item.speaker, old, user_id)
            if speaker != item.speaker:
                item.speaker = speaker


def _json_forms(text: str) -> set[str]:
    """How a text appears inside stored JSON: as it is, and with non-ASCII escaped."""
    return {text, json.dumps(text)[1:-1]}


def _audit_entries(session: Session, user_id: int, old: _Identity) -> list[AuditEntry]:
    """Audit entries that may hold the person's data: theirs, about them, or with their
    email, name or handle in them (a wide net: `_scrubbed` replaces only whole values and
    whole words, so an entry of "Anna Bergström" is read for "Anna Berg" and left as it
    was)."""
    columns = (AuditEntry.detail, AuditEntry.before, AuditEntry.after, AuditEntry.reason)
    mentions = [
        sa.cast(column, sa.Text).icontains(form, autoescape=True)
        for column in columns
        for text in (old.email, old.name, old.handle)
        if text
        for form in _json_forms(text)
    ]
    about = sa.and_(col(AuditEntry.target_type) == "user", col(AuditEntry.target_id) == user_id)
    return list(
        session.exec(
            select(AuditEntry).where(sa.or_(col(AuditEntry.actor_id) == user_id, about, *mentions))
        ).all()
    )


def _word(text: str, *, after: str = "") -> re.Pattern[str]:
    """`text` as a whole word, in any case: not preceded by a letter, digit, '.', '@' or
    '-' (but `after`, when given, must precede it), nor followed by one ('.' only when a
    letter or digit comes next, so a sentence may end with it)."""
    return re.compile(
        rf"(?<![\w.@-]){re.escape(after)}{re.escape(text)}(?![\w@-]|\.\w)", re.IGNORECASE
    )


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement taken as it is (`re.sub` would read backslashes in a string)."""
    return lambda _: text


def _scrubbed(value: Any, old: _Identity, user_id: int) -> Any:
    """`value` (text, or JSON) with the person's email, name and handle replaced where they
    are a whole value or, in free text, a whole word (a handle there as `@handle`)."""
    if isinstance(value, str):
        handle = _placeholder_handle(user_id)
        if old.handle and value.lower() in (old.handle, f"@{old.handle}"):
            return value.lower().replace(old.handle, handle)
        words = [
            (old.email, "", _placeholder_email(user_id)),
            (old.name, "", ERASED_NAME),
            (old.handle, "@", f"@{handle}"),
        ]
        for text, after, new in words:
            if text:
                value = _word(text, after=after).sub(_literal(new), value)
        return value
    if isinstance(value, dict):
        return {key: _scrubbed(item, old, user_id) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, old, user_id) for item in value]
    return value


def _scrub_audit(entries: list[AuditEntry], old: _Identity, user_id: int) -> None:
    for entry in entries:
        for name in ("detail", "before", "after", "reason"):
            value = getattr(entry, name)
            scrubbed = _scrubbed(value, old, user_id)
            if scrubbed != value:
                setattr(entry, name, scrubbed)


def _deliveries(session: Session, user_id: int) -> list[tuple[int, str]]:
    """Webhook deliveries of their posts (`"author":{"id":<id>,` in the signed body, at
    `data.author` or, for `thread.created`, at `data.first_post.author`)."""
    pattern = f'"author":{{"id":{user_id},'
    rows = session.execute(
        sa.select(col(WebhookDelivery.id), col(WebhookDelivery.payload)).where(
            col(WebhookDelivery.payload).contains(pattern, autoescape=True)
        )
    ).all()
    return [(int(row[0]), str(row[1])) for row in rows]


def _scrub_deliveries(
    session: Session, deliveries: list[tuple[int, str]], user_id: int, *, drop: bool
) -> None:
    """The delivery log keeps what was sent; the person's name and title leave it. With
    their content, the deliveries of their posts (which hold the text) go."""
    if not deliveries:
        return
    ids = [delivery_id for delivery_id, _ in deliveries]
    if drop:
        session.execute(sa.delete(WebhookDelivery).where(col(WebhookDelivery.id).in_(ids)))
        return
    rows = []
    for delivery_id, payload in deliveries:
        body = json.loads(payload)
        _scrub_authors(body, user_id)
        rows.append(
            {
                "row_id": delivery_id,
                "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            }
        )
    table = WebhookDelivery.__table__  # type: ignore[attr-defined]
    session.execute(
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values(payload=sa.bindparam("body")),
        rows,
    )


def _scrub_authors(value: Any, user_id: int) -> None:
    """Every "author" object with the person's id, wherever it sits in a payload, in place."""
    if isinstance(value, dict):
        author = value.get("author")
        if isinstance(author, dict) and author.get("id") == user_id:
            author.update(name=ERASED_NAME, title="")
        for item in value.values():
            _scrub_authors(item, user_id)
    elif isinstance(value, list):
        for item in value:
            _scrub_authors(item, user_id)
