"""Campaign use cases: each step's record with its rule (one step at a time, the registry's status moves with it),
optimistic versions, exemptions, and the daily job (已联网 → 试运行 → passed/failed) — every change audited."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from monitoring._time import china_day, china_day_bounds
from monitoring.audit.models import AuditRecord
from monitoring.campaign.models import (
    Campaign,
    CampaignFile,
    Filing,
    Step,
    StepRecord,
    SurveyRecord,
    TrialOutcome,
    TrialRun,
)
from monitoring.campaign.trial import evaluate_trial
from monitoring.clock import FixedClock
from monitoring.errors import ConflictError, InvalidInputError
from monitoring.readings.models import ReadingKind
from monitoring.registry.models import Enterprise, ExemptionReason, InstallStatus, PointStatus
from monitoring.registry.service import advance_install_status, grant_exemption, revoke_exemption
from monitoring.reports.workdays import add_workdays
from monitoring.storage.ports import Store

SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, for the audit trail; `audit=False` where the caller audits itself (the API's framework)."""

    id: str
    role: str
    channel: str  # web | miniprogram | cli | system
    source_ip: str = ""
    audit: bool = True


SYSTEM_ACTOR = Actor(SYSTEM, SYSTEM, "system")


def load_file(store: Store, campaign: Campaign, enterprise_id: str) -> CampaignFile:
    """The stored file, or a new one at version 0."""
    found = store.campaign.find_file(campaign.campaign_id, enterprise_id)
    return found or CampaignFile(campaign.campaign_id, enterprise_id)


def _audit(store: Store, actor: Actor, now: datetime, action: str, enterprise_id: str, **detail: Any) -> None:
    if not actor.audit:
        return
    store.audit_trail.append(
        AuditRecord(
            at=now,
            actor_id=actor.id,
            actor_role=actor.role,
            source_ip=actor.source_ip,
            channel=actor.channel,
            action=f"campaign.{action}",
            object_type="campaign_file",
            object_id=enterprise_id,
            enterprise_id=enterprise_id,
            detail=detail,
        )  # fmt: skip
    )


def _begin(
    store: Store, campaign: Campaign, enterprise_id: str, expected_version: int | None, allowed: set[InstallStatus]
) -> tuple[Enterprise, CampaignFile]:
    enterprise = store.registry.get_enterprise(enterprise_id)
    if enterprise.county_id != campaign.county_id:
        raise InvalidInputError("企业不属于该活动的区县")
    file = load_file(store, campaign, enterprise_id)
    if expected_version is not None and expected_version != file.version:
        raise ConflictError("安装档案已被他人修改，请刷新后重试")
    if enterprise.exemption is not None:
        raise InvalidInputError(f"企业已豁免（{enterprise.exemption.reason.label}），无需安装")
    if enterprise.install_status not in allowed:
        wanted = "、".join(s.label for s in sorted(allowed, key=lambda s: s.rank))
        raise ConflictError(f"企业当前为「{enterprise.install_status.label}」，此步骤须在「{wanted}」时进行")
    return enterprise, file


def _advance(store: Store, enterprise: Enterprise, target: InstallStatus) -> None:
    if enterprise.install_status is not target:
        advance_install_status(store.registry, enterprise.enterprise_id, target)


def record_survey(
    store: Store, campaign: Campaign, enterprise_id: str, survey: SurveyRecord, *, actor: Actor,
    now: datetime, expected_version: int | None = None,
) -> CampaignFile:  # fmt: skip
    """点位勘查 done: 待勘察 → 已勘察 (a repeated survey while 已勘察 replaces the record)."""
    if survey.at > now:
        raise InvalidInputError("勘察时间不能晚于现在")
    with store.batch():
        enterprise, file = _begin(
            store, campaign, enterprise_id, expected_version, {InstallStatus.PENDING_SURVEY, InstallStatus.SURVEYED}
        )
        if enterprise.install_status is InstallStatus.PENDING_SURVEY:  # a repeated survey does not make it late
            file = file.with_late(Step.SURVEY, campaign.deadlines_for(enterprise.town_id).survey, china_day(survey.at))
        saved = store.campaign.put_file(dataclasses.replace(file, survey=survey))
        _advance(store, enterprise, InstallStatus.SURVEYED)
        _audit(store, actor, now, "survey", enterprise_id, points=len(survey.planned_points))
    return saved


