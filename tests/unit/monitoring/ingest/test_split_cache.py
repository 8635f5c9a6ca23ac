"""Split uploads whose packets straddle batches: joined from the process's cache of committed packets, with the
archive read only when the cache cannot vouch for the upload."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.clock import FixedClock
from monitoring.ingest.decode import Decoder, DecodeSettings
from monitoring.ingest.split_cache import SPLIT_WINDOW, SplitCache
from monitoring.profiles.models import Profile
from monitoring.readings.models import ReadingKind
from monitoring.storage.ports import Store
from tests.unit.monitoring.ingest.conftest import MN, NOW, count_archive_reads, frame, record, register, split_packet

pytestmark = pytest.mark.unit
DAY = timedelta(days=1)


def _batch(
    store: Store, clock: FixedClock, profiles: dict[str, Profile], cache: SplitCache, recs: list[bytes]
) -> Decoder:
    decoder = Decoder(store, clock, profiles, split_cache=cache)
    for rec in recs:
        decoder.decode(rec)
    decoder.flush()
    return decoder


def _minute_readings(store: Store) -> list[dict[str, float]]:
    return [dict(r.values) for r in store.readings.readings("p-0001-01", ReadingKind.MINUTE, NOW - DAY, NOW + DAY)]


def test_packets_across_batches_join_from_the_cache_without_reading_the_archive(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given a cache that has watched the terminal for longer than the split window
    register(store)
    cache = SplitCache()
    _batch(
        store,
        clock,
        profiles,
        cache,
        [record(frame("2011", "DataTime=20261128180000;P01-Rtd=1"), at=NOW - SPLIT_WINDOW * 2)],
    )
    counting = count_archive_reads(store)
    # When an upload's three packets arrive in three consecutive batches
    reports = [
        _batch(
            store, clock, profiles, cache, [record(split_packet(30, p), cn="2051", at=NOW + timedelta(seconds=p))]
        ).report
        for p in (1, 2, 3)
    ]
    # Then the last batch writes the whole upload, and the archive was never scanned for siblings
    assert [dict(r.outcomes) for r in reports] == [{"split_pending": 1}, {"split_pending": 1}, {"reading": 1}]
    assert _minute_readings(store) == [{"p": 8.0, "ua": 230.0, "ia": 12.0}]
    assert counting.range_reads == 0
    assert len(cache) == 0  # a completed upload is forgotten


def test_a_cold_cache_reads_the_archive_for_earlier_packets(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given packets 1 and 2 archived by another process (a cache that never saw them)
    register(store)
    _batch(
        store,
        clock,
        profiles,
        SplitCache(),
        [record(split_packet(30, p), cn="2051", at=NOW + timedelta(seconds=p)) for p in (1, 2)],
    )
    counting = count_archive_reads(store)
    # When packet 3 reaches a fresh process
    report = _batch(
        store, clock, profiles, SplitCache(), [record(split_packet(30, 3), cn="2051", at=NOW + timedelta(seconds=3))]
    ).report
    # Then the archive supplies the earlier packets at the end of the batch, and the upload is whole
    assert dict(report.outcomes) == {"reading": 1}
    assert counting.range_reads == 1
    assert _minute_readings(store) == [{"p": 8.0, "ua": 230.0, "ia": 12.0}]


def test_packets_of_a_batch_that_failed_to_commit_are_not_cached(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given a batch holding packet 1 whose archive write fails
    register(store)
    cache = SplitCache()
    decoder = Decoder(store, clock, profiles, split_cache=cache)
    decoder.decode(record(split_packet(30, 1), cn="2051"))

    def broken(*_: object, **__: object) -> None:
        raise OSError("disk full")

    real = store.archive.append_many
    store.archive.append_many = broken  # type: ignore[method-assign]
    with pytest.raises(OSError):
        decoder.flush()
    store.archive.append_many = real  # type: ignore[method-assign]
    # Then the cache holds nothing: a reading must never derive from a packet that is not archived
    assert len(cache) == 0
    assert cache.parts((MN, "2051", "20261128183000", 3)) is None


def test_cache_entries_expire_by_data_time_and_room() -> None:
    cache = SplitCache(max_uploads=2)
    key = ("MN1", "2051", "20261128183000", 3)
    cache.watch("MN1", NOW)
    cache.keep(key, {}, NOW)
    assert cache.parts(key) == {}
    # A frame received more than the window later expires the entry
    cache.watch("MN2", NOW + SPLIT_WINDOW + timedelta(seconds=1))
    cache.keep(("MN2", "2051", "x", 2), {}, NOW + SPLIT_WINDOW + timedelta(seconds=1))
    assert cache.parts(key) is None
    # Entries pushed out for room also stop the cache vouching for their terminal
    cache.watch("MN3", NOW + SPLIT_WINDOW)
    cache.watch("MN4", NOW + SPLIT_WINDOW)
    assert cache.vouches("MN3", NOW + SPLIT_WINDOW * 3)
    for n in range(3):
        cache.keep(("MN3", "2051", str(n), 2), {}, NOW + SPLIT_WINDOW + timedelta(seconds=2))
    assert not cache.vouches("MN3", NOW + SPLIT_WINDOW * 3)


def test_the_cache_vouches_only_after_watching_a_whole_window() -> None:
    cache = SplitCache()
    cache.watch("MN1", NOW)
    cache.watch("MN1", NOW - DAY)  # a redelivered older frame does not extend what was watched
    assert not cache.vouches("MN1", NOW + SPLIT_WINDOW - timedelta(seconds=1))
    assert cache.vouches("MN1", NOW + SPLIT_WINDOW)
    assert not cache.vouches("MN2", NOW + DAY)


def test_without_archive_items_decode_writes_readings_but_no_archive_and_joins_from_the_cache(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given the AWS setting: raw frames are kept only in S3, so decode writes no archive items
    register(store)
    cache, settings = SplitCache(), DecodeSettings(archive=False)
    reports = []
    for p in (1, 2, 3):  # an upload's packets in three batches of one warm process
        decoder = Decoder(store, clock, profiles, settings, split_cache=cache)
        decoder.decode(record(split_packet(30, p), cn="2051", at=NOW + timedelta(seconds=p)))
        reports.append(dict(decoder.flush().outcomes))
    # Then the upload is whole from the cache, its reading is stored, and the archive holds nothing
    assert reports == [{"split_pending": 1}, {"split_pending": 1}, {"reading": 1}]
    assert _minute_readings(store) == [{"p": 8.0, "ua": 230.0, "ia": 12.0}]
    assert store.archive.head(MN) is None


def test_without_archive_items_a_cold_process_never_asks_the_archive(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given packets 1 and 2 archived by a process that wrote archive items
    register(store)
    _batch(
        store,
        clock,
        profiles,
        SplitCache(),
        [record(split_packet(30, p), cn="2051", at=NOW + timedelta(seconds=p)) for p in (1, 2)],
    )
    counting = count_archive_reads(store)
    # When packet 3 reaches a fresh process that writes none
    decoder = Decoder(store, clock, profiles, DecodeSettings(archive=False), split_cache=SplitCache())
    decoder.decode(record(split_packet(30, 3), cn="2051", at=NOW + timedelta(seconds=3)))
    # Then the upload stays pending (re-decoding from S3 completes it) and the archive was not read or written
    assert dict(decoder.flush().outcomes) == {"split_pending": 1}
    assert counting.range_reads == 0
    assert store.archive.head(MN) is not None and store.archive.head(MN).seq == 2  # type: ignore[union-attr]
