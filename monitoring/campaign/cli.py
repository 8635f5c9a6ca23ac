"""`python -m monitoring campaign init|status|progress|overdue|show|survey|install|accept|file|exempt|daily|import|
export`: the installation campaign for a bureau clerk, in Chinese. Every change is audited with channel "cli"."""

from __future__ import annotations

import argparse
import getpass
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from monitoring._time import CHINA, china_day
from monitoring.campaign.defaults import default_campaign, load_campaign
from monitoring.campaign.models import Campaign, StepRecord, SurveyRecord
from monitoring.campaign.progress import (
    STEP_LABELS,
    GroupProgress,
    file_calendar_warning,
    late_text,
    overdue_for,
    progress,
)
from monitoring.campaign.service import (
    Actor,
    filing_due,
    load_file,
    network_check,
    record_acceptance,
    record_filing,
    record_installation,
    record_survey,
    run_daily,
    set_exemption,
)
from monitoring.campaign.sheet import SheetImportError, export_xlsx, import_xlsx
from monitoring.clock import Clock
from monitoring.errors import InvalidInputError
from monitoring.registry.models import Enterprise, ExemptionReason, InstallStatus
from monitoring.reports.workdays import calendar_warning
from monitoring.storage.ports import Store

MAX_SHEET = 10 * 1024 * 1024


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是 ISO 8601 时间: {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA)  # a clerk types Beijing time
    return value


def add_parser(sub: Any) -> None:
    """Register `campaign` on the monitoring CLI."""
    area = sub.add_parser("campaign", help="安装活动（勘察、安装、联网、试运行、验收、备案）")
    cmd = area.add_subparsers(dest="action", required=True)
    init = cmd.add_parser("init", help="登记安装活动（默认：2022 年如皋市活动，期限 9-30 / 10-20 / 10-31）")
    init.add_argument("--file", type=Path, help="活动 JSON 文件（campaign_id、name、deadlines、town_deadlines…）")
    cmd.add_parser("status", help="活动期限与全县汇总")
    prog = cmd.add_parser("progress", help="按镇（街道）或执法局的安装进度")
    prog.add_argument("--by", choices=("town", "branch"), default="town")
    prog.add_argument("--json", action="store_true", help="输出 JSON")
    over = cmd.add_parser("overdue", help="逾期清单（逾期最久的在前）")
    over.add_argument("--json", action="store_true", help="输出 JSON")
    cmd.add_parser("show", help="企业的安装档案").add_argument("enterprise", help="企业标识或名称")
    survey = cmd.add_parser("survey", help="记录点位勘查（待勘察 → 已勘察）")
    survey.add_argument("enterprise", help="企业标识或名称")
    survey.add_argument("--facility", action="append", required=True, help="勘察到的设施（可重复）")
    survey.add_argument("--point", action="append", required=True, help="拟装点位（可重复）")
    survey.add_argument("--by", required=True, help="勘察人账号标识")
    for name, text in (("install", "记录安装完成（已勘察 → 已安装）"), ("accept", "记录验收（试运行通过后）"),
                       ("file", "记录验收备案（验收后 5 个工作日内）")):  # fmt: skip
        step = cmd.add_parser(name, help=text)
        step.add_argument("enterprise", help="企业标识或名称")
        step.add_argument("--by", required=True, help="记录人（账号或姓名）")
        step.add_argument("--remarks", default="", help="备注")
        step.add_argument("--at", type=_when, help="完成时间（ISO 8601；不带时区按北京时间），默认现在")
    survey.add_argument("--remarks", default="", help="备注")
    survey.add_argument("--at", type=_when, help="勘察时间（ISO 8601；不带时区按北京时间），默认现在")
    exempt = cmd.add_parser("exempt", help="豁免（免装）或撤销豁免")
    exempt.add_argument("enterprise", help="企业标识或名称")
    how = exempt.add_mutually_exclusive_group(required=True)
    how.add_argument("--reason", help="原因：" + "、".join(f"{r.value}（{r.label}）" for r in ExemptionReason))
    how.add_argument("--revoke", action="store_true", help="撤销豁免")
    exempt.add_argument("--approver", help="批准人（豁免时必填）")
    exempt.add_argument("--note", default="", help="说明")
    daily = cmd.add_parser("daily", help="运行每日检查（联网、试运行开始与判定）")
    daily.add_argument("--now", type=_when, help="按此时间运行（默认现在）")
    imp = cmd.add_parser("import", help="导入安装进度表（验收日期、备案日期、豁免；有错则全部不导入）")
    imp.add_argument("xlsx", type=Path)
    imp.add_argument("--clerk", required=True, help="记录为验收/备案记录人的姓名")
    cmd.add_parser("export", help="导出安装进度表（XLSX）").add_argument("xlsx", type=Path)


