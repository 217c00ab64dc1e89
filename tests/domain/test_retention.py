"""The daily purge: each category goes exactly at its boundary and nothing else with it,
in bounded rounds, scheduled once at 03:30 Swedish time however many runners start."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from domain import jobs, retention, webhooks
from domain.auth import SESSION_IDLE
from domain.event_fields import STOCKHOLM
from domain.secrets import new_secret
from erfa import db, worker
from erfa.settings import Settings
from models import (
    ApiToken,
    AuditEntry,
    DeliveryStatus,
    Group,
    Invitation,
    Job,
    JoinRequest,
    JoinRequestStatus,
    Municipality,
    Notification,
    NotificationKind,
    PasswordReset,
    SignupRequest,
    SignupStatus,
    User,
    UserStatus,
    Webhook,
    WebhookDelivery,
    WebSession,
    utcnow,
)
from tests.factories import make_group, make_user, municipality

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
CATEGORIES = [rule.name for rule in retention.RULES]


def add(session: Session, row: Any) -> int:
    session.add(row)
    session.flush()
    assert row.id is not None
    return int(row.id)


def ident(row: User | Group | Municipality) -> int:
    assert row.id is not None
    return row.id


def token() -> str:
    return new_secret()[1]


def purge(session: Session, audit_years: int = 5) -> dict[str, int]:
    counts = retention.purge(session, now=NOW, audit_years=audit_years)
    session.expire_all()
    return counts


def only(name: str, count: int) -> dict[str, int]:
    """The counts of a purge that deleted `count` rows of one category and nothing else."""
    return {category: count if category == name else 0 for category in CATEGORIES}


def surviving(session: Session, table: type[SQLModel], ids: list[int]) -> set[int]:
    key: Any = table.id  # type: ignore[attr-defined]
    return set(session.exec(select(key).where(key.in_(ids))).all())


def test_ended_sessions_go_at_once_and_live_ones_stay(session: Session) -> None:
    user = make_user(session)
    assert user.id is not None

    def web_session(**values: Any) -> int:
        fields = {"last_seen_at": NOW, "expires_at": NOW + timedelta(days=1), **values}
        return add(session, WebSession(user_id=ident(user), token_hash=token(), **fields))

    signed_out = web_session(revoked_at=NOW - timedelta(days=1))
    expired = web_session(expires_at=NOW)
    idle = web_session(last_seen_at=NOW - SESSION_IDLE)
    live = web_session(expires_at=NOW + SECOND)
    almost_idle = web_session(last_seen_at=NOW - SESSION_IDLE + SECOND)

    assert purge(session) == only("sessions", 3)
    assert surviving(session, WebSession, [signed_out, expired, idle, live, almost_idle]) == {
        live,
        almost_idle,
    }
    assert session.get(User, user.id) is not None


def test_used_and_expired_password_resets_go_and_a_valid_link_stays(session: Session) -> None:
    user = make_user(session)

    def reset(**values: Any) -> int:
        return add(session, PasswordReset(user_id=ident(user), token_hash=token(), **values))

    used = reset(expires_at=NOW + timedelta(minutes=30), used_at=NOW - SECOND)
    expired = reset(expires_at=NOW)
    valid = reset(expires_at=NOW + SECOND)

    assert purge(session) == only("password_resets", 2)
    assert surviving(session, PasswordReset, [used, expired, valid]) == {valid}


def test_spent_invitations_go_a_month_later_but_never_an_invitees_last_link_or_the_invitee(
    session: Session,
) -> None:
    grace = retention.LINK_GRACE
    joined = make_user(session)
    invitee = make_user(session, status=UserStatus.INVITED, password_hash=None)
    group = make_group(session)

    def invitation(user: User, **values: Any) -> int:
        return add(session, Invitation(user_id=ident(user), token_hash=token(), **values))

    long_accepted = invitation(joined, expires_at=NOW - grace, accepted_at=NOW - grace - SECOND)
    lately_accepted = invitation(joined, expires_at=NOW - grace, accepted_at=NOW - grace)
    long_expired = invitation(joined, expires_at=NOW - grace - SECOND)
    lately_expired = invitation(joined, expires_at=NOW - grace)
    # The invitee was sent a link twice, long ago: the older one goes, the newer one stays
    # however old, with the group that "send again" invites them to.
    replaced = invitation(invitee, expires_at=NOW - 3 * grace, group_id=ident(group))
    newest = invitation(invitee, expires_at=NOW - 2 * grace, group_id=ident(group))

    assert purge(session) == only("invitations", 3)
    ids = [long_accepted, lately_accepted, long_expired, lately_expired, replaced, newest]
    assert surviving(session, Invitation, ids) == {lately_accepted, lately_expired, newest}
    kept = session.get(User, invitee.id)
    assert kept is not None
    assert kept.status is UserStatus.INVITED


def test_revoked_api_tokens_go_and_expired_ones_a_month_after_they_expired(
    session: Session,
) -> None:
    user = make_user(session)

    def api_token(**values: Any) -> int:
        return add(
            session,
            ApiToken(
                user_id=ident(user), name="Intranät", token_hash=token(), prefix="p", **values
            ),
        )

    revoked = api_token(revoked_at=NOW - SECOND)
    long_expired = api_token(expires_at=NOW - retention.LINK_GRACE - SECOND)
    lately_expired = api_token(expires_at=NOW - retention.LINK_GRACE)
    forever = api_token()

    assert purge(session) == only("api_tokens", 2)
    assert surviving(session, ApiToken, [revoked, long_expired, lately_expired, forever]) == {
        lately_expired,
        forever,
    }


def test_notifications_go_after_ninety_days_read_or_not(session: Session) -> None:
    user = make_user(session)
    age = timedelta(days=retention.NOTIFICATION_DAYS)

    def notification(**values: Any) -> int:
        return add(
            session, Notification(user_id=ident(user), kind=NotificationKind.MENTION, **values)
        )

    old_unread = notification(created_at=NOW - age - SECOND)
    old_read = notification(created_at=NOW - age - SECOND, read_at=NOW - age)
    recent = notification(created_at=NOW - age)

    assert purge(session) == only("notifications", 2)
    assert surviving(session, Notification, [old_unread, old_read, recent]) == {recent}


def test_webhook_deliveries_go_after_thirty_days_unless_pending_or_named_by_a_job(
    session: Session,
) -> None:
    group = make_group(session)
    webhook_id = add(
        session, Webhook(group_id=ident(group), url="https://example.se/hook", secret_nonce="n")
    )
    old = NOW - timedelta(days=retention.DELIVERY_DAYS) - SECOND
    count = iter(range(100))

    def delivery(status: DeliveryStatus, created_at: datetime) -> int:
        return add(
            session,
            WebhookDelivery(
                webhook_id=webhook_id,
                message_id=f"msg_{next(count)}",
                event="post.created",
                payload="{}",
                status=status,
                created_at=created_at,
            ),
        )

    delivered = delivery(DeliveryStatus.DELIVERED, old)
    given_up = delivery(DeliveryStatus.FAILED, old)
    retried = delivery(DeliveryStatus.PENDING, old)
    named = delivery(DeliveryStatus.DELIVERED, old)
    jobs.enqueue(session, webhooks.DELIVER, {"delivery": named})
    jobs.enqueue(session, webhooks.DELIVER, {"delivery": 10**9})  # another's, long gone
    recent = delivery(DeliveryStatus.DELIVERED, old + SECOND)

    assert purge(session) == only("webhook_deliveries", 2)
    ids = [delivered, given_up, retried, named, recent]
    assert surviving(session, WebhookDelivery, ids) == {retried, named, recent}
    assert session.get(Webhook, webhook_id) is not None


def test_decided_sign_up_and_join_requests_go_after_a_year_pending_ones_never(
    session: Session,
) -> None:
    year = timedelta(days=retention.REQUEST_DAYS)
    home = municipality(session)
    user = make_user(session)
    group = make_group(session)

    def signup(status: SignupStatus, decided_at: datetime | None) -> int:
        return add(
            session,
            SignupRequest(
                email=f"{token()[:8]}@avesta.se",
                name="Sökande",
                municipality_id=ident(home),
                status=status,
                created_at=NOW - 2 * year,
                decided_at=decided_at,
            ),
        )

    def join(status: JoinRequestStatus, decided_at: datetime | None) -> int:
        return add(
            session,
            JoinRequest(
                group_id=ident(group),
                user_id=ident(user),
                message="Får jag vara med?",
                status=status,
                created_at=NOW - 2 * year,
                decided_at=decided_at,
            ),
        )

    signups = [
        signup(SignupStatus.DENIED, NOW - year - SECOND),
        signup(SignupStatus.APPROVED, NOW - year - SECOND),
        signup(SignupStatus.APPROVED, NOW - year),
        signup(SignupStatus.PENDING, None),
    ]
    joins = [
        join(JoinRequestStatus.DENIED, NOW - year - SECOND),
        join(JoinRequestStatus.APPROVED, NOW - year),
        join(JoinRequestStatus.PENDING, None),
    ]

    assert purge(session) == {**only("signup_requests", 2), "join_requests": 1}
    assert surviving(session, SignupRequest, signups) == set(signups[2:])
    assert surviving(session, JoinRequest, joins) == set(joins[1:])


def test_audit_entries_are_kept_five_years_or_as_many_as_configured(session: Session) -> None:
    def entry(created_at: datetime) -> int:
        return add(
            session,
            AuditEntry(action="user.suspend", target_type="user", created_at=created_at),
        )

    five_years = retention.years_before(NOW, 5)
    too_old = entry(five_years - SECOND)
    just_kept = entry(five_years)
    three_years = entry(retention.years_before(NOW, 3) - SECOND)
    last_year = entry(NOW - timedelta(days=365))

    assert purge(session) == only("audit_entries", 1)
    ids = [too_old, just_kept, three_years, last_year]
    assert surviving(session, AuditEntry, ids) == {just_kept, three_years, last_year}

    assert purge(session, audit_years=3) == only("audit_entries", 2)
    assert surviving(session, AuditEntry, ids) == {last_year}


def test_a_leap_day_counts_back_to_the_28th() -> None:
    leap_day = datetime(2028, 2, 29, 3, 30, tzinfo=UTC)
    assert retention.years_before(leap_day, 5) == datetime(2023, 2, 28, 3, 30, tzinfo=UTC)


def test_the_preview_counts_what_would_go_and_deletes_nothing(session: Session) -> None:
    user = make_user(session)
    old = NOW - timedelta(days=retention.NOTIFICATION_DAYS + 1)
    ids = [
        add(session, Notification(user_id=ident(user), kind=NotificationKind.REPLY, created_at=old))
        for _ in range(3)
    ]

    assert retention.preview(session, now=NOW, audit_years=5) == only("notifications", 3)
    assert surviving(session, Notification, ids) == set(ids)


def test_the_configured_audit_years_are_bounded() -> None:
    assert Settings(secret_key="k" * 40).audit_retention_years == 5
    assert Settings(secret_key="k" * 40, audit_retention_years=10).audit_retention_years == 10
    for wrong in (0, 101):
        with pytest.raises(ValidationError):
            Settings(secret_key="k" * 40, audit_retention_years=wrong)


# --- Rounds and the daily job, on a database of their own -------------------------------


@pytest.fixture
def own_engine(fresh_database_url: str) -> Iterator[Engine]:
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


def old_notifications(engine: Engine, count: int, *, days: int) -> None:
    with db.session_scope(db.make_session_factory(engine)) as session:
        user = make_user(session)
        created_at = utcnow() - timedelta(days=days)
        session.execute(
            sa.insert(Notification),
            [
                {"user_id": user.id, "kind": NotificationKind.MENTION, "created_at": created_at}
                for _ in range(count)
            ],
        )


def notification_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(sa.func.count()).select_from(Notification)).one())


def test_a_large_purge_goes_in_rounds_of_at_most_one_batch_each(own_engine: Engine) -> None:
    old_notifications(own_engine, 7, days=100)
    factory = db.make_session_factory(own_engine)
    with factory.begin() as session:
        one_round = retention.purge(session, now=utcnow(), audit_years=5, batch=3)
    assert one_round["notifications"] == 3
    assert notification_count(own_engine) == 4

    total = retention.purge_all(factory, now=utcnow(), audit_years=5, batch=3)
    assert total == only("notifications", 4)
    assert notification_count(own_engine) == 0


def test_the_purge_is_at_half_past_three_in_summer_and_in_winter() -> None:
    summer = retention.next_run_at(datetime(2026, 7, 1, 1, 30, tzinfo=UTC))
    assert summer == datetime(2026, 7, 2, 1, 30, tzinfo=UTC)  # 03:30 CEST, the next day
    winter = retention.next_run_at(datetime(2026, 12, 1, 1, 30, tzinfo=UTC))
    assert winter == datetime(2026, 12, 1, 2, 30, tzinfo=UTC)  # 03:30 CET, the same day


def purge_jobs(engine: Engine) -> list[Job]:
    with Session(engine) as session:
        return list(session.exec(select(Job).where(col(Job.kind) == retention.PURGE)).all())


def test_the_purge_is_scheduled_once_however_many_runners_start(
    own_engine: Engine, settings: Settings
) -> None:
    for _ in range(2):
        worker.Runner(settings, own_engine).run_once()
    with db.session_scope(db.make_session_factory(own_engine)) as session:
        assert retention.schedule(session) is False
    [job] = purge_jobs(own_engine)
    assert job.run_at == retention.next_run_at(job.created_at)
    assert job.run_at.astimezone(STOCKHOLM).strftime("%H:%M") == "03:30"


def test_the_runner_purges_with_the_configured_years_logs_the_counts_and_schedules_the_next(
    own_engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    old_notifications(own_engine, 2, days=91)
    old_notifications(own_engine, 1, days=89)
    factory = db.make_session_factory(own_engine)
    with db.session_scope(factory) as session:
        for years in (3, 1):
            session.add(
                AuditEntry(
                    action="group.update",
                    target_type="group",
                    created_at=retention.years_before(utcnow(), years) - SECOND,
                )
            )
        jobs.enqueue(session, retention.PURGE, {}, run_at=utcnow() - SECOND)
    runner = worker.Runner(settings.model_copy(update={"audit_retention_years": 2}), own_engine)

    with caplog.at_level(logging.INFO, logger="erfa.worker"):
        assert runner.run_jobs(kinds=(retention.PURGE,)) == 1

    assert notification_count(own_engine) == 1
    with Session(own_engine) as session:
        assert session.exec(select(sa.func.count()).select_from(AuditEntry)).one() == 1
    [line] = [record.getMessage() for record in caplog.records if "retention" in record.msg]
    assert line == (
        "retention: deleted sessions 0, password_resets 0, invitations 0, api_tokens 0, "
        "notifications 2, webhook_deliveries 0, signup_requests 0, join_requests 0, "
        "audit_entries 1, export_files 0"
    )
    [next_one] = purge_jobs(own_engine)
    assert utcnow() < next_one.run_at <= utcnow() + timedelta(days=1)
