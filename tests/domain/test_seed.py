from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import demo_data
from domain.passwords import verify_password
from domain.seed import seed_demo
from models import (
    Adoption,
    Goal,
    Group,
    Municipality,
    Post,
    Resource,
    Theme,
    Thread,
    User,
    Visibility,
)
from tests.factories import DEMO_GROUP_SLUGS

SLUGS = [
    "avesta",
    "borlange",
    "hedemora",
    "ludvika",
    "fagersta",
    "norberg",
    "lindesberg",
    "nora",
    "filipstad",
    "storfors",
]


def count(session: Session, model: type) -> int:
    return session.exec(select(sa.func.count()).select_from(model)).one()


def test_reference_data_of_a_new_installation_is_there(session: Session) -> None:
    slugs = set(session.exec(select(Municipality.slug)).all())
    assert slugs == set(SLUGS)
    assert sorted(session.exec(select(Goal.id)).all()) == list(range(1, 18))
    assert {t.name for t in session.exec(select(Theme)).all()} == {
        "Integration",
        "Social hållbarhet",
        "Attraktivitet",
    }


def test_demo_seed_creates_groups_officials_discussions_and_practices(session: Session) -> None:
    logins = seed_demo(session)

    groups = {g.slug: g for g in session.exec(select(Group).order_by(col(Group.id))).all()}
    assert list(groups) == DEMO_GROUP_SLUGS
    assert groups["styrgrupp"].visibility is Visibility.CLOSED
    assert all(g.visibility is Visibility.OPEN for s, g in groups.items() if s != "styrgrupp")
    assert count(session, User) == len(demo_data.OFFICIALS) == len(logins)
    assert [login.role for login in logins].count("coordinator") == 1
    assert count(session, Thread) == len(demo_data.THREADS) + len(demo_data.RESOURCES)
    assert count(session, Post) >= 30
    assert count(session, Resource) == len(demo_data.RESOURCES)
    assert count(session, Adoption) >= 2

    threads = session.exec(select(Thread)).all()
    for thread in threads:
        positions = session.exec(
            select(Post.position).where(Post.thread_id == thread.id).order_by(col(Post.position))
        ).all()
        assert list(positions) == list(range(1, thread.post_count + 1))


def test_demo_passwords_are_random_and_match_their_hashes(session: Session) -> None:
    logins = seed_demo(session)
    assert len({login.password for login in logins}) == len(logins)
    login = logins[0]
    user = session.exec(select(User).where(User.email == login.email)).one()
    assert user.password_hash is not None
    assert verify_password(user.password_hash, login.password)
    assert login.line() == f"{login.email} {login.password} {login.role}"


def test_demo_seed_never_seeds_over_existing_data(session: Session) -> None:
    assert seed_demo(session)
    users_before = count(session, User)
    assert seed_demo(session) == []
    assert count(session, User) == users_before


def test_the_demo_shows_moderation_an_ordinary_lead_can_act_on(session: Session) -> None:
    from models import (
        AuditEntry,
        Flag,
        FlagStatus,
        JoinRequest,
        JoinRequestStatus,
        MemberRole,
        Membership,
        Notification,
        NotificationKind,
    )

    seed_demo(session)
    steering = session.exec(select(Group).where(Group.slug == "styrgrupp")).one()
    assert steering.visibility is Visibility.CLOSED
    ordinary_leads = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(
            Membership.group_id == steering.id,
            Membership.role == MemberRole.LEAD,
            col(User.is_coordinator).is_(False),
        )
    ).all()
    assert [u.email for u in ordinary_leads] == ["johan.eriksson@hedemora.se"]
    pending = session.exec(
        select(JoinRequest).where(
            JoinRequest.group_id == steering.id,
            JoinRequest.status == JoinRequestStatus.PENDING,
        )
    ).all()
    assert len(pending) == 1
    statuses = sorted(f.status.value for f in session.exec(select(Flag)).all())
    assert statuses == [FlagStatus.DISMISSED.value, FlagStatus.OPEN.value]
    actions = set(session.exec(select(AuditEntry.action)).all())
    assert {"thread.lock", "thread.pin", "flag.dismiss"} <= actions
    locked = session.exec(select(Thread).where(col(Thread.locked).is_(True))).one()
    assert locked.lock_reason
    lead_told = session.exec(
        select(Notification.kind).where(Notification.user_id == ordinary_leads[0].id)
    ).all()
    assert NotificationKind.FLAG in lead_told
