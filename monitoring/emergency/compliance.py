"""The compliance report of one emergency alert (应急管控执行情况): rows per enterprise, as CSV and XLSX.

`build_report` evaluates every enterprise the alert covers over the whole alert period from stored readings;
the writers take file-like objects so callers choose where the bytes go (a file, an HTTP response, S3).
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from monitoring.emergency.models import LEVEL_NAMES, EmergencyAlert, EnterpriseMeasures
from monitoring.emergency.service import ComplianceRow, compliance_row, interval_results
from monitoring.evaluation.config import RuleConfig
from monitoring.evaluation.context import MINUTE, Context
from monitoring.evaluation.ports import RuleInputs
from monitoring.reports.workdays import CHINA

HEADERS = (
    "企业标识",
    "企业名称",
    "基线用电量(kWh)",
    "实际用电量(kWh)",
    "要求减排比例",
    "实际减排比例",
    "是否落实",
    "评估时段数",
    "无数据时段数",
    "违规时段",
)


def build_report(
    inputs: RuleInputs,
    config: RuleConfig,
    alert: EmergencyAlert,
    measures: Mapping[str, EnterpriseMeasures],
    baselines: Mapping[str, Mapping[int, float]],
    only: Collection[str] | None = None,
) -> list[ComplianceRow]:
    """One row per covered enterprise (of `only`, when given), evaluated over [alert.start, alert.end)."""
    topo = inputs.topology()
    rows: list[ComplianceRow] = []
    for eid in sorted(topo.enterprises):
        info = topo.enterprises[eid]
        if not alert.covers(eid, info.town) or (only is not None and eid not in only):
            continue
        prm = config.params("emergency_violation", enterprise=eid)
        rs = config.params("running_state", enterprise=eid)
        warmup = timedelta(minutes=2 * rs["memory_min"] + 5)
        pids = [p.id for p in topo.points_of(eid)]
        samples = inputs.samples(pids, alert.start - warmup, alert.end)
        n = int((alert.end - alert.start) // MINUTE)
        ctx = Context(info, topo, config, alert.start, n, alert.end, samples, baselines=baselines)
        results = interval_results(
            ctx,
            alert,
            measures.get(eid),
            interval_min=int(prm["interval_min"]),
            stop_run_min=int(prm["stop_run_min"]),
            tolerance=prm["energy_tolerance"],
        )
        rows.append(compliance_row(ctx, alert, measures.get(eid), results))
    return rows


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v * 100:.1f}%"


def _local(t: datetime) -> str:
    return t.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _verdict(row: ComplianceRow) -> str:
    return {True: "是", False: "否", None: "无法判定"}[row.compliant]


def _intervals(row: ComplianceRow) -> str:
    return "\n".join(f"{_local(a)}–{_local(b)[-5:]} {why}" for a, b, why in row.violating_intervals)


def _cells(row: ComplianceRow) -> list[object]:
    return [
        row.enterprise_id,
        row.enterprise_name,
        row.baseline_kwh if row.baseline_kwh is not None else "",
        row.actual_kwh,
        _pct(row.required_reduction),
        _pct(row.achieved_reduction),
        _verdict(row),
        row.intervals,
        row.intervals_without_verdict,
        _intervals(row),
    ]


def write_csv(alert: EmergencyAlert, rows: Sequence[ComplianceRow], out: IO[str]) -> None:
    """UTF-8 CSV (the caller opens the stream; write a BOM first if Excel on Windows must open it)."""
    w = csv.writer(out)
    w.writerow([f"{LEVEL_NAMES[alert.level]}预警 {alert.title}".strip(), _local(alert.start), _local(alert.end)])
    w.writerow(HEADERS)
    for row in rows:
        w.writerow(_cells(row))


def write_xlsx(alert: EmergencyAlert, rows: Sequence[ComplianceRow], out: IO[bytes]) -> None:
    """An XLSX workbook with one sheet: title line, header, one row per enterprise."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has its first sheet
    ws.title = "应急管控执行情况"
    ws.append(
        [f"{LEVEL_NAMES[alert.level]}预警 {alert.title}".strip(), f"{_local(alert.start)} 至 {_local(alert.end)}"]
    )
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(list(HEADERS))
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(_cells(row))
    for col, width in zip("ABCDEFGHIJ", (18, 32, 16, 16, 12, 12, 10, 10, 12, 60), strict=True):
        ws.column_dimensions[col].width = width
    for cells in ws.iter_rows(min_row=3):
        cells[-1].alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(out)
