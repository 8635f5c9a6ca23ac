"""`python -m monitoring random-checks pool|draw|redo|list|record|verify`: 双随机抽查 from the command line; every
change is appended to the audit trail (channel "cli")."""

from __future__ import annotations

import argparse
import getpass
from datetime import datetime
from typing import Any, TextIO

from monitoring._time import CHINA
from monitoring.audit.models import AuditRecord
from monitoring.clock import Clock
from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.random_checks import service
from monitoring.random_checks.models import Conclusion, Finding, FindingItem
from monitoring.storage.ports import Store


def add_parser(sub: Any) -> None:
    """Register `random-checks` on the monitoring CLI."""
    area = sub.add_parser("random-checks", help="双随机抽查：检查人员库、抽取、检查记录")
    area = area.add_subparsers(dest="action", required=True)
    pool = area.add_parser("pool", help="设置或查看分局的检查人员库")
    pool.add_argument("--branch", required=True, help="执法分局（标识或名称，如 执法一局）")
    pool.add_argument(
        "--account", action="append", default=None, help="检查人员账号（用户名或编号，可重复）；缺省为查看"
    )
    draw = area.add_parser("draw", help="抽取：每个分局每个周期一次")
    draw.add_argument("--branch", required=True, help="执法分局（标识或名称）")
    draw.add_argument("--period", required=True, help="周期：2026-12（月）或 2026-Q4（季度）")
    draw.add_argument("--n", type=int, required=True, help="抽取企业数")
    draw.add_argument("--seed", help="随机种子（缺省随机生成并记录）")
    redo = area.add_parser("redo", help="重新抽取（须说明理由；原批次作废但保留）")
    redo.add_argument("draw_id")
    redo.add_argument("--reason", required=True, help="理由")
    redo.add_argument("--seed", help="新的随机种子（缺省随机生成）")
    lst = area.add_parser("list", help="列出抽查批次与任务")
    lst.add_argument("--branch", help="执法分局（标识或名称）")
    lst.add_argument("--period", help="周期")
    rec = area.add_parser("record", help="记录一次检查")
    rec.add_argument("check_id")
    rec.add_argument("--by", required=True, help="记录人账号（用户名或编号，须为指派的检查人员）")
    rec.add_argument("--conclusion", required=True, help="结论：合规、存在问题、停产/未生产、无法检查")
    rec.add_argument("--finding", action="append", default=[], help="检查项目：代码或名称=正常|问题[:意见]，可重复")
    rec.add_argument("--text", default="", help="检查情况")
    rec.add_argument("--alarm", action="append", default=[], help="查看过的报警编号（可重复）")
    rec.add_argument("--photo", action="append", default=[], help="照片编号（可重复）")
    rec.add_argument("--at", help="检查时间（ISO 8601，带时区；缺省为现在）")
    area.add_parser("verify", help="按记录的种子与候选名单重算，核对抽取结果").add_argument("draw_id")


def _branch(store: Store, county_id: str, text: str) -> str:
    for b in store.registry.list_branches(county_id):
        if text in (b.branch_id, b.name):
            return b.branch_id
    raise NotFoundError(f"执法分局 {text} 不存在")


def _account_id(store: Store, text: str) -> str:
    found = store.accounts.find_by_username(text) or store.accounts.find_account(text)
    if found is None:
        raise NotFoundError(f"账号 {text} 不存在")
    return found.id


def _local(t: datetime) -> str:
    return t.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _audit(store: Store, now: datetime, action: str, object_type: str, object_id: str, **detail: Any) -> None:
    try:
        user = getpass.getuser()[:64] or "unknown"
    except (OSError, KeyError):
        user = "unknown"
    enterprise_id = detail.pop("enterprise_id", None)
    store.audit_trail.append(
        AuditRecord(at=now, actor_id=f"cli:{user}", actor_role="cli", source_ip="", channel="cli", action=action,
                    object_type=object_type, object_id=object_id, enterprise_id=enterprise_id, detail=detail)
    )  # fmt: skip


def _finding(text: str) -> Finding:
    item, sep, rest = text.partition("=")
    verdict, _, note = rest.partition(":")
    if not sep or verdict not in ("正常", "问题"):
        raise InvalidInputError(f"检查项目格式应为 项目=正常|问题[:意见]，而不是 {text!r}")
    return Finding(FindingItem.parse(item), verdict == "正常", note.strip())