def _campaign(store: Store, county_id: str) -> Campaign:
    found = store.campaign.list_campaigns(county_id)
    if not found:
        raise InvalidInputError("本区县尚无安装活动，请先运行 campaign init")
    return found[-1]


def _enterprise(store: Store, county_id: str, given: str) -> Enterprise:
    found = store.registry.find_enterprise(given)
    if found is not None and found.county_id == county_id:
        return found
    named = [e for e in store.registry.list_enterprises(county_id) if e.name == given]
    if len(named) != 1:
        raise InvalidInputError(f"企业 {given!r} 未登记" if not named else f"企业名称 {given!r} 不唯一，请用标识")
    return named[0]


def _actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "cli"
    return Actor(f"cli:{user}"[:128], "admin", "cli")


def _d(value: datetime | None) -> str:
    return china_day(value).isoformat() if value else "—"


def _group_line(g: GroupProgress) -> str:
    r = g.reached
    late = "、".join(f"{STEP_LABELS.get(k, k)} {v}" for k, v in g.overdue.items() if v)
    return (
        f"{g.name}\t{g.total}\t{g.exempt}\t{r[InstallStatus.SURVEYED]}\t{r[InstallStatus.INSTALLED]}\t"
        f"{r[InstallStatus.NETWORKED]}\t{r[InstallStatus.TRIAL_RUN]}\t{r[InstallStatus.ACCEPTED]}\t"
        f"{r[InstallStatus.FILED]}\t{late or '—'}"
    )


def _progress(args: argparse.Namespace, store: Store, out: TextIO, now: datetime) -> int:
    campaign = _campaign(store, args.county_id)
    reg = store.registry
    files = {f.enterprise_id: f for f in store.campaign.list_files(campaign.campaign_id)}
    towns, branches, overdue = progress(
        campaign, reg.list_enterprises(campaign.county_id), files, china_day(now),
        town_names={t.town_id: t.name for t in reg.list_towns(campaign.county_id)},
        branch_names={b.branch_id: b.name for b in reg.list_branches(campaign.county_id)},
    )  # fmt: skip
    if args.action == "overdue":
        if args.json:
            rows = [{"enterprise_id": o.enterprise_id, "enterprise_name": o.enterprise_name, "step": o.step,
                     "due": o.due.isoformat(), "days_overdue": o.days_overdue,
                     "unit": "workdays" if o.workdays else "days"} for o in overdue]  # fmt: skip
            print(json.dumps(rows, ensure_ascii=False, indent=1), file=out)
            return 0
        print(f"逾期 {len(overdue)} 项（活动期限按日历日，验收后备案按工作日计）", file=out)
        for o in overdue:
            unit = "工作日" if o.workdays else "天"
            print(f"{o.enterprise_name}\t{o.step_label}\t截止 {o.due}\t逾期 {o.days_overdue} {unit}", file=out)
        named = {e.enterprise_id: e.name for e in reg.list_enterprises(campaign.county_id)}
        done_late = [(named[f.enterprise_id], s) for f in files.values() if f.enterprise_id in named
                     for s in f.late_steps]  # fmt: skip
        if done_late:
            print(f"逾期完成 {len(done_late)} 项（已完成，晚于活动期限）", file=out)
            for name, s in sorted(done_late, key=lambda x: (-x[1].days, x[0])):
                print(f"{name}\t{s.step.label}\t截止 {s.due}\t{s.done_on} 完成，逾期 {s.days} 天", file=out)
        warning = calendar_warning([d for o in overdue if o.workdays for d in (o.due, china_day(now))])
        if warning:
            print(f"注意：{warning}", file=out)
        return 0
    groups = towns if args.action == "status" or args.by == "town" else branches
    if args.action == "status":
        d = campaign.deadlines
        print(f"{campaign.name}（{campaign.campaign_id}）", file=out)
        print(f"期限：勘察 {d.survey}，安装联网 {d.network}，验收备案 {d.filing}", file=out)
        total = sum(g.total for g in groups)
        exempt = sum(g.exempt for g in groups)
        filed = sum(g.reached[InstallStatus.FILED] for g in groups)
        networked = sum(g.reached[InstallStatus.NETWORKED] for g in groups)
        print(f"企业 {total} 家，豁免 {exempt}，已联网 {networked}，已备案 {filed}，逾期 {len(overdue)} 项", file=out)
        return 0
    if args.json:
        groups_out: list[dict[str, object]] = [
            {"key": g.key, "name": g.name, "total": g.total, "exempt": g.exempt,
             "reached": {s.value: n for s, n in g.reached.items()}, "overdue": g.overdue}
            for g in groups
        ]  # fmt: skip
        print(json.dumps(groups_out, ensure_ascii=False, indent=1), file=out)
        return 0
    head = "镇（街道）" if args.by == "town" else "执法局"
    print(f"{head}\t企业\t豁免\t已勘察\t已安装\t已联网\t试运行\t已验收\t已备案\t逾期", file=out)
    for g in groups:
        print(_group_line(g), file=out)
    return 0


