"""Notifications by mail, through a real SMTP server: at once, in daily and weekly
digests, never twice, only what the official may still read, and one-click unsubscribe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain import join_requests, memberships, notification_mail, notifications, threads
from domain.actor import load_actor
from erfa import db, worker
from erfa.app import create_app
from erfa.settings import Settings
from models import (
    Group,
    Job,
    Locale,
    MailPace,
    MemberRole,
    Notification,
    User,
    Visibility,
    utcnow,
)
from tests.factories import make_group, make_membership, make_user
from tests.ports import free_port
from tests.smtp import Inbox


@pytest.fixture
def own_engine(fresh_database_url: str) -> Iterator[Engine]:
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: tuple[str, Inbox], tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={
            "smtp_url": smtp_server[0],
            "data_dir": tmp_path,
            "base_url": "https://erfa.example.se",
        }
    )


class World:
    def __init__(self, engine: Engine) -> None:
        self.factory = db.make_session_factory(engine)
        with db.session_scope(self.factory) as session:
            group = make_group(
                session, slug="post-m", name="Postgruppen", visibility=Visibility.CLOSED
            )
            self.group_id = group.id or 0
            self.karin = self._member(session, group, "Karin Lund", "karin@nora.se", Locale.SV)
            self.ann = self._member(session, group, "Ann Eng", "ann@nora.se", Locale.EN)
            self.olle = self._member(session, group, "Olle Berg", "olle@ludvika.se", Locale.SV)

    def _member(self, session: Session, group: Group, name: str, email: str, locale: Locale) -> int:
        user = make_user(session, name=name, email=email, locale=locale)
        make_membership(session, group=group, user=user)
        return user.id or 0

    def pace(self, user_id: int, pace: MailPace) -> None:
        with db.session_scope(self.factory) as session:
            notification_mail.set_pace(session, load_actor(session, user_id), pace)

    def start(self, author: int, title: str, body: str = "Vad tycker ni?") -> int:
        with db.session_scope(self.factory) as session:
            thread = threads.start_thread(
                session, load_actor(session, author), slug="post-m", title=title, body=body
            )
            return thread.id or 0

    def reply(self, author: int, thread_id: int, body: str) -> None:
        with db.session_scope(self.factory) as session:
            threads.reply(session, load_actor(session, author), thread_id=thread_id, body=body)

    def jobs(self, kind: str) -> list[Job]:
        with db.session_scope(self.factory) as session:
            return list(session.exec(select(Job).where(Job.kind == kind)).all())


def runner(engine: Engine, settings: Settings) -> worker.Runner:
    return worker.Runner(settings, engine)


def due_now(engine: Engine) -> None:
    """The mail jobs "at once" wait a minute (`notifications.MAIL_DELAY`): that minute gone."""
    with engine.begin() as connection:
        connection.execute(
            sa.update(Job)
            .where(col(Job.kind) == notification_mail.SEND)
            .values(run_at=utcnow() - timedelta(seconds=1))
        )


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def test_a_reply_and_a_mention_are_mailed_at_once_in_each_officials_language(
    own_engine: Engine, mail_settings: Settings, smtp_server: tuple[str, Inbox]
) -> None:
    _, inbox = smtp_server
    world = World(own_engine)
    thread_id = world.start(world.karin, "Feriejobb <för> unga")
    world.reply(world.olle, thread_id, "Vi har 40 platser. @ann.eng, hur gör ni?")
    queued = world.jobs(notification_mail.SEND)
    assert len(queued) == 2  # Karin (reply), Ann (mention)
    assert min(job.run_at for job in queued) > utcnow()  # a minute to gather a burst

    run = runner(own_engine, mail_settings)
    assert run.run_jobs() == 0
    due_now(own_engine)
    assert run.run_jobs() == 2
    by_address = {m["To"]: m for m in inbox.messages}
    assert sorted(by_address) == ["ann@nora.se", "karin@nora.se"]

    karin = by_address["karin@nora.se"]
    assert karin["Subject"] == "Olle Berg svarade i ”Feriejobb <för> unga”"
    assert "Hej Karin Lund," in text_of(karin)
    # Straight to the reply: a link to /notifications/{id} would mark it read when a mail
    # scanner follows it.
    assert re.search(r"https://erfa\.example\.se/p/\d+", text_of(karin))
    assert "Feriejobb &lt;för&gt; unga" in html_of(karin)  # escaped in HTML
    unsubscribe = karin["List-Unsubscribe"].strip()  # folded: it is a long line
    assert re.fullmatch(r"<https://erfa\.example\.se/unsubscribe/\d+\.[\w-]+>", unsubscribe)
    assert karin["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    ann = by_address["ann@nora.se"]
    assert ann["Subject"] == "Olle Berg mentioned you in “Feriejobb <för> unga”"
    assert "Change it in Settings" in text_of(ann)

    # Nothing is mailed twice: a second job for Karin finds nothing new.
    with db.session_scope(world.factory) as session:
        notifications.mail_at_once(session, [world.karin], set(notifications.MAILED))
    inbox.messages.clear()
    due_now(own_engine)
    assert run.run_jobs() == 1
    assert inbox.messages == []


def test_what_is_read_or_no_longer_readable_is_not_mailed(
    own_engine: Engine, mail_settings: Settings, smtp_server: tuple[str, Inbox]
) -> None:
    _, inbox = smtp_server
    world = World(own_engine)
    thread_id = world.start(world.karin, "Läst redan")
    world.reply(world.olle, thread_id, "Svar ett")
    with db.session_scope(world.factory) as session:
        notifications.mark_all_read(session, load_actor(session, world.karin))
    second = world.start(world.ann, "Lämnad grupp")
    world.reply(world.olle, second, "Svar två")
    with db.session_scope(world.factory) as session:
        memberships.remove_member(
            session, load_actor(session, world.ann), slug="post-m", user_id=world.ann
        )
    third = world.start(world.olle, "Mailas")  # a control: Karin hears of this one
    world.reply(world.karin, third, "Svar fyra")
    assert len(world.jobs(notification_mail.SEND)) == 3
    due_now(own_engine)
    assert runner(own_engine, mail_settings).run_jobs() == 3
    assert world.jobs(notification_mail.SEND) == []
    assert [(m["To"], m["Subject"]) for m in inbox.messages] == [
        ("olle@ludvika.se", "Karin Lund svarade i ”Mailas”")
    ]


def test_digests_gather_the_day_and_the_week_at_seven_swedish_time(
    own_engine: Engine, mail_settings: Settings, smtp_server: tuple[str, Inbox]
) -> None:
    _, inbox = smtp_server
    world = World(own_engine)
    world.pace(world.karin, MailPace.DAILY)
    world.pace(world.ann, MailPace.WEEKLY)
    first = world.start(world.karin, "Sommarjobb")
    second = world.start(world.ann, "Mötesplatser")
    world.reply(world.olle, first, "Svar ett")
    world.reply(world.olle, first, "Svar två")
    world.reply(world.olle, second, "Svar tre")
    assert world.jobs(notification_mail.SEND) == []  # nobody wants them at once

    run = runner(own_engine, mail_settings)
    run.run_once()  # schedules the daily round, at the next 07:00 in Stockholm
    [digest] = world.jobs(notification_mail.DIGEST)
    local = digest.run_at.astimezone(notification_mail.STOCKHOLM)
    assert (local.hour, local.minute) == (7, 0)

    # Rounds of days gone by (07:00 in Stockholm), so that the jobs they make are due.
    tuesday = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    assert notification_mail.run_digest(world.factory, digest, now=tuesday) == 1
    [send] = world.jobs(notification_mail.SEND)
    assert send.payload == {"user": world.karin, "digest": True}
    [following] = world.jobs(notification_mail.DIGEST)  # the next day's round
    assert following.run_at == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    run.run_jobs()
    [karin] = inbox.messages
    assert karin["To"] == "karin@nora.se"
    assert karin["Subject"] == "Dagens nyheter i erfa: 2 notiser"
    assert text_of(karin).count("Olle Berg svarade i ”Sommarjobb”") == 2

    # The runner ran that round too (it was due): today's, which found nothing new.
    [today] = world.jobs(notification_mail.DIGEST)
    assert today.run_at > utcnow()
    monday = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    mondays = Job(id=today.id, kind=today.kind, payload={"day": "2026-11-30"}, attempts=0)
    assert notification_mail.run_digest(world.factory, mondays, now=monday) == 1
    inbox.messages.clear()
    run.run_jobs()
    [ann] = inbox.messages
    assert ann["To"] == "ann@nora.se"
    assert ann["Subject"] == "This week in erfa: 1 notification"


def test_the_daily_round_is_at_seven_in_summer_and_in_winter() -> None:
    summer = notification_mail.next_digest_at(datetime(2026, 7, 1, 5, 30, tzinfo=UTC))
    assert summer == datetime(2026, 7, 2, 5, 0, tzinfo=UTC)  # 07:00 CEST, the next day
    winter = notification_mail.next_digest_at(datetime(2026, 12, 1, 5, 30, tzinfo=UTC))
    assert winter == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 07:00 CET, the same day


def test_join_requests_reach_the_leads_and_the_answer_the_requester(
    own_engine: Engine, mail_settings: Settings, smtp_server: tuple[str, Inbox]
) -> None:
    _, inbox = smtp_server
    world = World(own_engine)
    with db.session_scope(world.factory) as session:
        group = session.get(Group, world.group_id)
        assert group is not None
        lead = make_user(session, name="Lena Lead", email="lena@nora.se")
        make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
        asker = make_user(session, name="Sam Sökande", email="sam@fagersta.se")
        lead_id, asker_id = lead.id or 0, asker.id or 0
    with db.session_scope(world.factory) as session:
        join_requests.join_group(session, load_actor(session, asker_id), slug="post-m")
    run = runner(own_engine, mail_settings)
    due_now(own_engine)
    run.run_jobs()
    [asked] = inbox.messages
    assert asked["To"] == "lena@nora.se"
    assert asked["Subject"] == "Sam Sökande vill gå med i Postgruppen"

    with db.session_scope(world.factory) as session:
        [request] = join_requests.list_join_requests(
            session, load_actor(session, lead_id), slug="post-m"
        )
        join_requests.decide_join_request(
            session, load_actor(session, lead_id), request_id=request.request.id or 0, approve=True
        )
    inbox.messages.clear()
    due_now(own_engine)
    run.run_jobs()
    [answered] = inbox.messages
    assert answered["To"] == "sam@fagersta.se"
    assert answered["Subject"] == "Du är nu medlem i Postgruppen"


def test_one_click_unsubscribe_turns_the_mail_off_and_a_forged_link_does_nothing(
    own_engine: Engine,
    mail_settings: Settings,
    smtp_server: tuple[str, Inbox],
    fresh_database_url: str,
) -> None:
    _, inbox = smtp_server
    world = World(own_engine)
    thread_id = world.start(world.karin, "Avregistrering")
    world.reply(world.olle, thread_id, "Svar")
    due_now(own_engine)
    runner(own_engine, mail_settings).run_jobs()
    [mail] = inbox.messages
    link = mail["List-Unsubscribe"].strip().strip("<>")
    path = link.removeprefix("https://erfa.example.se")

    app = create_app(mail_settings.model_copy(update={"database_url": fresh_database_url}))
    with TestClient(app) as visitor:  # no cookies, as a mail client's POST
        asked = visitor.get(path)
        assert asked.status_code == 200
        assert "karin@nora.se" in asked.text
        assert pace_of(world, world.karin) is MailPace.INSTANT  # a GET only asks
        forged = visitor.post(path[:-3] + "abc", data={"List-Unsubscribe": "One-Click"})
        assert forged.status_code == 404
        assert visitor.post("/unsubscribe/1.x", data={}).status_code == 404
        done = visitor.post(path, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
        assert "Inga fler notiser skickas till karin@nora.se" in done.text
    assert pace_of(world, world.karin) is MailPace.OFF

    world.reply(world.olle, thread_id, "Ett svar till")
    assert world.jobs(notification_mail.SEND) == []


def pace_of(world: World, user_id: int) -> MailPace:
    with db.session_scope(world.factory) as session:
        return session.get_one(User, user_id).mail_pace


def test_the_settings_page_sets_the_pace(
    browser_as: object, session: Session, settings: Settings
) -> None:
    user = make_user(session, name="Vera Val", email="vera@nora.se")
    client = browser_as(user)  # type: ignore[operator]
    page = client.get("/settings")
    assert 'name="pace" value="instant" checked' in page.text
    saved = client.post("/settings/mail", data={"pace": "weekly"})
    assert saved.status_code == 303
    session.refresh(user)
    assert user.mail_pace is MailPace.WEEKLY
    assert 'name="pace" value="weekly" checked' in client.get("/settings").text
    assert client.post("/settings/mail", data={"pace": "hourly"}).status_code == 422
    session.refresh(user)
    assert user.mail_pace is MailPace.WEEKLY


def test_notifying_many_followers_enqueues_their_mail_in_two_statements(
    session: Session,
) -> None:
    """The jobs of one post's notifications: one statement to find who wants mail at
    once and one to enqueue, however many followers there are."""
    group = make_group(session, slug="manga-m", name="Många")
    people = [make_user(session, name=f"Person {n}", email=f"p{n}@nora.se") for n in range(12)]
    for person in people:
        make_membership(session, group=group, user=person)
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        notifications.mail_at_once(session, [p.id or 0 for p in people], {notifications.MAILED[0]})
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 2
    queued = session.exec(select(Job).where(col(Job.kind) == notification_mail.SEND)).all()
    assert len(queued) == 12
    assert utcnow() - max(job.run_at for job in queued) < timedelta(minutes=1)
    assert session.exec(select(Notification)).all() == []


def test_a_mail_the_smtp_server_refuses_is_tried_again_and_nothing_is_lost(
    own_engine: Engine, mail_settings: Settings, smtp_server: tuple[str, Inbox]
) -> None:
    _, inbox = smtp_server
    world = World(own_engine)
    thread_id = world.start(world.karin, "Avbrott")
    world.reply(world.olle, thread_id, "Svar under avbrottet")
    nobody = mail_settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"})
    due_now(own_engine)
    assert runner(own_engine, nobody).run_jobs() == 1
    [retry] = world.jobs(notification_mail.SEND)
    assert retry.payload == {"user": world.karin, "digest": False, "attempts": 1}
    assert retry.run_at > utcnow()  # backing off
    with db.session_scope(world.factory) as session:
        waiting = session.exec(select(Notification).where(Notification.user_id == world.karin))
        assert [n.mailed_at for n in waiting] == [None]

    due_now(own_engine)
    assert runner(own_engine, mail_settings).run_jobs() == 1
    [mail] = inbox.messages
    assert mail["Subject"] == "Olle Berg svarade i ”Avbrott”"
    assert world.jobs(notification_mail.SEND) == []


def test_the_daily_round_is_scheduled_once_however_many_runners_start(
    own_engine: Engine, mail_settings: Settings
) -> None:
    world = World(own_engine)
    for _ in range(3):
        runner(own_engine, mail_settings).run_once()
    with db.session_scope(world.factory) as session:
        assert notification_mail.schedule_digest(session) is False
    [digest] = world.jobs(notification_mail.DIGEST)
    local = digest.run_at.astimezone(notification_mail.STOCKHOLM)
    assert digest.payload == {"day": local.date().isoformat()}


def test_a_round_that_runs_late_still_gathers_mondays_weekly_digests(
    own_engine: Engine, mail_settings: Settings
) -> None:
    world = World(own_engine)
    world.pace(world.ann, MailPace.WEEKLY)
    world.reply(world.olle, world.start(world.ann, "Veckan"), "Svar")
    monday_round = Job(
        kind=notification_mail.DIGEST, payload={"day": "2026-11-30"}, run_at=utcnow()
    )
    with db.session_scope(world.factory) as session:
        session.add(monday_round)
        session.flush()
        job = Job(id=monday_round.id, kind=monday_round.kind, payload=monday_round.payload)
    tuesday_noon = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert notification_mail.run_digest(world.factory, job, now=tuesday_noon) == 1
    [send] = world.jobs(notification_mail.SEND)
    assert send.payload == {"user": world.ann, "digest": True}


def test_erfa_digest_send_runs_the_round_and_sends(
    own_engine: Engine,
    mail_settings: Settings,
    smtp_server: tuple[str, Inbox],
    fresh_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from erfa.cli import app

    url, inbox = smtp_server
    world = World(own_engine)
    world.pace(world.karin, MailPace.DAILY)
    world.reply(world.olle, world.start(world.karin, "Från cron"), "Svar")
    for name, value in {
        "ERFA_DATABASE_URL": fresh_database_url,
        "ERFA_DATA_DIR": str(tmp_path / "data"),
        "ERFA_SMTP_URL": url,
        "ERFA_BASE_URL": "https://erfa.example.se",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    cli = CliRunner()
    waiting = cli.invoke(app, ["digest", "send"])
    assert waiting.exit_code == 0, waiting.output
    assert "No digest is due now" in waiting.output
    assert inbox.messages == []
    sent = cli.invoke(app, ["digest", "send", "--now"])
    assert sent.exit_code == 0, sent.output
    assert "1 officials had news for a digest; 1 digests sent." in sent.output
    [mail] = inbox.messages
    assert (mail["To"], mail["Subject"]) == ("karin@nora.se", "Dagens nyheter i erfa: 1 notis")
    assert len(world.jobs(notification_mail.DIGEST)) == 1  # the next round, once
