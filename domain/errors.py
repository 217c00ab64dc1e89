"""The errors domain services raise; the adapters turn them into HTTP answers.

DomainError               code           status
├── NotFound              not-found      404   (also: exists, but hidden from you)
├── Forbidden             forbidden      403   (visible to you, but not allowed)
├── Conflict              conflict       409
│   └── StaleVersion      stale-version  412   (an If-Match that is no longer current)
├── TooSoon               too-soon       429   (slow mode of a discussion; `retry_after`)
└── Invalid               invalid        422   (carries `errors`, one per field)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: str = "invalid"


class DomainError(Exception):
    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Request failed"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    title = "Not signed in"

    def __init__(self, detail: str = "Sign in, or send a valid bearer token.") -> None:
        super().__init__(detail)


class NotFound(DomainError):
    code = "not-found"
    status = 404
    title = "Not found"

    def __init__(self, what: str = "resource") -> None:
        super().__init__(f"No such {what}.")
        self.what = what


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    title = "Not allowed"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title = "Conflict"


class StaleVersion(Conflict):
    code = "stale-version"
    status = 412
    title = "Stale version"


class TooSoon(DomainError):
    """Slow mode: the discussion takes one post per member every so many seconds."""

    code = "too-soon"
    status = 429
    title = "Too soon"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(f"Slow mode: post again in {self.retry_after} s.")


class TooLarge(DomainError):
    code = "too-large"
    status = 413
    title = "Too large"


class UnsupportedMedia(DomainError):
    code = "unsupported-media"
    status = 415
    title = "Unsupported media type"


class Invalid(DomainError):
    code = "invalid"
    status = 422
    title = "Invalid input"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []

    @classmethod
    def field(cls, field: str, message: str, code: str = "invalid") -> Invalid:
        return cls(message, [FieldError(field, message, code)])
