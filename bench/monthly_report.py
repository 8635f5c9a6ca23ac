"""Time to build the county's monthly report (figures, XLSX, PDF) on sqlite: N enterprises of two metered points
each, a whole month of hourly aggregates and daily completeness, alarms with answers, an emergency alert, upkeep.
Figures are printed, never asserted. More: docs/reports.md.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitoring._time import china_day_bounds  # noqa: E402
from monitoring.alarms.models import Alarm, AlarmState, Cause, Episode, Response  # noqa: E402
from monitoring.emergency.models import EmergencyAlert, Level  # noqa: E402
from monitoring.maintenance.models import MaintenanceEntry, MaintenanceKind  # noqa: E402
from monitoring.readings.models import Aggregate, AggregatePeriod, Completeness, ReadingKind  # noqa: E402
from monitoring.registry.models import (  # noqa: E402
    Branch,
    County,
    Enterprise,
    EnterpriseCategory,
    Facility,
    FacilityKind,
    InstallStatus,
    MonitoringPoint,
    Town,
)
from monitoring.registry.terminal import Terminal, hash_password  # noqa: E402
from monitoring.reports.monthly.build import build_monthly  # noqa: E402
from monitoring.reports.monthly.model import Scope, ScopeKind  # noqa: E402
from monitoring.reports.monthly.pdf import write_pdf  # noqa: E402
from monitoring.reports.monthly.xlsx import write_xlsx  # noqa: E402
from monitoring.storage.ports import Store  # noqa: E402
from monitoring.storage.sqlite import open_store  # noqa: E402

MONTH = date(2026, 11, 1)
START = china_day_bounds(MONTH)[0]
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 14:00 Beijing time, the report of the month just ended


def seed(store: Store, n: int) -> None:
    reg = store.registry
    reg.put_county(County("rugao", "如皋市"))
    for t in range(20):
        reg.put_town(Town(f"t{t}", "rugao", f"镇{t}"))
    for b in range(6):
        reg.put_branch(Branch(f"b{b}", "rugao", f"执法{b + 1}局"))
    pw = hash_password("123456", n=2**4)
    statuses = list(InstallStatus)
    with store.batch():
        for i in range(n):
            eid, mn = f"E{i:04d}", f"MN{i:06d}"
            e = Enterprise(
                eid, "rugao", f"如皋市第{i}化工有限公司", f"t{i % 20}", f"b{i % 6}", EnterpriseCategory.AIR_CONTROL
            )
            reg.put_enterprise(replace(e, install_status=statuses[i % len(statuses)], list_seq=i + 1))
            reg.put_terminal(Terminal(mn, "rugao", pw, enterprise_id=eid, online=True, last_frame_at=NOW))
            for k, role in enumerate((FacilityKind.PRODUCTION, FacilityKind.CONTROL)):
                reg.put_facility(Facility(f"{eid}-F{k}", eid, f"F{k:04d}", "设施", role, rated_power_kw=50.0))
                pid = f"{eid}-P{k}"
                reg.put_point(
                    MonitoringPoint(pid, eid, f"{eid}-F{k}", f"{eid}-C{k}", "电表", role, mn=mn, channel=f"0{k}")
                )
                for h in range(30 * 24):
                    if (h + i) % 37:  # a gap now and then
                        store.readings.put_aggregate(
                            Aggregate(pid, AggregatePeriod.HOUR, START + timedelta(hours=h), 60, energy_kwh=40.0)
                        )
                for d in range(30):
                    day = MONTH + timedelta(days=d)
                    store.readings.put_completeness(Completeness(pid, day, ReadingKind.MINUTE, 1440, 1400 - i % 50))
            for a in range(i % 4):
                at = START + timedelta(days=(i + a) % 30, hours=a)
                alarm = Alarm(f"al{i}-{a}", "control_stopped", f"s:{eid}:{a}", eid, "high", AlarmState.RESPONDED,
                              (Episode(at, at + timedelta(hours=1), {}, {}),), at, at)  # fmt: skip
                answer = Response(Cause.OTHER, "", (), "u", at + timedelta(minutes=30 * (1 + (i + a) % 6)))
                store.alarms.put(replace(alarm, response=answer), expected_version=None)
            at = START + timedelta(days=i % 30)
            store.maintenance.put_entry(
                MaintenanceEntry(
                    f"mt-{i}", eid, MaintenanceKind.INSPECTION, at, "inst", at, mn=mn, checklist={"a": True}
                )
            )
        store.emergency.put_alert(
            EmergencyAlert(
                "al", Level.ORANGE, START + timedelta(days=9), START + timedelta(days=12), "橙色预警", county_id="rugao"
            )
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--enterprises", type=int, default=301)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        seed(store, args.enterprises)
        print(f"seeded {args.enterprises} enterprises, a month of hourly data: {time.perf_counter() - t0:.1f} s")
        for run in range(args.runs):
            t0 = time.perf_counter()
            report = build_monthly(store, "rugao", Scope(ScopeKind.COUNTY), MONTH, NOW)
            t1 = time.perf_counter()
            xlsx, pdf = io.BytesIO(), io.BytesIO()
            write_xlsx(report, xlsx)
            t2 = time.perf_counter()
            write_pdf(report, pdf)
            t3 = time.perf_counter()
            print(
                f"run {run + 1}: figures {t1 - t0:.2f} s, XLSX {t2 - t1:.2f} s ({len(xlsx.getvalue()) // 1024} KiB), "
                f"PDF {t3 - t2:.2f} s ({len(pdf.getvalue()) // 1024} KiB), alarms {report.alarm_total}"
            )
        store.close()


if __name__ == "__main__":
    main()
