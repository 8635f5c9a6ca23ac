"""`python -m monitoring emergency …`: declare alerts and import each enterprise's measures (应急减排清单).

More: docs/monitoring.md, "Module notes".
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from monitoring.clock import Clock
from monitoring.emergency import declare, measures_sheet
from monitoring.emergency.models import LEVEL_NAMES, EmergencyAlert
from monitoring.emergency.ports import EmergencyRepository
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.reports.workdays import CHINA
from monitoring.storage.ports import RegistryRepository

LIST_SPAN = timedelta(days=366)  # `alert list` without --from/--to: a year either side of now


def add_parser(sub: Any) -> None:
    """Register `emergency` on the monitoring CLI."""
    area = sub.add_parser("emergency", help="重污染天气应急：预警与减排措施")
    area = area.add_subparsers(dest="action", required=True)
    alert = area.add_parser("alert", help="应急预警").add_subparsers(dest="verb", required=True)
    add = alert.add_parser("add", help="发布预警")
    add.add_argument("--level", required=True, help="预警级别：黄色、橙色、红色")
    add.add_argument("--start", required=True, help="开始时间（北京时间，如 2026-12-06T08:00）")
    add.add_argument("--end", required=True, help="结束时间")
    add.add_argument("--title", default="", help="标题，如 如皋市重污染天气橙色预警")
    add.add_argument("--enterprise", action="append", default=[], help="适用企业名称（可重复）；缺省为全市")
    add.add_argument("--town", action="append", default=[], help="适用镇（街道）名称（可重复）")
    add.add_argument("--id", dest="alert_id", help="预警编号（缺省按开始时间和级别生成）")
    add.add_argument("--by", default="", help="发布人")
    end = alert.add_parser("end", help="解除预警（或调整结束时间）")
    end.add_argument("alert_id")
    end.add_argument("--at", help="解除时间（缺省为现在）")
    lst = alert.add_parser("list", help="列出预警")
    lst.add_argument("--from", dest="start", help="开始时间")
    lst.add_argument("--to", dest="end", help="结束时间")
    measures = area.add_parser("measures", help="企业应急减排措施（一厂一策）")
    measures = measures.add_subparsers(dest="verb", required=True)
    imp = measures.add_parser("import", help="导入应急减排清单（XLSX 或 CSV）")
    imp.add_argument("path", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="只校验，不写入")
    measures.add_parser("show", help="查看措施").add_argument("--enterprise", help="企业名称")
    measures.add_parser("template", help="生成空白应急减排清单模板").add_argument("--out", type=Path, required=True)


def _local(t: datetime) -> str:
    return t.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _enterprise_name(registry: RegistryRepository, eid: str) -> str:
    found = registry.find_enterprise(eid)
    return found.name if found is not None else eid


def _scope(registry: RegistryRepository, alert: EmergencyAlert) -> str:
    if alert.enterprises is None and alert.towns is None:
        return "全市"
    parts = [_enterprise_name(registry, e) for e in sorted(alert.enterprises or ())]
    for tid in sorted(alert.towns or ()):
        try:
            parts.append(registry.get_town(tid).name)
        except NotFoundError:
            parts.append(tid)
    return "、".join(parts)


def _describe(registry: RegistryRepository, alert: EmergencyAlert, now: datetime) -> str:
    state = "未开始" if now < alert.start else ("进行中" if now < alert.end else "已结束")
    return (
        f"{alert.id}  {LEVEL_NAMES[alert.level]}预警  {_local(alert.start)} 至 {_local(alert.end)}  {state}"
        f"  范围：{_scope(registry, alert)}" + (f"  {alert.title}" if alert.title else "")
    )


def _alert(
    args: argparse.Namespace, registry: RegistryRepository, repo: EmergencyRepository, now: datetime, out: TextIO
) -> int:
    if args.verb == "add":
        alert = declare.new_alert(
            measures_sheet.parse_level(args.level),
            declare.parse_time(args.start),
            declare.parse_time(args.end),
            alert_id=args.alert_id,
            title=args.title,
            enterprises=declare.resolve_enterprises(registry, args.county_id, args.enterprise) or None,
            towns=declare.resolve_towns(registry, args.county_id, args.town) or None,
            declared_by=args.by,
            county_id=args.county_id,
        )
        verb = "已发布" if declare.add_alert(repo, alert) else "已存在（未变）"
        print(f"{verb}：{_describe(registry, alert, now)}", file=out)
        return 0
    if args.verb == "end":
        at = declare.parse_time(args.at) if args.at else now.replace(second=0, microsecond=0)
        try:
            alert = declare.end_alert(repo, args.alert_id, at)
        except NotFoundError:  # the id is the user's input: bad input, exit 2
            raise InvalidInputError(f"预警不存在：{args.alert_id}（可用 emergency alert list 查看）") from None
        print(f"已调整：{_describe(registry, alert, now)}", file=out)
        return 0
    start = declare.parse_time(args.start) if args.start else now - LIST_SPAN
    end = declare.parse_time(args.end) if args.end else now + LIST_SPAN
    alerts = repo.alerts_between(start, end)
    for alert in alerts:
        print(_describe(registry, alert, now), file=out)
    print(f"共 {len(alerts)} 条预警", file=out)
    return 0


def _show(args: argparse.Namespace, registry: RegistryRepository, repo: EmergencyRepository, out: TextIO) -> int:
    everything = repo.measures()
    if args.enterprise:
        wanted = declare.resolve_enterprises(registry, args.county_id, [args.enterprise])
        everything = {k: v for k, v in everything.items() if k in wanted}
    for eid in sorted(everything, key=lambda e: _enterprise_name(registry, e)):
        print(_enterprise_name(registry, eid), file=out)
        for level, m in sorted(everything[eid].levels.items(), key=lambda kv: list(LEVEL_NAMES).index(kv[0])):
            codes = []
            for pid in m.stop_points:
                try:
                    codes.append(registry.get_point(pid).point_code)
                except NotFoundError:
                    codes.append(f"{pid}（已注销）")
            parts = []
            if codes:
                parts.append("停产点位 " + "、".join(codes))
            if m.energy_share is not None:
                parts.append(f"用电量不超过基线的 {m.energy_share * 100:g}%")
            if m.forbidden_hours:
                parts.append("错峰停产 " + "、".join(f"{a}-{b}时" for a, b in m.forbidden_hours))
            print(f"  {LEVEL_NAMES[level]}预警：{'；'.join(parts)}", file=out)
    print(f"共 {len(everything)} 家企业有应急减排措施", file=out)
    return 0


def _measures(args: argparse.Namespace, registry: RegistryRepository, repo: EmergencyRepository, out: TextIO) -> int:
    if args.verb == "show":
        return _show(args, registry, repo, out)
    table = measures_sheet.read_sheet(args.path)
    report = measures_sheet.import_measures(registry, repo, args.county_id, table, dry_run=args.dry_run)
    if report.errors:
        print(f"校验失败，共 {len(report.errors)} 处错误，未写入任何数据：", file=out)
        for error in report.errors:
            print(f"  {error}", file=out)
        return 1
    verb = "校验通过（未写入）" if args.dry_run else "导入完成"
    print(f"{verb}：{report.enterprises} 家企业，{report.levels} 条分级措施", file=out)
    return 0


def write_template(args: argparse.Namespace, out: TextIO) -> int:
    for path in measures_sheet.write_template(args.out):
        print(path, file=out)
    return 0


def run_cli(
    args: argparse.Namespace,
    registry: RegistryRepository,
    repo: EmergencyRepository,
    out: TextIO,
    clock: Clock,
) -> int:
    now = clock.now().astimezone(UTC)
    if args.action == "alert":
        return _alert(args, registry, repo, now, out)
    return _measures(args, registry, repo, out)
