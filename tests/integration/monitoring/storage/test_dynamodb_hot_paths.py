"""On DynamoDB Local: the per-frame and per-minute paths make a fixed, Scan-free set of requests, and the
time series carry their TTL. These figures are what docs/dynamodb.md's access-pattern table promises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.clock import FixedClock
from monitoring.readings.models import Reading, ReadingKind
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.metering import OperationUsage
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.support.dynamodb_tables import backend_fixture

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


backend = backend_fixture("hp")


@pytest.fixture
def store(backend: DynamoDBBackend) -> Store:
    made = backend.store(clock=FixedClock(NOW))
    b.seed_jurisdictions(made.registry)
    made.registry.put_terminal(b.terminal())
    made.registry.put_point(b.point(mn="MN0001", channel="01"))
    return made


def _reading(at: datetime, kind: ReadingKind = ReadingKind.MINUTE) -> Reading:
    return Reading("p1", at, kind, values={"p": 12.5, "ia": 20.1}, mn="MN0001")


def _requests(backend: DynamoDBBackend) -> dict[str, int]:
    usage = backend.meter.snapshot()
    backend.meter.reset()
    return {op: u.requests for op, u in usage.items()}


def test_per_frame_path_uses_no_scan_and_a_fixed_number_of_requests(backend: DynamoDBBackend, store: Store) -> None:
    # Given a registered terminal with one point, and a clean meter
    backend.meter.reset()
    # When one frame goes through what decode does with it, step by step
    store.registry.get_terminal("MN0001")
    assert _requests(backend) == {"GetItem": 1, "BatchGetItem": 1}  # the item, then its liveness sheet
    store.registry.points_for_mn("MN0001")
    assert _requests(backend) == {"Query": 1, "BatchGetItem": 1}
    store.registry.record_terminal_seen("MN0001", NOW)
    assert _requests(backend) == {"GetItem": 1, "BatchGetItem": 1, "PutItem": 1}
    store.archive.append(b.raw_frame(at=NOW))
    assert _requests(backend) == {"Query": 2, "PutItem": 1}  # redelivery check + head, then the conditional put
    store.readings.put_readings([_reading(NOW)])
    assert _requests(backend) == {"PutItem": 1}  # "latest" is read from history, never written
    # And what the rules read every minute
    store.readings.latest("p1", ReadingKind.MINUTE)
    store.readings.readings("p1", ReadingKind.MINUTE, NOW - timedelta(minutes=15), NOW + timedelta(minutes=1))
    store.commands.pending_for("MN0001", NOW)
    assert _requests(backend) == {"Query": 3}


def test_meter_reports_consumed_units_from_dynamodb_local(backend: DynamoDBBackend, store: Store) -> None:
    backend.meter.reset()
    store.readings.put_readings([_reading(NOW)])
    store.readings.latest("p1", ReadingKind.MINUTE)
    usage = backend.meter.snapshot()
    assert usage["PutItem"].requests == 1 and usage["PutItem"].write_units >= 1.0
    assert usage["Query"].read_units > 0


def test_duplicate_reading_is_one_refused_conditional_write(backend: DynamoDBBackend, store: Store) -> None:
    # Given a stored reading
    store.readings.put_reading(_reading(NOW))
    backend.meter.reset()
    # When it is delivered again
    assert store.readings.put_reading(_reading(NOW)) is False
    # Then its conditional write was refused (and nothing was overwritten)
    assert backend.meter.snapshot()["PutItem"] == OperationUsage(requests=1, errors=1)


def test_time_series_items_carry_the_retention_ttl(backend: DynamoDBBackend, store: Store) -> None:
    # Given minute data (400-day retention) and hour data (kept forever) under the default policy
    store.readings.put_readings([_reading(NOW), _reading(NOW, ReadingKind.HOUR)])
    model = backend.models.readings
    minute = model.get("rd#p1#minute", "2026-11-28T02:00:00.000000Z", consistent_read=True)
    hour = model.get("rd#p1#hour", "2026-11-28T02:00:00.000000Z", consistent_read=True)
    # Then the TTL counts from the data time, and hour data has none
    assert minute.expires_at == NOW + timedelta(days=400)
    assert hour.expires_at is None


def test_a_warm_decode_container_appends_and_records_state_with_one_write_each(
    backend: DynamoDBBackend, store: Store
) -> None:
    # Given a chain this store appended to once (head read, then cached)
    store.archive.append(b.raw_frame(at=NOW))
    seen = store.registry.record_terminal_seen("MN0001", NOW)
    backend.meter.reset()
    # When the next frame of that terminal is archived and its state recorded on the cached terminal
    later = NOW + timedelta(minutes=1)
    appended = store.archive.append(b.raw_frame(at=later))
    store.registry.record_terminal_seen("MN0001", later, known=seen)
    # Then each is one conditional put: no head query, no redelivery lookup, no read of the terminal
    assert _requests(backend) == {"PutItem": 2}
    assert appended.seq == 2 and store.archive.verify("MN0001").ok
    assert store.registry.get_terminal("MN0001").last_frame_at == later


def test_a_stale_cached_head_or_terminal_costs_a_refused_put_not_a_fork(backend: DynamoDBBackend, store: Store) -> None:
    # Given a second writer (another container) that moved the chain and the terminal on after this one cached them
    store.archive.append(b.raw_frame(at=NOW))
    seen = store.registry.record_terminal_seen("MN0001", NOW)
    other = backend.store(clock=FixedClock(NOW))
    other.archive.append(b.raw_frame(at=NOW + timedelta(seconds=30)))
    other.registry.record_terminal_seen("MN0001", NOW + timedelta(seconds=30))
    # When this one appends and records on its stale copies
    later = NOW + timedelta(minutes=1)
    appended = store.archive.append(b.raw_frame(at=later))
    stored = store.registry.record_terminal_seen("MN0001", later, known=seen)
    # Then the refused puts made it re-read: one unbroken chain, the newest state
    assert appended.seq == 3 and store.archive.verify("MN0001").ok
    assert stored.last_frame_at == later and stored.version == seen.version + 2


def test_readings_are_stored_compressed_and_read_back_whole(backend: DynamoDBBackend, store: Store) -> None:
    from monitoring.readings.models import QUANTITIES

    values = {q: 100.0 + i for i, q in enumerate(sorted(QUANTITIES)[:24])}
    reading = Reading("p1", NOW, ReadingKind.MINUTE, values=values, flags=dict.fromkeys(values, "N"), mn="MN0001")
    backend.meter.reset()
    store.readings.put_readings([reading])
    # A 24-quantity reading (about 1.3 KB of JSON) fits one write unit
    assert backend.meter.snapshot()["PutItem"].write_units == 1.0
    item = backend.models.readings.get("rd#p1#minute", "2026-11-28T02:00:00.000000Z", consistent_read=True)
    assert item.body is None and item.z is not None
    assert store.readings.latest("p1", ReadingKind.MINUTE) == reading


def test_the_rules_warm_tick_reads_only_the_tail_eventually_consistent(backend: DynamoDBBackend, store: Store) -> None:
    # Given 80 minutes of minute readings and the rules' sample reader of a warm container
    store.readings.put_readings([_reading(NOW - timedelta(minutes=m)) for m in range(80)])
    assert store.sample_reader is not None
    reader = store.sample_reader()
    start, end = NOW - timedelta(minutes=79), NOW + timedelta(minutes=1)
    cold = reader.samples(["p1"], start, end)
    backend.meter.reset()
    # When the next tick asks for the window one minute on
    store.readings.put_readings([_reading(NOW + timedelta(minutes=1))])
    backend.meter.reset()
    warm = reader.samples(["p1"], start + timedelta(minutes=1), end + timedelta(minutes=1))
    # Then one query of the 5-minute tail, at eventually consistent rates
    usage = backend.meter.snapshot()
    assert {op: u.requests for op, u in usage.items()} == {"Query": 1}
    assert usage["Query"].read_units <= 0.5
    assert len(cold["p1"]) == 80 and len(warm["p1"]) == 80 and warm["p1"][-1].at == NOW + timedelta(minutes=1)


def test_a_batch_of_one_terminal_is_one_archive_item_and_a_changed_frame_breaks_the_chain(
    backend: DynamoDBBackend, store: Store
) -> None:
    import zlib

    # Given a split upload: three packets of one terminal in one batch, after a frame already archived
    store.archive.append(b.raw_frame(at=NOW, payload=b"P0"))
    backend.meter.reset()
    packets = [b.raw_frame(at=NOW + timedelta(seconds=1, milliseconds=300 * i), payload=b"P%d" % i) for i in (1, 2, 3)]
    records = store.archive.append_many(packets)
    # Then they are one conditional put (one item, one index entry), and read back as three links
    assert _requests(backend) == {"PutItem": 1} and [r.seq for r in records] == [2, 3, 4]
    assert [r.frame.raw for r in store.archive.chain("MN0001", from_seq=3)] == [packets[1].raw, packets[2].raw]
    window = (NOW + timedelta(seconds=1), NOW + timedelta(seconds=1, milliseconds=700))  # the first two packets
    assert [r.seq for r in store.archive.frames("MN0001", *window)] == [2, 3]
    assert store.archive.verify("MN0001").ok and store.archive.verify("MN0001").checked == 4
    # When one frame inside the bundle is altered in the table
    item = backend.models.archive.get("MN0001", "000000000002", consistent_read=True)
    item.z = zlib.compress(zlib.decompress(item.z).replace(b"P2", b"P9"))
    item.save()
    # Then verification fails at the bundle's sealed last link
    broken = store.archive.verify("MN0001")
    assert not broken.ok and broken.first_broken_seq == 4


def _decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sort keys of the reading items decoded from now on (a spy on the adapter's real decoder)."""
    from monitoring.storage.dynamodb import readings as module

    decoded: list[str] = []
    real = module._reading

    def spy(item: object, *key: object) -> Reading | None:
        decoded.append(str(getattr(item, "sk", "")))
        return real(item, *key)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "_reading", spy)
    return decoded