def _show(args: argparse.Namespace, store: Store, out: TextIO, now: datetime) -> int:
    campaign = _campaign(store, args.county_id)
    e = _enterprise(store, args.county_id, args.enterprise)
    f = load_file(store, campaign, e.enterprise_id)
    print(f"{e.name}（{e.enterprise_id}）：{e.install_status.label}", file=out)
    if e.exemption:
        x = e.exemption
        print(f"豁免：{x.reason.label}，批准人 {x.approved_by}，{_d(x.approved_at)} {x.note}", file=out)
    if f.survey:
        s = f.survey
        print(f"勘察：{_d(s.at)} {s.by}；设施 {'、'.join(s.facilities)}；点位 {'、'.join(s.planned_points)}", file=out)
    print(f"安装：{_d(f.installation.at if f.installation else None)}　联网：{_d(f.networked_at)}", file=out)
    for t in f.trials:
        print(f"试运行：{_d(t.started_at)} 起，{t.outcome.label} {t.reason}", file=out)
    if f.acceptance:
        due = filing_due(campaign, f.acceptance.at)
        print(f"验收：{_d(f.acceptance.at)} {f.acceptance.by}；备案截止 {due}", file=out)
    if f.filing:
        print(f"备案：{_d(f.filing.at)} {f.filing.by}{'（逾期）' if f.filing.late else ''}", file=out)
    for o in overdue_for(campaign, e, f, china_day(now)):
        print(f"逾期：{o.step_label}，截止 {o.due}，{o.days_overdue} {'工作日' if o.workdays else '天'}", file=out)
    if f.late_steps:
        print(f"逾期完成：{late_text(f)}", file=out)
    if e.exemption is None and e.install_status in (InstallStatus.SURVEYED, InstallStatus.INSTALLED):
        check = network_check(store, f, e.enterprise_id, now)
        print(f"联网条件：{'已满足' if check.complete else check.text}", file=out)
    warning = file_calendar_warning(campaign, e.install_status, f, china_day(now))
    if warning:
        print(f"注意：{warning}", file=out)
    return 0


