"""Contract: the chain over delivered archive objects extends per MN per object, is idempotent, and verifies."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from monitoring.archive.delivered import object_digest
from monitoring.archive.models import GENESIS_HASH, RawFrame, link_hash
from monitoring.errors import StorageUnavailableError
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.contract.storage.conftest import NOW

pytestmark = pytest.mark.contract


def _object(start: int, count: int, mns: Sequence[str] = ("MN0001", "MN0002")) -> list[RawFrame]:
    """Frames of several terminals interleaved, as Firehose delivers them."""
    return [
        b.raw_frame(mn=mn, at=NOW + timedelta(seconds=start + i), payload=b"F%d" % (start + i))
        for i in range(count)
        for mn in mns
    ]


def test_each_object_extends_each_terminals_chain_by_one_segment(store: Store) -> None:
    chains = store.chain_heads
    first, second = _object(0, 3), _object(3, 2)
    done = chains.extend_from_object("raw/a.gz", object_digest(b"a"), first)
    chains.extend_from_object("raw/b.gz", object_digest(b"b"), second)
    assert (done.records, done.mns, done.digest) == (6, 2, object_digest(b"a"))
    segments = chains.segments("MN0001")
    assert [(s.object_key, s.first_seq, s.last_seq) for s in segments] == [("raw/a.gz", 1, 3), ("raw/b.gz", 4, 5)]
    # the links are the per-frame hash chain of the MN's frames in delivery order, from genesis
    prev = GENESIS_HASH
    for frame in [f for f in first + second if f.mn == "MN0001"]:
        prev = link_hash(prev, frame)
    assert chains.head("MN0001") == segments[-1] and segments[-1].hash == prev
    assert segments[0].prev_hash == GENESIS_HASH and segments[1].prev_hash == segments[0].hash
    objects = {"raw/a.gz": first, "raw/b.gz": second}
    assert chains.verify("MN0001", objects.__getitem__).ok
    assert chains.verify("MN0002", objects.__getitem__).checked == 5


def test_a_redelivered_object_adds_nothing(store: Store) -> None:
    chains = store.chain_heads
    frames = _object(0, 2)
    first = chains.extend_from_object("raw/a.gz", "d1", frames)
    again = chains.extend_from_object("raw/a.gz", "d1", frames)
    assert again == first and chains.delivered("raw/a.gz") == first
    assert [s.first_seq for s in chains.segments("MN0001")] == [1]


def test_an_interrupted_run_is_finished_without_extending_a_chain_twice(store: Store) -> None:
    chains = store.chain_heads
    frames = _object(0, 2)
    # Given a run that extended MN0001 and then failed writing MN0002's segment (a store outage)
    real = chains._insert_segment  # type: ignore[attr-defined]

    def failing(segment: Any) -> None:
        if segment.mn == "MN0002":
            raise StorageUnavailableError("throttled")
        real(segment)

    chains._insert_segment = failing  # type: ignore[attr-defined]
    with pytest.raises(StorageUnavailableError):
        chains.extend_from_object("raw/a.gz", "d1", frames)
    chains._insert_segment = real  # type: ignore[attr-defined]
    assert chains.delivered("raw/a.gz") is None  # the digest is written last
    # When the event is retried
    chains.extend_from_object("raw/a.gz", "d1", frames)
    # Then each terminal holds the object's frames once
    assert [(s.object_key, s.last_seq) for s in chains.segments("MN0001")] == [("raw/a.gz", 2)]
    assert [(s.object_key, s.last_seq) for s in chains.segments("MN0002")] == [("raw/a.gz", 2)]
    assert chains.delivered("raw/a.gz") is not None


def test_verification_points_at_the_first_altered_frame(store: Store) -> None:
    chains = store.chain_heads
    first, second = _object(0, 3), _object(3, 3)
    chains.extend_from_object("raw/a.gz", "d1", first)
    chains.extend_from_object("raw/b.gz", "d2", second)
    # MN0001's frames: seq 1..3 in a, 4..6 in b; alter its 5th (the 2nd of b: index 2 of the interleaved list)
    assert second[2].mn == "MN0001"
    tampered = list(second)
    tampered[2] = dataclasses.replace(second[2], raw=b"altered")
    objects = {"raw/a.gz": first, "raw/b.gz": tampered}
    result = chains.verify("MN0001", objects.__getitem__)
    assert (result.ok, result.first_broken_seq, result.checked) == (False, 5, 4)
    assert chains.verify("MN0002", objects.__getitem__).ok  # the other terminal's chain is intact
    # a frame removed from an object is reported where it was
    objects["raw/b.gz"] = [f for f in second if f is not second[4]]
    missing = chains.verify("MN0001", objects.__getitem__)
    assert (missing.ok, missing.first_broken_seq) == (False, 6)


def test_objects_chained_at_once_never_fork_a_terminals_chain(store: Store) -> None:
    # Given four functions chaining different objects of the same terminals at the same time
    failures: list[BaseException] = []
    objects = {f"raw/{k}.gz": _object(k * 100, 5) for k in range(4)}

    def work(key: str) -> None:
        try:
            store.chain_heads.extend_from_object(key, key, objects[key])
        except BaseException as exc:  # a thread's failure must fail the test, not vanish with the thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(key,)) for key in objects]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then each terminal's chain holds every object once, contiguous and verifiable
    assert failures == []
    for mn in ("MN0001", "MN0002"):
        segments = store.chain_heads.segments(mn)
        assert sorted(s.object_key for s in segments) == sorted(objects)
        result = store.chain_heads.verify(mn, objects.__getitem__)
        assert result.ok and result.checked == 20
