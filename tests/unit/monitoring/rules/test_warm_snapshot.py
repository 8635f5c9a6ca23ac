"""A shard's windows as a snapshot blob: exact round trip; anything but a whole format-1 snapshot of it is None."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitoring.evaluation.models import Sample
from monitoring.rules.warm_snapshot import FORMAT, WarmSnapshot, decode, encode, snapshot_key

pytestmark = pytest.mark.unit
CST = timezone(timedelta(hours=8))
T = datetime(2026, 11, 24, 8, 0, tzinfo=CST)


def _snapshot() -> WarmSnapshot:
    samples = [
        Sample(T, p=60, ia=1.25, ua=231.0, energy=1234.5, received_at=T + timedelta(seconds=3)),
        Sample(T + timedelta(minutes=1), p=None, flag="D", received_at=None),
        Sample((T + timedelta(minutes=2)).astimezone(UTC), p=-0.3),
    ]
    windows = {"P1": (T, T + timedelta(minutes=80), samples), "P2": (T, T + timedelta(minutes=80), [])}
    state = ("tick:rugao:2", "w1-7", {"marks:E1": '{"a":1}', "status:E2": None})
    return WarmSnapshot("rugao", 2, T + timedelta(minutes=83), windows, state)


def test_a_snapshot_round_trips_exactly_offsets_and_integers_included() -> None:
    snap = _snapshot()
    back = decode(encode(snap), "rugao", 2)
    assert back == snap
    assert back is not None
    first = back.windows["P1"][2][0]
    assert isinstance(first.p, int) and first.at.utcoffset() == timedelta(hours=8)  # evidence shows them alike
    assert back.windows["P1"][2][2].at.utcoffset() == timedelta(0)


def _tampered(change: dict[str, object]) -> bytes:
    doc = json.loads(gzip.decompress(encode(_snapshot())))
    doc.update(change)
    return gzip.compress(json.dumps(doc).encode())


def test_anything_but_a_whole_snapshot_of_this_shard_is_refused() -> None:
    data = encode(_snapshot())
    assert decode(data, "rugao", 2) is not None
    assert decode(data[:-9], "rugao", 2) is None  # truncated
    assert decode(b"not gzip at all", "rugao", 2) is None
    assert decode(data, "rugao", 1) is None and decode(data, "rudong", 2) is None  # another shard's
    assert decode(_tampered({"format": FORMAT + 1}), "rugao", 2) is None
    assert decode(_tampered({"tick": "2026-11-24T08:00"}), "rugao", 2) is None  # no offset
    assert decode(_tampered({"state": {"key": "tick:rugao:2", "stamp": "", "docs": {}}}), "rugao", 2) is None
    assert decode(_tampered({"state": {"key": "k", "stamp": "s", "docs": {"a": 1}}}), "rugao", 2) is None
    doc = json.loads(gzip.decompress(data))
    doc["points"]["P1"][2][0][0] = (T - timedelta(minutes=1)).isoformat()  # a sample before its window
    assert decode(gzip.compress(json.dumps(doc).encode()), "rugao", 2) is None
    doc = json.loads(gzip.decompress(data))
    doc["points"]["P1"][2][1][1] = "60"  # a value that is not a number
    assert decode(gzip.compress(json.dumps(doc).encode()), "rugao", 2) is None
    doc = json.loads(gzip.decompress(data))
    doc["points"]["P1"][2].reverse()  # out of order
    assert decode(gzip.compress(json.dumps(doc).encode()), "rugao", 2) is None


def test_keys_name_county_and_shard_and_cannot_leave_the_prefix() -> None:
    assert snapshot_key("rugao", 3) == "rules-snapshots/rugao/3.json.gz"
    assert snapshot_key("../x/y", 0) == "rules-snapshots/..%2Fx%2Fy/0.json.gz"
