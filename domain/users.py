"""Officials: creating and inviting them, their passwords and profiles, suspension."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from domain import (
    audit,
    auth,
    directory,
    event_registrations,
    groups,
    handles,
    memberships,
    outbox,
    policy,
)
from domain.actor import Actor
from domain.errors import Conflict, Invalid, NotFound
from domain.passwords import NewPassword, check_new_password, hash_password, prepare_new_password
from domain.secrets import digest, new_secret
from models import (
    Invitation,
    Locale,
    MemberRole,
    PasswordReset,
    User,
    UserStatus,
    utcnow,
)

INVITATION_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=1)
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL_PATTERN.fullmatch(email):
        raise Invalid.field("email", f"{email!r} is not an email address.")
    return email


def _check_name(name: str, title: str) -> tuple[str, str]:
    name, title = name.strip(), title.strip()
    if not name or len(name) > 120:
        raise Invalid.field("name", "An official needs a name of 1–120 characters.")
    if len(title) > 120:
        raise Invalid.field("title", "A title is at most 120 characters long.")
    return name, title


def create_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    name: str,
    municipality: str,
    title: str = "",
    is_coordinator: bool = False,
    password: str | None = None,
    locale: Locale = Locale.SV,
) -> User:
    """An active official when a password is given, an invited one otherwise."""
    policy.require_administrator(actor)
    user = _new_user(
        session,
        email=email,
        name=name,
        municipality=municipality,
        title=title,
        is_coordinator=is_coordinator,
        password=password,
        locale=locale,
    )
    audit.record(
        session,
        actor,
        "user.create",
        target_type="user",
        target_id=user.id,
        coordinator=is_coordinator,
    )
    return user


def _new_user(
    session: Session,
    *,
    email: str,
    name: str,
    municipality: str,
    title: str,
    is_coordinator: bool,
    password: str | None,
    locale: Locale,
) -> User:
    email = normalize_email(email)
    name, title = _check_name(name, title)
    home = directory.municipality_by_slug(session, municipality)
    if user_by_email(session, email) is not None:
        raise Conflict(f"An official with the email {email} already exists.")
    if password is not None:
        check_new_password(password, email=email)
    assert home.id is not None
    user = User(
        email=email,
        handle=handles.free_handle(session, handles.handle_from_name(name)),
        name=name,
        title=title,
        municipality_id=home.id,
        is_coordinator=is_coordinator,
        locale=locale,
        password_hash=hash_password(password) if password is not None else None,
        status=UserStatus.ACTIVE if password is not None else UserStatus.INVITED,
    )
    session.add(user)
    session.flush()
    return user


def invite_official(
    session: Session,
    actor: Actor,
    *,
    email: str,
    name: str,
    municipality: str,
    title: str = "",
    group: str | None = None,
    is_coordinator: bool = False,
    locale: Locale = Locale.SV,
    audited: bool = True,
) -> User:
    """Invite someone by email: coordinators to erfa, leads into their own group.

    An invitation to a person who is already an official of erfa adds them to the
    group instead (when a group is named) and sends no mail. `audited=False` when the
    invitation is part of another act that writes the one audit entry (approving a
    sign-up request).
    """
    target = groups.group_to_manage(session, actor, group) if group else None
    if target is None or is_coordinator:
        policy.require_administrator(actor)
    existing = user_by_email(session, normalize_email(email))
    if existing is not None and (
        target is None or existing.status in (UserStatus.SUSPENDED, UserStatus.ERASED)
    ):
        raise Conflict(f"An official with the email {existing.email} already exists.")
    if existing is not None and existing.status is UserStatus.ACTIVE:
        assert target is not None
        assert existing.id is not None
        if memberships.membership_of(session, target.id or 0, existing.id) is None:
            groups.set_member(
                session, actor, slug=target.slug, user_id=existing.id, role=MemberRole.MEMBER
            )
        return existing  # a member already, a lead perhaps: left as they are
    user = existing or _new_user(
        session,
        email=email,
        name=name,
        municipality=municipality,
        title=title,
        is_coordinator=is_coordinator,
        password=None,
        locale=locale,
    )
    assert user.id is not None
    secret, token_hash = new_secret()
    session.add(
        Invitation(
            user_id=user.id,
            invited_by_id=actor.user_id or None,
            group_id=target.id if target else None,
            token_hash=token_hash,
            expires_at=utcnow() + INVITATION_LIFETIME,
        )
    )
    session.flush()
    if audited:
        audit.record(
            session,
            actor,
            "user.invite",
            target_type="user",
            target_id=user.id,
            group_id=target.id if target else None,
            after={"email": user.email, "name": user.name, "status": user.status.value},
        )
    queue_invitation_mail(
        session, actor, user, secret=secret, group_name=target.name if target else ""
    )
    return user


def queue_invitation_mail(
    session: Session, actor: Actor, user: User, *, secret: str, group_name: str
) -> None:
    outbox.queue(
        session,
        "invitation",
        to=user.email,
        locale=user.locale.value,
        name=user.name,
        inviter=actor.name or "erfa",
        group=group_name,
        path=f"/invitations/{secret}",
    )


@dataclass(frozen=True)
class Contact:
    name: str
    email: str


class DeadInvitation(NotFound):
    """A real invitation link that can no longer be accepted, with what its holder can do:
    `reason` is "used" (the account is set up: sign in), "replaced" (a newer link was
    mailed) or "expired"; `contacts` are whom to ask for a new one (who invited them,
    else the association's coordinators). Only the link's holder learns this: an unknown
    link is a plain NotFound."""

    def __init__(
        self, reason: str, *, email: str, expired_at: datetime, contacts: list[Contact]
    ) -> None:
        super().__init__("invitation")
        self.reason = reason
        self.email = email
        self.expired_at = expired_at
        self.contacts = contacts


def find_invitation(session: Session, token: str) -> tuple[Invitation, User]:
    """An invitation that can still be accepted; NotFound when unknown, DeadInvitation
    when used, replaced by a newer link, or expired."""
    invitation = session.exec(
        select(Invitation).where(Invitation.token_hash == digest(token))
    ).first()
    user = session.get(User, invitation.user_id) if invitation is not None else None
    if invitation is None or user is None or user.status is UserStatus.SUSPENDED:
        raise NotFound("invitation")
    if invitation.accepted_at is not None or invitation.expires_at <= utcnow():
        raise _dead(session, invitation, user)
    return invitation, user


def _dead(session: Session, invitation: Invitation, user: User) -> DeadInvitation:
    if invitation.accepted_at is not None or user.status is UserStatus.ACTIVE:
        reason = "used"
    else:
        newer = session.exec(
            select(Invitation.id).where(
                Invitation.user_id == user.id,
                col(Invitation.id) > invitation.id,
                col(Invitation.accepted_at).is_(None),
                col(Invitation.expires_at) > utcnow(),
            )
        ).first()
        reason = "replaced" if newer is not None else "expired"
    return DeadInvitation(
        reason,
        email=user.email,
        expired_at=invitation.accepted_at or invitation.expires_at,
        contacts=_contacts(session, invitation.invited_by_id),
    )


def invitation_contacts(session: Session, invitation: Invitation) -> list[Contact]:
    """Whom the invitee writes to when something is not right: who invited them."""
    return _contacts(session, invitation.invited_by_id)


def _contacts(session: Session, inviter_id: int | None) -> list[Contact]:
    inviter = session.get(User, inviter_id) if inviter_id is not None else None
    if inviter is not None and inviter.status is UserStatus.ACTIVE:
        return [Contact(inviter.name, inviter.email)]
    coordinators = session.exec(
        select(User)
        .where(col(User.is_coordinator).is_(True), User.status == UserStatus.ACTIVE)
        .order_by(col(User.name))
        .limit(3)
    ).all()
    return [Contact(user.name, user.email) for user in coordinators]


def accept_invitation(
    session: Session,
    *,
    token: str,
    name: str,
    title: str,
    password: str,
    locale: Locale,
) -> User:
    """The invitee sets up their account; the link is spent and cannot be used again.

    The municipality is the one the invitation named: the invitee confirms it, and only
    a coordinator changes it.
    """
    new_password = prepare_new_password(password)  # before the first statement: see NewPassword
    name, title = _check_name(name, title)
    invitation, user = find_invitation(session, token)
    new_password.check_not_email(user.email)
    user.name, user.title = name, title
    if not _spend(
        session,
        sa.update(Invitation)
        .where(col(Invitation.id) == invitation.id, col(Invitation.accepted_at).is_(None))
        .values(accepted_at=utcnow()),
    ):
        raise NotFound("invitation")
    user.password_hash = new_password.hash
    user.locale = locale
    user.status = UserStatus.ACTIVE
    user.updated_at = utcnow()
    if invitation.group_id is not None:
        assert user.id is not None
        groups.add_invited_member(session, group_id=invitation.group_id, user_id=user.id)
    # Every other open invitation of this person is spent too.
    for other in session.exec(
        select(Invitation).where(
            Invitation.user_id == user.id, col(Invitation.accepted_at).is_(None)
        )
    ).all():
        other.accepted_at = other.accepted_at or user.updated_at
    session.flush()
    return user


def request_password_reset(session: Session, *, email: str) -> None:
    """Mail a reset link if an active official has this address; silent otherwise."""
    user = user_by_email(session, email)
    if user is None or user.status is not UserStatus.ACTIVE:
        return
    assert user.id is not None
    secret, token_hash = new_secret()
    session.add(
        PasswordReset(user_id=user.id, token_hash=token_hash, expires_at=utcnow() + RESET_LIFETIME)
    )
    session.flush()
    outbox.queue(
        session,
        "password_reset",
        to=user.email,
        locale=user.locale.value,
        name=user.name,
        path=f"/password-reset/{secret}",
    )


def find_password_reset(session: Session, token: str) -> tuple[PasswordReset, User]:
    reset = session.exec(
        select(PasswordReset).where(PasswordReset.token_hash == digest(token))
    ).first()
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise NotFound("password reset link")
    user = session.get(User, reset.user_id)
    if user is None or user.status is not UserStatus.ACTIVE:
        raise NotFound("password reset link")
    return reset, user


def reset_password(session: Session, *, token: str, password: str) -> User:
    """Set a new password from a reset link ("my account was taken"): the link is spent,
    and every session, access token and personal API token of the official ends."""
    new_password = prepare_new_password(password)  # before the first statement: see NewPassword
    reset, user = find_password_reset(session, token)
    new_password.check_not_email(user.email)
    if not _spend(
        session,
        sa.update(PasswordReset)
        .where(col(PasswordReset.id) == reset.id, col(PasswordReset.used_at).is_(None))
        .values(used_at=utcnow()),
    ):
        raise NotFound("password reset link")
    _set_password(session, user, new_password, api_tokens=True)
    return user


@dataclass(frozen=True)
class PasswordConfirmed:
    """Proof that the official typed their current password, from `confirm_password`."""

    user_id: int


def confirm_password(reader: Session, actor: Actor, *, current: str) -> PasswordConfirmed:
    """Check the actor's current password. Run it on a read-only session before the write
    transaction: the check takes a quarter of a second."""
    policy.require_write_access(actor)
    assert actor.user_id is not None
    if auth.authenticate(reader, email=actor.email, password=current) is None:
        raise Invalid.field("current_password", "The current password is not right.")
    return PasswordConfirmed(actor.user_id)


def change_password(
    session: Session, actor: Actor, confirmed: PasswordConfirmed, *, new: str
) -> User:
    """Change one's own password: every session and access token ends (the caller starts a
    new session for the browser in hand); personal API tokens stay, and the page says so."""
    new_password = prepare_new_password(new, email=actor.email)
    user = _own_user(session, actor)
    if confirmed.user_id != user.id:
        raise Invalid.field("current_password", "The current password is not right.")
    _set_password(session, user, new_password, api_tokens=False)
    return user


def _spend(session: Session, claim: sa.Update) -> bool:
    """Mark a single-use link used, if no other request did so a moment ago."""
    result = cast(sa.CursorResult[Any], session.execute(claim))
    return result.rowcount == 1


def _set_password(
    session: Session, user: User, new_password: NewPassword, *, api_tokens: bool
) -> None:
    assert user.id is not None
    user.password_hash = new_password.hash
    user.updated_at = utcnow()
    auth.revoke_credentials(session, user.id, api_tokens=api_tokens)
    audit.record(session, _self(user), "user.password", target_type="user", target_id=user.id)


def update_profile(
    session: Session,
    actor: Actor,
    *,
    user_id: int,
    name: str | None = None,
    title: str | None = None,
    locale: Locale | None = None,
    handle: str | None = None,
) -> User:
    """Officials edit their own name, title, handle and language (the municipality and the
    coordinator role are a coordinator's: `domain.officials.update_official`). A handle
    another official holds is Invalid with code `taken`."""
    policy.require_signed_in(actor)
    user = session.get(User, user_id)
    if user is None or (user.id != actor.user_id and not policy.can_administer(actor)):
        raise NotFound("official")
    user.name, user.title = _check_name(
        name if name is not None else user.name, title if title is not None else user.title
    )
    if locale is not None:
        user.locale = locale
    if handle is not None:
        handles.change_handle(session, user, handle)
    user.updated_at = utcnow()
    session.flush()
    return user


def set_suspended(
    session: Session,
    actor: Actor,
    *,
    user_id: int,
    suspended: bool,
    reason: str | None = None,
) -> User:
    """Suspend (sessions and tokens stop at once) or reactivate an official.

    A suspension's `reason` is optional (None), but when given it is 1–`audit.MAX_REASON`
    characters. Suspending a suspended official, or reactivating one who is not, is a
    Conflict: two coordinators acting at once do not both succeed silently.
    """
    policy.require_write_access(actor)
    policy.require_administrator(actor)
    # A reason that was given must say something.
    text = audit.check_reason(reason, required=reason is not None) if suspended else ""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("official")
    require_not_erased(user)
    if user.id == actor.user_id:
        raise Invalid.field("user_id", "Coordinators cannot suspend themselves.")
    if suspended == (user.status is UserStatus.SUSPENDED):
        raise Conflict(
            "The official is suspended already." if suspended else "The official is not suspended."
        )
    before, now = user.status, utcnow()
    if suspended:
        user.status, user.suspended_at = UserStatus.SUSPENDED, now
        auth.revoke_credentials(session, user_id, api_tokens=True)
        session.flush()
        event_registrations.withdraw_unseen(session, user_id, now=now)
    else:
        user.status = UserStatus.ACTIVE if user.password_hash else UserStatus.INVITED
        user.suspended_at = None
    user.updated_at = now
    audit.record(
        session,
        actor,
        "user.suspend" if suspended else "user.reactivate",
        target_type="user",
        target_id=user_id,
        reason=text,
        before={"status": before.value},
        after={"status": user.status.value},
    )
    session.flush()
    return user


def require_not_erased(user: User) -> None:
    """An erased official's row only keeps their posts' author in place; it names nobody
    and is never changed, suspended, reactivated or given a group again."""
    if user.status is UserStatus.ERASED:
        raise Conflict("The official's personal data is erased: the account cannot change.")


def list_users(
    session: Session, actor: Actor, *, after_id: int | None = None, limit: int | None = None
) -> list[User]:
    policy.require_administrator(actor)
    query = select(User).options(selectinload(User.municipality))  # type: ignore[arg-type]
    if after_id is not None:
        query = query.where(col(User.id) > after_id)
    return list(session.exec(query.order_by(col(User.id)).limit(limit)).all())


def get_user(session: Session, actor: Actor, *, user_id: int | None) -> User:
    """An official with their municipality, as coordinators see them."""
    policy.require_administrator(actor)
    user = session.exec(
        select(User).where(User.id == user_id).options(selectinload(User.municipality))  # type: ignore[arg-type]
    ).first()
    if user is None:
        raise NotFound("official")
    return user


def get_me(session: Session, actor: Actor) -> User:
    return _own_user(session, actor)


def _own_user(session: Session, actor: Actor) -> User:
    policy.require_signed_in(actor)
    assert actor.user_id is not None
    user = session.exec(
        select(User).where(User.id == actor.user_id).options(selectinload(User.municipality))  # type: ignore[arg-type]
    ).one()
    return user


def _self(user: User) -> Actor:
    return Actor(user_id=user.id, name=user.name, active=True)


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()
