"""The bureau's progress sheet (XLSX): one row per enterprise in the county list's columns (序号, 镇（区、街道）,
企业名称, 安装类别, 执法局) plus each step's date; the import reads back the bureau's own columns (验收日期,
备案日期, 豁免): every row is checked first, errors name row and column, nothing applies unless all pass."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from monitoring._time import CHINA, china_day
from monitoring.campaign.models import Campaign, CampaignFile, StepRecord, TrialOutcome, TrialRun
from monitoring.campaign.progress import late_text
from monitoring.campaign.service import Actor, load_file, record_acceptance, record_filing, set_exemption
from monitoring.errors import InvalidInputError
from monitoring.registry.models import Enterprise, ExemptionReason, InstallStatus
from monitoring.registry.tabular import RowError, read_xlsx
from monitoring.storage.ports import Store

SHEET = "安装进度"
HEADERS = (
    "序号", "镇（区、街道）", "企业名称", "安装类别", "执法局", "安装状态", "勘察日期", "安装日期", "联网日期",
    "试运行", "验收日期", "备案日期", "备案逾期", "豁免原因", "豁免批准人", "备注", "逾期完成",
)  # fmt: skip
WIDTHS = (6, 14, 36, 14, 10, 8, 11, 11, 11, 24, 11, 11, 8, 14, 12, 20, 36)
COLUMNS = {
    "seq": ("序号",),
    "town": ("镇（区、街道）", "镇(区、街道)", "镇街", "town"),
    "name": ("企业名称", "enterprise_name"),
    "status": ("安装状态",),
    "accepted": ("验收日期",),
    "filed": ("备案日期",),
    "exempt_reason": ("豁免原因",),
    "exempt_by": ("豁免批准人",),
    "remarks": ("备注",),
}


def _day(value: datetime | None) -> str:
    return china_day(value).isoformat() if value is not None else ""


def _trial_text(file: CampaignFile | None) -> str:
    trial = file.trial if file else None
    if trial is None:
        return ""
    return trial.outcome.label if trial.outcome is TrialOutcome.RUNNING else f"{trial.outcome.label}：{trial.reason}"


def export_rows(
    enterprises: Sequence[Enterprise], files: dict[str, CampaignFile], towns: dict[str, str], branches: dict[str, str]
) -> list[list[object]]:
    rows: list[list[object]] = []
    ordered = sorted(enterprises, key=lambda e: (e.list_seq is None, e.list_seq or 0, e.name))
    for e in ordered:
        f = files.get(e.enterprise_id)
        ex = e.exemption
        rows.append([
            e.list_seq or "", towns.get(e.town_id, e.town_id), e.name, e.category.label,
            branches.get(e.branch_id, e.branch_id), "豁免" if ex else e.install_status.label,
            _day(f.survey.at if f and f.survey else None), _day(f.installation.at if f and f.installation else None),
            _day(f.networked_at if f else None), _trial_text(f),
            _day(f.acceptance.at if f and f.acceptance else None), _day(f.filing.at if f and f.filing else None),
            ("是" if f.filing.late else "否") if f and f.filing else "", ex.reason.label if ex else "",
            ex.approved_by if ex else "", ex.note if ex else "", late_text(f),
        ])  # fmt: skip
    return rows


def export_xlsx(store: Store, campaign: Campaign, *, only: frozenset[str] | None = None) -> bytes:
    """The sheet of every enterprise of the campaign's county (`only`: those enterprises alone)."""
    from openpyxl import Workbook  # lazily: only exports need it

    registry = store.registry
    enterprises = [e for e in registry.list_enterprises(campaign.county_id) if only is None or e.enterprise_id in only]
    files = {f.enterprise_id: f for f in store.campaign.list_files(campaign.campaign_id)}
    towns = {t.town_id: t.name for t in registry.list_towns(campaign.county_id)}
    branches = {b.branch_id: b.name for b in registry.list_branches(campaign.county_id)}
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append(list(HEADERS))
    for row in export_rows(enterprises, files, towns, branches):
        sheet.append(row)
    for letter, width in zip("ABCDEFGHIJKLMNOPQ", WIDTHS, strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class SheetImportError(InvalidInputError):
    """The sheet was refused; `errors` lists every problem (nothing was applied)."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        shown = "；".join(str(e) for e in self.errors[:5])
        more = f"；另有 {len(self.errors) - 5} 处" if len(self.errors) > 5 else ""
        super().__init__(f"导入失败，共 {len(self.errors)} 处错误，未做任何修改：{shown}{more}")


@dataclass(slots=True)
class _Plan:
    enterprise: Enterprise
    accepted: date | None = None
    filed: date | None = None
    exemption: tuple[ExemptionReason, str, str] | None = None


@dataclass(slots=True)
class ImportResult:
    rows: int = 0
    accepted: list[str] = field(default_factory=list)
    filed: list[str] = field(default_factory=list)
    exempted: list[str] = field(default_factory=list)
    unchanged: int = 0


def _passed(trial: TrialRun) -> bool:
    return trial.outcome is TrialOutcome.PASSED


def _parse_day(text: str) -> date:
    head = text.strip().replace("/", "-").replace(".", "-")[:10]
    return date.fromisoformat(head)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(12), CHINA)  # a date-only record is taken at noon, Beijing time (capped: now)


def _plan_row(
    number: int, values: dict[str, str], campaign: Campaign, store: Store, by_name: dict[str, Enterprise],
    today: date, errors: list[RowError], headers: dict[str, str],
) -> _Plan | None:  # fmt: skip
    def err(column: str, message: str) -> None:
        errors.append(RowError(SHEET, number, headers.get(column, column), message))

    name = values.get("name", "")
    enterprise = by_name.get(name)
    if enterprise is None:
        err("name", f"找不到企业「{name}」" if name else "企业名称为空")
        return None
    plan = _Plan(enterprise)
    days: dict[str, date] = {}
    for column in ("accepted", "filed"):
        text = values.get(column, "")
        if not text:
            continue
        try:
            days[column] = _parse_day(text)
        except ValueError:
            err(column, f"日期格式不正确: {text!r}（应为 YYYY-MM-DD）")
            continue
        if days[column] > today:
            err(column, "日期不能晚于今天")
    file = load_file(store, campaign, enterprise.enterprise_id)
    reason_text, approver = values.get("exempt_reason", ""), values.get("exempt_by", "")
    if reason_text:
        try:
            reason = ExemptionReason.parse(reason_text)
        except InvalidInputError:
            err("exempt_reason", f"豁免原因须为：{'、'.join(r.label for r in ExemptionReason)}")
            return None
        if not approver:
            err("exempt_by", "有豁免原因时须填写豁免批准人")
            return None
        if days:
            err("exempt_reason", "豁免企业不能同时填写验收或备案日期")
            return None
        current = enterprise.exemption
        if current is None or (current.reason, current.approved_by) != (reason, approver):
            plan.exemption = (reason, approver, values.get("remarks", ""))
        return plan
    status = enterprise.install_status
    accepted = days.get("accepted")
    if accepted is not None:
        if file.acceptance is not None:
            if china_day(file.acceptance.at) != accepted:
                err("accepted", f"已有验收记录（{china_day(file.acceptance.at)}），与表中日期不同")
        elif enterprise.exemption is not None:
            err("accepted", "企业已豁免，不能验收")
        elif (
            status is not InstallStatus.TRIAL_RUN or file.trial is None or file.trial.outcome is not TrialOutcome.PASSED
        ):
            err("accepted", f"企业当前为「{status.label}」，须试运行通过后才能验收")
        elif file.trial.ended_on is not None and accepted < file.trial.ended_on:
            err("accepted", f"验收日期不能早于试运行结束日 {file.trial.ended_on}")
        else:
            plan.accepted = accepted
    filed = days.get("filed")
    if filed is not None:
        acceptance_day = china_day(file.acceptance.at) if file.acceptance else plan.accepted
        if file.filing is not None:
            if china_day(file.filing.at) != filed:
                err("filed", f"已有备案记录（{china_day(file.filing.at)}），与表中日期不同")
        elif acceptance_day is None:
            err("filed", "没有验收记录（或本行验收日期有误），不能备案")
        elif filed < acceptance_day:
            err("filed", "备案日期不能早于验收日期")
        else:
            plan.filed = filed
    return plan


def import_xlsx(
    store: Store, campaign: Campaign, data: bytes, *, actor: Actor, now: datetime, clerk: str
) -> ImportResult:
    """Apply the sheet's 验收日期, 备案日期 and 豁免 columns (other columns are the platform's and are ignored).
    `clerk` is the name recorded as who accepted/filed. Raises SheetImportError listing every problem."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "progress.xlsx"
        path.write_bytes(data)
        table = read_xlsx(path, SHEET, COLUMNS, required=("name",), optional_sheet=False)
    assert table is not None
    by_name = {e.name: e for e in store.registry.list_enterprises(campaign.county_id)}
    today = china_day(now)
    errors: list[RowError] = []
    plans: list[_Plan] = []
    seen: dict[str, int] = {}
    for number, values in table.rows:
        name = values.get("name", "")
        if name in seen:
            errors.append(RowError(SHEET, number, table.headers["name"], f"与第{seen[name]}行重复"))
            continue
        seen[name] = number
        plan = _plan_row(number, values, campaign, store, by_name, today, errors, dict(table.headers))
        if plan is not None:
            plans.append(plan)
    if errors:
        raise SheetImportError(errors)
    result = ImportResult(rows=len(table.rows))
    with store.batch():
        for p in plans:
            eid = p.enterprise.enterprise_id
            if p.exemption is not None:
                reason, approver, note = p.exemption
                set_exemption(store, eid, reason, approver=approver, note=note, actor=actor, now=now)
                result.exempted.append(eid)
            if p.accepted is not None:
                record_acceptance(store, campaign, eid, StepRecord(min(_at(p.accepted), now), clerk, "由进度表导入"),
                                  actor=actor, now=now)  # fmt: skip
                result.accepted.append(eid)
            if p.filed is not None:
                record_filing(store, campaign, eid, at=min(_at(p.filed), now), by=clerk,
                              remarks="由进度表导入", actor=actor, now=now)  # fmt: skip
                result.filed.append(eid)
            if p.exemption is None and p.accepted is None and p.filed is None:
                result.unchanged += 1
    return result
