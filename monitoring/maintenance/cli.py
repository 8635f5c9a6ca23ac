"""`python -m monitoring maintenance due|overdue|inspect|repair|provider|remind`: the service provider's duties
(二.4) from the command line, output in Chinese for the bureau."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any, TextIO

from monitoring._time import CHINA, parse_aware
from monitoring.clock import Clock
from monitoring.errors import InvalidInputError
from monitoring.maintenance.checklist import checklist
from monitoring.maintenance.models import ServiceProvider
from monitoring.maintenance.schedule import InspectionState, RepairState
from monitoring.maintenance.service import (
    inspections,
    record_inspection,
    record_repair,
    repair_obligations,
    set_provider,
)
from monitoring.storage.ports import Store


def add_parser(sub: Any) -> None:
    """Register `maintenance` on the monitoring CLI."""
    area = sub.add_parser("maintenance", help="运维：巡检（14 天）、维修（24 小时）、运维单位")
    area = area.add_subparsers(dest="action", required=True)
    due = area.add_parser("due", help="各终端巡检到期情况")
    due.add_argument("--enterprise", help="企业标识")
    area.add_parser("overdue", help="超期未巡检的终端和超时未修复的故障")
    ins = area.add_parser("inspect", help="记录一次巡检（检查项默认全部正常）")
    ins.add_argument("mn", help="终端 MN")
    ins.add_argument("--by", required=True, help="巡检人账号（用户名）")
    ins.add_argument(
        "--abnormal", action="append", default=[], help=f"异常的检查项（可重复）：{'、'.join(checklist())}"
    )
    ins.add_argument("--reading", action="append", default=[], help="现场读数 点位:数据项=数值，如 p1:p=35.2")
    ins.add_argument("--at", help="巡检时间（带时区，默认现在）")
    ins.add_argument("--text", default="", help="备注")
    rep = area.add_parser("repair", help="记录维修（alarm:<报警> 或 fault:<申报>）")
    rep.add_argument("obligation", help="维修任务，如 alarm:al-1")
    rep.add_argument("--by", required=True, help="维修人账号（用户名）")
    rep.add_argument("--text", required=True, help="维修内容")
    rep.add_argument("--part", action="append", default=[], help="更换配件（可重复）")
    rep.add_argument("--at", help="修复时间（带时区，默认现在）")
    prov = area.add_parser("provider", help="运维单位").add_subparsers(dest="verb", required=True)
    ps = prov.add_parser("set", help="指定企业的运维单位")
    ps.add_argument("enterprise_id")
    ps.add_argument("--name", required=True, help="运维单位名称")
    ps.add_argument("--account", action="append", required=True, help="运维人员账号用户名（可重复）")
    ps.add_argument("--phone", default="")
    prov.add_parser("list", help="列出各企业的运维单位")
    area.add_parser("remind", help="把今天应发的超期提醒写入通知发件箱（同一天重复执行不重复提醒）")


def _local(t: datetime | None) -> str:
    return "—" if t is None else t.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _time(text: str | None, now: datetime) -> datetime:
    return parse_aware(text).astimezone(UTC) if text else now


def _account_id(store: Store, username: str) -> str:
    found = store.accounts.find_by_username(username)
    if found is None:
        raise InvalidInputError(f"账号 {username} 不存在")
    return found.id


def _readings(texts: list[str]) -> list[tuple[str, str, float]]:
    out = []
    for text in texts:
        where, _, value = text.partition("=")
        point_id, _, code = where.partition(":")
        try:
            out.append((point_id.strip(), code.strip(), float(value)))
        except ValueError:
            raise InvalidInputError(f"现场读数格式不正确：{text}（如 p1:p=35.2）") from None
        if not point_id or not code:
            raise InvalidInputError(f"现场读数格式不正确：{text}（如 p1:p=35.2）")
    return out


def _names(store: Store, county_id: str) -> dict[str, str]:
    return {e.enterprise_id: e.name for e in store.registry.list_enterprises(county_id)}


def _due(args: argparse.Namespace, store: Store, now: datetime, out: TextIO) -> int:
    scope = [args.enterprise] if args.enterprise else None
    names = _names(store, args.county_id)
    found = inspections(store, args.county_id, now, scope)
    print(f"终端 {len(found)} 台（巡检间隔不超过 14 天）", file=out)
    for d in found:
        print(f"{d.mn}\t{names.get(d.enterprise_id, d.enterprise_id)}\t{d.state.label}\t"
              f"上次巡检 {_local(d.last_inspection_at)}\t最迟 {_local(d.due_at)}", file=out)  # fmt: skip
    return 0


def _overdue(args: argparse.Namespace, store: Store, now: datetime, out: TextIO) -> int:
    names = _names(store, args.county_id)
    late = [d for d in inspections(store, args.county_id, now) if d.state is InspectionState.OVERDUE]
    repairs = [o for o in repair_obligations(store, now, names) if o.state is RepairState.OVERDUE]
    print(f"超期未巡检 {len(late)} 台：", file=out)
    for d in late:
        days = (now - d.due_at).days if d.due_at else 0
        print(f"  {d.mn}\t{names.get(d.enterprise_id, d.enterprise_id)}\t应于 {_local(d.due_at)} 前巡检，"
              f"已超 {days} 天", file=out)  # fmt: skip
    print(f"超时未修复 {len(repairs)} 项：", file=out)
    for o in repairs:
        hours = int((now - o.deadline).total_seconds() // 3600)
        print(f"  {o.id}\t{names.get(o.enterprise_id, o.enterprise_id)}\t{o.title}\t{o.mn or '—'}\t"
              f"发生 {_local(o.opened_at)}，已超时 {hours} 小时", file=out)  # fmt: skip
    return 0


def _provider(args: argparse.Namespace, store: Store, now: datetime, out: TextIO) -> int:
    if args.verb == "set":
        ids = tuple(dict.fromkeys(_account_id(store, a) for a in args.account))
        p = set_provider(store, ServiceProvider(args.enterprise_id, args.name, ids, "cli", now, phone=args.phone))
        print(f"已指定 {p.enterprise_id} 的运维单位：{p.name}（{len(p.account_ids)} 个账号）", file=out)
        return 0
    names = _names(store, args.county_id)
    providers = store.maintenance.providers()
    print(f"已指定运维单位的企业 {len(providers)} 家：", file=out)
    for p in providers:
        print(f"  {names.get(p.enterprise_id, p.enterprise_id)}\t{p.name}\t{p.phone or '—'}", file=out)
    return 0


def run_cli(args: argparse.Namespace, store: Store, out: TextIO, clock: Clock) -> int:
    now = clock.now().astimezone(UTC)
    if args.action == "due":
        return _due(args, store, now, out)
    if args.action == "overdue":
        return _overdue(args, store, now, out)
    if args.action == "provider":
        return _provider(args, store, now, out)
    if args.action == "remind":
        from monitoring.maintenance.reminders import remind
        from monitoring.notify.service import NotifyService

        decided = remind(NotifyService(store, args.county_id), now)
        print(f"新写入提醒 {len(decided)} 条", file=out)
        return 0
    if args.action == "inspect":
        marks = {k: k not in args.abnormal for k in checklist()}
        unknown = sorted(set(args.abnormal) - set(marks))
        if unknown:
            raise InvalidInputError(f"未知的检查项：{'、'.join(unknown)}（可用：{'、'.join(checklist())}）")
        entry = record_inspection(store, mn=args.mn, by=_account_id(store, args.by), at=_time(args.at, now),
                                  now=now, checklist=marks, readings=_readings(args.reading),
                                  text=args.text)  # fmt: skip
        abnormal = [checklist()[k] for k, ok in entry.checklist.items() if not ok]
        print(f"已记录巡检 {entry.entry_id}：终端 {entry.mn}，异常项 {'、'.join(abnormal) or '无'}", file=out)
        for r in entry.readings:
            platform = "无数据" if r.platform is None else f"{r.platform:g}（{_local(r.platform_at)}）"
            print(f"  {r.point_id} {r.code}：现场 {r.seen:g}，平台 {platform}", file=out)
        return 0
    entry = record_repair(store, obligation_id=args.obligation, by=_account_id(store, args.by),
                          at=_time(args.at, now), now=now, text=args.text, parts=args.part)  # fmt: skip
    back = {True: "已恢复上线", False: "尚未恢复上线", None: "无终端"}[entry.back_online]
    print(f"已记录维修 {entry.entry_id}：{entry.obligation}，终端 {entry.mn or '—'} {back}", file=out)
    return 0
