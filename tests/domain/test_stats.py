"""The activity counters (domain/activity.py) and the coordinators' overview (domain/stats.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import activity, stats
from domain.actor import ANONYMOUS, Actor, load_actor
from domain.errors import Forbidden, Invalid, Unauthenticated
from domain.seed import seed_demo, seed_synthetic
from models import (
    ActivityMonth,
    Adoption,
    Flag,
    FlagStatus,
    Group,
    JoinRequest,
    MemberRole,
    Post,
    Resource,
    SignupRequest,
    Thread,
    User,
    UserStatus,
    Visibility,
)
from tests.factories import (
    make_group,
    make_membership,
    make_post,
    make_thread,
    make_user,
    municipality,
)

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def coordinator(session: Session) -> Actor:
    user = make_user(session, is_coordinator=True)
    assert user.id is not None
    return load_actor(session, user.id)


def row(view: stats.OverviewView, slug: str) -> stats.MunicipalityActivity:
    return next(m for m in view.municipalities if m.slug == slug)


def group_row(view: stats.OverviewView, slug: str) -> stats.GroupActivity:
    return next(g for g in view.groups if g.slug == slug)


def count(session: Session, group: Group, slug: str, at: datetime, *, new: bool) -> None:
    assert group.id is not None
    municipality_id = municipality(session, slug).id
    assert municipality_id is not None
    activity.count_post(
        session, group_id=group.id, municipality_id=municipality_id, at=at, new_thread=new
    )


def test_a_new_post_raises_the_figures_of_its_municipality_group_and_month(
    session: Session,
) -> None:
    actor = coordinator(session)
    group = make_group(session, slug="counted-group")
    before = stats.overview(session, actor, now=NOW)
    assert row(before, "hedemora").posts == 0
    assert group_row(before, "counted-group").posts == 0

    count(session, group, "hedemora", NOW, new=True)
    count(session, group, "hedemora", NOW - timedelta(minutes=5), new=False)
    count(session, group, "nora", NOW, new=False)
    after = stats.overview(session, actor, now=NOW)

    assert (row(after, "hedemora").posts, row(after, "hedemora").threads) == (2, 1)
    assert (row(after, "nora").posts, row(after, "nora").threads) == (1, 0)
    march = group_row(after, "counted-group").months[-1]
    assert (march.label, march.posts, march.new_discussions) == ("2026-03", 3, 1)
    assert after.months[-1].posts == 3
    assert after.total.posts == 3


def test_a_post_counts_in_the_month_it_was_written_in_swedish_time(session: Session) -> None:
    group = make_group(session)
    # 23:30 UTC on 31 January is 00:30 on 1 February in Stockholm.
    count(session, group, "avesta", datetime(2026, 1, 31, 23, 30, tzinfo=UTC), new=False)
    # 22:30 UTC on 30 June is 00:30 on 1 July in summer time.
    count(session, group, "avesta", datetime(2025, 6, 30, 22, 30, tzinfo=UTC), new=False)
    months = session.exec(
        select(ActivityMonth.month).where(ActivityMonth.group_id == group.id)
    ).all()
    assert sorted(months) == [date(2025, 7, 1), date(2026, 2, 1)]


def test_rebuild_recounts_what_count_post_counted(session: Session) -> None:
    group = make_group(session)
    hedemora = make_user(session, municipality_id=municipality(session, "hedemora").id)
    nora = make_user(session, municipality_id=municipality(session, "nora").id)
    moments = [
        datetime(2025, 12, 31, 23, 30, tzinfo=UTC),  # January in Stockholm
        datetime(2026, 1, 10, 9, 0, tzinfo=UTC),
        datetime(2026, 2, 3, 9, 0, tzinfo=UTC),
    ]
    thread = make_thread(session, group=group, author=hedemora)
    for index, (author, at) in enumerate(zip([hedemora, nora, hedemora], moments, strict=True)):
        make_post(session, thread=thread, author=author, created_at=at)
        count(session, group, "hedemora" if author is hedemora else "nora", at, new=index == 0)

    def counters() -> set[tuple[int, int, date, int, int]]:
        rows = session.exec(select(ActivityMonth).where(ActivityMonth.group_id == group.id))
        return {(r.group_id, r.municipality_id, r.month, r.posts, r.threads) for r in rows}

    counted = counters()
    assert len(counted) == 3
    activity.rebuild(session)
    session.expire_all()
    assert counters() == counted


def test_touch_active_writes_at_most_once_an_hour(session: Session) -> None:
    user = make_user(session)
    assert user.id is not None
    assert activity.touch_active(session, user.id, NOW)
    assert not activity.touch_active(session, user.id, NOW + timedelta(minutes=59))
    assert activity.touch_active(session, user.id, NOW + timedelta(minutes=61))
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored is not None
    assert stored.last_active_at == NOW + timedelta(minutes=61)


def test_active_officials_are_counted_over_30_and_90_days(session: Session) -> None:
    actor = coordinator(session)
    storfors = municipality(session, "storfors").id
    for days in (3, 29, 60, 89, 91):
        make_user(session, municipality_id=storfors, last_active_at=NOW - timedelta(days=days))
    make_user(
        session,
        municipality_id=storfors,
        last_active_at=NOW - timedelta(days=1),
        status=UserStatus.SUSPENDED,
    )
    make_user(session, municipality_id=storfors)  # never seen
    view = stats.overview(session, actor, now=NOW)
    assert (row(view, "storfors").active_30d, row(view, "storfors").active_90d) == (2, 4)


def test_resources_and_adoptions_count_within_the_period(session: Session) -> None:
    actor = coordinator(session)
    group = make_group(session)
    author = make_user(session)
    assert group.id is not None
    assert author.id is not None
    ludvika, nora = municipality(session, "ludvika").id, municipality(session, "nora").id
    assert ludvika is not None
    assert nora is not None

    def resource(at: datetime, **extra: object) -> Resource:
        item = Resource(
            group_id=group.id,
            author_id=author.id,
            title="Modell",
            municipality_id=ludvika,
            created_at=at,
            **extra,
        )
        session.add(item)
        session.flush()
        return item

    shared = resource(datetime(2026, 1, 5, tzinfo=UTC))
    resource(datetime(2026, 1, 6, tzinfo=UTC), deleted_at=NOW)
    resource(datetime(2025, 12, 31, 22, 59, tzinfo=UTC))  # 23:59 on 31 December in Sweden
    assert shared.id is not None
    session.add(Adoption(resource_id=shared.id, municipality_id=nora, created_at=NOW))
    session.flush()

    view = stats.overview(session, actor, start="2026-01-01", end="2026-03-31", now=NOW)
    assert (row(view, "ludvika").resources, row(view, "ludvika").adoptions) == (1, 0)
    assert (row(view, "nora").resources, row(view, "nora").adoptions) == (0, 1)
    earlier = stats.overview(session, actor, start="2025-12-01", end="2025-12-31", now=NOW)
    assert row(earlier, "ludvika").resources == 1
    assert row(earlier, "nora").adoptions == 0


def test_what_waits_counts_flagged_posts_join_requests_and_signups(session: Session) -> None:
    actor = coordinator(session)
    group = make_group(session, visibility=Visibility.CLOSED)
    author = make_user(session)
    thread = make_thread(session, group=group, author=author)
    flagged, settled = (make_post(session, thread=thread, author=author) for _ in range(2))
    assert group.id is not None
    for post, status in ((flagged, FlagStatus.OPEN), (settled, FlagStatus.DISMISSED)):
        for _ in range(2):
            flagger = make_user(session)
            assert post.id is not None
            assert flagger.id is not None
            session.add(Flag(post_id=post.id, user_id=flagger.id, group_id=group.id, status=status))
    asker = make_user(session)
    assert asker.id is not None
    session.add(JoinRequest(group_id=group.id, user_id=asker.id))
    session.add(
        SignupRequest(
            email="ny@nora.se", name="Ny", municipality_id=municipality(session, "nora").id
        )
    )
    session.flush()
    before = stats.overview(session, actor, now=NOW)
    assert (before.open_flags, before.pending_join_requests, before.pending_signups) >= (1, 1, 1)

    third = make_user(session)
    assert third.id is not None
    assert flagged.id is not None
    session.add(Flag(post_id=flagged.id, user_id=third.id, group_id=group.id))
    session.add(
        SignupRequest(
            email="en@till.se", name="En till", municipality_id=municipality(session, "nora").id
        )
    )
    session.flush()
    after = stats.overview(session, actor, now=NOW)
    assert after.open_flags == before.open_flags  # a third flag on the same post
    assert after.pending_signups == before.pending_signups + 1


@pytest.mark.parametrize("role", [None, MemberRole.MEMBER, MemberRole.LEAD])
def test_only_coordinators_see_the_overview(session: Session, role: MemberRole | None) -> None:
    user = make_user(session)
    if role is not None:
        make_membership(session, group=make_group(session), user=user, role=role)
    assert user.id is not None
    with pytest.raises(Forbidden):
        stats.overview(session, load_actor(session, user.id), now=NOW)


def test_nobody_signed_in_is_told_to_sign_in(session: Session) -> None:
    with pytest.raises(Unauthenticated):
        stats.overview(session, ANONYMOUS, now=NOW)


def test_a_refused_official_learns_nothing_about_the_dates(session: Session) -> None:
    user = make_user(session)
    assert user.id is not None
    with pytest.raises(Forbidden):
        stats.overview(session, load_actor(session, user.id), start="nonsense", now=NOW)


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        ("2026-03-02", "2026-03-01", "period-order"),
        ("2016-01-01", "2026-01-02", "period-too-long"),
        ("2026-02-30", None, "date"),
        ("1.3.2026", None, "date"),
        ("1999-12-31", "2000-01-31", "date-range"),
        (None, "9999-12-31", "date-range"),
    ],
)
def test_a_bad_period_is_refused(
    session: Session, start: str | None, end: str | None, code: str
) -> None:
    with pytest.raises(Invalid) as refused:
        stats.overview(session, coordinator(session), start=start, end=end, now=NOW)
    assert [e.code for e in refused.value.errors] == [code]


def test_the_default_period_is_the_last_twelve_months(session: Session) -> None:
    view = stats.overview(session, coordinator(session), now=NOW)
    assert (view.period.start, view.period.end) == (date(2025, 4, 1), date(2026, 3, 15))
    assert [m.label for m in view.months][::11] == ["2025-04", "2026-03"]
    assert len(view.months) == 12
    ten_years = stats.overview(
        session, coordinator(session), start="2016-01-02", end="2026-01-02", now=NOW
    )
    assert len(ten_years.months) == 121


def test_every_municipality_has_a_row_and_a_secret_group_shows_only_to_its_members(
    session: Session,
) -> None:
    user = make_user(session, is_coordinator=True)
    assert user.id is not None
    secret = make_group(session, slug="hidden-group", visibility=Visibility.SECRET)
    count(session, secret, "fagersta", NOW, new=True)
    outsider = stats.overview(session, load_actor(session, user.id), now=NOW)
    assert len(outsider.municipalities) == 10
    assert "hidden-group" not in [g.slug for g in outsider.groups]
    assert row(outsider, "fagersta").posts == 0

    make_membership(session, group=secret, user=user)
    member = stats.overview(session, load_actor(session, user.id), now=NOW)
    assert group_row(member, "hidden-group").posts == 1
    assert row(member, "fagersta").posts == 1


def test_municipalities_are_in_swedish_alphabetical_order() -> None:
    names = ["Örebro", "Avesta", "Ängelholm", "Åre", "Borlänge", "Zinkgruvan"]
    assert sorted(names, key=stats.swedish_order) == [
        "Avesta",
        "Borlänge",
        "Zinkgruvan",
        "Åre",
        "Ängelholm",
        "Örebro",
    ]


@contextmanager
def recorded(connection: sa.Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(connection, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(connection, "before_cursor_execute", before)


def test_the_overview_reads_a_fixed_number_of_statements_and_never_the_posts(
    session: Session, connection: sa.Connection
) -> None:
    actor = coordinator(session)
    author = make_user(session)

    def add(groups: int) -> None:
        for n in range(groups):
            group = make_group(session)
            thread = make_thread(session, group=group, author=author)
            make_post(session, thread=thread, author=author)
            for slug in ("avesta", "nora", "ludvika"):
                count(session, group, slug, NOW - timedelta(days=40 * n), new=True)
        session.flush()

    add(1)
    with recorded(connection) as one:
        stats.overview(session, actor, now=NOW)
    add(30)
    with recorded(connection) as thirty:
        view = stats.overview(session, actor, now=NOW)
    assert len(one) == len(thirty) <= 8, thirty
    assert view.total.posts > 3  # the second read found more
    tables = {Post.__tablename__, Thread.__tablename__}
    for statement in thirty:
        named = {word.strip('"') for word in statement.replace(",", " ").split()}
        assert not named & tables, statement


def test_seeded_demo_has_two_years_of_activity(session: Session) -> None:
    now = datetime.now(UTC)
    assert seed_demo(session)
    posts = session.exec(select(Post.created_at)).all()
    assert max(posts) <= now
    assert min(posts) < now - timedelta(days=600)
    view = stats.overview(
        session,
        coordinator(session),
        start=(now - timedelta(days=731)).date(),
        end=now.astimezone(activity.STOCKHOLM).date(),
        now=now,
    )
    assert view.total.posts == len(posts)
    assert sum(1 for m in view.months if m.posts) >= 12
    assert view.total.active_30d > 0
    assert view.total.active_90d > view.total.active_30d
    assert view.total.resources > 0
    assert view.total.adoptions > 0
    # Replies still follow the posts they answer.
    rows = session.exec(
        select(Post.thread_id, Post.created_at).order_by(col(Post.thread_id), col(Post.position))
    ).all()
    for (thread, at), (next_thread, next_at) in itertools.pairwise(rows):
        assert thread != next_thread or at <= next_at


def test_synthetic_corpus_is_counted(session: Session) -> None:
    corpus = seed_synthetic(session, posts=240, threads=12, groups=3)
    totals = session.exec(
        select(sa.func.sum(ActivityMonth.posts), sa.func.sum(ActivityMonth.threads))
    ).one()
    assert totals == (corpus.posts, corpus.threads)
