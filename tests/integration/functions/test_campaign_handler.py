"""every_fifteen_minutes_campaign with an EventBridge event on sqlite: an installed enterprise whose points send data
becomes 已联网 (for the rest of that day: a redelivered tick changes nothing), and the next day's run enters its trial,
which starts at the first data."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from functions.every_fifteen_minutes_campaign import handler
from monitoring.campaign.defaults import default_campaign
from monitoring.campaign.service import load_file
from monitoring.registry.models import InstallStatus
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.unit.monitoring.campaign.world import beijing, data_days

pytestmark = pytest.mark.integration


def test_the_scheduled_run_networks_and_starts_the_trial_once(wired_store: Store, lambda_context: Any) -> None:
    reg = wired_store.registry
    b.seed_jurisdictions(reg)
    e = reg.put_enterprise(b.enterprise("e1"))
    reg.put_enterprise(dataclasses.replace(e, install_status=InstallStatus.INSTALLED))
    reg.put_facility(b.facility("f1"))
    reg.put_point(b.point("p1", mn="MN0001"))
    campaign = default_campaign(e.county_id)
    wired_store.campaign.put_campaign(campaign)
    data_days(wired_store, "p1", date(2026, 11, 20), 7)
    event = {"time": "2026-11-25T02:00:00Z", "detail-type": "Scheduled Event", "source": "aws.events"}
    first = handler(event, lambda_context)
    assert first == {"networked": 1, "trials_started": 0, "passed": 0, "failed": 0}
    assert reg.get_enterprise("e1").install_status is InstallStatus.NETWORKED
    assert handler(event, lambda_context) == {"networked": 0, "trials_started": 0, "passed": 0, "failed": 0}
    next_day = {**event, "time": "2026-11-25T16:15:00Z"}  # 00:15 Beijing the next day
    assert handler(next_day, lambda_context) == {"networked": 0, "trials_started": 1, "passed": 0, "failed": 0}
    assert reg.get_enterprise("e1").install_status is InstallStatus.TRIAL_RUN
    trial = load_file(wired_store, campaign, "e1").trial
    assert trial is not None and trial.started_at == beijing(date(2026, 11, 20), 9)
    assert handler(next_day, lambda_context) == {"networked": 0, "trials_started": 0, "passed": 0, "failed": 0}
