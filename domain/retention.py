"""Retention: what erfa no longer needs is deleted by a daily job (docs/DATA.md says what
is kept, for how long and why).

A durable job of kind `PURGE` runs every day at 03:30 Swedish time, scheduled once however
many runners start (`schedule`, the way `notification_mail.schedule_digest` schedules the
digests); `erfa retention run` does the same from cron. Each category is one set-based
DELETE of at most `BATCH` rows, and every round of them is a transaction of its own
(`purge_all`), so that a first run on a large database never holds SQLite's write lock,
or PostgreSQL's row locks, for more than a moment: the requests go on between rounds.

What goes (`RULES`; a row is "older than" a period when its moment lies before the cut):
- browser sessions that ended: signed out, past their lifetime or idle too long. The
  settings page lists live sessions only (`auth.list_sessions`) and no page shows ended
  ones, so they go at once;
- password reset links that were used or have expired (their page knows nothing more);
- invitation links accepted or expired more than `LINK_GRACE` ago: until then a stale
  link still tells its holder why it no longer works and whom to ask
  (`users.DeadInvitation`). The newest unused link of an official who has never set a
  password stays however old: the officials' list shows when it was sent and expired,
  and "send again" takes the group it named. Only the link goes, never the official;
- personal API tokens revoked, or expired more than `LINK_GRACE` ago (the settings page
  lists expired ones so that their owner sees why an integration stopped);
- notifications older than `NOTIFICATION_DAYS`, read or not: none is mailed after eight
  days (`notification_mail.REACH`), and what they point to stays where it is;
- webhook deliveries older than `DELIVERY_DAYS`, except one still pending (it is being
  retried) or one a job still names;
- sign-up and join requests decided more than `REQUEST_DAYS` ago (the decision itself is
  in the audit log);
- audit entries older than the configured number of years (`ERFA_AUDIT_RETENTION_YEARS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, sessionmaker
from sqlmodel import Session, SQLModel, col

from domain import jobs, webhooks
from domain.auth import SESSION_IDLE
from domain.event_fields import STOCKHOLM, at_local
from models import (
    ApiToken,
    AuditEntry,
    DeliveryStatus,
    Invitation,
    Job,
    JoinRequest,
    JoinRequestStatus,
    Notification,
    PasswordReset,
    SignupRequest,
    SignupStatus,
    User,
    WebhookDelivery,
    WebSession,
    utcnow,
)

PURGE = "retention.purge"
"""The job kind of the daily purge."""
RUN_AT = time(3, 30)
"""When the purge runs, in Swedish time: the quietest hour of the night."""

LINK_GRACE = timedelta(days=30)
NOTIFICATION_DAYS = 90
DELIVERY_DAYS = 30
REQUEST_DAYS = 365

BATCH = 2000
"""Rows one statement deletes. Measured on this machine with 200 000 notifications of 200
officials: a batch of 2 000 took 16 ms (median; 30 ms at most) on SQLite in WAL mode and
13 ms (31 ms) on PostgreSQL 15; 10 000 took 80 ms and 70 ms, 150 ms at most. A round
deletes at most one batch of each category, so while a first purge of millions of rows
runs, a writer waits a few tens of milliseconds at worst."""

_LOCK = 0x6572_6661_7265_7465  # "erfarete": the key of the purge schedule's lock


@dataclass(frozen=True)
class Rule:
    """One category: its table and which of its rows may go at `now`."""

    name: str
    table: type[SQLModel]
    where: Callable[[datetime, int], sa.ColumnElement[bool]]


def _sessions(now: datetime, _: int) -> sa.ColumnElement[bool]:
    return sa.or_(
        col(WebSession.revoked_at).is_not(None),
        col(WebSession.expires_at) <= now,
        col(WebSession.last_seen_at) <= now - SESSION_IDLE,
    )


def _password_resets(now: datetime, _: int) -> sa.ColumnElement[bool]:
    return sa.or_(col(PasswordReset.used_at).is_not(None), col(PasswordReset.expires_at) <= now)


def _invitations(now: datetime, _: int) -> sa.ColumnElement[bool]:
    cut = now - LINK_GRACE
    newer = aliased(Invitation)
    newest_of_an_invitee = sa.and_(
        ~sa.exists().where(col(newer.user_id) == Invitation.user_id, col(newer.id) > Invitation.id),
        sa.exists().where(col(User.id) == Invitation.user_id, col(User.password_hash).is_(None)),
    )
    return sa.or_(
        col(Invitation.accepted_at) < cut,
        sa.and_(
            col(Invitation.accepted_at).is_(None),
            col(Invitation.expires_at) < cut,
            ~newest_of_an_invitee,
        ),
    )


def _api_tokens(now: datetime, _: int) -> sa.ColumnElement[bool]:
    return sa.or_(
        col(ApiToken.revoked_at).is_not(None), col(ApiToken.expires_at) < now - LINK_GRACE
    )


def _notifications(now: datetime, _: int) -> sa.ColumnElement[bool]:
    return col(Notification.created_at) < now - timedelta(days=NOTIFICATION_DAYS)


def _deliveries(now: datetime, _: int) -> sa.ColumnElement[bool]:
    named_by_a_job = sa.exists().where(
        col(Job.kind) == webhooks.DELIVER,
        col(Job.payload)["delivery"].as_integer() == WebhookDelivery.id,
    )
    return sa.and_(
        col(WebhookDelivery.created_at) < now - timedelta(days=DELIVERY_DAYS),
        col(WebhookDelivery.status) != DeliveryStatus.PENDING,
        ~named_by_a_job,
    )


def _signups(now: datetime, _: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(SignupRequest.status) != SignupStatus.PENDING,
        col(SignupRequest.decided_at) < now - timedelta(days=REQUEST_DAYS),
    )


def _join_requests(now: datetime, _: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(JoinRequest.status) != JoinRequestStatus.PENDING,
        col(JoinRequest.decided_at) < now - timedelta(days=REQUEST_DAYS),
    )


def _audit(now: datetime, audit_years: int) -> sa.ColumnElement[bool]:
    return col(AuditEntry.created_at) < years_before(now, audit_years)


RULES = (
    Rule("sessions", WebSession, _sessions),
    Rule("password_resets", PasswordReset, _password_resets),
    Rule("invitations", Invitation, _invitations),
    Rule("api_tokens", ApiToken, _api_tokens),
    Rule("notifications", Notification, _notifications),
    Rule("webhook_deliveries", WebhookDelivery, _deliveries),
    Rule("signup_requests", SignupRequest, _signups),
    Rule("join_requests", JoinRequest, _join_requests),
    Rule("audit_entries", AuditEntry, _audit),
)


def years_before(now: datetime, years: int) -> datetime:
    """The same moment `years` calendar years earlier (29 February becomes the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


# --- Purging -------------------------------------------------------------------------------


def purge(
    session: Session, *, now: datetime, audit_years: int, batch: int = BATCH
) -> dict[str, int]:
    """One round in the caller's transaction: at most `batch` rows of each category,
    oldest ids first, deleted without loading them. Returns the rows deleted per category;
    a category that deleted `batch` rows may have more (`purge_all` goes on)."""
    counts: dict[str, int] = {}
    for rule in RULES:
        table: Any = rule.table
        ids = (
            sa.select(table.id)
            .where(rule.where(now, audit_years))
            .order_by(table.id)
            .limit(batch)
            .correlate(None)  # the ids are chosen from the table itself, not the DELETE's row
        )
        result = session.execute(sa.delete(table).where(table.id.in_(ids)))
        counts[rule.name] = int(getattr(result, "rowcount", 0) or 0)
    return counts


def purge_all(
    factory: sessionmaker[Session], *, now: datetime, audit_years: int, batch: int = BATCH
) -> dict[str, int]:
    """Every round until nothing is left, each round a transaction of its own."""
    total = dict.fromkeys((rule.name for rule in RULES), 0)
    while True:
        with factory.begin() as session:
            counts = purge(session, now=now, audit_years=audit_years, batch=batch)
        for name, count in counts.items():
            total[name] += count
        if all(count < batch for count in counts.values()):
            return total


def preview(session: Session, *, now: datetime, audit_years: int) -> dict[str, int]:
    """What `purge_all` would delete now, per category (`erfa retention run --dry-run`)."""
    return {
        rule.name: int(
            session.execute(
                sa.select(sa.func.count())
                .select_from(rule.table)
                .where(rule.where(now, audit_years))
            ).scalar_one()
        )
        for rule in RULES
    }


# --- The daily job -------------------------------------------------------------------------


def next_run_at(now: datetime) -> datetime:
    """The next 03:30 in Stockholm after `now`, in UTC."""
    day = now.astimezone(STOCKHOLM).date()
    at = at_local(day, RUN_AT)
    return at if at > now else at_local(day + timedelta(days=1), RUN_AT)


def schedule(session: Session, now: datetime | None = None) -> bool:
    """Make sure the next purge is scheduled, once: runners call this as they start and
    now and then (on PostgreSQL under an advisory lock, as `schedule_digest`). Returns
    whether it scheduled one."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK)))
    if jobs.pending(session, PURGE) > 0:
        return False
    jobs.enqueue(session, PURGE, {}, run_at=next_run_at(now or utcnow()))
    return True


def run_job(
    factory: sessionmaker[Session], job: Job, *, audit_years: int, now: datetime | None = None
) -> dict[str, int] | None:
    """Run a `PURGE` job: finish it and schedule the next day's in one transaction, then
    purge. None when the job was no longer this runner's claim. A run cut short (a crash)
    leaves the rest to the next day's: purging is safe to repeat."""
    assert job.id is not None
    now = now or utcnow()
    with factory.begin() as session:
        if not jobs.own(session, job.id, job.attempts):
            return None
        jobs.finish(session, job.id, attempts=job.attempts)
        schedule(session, now)
    return purge_all(factory, now=now, audit_years=audit_years)


def summary(counts: dict[str, int]) -> str:
    """The counts in one line, for the log and the console."""
    return ", ".join(f"{name} {count}" for name, count in counts.items())
