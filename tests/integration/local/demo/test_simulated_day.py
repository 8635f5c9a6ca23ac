"""A simulated working day through decode and the rules, judged as demo-check judges it.

demo-check covers 08:00-09:35 of a Monday; this covers the rest of the day shift without sockets or processes:
the simulator's terminals (5-minute data, as in the demo) → HJ 212 frames → decode into the embedded sqlite
store → a rule tick every 5 minutes → `judge_alarms` and `check_expected` over the fleet manifest. The day shift
stops for lunch at 12:00, restarts at 13:00 and ends at 17:30; behaving fans start 2-8 min before production and
stop 5-15 min after it. Nothing but the scenario's own alarms may stand at the end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hj212 import Version, build_frame
from local.demo.fleet import import_fleet
from local.demo.scoring import check_expected, judge_alarms
from monitoring.archive.models import AuthStatus
from monitoring.clock import FixedClock
from monitoring.evaluation.config import load_defaults
from monitoring.ingest.decode import decode_records
from monitoring.ingest.records import FrameRecord, encode_record
from monitoring.profiles.loader import load_profiles
from monitoring.rules.service import Emergency, Stores, evaluate_rules
from monitoring.rules.store_inputs import StoreRuleInputs
from monitoring.storage.sqlite import open_store
from simulator.fleet import build_enterprise, read_enterprises
from simulator.manifest import manifest
from simulator.model import SiteModel
from simulator.profile import load_profile
from simulator.scenario import load_scenario
from simulator.spec import EnterpriseSpec
from simulator.terminal import Terminal, TerminalSettings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[4]
CSV = ROOT / "data" / "registry" / "rugao_2022_enterprises.csv"
START = datetime(2026, 11, 30, 8, 0)  # Monday, China local time (the simulator's clock)
CHINA = timedelta(hours=8)
DAY_MIN = 10 * 60 + 30  # until 18:30: lunch and the end of the day shift
STEP = timedelta(minutes=5)
INTERVAL = 5


def _fleet() -> list[EnterpriseSpec]:
    """Two behaving day-shift enterprises and one whose order is wrong at 08:30 and 11:00, then behaves."""
    rows = read_enterprises(CSV)
    fleet: list[EnterpriseSpec] = []
    wanted = ["normal", "normal", "wrong_start_order"]
    for row in rows:
        if not wanted:
            break
        spec = build_enterprise(row, wanted[0], 1)
        if spec.shift == "day":
            fleet.append(spec)
            wanted.pop(0)
    return fleet


def _queued(raw: bytes, at: datetime, mn: str, cn: str) -> bytes:
    """A frame as the listener queues it once durable."""
    record = FrameRecord(mn, raw, at, "127.0.0.1:1", AuthStatus.OK, "hj212", cn=cn, listener="l", session="s")
    return encode_record(record)


def _frames(fleet: list[EnterpriseSpec]) -> list[tuple[datetime, bytes]]:
    """(receive time UTC, encoded queue record) of every upload of the day, in time order."""
    settings = {"min_interval_min": INTERVAL, "sample_s": 30, "rtd_interval_s": 30, "hour_data": False}
    out: list[tuple[datetime, bytes]] = []
    profile = load_profile()
    for spec in fleet:
        site = SiteModel(spec, load_scenario(spec.scenario), START, 1)
        for ts in spec.terminals:
            term = Terminal(ts, spec, site, profile, TerminalSettings(**settings, day_data=False))
            term.realtime_wanted = False
            n = 0
            for k in range(DAY_MIN * 2 + 1):
                t = START + timedelta(seconds=30 * k)
                for rec in term.step(t):
                    sent = (t - CHINA).replace(tzinfo=UTC) + timedelta(seconds=2)
                    for i, cp in enumerate(rec.packets, 1):
                        n += 1
                        split = len(rec.packets) > 1
                        raw = build_frame(
                            st="31",
                            cn=rec.cn,
                            mn=ts.mn,
                            pw=ts.password,
                            qn=t.strftime("%Y%m%d%H%M%S") + f"{n % 1000:03d}",
                            version=Version.V2017,
                            ack=True,
                            pnum=len(rec.packets) if split else None,
                            pno=i if split else None,
                            cp=cp,
                        )
                        at = sent + timedelta(milliseconds=i)
                        out.append((at, _queued(raw, at, ts.mn, rec.cn)))
    return sorted(out, key=lambda x: x[0])


def test_a_working_day_with_lunch_and_shift_end_raises_only_what_the_scenarios_call_for(tmp_path: Path) -> None:
    fleet = _fleet()
    assert [e.scenario for e in fleet] == ["normal", "normal", "wrong_start_order"]
    doc = manifest(fleet, seed=1, start=START, settings={"min_interval_min": INTERVAL})
    path = tmp_path / "gk.db"
    store = open_store(path)
    try:
        imported = import_fleet(store, doc, enterprise_csv=CSV, scrypt_n=2, minute_interval=INTERVAL)
        assert imported.enterprises == 3 and not imported.missing
        inputs = StoreRuleInputs(store, store.rule_state, "rugao")
        stores = Stores(inputs, store.rule_state, store.alarms, store.audit, store.reports)
        config = inputs.config(load_defaults())
        frames = _frames(fleet)
        begin = (START - CHINA).replace(tzinfo=UTC)
        clock = FixedClock(begin)
        profiles = load_profiles()
        # When the day is decoded as it arrives and the rules tick every 5 minutes
        now, i = begin + STEP, 0
        end = begin + timedelta(minutes=DAY_MIN)
        while now <= end:
            batch = []
            while i < len(frames) and frames[i][0] <= now:
                batch.append(frames[i][1])
                i += 1
            clock.advance(now - clock.now())
            if batch:
                decode_records(batch, store, clock, profiles)
            evaluate_rules(stores, config, Emergency(), now, transaction=store.batch)
            now += STEP
        alarms = store.alarms.list(limit=10_000)
        found = check_expected(store, doc, county_id="rugao", platform_now=end, minute_interval=INTERVAL)
    finally:
        store.close()
    # Then the wrong order at 08:30 and 11:00 is raised, and nothing else: not at the 12:00 lunch stop, the 13:00
    # restart or the 17:30 end of the shift, on the behaving enterprises or on the one that behaves from 13:00
    unexpected = judge_alarms(doc, alarms, county_id="rugao", minute_interval=INTERVAL)
    assert [(u.enterprise, u.rule, u.data_time, u.reason) for u in unexpected] == []
    assert found and all(e.met for e in found), found
    order = [a for a in alarms if a.rule == "start_stop_order"]
    kinds = sorted(ep.evidence["kind"] for a in order for ep in a.live_episodes)
    assert "start_late" in kinds and "stop_early" in kinds
