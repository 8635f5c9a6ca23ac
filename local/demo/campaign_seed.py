"""The demo county's installation campaign in progress, seeded deterministically by list 序号: most enterprises are
past 已联网; every third "normal" one (a scenario that expects no alarm) is at an early step or exempt. A 已安装 one
waits on a planned point with no terminal yet (not watched by the rules), so the campaign's run keeps it there."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from monitoring._time import CHINA
from monitoring.campaign.models import (
    Campaign,
    CampaignFile,
    Deadlines,
    Filing,
    StepRecord,
    SurveyRecord,
    TrialDay,
    TrialOutcome,
    TrialRun,
)
from monitoring.campaign.service import filing_due
from monitoring.registry.models import (
    Enterprise,
    Exemption,
    ExemptionReason,
    InstallStatus,
    MonitoringPoint,
    PointStatus,
)
from monitoring.reports.workdays import add_workdays
from monitoring.storage.ports import Store

INSTALLER = "demo-installer"
CLERK = "大气科 王科长"
# Most enterprises: their steps cycle through these, by list 序号.
LATE_STEPS = (
    InstallStatus.FILED, InstallStatus.ACCEPTED, InstallStatus.TRIAL_RUN, InstallStatus.NETWORKED, InstallStatus.FILED,
)  # fmt: skip
# Every third "normal" enterprise: the early steps and an exemption.
EARLY_STEPS = (InstallStatus.PENDING_SURVEY, InstallStatus.SURVEYED, InstallStatus.INSTALLED, None)


@dataclass(slots=True)
class CampaignSeed:
    campaign_id: str = ""
    by_status: dict[str, int] = dataclasses.field(default_factory=dict)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), CHINA)


def demo_campaign(county_id: str, today: date) -> Campaign:
    """Deadlines around the demo day: the survey deadline has passed, install+network and filing are ahead."""
    deadlines = Deadlines(today - timedelta(days=10), today + timedelta(days=5), today + timedelta(days=16))
    return Campaign(f"{county_id}-demo", county_id, "演示：重点废气排放企业工况用电监控系统建设", deadlines)


PLANNED_NAME = "待装点位（勘察拟装）"


def _survey(store: Store, e: Enterprise, day: date) -> SurveyRecord:
    """The survey planned the enterprise's registered points (the planned-only one included)."""
    points = tuple(p.name[:60] for p in store.registry.list_points(e.enterprise_id)) or ("生产设备进线",)
    return SurveyRecord(_at(day), INSTALLER, ("生产设备", "废气治理设施"), points[:60])


def _planned_point(store: Store, e: Enterprise) -> None:
    """A point the survey planned that has no terminal yet (调试, no MN): 已联网 waits for it; no rule watches it."""
    pid = f"{e.enterprise_id}-planned"
    if any(p.point_id == pid for p in store.registry.list_points(e.enterprise_id)):
        return
    facilities = store.registry.list_facilities(e.enterprise_id)
    if not facilities:
        return
    f = facilities[0]
    store.registry.put_point(
        MonitoringPoint(
            pid, e.enterprise_id, f.facility_id, pid, PLANNED_NAME, f.kind, status=PointStatus.COMMISSIONING
        )
    )


def _late_file(
    store: Store, campaign: Campaign, e: Enterprise, status: InstallStatus, today: date, n: int
) -> CampaignFile:
    start = today - timedelta(days=40)
    base = CampaignFile(campaign.campaign_id, e.enterprise_id, survey=_survey(store, e, start),
                        installation=StepRecord(_at(start + timedelta(days=6)), INSTALLER, "安装完成"),
                        networked_at=_at(start + timedelta(days=8), 9))  # fmt: skip
    if status is InstallStatus.NETWORKED:  # networked today: 已联网 for the day, the run enters the trial tomorrow
        return dataclasses.replace(base, networked_at=_at(today, 0), network_confirmed_on=today)
    if status is InstallStatus.TRIAL_RUN:  # a trial starting today: first data is the demo's own
        return dataclasses.replace(base, networked_at=_at(today, 0), trials=(TrialRun(_at(today, 0)),))
    days: list[TrialDay] = []
    d = start + timedelta(days=8)
    while len(days) < campaign.trial_workdays:
        d = add_workdays(d, 1)
        days.append(TrialDay(d, 0.97))
    trial = TrialRun(_at(start + timedelta(days=8), 9), TrialOutcome.PASSED, tuple(days),
                     f"连续 {campaign.trial_workdays} 个工作日数据完整率均不低于 90%", days[-1].day)  # fmt: skip
    accepted = _at(days[-1].day + timedelta(days=3 + n % 5), 15)
    file = dataclasses.replace(base, trials=(trial,), acceptance=StepRecord(accepted, "企业自行组织验收", "资料齐全"))
    if status is InstallStatus.ACCEPTED:
        return file
    due = filing_due(campaign, accepted)
    filed = add_workdays(accepted.astimezone(CHINA).date(), 3 if n % 3 else 7)  # every third one late
    return dataclasses.replace(file, filing=Filing(_at(filed, 11), CLERK, due, filed > due))


def seed_campaign(store: Store, manifest: dict[str, Any], *, county_id: str, today: date) -> CampaignSeed:
    """Idempotent: enterprises already carrying a campaign file are left as they are."""
    reg = store.registry
    scenario = {str(e["name"]): str(e.get("scenario", "")) for e in manifest["enterprises"]}
    campaign = demo_campaign(county_id, today)
    if not store.campaign.list_campaigns(county_id):
        store.campaign.put_campaign(campaign)
    seed = CampaignSeed(campaign.campaign_id)
    enterprises = [e for e in reg.list_enterprises(county_id) if e.name in scenario]
    enterprises.sort(key=lambda e: (e.list_seq or 0, e.enterprise_id))
    late = early = 0
    with store.batch():
        for i, e in enumerate(enterprises):
            if store.campaign.find_file(campaign.campaign_id, e.enterprise_id) is not None:
                continue
            status: InstallStatus | None
            if scenario[e.name] == "normal" and i % 3 == 1:
                status = EARLY_STEPS[early % len(EARLY_STEPS)]
                early += 1
                file = CampaignFile(campaign.campaign_id, e.enterprise_id)
                if status is None:  # 豁免: approved by the bureau
                    exemption = Exemption(ExemptionReason.TO_BE_CLOSED, CLERK, _at(today - timedelta(days=20)),
                                          "已列入关停计划")  # fmt: skip
                    reg.put_enterprise(dataclasses.replace(e, exemption=exemption))
                    store.campaign.put_file(file)
                    seed.by_status["exempt"] = seed.by_status.get("exempt", 0) + 1
                    continue
                if status is InstallStatus.INSTALLED:
                    _planned_point(store, e)
                if status.rank >= InstallStatus.SURVEYED.rank:
                    file = dataclasses.replace(file, survey=_survey(store, e, today - timedelta(days=12 + early % 5)))
                if status is InstallStatus.INSTALLED:
                    file = dataclasses.replace(file, installation=StepRecord(_at(today - timedelta(days=3)), INSTALLER))
            else:
                status = LATE_STEPS[late % len(LATE_STEPS)]
                file = _late_file(store, campaign, e, status, today, late)
                late += 1
            reg.put_enterprise(dataclasses.replace(e, install_status=status))
            store.campaign.put_file(file)
            seed.by_status[status.value] = seed.by_status.get(status.value, 0) + 1
    return seed
