"""Contract: the archive appends on per-MN hash chains, deduplicates redeliveries and verifies."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from monitoring.archive.models import GENESIS_HASH, AuthStatus, link_hash
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.contract.storage.conftest import NOW

pytestmark = pytest.mark.contract


def test_archive_appends_link_each_frame_to_the_previous(store: Store) -> None:
    # Given three frames from one terminal
    recs = [store.archive.append(b.raw_frame(at=NOW + timedelta(seconds=i), payload=b"F%d" % i)) for i in range(3)]
    # Then they form a chain from genesis
    assert [r.seq for r in recs] == [1, 2, 3]
    assert recs[0].prev_hash == GENESIS_HASH
    assert recs[1].prev_hash == recs[0].hash and recs[2].prev_hash == recs[1].hash
    assert recs[2].hash == link_hash(recs[1].hash, recs[2].frame)
    assert store.archive.head("MN0001") == recs[2]
    assert store.archive.verify("MN0001").ok and store.archive.verify("MN0001").checked == 3


def test_archive_redelivery_of_the_same_receipt_is_not_appended_twice(store: Store) -> None:
    frame = b.raw_frame(at=NOW)
    first = store.archive.append(frame)
    again = store.archive.append(frame)
    assert again == first
    # The same bytes received again later are a new receipt (terminals do resend) and are archived.
    assert store.archive.append(b.raw_frame(at=NOW + timedelta(seconds=1))).seq == 2


def test_archive_keeps_bytes_exactly_including_invalid_utf8(store: Store) -> None:
    payload = bytes(range(256))
    frame = b.raw_frame(
        at=NOW, payload=payload, auth=AuthStatus.UNREGISTERED, crc="modbus", listener="l1", session="s9"
    )
    store.archive.append(frame)
    got = store.archive.frames("MN0001", NOW, NOW + timedelta(seconds=1))
    assert [r.frame for r in got] == [frame]
    assert got[0].frame.raw == payload


def test_archive_chains_are_per_terminal(store: Store) -> None:
    store.archive.append(b.raw_frame("MN0001", at=NOW))
    store.archive.append(b.raw_frame("MN0002", at=NOW))
    assert store.archive.head("MN0002") is not None and store.archive.head("MN0002").seq == 1  # type: ignore[union-attr]
    assert store.archive.head("MN0009") is None
    assert store.archive.verify("MN0009").ok and store.archive.verify("MN0009").checked == 0


def test_archive_range_and_chain_paging(store: Store) -> None:
    for i in range(5):
        store.archive.append(b.raw_frame(at=NOW + timedelta(minutes=i), payload=b"F%d" % i))
    by_time = store.archive.frames("MN0001", NOW + timedelta(minutes=1), NOW + timedelta(minutes=3))
    assert [r.seq for r in by_time] == [2, 3]
    assert [r.seq for r in store.archive.chain("MN0001", from_seq=4)] == [4, 5]
    assert [r.seq for r in store.archive.chain("MN0001", limit=2)] == [1, 2]


def test_archive_range_containing_filters_the_first_limit_frames_by_their_bytes(store: Store) -> None:
    # Given five frames, two of which hold the bytes looked for
    payloads = [b"DataTime=A;x", b"DataTime=B;y", b"DataTime=A;z", b"other", b"DataTime=A;w"]
    for i, payload in enumerate(payloads):
        store.archive.append(b.raw_frame(at=NOW + timedelta(seconds=i), payload=payload))
    window = (NOW, NOW + timedelta(minutes=1))
    # Then only the matching frames come back, in chain order, and `limit` bounds the frames examined
    assert [r.seq for r in store.archive.frames("MN0001", *window, containing=b"DataTime=A")] == [1, 3, 5]
    assert [r.seq for r in store.archive.frames("MN0001", *window, limit=3, containing=b"DataTime=A")] == [1, 3]
    assert store.archive.frames("MN0001", *window, containing=b"\x00none") == []
    assert [r.seq for r in store.archive.frames("MN0001", *window, containing=b"")] == [1, 2, 3, 4, 5]


def test_archive_concurrent_appenders_never_fork_the_chain(store: Store) -> None:
    # Given four threads appending to the same terminal's chain at once (moto is serialised like real DynamoDB)
    failures: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(15):
                store.archive.append(b.raw_frame(at=NOW + timedelta(seconds=k * 100 + i), payload=b"T%dF%d" % (k, i)))
        except BaseException as exc:  # a thread's failure must fail the test, not vanish with the thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then no writer gave up, and every frame is on one unbroken chain
    assert failures == []
    result = store.archive.verify("MN0001")
    assert result.ok and result.checked == 60


def test_archive_append_many_chains_in_order_and_skips_redeliveries(store: Store) -> None:
    # Given a batch that contains one receipt twice and continues an existing chain
    store.archive.append(b.raw_frame(at=NOW))
    batch = [b.raw_frame(at=NOW + timedelta(seconds=i), payload=b"B%d" % i) for i in range(1, 4)]
    # When archived as a batch
    recs = store.archive.append_many([*batch, batch[0]])
    # Then it continues the chain, the duplicate maps to its first record, and the chain verifies
    assert [r.seq for r in recs] == [2, 3, 4, 2]
    assert store.archive.verify("MN0001").checked == 4 and store.archive.verify("MN0001").ok
