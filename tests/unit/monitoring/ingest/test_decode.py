"""decode_records / redecode_archived against the memory store: the whole frame → data path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.clock import FixedClock
from monitoring.events.models import EventKind
from monitoring.ingest.decode import decode_records
from monitoring.ingest.redecode import redecode_archived
from monitoring.profiles.models import Profile
from monitoring.readings.models import AggregatePeriod, ReadingKind
from monitoring.storage.ports import Store
from tests.unit.monitoring.ingest.conftest import MN, NOW, bind, frame, record, register

pytestmark = pytest.mark.unit

REALTIME = frame("2011", "DataTime=20261128183300;Ua01-Rtd=231.2,Ua01-Flag=N;Ia01-Rtd=12.5;EPf01-Rtd=100.5;X9-Rtd=7")
DAY_START = datetime(2026, 11, 27, 16, tzinfo=UTC)


def _window(store: Store, point: str, kind: ReadingKind = ReadingKind.REALTIME) -> list:  # type: ignore[type-arg]
    return store.readings.readings(point, kind, DAY_START, DAY_START + timedelta(days=2))


def test_decode_records_with_bound_terminal_stores_reading_archive_and_state(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given a registered terminal whose channel 01 is bound to a point
    register(store)
    # When one real-time frame is decoded
    report = decode_records([record(REALTIME)], store, clock, profiles)
    # Then the reading carries the mapped values, the unknown code stays visible, the frame is archived
    assert report.outcomes == {"reading": 1}
    (reading,) = _window(store, "p-0001-01")
    assert dict(reading.values) == {"ua": 231.2, "ia": 12.5, "ep_fwd": 100.5}
    assert reading.flags["ua"] == "N"
    assert reading.raw["X9"] == {"Rtd": "7"}
    assert reading.data_time == datetime(2026, 11, 28, 10, 33, tzinfo=UTC)
    head = store.archive.head(MN)
    assert head is not None and head.frame.raw == REALTIME and head.seq == 1
    terminal = store.registry.get_terminal(MN)
    assert terminal.online and terminal.last_frame_at == NOW
    assert terminal.clock_skew_s == pytest.approx(-14.999)  # QN 18:33:45.001 vs received 18:34:00


def test_decode_records_redelivered_is_idempotent(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    register(store)
    rec = record(REALTIME)
    decode_records([rec], store, clock, profiles)
    # When the same record is delivered again, and the terminal resends the same frame later
    again = decode_records([rec, record(REALTIME, at=NOW + timedelta(seconds=10))], store, clock, profiles)
    # Then no reading is added; the redelivery adds no archive entry, the resend is archived as a new receipt
    assert again.outcomes == {"reading": 2}
    assert (again.readings_new, again.readings_duplicate) == (0, 1)  # one identity, already stored
    assert len(_window(store, "p-0001-01")) == 1
    assert store.archive.head(MN).seq == 2  # type: ignore[union-attr]


def test_decode_records_late_backfill_fills_history_but_not_latest(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    register(store)
    decode_records([record(REALTIME)], store, clock, profiles)
    old = frame("2011", "DataTime=20261128080000;Ua01-Rtd=220.0", qn="20261128183350001")
    # When a store-and-forward frame from this morning arrives after the live one
    decode_records([record(old, at=NOW - timedelta(seconds=5))], store, clock, profiles)
    # Then history has both, latest stays the live one, terminal state does not move back
    assert len(_window(store, "p-0001-01")) == 2
    latest = store.readings.latest("p-0001-01", ReadingKind.REALTIME)
    assert latest is not None and latest.values["ua"] == 231.2
    assert store.registry.get_terminal(MN).last_frame_at == NOW


def test_decode_records_from_unregistered_terminal_archives_and_flags_only(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # When a terminal nobody registered sends twice in one hour
    recs = [record(REALTIME, auth="unregistered"), record(REALTIME, auth="unregistered", at=NOW + timedelta(minutes=1))]
    report = decode_records(recs, store, clock, profiles)
    # Then both frames are archived, one unregistered event is raised, no reading exists
    assert report.outcomes == {"unregistered": 2}
    assert store.archive.head(MN).seq == 2  # type: ignore[union-attr]
    events = store.events.events_for_mn(MN, DAY_START, DAY_START + timedelta(days=2))
    assert [e.kind for e in events] == [EventKind.UNREGISTERED_SEEN]


def test_decode_records_with_failed_password_never_makes_readings(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    register(store)
    report = decode_records([record(REALTIME, auth="auth_failed")], store, clock, profiles)
    assert report.outcomes == {"auth_failed": 1}
    assert _window(store, "p-0001-01") == []
    events = store.events.events_for_mn(MN, DAY_START, DAY_START + timedelta(days=2))
    assert [e.kind for e in events] == [EventKind.AUTH_FAILURE]
    assert store.registry.get_terminal(MN).last_frame_at is None


def test_redecode_archived_after_binding_turns_early_frames_into_readings(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given frames received before registration, one of them with a wrong password, and one auth_failed
    wrong_pw = frame("2011", "DataTime=20261128183200;Ua01-Rtd=1", pw="999999", qn="20261128183201001")
    early = [
        record(REALTIME, auth="unregistered"),
        record(wrong_pw, auth="unregistered", at=NOW + timedelta(seconds=1)),
        record(REALTIME, auth="auth_failed", at=NOW + timedelta(seconds=2)),
    ]
    decode_records(early, store, clock, profiles)
    # When the installer registers and binds the terminal, then re-decodes its archive
    register(store)
    report = redecode_archived(MN, store, clock, profiles)
    # Then only the frame whose password matches became a reading
    assert report.outcomes == {"reading": 1, "untrusted": 2}
    assert [r.values["ua"] for r in _window(store, "p-0001-01")] == [231.2]
    # And running it again changes nothing
    assert redecode_archived(MN, store, clock, profiles).readings_new == 0


def test_decode_records_with_unbound_channel_keeps_frame_for_later(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    register(store, channels=())
    report = decode_records([record(REALTIME)], store, clock, profiles)
    assert report.outcomes == {"no_point": 1} and report.unbound_channels == 1
    bind(store, channel="1")  # the installer writes "1"; the terminal sends "01"
    assert redecode_archived(MN, store, clock, profiles).readings_new == 1


def test_decode_records_with_soe_stores_millisecond_event_on_point(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    register(store)
    soe = frame(
        "3020", "DataTime=20261128183401;SOE1-EventTime=20261128183359457,SOE1-EventType=power_loss,SOE1-Code=Ua01"
    )
    report = decode_records([record(soe, cn="3020")], store, clock, profiles)
    assert report.outcomes == {"event": 1}
    (event,) = store.events.events_for_point("p-0001-01", DAY_START, DAY_START + timedelta(days=2))
    assert event.kind is EventKind.POWER_LOSS
    assert event.occurred_at == datetime(2026, 11, 28, 10, 33, 59, 457000, tzinfo=UTC)


def test_decode_records_with_garbage_and_bad_crc_never_raise(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    register(store)
    bad_crc = REALTIME[:-6] + b"0000\r\n"
    report = decode_records([b"not json", b'{"v": 2}', record(bad_crc)], store, clock, profiles)
    assert report.outcomes == {"rejected": 2, "bad_frame": 1}
    assert store.archive.head(MN).frame.raw == bad_crc  # type: ignore[union-attr]


def test_decode_records_with_bad_values_flags_them_in_raw(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    register(store)
    raw = frame("2011", "DataTime=20261128183300;Ua01-Rtd=abc;Ia01-Rtd=12")
    decode_records([record(raw)], store, clock, profiles)
    (reading,) = _window(store, "p-0001-01")
    assert dict(reading.values) == {"ia": 12.0}
    assert reading.raw["Ua01"] == {"Rtd": "abc", "quality": "unparseable"}


def test_decode_records_with_terminal_clock_ten_minutes_ahead_raises_event(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    register(store)
    skewed = frame("2011", "DataTime=20261128184400;Ua01-Rtd=230", qn="20261128184400001")  # sent 18:34 (NOW)
    decode_records([record(skewed)], store, clock, profiles)
    assert store.registry.get_terminal(MN).clock_skew_s == pytest.approx(600.001)
    events = store.events.events_for_mn(MN, DAY_START, DAY_START + timedelta(days=2))
    assert [(e.kind, e.detail["source"]) for e in events] == [(EventKind.CLOCK_SKEW, "QN")]


def test_decode_records_buffered_through_an_outage_with_their_old_qns_measure_no_skew(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given a terminal whose link was down 15:00-18:30 (China time): it kept its minute records, each with the
    # QN stamped when it was first due, and sends them all once the link is back (store-and-forward, 二.2)
    register(store)
    buffered = [
        frame("2051", f"DataTime=20261128{h:02d}{m:02d}00;Ua01-Avg=230", qn=f"20261128{h:02d}{m:02d}05000")
        for h in range(15, 18)
        for m in range(0, 60, 5)
    ]
    # When they arrive at 18:34, then a live upload stamped 18:33:45 arrives at 18:34:10
    decode_records([record(f, cn="2051") for f in buffered], store, clock, profiles)
    assert store.registry.get_terminal(MN).clock_skew_s is None
    decode_records([record(REALTIME, at=NOW + timedelta(seconds=10))], store, clock, profiles)
    # Then the records are stored, and only the live upload measured the clock: no clock_skew event at all
    assert len(_window(store, "p-0001-01", ReadingKind.MINUTE)) == len(buffered)
    assert store.registry.get_terminal(MN).clock_skew_s == pytest.approx(-24.999)
    assert store.events.events_for_mn(MN, DAY_START, DAY_START + timedelta(days=2)) == []


def test_decode_records_with_slow_clock_answering_a_time_request_raises_event(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # A lagging clock is seen on a real-time exchange: the terminal's SystemTime in its 1011 answer
    register(store)
    raw = frame("1011", "SystemTime=20261128182400", qn="20261128183359000")  # 10 min slow
    decode_records([record(raw, cn="1011")], store, clock, profiles)
    assert store.registry.get_terminal(MN).clock_skew_s == pytest.approx(-600.0)
    events = store.events.events_for_mn(MN, DAY_START, DAY_START + timedelta(days=2))
    assert [(e.kind, e.detail["source"]) for e in events] == [(EventKind.CLOCK_SKEW, "SystemTime")]


def test_decode_records_minute_data_closing_an_hour_rolls_it_up(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given minute data for 17:58 and 17:59 China time, the second arriving after 18:00
    register(store)
    clock.set(datetime(2026, 11, 28, 10, 0, 30, tzinfo=UTC))
    frames = [
        frame("2051", f"DataTime=202611281{m};P01-Avg=10;EPf01-Max={e}", st="44", flag=9, qn=f"2026112818003000{i}")
        for i, (m, e) in enumerate([("75800", "100.0"), ("75900", "100.2")])
    ]
    decode_records([record(f, cn="2051", at=clock.now()) for f in frames], store, clock, profiles)
    # Then the 17:00–18:00 China hour has an aggregate with the energy of the counter step
    start = datetime(2026, 11, 28, 9, tzinfo=UTC)
    (agg,) = store.readings.aggregates("p-0001-01", AggregatePeriod.HOUR, start, start + timedelta(hours=1))
    assert agg.samples == 2
    assert agg.energy_kwh == pytest.approx(0.2)
    assert agg.stats["p"].mean == 10


PART1 = frame(
    "2051", "DataTime=20261128183300;P01-Avg=8.0;Ua01-Avg=230", st="44", flag=9, split=(2, 1), qn="20261128183401001"
)
PART2 = frame(
    "2051",
    "DataTime=20261128183300;EPf01-Max=1520.3;Ia01-Avg=12",
    st="44",
    flag=9,
    split=(2, 2),
    qn="20261128183401002",
)


def test_decode_records_with_split_upload_in_one_batch_makes_one_whole_reading(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    register(store)
    report = decode_records([record(PART1, cn="2051"), record(PART2, cn="2051")], store, clock, profiles)
    assert report.outcomes == {"split_pending": 1, "reading": 1}
    (reading,) = _window(store, "p-0001-01", ReadingKind.MINUTE)
    assert dict(reading.values) == {"p": 8.0, "ua": 230.0, "ep_fwd": 1520.3, "ia": 12.0}


def test_decode_records_with_split_upload_across_batches_joins_from_archive(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    register(store)
    first = decode_records([record(PART2, cn="2051")], store, clock, profiles)
    assert first.outcomes == {"split_pending": 1} and _window(store, "p-0001-01", ReadingKind.MINUTE) == []
    decode_records([record(PART1, cn="2051", at=NOW + timedelta(seconds=3))], store, clock, profiles)
    (reading,) = _window(store, "p-0001-01", ReadingKind.MINUTE)
    assert set(reading.values) == {"p", "ua", "ep_fwd", "ia"}


def test_redecode_archived_with_lost_packet_keeps_what_arrived(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    register(store)
    decode_records([record(PART1, cn="2051")], store, clock, profiles)
    report = redecode_archived(MN, store, clock, profiles)
    assert report.readings_new == 1
    (reading,) = _window(store, "p-0001-01", ReadingKind.MINUTE)
    assert dict(reading.values) == {"p": 8.0, "ua": 230.0}


def test_decode_records_with_secondary_values_applies_ct_pt_ratios(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given a terminal whose profile says it reports CT/PT secondary values, on a point with CT 200/5 and PT 10
    import dataclasses

    secondary = dataclasses.replace(profiles["default"], id="secondary", secondary_values=True)
    register(store, channels=(), profile="secondary")
    point = bind(store)
    store.registry.put_point(dataclasses.replace(point, ct_ratio=40.0, pt_ratio=10.0))
    raw = frame("2011", "DataTime=20261128183300;Ua01-Rtd=10.0;Ia01-Rtd=2.5;P01-Rtd=0.1;PF01-Rtd=0.9")
    # When decoded
    decode_records([record(raw)], store, clock, {**profiles, "secondary": secondary})
    # Then voltages, currents and powers are primary values; the power factor is untouched
    (reading,) = _window(store, "p-0001-01")
    assert dict(reading.values) == pytest.approx({"ua": 100.0, "ia": 100.0, "p": 40.0, "pf": 0.9})


def test_decode_records_with_time_upload_measures_skew_from_system_time(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    register(store)
    raw = frame("1011", "SystemTime=20261128183500", qn="20261128183300000")  # the platform's QN of its 1011 request
    report = decode_records([record(raw, cn="1011")], store, clock, profiles)
    assert report.outcomes == {"time": 1}
    assert store.registry.get_terminal(MN).clock_skew_s == pytest.approx(60.0)


def test_decode_records_backfill_of_yesterday_rolls_up_that_day(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given minute data from yesterday evening (China time) arriving today
    register(store)
    cps = [f"DataTime=2026112720{m:02d}00;P01-Avg=5;EPf01-Max={100 + m * 0.1:.1f}" for m in range(3)]
    frames = [frame("2051", cp, qn=f"202611281834000{i}") for i, cp in enumerate(cps)]
    decode_records([record(f, cn="2051") for f in frames], store, clock, profiles)
    # Then the hour and the day aggregates and the day's completeness exist
    day_start = datetime(2026, 11, 26, 16, tzinfo=UTC)
    (day,) = store.readings.aggregates("p-0001-01", AggregatePeriod.DAY, day_start, day_start + timedelta(hours=1))
    assert day.samples == 3 and day.energy_kwh == pytest.approx(0.2)
    (done,) = store.readings.completeness(
        "p-0001-01", day_start.date() + timedelta(days=1), day_start.date() + timedelta(days=1)
    )
    assert (done.expected, done.received) == (1440, 3)


def test_decode_records_rewrites_terminal_state_once_a_minute_unless_something_changed(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    register(store)
    decode_records([record(REALTIME)], store, clock, profiles)
    # When the same terminal sends again 20 s later from the same connection: not worth a write
    later = frame("2011", "DataTime=20261128183320;Ua01-Rtd=231", qn="20261128183405001")
    decode_records([record(later, at=NOW + timedelta(seconds=20))], store, clock, profiles)
    assert store.registry.get_terminal(MN).last_frame_at == NOW
    # And from a new connection, or a minute later: written
    decode_records([record(later, at=NOW + timedelta(seconds=25), peer="203.0.113.7:6")], store, clock, profiles)
    assert store.registry.get_terminal(MN).last_peer == "203.0.113.7:6"
    again = frame("2011", "DataTime=20261128183500;Ua01-Rtd=231", qn="20261128183505001")
    decode_records([record(again, at=NOW + timedelta(seconds=85), peer="203.0.113.7:6")], store, clock, profiles)
    assert store.registry.get_terminal(MN).last_frame_at == NOW + timedelta(seconds=85)


def test_decode_with_registry_cache_sees_a_new_binding_after_its_ttl(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given a warm process with a 60 s registry cache and a terminal not yet bound
    from monitoring.ingest.decode import Decoder
    from monitoring.ingest.registry_cache import RegistryCache

    cache = RegistryCache(clock, ttl=timedelta(seconds=60))
    register(store, channels=())

    def batch(at: datetime) -> str:
        decoder = Decoder(store, clock, profiles, cache=cache)
        outcome = decoder.decode(record(REALTIME, at=at))
        decoder.flush()
        return outcome

    assert batch(NOW) == "no_point"
    bind(store)
    # When frames keep coming: within the TTL the cached (empty) binding is used, after it the new one
    assert batch(NOW + timedelta(seconds=30)) == "no_point"
    clock.advance(timedelta(seconds=61))
    assert batch(NOW + timedelta(seconds=70)) == "reading"


def test_decode_batches_share_what_hj212_learnt_of_the_frame_layouts(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given a warm process that hands every batch's Decoder the same layout cache
    import hj212
    from monitoring.ingest.decode import Decoder

    register(store)
    layouts = hj212.LayoutCache()
    raw = frame("2011", "DataTime=20261128183300;Ua01-Rtd=231.5,Ua01-Flag=N")
    # When two batches each decode a frame of one layout
    for second in (0, 30):
        decoder = Decoder(store, clock, profiles, layouts=layouts)
        assert decoder.decode(record(raw, at=NOW + timedelta(seconds=second))) == "reading"
        decoder.flush()
    # Then the shared cache has planned that layout: the next batch's frames take hj212's fast path at once
    seg = raw[6:-6]
    assert layouts.frame(raw, seg, raw[-6:-2].decode()) == hj212.decode_frame(raw)


def test_registry_cache_is_bounded() -> None:
    from monitoring.ingest.registry_cache import RegistryCache

    cache = RegistryCache(FixedClock(NOW), max_entries=2)
    for mn in ("A", "B", "C"):
        cache.remember_terminal(mn, None)
    assert cache.terminal("A") == (False, None) and cache.terminal("C") == (True, None)


def test_decode_records_with_polid_groups_maps_each_group_to_its_own_circuit(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given a logger that reports each circuit as a `PolId=…` group with the same codes in every group
    register(store, channels=("01", "02"))
    cp = "DataTime=20261128183300;PolId=01,P-Rtd=12.5,i12001-Info=0;PolId=02,P-Rtd=7.0,i12001-Info=6"
    # When its 3020 is decoded
    report = decode_records([record(frame("3020", cp), cn="3020")], store, clock, profiles)
    # Then each circuit's point gets its own group's value, and no group's unmapped status is lost
    assert report.outcomes == {"reading": 1}
    (first,) = _window(store, "p-0001-01")
    (second,) = _window(store, "p-0001-02")
    assert dict(first.values) == {"p": 12.5} and dict(second.values) == {"p": 7.0}
    assert first.raw["PolId=01/i12001"] == {"Info": "0"} and first.raw["PolId=02/i12001"] == {"Info": "6"}
    assert report.unknown_codes == 2


def test_decode_records_with_split_upload_of_groups_keeps_every_packets_groups(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given a minute upload in two packets, each holding two circuits as PolId groups
    register(store, channels=("01", "02", "03", "04"))
    packets = [
        frame("2051", f"DataTime=20261128183300;{groups}", st="44", flag=9, split=(2, pno), qn=f"2026112818340100{pno}")
        for pno, groups in ((1, "PolId=01,P-Avg=8;PolId=02,P-Avg=9"), (2, "PolId=03,P-Avg=1;PolId=04,P-Avg=2"))
    ]
    # When both are decoded
    decode_records([record(p, cn="2051") for p in packets], store, clock, profiles)
    # Then the joined upload makes one minute reading per circuit
    got = {ch: dict(_window(store, f"p-0001-{ch}", ReadingKind.MINUTE)[0].values) for ch in ("01", "02", "03", "04")}
    assert got == {"01": {"p": 8.0}, "02": {"p": 9.0}, "03": {"p": 1.0}, "04": {"p": 2.0}}


@pytest.mark.parametrize(
    ("cn", "items"),
    [
        ("2011", "Ua01-Rtd=231.2"),
        ("2051", "Ua01-Avg=231.2"),
        ("2061", "Ua01-Avg=231.2"),
        ("3020", "InfoId=GPS"),
    ],
)
def test_decode_records_takes_the_terminal_position_from_any_upload_that_carries_it(
    store: Store, clock: FixedClock, profiles: dict[str, Profile], cn: str, items: str
) -> None:
    # Given a registered terminal that has never reported a position
    register(store)
    # When an upload of this kind carries GPS-Lng/GPS-Lat
    raw = frame(cn, f"DataTime=20261128183300;{items};GPS-Lng=120.560000,GPS-Lat=32.390000")
    decode_records([record(raw, cn=cn)], store, clock, profiles)
    # Then the registry holds it, stamped with the upload's DataTime
    gps = store.registry.get_terminal(MN).gps
    assert gps is not None and (gps.lat, gps.lon) == (32.39, 120.56)
    assert gps.at == datetime(2026, 11, 28, 10, 33, tzinfo=UTC)
