"""The coordinators' administration of officials: the searchable list, and the acts on one
official besides inviting (`domain.users.invite_official`).

Every act writes exactly one audit entry holding the fields it changed, before and after:
status `active` -> `suspended`, the municipality's slug, `is_coordinator` false -> true, the
expiry of the invitation link. Acts need a coordinator whose credential may write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from domain import audit, directory, policy, users
from domain.actor import Actor
from domain.errors import Conflict, Invalid, NotFound
from domain.secrets import new_secret
from models import (
    Group,
    Invitation,
    MemberRole,
    Membership,
    Municipality,
    User,
    UserStatus,
    utcnow,
)

PER_PAGE = 50


@dataclass(frozen=True)
class OfficialFilters:
    """Search text (a part of the name, email or handle, in any case), a municipality slug,
    a group slug and a status (`invited`, `active`, `suspended`); each optional."""

    q: str | None = None
    municipality: str | None = None
    group: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class GroupTag:
    slug: str
    name: str
    lead: bool


@dataclass(frozen=True)
class InvitationInfo:
    """The newest invitation link that has not been used."""

    sent_at: datetime
    expires_at: datetime
    expired: bool


@dataclass(frozen=True)
class OfficialView:
    """An official as the coordinators' list shows them; `user.municipality` is loaded."""

    user: User
    groups: list[GroupTag]
    invitation: InvitationInfo | None
    coordinator: bool
    """Describes the official; what the viewer may do is in the `can_*` flags."""
    can_suspend: bool
    can_reactivate: bool
    can_change: bool
    """Move to another municipality, make or unmake coordinator."""
    can_resend: bool
    can_withdraw: bool
    can_erase: bool = False
    """Erase their personal data (GDPR): `domain/erasure.py`."""
    own: bool = False
    """The viewer's own row: nobody erases themself (`policy.can_erase_official`)."""


@dataclass(frozen=True)
class Choice:
    slug: str
    name: str


@dataclass(frozen=True)
class OfficialsPage:
    rows: list[OfficialView]
    next_after: int | None
    """The `after` of the next page; None on the last one."""
    municipalities: list[Municipality]
    groups: list[Choice]
    filters: OfficialFilters
    errors: list[Any] = field(default_factory=list)


def list_officials(
    session: Session,
    actor: Actor,
    *,
    filters: OfficialFilters,
    after_id: int | None = None,
    limit: int = PER_PAGE,
) -> list[OfficialView]:
    """Officials matching `filters`, by name, after the official `after_id` (in that order).
    Three statements whatever the number: the officials with their municipalities, their
    groups, their open invitations. Unknown municipalities, groups or statuses are Invalid."""
    policy.require_administrator(actor)
    query = (
        select(User)
        .options(joinedload(User.municipality))  # type: ignore[arg-type]
        .where(*_filter_clauses(session, filters))
    )
    if after_id is not None:
        query = query.where(_after(session, after_id))
    found = list(session.exec(query.order_by(col(User.name), col(User.id)).limit(limit)).all())
    return _views(session, actor, found)


def officials_page(
    session: Session, actor: Actor, *, filters: OfficialFilters, after_id: int | None = None
) -> OfficialsPage:
    """The officials page: a page of officials and the choices of its filters. Invalid
    filters come back as `errors`, with no officials."""
    policy.require_administrator(actor)
    municipalities = directory.list_municipalities(session)
    groups = [
        Choice(slug, name)
        for slug, name in session.exec(
            select(col(Group.slug), col(Group.name)).order_by(col(Group.name), col(Group.id))
        ).all()
    ]
    try:
        rows = list_officials(
            session, actor, filters=filters, after_id=after_id, limit=PER_PAGE + 1
        )
    except Invalid as exc:
        return OfficialsPage([], None, municipalities, groups, filters, exc.errors)
    next_after = rows[PER_PAGE - 1].user.id if len(rows) > PER_PAGE else None
    return OfficialsPage(rows[:PER_PAGE], next_after, municipalities, groups, filters)


def get_official(session: Session, actor: Actor, *, user_id: int) -> OfficialView:
    policy.require_administrator(actor)
    user = session.exec(
        select(User).where(User.id == user_id).options(joinedload(User.municipality))  # type: ignore[arg-type]
    ).first()
    if user is None:
        raise NotFound("official")
    return _views(session, actor, [user])[0]


def suspend_official(
    session: Session, actor: Actor, *, user_id: int, reason: str | None
) -> OfficialView:
    """Suspend with a reason (see `users.set_suspended`): their sessions and tokens end."""
    users.set_suspended(session, actor, user_id=user_id, suspended=True, reason=reason)
    return get_official(session, actor, user_id=user_id)


