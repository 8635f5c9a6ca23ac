"""The commissioning rules (the mini-program's checklist, judged on the server): thresholds, tolerances, and an
unknown that never counts as a pass."""

from __future__ import annotations

from datetime import UTC, datetime

from monitoring.field.commissioning import (
    commissioning_checks,
    direction_check,
    gps_check,
    newest_reading,
    sequence_check,
)
from monitoring.maintenance.models import Verdict
from monitoring.readings.models import Reading, ReadingKind
from monitoring.registry.terminal import GpsFix

T = datetime(2026, 12, 1, tzinfo=UTC)
U = {"angle_ua": 10.0, "angle_ub": 250.0, "angle_uc": 130.0}


def test_power_noise_around_zero_is_not_a_reversed_ct() -> None:
    assert direction_check({"pa": -0.04, "p": 0.0}).verdict is Verdict.PASS
    assert direction_check({"pa": -0.06}).verdict is Verdict.FAIL
    assert direction_check({"ua": 230.0}).verdict is Verdict.UNKNOWN


def test_sequence_tolerances_and_wrap_around() -> None:
    assert sequence_check(U).verdict is Verdict.PASS
    assert sequence_check(U).detail == "电压正序（没有电流相角，未核对电流）"
    assert sequence_check(U | {"angle_uc": 160.0}).verdict is Verdict.FAIL  # 30° off: beyond 25°
    currents = {"angle_ia": 340.0, "angle_ib": 300.0, "angle_ic": 80.0}  # 30°, 50°, 50° from their voltages
    assert sequence_check(U | currents).verdict is Verdict.PASS
    assert sequence_check(U | currents | {"angle_ic": 60.0}).detail == "C相电流与本相电压不对应：电流互感器接错相"


def test_gps_at_zero_zero_is_no_fix_and_nothing_known_is_no_pass() -> None:
    assert gps_check(GpsFix(0.0, 0.0, T)).verdict is Verdict.FAIL
    assert gps_check(GpsFix(32.4, 120.6, T)).detail == "32.40000, 120.60000"
    checks = commissioning_checks(None, GpsFix(32.4, 120.6, T))
    assert [c.verdict for c in checks] == [Verdict.UNKNOWN, Verdict.UNKNOWN, Verdict.UNKNOWN, Verdict.PASS]


def test_the_realtime_reading_is_judged_first() -> None:
    minute = Reading("p1", T, ReadingKind.MINUTE, {"ua": 1.0})
    realtime = Reading("p1", T, ReadingKind.REALTIME, {"ua": 2.0})
    assert newest_reading({ReadingKind.MINUTE: minute, ReadingKind.REALTIME: realtime}) is realtime
    assert newest_reading({ReadingKind.MINUTE: minute}) is minute
    assert newest_reading({}) is None