def record_installation(
    store: Store, campaign: Campaign, enterprise_id: str, record: StepRecord, *, actor: Actor,
    now: datetime, expected_version: int | None = None,
) -> CampaignFile:  # fmt: skip
    """现场施工 done: 已勘察 → 已安装 (terminals are bound to points separately, by scanning)."""
    if record.at > now:
        raise InvalidInputError("安装时间不能晚于现在")
    with store.batch():
        enterprise, file = _begin(store, campaign, enterprise_id, expected_version, {InstallStatus.SURVEYED})
        if file.survey is not None and record.at < file.survey.at:
            raise InvalidInputError("安装时间不能早于勘察时间")
        saved = store.campaign.put_file(dataclasses.replace(file, installation=record))
        _advance(store, enterprise, InstallStatus.INSTALLED)
        _audit(store, actor, now, "install", enterprise_id)
    return saved


def record_acceptance(
    store: Store, campaign: Campaign, enterprise_id: str, record: StepRecord, *, actor: Actor,
    now: datetime, expected_version: int | None = None,
) -> CampaignFile:  # fmt: skip
    """验收 (the enterprise organises it; the bureau records it): only after a passed trial run."""
    if record.at > now:
        raise InvalidInputError("验收时间不能晚于现在")
    with store.batch():
        enterprise, file = _begin(store, campaign, enterprise_id, expected_version, {InstallStatus.TRIAL_RUN})
        trial = file.trial
        if trial is None or trial.outcome is not TrialOutcome.PASSED:
            state = "尚未开始" if trial is None else trial.outcome.label
            raise ConflictError(f"试运行{state}，须试运行通过后才能验收")
        if trial.ended_on is not None and china_day(record.at) < trial.ended_on:
            raise InvalidInputError("验收日期不能早于试运行结束日")
        saved = store.campaign.put_file(dataclasses.replace(file, acceptance=record))
        _advance(store, enterprise, InstallStatus.ACCEPTED)
        _audit(store, actor, now, "accept", enterprise_id, remarks=record.remarks)
    return saved


def filing_due(campaign: Campaign, accepted_at: datetime) -> date:
    """The last working day for filing: `filing_workdays` working days after the day of acceptance."""
    return add_workdays(china_day(accepted_at), campaign.filing_workdays)


def record_filing(
    store: Store, campaign: Campaign, enterprise_id: str, *, at: datetime, by: str, remarks: str = "",
    actor: Actor, now: datetime, expected_version: int | None = None,
) -> CampaignFile:  # fmt: skip
    """备案: 已验收 → 已备案; filed after the 5th working day after acceptance is kept but flagged late."""
    if at > now:
        raise InvalidInputError("备案时间不能晚于现在")
    with store.batch():
        enterprise, file = _begin(store, campaign, enterprise_id, expected_version, {InstallStatus.ACCEPTED})
        if file.acceptance is None:
            raise ConflictError("没有验收记录，不能备案")
        if at < file.acceptance.at:
            raise InvalidInputError("备案时间不能早于验收时间")
        due = filing_due(campaign, file.acceptance.at)
        filing = Filing(at=at, by=by, due=due, late=china_day(at) > due, remarks=remarks)
        file = file.with_late(Step.FILING, campaign.deadlines_for(enterprise.town_id).filing, china_day(at))
        saved = store.campaign.put_file(dataclasses.replace(file, filing=filing))
        _advance(store, enterprise, InstallStatus.FILED)
        _audit(store, actor, now, "file", enterprise_id, due=due.isoformat(), late=filing.late)
    return saved