def reactivate_official(session: Session, actor: Actor, *, user_id: int) -> OfficialView:
    users.set_suspended(session, actor, user_id=user_id, suspended=False)
    return get_official(session, actor, user_id=user_id)


def update_official(
    session: Session,
    actor: Actor,
    *,
    user_id: int,
    municipality: str | None = None,
    is_coordinator: bool | None = None,
) -> OfficialView:
    """Move an official to another municipality and/or make or unmake them coordinator:
    one audit entry `user.update` with what changed (none when nothing did).

    Moving the municipality's representative ends that role: each municipality names its
    own. Unmaking the last active coordinator is a Conflict: erfa needs one.
    """
    _require_official_administrator(actor)
    official = get_official(session, actor, user_id=user_id)
    user = official.user
    users.require_not_erased(user)
    home = (
        directory.municipality_by_slug(session, municipality) if municipality is not None else None
    )
    before: dict[str, Any] = {
        "municipality": user.municipality.slug,
        "is_representative": user.is_representative,
        "is_coordinator": user.is_coordinator,
    }
    after = dict(before)
    if home is not None and home.id != user.municipality_id:
        after.update(municipality=home.slug, is_representative=False)
    if is_coordinator is not None:
        after["is_coordinator"] = is_coordinator
    old, new = audit.changed(before, after)
    if not new:
        return official
    if new.get("is_coordinator") is False and not _other_coordinators(session, user):
        raise Conflict(
            "erfa needs at least one coordinator: make another official coordinator first."
        )
    if home is not None and "municipality" in new:
        user.municipality, user.is_representative = home, False
    user.is_coordinator = after["is_coordinator"]
    user.updated_at = utcnow()
    audit.record(
        session, actor, "user.update", target_type="user", target_id=user.id, before=old, after=new
    )
    session.flush()
    return get_official(session, actor, user_id=user_id)


def resend_invitation(session: Session, actor: Actor, *, user_id: int) -> OfficialView:
    """A new invitation link by mail; every earlier link of the official stops working.
    Conflict when they have accepted an invitation already."""
    _require_official_administrator(actor)
    user = _invited(session, user_id)
    links = _open_invitations(session, user_id)
    now = utcnow()
    group = session.get(Group, links[0].group_id) if links and links[0].group_id else None
    previous = max((link.expires_at for link in links), default=None)
    for link in links:
        link.expires_at = min(link.expires_at, now)
    secret, token_hash = new_secret()
    link = Invitation(
        user_id=user_id,
        invited_by_id=actor.user_id or None,
        group_id=group.id if group else None,
        token_hash=token_hash,
        expires_at=now + users.INVITATION_LIFETIME,
    )
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor,
        "user.invite_resend",
        target_type="user",
        target_id=user_id,
        group_id=group.id if group else None,
        before={"invitation_expires_at": previous.isoformat() if previous else None},
        after={"invitation_expires_at": link.expires_at.isoformat()},
    )
    users.queue_invitation_mail(
        session, actor, user, secret=secret, group_name=group.name if group else ""
    )
    return get_official(session, actor, user_id=user_id)


def withdraw_invitation(session: Session, actor: Actor, *, user_id: int) -> User:
    """Withdraw the invitation of someone who never accepted it: the account is removed,
    with its links, and the address may be invited again. Conflict once accepted.
    Returns the removed official as they were."""
    _require_official_administrator(actor)
    user = _invited(session, user_id)
    links = _open_invitations(session, user_id)
    audit.record(
        session,
        actor,
        "user.invite_withdraw",
        target_type="user",
        target_id=user_id,
        group_id=links[0].group_id if links else None,
        before={"status": user.status.value, "email": user.email, "name": user.name},
        after=None,
    )
    session.delete(user)
    session.flush()
    return user


def _require_official_administrator(actor: Actor) -> None:
    policy.require_write_access(actor)
    policy.require_administrator(actor)


