"""Notifications by mail: at once, in a daily or weekly digest, or not at all.

Each official chooses a pace (`User.mail_pace`, at once by default: someone waiting for
an answer hears of it). What is mailed: mentions, replies, new discussions in what they
follow, join requests to a group's leads and their answers (`MAILED`); the other kinds
have mails of their own (events, webhooks) or stay in the app (moderation).

All of it runs as durable jobs (`domain/jobs.py`), outside the request:
- writing notifications (`notifications._tell`, `notifications.tell`) enqueues a `SEND`
  job for each recipient who wants mail at once (`notifications.mail_at_once`);
- a `DIGEST` job runs every day at 07:00 Swedish time, enqueues a `SEND` job for each
  official on the daily pace (on Mondays also the weekly) with something to tell, and
  schedules the next day's;
- a `SEND` job mails the official, in their language, what they have not read or been
  mailed yet and may still see (the policy's filter of the notifications page), and
  marks it mailed in the same transaction: a notification is mailed at most once, and a
  second job for the same official finds nothing and sends nothing.

Every mail carries a one-click unsubscribe link (`List-Unsubscribe` and
`List-Unsubscribe-Post`, RFC 8058): a token for the official, an HMAC under a key only
erfa has, that turns their pace to off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col

from domain import jobs, notifications, outbox, policy
from domain.actor import Actor, load_actor
from domain.errors import NotFound
from models import Job, MailPace, Notification, NotificationKind, User, UserStatus, utcnow

SEND = notifications.MAIL_JOB
DIGEST = "notifications.digest"
"""The job kind of the daily round that gathers the digests."""

MAILED = notifications.MAILED
DIGEST_AT = time(7, 0)
"""When the digests go out, in Swedish time; the weekly one on Mondays."""
STOCKHOLM = ZoneInfo("Europe/Stockholm")
REACH = {
    MailPace.INSTANT: timedelta(days=2),
    MailPace.DAILY: timedelta(days=2),
    MailPace.WEEKLY: timedelta(days=8),
}
"""How old a notification a mail still tells of: older news is left to the app (an
official who turns mail on does not get months of it)."""
MAX_ITEMS = 50


# --- The official's choice ----------------------------------------------------------------


def set_pace(session: Session, actor: Actor, pace: MailPace) -> None:
    policy.require_signed_in(actor)
    session.execute(sa.update(User).where(col(User.id) == actor.user_id).values(mail_pace=pace))


def unsubscribe_token(key: bytes, user_id: int) -> str:
    return f"{user_id}.{_signature(key, user_id)}"


def unsubscribe(session: Session, key: bytes, token: str) -> User:
    """Turn notification mail off for the official the token names (RFC 8058 one-click:
    the token is the authority, no sign-in). NotFound for a token erfa did not make."""
    user = token_owner(session, key, token)
    user.mail_pace = MailPace.OFF
    session.add(user)
    session.flush()
    return user


def token_owner(session: Session, key: bytes, token: str) -> User:
    """The official a token names (the page that asks first shows their address);
    NotFound for a token erfa did not make."""
    user_id, _, signature = token.partition(".")
    if not (user_id.isascii() and user_id.isdigit()) or len(user_id) > 18:  # not "²"
        raise NotFound("unsubscribe link")
    expected = _signature(key, int(user_id))
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise NotFound("unsubscribe link")
    user = session.get(User, int(user_id))
    if user is None:
        raise NotFound("unsubscribe link")
    return user


def _signature(key: bytes, user_id: int) -> str:
    digest = hmac.new(key, f"unsubscribe:{user_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


# --- Jobs: enqueued by the notifications ---------------------------------------------------


def next_digest_at(now: datetime) -> datetime:
    """The next 07:00 in Stockholm after `now`, in UTC."""
    local = now.astimezone(STOCKHOLM)
    at = datetime.combine(local.date(), DIGEST_AT, tzinfo=STOCKHOLM)
    if at <= local:
        at = datetime.combine(local.date() + timedelta(days=1), DIGEST_AT, tzinfo=STOCKHOLM)
    return at.astimezone(UTC)


def schedule_digest(session: Session, now: datetime | None = None) -> bool:
    """Make sure the daily round is scheduled, once: runners call this as they start and
    now and then. On PostgreSQL a transaction-scoped advisory lock makes the look and the
    insert one step for every process; SQLite's writers are serialised anyway (a write
    transaction begins IMMEDIATE). Returns whether it scheduled one."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_DIGEST_LOCK)))
    if jobs.pending(session, DIGEST) > 0:
        return False
    at = next_digest_at(now or utcnow())
    day = at.astimezone(STOCKHOLM).date()
    jobs.enqueue(session, DIGEST, {"day": day.isoformat()}, run_at=at)
    return True


def make_digest_due(session: Session, now: datetime | None = None) -> None:
    """Bring the scheduled round forward to now (`erfa digest send --now`)."""
    session.execute(sa.update(Job).where(col(Job.kind) == DIGEST).values(run_at=now or utcnow()))


_DIGEST_LOCK = 0x6572_6661_6469_6765  # "erfadige": the key of the digest schedule's lock


