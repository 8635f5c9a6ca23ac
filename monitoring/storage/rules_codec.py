"""JSON-ready dicts for the rules/alarms/reports/emergency records, shared by the sqlite and DynamoDB adapters.

Times are ISO 8601 with offset. Decoding validates nothing beyond shape: the stores only read back what the
domain wrote.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from monitoring.alarms.models import (
    Alarm,
    AlarmState,
    AuditEntry,
    Cause,
    Episode,
    Location,
    Reminder,
    Response,
    Verification,
)
from monitoring.emergency.models import EmergencyAlert, EnterpriseMeasures, HaltOrder, Level, LevelMeasures
from monitoring.reports.models import Decision, FaultKind, FaultReport, StoppageKind, StoppageRequest


def _t(v: datetime | None) -> str | None:
    return None if v is None else v.isoformat()


def _p(v: str | None) -> datetime | None:
    return None if v is None else datetime.fromisoformat(v)


def _pp(v: str) -> datetime:
    return datetime.fromisoformat(v)


def alarm_to_dict(a: Alarm) -> dict[str, Any]:
    return {
        "id": a.id,
        "rule": a.rule,
        "subject": a.subject,
        "enterprise_id": a.enterprise_id,
        "severity": a.severity,
        "state": a.state.value,
        "created_at": _t(a.created_at),
        "updated_at": _t(a.updated_at),
        "point_ids": list(a.point_ids),
        "episodes": [
            {
                "start": _t(e.start),
                "end": _t(e.end),
                "evidence": e.evidence,
                "quality": e.quality,
                "retracted": e.retracted,
                "suppressions": list(e.suppressions),
            }
            for e in a.episodes
        ],
        "response": None
        if a.response is None
        else {
            "cause": a.response.cause.value,
            "text": a.response.text,
            "photos": list(a.response.photos),
            "by": a.response.by,
            "at": _t(a.response.at),
            "location": _loc(a.response.location),
        },
        "dispatched_to": a.dispatched_to,
        "dispatched_at": _t(a.dispatched_at),
        "verification": None
        if a.verification is None
        else {
            "result": a.verification.result,
            "photos": list(a.verification.photos),
            "by": a.verification.by,
            "at": _t(a.verification.at),
            "location": _loc(a.verification.location),
        },
        "closed_at": _t(a.closed_at),
        "close_note": a.close_note,
        "escalated_at": _t(a.escalated_at),
        "reminders": [{"at": _t(r.at), "audience": r.audience, "reason": r.reason} for r in a.reminders],
        "version": a.version,
        "extra": dict(a.extra),
    }


def _loc(loc: Location | None) -> dict[str, Any] | None:
    return None if loc is None else {"lat": loc.lat, "lon": loc.lon, "accuracy_m": loc.accuracy_m}


def _loc_of(d: dict[str, Any]) -> Location | None:
    """The answer's location; None for answers stored before locations were kept."""
    loc = d.get("location")
    return None if loc is None else Location(loc["lat"], loc["lon"], loc.get("accuracy_m"))


def alarm_from_dict(d: dict[str, Any]) -> Alarm:
    r, v = d.get("response"), d.get("verification")
    return Alarm(
        id=d["id"],
        rule=d["rule"],
        subject=d["subject"],
        enterprise_id=d["enterprise_id"],
        severity=d["severity"],
        state=AlarmState(d["state"]),
        episodes=tuple(
            Episode(
                _pp(e["start"]), _p(e["end"]), e["evidence"], e["quality"], e["retracted"], tuple(e["suppressions"])
            )
            for e in d["episodes"]
        ),
        created_at=_pp(d["created_at"]),
        updated_at=_pp(d["updated_at"]),
        point_ids=tuple(d["point_ids"]),
        response=None
        if r is None
        else Response(Cause(r["cause"]), r["text"], tuple(r["photos"]), r["by"], _pp(r["at"]), _loc_of(r)),
        dispatched_to=d["dispatched_to"],
        dispatched_at=_p(d["dispatched_at"]),
        verification=None
        if v is None
        else Verification(v["result"], tuple(v["photos"]), v["by"], _pp(v["at"]), _loc_of(v)),
        closed_at=_p(d["closed_at"]),
        close_note=d["close_note"],
        escalated_at=_p(d["escalated_at"]),
        reminders=tuple(Reminder(_pp(x["at"]), x["audience"], x["reason"]) for x in d["reminders"]),
        version=d["version"],
        extra=d.get("extra", {}),
    )


