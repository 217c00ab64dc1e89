"""Officials, their invitations and their personal API tokens."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from models.base import UTCDateTime, created_at_field, enum_field, timestamp_field
from models.directory import Municipality
from models.enums import Locale, MailPace, UserStatus


class User(SQLModel, table=True):
    """A named official. Emails are stored lower-cased; uniqueness is on that form."""

    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint("length(handle) >= 2", name="handle_min_length"),
        # One named representative per municipality, as the association's statutes ask.
        sa.Index(
            "uq_user_account_representative",
            "municipality_id",
            unique=True,
            sqlite_where=sa.text("is_representative"),
            postgresql_where=sa.text("is_representative"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    handle: str = Field(max_length=30, unique=True)
    """What others @mention: ASCII `a`–`z`, `0`–`9`, `.`, `-`, 2–30 characters (the rules
    and why ASCII: `domain/handles.py`). Unlike the email, anyone in a group may see it."""
    name: str = Field(max_length=120)
    title: str = Field(default="", max_length=120)
    municipality_id: int = Field(foreign_key="municipality.id", ondelete="RESTRICT", index=True)
    password_hash: str | None = Field(default=None, max_length=255)
    is_coordinator: bool = Field(default=False)
    is_representative: bool = Field(default=False)
    """The municipality's named representative in the association."""
    status: UserStatus = enum_field(UserStatus, "user_status", default=UserStatus.ACTIVE)
    locale: Locale = enum_field(Locale, "locale", default=Locale.SV)
    mail_pace: MailPace = enum_field(MailPace, "mail_pace", default=MailPace.INSTANT)
    """How notifications reach the official by mail (mentions and replies, join requests
    and their answers, new discussions in what they follow): `domain/notification_mail.py`."""
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
    last_login_at: datetime | None = timestamp_field()
    last_active_at: datetime | None = timestamp_field(index=True)
    """When the official last signed in, posted or read a discussion (at most hourly)."""
    suspended_at: datetime | None = timestamp_field()
    credentials_revoked_at: datetime | None = timestamp_field()
    """Access tokens (JWTs) issued in or before this second are void: set by a password
    reset or change, "sign out everywhere" and a suspension."""
    feed_key_generation: int = Field(default=0, nullable=False)
    """Feed keys (Atom, calendar) are derived from the secret key, the official's id and
    this number; raising it revokes every key handed out before (`domain/feed_keys.py`)."""

    municipality: Municipality = Relationship(sa_relationship_kwargs={"lazy": "raise"})


class Invitation(SQLModel, table=True):
    """A single-use, expiring link that lets a named person set up their account."""

    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    invited_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )
    group_id: int | None = Field(
        default=None, foreign_key="group.id", ondelete="CASCADE", index=True
    )
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    accepted_at: datetime | None = timestamp_field()


class ApiToken(SQLModel, table=True):
    """A personal API token; only a SHA-256 digest of the secret is kept."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=120)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    scopes: str = Field(default="read", max_length=64)
    created_at: datetime = created_at_field()
    expires_at: datetime | None = timestamp_field()
    last_used_at: datetime | None = timestamp_field()
    revoked_at: datetime | None = timestamp_field()
