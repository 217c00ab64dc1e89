"""The job runner: runs inside `erfa serve` (a thread) and as `erfa worker` processes.

Each round it lets every webhook follow the changes feed (`domain.webhooks.dispatch`, one
transaction per webhook) and then runs the jobs that are due (`domain.jobs`): claimed in
one short transaction, run outside any transaction (a webhook's receiver may take seconds),
finished in another. Several runners share the work: on PostgreSQL claims and dispatch
rounds skip rows another runner holds.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from domain import (
    archive,
    changes,
    event_reminders,
    jobs,
    notification_mail,
    outbox,
    personal_data,
    retention,
    webhooks,
)
from domain.errors import Invalid
from erfa import db, mail, outbound
from erfa.settings import Settings, derive_key, personal_data_export_key, unsubscribe_key
from models import Job, utcnow

log = logging.getLogger("erfa.worker")

CLAIM = 20
"""Jobs one runner claims at a time."""
IDLE_S = 1.0
"""How long a runner waits when a round found nothing to do."""
DIGEST_CHECK_S = 600.0
"""How often a runner makes sure the daily round of digests is scheduled."""
MAX_MAIL_TRIES = 8
"""Tries of a notification mail the SMTP server refused, an hour apart at most."""


class Runner:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.factory: sessionmaker[Session] = db.make_session_factory(engine)
        self.webhook_key = derive_key(settings.secret_key, "webhook-secret")
        self._mark: int | None = None
        self._webhooks: tuple[int, ...] = ()
        self.handlers: dict[str, Callable[[Job], None]] = {
            webhooks.DELIVER: self._deliver,
            event_reminders.REMIND: lambda job: self._mail(
                event_reminders.remind(self.factory, job)
            ),
            event_reminders.ANNOUNCE: lambda job: self._mail(
                event_reminders.announce(self.factory, job)
            ),
            notification_mail.SEND: self._mail_notifications,
            notification_mail.DIGEST: self._gather_digests,
            archive.EXPORT: self._export_archive,
            personal_data.EXPORT_JOB: self._export_personal_data,
            retention.PURGE: self._purge,
        }
        self.unsubscribe_key = unsubscribe_key(settings)
        self.mailed = 0
        """Notification mails this runner sent (`erfa digest send` reports it)."""
        self._digest_checked = float("-inf")  # monotonic time starts near 0 at boot

    # --- one round --------------------------------------------------------------------

    def run_once(self) -> int:
        """One round: follow the feed, then run what is due. Returns the work done."""
        if time.monotonic() - self._digest_checked > DIGEST_CHECK_S:
            with db.session_scope(self.factory) as session:  # the daily round is scheduled
                notification_mail.schedule_digest(session)
            with db.session_scope(self.factory) as session:  # and the daily purge
                retention.schedule(session)
            self._digest_checked = time.monotonic()
        return self.dispatch() + self.run_jobs()

    def dispatch(self) -> int:
        with db.session_scope(self.factory) as session:
            mark = changes.visible_mark(session)
            hooks = webhooks.active(session)
        ids = tuple(webhook_id for webhook_id, _ in hooks)
        if mark == self._mark and ids == self._webhooks:
            return 0  # nothing new is visible in the feed, and no webhook came or went
        read = 0
        complete = True
        for webhook_id, slug in hooks:
            try:
                with db.session_scope(self.factory) as session:
                    webhook = webhooks.lock(session, webhook_id)
                    if webhook is None:
                        complete = False  # another runner has it this round
                        continue
                    count = webhooks.dispatch(session, webhook, slug)
                    mails = outbox.take(session)
            except Exception:
                # One webhook's trouble stops neither the others nor the jobs.
                log.exception("dispatching webhook %s failed", webhook_id)
                complete = False
                continue
            self._mail(mails)
            read += count
            complete = complete and count < webhooks.BATCH
        if complete:
            self._mark, self._webhooks = mark, ids
        return read

    def run_jobs(self, kinds: tuple[str, ...] | None = None, limit: int = CLAIM) -> int:
        """Run the jobs that are due (of `kinds`, if given), claimed one at a time so that
        each lease covers one job's run (a delivery is cut off at 10 s; the lease is 20 s)."""
        done = 0
        while done < limit:
            with db.session_scope(self.factory) as session:
                claimed = [
                    (job.id, job.kind, dict(job.payload), job.attempts)
                    for job in jobs.claim(session, limit=1, kinds=kinds)
                ]
            if not claimed:
                break
            [(job_id, kind, payload, attempts)] = claimed
            assert job_id is not None
            done += 1
            handler = self.handlers.get(kind)
            job = Job(id=job_id, kind=kind, payload=payload, attempts=attempts)
            try:
                if handler is None:
                    raise LookupError(f"no handler for jobs of kind {kind!r}")
                handler(job)
            except Exception as exc:
                log.exception("job %s (%s) failed", job_id, kind)
                with db.session_scope(self.factory) as session:
                    jobs.retry(
                        session,
                        job_id,
                        at=jobs.backoff(attempts),
                        error=repr(exc)[:500],
                        attempts=attempts,
                    )
        return done

    def _mail(self, mails: list[outbox.Mail]) -> None:
        for error in mail.send_queued(self.settings, mails):
            log.error("mail of the job runner not sent: %s", error)

    # --- handlers ---------------------------------------------------------------------

    def _gather_digests(self, job: Job) -> None:
        notification_mail.run_digest(self.factory, job)

    def _export_archive(self, job: Job) -> None:
        """An archive package asked for in the browser, read in a read-only session (on
        SQLite it never holds up writers) and kept under the data folder."""
        reader = db.make_session_factory(self.factory.kw["bind"], read_only=True)
        made = archive.run_export(
            self.factory,
            reader,
            job,
            upload_dir=self.settings.uploads,
            directory=self.settings.data_dir / archive.DIRECTORY,
        )
        if made is None:
            log.warning(
                "archive package %s not made by this run: its maker may not, or another "
                "runner took the job over",
                job.payload.get("name"),
            )

    def _export_personal_data(self, job: Job) -> None:
        self._mail(
            personal_data.run_export_job(
                self.factory,
                job,
                key=personal_data_export_key(self.settings),
                export_dir=self.settings.export_dir,
                upload_dir=self.settings.uploads,
            )
        )

    def _purge(self, job: Job) -> None:
        counts = retention.run_job(
            self.factory, job, audit_years=self.settings.audit_retention_years
        )
        if counts is None:
            return
        expired = personal_data.purge_expired_exports(self.settings.export_dir, now=utcnow())
        log.info("retention: deleted %s, export_files %d", retention.summary(counts), expired)

    def _mail_notifications(self, job: Job) -> None:
        mailing = notification_mail.mail_official(self.factory, job, self.unsubscribe_key)
        if not mailing.mails:
            return
        errors = mail.send_queued(self.settings, mailing.mails)
        if not errors:
            self.mailed += 1
            return
        tries = int(str(job.payload.get("attempts", 0)))
        if tries < MAX_MAIL_TRIES:  # the notifications wait for the next try
            notification_mail.unmark(self.factory, mailing, attempts=tries)
        log.error("notification mail not sent (try %d): %s", tries + 1, "; ".join(errors))

    def send_digests(self, *, force: bool = False) -> tuple[int, int]:
        """`erfa digest send`: run the daily round if it is due (or at once with `force`),
        then send the digests it gathered. Returns (officials with a digest, mails sent)."""
        with db.session_scope(self.factory) as session:
            notification_mail.schedule_digest(session)
            if force:
                notification_mail.make_digest_due(session)
        before = self.mailed
        gathered = self.run_jobs(kinds=(notification_mail.DIGEST,))
        while self.run_jobs(kinds=(notification_mail.SEND,)):
            pass
        return gathered, self.mailed - before

    def _deliver(self, job: Job) -> None:
        assert job.id is not None
        delivery_id = int(str(job.payload["delivery"]))
        with db.session_scope(self.factory) as session:
            attempt = webhooks.attempt(session, delivery_id, self.webhook_key)
        if attempt is None:
            with db.session_scope(self.factory) as session:
                jobs.finish(session, job.id, attempts=job.attempts)
            return
        outcome = self._send(attempt)
        with db.session_scope(self.factory) as session:
            webhooks.record(session, job.id, job.attempts, delivery_id, outcome, now=utcnow())
            mails = outbox.take(session)
        self._mail(mails)

    def _send(self, attempt: webhooks.Attempt) -> webhooks.Outcome:
        timestamp = int(time.time())
        headers = {
            "webhook-id": attempt.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": webhooks.sign(
                attempt.secret, attempt.message_id, timestamp, attempt.body
            ),
        }
        try:
            response = outbound.post(
                attempt.url,
                attempt.body.encode(),
                headers,
                allow_private=self.settings.webhook_allow_private,
            )
        except Invalid as exc:
            return webhooks.Outcome(ok=False, error=str(exc.detail))
        except (OSError, ValueError, http.client.HTTPException) as exc:
            return webhooks.Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")
        ok = 200 <= response.status < 300
        return webhooks.Outcome(ok, response.status, None if ok else f"HTTP {response.status}")

    # --- the loop ---------------------------------------------------------------------

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                done = self.run_once()
            except sa.exc.OperationalError as exc:  # the database is away; try again soon
                log.warning("job runner: %s", exc)
                done = 0
            except Exception:
                log.exception("job runner round failed")
                done = 0
            if not done:
                stop.wait(IDLE_S)


def start_in_thread(settings: Settings, engine: Engine) -> tuple[threading.Thread, threading.Event]:
    """A runner in a daemon thread (`erfa serve`); set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=Runner(settings, engine).run_forever, args=(stop,), name="erfa-jobs", daemon=True
    )
    thread.start()
    return thread, stop
