"""The yearly themes a working group decides, each with its period (2018-01-01–2019-12-31).

A theme is *current* while its period holds today; when none does, the latest one leads
the list but is not called current (a theme of 2018–2019 is history in 2026). Periods never
overlap, so "the theme of a day" has one answer. Every signed-in official reads the
themes; the coordinators add, change and remove them, each act leaving one audit entry.

Discussions, resources and events may carry a theme. What carries one is listed with it,
each reader seeing only what they may read (domain/theme_content.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit, handles, policy, theme_content
from domain.actor import Actor
from domain.errors import Conflict, FieldError, Invalid, NotFound
from models import Group, Theme

MAX_NAME = 120
MAX_DESCRIPTION = 5000
MAX_SLUG = 64
FIRST_YEAR, LAST_YEAR = 2000, 2200
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local_today() -> date:
    """Today in Sweden, where the association's years and periods begin and end."""
    return datetime.now(_STOCKHOLM).date()


@dataclass(frozen=True)
class ThemeView:
    theme: Theme
    is_current: bool
    """The period holds today."""
    can_edit: bool


@dataclass(frozen=True)
class ThemesPage:
    themes: list[ThemeView]
    can_manage_themes: bool
    content: dict[int, theme_content.ThemeContent]
    """Per theme id: what carries it, as far as the reader may read."""


class PeriodOverlap(Invalid):
    """The period overlaps another theme's; `other` names it."""

    def __init__(self, other: Theme) -> None:
        message = (
            f"The period overlaps the theme {other.name!r} "
            f"({other.starts_on.isoformat()}–{other.ends_on.isoformat()})."
        )
        super().__init__(message, [FieldError("starts_on", message, "overlap")])
        self.other = other


class ThemeInUse(Conflict):
    """Groups still carry the theme; `groups` says how many."""

    def __init__(self, theme: Theme, groups: int) -> None:
        super().__init__(f"{groups} group(s) carry the theme {theme.name!r}; it stays.")
        self.groups = groups


def _current_first(today: date) -> sa.ColumnElement[int]:
    running = sa.and_(col(Theme.starts_on) <= today, col(Theme.ends_on) >= today)
    return sa.case((running, 0), else_=1)


