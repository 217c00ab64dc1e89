"""The coordinators' overview: activity per municipality and per group and month.

One read model (`overview`) serves `GET /api/v1/stats` and `/admin/overview`. It reads
the counters of `activity_month` (kept by `domain/activity.py`), the index on
`user_account.last_active_at` and the small tables of resources, adoptions, flags and
requests: never the posts or discussions themselves, so it costs the same with a million
posts as with ten, in a fixed number of statements.

Posts and new discussions are counted by month: a period counts every month it touches.
Posts and discussions are counted in the groups the coordinator can see (a secret group
only by its members), so the municipalities' figures add up to the groups'. The figures
that name no group (resources, adoptions, open flags, requests) are counts of the whole
association: numbers, never content.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import policy
from domain.activity import STOCKHOLM
from domain.actor import Actor
from domain.errors import Invalid
from models import (
    ActivityMonth,
    Adoption,
    Flag,
    FlagStatus,
    Group,
    JoinRequest,
    JoinRequestStatus,
    Municipality,
    Resource,
    SignupRequest,
    SignupStatus,
    User,
    UserStatus,
    utcnow,
)

MAX_YEARS = 10
EARLIEST = date(2000, 1, 1)
LATEST = date(2199, 12, 31)
ACTIVE_WINDOWS = (30, 90)
"""Days: an official is active who signed in, posted or read within them."""


@dataclass(frozen=True)
class Period:
    """From the first day to the last, both included (dates in Swedish time)."""

    start: date
    end: date

    @property
    def months(self) -> list[date]:
        """The first day of every month the period touches, in order."""
        months, month = [], month_of_date(self.start)
        while month <= self.end:
            months.append(month)
            month = _next_month(month)
        return months

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC moments: from its first midnight up to (not including) the
        midnight after its last day."""
        return _midnight(self.start), _midnight(self.end + timedelta(days=1))


@dataclass(frozen=True)
class MunicipalityActivity:
    slug: str
    name: str
    active_30d: int
    active_90d: int
    posts: int
    threads: int
    resources: int
    adoptions: int


@dataclass(frozen=True)
class MonthActivity:
    month: date
    posts: int
    new_discussions: int

    @property
    def label(self) -> str:
        """`2026-03`."""
        return self.month.strftime("%Y-%m")


@dataclass(frozen=True)
class GroupActivity:
    slug: str
    name: str
    months: list[MonthActivity]
    """Every month of the period, in order, months without posts too."""

    @property
    def posts(self) -> int:
        return sum(m.posts for m in self.months)

    @property
    def new_discussions(self) -> int:
        return sum(m.new_discussions for m in self.months)


@dataclass(frozen=True)
class OverviewView:
    period: Period
    municipalities: list[MunicipalityActivity]
    """Every municipality, those without activity too, by name."""
    groups: list[GroupActivity]
    """Every group the coordinator can see, by name."""
    months: list[MonthActivity]
    """All groups together, per month."""
    open_flags: int
    """Posts with open flags (several flags on one post are one item), in every group."""
    pending_join_requests: int
    pending_signups: int

    @property
    def total(self) -> MunicipalityActivity:
        """The sum of the municipalities' rows."""
        rows = self.municipalities
        return MunicipalityActivity(
            slug="",
            name="",
            active_30d=sum(r.active_30d for r in rows),
            active_90d=sum(r.active_90d for r in rows),
            posts=sum(r.posts for r in rows),
            threads=sum(r.threads for r in rows),
            resources=sum(r.resources for r in rows),
            adoptions=sum(r.adoptions for r in rows),
        )


def overview(
    session: Session,
    actor: Actor,
    *,
    start: date | str | None = None,
    end: date | str | None = None,
    now: datetime | None = None,
) -> OverviewView:
    """The overview for coordinators. `start` and `end` are dates (or ISO date strings, as
    a form sends them; empty means the default): by default the last twelve months, from
    the first of the month eleven months back up to today. Forbidden for everyone else;
    Invalid for a date that is no date, `start` after `end`, or more than ten years."""
    policy.require_signed_in(actor)
    policy.require_administrator(actor)
    now = now or utcnow()
    period = parse_period(start, end, today=now.astimezone(STOCKHOLM).date())
    months = period.months
    activity = _activity(session, actor, months[0], months[-1])
    return OverviewView(
        period=period,
        municipalities=_municipalities(session, period, activity, now),
        groups=_groups(session, actor, months, activity),
        months=_month_totals(months, activity),
        **_queues(session),
    )


