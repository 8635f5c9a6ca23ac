"""Finding an alarm's frames in the S3 archive (memory links, objects in memory): only the objects of the window
are read, an object delivered out of order is still found, links without a receipt span are read conservatively,
positions hold when an object has a line that is no frame record, and the tail of links is bounded."""

from __future__ import annotations

import dataclasses
import gzip
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from functions.adapters.archive_objects import frames_of
from monitoring.archive import manifest as mf
from monitoring.archive.manifest_chain import ManifestChain
from monitoring.archive.models import AuthStatus, RawFrame
from monitoring.evidence import delivered as dv
from monitoring.evidence.delivered import DeliveredArchive
from monitoring.ingest.records import encode_record
from monitoring.storage.chain_heads_memory import MemoryChainHeadsRepository
from tests.support.archive_objects import VersionedObjects, delivered

pytestmark = pytest.mark.unit
T0 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


def _frame(mn: str, minute: int) -> RawFrame:
    raw = b"##0101QN=20261130%04d0000;ST=32;CN=2011;MN=%s;CP=&&P01-Rtd=%d&&ABCD\r\n" % (minute, mn.encode(), minute)
    return RawFrame(mn, raw, T0 + timedelta(minutes=minute), "203.0.113.7:1", AuthStatus.OK, "hj212", "2011")


def _ten_minutes(k: int) -> list[RawFrame]:
    return [f for m in range(k * 10, k * 10 + 10) for f in (_frame("A", m), _frame("B", m))]


def _chain(objects_frames: Sequence[Sequence[RawFrame]]) -> tuple[MemoryChainHeadsRepository, VersionedObjects]:
    links, objects = MemoryChainHeadsRepository(), VersionedObjects()
    chain = ManifestChain(links, objects, frames_of)
    for k, frames in enumerate(objects_frames):
        objects.put(f"raw/{k:02d}.gz", delivered(frames))
        chain.chain(f"raw/{k:02d}.gz")
    return links, objects


class Reads(VersionedObjects):
    def __init__(self, inner: VersionedObjects) -> None:
        super().__init__()
        self.versions, self.keys_read = inner.versions, []

    def get(self, key: str, version: str | None = None) -> bytes | None:
        self.keys_read.append(key)
        return super().get(key, version)


def test_only_the_window_s_objects_and_manifests_are_read() -> None:
    links, objects = _chain([_ten_minutes(k) for k in range(30)])  # five hours, one object per 10 minutes
    reads = Reads(objects)
    proof = DeliveredArchive(links, reads).proof(["A"], T0 + timedelta(minutes=105), T0 + timedelta(minutes=125), {})
    assert proof is not None
    (chain,) = proof.chains
    assert [e.link.seq for e in chain.entries] == [11, 12, 13]  # objects 10, 11, 12 (seq = index + 1)
    assert sorted(reads.keys_read) == sorted(
        [f"raw/{k:02d}.gz" for k in (10, 11, 12)] + [mf.manifest_key(f"raw/{k:02d}.gz", k + 1) for k in (10, 11, 12)]
    )
    assert [f.frame.received_at for f in chain.window] == [T0 + timedelta(minutes=m) for m in range(105, 126)]
    assert {f.frame.mn for e in chain.entries for f in e.frames} == {"A"}  # B's frames of those objects stay out
    assert [k.seq for k in proof.links] == list(range(11, 31)) and proof.reaches_head
    assert sorted(proof.manifests) == [11, 12, 13]


def test_an_object_delivered_out_of_order_is_found_with_the_entries_between() -> None:
    early = [f for m in range(30, 38) for f in (_frame("A", m), _frame("B", m))]
    late = [_frame("A", 38), _frame("A", 39)]  # received in minutes 38–39, delivered after minutes 40–49
    links, objects = _chain([_ten_minutes(k) for k in range(3)] + [early, _ten_minutes(4), late, _ten_minutes(5)])
    proof = DeliveredArchive(links, objects).proof(["A"], T0 + timedelta(minutes=35), T0 + timedelta(minutes=39), {})
    assert proof is not None
    (chain,) = proof.chains
    # minutes 30–37 (seq 4), 40–49 (seq 5: none in the window, but A's chain must stay contiguous), the late one
    assert [e.link.seq for e in chain.entries] == [4, 5, 6]
    assert [f.frame.received_at.minute for f in chain.window] == [35, 36, 37, 38, 39]


