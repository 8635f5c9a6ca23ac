"""Backfill marks: only late minute and real-time readings reopen rule windows (the kinds the rules judge)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.clock import FixedClock
from monitoring.evaluation.models import Sample
from monitoring.ingest.decode import Decoder
from monitoring.profiles.models import Profile
from monitoring.readings.models import Reading, ReadingKind
from monitoring.rules.sample_cache import CachedSampleReader
from monitoring.rules.store_inputs import StoreRuleInputs, note_late_readings
from monitoring.storage.memory import memory_store
from tests.unit.monitoring.ingest.conftest import frame, record, register

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    from monitoring.profiles.loader import DEFAULT_DIR, build_profiles, read_sources

    return build_profiles(read_sources(DEFAULT_DIR))


TOP = datetime(2026, 11, 28, 2, tzinfo=UTC)  # 10:00 China time: the terminals' 2061 uploads for 09:00 arrive


def _reading(kind: ReadingKind, data_time: datetime) -> Reading:
    return Reading("p1", data_time, kind, {"p": 5.0}, mn="88888880000001", received_at=TOP + timedelta(seconds=30))


class _Fetches:
    def __init__(self) -> None:
        self.ranges: list[tuple[datetime, datetime]] = []

    def __call__(self, point_ids: Sequence[str], start: datetime, end: datetime) -> Mapping[str, list[Sample]]:
        self.ranges.append((start, end))
        return {}


def test_a_terminals_hour_and_day_figures_reopen_no_window_but_late_minute_data_does() -> None:
    store = memory_store(clock=FixedClock(TOP))
    fetches = _Fetches()
    reader = CachedSampleReader(fetches)
    inputs = StoreRuleInputs(store, store.rule_state, "rugao", reader=reader)
    received = TOP + timedelta(seconds=30)
    window = (TOP - timedelta(minutes=80), TOP)
    reader.samples(["p1"], *window)
    hour_figures = [_reading(ReadingKind.HOUR, TOP - timedelta(hours=1)), _reading(ReadingKind.DAY, TOP)]
    assert note_late_readings(store.rule_state, hour_figures, received) == 0
    assert inputs.late_arrivals(TOP - timedelta(minutes=1), TOP) == {}
    reader.samples(["p1"], window[0] + timedelta(minutes=1), TOP + timedelta(minutes=1))
    assert fetches.ranges[-1][0] == TOP - timedelta(minutes=5)  # only the tail: the cached window was kept
    late = [_reading(ReadingKind.MINUTE, TOP - timedelta(minutes=30)), _reading(ReadingKind.MINUTE, TOP)]
    assert note_late_readings(store.rule_state, late, received) == 1
    assert inputs.late_arrivals(TOP - timedelta(minutes=1), TOP) == {"p1": TOP - timedelta(minutes=30)}
    reader.samples(["p1"], window[0] + timedelta(minutes=2), TOP + timedelta(minutes=2))
    assert fetches.ranges[-1][0] == window[0] + timedelta(minutes=2)  # invalidated: read in full


def test_decoded_2061_uploads_at_the_top_of_the_hour_leave_no_backfill_mark(profiles: dict[str, Profile]) -> None:
    # As decode is wired (functions/_wiring.new_decoder): every newly stored reading is told to the rules
    clock = FixedClock(TOP + timedelta(seconds=40))
    store = memory_store(clock=clock)
    register(store)
    noted: list[int] = []
    decoder = Decoder(
        store, clock, profiles, on_stored=lambda rs: noted.append(note_late_readings(store.rule_state, rs, clock.now()))
    )
    hour = frame("2061", "DataTime=20261128090000;P01-Avg=6;EPf01-Cou=0.4", st="44", flag=9, qn="20261128100030001")
    minute = frame("2051", "DataTime=20261128095900;P01-Avg=6", st="44", flag=9, qn="20261128100030002")
    late = frame("2051", "DataTime=20261128093000;P01-Avg=6", st="44", flag=9, qn="20261128100030003")
    for raw, cn in ((hour, "2061"), (minute, "2051"), (late, "2051")):
        decoder.decode(record(raw, at=clock.now(), cn=cn))
    decoder.flush()
    kinds = {r.kind for r in store.readings.readings("p-0001-01", ReadingKind.HOUR, TOP - timedelta(hours=2), TOP)}
    assert kinds == {ReadingKind.HOUR} and noted == [1]  # stored, but only the 09:30 minute is backfill
    (key,) = store.rule_state.keys("backfill:")
    assert store.rule_state.get(key) == {"point": "p-0001-01", "earliest": (TOP - timedelta(minutes=30)).isoformat()}
