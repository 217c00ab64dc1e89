"""Password hashing with argon2id, and the rules a new password must meet."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import Invalid

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters


@cache
def _dummy_hash() -> str:
    """Verified against when no account matches, so an unknown email costs the same time."""
    return _hasher.hash("no account has this password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not there is a hash to check against."""
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


@cache
def _common_passwords() -> frozenset[str]:
    """The 30 000 most common passwords of zxcvbn's corpus (loaded on first use)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_new_password(password: str, *, email: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid.field(
            "password", f"The password must be at least {MIN_PASSWORD_LENGTH} characters long."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid.field("password", "The password is too long.")
    folded = password.strip().lower()
    if folded in _common_passwords() or (email and folded == email.strip().lower()):
        raise Invalid.field(
            "password", "The password is one of the most common ones; choose another.", "common"
        )


@dataclass(frozen=True)
class NewPassword:
    """A new password, checked and hashed before any write transaction opens: argon2 takes
    a quarter of a second, too long to hold SQLite's write lock for."""

    hash: str
    _folded: str = field(repr=False)

    def check_not_email(self, email: str) -> None:
        """The one rule that needs the account: the password is not its email address."""
        if self._folded == email.strip().lower():
            raise Invalid.field(
                "password", "The password is one of the most common ones; choose another.", "common"
            )


def prepare_new_password(password: str, *, email: str = "") -> NewPassword:
    check_new_password(password, email=email)
    return NewPassword(hash_password(password), password.strip().lower())
