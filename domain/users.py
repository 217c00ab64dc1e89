"""Officials: creating them (with a password or an invitation) and listing them."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from domain import audit, directory, policy
from domain.actor import Actor
from domain.errors import Conflict, Invalid
from domain.passwords import check_new_password, hash_password
from models import Invitation, Locale, User, UserStatus, utcnow

INVITATION_LIFETIME = timedelta(days=7)
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str
    """The secret of the link; only its digest is stored."""


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL_PATTERN.fullmatch(email):
        raise Invalid.field("email", f"{email!r} is not an email address.")
    return email


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
    email = normalize_email(email)
    name = name.strip()
    if not name or len(name) > 120:
        raise Invalid.field("name", "An official needs a name of 1–120 characters.")
    if len(title) > 120:
        raise Invalid.field("title", "A title is at most 120 characters long.")
    home = directory.municipality_by_slug(session, municipality)
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise Conflict(f"An official with the email {email} already exists.")
    if password is not None:
        check_new_password(password)
    assert home.id is not None
    user = User(
        email=email,
        name=name,
        title=title.strip(),
        municipality_id=home.id,
        is_coordinator=is_coordinator,
        locale=locale,
        password_hash=hash_password(password) if password is not None else None,
        status=UserStatus.ACTIVE if password is not None else UserStatus.INVITED,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        target_type="user",
        target_id=user.id,
        coordinator=is_coordinator,
    )
    return user


def invite(session: Session, actor: Actor, *, user: User) -> NewInvitation:
    """A single-use invitation link for an official who has no password yet."""
    policy.require_administrator(actor)
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        user_id=user.id,
        invited_by_id=actor.user_id or None,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=utcnow() + INVITATION_LIFETIME,
    )
    session.add(invitation)
    session.flush()
    audit.record(session, actor, "user.invite", target_type="user", target_id=user.id)
    return NewInvitation(invitation, token)


def list_users(session: Session, actor: Actor) -> list[User]:
    policy.require_administrator(actor)
    return list(
        session.exec(
            select(User).options(selectinload(User.municipality)).order_by(col(User.email))  # type: ignore[arg-type]
        ).all()
    )


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()