def _invited(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("official")
    if not _never_activated(user):
        raise Conflict("The official has accepted their invitation already.")
    return user


def _never_activated(user: User) -> bool:
    return user.status is UserStatus.INVITED and user.password_hash is None


def _open_invitations(session: Session, user_id: int) -> list[Invitation]:
    """Unused links, newest first."""
    return list(
        session.exec(
            select(Invitation)
            .where(Invitation.user_id == user_id, col(Invitation.accepted_at).is_(None))
            .order_by(col(Invitation.created_at).desc(), col(Invitation.id).desc())
        ).all()
    )


def _other_coordinators(session: Session, user: User) -> int:
    count = session.exec(
        select(sa.func.count())
        .select_from(User)
        .where(
            col(User.is_coordinator).is_(True),
            User.status == UserStatus.ACTIVE,
            User.id != user.id,
        )
    ).one()
    return int(count)


def _filter_clauses(session: Session, filters: OfficialFilters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.q and filters.q.strip():
        found.append(_matches(filters.q.strip()))
    if filters.municipality:
        home = directory.municipality_by_slug(session, filters.municipality)
        found.append(col(User.municipality_id) == home.id)
    if filters.group:
        group = directory.group_by_slug(session, filters.group)
        if group is None:
            raise Invalid.field("group", f"Unknown group {filters.group.strip()!r}.")
        members = select(col(Membership.user_id)).where(Membership.group_id == group.id)
        found.append(col(User.id).in_(members))
    if filters.status:
        try:
            status = UserStatus(filters.status.strip().lower())
        except ValueError:
            raise Invalid.field("status", "A status is invited, active or suspended.") from None
        found.append(col(User.status) == status)
    return found


def _matches(q: str) -> ColumnElement[bool]:
    """A part of the name, email or handle, in any case. SQLite's lower() folds ASCII only,
    so a name is also tried against the text's upper-case and capitalised forms (Å, Ä, Ö)."""
    if len(q) > 120:
        raise Invalid.field("q", "Search with at most 120 characters.")
    forms = {_ascii_lower(form) for form in (q.lower(), q.upper(), q.capitalize(), q.title())}
    name = sa.func.lower(col(User.name))
    wanted = [name.like(_pattern(form), escape="\\") for form in sorted(forms)]
    wanted.append(col(User.email).like(_pattern(q.lower()), escape="\\"))
    wanted.append(col(User.handle).like(_pattern(q.lower().lstrip("@")), escape="\\"))
    return sa.or_(*wanted)


def _ascii_lower(text: str) -> str:
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


def _pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _after(session: Session, after_id: int) -> ColumnElement[bool]:
    """Keyset: officials after the given one, by name and id."""
    name = session.exec(select(col(User.name)).where(User.id == after_id)).first()
    if name is None:
        raise Invalid.field("after", "The page starts at an official who is not there.")
    return sa.or_(col(User.name) > name, sa.and_(col(User.name) == name, col(User.id) > after_id))


def _views(session: Session, actor: Actor, found: list[User]) -> list[OfficialView]:
    ids = [user.id for user in found if user.id is not None]
    tags: dict[int, list[GroupTag]] = {}
    invitations: dict[int, InvitationInfo] = {}
    if ids:
        for user_id, slug, name, role in session.exec(
            select(col(Membership.user_id), col(Group.slug), col(Group.name), col(Membership.role))
            .join(Group, col(Group.id) == Membership.group_id)
            .where(col(Membership.user_id).in_(ids))
            .order_by(col(Group.name), col(Group.id))
        ).all():
            tags.setdefault(user_id, []).append(GroupTag(slug, name, role is MemberRole.LEAD))
        now = utcnow()
        for link in session.exec(
            select(Invitation)
            .where(col(Invitation.user_id).in_(ids), col(Invitation.accepted_at).is_(None))
            .order_by(col(Invitation.created_at), col(Invitation.id))
        ).all():
            invitations[link.user_id] = InvitationInfo(
                link.created_at, link.expires_at, link.expires_at <= now
            )
    return [_view(actor, user, tags, invitations) for user in found]


def _view(
    actor: Actor,
    user: User,
    tags: dict[int, list[GroupTag]],
    invitations: dict[int, InvitationInfo],
) -> OfficialView:
    assert user.id is not None
    # An erased official is a placeholder for their posts: there is nothing left to act on.
    may = (
        policy.can_administer(actor)
        and policy.can_write(actor)
        and user.status is not UserStatus.ERASED
    )
    suspended = user.status is UserStatus.SUSPENDED
    invited = _never_activated(user)
    return OfficialView(
        user=user,
        groups=tags.get(user.id, []),
        invitation=invitations.get(user.id) if invited else None,
        coordinator=user.is_coordinator,
        can_suspend=may and not suspended and user.id != actor.user_id,
        can_reactivate=may and suspended,
        can_change=may,
        can_resend=may and invited,
        can_withdraw=may and invited,
        can_erase=policy.can_erase_official(actor, user.id)
        and user.status is not UserStatus.ERASED,
        own=user.id == actor.user_id,
    )