def _steps(args: argparse.Namespace, store: Store, out: TextIO, now: datetime) -> int:
    campaign = _campaign(store, args.county_id)
    e = _enterprise(store, args.county_id, args.enterprise)
    eid, actor, at = e.enterprise_id, _actor(), args.at or now
    if args.action == "survey":
        record = SurveyRecord(at, args.by, tuple(args.facility), tuple(args.point), remarks=args.remarks)
        record_survey(store, campaign, eid, record, actor=actor, now=now)
    elif args.action == "install":
        record_installation(store, campaign, eid, StepRecord(at, args.by, args.remarks), actor=actor, now=now)
    elif args.action == "accept":
        record_acceptance(store, campaign, eid, StepRecord(at, args.by, args.remarks), actor=actor, now=now)
    else:
        done = record_filing(store, campaign, eid, at=at, by=args.by, remarks=args.remarks, actor=actor, now=now)
        if done.filing is not None and done.filing.late:
            print(f"注意：已超过备案期限（{done.filing.due}），已标记逾期", file=out)
    print(f"{e.name}：{store.registry.get_enterprise(eid).install_status.label}", file=out)
    return 0


def _exempt(args: argparse.Namespace, store: Store, out: TextIO, now: datetime) -> int:
    e = _enterprise(store, args.county_id, args.enterprise)
    if args.revoke:
        set_exemption(store, e.enterprise_id, None, approver="", actor=_actor(), now=now)
        print(f"{e.name}：已撤销豁免", file=out)
        return 0
    if not args.approver:
        raise InvalidInputError("豁免须填写批准人（--approver）")
    reason = ExemptionReason.parse(args.reason)
    set_exemption(store, e.enterprise_id, reason, approver=args.approver, note=args.note, actor=_actor(), now=now)
    print(f"{e.name}：已豁免（{reason.label}），批准人 {args.approver}", file=out)
    return 0


def _init(args: argparse.Namespace, store: Store, out: TextIO, now: datetime) -> int:
    campaign = load_campaign(args.file, county_id=args.county_id) if args.file else default_campaign(args.county_id)
    store.campaign.put_campaign(campaign)
    d = campaign.deadlines
    print(f"已登记：{campaign.name}；勘察 {d.survey}，安装联网 {d.network}，验收备案 {d.filing}", file=out)
    return 0


def _daily(args: argparse.Namespace, store: Store, out: TextIO, now: datetime) -> int:
    result = run_daily(store, _campaign(store, args.county_id), args.now or now)
    print(f"新联网 {len(result.networked)}，开始试运行 {len(result.trials_started)}，"
          f"试运行通过 {len(result.passed)}，未通过 {len(result.failed)}", file=out)  # fmt: skip
    return 0


def _sheet(args: argparse.Namespace, store: Store, out: TextIO, now: datetime) -> int:
    campaign = _campaign(store, args.county_id)
    if args.action == "export":
        args.xlsx.write_bytes(export_xlsx(store, campaign))
        print(f"已导出：{args.xlsx}", file=out)
        return 0
    if not args.xlsx.is_file() or args.xlsx.stat().st_size > MAX_SHEET:
        raise InvalidInputError(f"文件不存在或超过 10 MB: {args.xlsx}")
    try:
        done = import_xlsx(store, campaign, args.xlsx.read_bytes(), actor=_actor(), now=now, clerk=args.clerk)
    except SheetImportError as exc:
        print(f"导入失败，共 {len(exc.errors)} 处错误，未做任何修改：", file=out)
        for error in exc.errors:
            print(f"  {error}", file=out)
        return 2
    print(f"导入完成：{done.rows} 行；验收 {len(done.accepted)}，备案 {len(done.filed)}，"
          f"豁免 {len(done.exempted)}，未变 {done.unchanged}", file=out)  # fmt: skip
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Store, TextIO, datetime], int]] = {
    "init": _init, "status": _progress, "progress": _progress, "overdue": _progress, "show": _show,
    "survey": _steps, "install": _steps, "accept": _steps, "file": _steps, "exempt": _exempt, "daily": _daily,
    "import": _sheet, "export": _sheet,
}  # fmt: skip


def run_cli(args: argparse.Namespace, store: Store, out: TextIO, clock: Clock) -> int:
    """Execute one `campaign` command; domain errors are raised to the CLI, which prints them in Chinese."""
    return COMMANDS[args.action](args, store, out, clock.now())