def test_links_without_a_receipt_span_are_read_as_possibly_in_the_window() -> None:
    links, objects = _chain([_ten_minutes(k) for k in range(6)])
    legacy = MemoryChainHeadsRepository()
    for link in links.links():
        legacy.append(dataclasses.replace(link, received=None))
    reads = Reads(objects)
    proof = DeliveredArchive(legacy, reads).proof(["A"], T0 + timedelta(minutes=20), T0 + timedelta(minutes=25), {})
    assert proof is not None and [e.link.seq for e in proof.chains[0].entries] == [3]
    assert len([k for k in reads.keys_read if k.startswith("manifests/")]) == 6  # every manifest, none skipped


def test_positions_are_the_manifest_s_when_an_object_has_a_line_that_is_no_record() -> None:
    links, objects = MemoryChainHeadsRepository(), VersionedObjects()
    frames = [_frame("A", 0), _frame("B", 0), _frame("A", 1)]
    lines = [encode_record(frames[0]), b"not a record", encode_record(frames[1]), encode_record(frames[2])]
    objects.put("raw/x.gz", gzip.compress(b"\n".join(lines) + b"\n"))
    ManifestChain(links, objects, frames_of).chain("raw/x.gz")
    proof = DeliveredArchive(links, objects).proof(["A"], T0, T0 + timedelta(minutes=5), {})
    assert proof is not None
    (entry,) = proof.chains[0].entries
    assert [(f.position, f.frame) for f in entry.frames] == [(0, frames[0]), (2, frames[2])]
    assert mf.frames_digest(f.frame for f in entry.frames) == entry.entry.frames_sha256


def test_links_after_the_window_are_carried_to_the_head_only_up_to_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    links, objects = _chain([_ten_minutes(k) for k in range(8)])
    monkeypatch.setattr(dv, "MAX_TAIL_LINKS", 3)
    proof = DeliveredArchive(links, objects).proof(["A"], T0, T0 + timedelta(minutes=5), {})
    assert proof is not None and [k.seq for k in proof.links] == [1] and not proof.reaches_head
    assert proof.head.seq == 8
    assert DeliveredArchive(links, objects).proof(["C"], T0, T0 + timedelta(minutes=5), {}) is None


def test_a_window_whose_manifests_pass_the_budget_fails_before_any_object_is_read() -> None:
    links, objects = _chain([_ten_minutes(k) for k in range(6)])
    reads = Reads(objects)
    with pytest.raises(dv.EvidenceTooLargeError) as raised:
        DeliveredArchive(links, reads).proof(["A"], T0, T0 + timedelta(minutes=59), {}, max_bytes=600)
    assert raised.value.size > 600 and not [k for k in reads.keys_read if k.startswith("raw/")]
    assert DeliveredArchive(links, objects).proof(["A"], T0, T0 + timedelta(minutes=59), {}, max_bytes=10_000)


def test_an_object_of_the_window_gone_from_the_bucket_is_carried_as_found() -> None:
    links, objects = _chain([_ten_minutes(k) for k in range(3)])
    objects.delete("raw/01.gz")  # a delete marker over the window's only object
    proof = DeliveredArchive(links, objects).proof(["A"], T0 + timedelta(minutes=12), T0 + timedelta(minutes=14), {})
    assert proof is not None
    (entry,) = proof.chains[0].entries
    assert (entry.link.seq, entry.frames, entry.entry.count) == (2, (), 10)  # verify.py reports the count
    assert proof.chains[0].window == ()
