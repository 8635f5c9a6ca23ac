"""Token buckets and the per-source new-connection limiter."""

from __future__ import annotations

import pytest

from iot_ingest.limits import SourceRateLimiter, TokenBucket

pytestmark = pytest.mark.unit


def test_token_bucket_take_refuses_when_empty_then_refills() -> None:
    b = TokenBucket(2, 1.0, now=0.0)
    assert b.take(0.0) and b.take(0.0)
    assert not b.take(0.0)
    assert b.take(1.0)  # one second later one token is back


def test_token_bucket_drain_overdraws_and_reports_exhaustion() -> None:
    b = TokenBucket(10, 1.0, now=0.0)
    assert b.drain(0.0, 10)
    assert not b.drain(0.0, 1)
    assert b.drain(5.0, 0)  # five seconds later the balance is -1 + 5 = 4 again


def test_source_rate_limiter_limits_each_source_separately() -> None:
    lim = SourceRateLimiter(rate=1.0, burst=2)
    assert lim.allow("a", 0.0) and lim.allow("a", 0.0)
    assert not lim.allow("a", 0.0)
    assert lim.allow("b", 0.0)


def test_source_rate_limiter_memory_is_bounded() -> None:
    lim = SourceRateLimiter(rate=1.0, burst=1, max_sources=3)
    for i in range(3):
        assert lim.allow(str(i), 0.0)
    # Table full of sources whose buckets are empty: a new source is refused rather than growing the table.
    assert not lim.allow("x", 0.0)
    # Once their buckets refilled they are forgotten and new sources are admitted.
    assert lim.allow("x", 10.0)
    assert len(lim) == 1
