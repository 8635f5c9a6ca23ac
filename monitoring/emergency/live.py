"""Live compliance of an emergency alert: the compliance report's rows evaluated from stored readings up to
now (or the alert's end), for the enterprises a caller may see, with the rules' learned baselines."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from monitoring.emergency.compliance import build_report
from monitoring.emergency.models import EmergencyAlert
from monitoring.emergency.service import ComplianceRow
from monitoring.evaluation.config import load_defaults
from monitoring.rules.passes import baselines_of
from monitoring.rules.state_docs import DailyFigures
from monitoring.rules.store_inputs import StoreRuleInputs
from monitoring.storage.ports import Store


def compliance_now(
    store: Store, county_id: str, alert_id: str, now: datetime, visible: frozenset[str] | None
) -> tuple[EmergencyAlert, list[ComplianceRow]]:
    """The alert (as stored) and one row per covered, visible enterprise over [start, min(end, now))."""
    alert = store.emergency.get_alert(alert_id)
    reader = None if store.sample_reader is None else store.sample_reader(cache=False)
    inputs = StoreRuleInputs(store, store.rule_state, county_id, reader=reader)
    topo = inputs.topology()
    chosen = {
        eid
        for eid, info in topo.enterprises.items()
        if alert.covers(eid, info.town) and (visible is None or eid in visible)
    }
    until = min(alert.end, now.replace(second=0, microsecond=0))
    if until <= alert.start or not chosen:
        return alert, []
    baselines: dict[str, dict[int, float]] = {}
    for eid in chosen:
        baselines.update(baselines_of(DailyFigures.load(store.rule_state, eid), topo.points_of(eid)))
    window = replace(alert, end=max(until, alert.start + timedelta(minutes=1)))
    rows = build_report(inputs, inputs.config(load_defaults()), window, store.emergency.measures(), baselines, chosen)
    return alert, rows
