"""Write the blank registry templates (XLSX workbook and per-sheet CSVs) from the importer's own column specs,
so a template can never drift from what the importer accepts."""

from __future__ import annotations

import csv
from pathlib import Path

from monitoring.registry.sheet_columns import SHEETS

NOTES = {
    "企业": "企业须已在名单中；每行一个联系人，联系人角色填：法定代表人、环保负责人、电工、运维人员、其他。",
    "设施": "设施类型填：产污设施、治污设施、总进线、产治一体、间接用电；设施编码如 MF0001（产污）、TA001（治污）。",
    "点位": "点位编码按省厅备案系统生成的编码原样填写；点位状态填：调试、运行、停用（默认调试）；CT/PT变比默认 1。",
    "治理线": "一个治污设施对应的产污设施编码可填多个，用顿号或分号分隔；时间单位为秒，阈值单位为 kW。",
    "终端": "新终端必须填写访问密码（平台只保存其加盐哈希）；MODBUS校验填“是”表示终端使用 MODBUS CRC；"
    "上报间隔填终端上报分钟数据的间隔（整数分钟，空白为 1 分钟），离线和数据完整率按它判断。",
}


def headers(sheet: str) -> list[str]:
    """The preferred (first) header of every column of a sheet."""
    columns, _, _ = SHEETS[sheet]
    return [aliases[0] for aliases in columns.values()]


def write_templates(directory: Path) -> list[Path]:
    """Write 登记模板.xlsx and one CSV per sheet into `directory`; returns the paths written."""
    from openpyxl import Workbook

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    workbook = Workbook()
    first = True
    for sheet in SHEETS:
        ws = workbook.active if first else workbook.create_sheet()
        first = False
        ws.title = sheet
        ws.append(headers(sheet))
        path = directory / f"{sheet}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerow(headers(sheet))
        written.append(path)
    notes = workbook.create_sheet("填写说明")
    notes.append(["工作表", "说明"])
    for sheet, text in NOTES.items():
        notes.append([sheet, text])
    xlsx = directory / "登记模板.xlsx"
    workbook.save(xlsx)
    written.insert(0, xlsx)
    return written
