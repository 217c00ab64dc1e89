"""Rate limits, in process and shared through the machine's real Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from erfa.ratelimit import Limit, MemoryBackend, RateLimiter, RedisBackend

REDIS_URL = os.environ.get("ERFA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
LIMIT = Limit("test", 3, 60)


def redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        reason = f"Redis at {REDIS_URL} does not answer ({exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> Iterator[RateLimiter]:
    if request.param == "memory":
        yield RateLimiter(MemoryBackend())
        return
    redis_or_skip()
    namespace = f"erfa-test:{uuid.uuid4().hex}"
    yield RateLimiter(RedisBackend(REDIS_URL), namespace=namespace)
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{namespace}:*"):
        client.delete(key)
    client.close()


def test_a_limit_blocks_after_its_count_and_says_how_long(limiter: RateLimiter) -> None:
    for _ in range(3):
        assert limiter.retry_after((LIMIT, "karin@nora.se")) is None
        limiter.hit((LIMIT, "karin@nora.se"))
    wait = limiter.retry_after((LIMIT, "karin@nora.se"))
    assert wait is not None
    assert 0 < wait <= 60
    assert limiter.retry_after((LIMIT, "other@nora.se")) is None


def test_subjects_are_case_insensitive(limiter: RateLimiter) -> None:
    for _ in range(3):
        limiter.hit((LIMIT, "Karin@Nora.se"))
    assert limiter.retry_after((LIMIT, "karin@nora.se")) is not None


def test_two_processes_share_a_redis_limit() -> None:
    redis_or_skip()
    namespace = f"erfa-test:{uuid.uuid4().hex}"
    first = RateLimiter(RedisBackend(REDIS_URL), namespace=namespace)
    second = RateLimiter(RedisBackend(REDIS_URL), namespace=namespace)
    for limiter in (first, second, first):
        limiter.hit((LIMIT, "10.0.0.1"))
    assert second.retry_after((LIMIT, "10.0.0.1")) is not None
