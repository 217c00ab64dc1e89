"""The mails of an event, each a durable job: the reminder the day before to its
registered officials, and the news of a new time or place, or of a cancellation, to its
registered and waiting officials.

Each change of an event's time or place raises its `sequence` and schedules a new
reminder (`schedule_reminder`, at 08:00 Swedish time on the day before) and, at once, an
announcement (`schedule_announcement`). A job carries the sequence it was made for, so
that the job of an older one finds the event changed and ends without mail: two quick
changes send the news of the last one only. The runner (erfa/worker.py) calls `remind`
for jobs of kind `REMIND` and `announce` for jobs of kind `ANNOUNCE`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from babel.dates import format_datetime
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from domain import jobs, outbox, policy
from domain.event_fields import STOCKHOLM, at_local, local_day
from models import Event, Group, Job, Registration, RegistrationStatus, User, utcnow

REMIND = "event.reminder"
"""The job kind of the reminder mail sent the day before."""
REMINDER_CLOCK = time(8, 0)
ANNOUNCE = "event.changed"
"""The job kind of the mail that tells of a new time or place, or of a cancellation."""


def reminder_at(starts_at: datetime) -> datetime:
    """08:00 Swedish time on the day before the event starts."""
    return at_local(local_day(starts_at) - timedelta(days=1), REMINDER_CLOCK)


def schedule_reminder(session: Session, event: Event, now: datetime) -> None:
    """A reminder job for the event's current sequence, unless its time has passed."""
    run_at = reminder_at(event.starts_at)
    if run_at > now and event.cancelled_at is None:
        jobs.enqueue(
            session, REMIND, {"event": event.id, "sequence": event.sequence}, run_at=run_at
        )


def remind(
    factory: sessionmaker[Session], job: Job, *, now: datetime | None = None
) -> list[outbox.Mail]:
    """Run a reminder job: in one transaction the job is finished and the mails to the
    registered officials queued; the caller sends them after the commit (at most once:
    a job another worker took over, or one that ran before, finds nothing to do). A job
    of an older sequence, of a cancelled or started event, ends without mail."""
    assert job.id is not None
    with factory.begin() as session:
        if not jobs.own(session, job.id, job.attempts):
            return []
        jobs.finish(session, job.id, attempts=job.attempts)
        event = session.get(Event, int(str(job.payload.get("event"))))
        sequence = int(str(job.payload.get("sequence")))
        if (
            event is None
            or event.cancelled_at is not None
            or event.sequence != sequence
            or event.starts_at <= (now or utcnow())
        ):
            return []
        _queue_reminders(session, event)
        return list(outbox.take(session))


def schedule_announcement(session: Session, event: Event) -> None:
    """A job that mails the news of the event's current sequence (a new time or place, or
    the cancellation) to its registered and waiting officials, once the change commits."""
    jobs.enqueue(session, ANNOUNCE, {"event": event.id, "sequence": event.sequence})


def announce(
    factory: sessionmaker[Session], job: Job, *, now: datetime | None = None
) -> list[outbox.Mail]:
    """Run an announcement job, as `remind` runs a reminder: the job is finished and the
    mails queued in one transaction, sent by the caller after the commit. A job of an older
    sequence (a newer change has its own) or of an event that has started ends without
    mail; a cancellation is told even when the event's time has come."""
    assert job.id is not None
    with factory.begin() as session:
        if not jobs.own(session, job.id, job.attempts):
            return []
        jobs.finish(session, job.id, attempts=job.attempts)
        event = session.get(Event, int(str(job.payload.get("event"))))
        sequence = int(str(job.payload.get("sequence")))
        if event is None or event.sequence != sequence:
            return []
        if event.cancelled_at is None and event.starts_at <= (now or utcnow()):
            return []
        group = session.get(Group, event.group_id) if event.group_id is not None else None
        people = session.exec(
            select(User.email, User.name, User.locale, Registration.status)
            .join(Registration, col(Registration.user_id) == User.id)
            .where(Registration.event_id == event.id, policy.event_readers_clause(group))
            .order_by(col(User.id))
        ).all()
        template = "event_changed" if event.cancelled_at is None else "event_cancelled"
        for email, name, locale, status in people:
            outbox.queue(
                session,
                template,
                to=email,
                locale=str(locale),
                name=name,
                title=event.title,
                when=spoken_when(event.starts_at, str(locale)),
                place=event.place,
                online_url=event.online_url or "",
                reason=event.cancel_reason or "",
                waiting=status == RegistrationStatus.WAITING,
                path=f"/e/{event.id}",
                calendar_path=f"/e/{event.id}.ics",
            )
        return list(outbox.take(session))


def _queue_reminders(session: Session, event: Event) -> None:
    group = session.get(Group, event.group_id) if event.group_id is not None else None
    people = session.exec(
        select(User.email, User.name, User.locale)
        .join(Registration, col(Registration.user_id) == User.id)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.REGISTERED,
            policy.event_readers_clause(group),
        )
        .order_by(col(User.id))
    ).all()
    for email, name, locale in people:
        outbox.queue(
            session,
            "event_reminder",
            to=email,
            locale=str(locale),
            name=name,
            title=event.title,
            when=spoken_when(event.starts_at, str(locale)),
            place=event.place,
            online_url=event.online_url or "",
            path=f"/e/{event.id}",
        )


def spoken_when(moment: datetime, locale: str) -> str:
    """A moment as a mail says it, with the weekday: "fredag 11 december 2026 13:00"."""
    return format_datetime(moment, "EEEE d MMMM y HH:mm", tzinfo=STOCKHOLM, locale=locale)
