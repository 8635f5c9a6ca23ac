"""Live compliance of an emergency alert: the compliance report's rows evaluated from stored readings up to now
(or the alert's end), for the enterprises a caller may see, with the rules' learned baselines.

Cost: about 75 ms per enterprise-day of minute data on the bench machine, so callers page (`covered`, then
`rows` for one page of enterprises); a whole county over days is a report to export, not a request to wait for.
"""

from __future__ import annotations

from collections.abc import Collection
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


def evaluated_until(alert: EmergencyAlert, now: datetime) -> datetime:
    return max(min(alert.end, now.replace(second=0, microsecond=0)), alert.start)


def _inputs(store: Store, county_id: str) -> StoreRuleInputs:
    reader = None if store.sample_reader is None else store.sample_reader(cache=False)
    return StoreRuleInputs(store, store.rule_state, county_id, reader=reader)


def covered(store: Store, county_id: str, alert: EmergencyAlert, visible: frozenset[str] | None) -> list[str]:
    """The enterprises the alert covers that the caller may see (None: the whole county), sorted."""
    if visible is None:
        listed = store.registry.list_enterprises(county_id)
    else:
        listed = [e for e in map(store.registry.find_enterprise, sorted(visible)) if e is not None]
    return sorted(e.enterprise_id for e in listed if alert.covers(e.enterprise_id, e.town_id))


def rows(
    store: Store, county_id: str, alert: EmergencyAlert, now: datetime, enterprise_ids: Collection[str]
) -> list[ComplianceRow]:
    """One row per enterprise of `enterprise_ids` the alert covers, over [start, min(end, now))."""
    until = evaluated_until(alert, now)
    if until <= alert.start or not enterprise_ids:
        return []
    inputs = _inputs(store, county_id)
    topo = inputs.topology()
    chosen = {eid for eid in enterprise_ids if eid in topo.enterprises}
    baselines: dict[str, dict[int, float]] = {}
    for eid in chosen:
        baselines.update(baselines_of(DailyFigures.load(store.rule_state, eid), topo.points_of(eid)))
    window = replace(alert, end=max(until, alert.start + timedelta(minutes=1)))
    return build_report(inputs, inputs.config(load_defaults()), window, store.emergency.measures(), baselines, chosen)


def compliance_now(
    store: Store, county_id: str, alert_id: str, now: datetime, visible: frozenset[str] | None
) -> tuple[EmergencyAlert, list[ComplianceRow]]:
    """The alert (as stored) and one row per covered, visible enterprise (the whole report: the XLSX)."""
    alert = store.emergency.get_alert(alert_id)
    return alert, rows(store, county_id, alert, now, covered(store, county_id, alert, visible))
