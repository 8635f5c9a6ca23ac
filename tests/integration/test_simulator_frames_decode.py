"""End to end without sockets: what the simulator's terminals send decodes through the default profile.

The simulator is an independent client (it shares only the hj212 codec), so this checks that the platform's
default profile and the simulator's documented codes (data/profiles/simulator_default.json) agree: every
value it sends lands in a quantity, split minute records join, SOE become events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hj212 import Version, build_frame
from monitoring.archive.models import AuthStatus
from monitoring.clock import FixedClock
from monitoring.events.models import EventKind
from monitoring.ingest.decode import decode_records
from monitoring.ingest.records import FrameRecord, encode_record
from monitoring.profiles.loader import load_profiles
from monitoring.readings.models import ReadingKind
from monitoring.registry.models import FacilityKind, MonitoringPoint
from monitoring.registry.terminal import Terminal as Registered
from monitoring.registry.terminal import hash_password
from monitoring.storage.memory import memory_store
from tests.unit.simulator.conftest import START, run_for, scenario, terminal

pytestmark = pytest.mark.integration

CHINA = timedelta(hours=8)
# Codes the simulator sends that have no quantity in the Reading vocabulary (kept raw, visible).
NO_QUANTITY = {"DIa", "DIb", "DIc", "DPM"}


@pytest.mark.parametrize(("version", "st"), [("2017", "31"), ("2025", "44")])
def test_simulator_uploads_decode_into_readings_and_events(version: str, st: str) -> None:
    # Given a two-circuit terminal of the simulator that loses supply for a while
    sc = scenario(
        {"type": "production_on", "from_min": 0, "to_min": 240},
        {"type": "power_loss", "role": "control", "select": "first", "from_min": 8, "to_min": 12},
    )
    term = terminal(sc, 2, shared=True, version=version, st=st)
    records = run_for(term, 20)
    assert any(len(r.packets) > 1 for r in records)  # split uploads are part of the test
    # And the platform knows the terminal and its two circuits
    start_utc = (START - CHINA).replace(tzinfo=UTC)  # the simulator's START is China wall time
    clock = FixedClock(start_utc + timedelta(minutes=21))
    store = memory_store(clock=clock)
    mn = term.mn
    store.registry.put_terminal(Registered(mn=mn, county_id="rugao", password_hash=hash_password("123456", n=2)))
    for ch, role in (("01", FacilityKind.PRODUCTION), ("02", FacilityKind.CONTROL)):
        point = MonitoringPoint(f"pt{ch}", "E1", "F1", f"code{ch}", "回路", role, mn=mn, channel=ch)
        store.registry.put_point(point)
    # When every packet is framed as the simulator's link frames it and decoded
    stream = []
    for n, rec in enumerate(records):
        sent = datetime.strptime(rec.data_time, "%Y%m%d%H%M%S").replace(tzinfo=UTC) - CHINA + timedelta(seconds=2)
        for i, cp in enumerate(rec.packets, 1):
            split = len(rec.packets) > 1
            raw = build_frame(
                st=st,
                cn=rec.cn,
                mn=mn,
                pw="123456",
                qn=f"{rec.data_time}{n % 1000:03d}",
                version=Version.V2025 if version == "2025" else Version.V2017,
                ack=True,
                pnum=len(rec.packets) if split else None,
                pno=i if split else None,
                cp=cp,
            )
            received = sent + timedelta(milliseconds=i)
            stream.append(
                encode_record(
                    FrameRecord(mn, raw, received, "127.0.0.1:1", AuthStatus.OK, "hj212", rec.cn, "", "l", "s")
                )
            )
    report = decode_records(stream, store, clock, load_profiles())
    # Then nothing is unmapped, rejected or unreadable
    # (over_limit_clear has no Event kind yet: that SOE frame is "event_unmapped", kept in the archive)
    allowed = {"reading", "split_pending", "event", "event_unmapped", "restart", "info", "time", "ignore"}
    assert set(report.outcomes) <= allowed, report
    assert report.readings_new > 0 and report.unbound_channels == 0
    window = start_utc - timedelta(hours=1), clock.now() + timedelta(hours=1)
    for point in ("pt01", "pt02"):
        realtime = store.readings.readings(point, ReadingKind.REALTIME, *window)
        minute = store.readings.readings(point, ReadingKind.MINUTE, *window)
        assert realtime and minute
        assert {"ua", "ia", "p", "pf", "freq", "ep_fwd", "angle_ua"} <= set(realtime[-1].values)
        assert {"p", "ep_fwd"} <= set(minute[-1].values)
        for reading in realtime + minute:
            for code, fields in reading.raw.items():
                unmapped_value = {"Rtd", "Avg"} & set(fields)
                assert not unmapped_value or code.rstrip("0123456789") in NO_QUANTITY, (code, fields)
                assert "quality" not in fields, (code, fields)
    # The control circuit lost supply: three phase voltages crossed the limit at one instant, three events
    events = store.events.events_for_point("pt02", *window)
    assert sorted(e.detail["Code"] for e in events if e.kind is EventKind.OVER_LIMIT) == ["Ua02", "Ub02", "Uc02"]


def test_simulator_terminal_losing_supply_reports_power_loss_and_restore() -> None:
    # Given the control fan's own terminal, whose supply fails from minute 8 to 12
    sc = scenario(
        {"type": "production_on", "from_min": 0, "to_min": 240},
        {"type": "power_loss", "role": "control", "select": "first", "from_min": 8, "to_min": 12},
    )
    term = terminal(sc, 3)
    start_utc = (START - CHINA).replace(tzinfo=UTC)
    clock = FixedClock(start_utc + timedelta(minutes=21))
    store = memory_store(clock=clock)
    store.registry.put_terminal(Registered(mn=term.mn, county_id="rugao", password_hash=hash_password("1", n=2)))
    point = MonitoringPoint("fan", "E1", "F1", "TA001", "布袋除尘风机", FacilityKind.CONTROL, mn=term.mn, channel="01")
    store.registry.put_point(point)
    stream = []
    for n, rec in enumerate(r for r in run_for(term, 20) if r.kind in ("soe", "restart")):
        sent = datetime.strptime(rec.data_time, "%Y%m%d%H%M%S").replace(tzinfo=UTC) - CHINA
        raw = build_frame(st="31", cn=rec.cn, mn=term.mn, pw="1", qn=f"{rec.data_time}{n:03d}", cp=rec.packets[0])
        stream.append(encode_record(FrameRecord(term.mn, raw, sent, "p", AuthStatus.OK, "hj212", rec.cn, "", "l", "s")))
    # When decoded
    decode_records(stream, store, clock, load_profiles())
    # Then the loss and the restore are events of the fan's point, with the terminal's millisecond times
    kinds = [e.kind for e in store.events.events_for_point("fan", start_utc, clock.now())]
    assert EventKind.POWER_LOSS in kinds and EventKind.POWER_RESTORE in kinds