def restart_trial(
    store: Store, campaign: Campaign, enterprise_id: str, *, actor: Actor, now: datetime,
    expected_version: int | None = None,
) -> CampaignFile:  # fmt: skip
    """After a failed trial (the fault fixed): a new trial starts now; the failed one stays in the file."""
    with store.batch():
        _, file = _begin(store, campaign, enterprise_id, expected_version, {InstallStatus.TRIAL_RUN})
        if file.trial is None or file.trial.outcome is not TrialOutcome.FAILED:
            raise ConflictError("只有未通过的试运行才能重新开始")
        saved = store.campaign.put_file(dataclasses.replace(file, trials=(*file.trials, TrialRun(started_at=now))))
        _audit(store, actor, now, "trial_restart", enterprise_id, failed_reason=file.trial.reason)
    return saved


def set_exemption(
    store: Store, enterprise_id: str, reason: ExemptionReason | None, *, approver: str, note: str = "",
    actor: Actor, now: datetime,
) -> Enterprise:  # fmt: skip
    """豁免/免装 with reason and approver (the bureau: 大气科 or an admin); `reason=None` lifts it."""
    with store.batch():
        if reason is None:
            enterprise = revoke_exemption(store.registry, enterprise_id)
            _audit(store, actor, now, "exemption_revoke", enterprise_id)
        else:
            enterprise = grant_exemption(
                store.registry, enterprise_id, reason, approved_by=approver, clock=FixedClock(now), note=note
            )
            _audit(store, actor, now, "exempt", enterprise_id, reason=reason.value, approver=approver, note=note)
    return enterprise


# ---- the daily job ------------------------------------------------------------------------------------------------
def _point_first(store: Store, point_id: str, since: date, now: datetime) -> datetime | None:
    """The point's first data since `since`: from the closed days' completeness, else (the day of the first data
    has not closed yet) its earliest stored minute or realtime reading up to `now`."""
    seen = [c.first_at for c in store.readings.completeness(point_id, since, china_day(now)) if c.received > 0]
    times = [t for t in seen if t is not None]
    if times:
        return min(times)
    start = china_day_bounds(since)[0]
    for kind in (ReadingKind.MINUTE, ReadingKind.REALTIME):
        found = store.readings.readings(point_id, kind, start, now, limit=1)
        if found:
            return found[0].data_time
    return None


@dataclass(frozen=True, slots=True)
class NetworkCheck:
    """已联网 needs a good frame from every planned point: the survey's plan against the registered points."""

    planned: int  # points the survey planned (0: no survey on file)
    registered: int  # the enterprise's registered points (disabled ones left out)
    with_data: int  # registered points that have sent data since installation
    first: datetime | None  # the earliest first data (the trial starts there)
    last: datetime | None  # the latest first data (when the last point came online)

    @property
    def shortfall(self) -> int:
        """Planned points not registered yet (each needs a registered point and a bound terminal)."""
        return max(0, self.planned - self.registered)

    @property
    def complete(self) -> bool:
        return self.registered > 0 and self.shortfall == 0 and self.with_data == self.registered

    @property
    def text(self) -> str:
        """The shortfall in words (Chinese), "" when complete."""
        if self.complete:
            return ""
        parts = []
        if self.shortfall:
            parts.append(f"勘察拟装 {self.planned} 个点位，已登记 {self.registered} 个，缺 {self.shortfall} 个")
        if self.with_data < self.registered or not self.registered:
            parts.append(f"已登记点位 {self.with_data}/{self.registered} 个收到数据")
        return "；".join(parts)


def network_check(store: Store, file: CampaignFile, enterprise_id: str, now: datetime) -> NetworkCheck:
    """The 已联网 check as of `now`: data since the installation day (60 days back without an installation)."""
    since = china_day(file.installation.at) if file.installation else china_day(now) - timedelta(days=60)
    points = [p for p in store.registry.list_points(enterprise_id) if p.status is not PointStatus.DISABLED]
    firsts = [t for t in (_point_first(store, p.point_id, since, now) for p in points) if t is not None]
    planned = len(file.survey.planned_points) if file.survey else 0
    return NetworkCheck(planned, len(points), len(firsts), min(firsts, default=None), max(firsts, default=None))


