"""Read CSV and XLSX tables defensively: size and row limits, header mapping, row numbers for error reports.

Row numbers are what a person sees in Excel: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitoring.errors import InvalidInputError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_CELL = 500


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem, located the way a person finds it: sheet, row number, column header."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet} 第{self.row}行" + (f"「{self.column}」列" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(slots=True)
class Table:
    """Rows as {canonical column: text}, with their spreadsheet row numbers."""

    sheet: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    headers: Mapping[str, str] = field(default_factory=dict)  # canonical → header as written in the file


def _canonical_headers(
    raw_headers: Sequence[str], columns: Mapping[str, Sequence[str]], sheet: str, required: Sequence[str]
) -> dict[int, str]:
    """Map header positions to canonical names; every required column must be present."""
    aliases = {alias.strip().lower(): name for name, names in columns.items() for alias in (name, *names)}
    positions: dict[int, str] = {}
    for pos, header in enumerate(raw_headers):
        name = aliases.get((header or "").strip().lstrip("\ufeff").lower())
        if name is not None and name not in positions.values():
            positions[pos] = name
    missing = [c for c in required if c not in positions.values()]
    if missing:
        wanted = "、".join(columns[c][0] if columns[c] else c for c in missing)
        raise InvalidInputError(f"{sheet}: 缺少列 {wanted}")
    return positions


def _build(
    sheet: str,
    header: Sequence[Any],
    body: Sequence[tuple[int, Sequence[Any]]],
    columns: Mapping[str, Sequence[str]],
    required: Sequence[str],
) -> Table:
    raw_headers = ["" if h is None else str(h) for h in header]
    positions = _canonical_headers(raw_headers, columns, sheet, required)
    table = Table(sheet=sheet, headers={name: raw_headers[pos].strip() for pos, name in positions.items()})
    for number, cells in body:
        if len(table.rows) >= MAX_ROWS:
            raise InvalidInputError(f"{sheet}: 超过 {MAX_ROWS} 行")
        values = {}
        for pos, name in positions.items():
            cell = cells[pos] if pos < len(cells) else None
            text = _cell_text(cell)
            if len(text) > MAX_CELL:
                raise InvalidInputError(f"{sheet} 第{number}行: 单元格超过 {MAX_CELL} 个字符")
            values[name] = text
        if any(values.values()):  # blank lines are not rows
            table.rows.append((number, values))
    return table


def _cell_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # Excel stores 1 as 1.0
    return str(cell).strip()


def _check_size(path: Path) -> None:
    if not path.is_file():
        raise InvalidInputError(f"文件不存在: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInputError(f"文件过大（上限 {MAX_FILE_BYTES // (1024 * 1024)} MB）: {path}")


def read_csv(path: Path, columns: Mapping[str, Sequence[str]], *, required: Sequence[str], sheet: str) -> Table:
    """Read a UTF-8 (BOM tolerated) or GB18030 CSV file."""
    _check_size(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # what Excel in China saves "CSV" as
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"{sheet}: 无法识别文件编码（请保存为 UTF-8 CSV）") from exc
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise InvalidInputError(f"{sheet}: 文件为空")
    return _build(sheet, rows[0], [(i + 2, r) for i, r in enumerate(rows[1:])], columns, required)


def read_xlsx(
    path: Path, sheet: str, columns: Mapping[str, Sequence[str]], *, required: Sequence[str], optional_sheet: bool
) -> Table | None:
    """Read one worksheet by name; None when it is absent and optional."""
    _check_size(path)
    from openpyxl import load_workbook  # imported lazily: only the importer needs it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file; all mean "not a workbook"
        raise InvalidInputError(f"无法读取 Excel 文件 {path.name}: {exc}") from exc
    try:
        if sheet not in workbook.sheetnames:
            if optional_sheet:
                return None
            raise InvalidInputError(f"工作簿缺少工作表「{sheet}」")
        rows_iter = workbook[sheet].iter_rows(values_only=True)
        header = next(rows_iter, None)
        if header is None:
            raise InvalidInputError(f"{sheet}: 工作表为空")
        body = []
        for number, row in enumerate(rows_iter, start=2):
            if number > MAX_ROWS + 1:
                raise InvalidInputError(f"{sheet}: 超过 {MAX_ROWS} 行")
            body.append((number, list(row)))
        return _build(sheet, list(header), body, columns, required)
    finally:
        workbook.close()
