"""Configuration from the environment (prefix `ERFA_`) or a `.env` file.

Secrets are never constants in the code: without `ERFA_SECRET_KEY` a random key is made
once and kept, readable by the owner only, in the data folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ERFA_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = ""
    redis_url: str | None = None
    secret_key: str = ""
    jwt_secret: str = ""
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str | None = None
    upload_dir: Path | None = None
    max_upload_mb: int = Field(default=20, ge=1, le=2048)
    max_body_kb: int = Field(default=1024, ge=16, le=1024 * 1024)
    """Request bodies other than uploads (forms, JSON), refused with 413 above it."""
    min_post_interval_s: float = Field(default=3, ge=0)
    webhook_allow_private: bool = False
    """Let webhooks call private, loopback and link-local addresses (tests, closed networks)."""
    audit_retention_years: int = Field(default=5, ge=1, le=100)
    """How many years audit entries are kept before the daily purge deletes them
    (`domain/retention.py`, docs/DATA.md)."""

    @field_validator("database_url")
    @classmethod
    def _use_psycopg3(cls, value: str) -> str:
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value.removeprefix(prefix)
        return value

    def model_post_init(self, __context: object) -> None:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'erfa.db').as_posix()}"
        if self.upload_dir is None:
            self.upload_dir = self.data_dir / "uploads"
        if not self.secret_key:
            self.secret_key = load_or_create_secret_key(self.data_dir)
            where = f"the key file {self.data_dir / SECRET_KEY_FILE}"
        else:
            where = "ERFA_SECRET_KEY"
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(f"{where} holds fewer than {MIN_SECRET_LENGTH} characters")
        if not self.jwt_secret:
            self.jwt_secret = derive_key(self.secret_key, "erfa-jwt")
        elif len(self.jwt_secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"ERFA_JWT_SECRET holds fewer than {MIN_SECRET_LENGTH} characters")

    @property
    def uploads(self) -> Path:
        assert self.upload_dir is not None
        return self.upload_dir

    @property
    def export_dir(self) -> Path:
        """Personal-data exports waiting to be downloaded (kept seven days)."""
        return self.data_dir / "exports"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")


def derive_key(secret_key: str, purpose: str) -> str:
    """A key for one purpose, so that no two uses share the master secret directly."""
    return hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def unsubscribe_key(settings: Settings) -> bytes:
    """The key of the unsubscribe links of notification mail (domain/notification_mail.py):
    the job runner signs with it, `/unsubscribe/{token}` checks with it."""
    return derive_key(settings.secret_key, "unsubscribe").encode()


def personal_data_export_key(settings: Settings) -> bytes:
    """The key of the mailed links to personal-data exports (domain/personal_data.py)."""
    return derive_key(settings.secret_key, "personal-data-export").encode()


def load_or_create_secret_key(data_dir: Path) -> str:
    """The installation's key: read from the data folder, or made and stored there once.

    The key is written to a temporary file and linked into place, so a process that
    starts at the same moment reads either no file or the whole key, never half of it.
    """
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=data_dir, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as handle:  # mkstemp creates it with mode 0600
                handle.write(secrets.token_urlsafe(48) + "\n")
            with contextlib.suppress(FileExistsError):  # another process was first
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text().strip()
