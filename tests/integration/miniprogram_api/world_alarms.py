"""The alarms area's objects in the API test county: per enterprise (ent-in, ent-out) a production and a control
point on one line, a pending alarm, an open fault report, a pending stoppage request; and one county-wide alert."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from monitoring.alarms.models import Alarm, AlarmState, Episode
from monitoring.emergency.models import EmergencyAlert, Level
from monitoring.registry.models import Association, Facility, FacilityKind, MonitoringPoint
from monitoring.reports.models import FaultKind, FaultReport, StoppageKind, StoppageRequest
from monitoring.storage.ports import Store

EVIDENCE: dict[str, Any] = {
    "association": "",
    "control_point": "",
    "production_points": [],
    "thresholds": {"min_duration_min": 10, "p_on_kw": 1.5, "p_off_kw": 1.0},
}


def add_alarm_objects(store: Store, inside: dict[str, str], outside: dict[str, str], now: datetime) -> None:
    """`now`: the server's clock (the objects' deadlines run from it). Ids go into `inside` / `outside`."""
    reg = store.registry
    for suffix, ids in (("in", inside), ("out", outside)):
        ent = f"ent-{suffix}"
        reg.put_facility(Facility(f"ra-f-{suffix}", ent, "MF0001", "喷涂线", FacilityKind.PRODUCTION))
        reg.put_facility(Facility(f"ra-c-{suffix}", ent, "TA0001", "活性炭吸附", FacilityKind.CONTROL))
        reg.put_point(
            MonitoringPoint(
                f"ra-p-{suffix}", ent, f"ra-f-{suffix}", f"RA-P-{suffix}", "喷涂线电源", FacilityKind.PRODUCTION
            )
        )
        reg.put_point(
            MonitoringPoint(f"ra-cp-{suffix}", ent, f"ra-c-{suffix}", f"RA-C-{suffix}", "风机", FacilityKind.CONTROL)
        )
        reg.put_association(Association(f"ra-a-{suffix}", ent, "1号治理线", f"ra-c-{suffix}", (f"ra-f-{suffix}",)))
        evidence = {
            **EVIDENCE,
            "association": f"ra-a-{suffix}",
            "control_point": f"ra-cp-{suffix}",
            "production_points": [f"ra-p-{suffix}"],
        }
        created = now - timedelta(minutes=30)
        episode = Episode(created - timedelta(minutes=10), None, evidence, {f"ra-cp-{suffix}": {"known_share": 1.0}})
        alarm = Alarm(
            f"alarm-{suffix}",
            "control_stopped",
            f"ra-a-{suffix}/ra-cp-{suffix}",
            ent,
            "high",
            AlarmState.PENDING,
            (episode,),
            created,
            created,
            (f"ra-p-{suffix}", f"ra-cp-{suffix}"),
        )
        store.alarms.put(alarm, expected_version=None)
        start = now - timedelta(hours=1)
        store.reports.put_fault(
            FaultReport(f"fault-{suffix}", ent, FaultKind.MONITORING, (f"ra-p-{suffix}",), start, now, "seed", "断电")
        )
        store.reports.put_stoppage(
            StoppageRequest(
                f"stop-{suffix}",
                ent,
                StoppageKind.CONTROL_STOP,
                (f"ra-cp-{suffix}",),
                now + timedelta(days=1),
                now + timedelta(days=2),
                "检修",
                now,
                "seed",
            )
        )
        ids.update(alarm_id=f"alarm-{suffix}", report_id=f"fault-{suffix}", request_id=f"stop-{suffix}")
    store.emergency.put_alert(
        EmergencyAlert("YJ-MATRIX", Level.ORANGE, now - timedelta(hours=1), now + timedelta(days=1), "矩阵测试预警")
    )
    inside["alert_id"] = "YJ-MATRIX"
