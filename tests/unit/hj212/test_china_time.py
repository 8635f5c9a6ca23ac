"""China time is defined once (hj212.china_time) and every package uses that one object."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hj212.china_time import CHINA, CHINA_UTC_OFFSET_MINUTES

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("hj212", "monitoring", "iot_ingest", "functions", "miniprogram_api", "infra", "local", "simulator", "bench")
# A second definition: an eight-hour offset, the tz database's name for it, or a fixed-offset zone of any kind.
DEFINITION = re.compile(r"hours\s*=\s*8\b|ZoneInfo\(|timezone\(\s*timedelta|minutes\s*=\s*480\b")


def test_china_is_beijing_time_without_daylight_saving() -> None:
    for month in (1, 7):
        at = datetime(2026, month, 1, 16, 0, tzinfo=UTC)
        assert at.astimezone(CHINA).replace(tzinfo=None) == datetime(2026, month, 2, 0, 0)
    assert CHINA.utcoffset(None).total_seconds() == CHINA_UTC_OFFSET_MINUTES * 60


def test_no_other_module_defines_china_time() -> None:
    own = ROOT / "hj212" / "china_time.py"
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != own and "cdk.out" not in path.parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if DEFINITION.search(line)
    ]
    assert found == []


def test_monitoring_and_simulator_use_the_same_object() -> None:
    from monitoring._time import CHINA as monitoring_china
    from monitoring.readings.values import CHINA as values_china
    from monitoring.reports.workdays import CHINA as workdays_china
    from simulator.clock import CHINA as simulator_china

    assert monitoring_china is values_china is workdays_china is simulator_china is CHINA
