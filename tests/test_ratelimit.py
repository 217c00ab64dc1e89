"""Rate limits, in process and shared through the machine's real Redis."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from limits.storage import MemoryStorage

from erfa import ratelimit
from erfa.ratelimit import (
    Limit,
    LimiterUnavailable,
    RateLimiter,
    TooManyRequests,
    create_rate_limiter,
)

REDIS_URL = os.environ.get("ERFA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
LIMIT = Limit("test", 3, 60)
EXACT = Limit("test-exact", 1, 60, exact=True)


def redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        reason = f"Redis at {REDIS_URL} does not answer ({exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


def _drop(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> Iterator[RateLimiter]:
    if request.param == "memory":
        yield create_rate_limiter(None)
        return
    redis_or_skip()
    prefix = f"erfa-test-{uuid.uuid4().hex}"
    yield create_rate_limiter(REDIS_URL, key_prefix=prefix)
    _drop(prefix)


def test_a_limit_blocks_after_its_count_and_says_how_long(limiter: RateLimiter) -> None:
    for _ in range(3):
        limiter.consume((LIMIT, "karin@nora.se"))
    with pytest.raises(TooManyRequests) as refused:
        limiter.consume((LIMIT, "karin@nora.se"))
    assert 0 < refused.value.retry_after <= 60
    assert refused.value.headers == {"Retry-After": str(refused.value.retry_after)}
    limiter.consume((LIMIT, "other@nora.se"))


def test_subjects_are_case_insensitive(limiter: RateLimiter) -> None:
    for _ in range(3):
        limiter.record((LIMIT, "Karin@Nora.se"))
    with pytest.raises(TooManyRequests):
        limiter.refuse_if_exhausted((LIMIT, "karin@nora.se"))


def test_an_exact_limit_allows_one_use_per_window_and_a_reset_gives_it_back(
    limiter: RateLimiter,
) -> None:
    limiter.consume((EXACT, "7"))
    with pytest.raises(TooManyRequests):
        limiter.consume((EXACT, "7"))
    limiter.reset((EXACT, "7"))
    limiter.consume((EXACT, "7"))


def test_sign_in_failures_count_and_a_success_clears_the_account(limiter: RateLimiter) -> None:
    def fail(email: str, ip: str) -> None:
        with pytest.raises(WrongPassword), ratelimit.sign_in_attempt(limiter, email, ip):
            raise WrongPassword()

    for _ in range(9):
        fail("karin@nora.se", "10.0.0.1")
    with ratelimit.sign_in_attempt(limiter, "karin@nora.se", "10.0.0.1"):
        pass  # the right password: the account's failures are forgotten
    for _ in range(10):
        fail("karin@nora.se", "10.0.0.2")
    with (
        pytest.raises(TooManyRequests),
        ratelimit.sign_in_attempt(limiter, "karin@nora.se", "10.0.0.3"),
    ):
        pass  # refused before the password is checked, even the right one


def test_two_processes_share_a_redis_limit() -> None:
    redis_or_skip()
    prefix = f"erfa-test-{uuid.uuid4().hex}"
    first = create_rate_limiter(REDIS_URL, key_prefix=prefix)
    second = create_rate_limiter(REDIS_URL, key_prefix=prefix)
    try:
        for limiter in (first, second, first):
            limiter.consume((LIMIT, "10.0.0.1"))
        with pytest.raises(TooManyRequests):
            second.consume((LIMIT, "10.0.0.1"))
    finally:
        _drop(prefix)


class WrongPassword(Exception):
    pass


def _keys(limiter: RateLimiter) -> int:
    storage = limiter.storage
    assert isinstance(storage, MemoryStorage)
    return len(storage.storage) + len([key for key, hits in storage.events.items() if hits])


def test_a_flood_of_refused_sign_ins_keeps_the_store_bounded() -> None:
    """100 000 made-up addresses from one IP address: after its 30 failures every attempt
    is refused before anything is counted, so the store holds a few dozen keys."""
    limiter = create_rate_limiter(None)
    refused = 0
    for n in range(100_000):
        try:
            with ratelimit.sign_in_attempt(limiter, f"guess{n}@nora.se", "203.0.113.9"):
                raise LookupError("no such official")
        except TooManyRequests:
            refused += 1
        except LookupError:
            pass
    assert refused == 100_000 - 30
    assert _keys(limiter) <= 2 * 31  # two sliding-window counters per subject at most


def test_the_keys_of_addresses_expire_with_their_window() -> None:
    limiter = create_rate_limiter(None)
    short = Limit("short", 2, 1)
    for n in range(1000):
        limiter.record((short, f"198.51.100.{n}"))
    assert _keys(limiter) >= 1000
    time.sleep(2.2)  # the counters live for two windows
    limiter.record((short, "one more"))
    time.sleep(0.1)  # the store drops expired keys just after a use
    assert _keys(limiter) <= 2


def test_a_limiter_whose_redis_does_not_answer_fails_closed_with_503() -> None:
    limiter = create_rate_limiter("redis://127.0.0.1:1/0")  # nothing listens on port 1
    with pytest.raises(LimiterUnavailable) as refused:
        limiter.consume((LIMIT, "karin@nora.se"))
    assert refused.value.status_code == 503
    assert refused.value.headers == {"Retry-After": "5"}


def test_ten_failures_just_before_a_window_boundary_still_lock_the_account_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ten failures per account within 15 minutes is exact: a counter that weighs the previous
    window (sliding window counter) let the 11th guess through right after a boundary."""
    window = ratelimit.SIGN_IN_PER_ACCOUNT.window_s
    boundary = (time.time() // window + 1) * window
    now = [boundary - 2.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    limiter = create_rate_limiter(None)

    for _ in range(10):
        with pytest.raises(WrongPassword), ratelimit.sign_in_attempt(limiter, "eva@avesta.se", "a"):
            raise WrongPassword()
    now[0] = boundary + 1.0

    with (
        pytest.raises(TooManyRequests),
        ratelimit.sign_in_attempt(limiter, "eva@avesta.se", "10.0.0.9"),
    ):
        pass
