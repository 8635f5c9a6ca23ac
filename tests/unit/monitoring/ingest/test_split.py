"""Split uploads joined in memory within a batch; the archive read only for siblings the batch lacks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitoring.clock import FixedClock
from monitoring.ingest.decode import Decoder
from monitoring.profiles.models import Profile
from monitoring.readings.models import ReadingKind
from monitoring.storage.ports import Store
from tests.unit.monitoring.ingest.conftest import MN, NOW, count_archive_reads, record, register, split_packet

pytestmark = pytest.mark.unit
DAY_START = NOW - timedelta(days=1)


def _decode(store: Store, clock: FixedClock, profiles: dict[str, Profile], records: list[bytes]) -> Decoder:
    decoder = Decoder(store, clock, profiles)
    for rec in records:
        decoder.decode(rec)
    decoder.flush()
    return decoder


def test_split_join_with_many_uploads_in_one_batch_reads_the_archive_once(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given one terminal's 3-packet uploads for 5 minutes, and the first packet of the first upload
    # already archived by an earlier batch
    register(store)
    _decode(store, clock, profiles, [record(split_packet(30, 1), cn="2051", at=NOW - timedelta(seconds=50))])
    counting = count_archive_reads(store)
    batch = [
        record(split_packet(m, p), cn="2051", at=NOW + timedelta(seconds=(m - 30) * 60 + p))
        for m in range(30, 35)
        for p in (1, 2, 3)
        if (m, p) != (30, 1)
    ]
    # When the rest arrives in one batch
    decoder = _decode(store, clock, profiles, batch)
    # Then every upload is whole (the first joined with its archived packet), and the archive was scanned
    # once for the whole batch instead of once per incomplete packet
    assert decoder.report.outcomes == {"split_pending": 9, "reading": 5}
    readings = store.readings.readings("p-0001-01", ReadingKind.MINUTE, DAY_START, NOW + timedelta(days=1))
    assert [dict(r.values) for r in readings] == [{"p": 8.0, "ua": 230.0, "ia": 12.0}] * 5
    assert counting.range_reads == 1


def test_live_split_packets_do_not_read_the_archive_when_the_batch_completes_them(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given an archive that counts range reads, and a batch holding every packet of 5 uploads in order
    register(store)
    counting = count_archive_reads(store)
    batch = [
        record(split_packet(m, p), cn="2051", at=NOW + timedelta(seconds=(m - 30) * 60 + p))
        for m in range(30, 35)
        for p in (1, 2, 3)
    ]
    # When the batch is decoded
    decoder = _decode(store, clock, profiles, batch)
    # Then every upload is joined in memory and the archive is never scanned for siblings
    assert decoder.report.outcomes == {"split_pending": 10, "reading": 5}
    assert counting.range_reads == 0


def test_split_upload_still_incomplete_after_the_archive_stays_pending(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given packets 1 and 3 of an upload, packet 2 never sent
    register(store)
    decoder = _decode(
        store,
        clock,
        profiles,
        [
            record(split_packet(30, 1), cn="2051"),
            record(split_packet(30, 3), cn="2051", at=NOW + timedelta(seconds=2)),
        ],
    )
    # Then both are archived, nothing became a reading, and both are reported pending
    assert decoder.report.outcomes == {"split_pending": 2}
    assert store.readings.readings("p-0001-01", ReadingKind.MINUTE, DAY_START, NOW + timedelta(days=1)) == []
    assert len(store.archive.frames(MN, NOW - timedelta(hours=1), NOW + timedelta(hours=1))) == 2


def test_split_join_after_flush_reads_the_archive_again(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given a decoder that flushed a batch holding two packets of an upload (the scan of that batch is stale)
    register(store)
    decoder = Decoder(store, clock, profiles)
    decoder.decode(record(split_packet(30, 1), cn="2051"))
    decoder.decode(record(split_packet(30, 2), cn="2051", at=NOW + timedelta(seconds=1)))
    decoder.flush()
    # When the last packet comes in the next batch of the same decoder (as re-decoding pages do)
    outcome = decoder.decode(record(split_packet(30, 3), cn="2051", at=NOW + timedelta(seconds=2)))
    report = decoder.flush()
    # Then it waits for the end of its batch, and is joined there with the packets archived by the first flush
    assert outcome == "split_pending"
    assert report.outcomes == {"split_pending": 2, "reading": 1}
    (reading,) = store.readings.readings("p-0001-01", ReadingKind.MINUTE, DAY_START, NOW + timedelta(days=1))
    assert dict(reading.values) == {"p": 8.0, "ua": 230.0, "ia": 12.0}
