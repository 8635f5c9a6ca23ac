"""The manifest chain over delivered objects (memory store, versioned objects in memory): what each manifest
records, how a cold start finds each MN's previous entry, and every kind of tampering verification names."""

from __future__ import annotations

import dataclasses
import gzip
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from functions.adapters.archive_objects import frames_of
from monitoring.archive import manifest as mf
from monitoring.archive.manifest_chain import ManifestChain, verify
from monitoring.archive.models import GENESIS_HASH, AuthStatus, RawFrame
from monitoring.errors import InvalidInputError
from monitoring.storage.chain_heads_memory import MemoryChainHeadsRepository
from tests.support.archive_objects import VersionedObjects, delivered

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _frame(mn: str, n: int) -> RawFrame:
    raw = b"##0101QN=20261128100000000;ST=32;CN=2011;MN=%s;CP=&&P01-Rtd=%d&&ABCD\r\n" % (mn.encode(), n)
    return RawFrame(mn, raw, NOW + timedelta(seconds=n), "203.0.113.7:50122", AuthStatus.OK, "hj212", "2011")


def _setup(
    objects_frames: Sequence[Sequence[RawFrame]], *, lookback: int = 16
) -> tuple[MemoryChainHeadsRepository, VersionedObjects]:
    store, objects = MemoryChainHeadsRepository(), VersionedObjects()
    chain = ManifestChain(store, objects, frames_of, lookback=lookback)
    for k, frames in enumerate(objects_frames):
        objects.put(f"raw/{k}.gz", delivered(frames))
        chain.chain(f"raw/{k}.gz")
    return store, objects


def _three() -> list[list[RawFrame]]:
    return [
        [_frame("A", 1), _frame("B", 1), _frame("A", 2)],
        [_frame("B", 2), _frame("A", 3), _frame("A", 4), _frame("B", 3)],
        [_frame("A", 5), _frame("B", 4)],
    ]


def _manifest(store: MemoryChainHeadsRepository, objects: VersionedObjects, seq: int) -> mf.Manifest:
    link = store.at(seq)
    assert link is not None
    data = objects.get(link.manifest_key)
    assert data is not None
    return mf.decode(data)


def test_each_manifest_records_positions_digests_and_links_each_mn_to_its_previous_entry() -> None:
    frames = _three()
    store, objects = _setup(frames)
    links = store.links()
    assert [(link.seq, link.records, link.mns) for link in links] == [(1, 3, 2), (2, 4, 2), (3, 2, 2)]
    assert links[0].prev_hash == GENESIS_HASH and links[1].prev_hash == links[0].hash
    second = _manifest(store, objects, 2)
    assert second.object_sha256 == mf.sha256(objects.get("raw/1.gz") or b"")
    a = second.entry("A")
    assert a is not None and (a.first, a.last, a.count) == (1, 2, 2)
    assert a.frames_sha256 == mf.frames_digest([_frame("A", 3), _frame("A", 4)])
    first_a = _manifest(store, objects, 1).entry("A")
    assert first_a is not None and first_a.prev is None
    assert a.prev == mf.MnRef("raw/0.gz", first_a.hash, 1)  # walkable: manifest_key("raw/0.gz", 1)
    assert mf.decode(mf.encode(second)) == second
    assert verify(store, objects, frames_of).frames == {"A": 5, "B": 4}


def test_a_warm_run_reads_no_earlier_manifest_and_a_cold_one_at_most_its_lookback() -> None:
    store, objects = _setup(_three())
    objects.put("raw/3.gz", delivered([_frame("A", 6)]))
    objects.put("raw/4.gz", delivered([_frame("A", 7)]))
    gets = objects.requests["get"]
    cold = ManifestChain(store, objects, frames_of, lookback=2)
    cold.chain("raw/3.gz")
    assert objects.requests["get"] - gets == 1 + 2  # the object, then manifests 2 and 3
    gets = objects.requests["get"]
    cold.chain("raw/4.gz")  # now warm
    assert objects.requests["get"] - gets == 1  # the object only
    # Given B silent for longer than the lookback, a cold start cannot see its previous entry: no link, accepted
    store, objects = _setup([*_three(), [_frame("A", 6)], [_frame("A", 7)], [_frame("B", 5)]], lookback=2)
    last = _manifest(store, objects, 6).entry("B")
    assert last is not None and last.prev is not None  # the warm container still held B's head
    cold_store, cold_objects = MemoryChainHeadsRepository(), VersionedObjects()
    for k, frames in enumerate([*_three(), [_frame("A", 6)], [_frame("A", 7)], [_frame("B", 5)]]):
        cold_objects.put(f"raw/{k}.gz", delivered(frames))
        ManifestChain(cold_store, cold_objects, frames_of, lookback=2).chain(f"raw/{k}.gz")
    entry = _manifest(cold_store, cold_objects, 6).entry("B")
    assert entry is not None and entry.prev is None
    assert verify(cold_store, cold_objects, frames_of, lookback=2).ok
    # but verification with a longer lookback than the writer's names the unlinked entry
    assert [p.mn for p in verify(cold_store, cold_objects, frames_of, lookback=3).problems] == ["B"]


