"""Rate limits: erfa's named limits, and the ways both doors apply them.

The counting itself is the `limits` library's moving window, kept in process by default
and shared through Redis (`ERFA_REDIS_URL`) when erfa runs as several workers or hosts, so
that an attacker cannot multiply a limit by the number of processes. A refused request
counts nothing, so refusals cannot grow the store (a flood of made-up sign-in addresses
stops at the per-address limit), and the keys of addresses and emails expire with their
window (`Limit`).

The doors call the recipes at the bottom (`sign_in_attempt`, `link_attempt`, `send_mail`,
`send_invitation`, `suggest`, `PostingPace`), never the counters directly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter
from limits.strategies import RateLimiter as RateLimiterStrategy
from starlette.exceptions import HTTPException


class TooManyRequests(HTTPException):
    """429 with `Retry-After`; raised when a limit is reached."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            detail=f"Too many attempts; try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class LimiterUnavailable(HTTPException):
    """503: the shared store of the limits does not answer. erfa fails closed rather than
    let sign-ins through uncounted."""

    def __init__(self) -> None:
        super().__init__(
            503, detail="The rate limiter is unavailable.", headers={"Retry-After": "5"}
        )


@dataclass(frozen=True)
class Limit:
    """`count` uses per `window_s` seconds. Limits count in a sliding window (two counters
    per subject, which expire with it); an `exact` limit keeps a moving window of every use
    instead, for small counts over a bounded set of subjects (officials, not addresses),
    where the sliding window's estimate would let two uses through at a window's edge."""

    name: str
    count: int
    window_s: int
    exact: bool = False

    @property
    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.count, self.window_s, namespace=self.name)


SIGN_IN_PER_ACCOUNT = Limit("sign-in:account", 10, 15 * 60, exact=True)
SIGN_IN_PER_IP = Limit("sign-in:ip", 30, 15 * 60, exact=True)
MAIL_PER_ACCOUNT = Limit("mail:account", 5, 60 * 60)
MAIL_PER_IP = Limit("mail:ip", 30, 60 * 60)
INVITATIONS_PER_SENDER = Limit("invite:sender", 100, 60 * 60, exact=True)
LINK_FAILURES_PER_IP = Limit("link:ip", 30, 15 * 60)
"""Unknown, spent or expired invitation and reset links tried from one address."""
SUGGESTIONS_PER_OFFICIAL = Limit("suggest:official", 120, 60, exact=True)
"""Mention suggestions: enough for typing, too few to walk the directory."""

PREVIEWS_PER_OFFICIAL = Limit("preview:official", 60, 60, exact=True)
"""Previews of a text being written (each renders up to a post's size): one a second on
average is more than any writer asks for."""

T = TypeVar("T")
Check = tuple[Limit, str]
"""A limit and the subject it counts (an address, an email, an official's id)."""


