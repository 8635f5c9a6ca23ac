"""Filing and deciding fault reports and stoppage requests, and the suppression windows they create.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from monitoring.errors import ConflictError, InvalidInputError
from monitoring.evaluation.catalogue import CONTROL_RULES, MONITORING_RULES
from monitoring.evaluation.context import Suppression
from monitoring.reports.models import Decision, FaultKind, FaultReport, StoppageKind, StoppageRequest
from monitoring.reports.ports import ReportRepository
from monitoring.reports.workdays import CHINA, calendar_warning, workday_deadline

DECISION_WORKDAYS = 5
MAX_STOPPAGE = timedelta(days=366)


def _check_points(point_ids: Sequence[str], known: Iterable[str]) -> tuple[str, ...]:
    ids = tuple(dict.fromkeys(point_ids))
    unknown = set(ids) - set(known)
    if not ids:
        raise InvalidInputError("须至少选择一个监测点位")
    if unknown:
        raise InvalidInputError(f"点位不属于该企业：{', '.join(sorted(unknown))}")
    return ids


def file_fault(reports: ReportRepository, report: FaultReport, known_points: Iterable[str]) -> FaultReport:
    """故障申报. The fault cannot start in the future; filing later than 2 h is accepted and marked late."""
    if report.fault_start > report.filed_at + timedelta(minutes=5):
        raise InvalidInputError("故障开始时间不能晚于申报时间")
    if len(report.description) > 2000 or len(report.photos) > 9:
        raise InvalidInputError("说明最多2000字，照片最多9张")
    stored = replace(report, point_ids=_check_points(report.point_ids, known_points))
    reports.put_fault(stored)
    return stored


def resolve_fault(reports: ReportRepository, report_id: str, at: datetime) -> FaultReport:
    report = reports.get_fault(report_id)
    if report.resolved_at is not None:
        raise ConflictError("该故障已标记为恢复")
    if at < report.fault_start:
        raise InvalidInputError("恢复时间不能早于故障开始时间")
    stored = replace(report, resolved_at=at)
    reports.replace_fault(stored, expected=report)
    return stored


def acknowledge_fault(reports: ReportRepository, report_id: str, *, by: str) -> FaultReport:
    """受理: the branch (or the bureau) confirms it has taken note of the fault report; once only."""
    report = reports.get_fault(report_id)
    if report.acknowledged_by is not None:
        raise ConflictError("该故障申报已受理")
    stored = replace(report, acknowledged_by=by)
    reports.replace_fault(stored, expected=report)
    return stored


def file_stoppage(reports: ReportRepository, request: StoppageRequest, known_points: Iterable[str]) -> StoppageRequest:
    """停运/拆除报备: filed in advance (事先报告) for a bounded window."""
    if request.end is not None and not request.start < request.end <= request.start + MAX_STOPPAGE:
        raise InvalidInputError("停运时段无效：结束时间须晚于开始时间，且不超过一年")
    if request.end is None and request.kind != StoppageKind.MONITORING_REMOVAL:
        raise InvalidInputError("停运报备须填写结束时间")
    if len(request.reason) > 2000:
        raise InvalidInputError("原因说明最多2000字")
    stored = replace(request, point_ids=_check_points(request.point_ids, known_points), decision=Decision.PENDING)
    reports.put_stoppage(stored)
    return stored


def decide_stoppage(
    reports: ReportRepository, request_id: str, *, approve: bool, by: str, note: str, now: datetime
) -> StoppageRequest:
    """The branch decides. After the deemed-approval deadline the request is already approved by law."""
    req = reports.get_stoppage(request_id)
    status = effective_decision(req, now)
    if status != Decision.PENDING:
        raise ConflictError(f"该报备已有结论：{status.value}")
    stored = replace(
        req,
        decision=Decision.APPROVED if approve else Decision.REJECTED,
        decided_at=now,
        decided_by=by,
        decision_note=note[:2000],
    )
    reports.replace_stoppage(stored, expected=req)
    return stored


def decision_deadline(req: StoppageRequest) -> datetime:
    return workday_deadline(req.filed_at, DECISION_WORKDAYS)


def decision_calendar_warning(req: StoppageRequest) -> str | None:
    """The Chinese warning when the decision limit was counted in a year without a holiday table."""
    last_day = (decision_deadline(req) - timedelta(seconds=1)).astimezone(CHINA).date()
    return calendar_warning([req.filed_at.astimezone(CHINA).date(), last_day])


def effective_decision(req: StoppageRequest, now: datetime) -> Decision:
    """The decision in force at `now`: undecided past the deadline counts as approved."""
    if req.decision != Decision.PENDING:
        return req.decision
    return Decision.DEEMED_APPROVED if now >= decision_deadline(req) else Decision.PENDING


def suppressions(
    faults: Sequence[FaultReport], requests: Sequence[StoppageRequest], now: datetime
) -> list[Suppression]:
    """Windows muting rules: approved (or deemed approved) stoppages, and reported faults until resolved."""
    out: list[Suppression] = []
    for r in requests:
        if effective_decision(r, now) not in (Decision.APPROVED, Decision.DEEMED_APPROVED):
            continue
        rules = CONTROL_RULES if r.kind == StoppageKind.CONTROL_STOP else MONITORING_RULES
        out.append(Suppression(f"stoppage:{r.id}", frozenset(r.point_ids), rules, r.start, r.end, r.reason))
    for f in faults:
        rules = CONTROL_RULES if f.kind == FaultKind.CONTROL_EQUIPMENT else MONITORING_RULES
        out.append(
            Suppression(f"fault:{f.id}", frozenset(f.point_ids), rules, f.fault_start, f.resolved_at, f.description)
        )
    return out
