"""Token buckets, bounded tables of them, and the abuse accounting per source address."""

from __future__ import annotations

import pytest

from iot_ingest.limits import KeyedBuckets, SilentConnections, SourceAbuse, TokenBucket

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


def test_keyed_buckets_memory_is_bounded() -> None:
    table = KeyedBuckets(1, 1.0, max_keys=3)
    for i in range(3):
        bucket = table.get(str(i), 0.0)
        assert bucket is not None and bucket.take(0.0)
    # Table full of keys whose buckets are empty: a new key gets no bucket rather than growing the table.
    assert table.get("x", 0.0) is None
    # Once their buckets refilled they are forgotten and new keys are admitted.
    assert table.get("x", 10.0) is not None
    assert len(table) == 1


def test_source_abuse_connections_that_authenticate_never_drain_the_source() -> None:
    abuse = SourceAbuse(rate=0.001, burst=3)
    # A thousand reconnects that each authenticate (refund) leave the address in good standing.
    for i in range(1000):
        assert abuse.connection("203.0.113.7", float(i))
        abuse.refund("203.0.113.7", float(i))
    assert not abuse.on_probation("203.0.113.7", 1000.0)


def test_source_abuse_unauthenticated_connections_put_only_their_source_on_probation() -> None:
    abuse = SourceAbuse(rate=1.0, burst=3)
    assert [abuse.connection("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert abuse.on_probation("a", 0.0) and not abuse.on_probation("b", 0.0)
    assert abuse.connection("b", 0.0)
    assert not abuse.on_probation("a", 1.0)  # one token back a second later


def test_source_abuse_charge_spends_down_to_zero_not_below() -> None:
    abuse = SourceAbuse(rate=1.0, burst=5)
    abuse.charge("a", 0.0, 100.0)
    assert abuse.on_probation("a", 0.0)
    assert not abuse.on_probation("a", 1.0)  # no debt was carried: one second refills one token


def test_silent_connections_evict_the_oldest_of_the_same_source_only() -> None:
    silent: SilentConnections[str] = SilentConnections(cap=2)
    assert silent.add("a", "a1") is None and silent.add("a", "a2") is None and silent.add("b", "b1") is None
    assert silent.add("a", "a3") == "a1"
    silent.discard("a", "a2")  # it sent its first frame
    assert silent.add("a", "a4") is None
    assert silent.count("a") == 2 and silent.count("b") == 1
    silent.discard("b", "b1")
    assert silent.count("b") == 0