def parse_period(start: date | str | None, end: date | str | None, *, today: date) -> Period:
    last = _date("to", end) or today
    first = _date("from", start) or _add_months(month_of_date(last), -11)
    if first > last:
        raise Invalid.field("from", "The period starts after it ends.", "period-order")
    if first < _add_months(last, -12 * MAX_YEARS):
        raise Invalid.field(
            "from", f"A period is at most {MAX_YEARS} years long.", "period-too-long"
        )
    return Period(first, last)


def _date(field: str, value: date | str | None) -> date | None:
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise Invalid.field(field, "Give a date as YYYY-MM-DD.", "date") from None
    if value is not None and not EARLIEST <= value <= LATEST:
        message = f"Give a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}."
        raise Invalid.field(field, message, "date-range")
    return value


@dataclass(frozen=True)
class _Activity:
    by_municipality: dict[int, tuple[int, int]]
    by_group_month: dict[tuple[int, date], tuple[int, int]]


def _activity(session: Session, actor: Actor, first: date, last: date) -> _Activity:
    """Sums of the counters of the period's months in the groups the actor can see:
    per municipality and per group and month (two grouped reads of the month index)."""
    in_period = (
        col(ActivityMonth.month) >= first,
        col(ActivityMonth.month) <= last,
        policy.visible_groups_clause(actor),
    )
    posts, threads = sa.func.sum(col(ActivityMonth.posts)), sa.func.sum(col(ActivityMonth.threads))
    per_municipality = session.exec(
        select(col(ActivityMonth.municipality_id), posts, threads)
        .join(Group, col(Group.id) == col(ActivityMonth.group_id))
        .where(*in_period)
        .group_by(col(ActivityMonth.municipality_id))
    ).all()
    # The month as the driver gives it: SQLAlchemy's date parsing on SQLite costs ~10 µs a
    # row, a third of the whole overview over ten years (`_as_date` is cheaper).
    month = sa.type_coerce(col(ActivityMonth.month), sa.String)
    per_group_month = session.exec(
        select(col(ActivityMonth.group_id), month, posts, threads)
        .join(Group, col(Group.id) == col(ActivityMonth.group_id))
        .where(*in_period)
        .group_by(col(ActivityMonth.group_id), col(ActivityMonth.month))
    ).all()
    return _Activity(
        by_municipality={m: (int(p or 0), int(t or 0)) for m, p, t in per_municipality},
        by_group_month={
            (g, _as_date(mo)): (int(p or 0), int(t or 0)) for g, mo, p, t in per_group_month
        },
    )


def _municipalities(
    session: Session, period: Period, activity: _Activity, now: datetime
) -> list[MunicipalityActivity]:
    active = _active_officials(session, now)
    resources = _count_by_municipality(
        session, Resource, period, col(Resource.deleted_at).is_(None)
    )
    adoptions = _count_by_municipality(session, Adoption, period)
    rows = session.exec(select(Municipality.id, Municipality.slug, Municipality.name)).all()
    result = []
    for municipality_id, slug, name in rows:
        assert municipality_id is not None
        posts, threads = activity.by_municipality.get(municipality_id, (0, 0))
        active_30, active_90 = active.get(municipality_id, (0, 0))
        result.append(
            MunicipalityActivity(
                slug=slug,
                name=name,
                active_30d=active_30,
                active_90d=active_90,
                posts=posts,
                threads=threads,
                resources=resources.get(municipality_id, 0),
                adoptions=adoptions.get(municipality_id, 0),
            )
        )
    return sorted(result, key=lambda row: swedish_order(row.name))


