"""GET /health tells the platform's time and its clock's rate, so the dashboard ticks its countdowns at the
demo's speed instead of drifting between readings."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from local.clock import PlatformClock, Timeline
from monitoring.clock import FixedClock
from monitoring.storage.sqlite import open_store
from tests.support.api import api_settings, serve

START = datetime.fromisoformat("2026-11-30T08:00:00+08:00")


@pytest.mark.integration
@pytest.mark.parametrize(("accel", "wall_later"), [(10.0, 30.0), (1.0, 30.0)])
def test_health_says_the_platform_time_and_rate(tmp_path: Path, accel: float, wall_later: float) -> None:
    anchor = 1_000_000.0
    clock = PlatformClock(Timeline(START, anchor, accel), wall=lambda: anchor + wall_later)
    store = open_store(str(tmp_path / "h.db"))
    try:
        with serve(store, api_settings(), clock=clock) as client:
            reply = client.get("/health")
    finally:
        store.close()
    assert reply.status == 200, reply
    assert reply.json["rate"] == accel
    assert datetime.fromisoformat(reply.json["time"]) == START + timedelta(seconds=wall_later * accel)
    assert reply.json["time"].endswith("+08:00")


@pytest.mark.integration
def test_a_clock_without_a_rate_runs_at_one(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "h.db"))
    try:
        with serve(store, api_settings(), clock=FixedClock(START)) as client:
            reply = client.get("/health")
    finally:
        store.close()
    assert reply.json["rate"] == 1.0
