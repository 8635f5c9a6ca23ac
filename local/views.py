"""What a person asks the embedded platform from the command line: alarms and an enterprise's readings."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from monitoring.alarms.models import AlarmState
from monitoring.evaluation.catalogue import RULES
from monitoring.readings.models import ReadingKind
from monitoring.storage.ports import Store

CHINA = timedelta(hours=8)
OPEN = (AlarmState.PENDING, AlarmState.RESPONDED, AlarmState.DISPATCHED, AlarmState.VERIFIED)


def local_text(at: datetime | None) -> str:
    return "-" if at is None else (at.astimezone(UTC) + CHINA).strftime("%Y-%m-%d %H:%M")


def alarm_rows(
    store: Store, rules_stores: Any, *, enterprise_id: str | None = None, all_states: bool = False, limit: int = 200
) -> list[dict[str, Any]]:
    """Alarms newest first, with the enterprise, town and rule names a person reads."""
    alarms = rules_stores.alarms.list(
        enterprise_id=enterprise_id, states=None if all_states else list(OPEN), limit=limit
    )
    towns = {t.town_id: t.name for c in store.registry.list_counties() for t in store.registry.list_towns(c.county_id)}
    names: dict[str, tuple[str, str]] = {}
    rows = []
    for a in alarms:
        if a.enterprise_id not in names:
            e = store.registry.find_enterprise(a.enterprise_id)
            names[a.enterprise_id] = (e.name, towns.get(e.town_id, e.town_id)) if e else (a.enterprise_id, "-")
        episode = a.episodes[0] if a.episodes else None
        rows.append(
            {
                "id": a.id,
                "rule": a.rule,
                "rule_name": RULES[a.rule].name if a.rule in RULES else a.rule,
                "state": a.state.value,
                "severity": a.severity,
                "enterprise": names[a.enterprise_id][0],
                "town": names[a.enterprise_id][1],
                "points": ",".join(a.point_ids),
                "subject": a.subject,
                "start": local_text(episode.start if episode else None),
                "end": local_text(episode.end if episode else None),
                "raised": local_text(a.created_at),
            }
        )
    return rows


def readings_rows(store: Store, enterprise_id: str, *, minutes: int, now: datetime) -> list[dict[str, Any]]:
    """The last `minutes` of minute data of every point of an enterprise."""
    rows = []
    for p in store.registry.list_points(enterprise_id):
        for r in store.readings.readings(p.point_id, ReadingKind.MINUTE, now - timedelta(minutes=minutes), now):
            v = r.values
            rows.append(
                {
                    "point": p.point_id,
                    "role": p.role.value,
                    "time": local_text(r.data_time),
                    "p_kw": v.get("p"),
                    "ia": v.get("ia"),
                    "ua": v.get("ua"),
                    "pf": v.get("pf"),
                    "ep_fwd": v.get("ep_fwd"),
                }
            )
    return rows


def open_alarm_summary(rows: list[dict[str, Any]]) -> tuple[Counter[str], Counter[str]]:
    """Open alarms counted by rule and by town."""
    return Counter(r["rule"] for r in rows), Counter(r["town"] for r in rows)
