"""Browser sessions, password resets and sign-up requests: how officials get in."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, created_at_field, enum_field, timestamp_field
from models.enums import SignupStatus


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a secret; only its SHA-256 digest is kept."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    last_seen_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = timestamp_field()
    user_agent: str = Field(default="", max_length=255)
    ip: str = Field(default="", max_length=45)


class PasswordReset(SQLModel, table=True):
    """A single-use link to set a new password; valid for an hour."""

    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = timestamp_field()


class SignupRequest(SQLModel, table=True):
    """Someone with a municipal email address asks for an account; a coordinator decides."""

    __tablename__ = "signup_request"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    name: str = Field(max_length=120)
    title: str = Field(default="", max_length=120)
    municipality_id: int = Field(foreign_key="municipality.id", ondelete="CASCADE", index=True)
    status: SignupStatus = enum_field(SignupStatus, "signup_status", default=SignupStatus.PENDING)
    created_at: datetime = created_at_field()
    decided_at: datetime | None = timestamp_field()
    decided_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )
