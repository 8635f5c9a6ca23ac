"""Decode's spread hourly roll-up: each point's hour rolled once, at its own minute of the next hour, none lost."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from hj212.china_time import CHINA
from monitoring.clock import FixedClock
from monitoring.ingest.decode import Decoder, DecodeSettings
from monitoring.ingest.rollup_ledger import RollupLedger
from monitoring.profiles.models import Profile
from monitoring.readings.models import Aggregate, AggregatePeriod
from monitoring.readings.rollup import rollup_offset
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store
from tests.unit.monitoring.ingest.conftest import bind, frame, record, register

pytestmark = pytest.mark.unit

POINT = "p-0001-01"  # the point `register` binds; its offset is 43 minutes
H9 = datetime(2026, 11, 28, 9, tzinfo=UTC)  # 17:00 China time
SPREAD = DecodeSettings(rollup_spread=True)


def _minute_frame(at: datetime) -> bytes:
    local = at.astimezone(CHINA)
    energy = 1000 + (at - H9).total_seconds() / 600  # 0.1 kWh a minute
    cp = f"DataTime={local:%Y%m%d%H%M}00;P01-Avg=6;EPf01-Max={energy:.1f}"
    return frame("2051", cp, st="44", flag=9, qn=f"{local:%Y%m%d%H%M}05001")


class Run:
    """One warm decode process: a frame a minute, each in its own batch, arriving 65 s after its data time."""

    def __init__(self, profiles: dict[str, Profile], settings: DecodeSettings = SPREAD, point: str = POINT) -> None:
        self.clock = FixedClock(H9)
        self.store: Store = memory_store(clock=self.clock)
        register(self.store, channels=())
        bind(self.store, point_id=point)
        self.point = point
        self.profiles, self.settings = profiles, settings
        self.ledger = RollupLedger()
        self.rollups = 0
        self.first_seen: dict[datetime, datetime] = {}  # hour -> processing time its aggregate appeared

    def deliver(self, data_times: Iterable[datetime], at: datetime | None = None) -> None:
        for data_time in data_times:
            self.clock.set(at or data_time + timedelta(seconds=65))
            decoder = Decoder(self.store, self.clock, self.profiles, self.settings, rollups=self.ledger)
            decoder.decode(record(_minute_frame(data_time), at=self.clock.now(), cn="2051"))
            self.rollups += decoder.flush().rollups
            for agg in self.hours():
                self.first_seen.setdefault(agg.start, self.clock.now())

    def hours(self) -> list[Aggregate]:
        return self.store.readings.aggregates(self.point, AggregatePeriod.HOUR, H9, H9 + timedelta(hours=6))


def _minutes(start: datetime, n: int, skip: Iterable[datetime] = ()) -> list[datetime]:
    return [t for t in (start + timedelta(minutes=i) for i in range(n)) if t not in set(skip)]


def test_rollup_offsets_are_stable_whole_minutes_and_spread_over_the_hour() -> None:
    assert rollup_offset(POINT) == timedelta(minutes=43)  # crc32: the same in every process and machine
    ids = [f"RG{e:04d}-{kind}{n:04d}" for e in range(300) for kind in ("MF", "TA") for n in range(1, 3)]
    per_minute = [0] * 60
    for pid in ids:
        offset = rollup_offset(pid)
        assert offset == timedelta(minutes=int(offset.total_seconds() // 60)) and offset < timedelta(hours=1)
        per_minute[int(offset.total_seconds() // 60)] += 1
    mean = len(ids) / 60
    assert min(per_minute) >= mean / 3 and max(per_minute) <= 2 * mean  # 1,200 points: no minute carries many


def test_spread_rollup_runs_once_per_hour_at_the_points_minute(profiles: dict[str, Profile]) -> None:
    run = Run(profiles)
    run.deliver(_minutes(H9, 180))  # 17:00–19:59 China time
    h10 = H9 + timedelta(hours=1)
    assert [a.start for a in run.hours()] == [H9, h10]  # 11:00's trigger (11:43 + 65 s) is after the run
    assert all(a.samples == 60 for a in run.hours())
    # once per hour although five readings (xx:43–xx:47) fall in each trigger window (the ledger); the first is
    # 16:00, the hour before the data, rolled up empty by 17:43 as at an hour boundary without spreading
    assert run.rollups == 3
    for hour in (H9, h10):
        due = hour + timedelta(hours=1, minutes=43)
        assert due <= run.first_seen[hour] <= due + timedelta(minutes=2)  # delay after the hour: at most 59 min + 2


def test_spread_rollup_still_rolls_an_hour_whose_trigger_minute_is_missing(profiles: dict[str, Profile]) -> None:
    run = Run(profiles)
    trigger = H9 + timedelta(hours=1, minutes=43)
    run.deliver(_minutes(H9, 120, skip=[trigger, trigger + timedelta(minutes=1)]))
    (agg, *_) = run.hours()
    assert agg.start == H9 and agg.samples == 60
    assert run.first_seen[H9] == trigger + timedelta(minutes=2, seconds=65)


def test_a_window_running_past_the_hour_goes_on_into_the_next(profiles: dict[str, Profile]) -> None:
    point = "p-late-9"
    assert rollup_offset(point) == timedelta(minutes=58)
    run = Run(profiles, point=point)
    trigger = H9 + timedelta(hours=1, minutes=58)
    run.deliver(_minutes(H9, 125, skip=[trigger, trigger + timedelta(minutes=1)]))  # 18:58 and 18:59 missing
    (agg, *_) = run.hours()
    assert agg.start == H9 and agg.samples == 60
    assert run.first_seen[H9] == trigger + timedelta(minutes=2, seconds=65)  # by 19:00 (19:01:05)


def test_spread_rollup_rerolls_an_hour_for_late_data(profiles: dict[str, Profile]) -> None:
    run = Run(profiles)
    late = H9 + timedelta(minutes=30)
    run.deliver(_minutes(H9, 120, skip=[late]))
    assert run.hours()[0].samples == 59 and run.rollups == 2  # 16:00 (empty) and 17:00
    # Before the point's minute the late reading waits for the scheduled roll-up; after it, it re-rolls the hour.
    run.deliver([late], at=H9 + timedelta(hours=2, minutes=5))
    (agg,) = run.hours()
    assert agg.samples == 60 and agg.computed_at == H9 + timedelta(hours=2, minutes=5) and run.rollups == 3


def test_spread_rollup_waits_for_late_data_that_arrives_before_the_points_minute(
    profiles: dict[str, Profile],
) -> None:
    run = Run(profiles)
    last = H9 + timedelta(minutes=59)
    run.deliver(_minutes(H9, 59))
    run.deliver([last], at=H9 + timedelta(hours=1, minutes=10))  # 17:59 arrives at 18:10: not yet the minute
    assert run.hours() == [] and run.rollups == 1  # 16:00 only
    run.deliver(_minutes(H9 + timedelta(hours=1), 50))
    (agg,) = run.hours()
    assert agg.samples == 60 and run.rollups == 2


def test_spread_rollup_is_deterministic_across_runs(profiles: dict[str, Profile]) -> None:
    runs = [Run(profiles), Run(profiles)]
    for run in runs:
        run.deliver(_minutes(H9, 170, skip=[H9 + timedelta(minutes=7)]))
    a, b = ([(x.start, x.samples, x.energy_kwh, x.computed_at) for x in run.hours()] for run in runs)
    assert a == b and len(a) == 2
    assert runs[0].first_seen == runs[1].first_seen


def test_a_cold_start_inside_the_window_costs_one_more_rollup_never_a_missed_one(
    profiles: dict[str, Profile],
) -> None:
    run = Run(profiles)
    run.deliver(_minutes(H9, 105))  # up to 18:44 China time: 17:00 rolled at 18:43
    run.ledger = RollupLedger()  # a new container
    run.deliver(_minutes(H9 + timedelta(minutes=105), 15))
    assert run.rollups == 3 and run.hours()[0].samples == 60  # 16:00, 17:00 and 17:00 again


def test_without_spread_the_hour_is_rolled_at_its_boundary(profiles: dict[str, Profile]) -> None:
    run = Run(profiles, DecodeSettings())
    run.deliver(_minutes(H9, 62))
    assert run.first_seen[H9] == H9 + timedelta(hours=1, seconds=-60 + 65)  # 17:59 arriving at 18:00:05