def daily_completeness(store: Store, enterprise_id: str, first: date, last: date) -> dict[date, float]:
    """Per day, the lowest completeness over the enterprise's points (a point without a row that day: 0)."""
    points = [p for p in store.registry.list_points(enterprise_id) if p.status is not PointStatus.DISABLED]
    per_point: list[Mapping[date, float]] = []
    for point in points:
        per_point.append(
            {
                c.day: (c.received / c.expected if c.expected else 0.0)
                for c in store.readings.completeness(point.point_id, first, last)
            }  # fmt: skip
        )
    days: dict[date, float] = {}
    d = first
    while d <= last:
        days[d] = min((p.get(d, 0.0) for p in per_point), default=0.0)
        d += timedelta(days=1)
    return days


@dataclass(slots=True)
class DailyResult:
    networked: list[str] = dataclasses.field(default_factory=list)
    trials_started: list[str] = dataclasses.field(default_factory=list)
    passed: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)


def run_daily(store: Store, campaign: Campaign, now: datetime) -> DailyResult:
    """Any number of times a day (it is idempotent): an installed enterprise whose every planned point is
    registered and has sent data becomes 已联网 (that status lasts the rest of the day); on a later day the run
    enters 试运行, the trial starting at the first data; running trials are judged on complete days."""
    result = DailyResult()
    today = china_day(now)
    for enterprise in store.registry.list_enterprises(campaign.county_id):
        if enterprise.exemption is not None:
            continue
        status = enterprise.install_status
        if status not in (InstallStatus.INSTALLED, InstallStatus.NETWORKED, InstallStatus.TRIAL_RUN):
            continue
        file = load_file(store, campaign, enterprise.enterprise_id)
        eid = enterprise.enterprise_id
        with store.batch():
            if status is InstallStatus.INSTALLED:
                check = network_check(store, file, eid, now)
                if not check.complete or check.first is None or check.last is None:
                    continue
                advance_install_status(store.registry, eid, InstallStatus.NETWORKED)
                due = campaign.deadlines_for(enterprise.town_id).network
                file = file.with_late(Step.NETWORK, due, china_day(check.last))
                file = store.campaign.put_file(
                    dataclasses.replace(file, networked_at=check.first, network_confirmed_on=today)
                )
                result.networked.append(eid)
                _audit(store, SYSTEM_ACTOR, now, "networked", eid, first_data=check.first.isoformat())
                continue
            if status is InstallStatus.NETWORKED:
                if file.network_confirmed_on is None:  # networked another way (commissioning): confirmed today
                    due = campaign.deadlines_for(enterprise.town_id).network
                    file = file.with_late(Step.NETWORK, due, today)
                    store.campaign.put_file(dataclasses.replace(file, network_confirmed_on=today))
                    continue
                if file.network_confirmed_on >= today:
                    continue
                first = network_check(store, file, eid, now).first
                if first is None:
                    continue
                advance_install_status(store.registry, eid, InstallStatus.TRIAL_RUN)
                file = store.campaign.put_file(
                    dataclasses.replace(
                        file, networked_at=file.networked_at or first, trials=(*file.trials, TrialRun(started_at=first))
                    )  # fmt: skip
                )
                result.trials_started.append(eid)
                _audit(store, SYSTEM_ACTOR, now, "trial_start", eid, started_at=first.isoformat())
            trial = file.trial
            if trial is None or trial.outcome is not TrialOutcome.RUNNING:
                continue
            start = china_day(trial.started_at)
            judged = evaluate_trial(campaign, trial, daily_completeness(store, eid, start, today), today)
            if judged == trial:
                continue
            store.campaign.put_file(dataclasses.replace(file, trials=(*file.trials[:-1], judged)))
            if judged.outcome is TrialOutcome.PASSED:
                result.passed.append(eid)
            elif judged.outcome is TrialOutcome.FAILED:
                result.failed.append(eid)
            if judged.outcome is not TrialOutcome.RUNNING:
                _audit(store, SYSTEM_ACTOR, now, f"trial_{judged.outcome.value}", eid, reason=judged.reason)
    return result
