"""Contract: the global chain's links (one per delivered object) append conditionally and page in order, and the
manifest chain built on them is idempotent, survives a failure half way and never forks under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta

import pytest

from functions.adapters.archive_objects import frames_of
from monitoring._time import to_micros
from monitoring.archive.manifest import ChainLink
from monitoring.archive.manifest_chain import ManifestChain, verify
from monitoring.archive.models import RawFrame
from monitoring.errors import ConflictError, StorageUnavailableError
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.contract.storage.conftest import NOW
from tests.support.archive_objects import VersionedObjects, delivered

pytestmark = pytest.mark.contract


def _object(start: int, count: int, mns: Sequence[str] = ("MN0001", "MN0002")) -> list[RawFrame]:
    """Frames of several terminals interleaved, as Firehose delivers them."""
    return [
        b.raw_frame(mn=mn, at=NOW + timedelta(seconds=start + i), payload=b"F%d" % (start + i))
        for i in range(count)
        for mn in mns
    ]


def test_links_append_once_per_seq_and_page_in_order(store: Store) -> None:
    links = store.chain_heads
    assert links.head() is None and links.recent() == []
    made = [ChainLink(n, f"raw/{n}.gz", f"{n - 1:064x}", f"{n:064x}", n * 10, n) for n in range(1, 6)]
    for link in made:
        links.append(link)
    with pytest.raises(ConflictError):
        links.append(ChainLink(3, "raw/other.gz", "0" * 64, "f" * 64, 1, 1))
    assert links.head() == made[-1]
    assert links.recent(2) == [made[4], made[3]]
    assert links.at(3) == made[2] and links.at(9) is None
    assert links.links(from_seq=2, limit=3) == made[1:4]


def test_chaining_is_idempotent_and_finishes_an_interrupted_run(store: Store) -> None:
    objects = VersionedObjects()
    for key, frames in (("raw/a.gz", _object(0, 3)), ("raw/b.gz", _object(3, 2))):
        objects.put(key, delivered(frames))
    chain = ManifestChain(store.chain_heads, objects, frames_of)
    first = chain.chain("raw/a.gz")
    assert (first.seq, first.records, first.mns) == (1, 6, 2)
    # the link keeps its object's receipt span (an evidence export's finding aid), as stored
    span = (to_micros(NOW), to_micros(NOW + timedelta(seconds=2)))
    assert first.received == span and store.chain_heads.at(1) == first
    # a redelivered event adds nothing, from this container or a cold one
    assert chain.chain("raw/a.gz") == first
    assert ManifestChain(store.chain_heads, objects, frames_of).chain("raw/a.gz") == first
    # Given a run of b that wrote its manifest and failed appending its link (a store outage)
    real = store.chain_heads.append

    def failing(link: ChainLink) -> None:
        raise StorageUnavailableError("throttled")

    store.chain_heads.append = failing  # type: ignore[method-assign]
    with pytest.raises(StorageUnavailableError):
        chain.chain("raw/b.gz")
    store.chain_heads.append = real  # type: ignore[method-assign]
    # When the event is retried, then b is chained once and everything verifies
    second = chain.chain("raw/b.gz")
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert [link.object_key for link in store.chain_heads.links()] == ["raw/a.gz", "raw/b.gz"]
    result = verify(store.chain_heads, objects, frames_of)
    assert result.ok and result.links == 2 and result.frames == {"MN0001": 5, "MN0002": 5}


def test_objects_chained_at_once_never_fork_the_chain(store: Store) -> None:
    # Given four function instances (each its own warm heads) chaining different objects at the same time
    objects = VersionedObjects()
    keys = [f"raw/{k}.gz" for k in range(4)]
    for k, key in enumerate(keys):
        objects.put(key, delivered(_object(k * 100, 5)))
    failures: list[BaseException] = []

    def work(key: str) -> None:
        try:
            ManifestChain(store.chain_heads, objects, frames_of).chain(key)
        except BaseException as exc:  # a thread's failure must fail the test, not vanish with the thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(key,)) for key in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then the chain holds every object once, contiguous, each MN's entries linked in chain order
    assert failures == []
    assert sorted(link.object_key for link in store.chain_heads.links()) == keys
    result = verify(store.chain_heads, objects, frames_of)
    assert result.ok, result.problems
    assert result.frames == {"MN0001": 20, "MN0002": 20}
