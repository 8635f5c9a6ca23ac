"""Replay: re-evaluate stored history and explain every alarm (rule, thresholds, the readings behind it).

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TextIO

from monitoring.alarms.models import STATE_NAMES, Alarm
from monitoring.emergency.ports import EmergencyRepository
from monitoring.errors import InvalidInputError
from monitoring.evaluation.catalogue import RULES
from monitoring.evaluation.config import RuleConfig
from monitoring.evaluation.ports import RuleInputs
from monitoring.reports.ports import ReportRepository
from monitoring.reports.workdays import CHINA
from monitoring.rules.service import Emergency, Stores, evaluate_rules
from monitoring.storage.rules_memory import MemoryAlarmRepository, MemoryAuditLog, MemoryRuleState

MAX_SPAN = timedelta(days=31)


def parse_time(text: str) -> datetime:
    """ISO date/time; Beijing time when no offset is given."""
    try:
        t = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInputError(f"时间格式不正确：{text!r}（示例 2026-11-23T08:00）") from exc
    return t.replace(tzinfo=CHINA) if t.tzinfo is None else t


def replay(
    inputs: RuleInputs,
    config: RuleConfig,
    reports: ReportRepository,
    emergency: EmergencyRepository,
    start: datetime,
    end: datetime,
    *,
    enterprise_ids: Sequence[str] | None = None,
    step: timedelta = timedelta(minutes=5),
) -> list[Alarm]:
    """Alarms the engine raises over [start, end) from stored data, oldest first."""
    if not start < end or end - start > MAX_SPAN:
        raise InvalidInputError("回放时段无效：结束须晚于开始，且不超过31天")
    if step <= timedelta(0) or step > timedelta(minutes=30):
        raise InvalidInputError("回放步长须在 1–30 分钟之间")
    stores = Stores(inputs, MemoryRuleState(), MemoryAlarmRepository(), MemoryAuditLog(), reports)
    situation = Emergency(
        alerts=emergency.alerts_between(start - timedelta(days=1), end),
        measures=emergency.measures(),
        halts=emergency.halts_between(start - timedelta(days=1), end),
    )
    settle = timedelta(minutes=config.params("evaluation")["settle_min"])
    t = start + settle + step
    first = True
    while True:
        evaluate_rules(stores, config, situation, t, enterprise_ids=enterprise_ids, force_from=start if first else None)
        first = False
        if t >= end + settle:
            break
        t = min(t + step, end + settle)
    # The first windows reach back before `start` (warm-up); keep only what happened inside the period.
    found = [
        a
        for a in stores.alarms.list(limit=1_000_000)
        if any(e.start < end and (e.end is None or e.end > start) for e in a.live_episodes)
    ]
    return sorted(found, key=lambda a: (a.data_start, a.rule, a.subject))


def _local(t: datetime | None) -> str:
    return "（持续中）" if t is None else t.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _fmt(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def explain(alarm: Alarm, out: TextIO) -> None:
    """A human-readable account of one alarm: rule, subject, each episode with thresholds and readings."""
    spec = RULES.get(alarm.rule)
    name = spec.name if spec else alarm.rule
    print(
        f"■ {name} [{alarm.rule}]  对象 {alarm.subject}  企业 {alarm.enterprise_id}  级别 {alarm.severity}  "
        f"状态 {STATE_NAMES[alarm.state]}",
        file=out,
    )
    for ep in alarm.episodes:
        span = f"{_local(ep.start)} – {_local(ep.end)}"
        dur = "" if ep.duration is None else f"（{int(ep.duration.total_seconds() // 60)} 分钟）"
        print(f"  时段 {span}{dur}{'  [已撤销]' if ep.retracted else ''}", file=out)
        ev = dict(ep.evidence)
        thresholds = ev.pop("thresholds", None)
        readings = ev.pop("readings", None)
        if thresholds:
            print(f"    阈值：{_fmt(thresholds)}", file=out)
        facts = {k: v for k, v in ev.items() if k not in ("intervals",)}
        if facts:
            print(f"    依据：{_fmt(facts)}", file=out)
        for interval, detail in (ev.get("intervals") or {}).items():
            print(f"    时段 {_local(datetime.fromisoformat(interval))}：{_fmt(detail)}", file=out)
        for point, rows in (readings or {}).items():
            shown = "; ".join(
                f"{_local(datetime.fromisoformat(r['at']))[-5:]} " + _fmt({k: v for k, v in r.items() if k != "at"})
                for r in rows
            )
            print(f"    读数 {point}：{shown}", file=out)
        print(f"    数据质量：{_fmt(dict(ep.quality))}", file=out)
        if ep.suppressions:
            print(f"    关联报备/故障：{', '.join(ep.suppressions)}", file=out)


def add_parser(sub: Any) -> None:
    """Register the `replay` subcommand on the monitoring CLI."""
    p = sub.add_parser("replay", help="回放历史数据并解释每条报警")
    p.add_argument("--from", dest="start", required=True, help="开始时间（北京时间，如 2026-11-23T08:00）")
    p.add_argument("--to", dest="end", required=True, help="结束时间")
    p.add_argument("--enterprise", action="append", help="企业标识（可重复）；缺省为全部企业")
    p.add_argument("--step", type=int, default=5, help="评估步长（分钟，默认 5）")


def print_replay(alarms: Sequence[Alarm], out: TextIO) -> None:
    for alarm in alarms:
        explain(alarm, out)
    print(f"共 {len(alarms)} 条报警", file=out)


def run_cli(
    args: argparse.Namespace,
    inputs: RuleInputs,
    config: RuleConfig,
    reports: ReportRepository,
    emergency: EmergencyRepository,
    out: TextIO,
) -> int:
    alarms = replay(
        inputs,
        config,
        reports,
        emergency,
        parse_time(args.start),
        parse_time(args.end),
        enterprise_ids=args.enterprise,
        step=timedelta(minutes=args.step),
    )
    print_replay(alarms, out)
    return 0