def run_digest(factory: sessionmaker[Session], job: Job, *, now: datetime | None = None) -> int:
    """The daily round: a `SEND` job for each official on the daily pace (and on Mondays
    the weekly) with news they have neither read nor been mailed; then the next round.
    The day is the one the round was scheduled for, so a round that runs late (its
    runner was down at 07:00) still gathers Monday's weekly digests. Returns how many
    officials get a digest."""
    assert job.id is not None
    now = now or utcnow()
    with factory.begin() as session:
        if not jobs.own(session, job.id, job.attempts):
            return 0
        jobs.finish(session, job.id, attempts=job.attempts)
        day = _day(job.payload.get("day"), now)
        paces = [MailPace.DAILY, MailPace.WEEKLY] if day.weekday() == 0 else [MailPace.DAILY]
        news = sa.or_(
            *(
                sa.and_(
                    col(User.mail_pace) == pace,
                    col(Notification.created_at) > now - REACH[pace],
                )
                for pace in paces
            )
        )
        waiting = session.execute(
            sa.select(col(User.id))
            .where(
                col(User.mail_pace).in_(paces),
                col(User.status) == UserStatus.ACTIVE,
                sa.exists().where(col(Notification.user_id) == User.id, _unmailed(), news),
            )
            .order_by(col(User.id))
        ).scalars()
        rows = [
            {"kind": SEND, "payload": {"user": uid, "digest": True}, "run_at": now}
            for uid in waiting
        ]
        if rows:
            session.execute(sa.insert(Job), [{**row, "created_at": now} for row in rows])
        schedule_digest(session, now)
        return len(rows)


def _day(value: object, now: datetime) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:  # a round scheduled without its day: today's, in Sweden
        return now.astimezone(STOCKHOLM).date()


# --- Jobs: the mail ---------------------------------------------------------------------


@dataclass(frozen=True)
class Mailing:
    """What a `SEND` job queued: the mail (none, or one), for whom, and the notifications
    it marked mailed (unmarked again if the mail cannot be sent, `unmark`)."""

    user_id: int
    notification_ids: list[int]
    mails: list[outbox.Mail]
    digest: bool = False

    @staticmethod
    def none() -> Mailing:
        return Mailing(0, [], [])


def mail_official(
    factory: sessionmaker[Session], job: Job, key: bytes, *, now: datetime | None = None
) -> Mailing:
    """Run a `SEND` job: in one transaction the job is finished, what the official may
    still see and has neither read nor been mailed is marked mailed, and the mail queued;
    the caller sends it after the commit. An official whose pace changed since the job
    was enqueued (to a digest, or off) gets nothing from it."""
    assert job.id is not None
    now = now or utcnow()
    with factory.begin() as session:
        if not jobs.own(session, job.id, job.attempts):
            return Mailing.none()
        jobs.finish(session, job.id, attempts=job.attempts)
        user = session.get(User, int(str(job.payload.get("user"))))
        if user is None or user.status is not UserStatus.ACTIVE or user.id is None:
            return Mailing.none()
        digest = bool(job.payload.get("digest"))
        if user.mail_pace is MailPace.OFF or (digest == (user.mail_pace is MailPace.INSTANT)):
            return Mailing.none()
        actor = load_actor(session, user.id)
        views = notifications.list_notifications(
            session,
            actor,
            limit=MAX_ITEMS,
            where=(_unmailed(), col(Notification.created_at) > now - REACH[user.mail_pace]),
        )
        # Claimed by the update itself: a job running beside this one for the same
        # official (another worker) gets none of these rows back, so none is mailed twice.
        claimed = set(
            session.execute(
                sa.update(Notification)
                .where(
                    col(Notification.id).in_([view.notification.id for view in views]),
                    col(Notification.mailed_at).is_(None),
                )
                .values(mailed_at=now)
                .returning(col(Notification.id))
            ).scalars()
        )
        views = [view for view in views if view.notification.id in claimed]
        if not views:
            return Mailing.none()
        outbox.queue(
            session,
            "notifications",
            to=user.email,
            locale=user.locale.value,
            name=user.name,
            digest=digest,
            pace=user.mail_pace.value,
            items=[_item(view) for view in reversed(views)],
            settings_path="/settings#mail-heading",
            unsubscribe_path=f"/unsubscribe/{unsubscribe_token(key, user.id)}",
        )
        return Mailing(user.id, sorted(claimed), list(outbox.take(session)), digest)


def unmark(factory: sessionmaker[Session], mailing: Mailing, *, attempts: int) -> None:
    """The mail of `mailing` could not be sent: its notifications count as unmailed again,
    and a `SEND` job tries again later (backing off), so that an SMTP outage loses none."""
    with factory.begin() as session:
        session.execute(
            sa.update(Notification)
            .where(col(Notification.id).in_(mailing.notification_ids))
            .values(mailed_at=None)
        )
        jobs.enqueue(
            session,
            SEND,
            {"user": mailing.user_id, "digest": mailing.digest, "attempts": attempts + 1},
            run_at=jobs.backoff(attempts + 1),
        )


def _unmailed() -> sa.ColumnElement[bool]:
    return sa.and_(
        col(Notification.kind).in_(MAILED),
        col(Notification.read_at).is_(None),
        col(Notification.mailed_at).is_(None),
    )


def _item(view: notifications.NotificationView) -> dict[str, Any]:
    """A notification as the mail templates show it: plain values, and a path in erfa."""
    notification = view.notification
    return {
        "kind": notification.kind.value,
        "actor": view.actor_name,
        "title": view.thread_title,
        "group": view.group_name,
        "outcome": notification.outcome or "",
        "path": _path(view),
    }


def _path(view: notifications.NotificationView) -> str:
    """Where a mailed notification leads: to the post or group itself, not through
    `/notifications/{id}`, whose GET marks it read (a mail scanner that follows links
    would clear the official's count)."""
    notification = view.notification
    if notification.post_id is not None:
        return f"/p/{notification.post_id}"
    if notification.kind is NotificationKind.JOIN_REQUEST:
        return f"/g/{view.group_slug}/members"
    return f"/g/{view.group_slug}"
