"""The terminal: what it uploads and when, power loss and restore, over-limit SOE, clocks, determinism."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from simulator.events import Record
from tests.unit.simulator.conftest import START, run_for, scenario, terminal

pytestmark = pytest.mark.unit


def _items(rec: Record) -> dict[str, str]:
    out = {}
    for packet in rec.packets:
        for part in re.split("[;,]", packet):
            k, _, v = part.partition("=")
            out[k] = v
    return out


def _kind(recs: list[Record], kind: str) -> list[Record]:
    return [r for r in recs if r.kind == kind]


def test_terminal_uploads_realtime_every_interval_and_minute_data_each_minute() -> None:
    # Given a production terminal sampling every 10 s, real-time every 30 s, minute data every minute
    recs = run_for(terminal(scenario(), 2), 5)
    # Then 11 real-time uploads (08:00:00 … 08:05:00) and 5 closed minutes labelled with their start
    assert [r.data_time for r in _kind(recs, "realtime")][:3] == ["20261130080000", "20261130080030", "20261130080100"]
    assert len(_kind(recs, "realtime")) == 11
    assert [r.data_time for r in _kind(recs, "minute")] == [f"2026113008{m:02d}00" for m in range(5)]
    assert all(r.cn == "2051" for r in _kind(recs, "minute")) and all(r.cn == "2011" for r in _kind(recs, "realtime"))


def test_terminal_realtime_upload_carries_every_profile_code_and_gps(profile) -> None:  # type: ignore[no-untyped-def]
    rec = _kind(run_for(terminal(scenario(), 2), 1), "realtime")[-1]
    items = _items(rec)
    assert {f"{q.code}01-Rtd" for q in profile.quantities} <= set(items)
    assert items["GPS-Lat"] == "32.100000" and items["GPS-Lng"] == "120.500000"
    assert all(items[f"{q.code}01-Flag"] == "N" for q in profile.quantities)


def test_terminal_splits_long_records_into_packets_within_the_segment_limit() -> None:
    recs = run_for(terminal(scenario(), 2, shared=True), 2)
    minute = _kind(recs, "minute")[0]
    assert len(minute.packets) > 1
    assert all(len(p) <= 900 and p.startswith("DataTime=20261130080000;") for p in minute.packets)


def test_minute_counter_increment_matches_average_power(profile) -> None:  # type: ignore[no-untyped-def]
    # Given minute data of a running production line
    minute = _items(_kind(run_for(terminal(scenario(), 2), 20), "minute")[-1])
    # Then Cou of forward energy = Avg P × 1 min, and the register Max is its end reading
    assert float(minute["EPf01-Cou"]) == pytest.approx(float(minute["P01-Avg"]) / 60.0, abs=0.011)
    assert float(minute["P01-Min"]) <= float(minute["P01-Avg"]) <= float(minute["P01-Max"])


def test_hour_and_day_data_and_daily_run_time_are_uploaded() -> None:
    recs = run_for(terminal(scenario(), 2, sample_s=60, rtd_interval_s=600), 24 * 60 + 1, START.replace(hour=0))
    assert [r.data_time for r in _kind(recs, "hour")][:2] == ["20261130000000", "20261130010000"]
    day = _kind(recs, "day")
    assert [r.cn for r in day] == ["2031"] and day[0].data_time == "20261130000000"
    run_h = float(_items(_kind(recs, "runtime")[0])["SB01-RT"])
    assert 8.3 < run_h <= 8.5  # 08:00–12:00 and 13:00–17:30 on a Monday, less the first ramp-up minutes


def test_power_loss_is_reported_with_ms_time_then_the_terminal_goes_dark_and_restarts() -> None:
    # Given the control circuit (which feeds its own terminal) losing supply from 08:30:00 to 09:00:00
    sc = scenario({"type": "power_loss", "role": "control", "from_min": 30, "to_min": 60})
    term = terminal(sc, 3, boot_s=20)
    recs = run_for(term, 70)
    soe = _kind(recs, "soe")
    # Then the loss is recorded at the exact instant, urgently, and nothing is sampled while dark
    first = _items(soe[0])
    assert first["SOE1-EventType"] == "power_loss" and first["SOE1-EventTime"] == "20261130083000000"
    assert soe[0].urgent and soe[0].cn == "3020"
    gap = [r.data_time for r in _kind(recs, "realtime") if "20261130083000" < r.data_time < "20261130090020"]
    assert gap == []
    # And after the restore it reports the restore and its restart time (CN 2081), then data resumes
    restore = _items(soe[1])
    assert restore["SOE1-EventType"] == "power_restore" and restore["SOE1-EventTime"] == "20261130090000000"
    restart = _kind(recs, "restart")
    assert _items(restart[0])["RestartTime"] == "20261130090020"
    assert any(r.data_time >= "20261130090030" for r in _kind(recs, "realtime"))
    assert term.state == "alive"


def test_power_loss_minute_is_flagged_incomplete() -> None:
    sc = scenario({"type": "power_loss", "role": "control", "from_min": 30.5, "to_min": 60})
    minutes = {r.data_time: _items(r) for r in _kind(run_for(terminal(sc, 3), 65), "minute")}
    assert minutes["20261130082900"]["P01-Flag"] == "N"
    assert minutes["20261130083000"]["P01-Flag"] == "D"


def test_second_channel_losing_voltage_raises_over_limit_on_a_live_terminal() -> None:
    # Given production and control on one 2-channel terminal powered by channel 1, control losing supply
    sc = scenario({"type": "power_loss", "role": "control", "from_min": 30, "to_min": 60})
    recs = run_for(terminal(sc, 2, shared=True), 65)
    events = [_items(r) for r in _kind(recs, "soe")]
    # Then the terminal stays up and logs low-voltage over-limit events on channel 2, and clears them
    types = [(e["SOE1-EventType"], e["SOE1-Code"]) for e in events]
    assert ("over_limit", "Ua02") in types and ("over_limit_clear", "Ua02") in types
    assert not any(t == "power_loss" for t, _ in types)


def test_overvoltage_logs_over_limit_and_clear_events() -> None:
    recs = run_for(
        terminal(scenario({"type": "voltage_deviation", "factor": 1.13, "from_min": 10, "to_min": 20}), 1), 25
    )
    events = [_items(r) for r in _kind(recs, "soe")]
    assert events[0]["SOE1-EventType"] == "over_limit" and float(events[0]["SOE1-Value"]) > 253
    assert {e["SOE3-EventType"] for e in events if "SOE3-EventType" in e} >= {"over_limit", "over_limit_clear"}


def test_network_outage_covers_the_window_only() -> None:
    term = terminal(scenario({"type": "network_outage", "from_min": 20, "to_min": 80}), 1)
    assert term.network_up(START + timedelta(minutes=19))
    assert not term.can_talk(START + timedelta(minutes=20))
    assert term.can_talk(START + timedelta(minutes=80))


def test_clock_drift_shifts_data_time_and_time_setting_corrects_it() -> None:
    term = terminal(scenario({"type": "clock_drift", "s_per_hour": 600, "accept_time_set": True}), 1)
    t = START + timedelta(hours=1)
    term.now(START)
    assert term.now(t) == t + timedelta(minutes=10)
    term.clock.set(t, t)
    assert term.now(t + timedelta(minutes=30)) == t + timedelta(minutes=35)


def test_wrong_password_scenario_changes_the_terminal_password() -> None:
    assert terminal(scenario({"type": "wrong_password", "password": "999999"}), 1).password == "999999"
    assert terminal(scenario(), 1).password == "123456"


def test_terminal_output_is_deterministic_for_a_seed() -> None:
    a = run_for(terminal(scenario(), 2, seed=4), 3)
    b = run_for(terminal(scenario(), 2, seed=4), 3)
    c = run_for(terminal(scenario(), 2, seed=5), 3)
    assert a == b and a != c


def test_minute_history_is_kept_for_pulls() -> None:
    term = terminal(scenario(), 2)
    run_for(term, 10)
    assert [r.data_time for r in term.history if r.kind == "minute"][-1] == "20261130080900"


def test_sample_interval_must_divide_a_minute() -> None:
    with pytest.raises(ValueError, match="divide 60"):
        terminal(scenario(), 1, sample_s=7)


def test_flatline_freezes_uploaded_values() -> None:
    sc = scenario({"type": "flatline", "role": "production", "from_min": 5, "to_min": 30})
    rts = [_items(r) for r in _kind(run_for(terminal(sc, 2), 20), "realtime") if r.data_time > "20261130080600"]
    body = [{k: v for k, v in r.items() if k != "DataTime"} for r in rts]
    assert len(body) > 10 and all(b == body[0] for b in body)


def test_ct_reversed_control_point_reports_negative_power() -> None:
    sc = scenario({"type": "ct_reversed", "role": "control", "phases": "abc"})
    rt = _items(_kind(run_for(terminal(sc, 3), 20), "realtime")[-1])
    assert float(rt["P01-Rtd"]) < 0 and float(rt["EPr01-Rtd"]) > 0


def test_zero_current_keeps_voltage() -> None:
    sc = scenario({"type": "zero_current", "role": "control", "from_min": 5, "to_min": 30})
    rt = _items(_kind(run_for(terminal(sc, 3), 20), "realtime")[-1])
    assert float(rt["Ua01-Rtd"]) > 200 and float(rt["Ia01-Rtd"]) == 0.0


def test_start_time_not_on_sample_grid_is_aligned() -> None:
    recs = run_for(terminal(scenario(), 2), 1, datetime(2026, 11, 30, 8, 0, 0))
    assert recs[0].data_time == "20261130080000"


def test_terminal_reports_its_position_as_a_3020_gps_info_upload() -> None:
    # Given a terminal whose clock reads 08:00:05 (the enterprise sits at 32.1 N, 120.5 E)
    term = terminal(scenario(), 2)
    rec = term.gps_record(START + timedelta(seconds=5))
    # Then the position is one CN 3020 packet stamped with the terminal's time, InfoId=GPS, both axes
    assert (rec.cn, rec.kind, rec.data_time, len(rec.packets)) == ("3020", "info", "20261130080005", 1)
    assert rec.packets[0] == "DataTime=20261130080005;InfoId=GPS;GPS-Lng=120.500000,GPS-Lat=32.100000"
