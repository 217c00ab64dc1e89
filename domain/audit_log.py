"""Reading the audit log: who did what, when, to what, in which group and why.

`domain/audit.py` writes entries; this module only reads them, newest first. Coordinators
read every entry, group leads the entries of the groups they lead (`policy.audit_groups`);
anyone else is refused.

The log is append-only by construction: no service updates or deletes an entry, and this
module offers no verb that could (tests/domain/test_audit_log.py checks). A PostgreSQL
trigger refusing UPDATE and DELETE is deliberately not required: whoever could run SQL
against the database could drop the trigger just as well, and the application never asks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from domain import directory, policy
from domain.actor import Actor
from domain.errors import Forbidden, Invalid, NotFound
from models import AuditEntry, Group, User

PER_PAGE = 50
EXPORT_LIMIT = 50_000
"""An export holds at most this many entries, the newest; narrow the filters for older ones."""
EXPORT_BATCH = 1000
LOCAL_ZONE = ZoneInfo("Europe/Stockholm")
"""Dates and times without an offset are the members' own time."""

_ACTION = re.compile(r"[a-z_]+(\.[a-z_]*)?")
_NOBODY = -1
"""An actor filter that names nobody known: it matches no entry."""


@dataclass(frozen=True)
class AuditFilters:
    """What a reader typed: every field is optional text, checked by the read model.

    - `group`: a group slug;
    - `actor`: an official's id, email or handle, or `system` for the CLI and seeding;
    - `action`: exact (`post.hide`) or a prefix (`post.`, `post.*` or just `post`);
    - `since` / `until`: ISO dates or datetimes; a date without a time covers the whole
      day, and times without an offset are Swedish time.
    """

    group: str | None = None
    actor: str | None = None
    action: str | None = None
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class AuditCriteria:
    """Checked filters plus the reader's scope, ready to run on any session."""

    scope: frozenset[int] | None
    group_id: int | None = None
    actor_id: int | None = None
    system: bool = False
    action: str | None = None
    prefix: bool = False
    since: datetime | None = None
    until: datetime | None = None
    until_inclusive: bool = True

    def clauses(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.scope is not None:
            found.append(col(AuditEntry.group_id).in_(sorted(self.scope)))
        if self.group_id is not None:
            found.append(col(AuditEntry.group_id) == self.group_id)
        if self.system:
            found.append(col(AuditEntry.actor_id).is_(None))
        elif self.actor_id is not None:
            found.append(col(AuditEntry.actor_id) == self.actor_id)
        if self.action is not None:
            action = col(AuditEntry.action)
            found.append(action.startswith(self.action) if self.prefix else action == self.action)
        if self.since is not None:
            found.append(col(AuditEntry.created_at) >= self.since)
        if self.until is not None:
            at = col(AuditEntry.created_at)
            found.append(at <= self.until if self.until_inclusive else at < self.until)
        return found


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    actor_name: str | None
    """The acting official's name; None for the system (the CLI, seeding) or one erased."""
    group_slug: str | None
    group_name: str | None
    target_name: str | None
    """For an official acted on: their name (None once their account is gone)."""

    @property
    def changes(self) -> list[Change]:
        """Each field the act changed, in the order it names them."""
        before: Mapping[str, Any] = self.entry.before or {}
        after: Mapping[str, Any] = self.entry.after or {}
        keys = list(dict.fromkeys([*before, *after]))
        return [Change(key, before.get(key), after.get(key)) for key in keys]


@dataclass(frozen=True)
class GroupChoice:
    slug: str
    name: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    older: int | None
    """The `before` of the next, older page; None on the last one."""
    groups: list[GroupChoice]
    """The groups the reader may filter by: those whose entries they read."""
    filters: AuditFilters
    errors: list[Any] = field(default_factory=list)


def list_entries(
    session: Session,
    actor: Actor,
    *,
    filters: AuditFilters,
    before_id: int | None = None,
    limit: int = PER_PAGE,
) -> list[AuditRow]:
    """Entries the actor may read that match `filters`, newest first, older than
    `before_id` when given. Forbidden for anyone who reads no audit entries; a group filter
    naming a group hidden from the actor is NotFound, one whose entries they may not read
    Forbidden; malformed filters are Invalid."""
    criteria = criteria_for(session, actor, filters)
    return _fetch(session, criteria, before_id=before_id, limit=limit)


def audit_page(
    session: Session, actor: Actor, *, filters: AuditFilters, before_id: int | None = None
) -> AuditPage:
    """The audit log page: a page of entries and the groups to filter by. Invalid filters
    come back as `errors` with no entries, so the page can say what is wrong."""
    criteria = _readable_scope(actor)
    groups = _group_choices(session, criteria.scope)
    try:
        rows = list_entries(
            session, actor, filters=filters, before_id=before_id, limit=PER_PAGE + 1
        )
    except Invalid as exc:
        return AuditPage([], None, groups, filters, exc.errors)
    older = rows[PER_PAGE - 1].entry.id if len(rows) > PER_PAGE else None
    return AuditPage(rows[:PER_PAGE], older, groups, filters)


def criteria_for(session: Session, actor: Actor, filters: AuditFilters) -> AuditCriteria:
    """Check the filters against what the actor may read (see `list_entries`)."""
    base = _readable_scope(actor)
    group_id = _group_id(session, actor, base.scope, filters.group)
    actor_id, system = _actor_ref(session, filters.actor)
    action, prefix = _action(filters.action)
    since, _ = _moment(filters.since, "from", end=False)
    until, inclusive = _moment(filters.until, "to", end=True)
    if (
        since is not None
        and until is not None
        and (until < since or (until == since and not inclusive))
    ):
        raise Invalid.field("to", "The period ends before it starts.")
    return AuditCriteria(
        scope=base.scope,
        group_id=group_id,
        actor_id=actor_id,
        system=system,
        action=action,
        prefix=prefix,
        since=since,
        until=until,
        until_inclusive=inclusive,
    )


def export_rows(
    session: Session, criteria: AuditCriteria, *, limit: int | None = None
) -> Iterator[AuditRow]:
    """The matching entries, newest first, at most `limit` (`EXPORT_LIMIT`), read in
    batches so that an export streams: build `criteria` with `criteria_for` while the
    request is checked."""
    limit = EXPORT_LIMIT if limit is None else limit
    sent, before_id = 0, None
    while sent < limit:
        batch = min(EXPORT_BATCH, limit - sent)
        rows = _fetch(session, criteria, before_id=before_id, limit=batch)
        yield from rows
        sent += len(rows)
        if len(rows) < batch:
            return
        before_id = rows[-1].entry.id


def _readable_scope(actor: Actor) -> AuditCriteria:
    if not policy.can_read_audit(actor):
        raise Forbidden("Only coordinators and group leads read the audit log.")
    return AuditCriteria(scope=policy.audit_groups(actor))


def _fetch(
    session: Session, criteria: AuditCriteria, *, before_id: int | None, limit: int
) -> list[AuditRow]:
    """One statement: the entries with their actors' and groups' names joined in."""
    acting, target = aliased(User), aliased(User)
    query = (
        sa.select(AuditEntry, col(acting.name), col(Group.slug), col(Group.name), col(target.name))
        .outerjoin(acting, col(acting.id) == AuditEntry.actor_id)
        .outerjoin(Group, col(Group.id) == AuditEntry.group_id)
        .outerjoin(
            target,
            sa.and_(col(AuditEntry.target_type) == "user", col(target.id) == AuditEntry.target_id),
        )
        .where(*criteria.clauses())
    )
    if before_id is not None:
        query = query.where(col(AuditEntry.id) < before_id)
    rows = session.execute(query.order_by(col(AuditEntry.id).desc()).limit(limit)).all()
    return [AuditRow(*row) for row in rows]


def _group_choices(session: Session, scope: frozenset[int] | None) -> list[GroupChoice]:
    query = select(col(Group.slug), col(Group.name)).order_by(col(Group.name), col(Group.id))
    if scope is not None:
        query = query.where(col(Group.id).in_(sorted(scope)))
    return [GroupChoice(slug, name) for slug, name in session.exec(query).all()]


def _group_id(
    session: Session, actor: Actor, scope: frozenset[int] | None, slug: str | None
) -> int | None:
    if not slug or not slug.strip():
        return None
    group = directory.group_by_slug(session, slug)
    if group is None or group.id is None:
        raise NotFound("group")
    if scope is not None and group.id not in scope:
        if not policy.can_see_group(actor, group):
            raise NotFound("group")
        raise Forbidden("Leads read the audit entries of the groups they lead only.")
    return group.id


def _actor_ref(session: Session, ref: str | None) -> tuple[int | None, bool]:
    """(official id, system) for an actor filter; an unknown official matches nothing."""
    if not ref or not ref.strip():
        return None, False
    ref = ref.strip().lower()
    if ref == "system":
        return None, True
    if ref.isascii() and ref.isdigit():
        return (int(ref) if len(ref) < 19 else _NOBODY), False
    if len(ref) > 254:
        raise Invalid.field("actor", "An official's id, email address or handle, or 'system'.")
    column = col(User.email) if "@" in ref.lstrip("@") else col(User.handle)
    found = session.exec(select(col(User.id)).where(column == ref.lstrip("@"))).first()
    return (found if found is not None else _NOBODY), False


def _action(action: str | None) -> tuple[str | None, bool]:
    """(text, is a prefix): `post.hide` exactly; `post.`, `post.*` and `post` as prefixes."""
    if not action or not action.strip():
        return None, False
    action = action.strip().lower().removesuffix("*")
    if len(action) > 64 or not _ACTION.fullmatch(action):
        raise Invalid.field("action", "An action is like post.hide, or a prefix like post.")
    if "." not in action:
        return action + ".", True
    return action, action.endswith(".")


def _moment(text: str | None, name: str, *, end: bool) -> tuple[datetime | None, bool]:
    """A bound of the period, and whether it is inclusive. A date is a whole day: as an end
    it runs up to (not including) the next midnight, Swedish time."""
    if not text or not text.strip():
        return None, True
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day + timedelta(days=1) if end else day, time())
            return start.replace(tzinfo=LOCAL_ZONE).astimezone(UTC), not end
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LOCAL_ZONE)
        return moment.astimezone(UTC), True
    except (ValueError, OverflowError):
        raise Invalid.field(
            name, "A date (2026-12-04) or a date and time (2026-12-04T14:00)."
        ) from None