def _active_officials(session: Session, now: datetime) -> dict[int, tuple[int, int]]:
    """Per municipality: active officials seen within 30 and within 90 days, read as a
    range of the index on `last_active_at`.

    Grouped by `municipality_id` itself, SQLite would rather walk every official in the
    order of the municipality index (to group without sorting); grouping by the
    expression `municipality_id + 0` keeps it on the range (7 ms against 13 ms for 10 000
    active of 20 000 officials, and next to nothing when few were active).
    """
    short, long = (now - timedelta(days=days) for days in ACTIVE_WINDOWS)
    municipality = col(User.municipality_id) + sa.literal_column("0")
    recent = sa.func.sum(sa.case((col(User.last_active_at) >= short, 1), else_=0))
    rows = session.exec(
        select(municipality, recent, sa.func.count())
        .where(col(User.last_active_at) >= long, col(User.status) == UserStatus.ACTIVE)
        .group_by(municipality)
    ).all()
    return {int(m): (int(r or 0), int(n)) for m, r, n in rows}


def _count_by_municipality(
    session: Session,
    model: type[Resource] | type[Adoption],
    period: Period,
    *where: sa.ColumnElement[bool],
) -> dict[int, int]:
    since, until = period.bounds()
    created = col(model.created_at)
    rows = session.exec(
        select(col(model.municipality_id), sa.func.count())
        .where(created >= since, created < until, *where)
        .group_by(col(model.municipality_id))
    ).all()
    return {m: int(n) for m, n in rows}


def _groups(
    session: Session, actor: Actor, months: list[date], activity: _Activity
) -> list[GroupActivity]:
    rows = session.exec(
        select(Group.id, Group.slug, Group.name).where(policy.visible_groups_clause(actor))
    ).all()
    result = []
    for group_id, slug, name in rows:
        assert group_id is not None
        cells = [
            MonthActivity(month, *activity.by_group_month.get((group_id, month), (0, 0)))
            for month in months
        ]
        result.append(GroupActivity(slug=slug, name=name, months=cells))
    return sorted(result, key=lambda row: swedish_order(row.name))


def _month_totals(months: list[date], activity: _Activity) -> list[MonthActivity]:
    posts: dict[date, int] = defaultdict(int)
    threads: dict[date, int] = defaultdict(int)
    for (_, month), (p, t) in activity.by_group_month.items():
        posts[month] += p
        threads[month] += t
    return [MonthActivity(month, posts[month], threads[month]) for month in months]


def _queues(session: Session) -> dict[str, int]:
    """What waits for someone, in one statement: posts with open flags, join requests,
    sign-up requests."""
    flagged = (
        select(sa.func.count(sa.distinct(col(Flag.post_id))))
        .where(col(Flag.status) == FlagStatus.OPEN)
        .scalar_subquery()
    )
    joins = (
        select(sa.func.count())
        .select_from(JoinRequest)
        .where(col(JoinRequest.status) == JoinRequestStatus.PENDING)
        .scalar_subquery()
    )
    signups = (
        select(sa.func.count())
        .select_from(SignupRequest)
        .where(col(SignupRequest.status) == SignupStatus.PENDING)
        .scalar_subquery()
    )
    flags, join_requests, signup_requests = session.exec(select(flagged, joins, signups)).one()
    return {
        "open_flags": int(flags),
        "pending_join_requests": int(join_requests),
        "pending_signups": int(signup_requests),
    }


_SWEDISH_LAST = str.maketrans({"å": "{", "ä": "|", "ö": "}"})


def swedish_order(name: str) -> str:
    """A sort key that puts å, ä and ö after z, as Swedish does."""
    return name.casefold().translate(_SWEDISH_LAST)


def month_of_date(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return _add_months(month, 1)


def _add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), on the month's last day where it has no
    such day (31 March less one month is 29 February in a leap year)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first_of_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (first_of_next - timedelta(days=1)).day))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), STOCKHOLM).astimezone(UTC)


def _as_date(value: date | datetime | str) -> date:
    """A month as the driver hands it back (SQLite may give a string)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value