class RateLimiter:
    """Counters over one `limits` storage."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._sliding = SlidingWindowCounterRateLimiter(storage)
        self._moving = MovingWindowRateLimiter(storage)

    def _strategy(self, limit: Limit) -> RateLimiterStrategy:
        return self._moving if limit.exact else self._sliding

    def refuse_if_exhausted(self, *checks: Check) -> None:
        """TooManyRequests when any limit is used up; counts nothing."""
        waits = [self._wait(limit, subject) for limit, subject in checks]
        if blocked := [wait for wait in waits if wait is not None]:
            raise TooManyRequests(max(blocked))

    def consume(self, *checks: Check) -> None:
        """Count one use against each limit, or raise TooManyRequests and count nothing
        more. Each hit is atomic, so parallel requests cannot all slip through."""
        self.refuse_if_exhausted(*checks)
        for limit, subject in checks:
            if not self._call(self._strategy(limit).hit, limit, subject):
                raise TooManyRequests(self._wait(limit, subject) or 1)

    def record(self, *checks: Check) -> None:
        """Count a failure (already allowed through `refuse_if_exhausted`)."""
        for limit, subject in checks:
            self._call(self._strategy(limit).hit, limit, subject)

    def reset(self, *checks: Check) -> None:
        for limit, subject in checks:
            self._call(self._strategy(limit).clear, limit, subject)

    def _wait(self, limit: Limit, subject: str) -> int | None:
        """Seconds until the limit has room again; None when it has room now."""
        if self._call(self._strategy(limit).test, limit, subject):
            return None
        stats = self._call(self._strategy(limit).get_window_stats, limit, subject)
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _call(self, method: Callable[..., T], limit: Limit, subject: str) -> T:
        try:
            return method(limit.item, subject.lower())
        except StorageError as exc:
            raise LimiterUnavailable() from exc


def create_rate_limiter(redis_url: str | None, *, key_prefix: str = "erfa") -> RateLimiter:
    if redis_url is None:
        return RateLimiter(MemoryStorage())
    storage = RedisStorage(
        redis_url,
        key_prefix=key_prefix,
        wrap_exceptions=True,
        socket_timeout=2,
        socket_connect_timeout=2,
    )
    return RateLimiter(storage)


# The recipes: how each kind of request is limited, the same through both doors.


@contextmanager
def sign_in_attempt(limiter: RateLimiter, email: str, ip: str) -> Iterator[None]:
    """A password check (sign-in form, token endpoint, password change): 10 failures per
    account and 30 per address in 15 minutes. Leaving the block with an exception is a
    failure.

    The account's attempt is counted before the check, so parallel guesses cannot slip
    through; a success clears the account's count (only failures count), a failure adds
    to the address's.
    """
    account: Check = (SIGN_IN_PER_ACCOUNT, email.strip())
    address: Check = (SIGN_IN_PER_IP, ip)
    limiter.refuse_if_exhausted(address)
    limiter.consume(account)
    try:
        yield
    except BaseException:
        limiter.record(address)
        raise
    limiter.reset(account)


@contextmanager
def link_attempt(
    limiter: RateLimiter, ip: str, *, failures: tuple[type[Exception], ...]
) -> Iterator[None]:
    """Opening an invitation or reset link: unknown, spent or expired ones (`failures`)
    count against the address; 30 in 15 minutes, then 429."""
    check: Check = (LINK_FAILURES_PER_IP, ip)
    limiter.refuse_if_exhausted(check)
    try:
        yield
    except failures:
        limiter.record(check)
        raise


def send_mail(limiter: RateLimiter, email: str, ip: str) -> None:
    """A request that mails someone (password reset, sign-up): 5 per address, 30 per IP
    address an hour, whether or not the email belongs to anyone."""
    limiter.consume((MAIL_PER_ACCOUNT, email.strip()), (MAIL_PER_IP, ip))


def send_invitation(limiter: RateLimiter, sender_id: int | None) -> None:
    limiter.consume((INVITATIONS_PER_SENDER, str(sender_id)))


def suggest(limiter: RateLimiter, official_id: int | None) -> None:
    limiter.consume((SUGGESTIONS_PER_OFFICIAL, str(official_id)))


def preview(limiter: RateLimiter, official_id: int | None) -> None:
    limiter.consume((PREVIEWS_PER_OFFICIAL, str(official_id)))


class PostingPace:
    """`ERFA_MIN_POST_INTERVAL_S`: an official posts (starts a discussion, replies, edits,
    shares, reports a reuse) at most once per interval; 0 turns it off. A post that fails
    is not counted."""

    def __init__(self, limiter: RateLimiter, interval_s: float) -> None:
        self.limiter = limiter
        self.limit = (
            Limit("post:official", 1, max(1, math.ceil(interval_s)), exact=True)
            if interval_s
            else None
        )

    @contextmanager
    def post(self, user_id: int | None) -> Iterator[None]:
        if self.limit is None or user_id is None:
            yield
            return
        check: Check = (self.limit, str(user_id))
        self.limiter.consume(check)
        try:
            yield
        except BaseException:
            self.limiter.reset(check)
            raise
