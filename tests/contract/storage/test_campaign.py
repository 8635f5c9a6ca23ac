"""Contract: campaigns are put and read back per county; campaign files are written on their version (a stale
version is refused), keep every step record, and list per campaign."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from monitoring.campaign.models import (
    Campaign,
    CampaignFile,
    Deadlines,
    Filing,
    StepRecord,
    SurveyRecord,
    TownDeadlines,
    TrialDay,
    TrialOutcome,
    TrialRun,
)
from monitoring.errors import ConflictError, NotFoundError
from monitoring.storage.ports import Store
from tests.contract.storage.conftest import NOW

pytestmark = pytest.mark.contract

DEADLINES = Deadlines(date(2022, 9, 30), date(2022, 10, 20), date(2022, 10, 31))


def _campaign(campaign_id: str = "rugao-2022", county_id: str = "rugao") -> Campaign:
    later = Deadlines(date(2022, 10, 10), date(2022, 10, 25), date(2022, 11, 5))
    return Campaign(campaign_id, county_id, "2022 安装", DEADLINES, (TownDeadlines("t-2", later),))


def test_campaigns_round_trip_and_list_per_county(store: Store) -> None:
    store.campaign.put_campaign(_campaign())
    store.campaign.put_campaign(_campaign("other", "haian"))
    got = store.campaign.get_campaign("rugao-2022")
    assert got == _campaign()
    assert got.deadlines_for("t-2").survey == date(2022, 10, 10)
    assert got.deadlines_for("t-1") == DEADLINES
    assert [c.campaign_id for c in store.campaign.list_campaigns("rugao")] == ["rugao-2022"]
    changed = dataclasses.replace(_campaign(), name="改名")
    store.campaign.put_campaign(changed)
    assert store.campaign.get_campaign("rugao-2022").name == "改名"
    with pytest.raises(NotFoundError):
        store.campaign.get_campaign("nope")


def test_files_are_written_on_their_version_and_keep_every_record(store: Store) -> None:
    new = CampaignFile("rugao-2022", "e1")
    first = store.campaign.put_file(new)
    assert first.version == 1
    with pytest.raises(ConflictError):
        store.campaign.put_file(new)  # version 0 again: it exists now
    survey = SurveyRecord(NOW, "acct-i1", ("MF0001 混料机", "TA001 除尘器"), ("混料机进线", "除尘风机"),
                          ("ph-" + "b" * 32,), "东侧配电房")  # fmt: skip
    trial = TrialRun(NOW + timedelta(days=3), TrialOutcome.PASSED, (TrialDay(date(2022, 10, 10), 0.97),), "通过",
                     date(2022, 10, 18))  # fmt: skip
    full = dataclasses.replace(
        first,
        survey=survey,
        installation=StepRecord(NOW + timedelta(days=1), "acct-i1", "安装完成"),
        networked_at=NOW + timedelta(days=2),
        trials=(trial,),
        acceptance=StepRecord(NOW + timedelta(days=20), "王科长"),
        filing=Filing(NOW + timedelta(days=22), "王科长", date(2022, 10, 30), False),
    )
    second = store.campaign.put_file(full)
    assert second.version == 2
    with pytest.raises(ConflictError):
        store.campaign.put_file(full)  # stale: version 1 is no longer stored
    got = store.campaign.find_file("rugao-2022", "e1")
    assert got == second
    assert store.campaign.find_file("rugao-2022", "e2") is None
    store.campaign.put_file(CampaignFile("rugao-2022", "e0"))
    store.campaign.put_file(CampaignFile("other", "e9"))
    assert [f.enterprise_id for f in store.campaign.list_files("rugao-2022")] == ["e0", "e1"]