def list_themes(
    session: Session,
    actor: Actor,
    *,
    today: date | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[ThemeView]:
    """The themes, the current one first, then by the start of their period, latest first."""
    policy.require_signed_in(actor)
    today = today or local_today()
    rows = session.exec(
        select(Theme)
        .order_by(_current_first(today), col(Theme.starts_on).desc(), col(Theme.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [_view(actor, theme, today) for theme in rows]


def themes_page(session: Session, actor: Actor, *, today: date | None = None) -> ThemesPage:
    views = list_themes(session, actor, today=today)
    ids = [view.theme.id for view in views if view.theme.id is not None]
    return ThemesPage(
        themes=views,
        can_manage_themes=policy.can_administer(actor),
        content=theme_content.carried(session, actor, ids),
    )


def get_theme(session: Session, actor: Actor, *, slug: str, today: date | None = None) -> ThemeView:
    policy.require_signed_in(actor)
    return _view(actor, _by_slug(session, slug), today or local_today())


def theme_to_edit(session: Session, actor: Actor, *, slug: str) -> ThemeView:
    """A theme for a coordinator's edit form."""
    policy.require_signed_in(actor)
    policy.require_administrator(actor)
    return _view(actor, _by_slug(session, slug), local_today())


def create_theme(
    session: Session,
    actor: Actor,
    *,
    name: str,
    starts_on: date,
    ends_on: date,
    description: str = "",
    slug: str | None = None,
) -> Theme:
    """Invalid for a name, slug or period out of bounds, an end before the start, or a
    period that overlaps another theme's (`PeriodOverlap`); Conflict for a taken slug."""
    _require_manager(actor)
    name, description = _check_text(name, description)
    slug = _check_slug(slug if slug else handles.fold(name).replace(".", "-"))
    _check_period(session, starts_on, ends_on, ignore_id=None)
    if session.exec(select(Theme.id).where(Theme.slug == slug)).first() is not None:
        raise Conflict(f"A theme with the slug {slug!r} already exists.")
    theme = Theme(
        slug=slug, name=name, description=description, starts_on=starts_on, ends_on=ends_on
    )
    session.add(theme)
    session.flush()
    audit.record(
        session,
        actor,
        "theme.create",
        target_type="theme",
        target_id=theme.id,
        after=_fields(theme),
    )
    return theme


def update_theme(
    session: Session,
    actor: Actor,
    *,
    slug: str,
    name: str | None = None,
    description: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Theme:
    """Change what is given; the slug stays. Same refusals as `create_theme`. A change
    that changes nothing leaves no audit entry."""
    _require_manager(actor)
    theme = _by_slug(session, slug)
    before = _fields(theme)
    new_name, new_description = _check_text(
        theme.name if name is None else name,
        theme.description if description is None else description,
    )
    new_start = theme.starts_on if starts_on is None else starts_on
    new_end = theme.ends_on if ends_on is None else ends_on
    _check_period(session, new_start, new_end, ignore_id=theme.id)
    theme.name, theme.description = new_name, new_description
    theme.starts_on, theme.ends_on = new_start, new_end
    old, new = audit.changed(before, _fields(theme))
    if new:
        session.flush()
        audit.record(
            session,
            actor,
            "theme.update",
            target_type="theme",
            target_id=theme.id,
            before=old,
            after=new,
        )
    return theme


def delete_theme(session: Session, actor: Actor, *, slug: str) -> None:
    """Remove a theme nothing refers to; Conflict (`ThemeInUse`) while groups carry it."""
    _require_manager(actor)
    theme = _by_slug(session, slug)
    groups = session.exec(
        select(sa.func.count()).select_from(Group).where(col(Group.theme_id) == theme.id)
    ).one()
    if groups:
        raise ThemeInUse(theme, groups)
    audit.record(
        session,
        actor,
        "theme.delete",
        target_type="theme",
        target_id=theme.id,
        before=_fields(theme),
    )
    session.delete(theme)
    session.flush()


def parse_day(field: str, text: str) -> date:
    """A date typed into a form as YYYY-MM-DD; Invalid (code `bad-date`) otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid.field(field, "Give a date as YYYY-MM-DD.", "bad-date") from None


def _require_manager(actor: Actor) -> None:
    policy.require_write_access(actor)
    policy.require_administrator(actor)


def _by_slug(session: Session, slug: str) -> Theme:
    theme = session.exec(select(Theme).where(Theme.slug == slug.strip().lower())).first()
    if theme is None:
        raise NotFound("theme")
    return theme


def _view(actor: Actor, theme: Theme, today: date) -> ThemeView:
    return ThemeView(
        theme=theme,
        is_current=theme.starts_on <= today <= theme.ends_on,
        can_edit=policy.can_administer(actor),
    )


def _fields(theme: Theme) -> dict[str, str]:
    return {
        "slug": theme.slug,
        "name": theme.name,
        "description": theme.description,
        "starts_on": theme.starts_on.isoformat(),
        "ends_on": theme.ends_on.isoformat(),
    }


def _check_text(name: str, description: str) -> tuple[str, str]:
    name, description = name.strip(), description.strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid.field("name", "A theme needs a name of 1–120 characters.")
    if len(description) > MAX_DESCRIPTION:
        raise Invalid.field("description", "A description is at most 5000 characters long.")
    return name, description


def _check_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if len(slug) > MAX_SLUG or not SLUG_PATTERN.fullmatch(slug):
        raise Invalid.field(
            "slug", "A slug is 1–64 lower-case letters a–z, digits and inner hyphens."
        )
    return slug


def _check_period(
    session: Session, starts_on: date, ends_on: date, *, ignore_id: int | None
) -> None:
    for field, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise Invalid.field(field, "A period lies within the years 2000–2200.", "out-of-range")
    if ends_on < starts_on:
        raise Invalid.field("ends_on", "The period ends before it starts.", "before-start")
    overlapping = select(Theme).where(
        col(Theme.starts_on) <= ends_on, col(Theme.ends_on) >= starts_on
    )
    if ignore_id is not None:
        overlapping = overlapping.where(col(Theme.id) != ignore_id)
    other = session.exec(overlapping.order_by(col(Theme.starts_on)).limit(1)).first()
    if other is not None:
        raise PeriodOverlap(other)


def theme_id_by_slug(session: Session, slug: str | None) -> int | None:
    """The theme a discussion or resource is to carry, by its slug; None for none (or "").
    Invalid (code `unknown-theme`) for a slug no theme has."""
    if slug is None or not slug.strip():
        return None
    found = session.exec(select(Theme.id).where(Theme.slug == slug.strip().lower())).first()
    if found is None:
        raise Invalid.field("theme", f"There is no theme {slug.strip()!r}.", "unknown-theme")
    return found


def slugs_of(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The slugs of the themes `ids`, in one query (none for no ids)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(Theme.id, Theme.slug).where(col(Theme.id).in_(wanted))).all()
    return {theme_id: slug for theme_id, slug in rows if theme_id is not None}