def _pool(args: argparse.Namespace, store: Store, out: TextIO, now: datetime) -> int:
    branch = _branch(store, args.county_id, args.branch)
    if args.account is not None:
        ids = [_account_id(store, a) for a in args.account]
        with store.batch():
            pool = service.set_pool(store, args.county_id, branch, ids, by="cli", now=now)
            _audit(store, now, "random_checks.pool", "random_check_pool", branch, accounts=list(pool.account_ids))
    pool_ = store.random_checks.get_pool(args.county_id, branch)
    members = pool_.account_ids if pool_ else ()
    print(f"{args.branch} 检查人员库（{len(members)} 人）：", file=out)
    for account_id in members:
        account = store.accounts.find_account(account_id)
        print(f"  {account_id}  {account.display_name if account else '（已删除）'}", file=out)
    return 0


def _print_draw(store: Store, draw_id: str, out: TextIO, now: datetime) -> None:
    draw = store.random_checks.get_draw(draw_id)
    branch = store.registry.get_branch(draw.branch_id).name
    state = f"，已作废（重抽为 {draw.superseded_by}）" if draw.superseded_by else ""
    print(f"批次 {draw.draw_id}：{branch} {draw.period} 抽取 {len(draw.drawn)}/{len(draw.candidates)} 家"
          f"（排除 {len(draw.excluded)} 家），种子 {draw.seed}，算法 {draw.algorithm}，{_local(draw.drawn_at)}{state}",
          file=out)  # fmt: skip
    if draw.reason:
        print(f"  重新抽取理由：{draw.reason}（原批次 {draw.supersedes}）", file=out)
    for check in store.random_checks.checks_of(draw.draw_id):
        view = service.view_of(store, check, draw, now)
        names = "、".join(_name(store, a) for a in check.inspectors)
        extra = f"  结论：{check.record.conclusion.label}" if check.record else ""
        print(f"  {check.check_id}  {view.enterprise_name}  检查人员：{names}  {view.status.label}{extra}", file=out)


def _name(store: Store, account_id: str) -> str:
    account = store.accounts.find_account(account_id)
    return account.display_name if account else account_id


def run_cli(args: argparse.Namespace, store: Store, out: TextIO, clock: Clock) -> int:
    now = clock.now()
    try:
        if args.action == "pool":
            return _pool(args, store, out, now)
        if args.action in ("draw", "redo"):
            with store.batch():
                if args.action == "draw":
                    branch_id = _branch(store, args.county_id, args.branch)
                    draw, checks = service.make_draw(store, args.county_id, branch_id, args.period, args.n, by="cli",
                                                     now=now, seed=args.seed)  # fmt: skip
                else:
                    draw, checks = service.redo_draw(store, args.draw_id, args.reason, by="cli", now=now,
                                                     seed=args.seed)  # fmt: skip
                action = "random_checks.draw" if args.action == "draw" else "random_checks.redo"
                _audit(store, now, action, "random_check_draw", draw.draw_id, **service.draw_audit_detail(draw, checks))
            _print_draw(store, draw.draw_id, out, now)
            return 0
        if args.action == "list":
            branch = _branch(store, args.county_id, args.branch) if args.branch else None
            draws = store.random_checks.list_draws(args.county_id, branch_id=branch, period=args.period)
            if not draws:
                print("没有抽查批次", file=out)
            for d in draws:
                _print_draw(store, d.draw_id, out, now)
            return 0
        if args.action == "record":
            return _record(args, store, out, now)
        problems = service.verify_draw(store, args.draw_id)
        for p in problems:
            print(f"不一致：{p}", file=out)
        print("核对通过：抽取结果可由种子与候选名单重现" if not problems else "核对未通过", file=out)
        return 0 if not problems else 1
    except (InvalidInputError, NotFoundError, ConflictError) as exc:
        print(f"错误：{exc}", file=out)
        return 2 if isinstance(exc, InvalidInputError) else 1


def _record(args: argparse.Namespace, store: Store, out: TextIO, now: datetime) -> int:
    at = now
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            raise InvalidInputError(f"检查时间不是 ISO 8601 时间：{args.at!r}") from None
        if at.tzinfo is None:
            raise InvalidInputError("检查时间须带时区（如 +08:00）")
    by = _account_id(store, args.by)
    with store.batch():
        check = service.record_inspection(
            store, args.check_id, conclusion=Conclusion.parse(args.conclusion),
            findings=[_finding(f) for f in args.finding], text=args.text, photo_ids=args.photo,
            alarm_ids=args.alarm, inspected_at=at, by=by, by_admin=False, now=now,
        )  # fmt: skip
        assert check.record is not None
        record = check.record
        _audit(store, now, "random_checks.record", "random_check", check.check_id, enterprise_id=check.enterprise_id,
               conclusion=record.conclusion.value, recorded_by=by, alarm_ids=list(record.alarm_ids))  # fmt: skip
    print(f"已记录：{check.check_id} 结论 {check.record.conclusion.label}", file=out)
    return 0
