"""The campaign in the API tests' county, and matrix helpers that put an enterprise at the step a route needs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from monitoring._time import china_day
from monitoring.accounts.models import Role
from monitoring.campaign.defaults import default_campaign
from monitoring.campaign.models import CampaignFile, StepRecord, TrialOutcome, TrialRun
from monitoring.registry.models import InstallStatus
from monitoring.storage.ports import Store

CAMPAIGN_ID = "rugao-2022"


def add_campaign_objects(store: Store, county_id: str) -> None:
    store.campaign.put_campaign(default_campaign(county_id))


def at_step(store: Store, enterprise_id: str, status: InstallStatus, **records: Any) -> int:
    """Put the enterprise at `status` (no exemption) with these file records; the file's new version."""
    e = store.registry.get_enterprise(enterprise_id)
    store.registry.put_enterprise(dataclasses.replace(e, install_status=status, exemption=None))
    found = store.campaign.find_file(CAMPAIGN_ID, enterprise_id) or CampaignFile(CAMPAIGN_ID, enterprise_id)
    keep = dataclasses.replace(CampaignFile(CAMPAIGN_ID, enterprise_id, version=found.version), **records)
    return store.campaign.put_file(keep).version


def _ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def _trial(outcome: TrialOutcome) -> TrialRun:
    started = _ago(20)
    return TrialRun(started, outcome, (), "矩阵", china_day(_ago(2)) if outcome is not TrialOutcome.RUNNING else None)


def fresh_step(status: InstallStatus, body: dict[str, Any] | None = None, **records: Any) -> Any:
    """A matrix `fresh`: ent-<scope> at `status`, and the step's body at the file's current version."""

    def make(api: Any, role: Role, scope: str) -> tuple[dict[str, str], Any]:
        version = at_step(api.store, f"ent-{scope}", status, **records)
        return {}, {"version": version, **(body or {})}

    return make


SURVEY = fresh_step(InstallStatus.PENDING_SURVEY, {"facilities": ["混料机"], "planned_points": ["混料机进线"]})
INSTALL = fresh_step(InstallStatus.SURVEYED)
RESTART = fresh_step(InstallStatus.TRIAL_RUN, trials=(_trial(TrialOutcome.FAILED),))
ACCEPT = fresh_step(InstallStatus.TRIAL_RUN, {"by": "王科长"}, trials=(_trial(TrialOutcome.PASSED),))
FILE = fresh_step(
    InstallStatus.ACCEPTED, trials=(_trial(TrialOutcome.PASSED),), acceptance=StepRecord(_ago(1), "王科长")
)