def audit_to_dict(e: AuditEntry) -> dict[str, Any]:
    out = asdict(e)
    out["at"] = _t(e.at)
    out["detail"] = dict(e.detail)
    return out


def audit_from_dict(d: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        d["alarm_id"],
        _pp(d["at"]),
        d["actor"],
        d["role"],
        d["source"],
        d["action"],
        d["from_state"],
        d["to_state"],
        d["detail"],
    )


def fault_to_dict(f: FaultReport) -> dict[str, Any]:
    return {
        "id": f.id,
        "enterprise_id": f.enterprise_id,
        "kind": f.kind.value,
        "point_ids": list(f.point_ids),
        "fault_start": _t(f.fault_start),
        "filed_at": _t(f.filed_at),
        "filed_by": f.filed_by,
        "description": f.description,
        "photos": list(f.photos),
        "resolved_at": _t(f.resolved_at),
        "acknowledged_by": f.acknowledged_by,
    }


def fault_from_dict(d: dict[str, Any]) -> FaultReport:
    return FaultReport(
        d["id"],
        d["enterprise_id"],
        FaultKind(d["kind"]),
        tuple(d["point_ids"]),
        _pp(d["fault_start"]),
        _pp(d["filed_at"]),
        d["filed_by"],
        d["description"],
        tuple(d["photos"]),
        _p(d["resolved_at"]),
        d["acknowledged_by"],
    )


def stoppage_to_dict(s: StoppageRequest) -> dict[str, Any]:
    return {
        "id": s.id,
        "enterprise_id": s.enterprise_id,
        "kind": s.kind.value,
        "point_ids": list(s.point_ids),
        "start": _t(s.start),
        "end": _t(s.end),
        "reason": s.reason,
        "filed_at": _t(s.filed_at),
        "filed_by": s.filed_by,
        "decision": s.decision.value,
        "decided_at": _t(s.decided_at),
        "decided_by": s.decided_by,
        "decision_note": s.decision_note,
    }


def stoppage_from_dict(d: dict[str, Any]) -> StoppageRequest:
    return StoppageRequest(
        d["id"],
        d["enterprise_id"],
        StoppageKind(d["kind"]),
        tuple(d["point_ids"]),
        _pp(d["start"]),
        _p(d["end"]),
        d["reason"],
        _pp(d["filed_at"]),
        d["filed_by"],
        Decision(d["decision"]),
        _p(d["decided_at"]),
        d["decided_by"],
        d["decision_note"],
    )


def alert_to_dict(a: EmergencyAlert) -> dict[str, Any]:
    return {
        "id": a.id,
        "level": a.level.value,
        "start": _t(a.start),
        "end": _t(a.end),
        "title": a.title,
        "enterprises": None if a.enterprises is None else sorted(a.enterprises),
        "towns": None if a.towns is None else sorted(a.towns),
        "declared_by": a.declared_by,
        "county_id": a.county_id,
    }


def alert_from_dict(d: dict[str, Any]) -> EmergencyAlert:
    ents, towns = d.get("enterprises"), d.get("towns")
    return EmergencyAlert(
        d["id"],
        Level(d["level"]),
        _pp(d["start"]),
        _pp(d["end"]),
        d.get("title", ""),
        None if ents is None else frozenset(ents),
        None if towns is None else frozenset(towns),
        d.get("declared_by", ""),
        str(d.get("county_id") or ""),
    )


def measures_to_dict(m: EnterpriseMeasures) -> dict[str, Any]:
    return {
        "enterprise_id": m.enterprise_id,
        "levels": {
            lv.value: {
                "stop_points": list(x.stop_points),
                "energy_share": x.energy_share,
                "forbidden_hours": [list(h) for h in x.forbidden_hours],
            }
            for lv, x in m.levels.items()
        },
    }


def measures_from_dict(d: dict[str, Any]) -> EnterpriseMeasures:
    return EnterpriseMeasures(
        d["enterprise_id"],
        {
            Level(k): LevelMeasures(
                tuple(v.get("stop_points", ())),
                v.get("energy_share"),
                tuple((int(a), int(b)) for a, b in v.get("forbidden_hours", ())),
            )
            for k, v in d["levels"].items()
        },
    )


def halt_to_dict(h: HaltOrder) -> dict[str, Any]:
    return {"id": h.id, "enterprise_id": h.enterprise_id, "start": _t(h.start), "end": _t(h.end), "reason": h.reason}


def halt_from_dict(d: dict[str, Any]) -> HaltOrder:
    return HaltOrder(d["id"], d["enterprise_id"], _pp(d["start"]), _p(d["end"]), d.get("reason", ""))
