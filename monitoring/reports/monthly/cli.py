"""`python -m monitoring reports monthly --month 2026-11 [--town X | --branch Y] --out DIR`: the monthly report
of the county (or one town or branch, by id or name) written as XLSX and PDF into DIR (default: here)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from monitoring._time import parse_aware
from monitoring.errors import InvalidInputError
from monitoring.reports.monthly.build import build_monthly
from monitoring.reports.monthly.model import Scope, ScopeKind, parse_month
from monitoring.reports.monthly.pdf import write_pdf
from monitoring.reports.monthly.xlsx import write_xlsx
from monitoring.storage.ports import Store

FORMATS = ("xlsx", "pdf")


def add_parser(sub: Any) -> None:
    reports = sub.add_parser("reports", help="报表").add_subparsers(dest="action", required=True)
    m = reports.add_parser("monthly", help="月度报告（XLSX 与 PDF）")
    m.add_argument("--month", required=True, help="北京时间月份，如 2026-11")
    where = m.add_mutually_exclusive_group()
    where.add_argument("--town", help="镇（街道）标识或名称（默认全县）")
    where.add_argument("--branch", help="执法分局标识或名称（默认全县）")
    m.add_argument("--out", type=Path, default=Path("."), help="输出目录（默认：当前目录）")
    m.add_argument("--format", choices=(*FORMATS, "both"), default="both", help="xlsx、pdf 或 both（默认）")
    m.add_argument("--now", help="截至时间（ISO 8601，带时区；默认当前时间）")


def _now(text: str | None) -> datetime:
    return datetime.now(UTC) if text is None else parse_aware(text).astimezone(UTC)


def _scope(args: argparse.Namespace, store: Store) -> Scope:
    """--town / --branch by id or by name; an unknown one is an error naming the choices."""
    if args.town is None and args.branch is None:
        return Scope(ScopeKind.COUNTY)
    if args.town is not None:
        kind, given = ScopeKind.TOWN, args.town.strip()
        units = {t.town_id: t.name for t in store.registry.list_towns(args.county_id)}
    else:
        kind, given = ScopeKind.BRANCH, args.branch.strip()
        units = {b.branch_id: b.name for b in store.registry.list_branches(args.county_id)}
    for unit_id, name in units.items():
        if given in (unit_id, name):
            return Scope(kind, unit_id)
    raise InvalidInputError(
        f"未找到{'镇（街道）' if kind is ScopeKind.TOWN else '执法分局'} {given!r}（可选：{'、'.join(units.values())}）"
    )


def run(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    month = parse_month(args.month)
    scope = _scope(args, store)
    report = build_monthly(store, args.county_id, scope, month, _now(args.now))
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInputError(f"无法创建输出目录 {args.out}：{exc.strerror}") from None
    stem = f"monthly-{scope.text.replace(':', '-')}-{args.month}"
    written = []
    for fmt, write in (("xlsx", write_xlsx), ("pdf", write_pdf)):
        if args.format in (fmt, "both"):
            path = args.out / f"{stem}.{fmt}"
            with path.open("wb") as f:
                write(report, f)
            written.append(path)
    print(f"{report.title}：企业 {len(report.enterprises)} 家，报警 {report.alarm_total} 起", file=out)
    for path in written:
        print(f"  已写入 {path}", file=out)
    return 0