def _problems(store: MemoryChainHeadsRepository, objects: VersionedObjects) -> list[tuple[int, str, str]]:
    return [(p.seq, p.mn, p.message) for p in verify(store, objects, frames_of).problems]


def test_a_changed_byte_in_an_object_is_named_with_the_terminals_it_touches() -> None:
    store, objects = _setup(_three())
    assert _problems(store, objects) == []
    # one frame's value changed: the object's digest and that MN's entry no longer match
    tampered = _three()[1]
    tampered[2] = dataclasses.replace(tampered[2], raw=tampered[2].raw.replace(b"Rtd=4", b"Rtd=9"))
    objects.put("raw/1.gz", delivered(tampered))
    assert _problems(store, objects) == [
        (2, "", "数据对象的字节已被改动（哈希与清单不符）"),
        (2, "A", "数据帧与清单不符（改动、缺失或顺序错乱）"),
    ]


def test_a_byte_changed_outside_any_frame_is_still_caught() -> None:
    store, objects = _setup(_three())
    body = gzip.decompress(objects.get("raw/2.gz") or b"") + b"not a record\n"
    objects.put("raw/2.gz", gzip.compress(body))
    assert _problems(store, objects) == [(3, "", "数据对象的字节已被改动（哈希与清单不符）")]


def test_reordered_frames_of_one_terminal_are_caught() -> None:
    store, objects = _setup(_three())
    swapped = _three()[1]
    swapped[1], swapped[2] = swapped[2], swapped[1]
    objects.put("raw/1.gz", delivered(swapped))
    assert [(s, mn) for s, mn, _ in _problems(store, objects)] == [(2, ""), (2, "A")]


def test_a_deleted_object_a_deleted_manifest_and_a_replaced_manifest_are_caught() -> None:
    store, objects = _setup(_three())
    objects.delete("raw/0.gz")
    assert _problems(store, objects) == [(1, "", "数据对象已被删除")]
    store, objects = _setup(_three())
    second = store.at(2)
    assert second is not None
    objects.delete(second.manifest_key)
    assert _problems(store, objects) == [(2, "", f"清单 {second.manifest_key} 已被删除")]
    # a manifest rewritten to match a rewritten object (a new version of both): the chain's hash catches it
    store, objects = _setup(_three())
    forged_frames = _three()[1][:2]
    objects.put("raw/1.gz", delivered(forged_frames))
    forged = dataclasses.replace(_manifest(store, objects, 2), object_sha256=mf.sha256(objects.get("raw/1.gz") or b""))
    objects.put(second.manifest_key, mf.encode(forged))
    assert _problems(store, objects)[0] == (2, "", f"清单 {second.manifest_key} 已被替换或改动（哈希与链不符）")


def test_a_link_removed_from_the_chain_breaks_the_global_chain_and_each_terminals_continuity() -> None:
    store, objects = _setup(_three())
    del store._links_by_seq[2]  # as a deleted item would
    problems = _problems(store, objects)
    assert (2, "", "全局链缺少第 2–2 环") in problems
    assert {(s, mn) for s, mn, _ in problems if mn} == {(3, "A"), (3, "B")}


def test_a_manifest_that_is_not_one_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        mf.decode(b"not gzip")
    with pytest.raises(InvalidInputError):
        mf.decode(gzip.compress(b'{"v": 2}'))


def test_a_delivered_object_no_link_names_is_reported_when_the_deliveries_are_listed() -> None:
    store, objects = _setup(_three())
    objects.put("raw/3.gz", delivered([_frame("A", 6)]))  # delivered, never chained (the function failed for good)
    assert verify(store, objects, frames_of).ok  # the chain alone cannot know
    found = verify(store, objects, frames_of, delivered="raw/").problems
    assert [(p.seq, p.object_key, p.message) for p in found] == [
        (0, "raw/3.gz", "数据对象未上链（链函数未处理，或刚送达）")
    ]
