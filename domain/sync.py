"""The changes feed: every post's (and resource's) latest state in change order, for
integrators who mirror erfa (`GET /api/v1/sync/posts`, `/sync/resources`).

A page is the rows after the consumer's position `(change_txid, change_seq)`, in that
order, below the fence of `domain/changes.py`, in the groups the caller may read now. A
row that changes again moves to the end of the order, so a consumer sees a post again only
when it changed again. Deleted and hidden posts, and deleted resources, are tombstones.
Rows of groups the caller may not read are passed over (their positions count as read).

A page holds up to a thousand rows and an initial sync reads a million, so the feed reads
plain columns through Core, not ORM entities: building and tracking entities cost most of
a page (and loaded every official's password hash), and each one is work for the garbage
collector (docs/BENCHMARKS.md, "Sync feed"). An item is a tuple of the row's values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Session

from domain import changes, policy
from domain.actor import Actor
from models import (
    CASE_SECTIONS,
    Group,
    Municipality,
    Post,
    Resource,
    ResourceKind,
    Thread,
    User,
    UTCDateTime,
)

MAX_LIMIT = 1000
DEFAULT_LIMIT = 200


@dataclass(frozen=True)
class Position:
    txid: int = 0
    seq: int = 0


class PostChange(NamedTuple):
    """A post's current state in the feed, one row of the page's query. It is its own
    `post`: `change.post.id`, `.version`, `.change_seq` and the rest read the row."""

    id: int
    thread_id: int
    position: int
    reply_to_id: int | None
    body: str
    body_html: str
    version: int
    change_txid: int
    change_seq: int
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    group: str
    author_id: int
    author_name: str
    author_title: str
    municipality: str

    @property
    def post(self) -> PostChange:
        return self

    @property
    def tombstone(self) -> bool:
        return self.deleted_at is not None or self.hidden_at is not None

    def values(self) -> dict[str, Any]:
        """The feed's item with its datetimes as aware UTC `datetime`s, for an encoder
        that writes them itself (the API's, as `2019-03-01T09:00:00Z`)."""
        gone = self.deleted_at is not None or self.hidden_at is not None
        return {
            "id": self.id,
            "thread_id": self.thread_id,
            "group": self.group,
            "author": {
                "id": self.author_id,
                "name": self.author_name,
                "title": self.author_title,
                "municipality": self.municipality,
            },
            "body": None if gone else self.body,
            "body_html": None if gone else self.body_html,
            "reply_to_id": self.reply_to_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "version": self.version,
            "deleted": self.deleted_at is not None,
            "hidden": self.hidden_at is not None,
        }

    def data(self) -> dict[str, Any]:
        """The feed's item as JSON-ready values (webhook payloads): `values()` with the
        datetimes in ISO 8601 (`2019-03-01T09:00:00+00:00`)."""
        return _iso(self.values())


class ResourceChange(NamedTuple):
    """A resource's current state in the feed, one row of the page's query; it is its
    own `resource`, as `PostChange` is its own `post`."""

    id: int
    thread_id: int | None
    title: str
    summary: str
    kind: ResourceKind
    link: str | None
    background: str
    background_html: str
    purpose: str
    purpose_html: str
    implementation: str
    implementation_html: str
    results: str
    results_html: str
    lessons: str
    lessons_html: str
    version: int
    change_txid: int
    change_seq: int
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None
    group: str
    municipality: str

    @property
    def resource(self) -> ResourceChange:
        return self

    @property
    def tombstone(self) -> bool:
        return self.deleted_at is not None

    def values(self) -> dict[str, Any]:
        """The feed's item with its datetimes as aware UTC `datetime`s (see
        `PostChange.values`)."""
        gone = self.deleted_at is not None
        return {
            "id": self.id,
            "group": self.group,
            "title": None if gone else self.title,
            "summary": None if gone else self.summary,
            "kind": self.kind.value,
            "municipality": self.municipality,
            "link": None if gone else self.link,
            "sections": None if gone else {n: getattr(self, n) for n in CASE_SECTIONS},
            "sections_html": None
            if gone
            else {n: getattr(self, f"{n}_html") for n in CASE_SECTIONS},
            "thread_id": self.thread_id,
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "deleted": gone,
        }

    def data(self) -> dict[str, Any]:
        """The feed's item as JSON-ready values (webhook payloads), like `PostChange.data`."""
        return _iso(self.values())


def _iso(values: dict[str, Any]) -> dict[str, Any]:
    updated: datetime | None = values["updated_at"]
    values["created_at"] = values["created_at"].isoformat()
    values["updated_at"] = updated.isoformat() if updated else None
    return values


@dataclass(frozen=True)
class Page:
    items: list[Any]
    position: Position
    """Where the next page starts: the last item's position, else the one asked for."""
    has_more: bool


# --- Reading ----------------------------------------------------------------------------

_post: sa.Table = Post.__table__  # type: ignore[attr-defined]
_resource: sa.Table = Resource.__table__  # type: ignore[attr-defined]
_thread: sa.Table = Thread.__table__  # type: ignore[attr-defined]
_group: sa.Table = Group.__table__  # type: ignore[attr-defined]
_user: sa.Table = User.__table__  # type: ignore[attr-defined]
_municipality: sa.Table = Municipality.__table__  # type: ignore[attr-defined]


def _from_sqlite(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:  # stored naive, in UTC; parsed with the offset appended: 6 times faster than .replace
        return datetime.fromisoformat(value + "+00:00")
    except ValueError:  # an offset of its own
        return datetime.fromisoformat(value).astimezone(UTC)


def _from_postgres(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


class _Instant(sa.types.UserDefinedType[datetime]):
    """Reads a `UTCDateTime` column as `UTCDateTime` does (an aware UTC datetime), in one
    call per value instead of three: a page reads four thousand of them."""

    cache_ok = True

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], datetime | None]:
        return _from_sqlite if dialect.name == "sqlite" else _from_postgres


def _columns(
    item: Any, table: sa.Table, **others: sa.ColumnElement[Any]
) -> list[sa.ColumnElement[Any]]:
    """A page query's columns in the order of its item's fields: `table`'s own by name,
    datetimes read by `_Instant`, and `others` (columns of joined tables) by field name."""
    columns: list[sa.ColumnElement[Any]] = []
    for name in item._fields:
        if name in others:
            columns.append(others[name].label(name))
        elif isinstance(table.c[name].type, UTCDateTime):
            columns.append(sa.type_coerce(table.c[name], _Instant()).label(name))
        else:
            columns.append(table.c[name])
    return columns


_POSTS = (
    sa.select(
        *_columns(
            PostChange,
            _post,
            group=_group.c.slug,
            author_id=_user.c.id,
            author_name=_user.c.name,
            author_title=_user.c.title,
            municipality=_municipality.c.name,
        )
    )
    .select_from(
        _post.join(_thread, _thread.c.id == _post.c.thread_id)
        .join(_group, _group.c.id == _thread.c.group_id)
        .join(_user, _user.c.id == _post.c.author_id)
        .join(_municipality, _municipality.c.id == _user.c.municipality_id)
    )
    .order_by(_post.c.change_txid, _post.c.change_seq)
)
"""The posts feed in change order; a page adds its window, its scope and its limit."""

_RESOURCES = (
    sa.select(
        *_columns(ResourceChange, _resource, group=_group.c.slug, municipality=_municipality.c.name)
    )
    .select_from(
        _resource.join(_group, _group.c.id == _resource.c.group_id).join(
            _municipality, _municipality.c.id == _resource.c.municipality_id
        )
    )
    .order_by(_resource.c.change_txid, _resource.c.change_seq)
)


def _window(session: Session, table: sa.Table, after: Position) -> list[sa.ColumnElement[bool]]:
    order = (table.c.change_txid, table.c.change_seq)
    where = [sa.tuple_(*order) > sa.tuple_(sa.literal(after.txid), sa.literal(after.seq))]
    fence = changes.fence(session)
    if fence is not None:
        below = table.c.change_txid < fence.below
        where.append(below if fence.own is None else sa.or_(below, order[0] == fence.own))
    return where


def _page(session: Session, query: sa.Select[Any], item: Any, after: Position, limit: int) -> Page:
    """Run the page's query (`limit + 1` rows tell whether more is waiting) on the
    session's connection, so that it comes back as Core rows: the ORM would pass every
    value of every row through a function of its own."""
    if session.autoflush:
        session.flush()  # as the ORM does before a query: the session's own writes count
    rows = session.connection().execute(query.limit(limit + 1)).all()
    items = [item._make(row) for row in rows[:limit]]
    last = items[-1] if items else None
    position = Position(last.change_txid, last.change_seq) if last else after
    return Page(items, position, len(rows) > limit)


def post_changes(session: Session, actor: Actor, *, after: Position, limit: int) -> Page:
    policy.require_signed_in(actor)
    return _post_page(session, policy.readable_groups_clause(actor), after, limit)


def group_post_changes(session: Session, group_id: int, *, after: Position, limit: int) -> Page:
    """The feed of one group's posts, for its webhooks (no reader: the webhook belongs to
    the group). Posts of a discussion moved away are in it once more, now under the other
    group's slug, so the consumer learns that they left."""
    scope = sa.or_(_thread.c.group_id == group_id, _thread.c.moved_from_group_id == group_id)
    return _post_page(session, scope, after, limit)


def _post_page(
    session: Session, scope: sa.ColumnElement[bool], after: Position, limit: int
) -> Page:
    query = _POSTS.where(*_window(session, _post, after), scope)
    return _page(session, query, PostChange, after, limit)


def resource_changes(session: Session, actor: Actor, *, after: Position, limit: int) -> Page:
    policy.require_signed_in(actor)
    return _resource_page(session, policy.readable_groups_clause(actor), after, limit)


def group_resource_changes(session: Session, group_id: int, *, after: Position, limit: int) -> Page:
    """The feed of one group's resources, for its webhooks."""
    return _resource_page(session, _resource.c.group_id == group_id, after, limit)


def _resource_page(
    session: Session, scope: sa.ColumnElement[bool], after: Position, limit: int
) -> Page:
    query = _RESOURCES.where(*_window(session, _resource, after), scope)
    return _page(session, query, ResourceChange, after, limit)


# --- The posts feed as JSON, written by the database ----------------------------------


@dataclass(frozen=True)
class JsonPage:
    """A page of the posts feed as the API sends it: each item's JSON, as the database
    wrote it (the fields of `PostChange.values()`, in their order), and where it ends."""

    items: list[str]
    position: Position
    has_more: bool


def post_changes_json(session: Session, actor: Actor, *, after: Position, limit: int) -> JsonPage:
    """`post_changes` for the API: the same rows in the same order, but each item's JSON
    is made by the database (SQLite's `json_object`, PostgreSQL's `concat` of `to_json`), so
    that no Python object is made per row or per value (docs/BENCHMARKS.md, "Sync feed").
    tests/api/test_sync.py checks it against the response models, item by item."""
    policy.require_signed_in(actor)
    if session.autoflush:
        session.flush()
    dialect = session.get_bind().dialect.name
    query = (
        _json_posts(dialect)
        .where(*_window(session, _post, after), policy.readable_groups_clause(actor))
        .limit(limit + 1)
    )
    rows = session.connection().execute(query).all()
    shown = rows[:limit]
    position = Position(shown[-1][0], shown[-1][1]) if shown else after
    return JsonPage([str(row[2]) for row in shown], position, len(rows) > limit)


def _json_posts(dialect: str) -> sa.Select[Any]:
    cached = _JSON_POSTS.get(dialect)
    if cached is None:
        cached = _JSON_POSTS[dialect] = _json_posts_query(dialect)
    return cached


_JSON_POSTS: dict[str, sa.Select[Any]] = {}


def _json_posts_query(dialect: str) -> sa.Select[Any]:
    item = _pg_post_item() if dialect == "postgresql" else _sqlite_post_item()
    return (
        sa.select(_post.c.change_txid, _post.c.change_seq, item)
        .select_from(_POSTS.get_final_froms()[0])
        .order_by(_post.c.change_txid, _post.c.change_seq)
    )


def _gone() -> sa.ColumnElement[bool]:
    return sa.or_(_post.c.deleted_at.is_not(None), _post.c.hidden_at.is_not(None))


def _sqlite_post_item() -> sa.ColumnElement[Any]:
    """The item by SQLite's `json_object`, which writes compact JSON."""
    deleted = _post.c.deleted_at.is_not(None)
    hidden = _post.c.hidden_at.is_not(None)

    def flag(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
        return sa.func.json(sa.case((condition, _text("true")), else_=_text("false")))

    def pairs(**values: sa.ColumnElement[Any]) -> list[sa.ColumnElement[Any]]:
        # Keys inline, in the order of the model.
        return [part for key, value in values.items() for part in (_text(key), value)]

    author = sa.func.json_object(
        *pairs(
            id=_user.c.id,
            name=_user.c.name,
            title=_user.c.title,
            municipality=_municipality.c.name,
        )
    )
    return sa.func.json_object(
        *pairs(
            id=_post.c.id,
            thread_id=_post.c.thread_id,
            group=_group.c.slug,
            author=author,
            body=sa.case((_gone(), sa.null()), else_=_post.c.body),
            body_html=sa.case((_gone(), sa.null()), else_=_post.c.body_html),
            reply_to_id=_post.c.reply_to_id,
            created_at=_sqlite_instant(_post.c.created_at),
            updated_at=_sqlite_instant(_post.c.updated_at),
            version=_post.c.version,
            deleted=flag(deleted),
            hidden=flag(hidden),
        )
    )


def _pg_post_item() -> sa.ColumnElement[Any]:
    """The item as PostgreSQL text, put together with `concat` from each value's JSON:
    a quarter cheaper for the database than `json_build_object`, whose generic path
    looks up every argument's type on every row, and compact (no spaces after the
    colons and commas), as the API writes JSON (docs/BENCHMARKS.md, "Sync feed")."""

    def value(column: sa.Column[Any], text: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        # `concat` leaves out a NULL, so a column that may hold one says "null" itself.
        return sa.func.coalesce(text, _text("null")) if column.nullable else text

    def string(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
        return value(column, sa.cast(sa.func.to_json(column), sa.Text))

    def number(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
        return value(column, sa.cast(column, sa.Text))

    def instant(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
        return value(column, _text('"').concat(_pg_instant(column)).concat(_text('"')))

    def flag(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.case((column.is_not(None), _text("true")), else_=_text("false"))

    def unless_gone(value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.case((_gone(), _text("null")), else_=value)

    def obj(**values: sa.ColumnElement[Any]) -> list[sa.ColumnElement[Any]]:
        parts: list[sa.ColumnElement[Any]] = []
        for key, value in values.items():
            parts += [_text(("{" if not parts else ",") + f'"{key}":'), value]
        return [*parts, _text("}")]

    author = obj(
        id=number(_user.c.id),
        name=string(_user.c.name),
        title=string(_user.c.title),
        municipality=string(_municipality.c.name),
    )
    parts = obj(
        id=number(_post.c.id),
        thread_id=number(_post.c.thread_id),
        group=string(_group.c.slug),
        author=sa.func.concat(*author),
        body=unless_gone(string(_post.c.body)),
        body_html=unless_gone(string(_post.c.body_html)),
        reply_to_id=number(_post.c.reply_to_id),
        created_at=instant(_post.c.created_at),
        updated_at=instant(_post.c.updated_at),
        version=number(_post.c.version),
        deleted=flag(_post.c.deleted_at),
        hidden=flag(_post.c.hidden_at),
    )
    return sa.func.concat(*parts, type_=sa.Text)


def _sqlite_instant(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A stored UTC moment ("2019-03-01 09:00:00.000000", naive) as the API writes it:
    "2019-03-01T09:00:00Z", with the microseconds only when there are any."""
    stamped = sa.func.replace(column, _text(" "), _text("T")).concat(_text("Z"))
    return sa.func.replace(stamped, _text(".000000Z"), _text("Z"))


def _pg_instant(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A timestamptz as the API writes it, in UTC: "2019-03-01T09:00:00Z", with the
    microseconds only when there are any (one `to_char` a value: it is the dear part)."""
    utc = sa.func.timezone(_text("UTC"), column)
    stamped = sa.func.to_char(utc, _text('YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
    return sa.func.replace(stamped, _text(".000000Z"), _text("Z"))


def _text(value: str) -> sa.ColumnElement[str]:
    """A string constant written into the statement (no bound parameter to type)."""
    return sa.literal_column("'" + value.replace("'", "''") + "'", sa.Text)
