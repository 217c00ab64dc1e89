"""Sliding-window counters for sign-in failures and mail-sending endpoints.

In-process by default; shared through Redis (`ERFA_REDIS_URL`) when erfa runs as several
workers or hosts, so that an attacker cannot multiply the limit by the number of processes.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from starlette.exceptions import HTTPException


class TooManyRequests(HTTPException):
    """429 with `Retry-After`; raised by the doors when a limit is reached."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            detail=f"Too many attempts; try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    window_s: int


SIGN_IN_PER_ACCOUNT = Limit("sign-in:account", 10, 15 * 60)
SIGN_IN_PER_IP = Limit("sign-in:ip", 30, 15 * 60)
MAIL_PER_ACCOUNT = Limit("mail:account", 5, 60 * 60)
MAIL_PER_IP = Limit("mail:ip", 30, 60 * 60)
INVITATIONS_PER_SENDER = Limit("invite:sender", 100, 60 * 60)
LINK_FAILURES_PER_IP = Limit("link:ip", 30, 15 * 60)
"""Unknown, spent or expired invitation and reset links tried from one address."""


class Backend(Protocol):
    def retry_after(self, key: str, limit: Limit) -> int | None: ...
    def hit(self, key: str, limit: Limit) -> str: ...
    def take_back(self, key: str, hit: str) -> None: ...


class MemoryBackend:
    def __init__(self) -> None:
        self._hits: dict[str, deque[tuple[float, str]]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def _live(self, key: str, window_s: int, now: float) -> deque[tuple[float, str]]:
        hits = self._hits.get(key, deque())
        while hits and hits[0][0] <= now - window_s:
            hits.popleft()
        return hits

    def retry_after(self, key: str, limit: Limit) -> int | None:
        now = time.monotonic()
        with self._lock:
            hits = self._live(key, limit.window_s, now)
            if len(hits) < limit.count:
                return None
            return max(1, math.ceil(hits[-limit.count][0] + limit.window_s - now))

    def hit(self, key: str, limit: Limit) -> str:
        marker = uuid.uuid4().hex
        now = time.monotonic()
        with self._lock:
            self._hits.setdefault(key, deque()).append((now, marker))
            self._calls += 1
            if self._calls % 1000 == 0:  # forget keys whose window has passed
                for stale in [k for k, v in self._hits.items() if v[-1][0] <= now - 24 * 3600]:
                    del self._hits[stale]
        return marker

    def take_back(self, key: str, hit: str) -> None:
        with self._lock:
            hits = self._hits.get(key)
            if hits:
                self._hits[key] = deque(entry for entry in hits if entry[1] != hit)


class RedisBackend:
    """One sorted set per key: members are hits, scores their times."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def retry_after(self, key: str, limit: Limit) -> int | None:
        now = time.time()
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(key, "-inf", now - limit.window_s)
        pipe.zrange(key, -limit.count, -limit.count, withscores=True)
        pipe.zcard(key)
        _, oldest, count = pipe.execute()
        if count < limit.count or not oldest:
            return None
        oldest_at = float(oldest[0][1])
        return max(1, math.ceil(oldest_at + limit.window_s - now))

    def hit(self, key: str, limit: Limit) -> str:
        marker = uuid.uuid4().hex
        pipe = self._redis.pipeline()
        pipe.zadd(key, {marker: time.time()})
        pipe.expire(key, limit.window_s)
        pipe.execute()
        return marker

    def take_back(self, key: str, hit: str) -> None:
        self._redis.zrem(key, hit)


class RateLimiter:
    def __init__(self, backend: Backend, namespace: str = "erfa:rl") -> None:
        self.backend = backend
        self.namespace = namespace

    def _key(self, limit: Limit, subject: str) -> str:
        return f"{self.namespace}:{limit.name}:{subject.lower()}"

    def retry_after(self, *checks: tuple[Limit, str]) -> int | None:
        """Seconds until every named limit has room again, or None if all have room now."""
        waits = [self.backend.retry_after(self._key(limit, s), limit) for limit, s in checks]
        blocked = [wait for wait in waits if wait is not None]
        return max(blocked) if blocked else None

    def hit(self, *checks: tuple[Limit, str]) -> list[tuple[str, str]]:
        """Count one use against each limit; returns what `take_back` needs to undo it."""
        hits = []
        for limit, subject in checks:
            key = self._key(limit, subject)
            hits.append((key, self.backend.hit(key, limit)))
        return hits

    def take_back(self, hits: list[tuple[str, str]]) -> None:
        for key, hit in hits:
            self.backend.take_back(key, hit)

    def attempt(self, *checks: tuple[Limit, str]) -> list[tuple[str, str]]:
        """Count an attempt before it is made, so that parallel attempts cannot all slip
        through one check; TooManyRequests (and nothing counted) when a limit is used up.
        A successful attempt is taken back by the caller: only failures are limited."""
        hits = self.hit(*checks)
        waits = [
            self.backend.retry_after(
                self._key(limit, subject), Limit(limit.name, limit.count + 1, limit.window_s)
            )
            for limit, subject in checks
        ]
        blocked = [wait for wait in waits if wait is not None]
        if blocked:
            self.take_back(hits)
            raise TooManyRequests(max(blocked))
        return hits

    def consume(self, *checks: tuple[Limit, str]) -> None:
        """Count one more use, or raise TooManyRequests when a limit is used up."""
        self.attempt(*checks)

    def refuse_if_exhausted(self, *checks: tuple[Limit, str]) -> None:
        """Raise TooManyRequests when a limit is used up; count nothing (failures count later)."""
        if (wait := self.retry_after(*checks)) is not None:
            raise TooManyRequests(wait)


class PostingPace:
    """`ERFA_MIN_POST_INTERVAL_S`: an official posts (starts a discussion, replies, shares)
    at most once per interval; 0 turns it off. A post that fails is not counted."""

    def __init__(self, limiter: RateLimiter, interval_s: float) -> None:
        self.limiter = limiter
        self.limit = (
            Limit("post:official", 1, max(1, math.ceil(interval_s))) if interval_s else None
        )

    @contextmanager
    def post(self, user_id: int | None) -> Iterator[None]:
        if self.limit is None or user_id is None:
            yield
            return
        hits = self.limiter.attempt((self.limit, str(user_id)))
        try:
            yield
        except BaseException:
            self.limiter.take_back(hits)
            raise


def create_rate_limiter(redis_url: str | None) -> RateLimiter:
    return RateLimiter(RedisBackend(redis_url) if redis_url else MemoryBackend())