def test_a_warm_tick_decodes_only_the_readings_it_has_not_decoded_before(
    backend: DynamoDBBackend, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 80 minutes of readings (one quantity differing per minute) and the rules' reader after a cold tick
    store.readings.put_readings([_reading(NOW - timedelta(minutes=m)) for m in range(80)])
    assert store.sample_reader is not None
    reader = store.sample_reader()
    start, end = NOW - timedelta(minutes=79), NOW + timedelta(minutes=1)
    reader.samples(["p1"], start, end)
    decoded = _decodes(monkeypatch)
    # When a new minute and a late reading inside the tail arrive, and the next tick reads its window
    late = Reading("p1", NOW - timedelta(minutes=2, seconds=30), ReadingKind.MINUTE, values={"p": 7.0}, mn="MN0001")
    store.readings.put_readings([_reading(NOW + timedelta(minutes=1)), late])
    warm = reader.samples(["p1"], start + timedelta(minutes=1), end + timedelta(minutes=1))
    # Then only those two are decoded (the tail's other five were decoded a minute ago) ...
    assert sorted(decoded) == ["2026-11-28T01:57:30.000000Z", "2026-11-28T02:01:00.000000Z"]
    # ... and the samples are exactly what a reader without any memory reads
    fresh = store.sample_reader(cache=False).samples(["p1"], start + timedelta(minutes=1), end + timedelta(minutes=1))
    assert warm == fresh and len(warm["p1"]) == 81 and any(s.p == 7.0 for s in warm["p1"])
    # A third tick with nothing new decodes nothing
    decoded.clear()
    third = reader.samples(["p1"], start + timedelta(minutes=2), end + timedelta(minutes=2))
    assert decoded == [] and third["p1"] == fresh["p1"][1:]
    # What it remembers is the last tail, not every minute a warm container has seen
    remembered = reader._decoded[("p1", ReadingKind.MINUTE)]  # type: ignore[attr-defined]
    assert sorted(remembered) == [
        s.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for s in third["p1"] if s.at >= NOW - timedelta(minutes=3)
    ]


def test_keyed_settled_readings_skip_only_the_known_keys(backend: DynamoDBBackend, store: Store) -> None:
    store.readings.put_readings([_reading(NOW - timedelta(minutes=m)) for m in range(3)])
    start, end = NOW - timedelta(minutes=5), NOW + timedelta(minutes=1)
    repo = store.readings
    whole = repo.settled_readings("p1", ReadingKind.MINUTE, start, end)  # type: ignore[attr-defined]
    keyed = repo.settled_readings_keyed("p1", ReadingKind.MINUTE, start, end, {"2026-11-28T01:59:00.000000Z"})  # type: ignore[attr-defined]
    assert [k for k, _ in keyed] == [
        "2026-11-28T01:58:00.000000Z",
        "2026-11-28T01:59:00.000000Z",
        "2026-11-28T02:00:00.000000Z",
    ]
    assert [r for _, r in keyed] == [whole[0], None, whole[2]]
