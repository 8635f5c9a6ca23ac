"""Token buckets per key: a burst, then one per refill interval; keys are independent; memory stays bounded."""

from __future__ import annotations

import pytest

from miniprogram_api.chalicelib.ratelimit import RateLimiter


@pytest.mark.unit
def test_burst_then_refill_per_key() -> None:
    limiter = RateLimiter(rate_per_s=0.5, burst=3)
    assert [limiter.take("a", 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", 100.0) == pytest.approx(2.0)  # one token per 2 s
    assert limiter.take("b", 100.0) == 0.0  # another address is not affected
    assert limiter.take("a", 101.0) == pytest.approx(1.0)
    assert limiter.take("a", 102.1) == 0.0


@pytest.mark.unit
def test_the_least_recently_seen_keys_are_forgotten_first() -> None:
    limiter = RateLimiter(rate_per_s=0.001, burst=1, max_keys=2)
    assert limiter.take("a", 0.0) == 0.0 and limiter.take("b", 0.0) == 0.0
    assert limiter.take("a", 0.0) > 0  # a is now the most recent
    assert limiter.take("c", 0.0) == 0.0  # b is forgotten, a is kept
    assert limiter.take("a", 0.0) > 0 and limiter.take("b", 0.0) == 0.0


@pytest.mark.unit
def test_wait_spends_nothing() -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=1)
    assert limiter.wait("a", 0.0) == 0.0 and limiter.wait("a", 0.0) == 0.0
    assert limiter.take("a", 0.0) == 0.0
    assert limiter.wait("a", 0.5) == pytest.approx(0.5)
