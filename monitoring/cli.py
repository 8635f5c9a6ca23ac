"""Command line for the registry: import the bureau's list and installers' sheets, list and inspect records.

More: docs/monitoring.md, "Module notes".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from monitoring.errors import InvalidInputError, MonitoringError
from monitoring.registry.import_list import ImportReport, import_enterprise_list
from monitoring.registry.import_sheets import import_sheets, read_csv_sheets, read_workbook
from monitoring.registry.models import County
from monitoring.registry.template import write_templates
from monitoring.storage.ports import Store
from monitoring.storage.sqlite.preflight import Rollback, check_creatable_dir, check_database, database_files

DEFAULT_DB = Path("var") / "gongkuang.db"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m monitoring", description="工况用电监控平台：登记数据导入与查询")
    p.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"sqlite 数据库文件（默认 {DEFAULT_DB}）")
    p.add_argument("--county-id", default="rugao", help="区县标识（默认 rugao）")
    sub = p.add_subparsers(dest="area", required=True)

    reg = sub.add_parser("registry", help="登记数据").add_subparsers(dest="action", required=True)
    imp = reg.add_parser("import", help="导入企业名单或设施/点位表")
    imp.add_argument("--csv", type=Path, help="企业名单 CSV（序号,镇（区、街道）,企业名称,安装类型,所属分局）")
    imp.add_argument("--county-name", default="如皋市")
    imp.add_argument("--city", default="南通市")
    imp.add_argument("--province", default="江苏省")
    imp.add_argument("--year", type=int, default=2022, help="名单年度（默认 2022）")
    imp.add_argument("--xlsx", type=Path, help="设施/点位/治理线/终端 工作簿")
    for sheet, flag in (
        ("企业", "enterprises"),
        ("设施", "facilities"),
        ("点位", "points"),
        ("治理线", "lines"),
        ("终端", "terminals"),
    ):
        imp.add_argument(f"--{flag}", type=Path, help=f"{sheet} CSV")
    imp.add_argument("--dry-run", action="store_true", help="只校验，不写入")
    tpl = reg.add_parser("template", help="生成空白登记模板")
    tpl.add_argument("--out", type=Path, required=True)

    ent = sub.add_parser("enterprises", help="企业").add_subparsers(dest="action", required=True)
    el = ent.add_parser("list")
    el.add_argument("--town", help="镇（街道）名称")
    el.add_argument("--branch", help="执法分局名称")
    ent.add_parser("progress", help="各镇（街道）安装进度")
    ent.add_parser("show", help="一企一档").add_argument("enterprise_id")

    pts = sub.add_parser("points", help="监测点位").add_subparsers(dest="action", required=True)
    pts.add_parser("list").add_argument("--enterprise", help="企业标识")
    pts.add_parser("show").add_argument("point_id")

    sub.add_parser("terminals", help="终端").add_subparsers(dest="action", required=True).add_parser("list")
    arc = sub.add_parser("archive", help="原始报文存档").add_subparsers(dest="action", required=True)
    arc.add_parser("verify").add_argument("mn")
    alarms = sub.add_parser("alarms", help="报警").add_subparsers(dest="action", required=True)
    al = alarms.add_parser("list", help="报警列表（最新在前；默认只列未关闭的）")
    al.add_argument("--enterprise", help="企业标识")
    al.add_argument("--all", action="store_true", help="包括已关闭、已撤销的报警")
    al.add_argument("--limit", type=int, default=200, help="最多列出条数（默认 200）")
    al.add_argument("--json", action="store_true", help="输出 JSON")
    readings = sub.add_parser("readings", help="监测数据").add_subparsers(dest="action", required=True)
    rl = readings.add_parser("list", help="企业各点位最近的分钟数据")
    rl.add_argument("--enterprise", required=True, help="企业标识")
    rl.add_argument("--minutes", type=int, default=15, help="向前多少分钟（默认 15）")
    rl.add_argument("--now", type=_aware_time, help="截至时间（ISO 8601，带时区；默认当前时间）")
    rl.add_argument("--json", action="store_true", help="输出 JSON")
    from monitoring.rules import replay  # rules area: `replay` re-evaluates history and explains alarms

    replay.add_parser(sub)
    from monitoring.emergency import cli as emergency_cli  # `emergency alert|measures …`

    emergency_cli.add_parser(sub)
    from monitoring.accounts import cli as users_cli  # `users add|list|disable|enable|invite|passwd`

    users_cli.add_parser(sub)
    from monitoring.maintenance import cli as maintenance_cli  # `maintenance due|overdue|inspect|repair|provider`

    maintenance_cli.add_parser(sub)
    return p


def _aware_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是 ISO 8601 时间: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"缺少时区（如 +08:00）: {text!r}")
    return value


def _print_report(report: ImportReport, out: TextIO, *, dry_run: bool) -> int:
    if report.errors:
        print(f"校验失败，共 {len(report.errors)} 处错误，未写入任何数据：", file=out)
        for error in report.errors:
            print(f"  {error}", file=out)
        return 1
    verb = "校验通过（未写入）" if dry_run else "导入完成"
    print(f"{verb}：新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}", end="", file=out)
    if report.towns or report.branches:
        print(f"；镇（街道） {report.towns} 个，执法分局 {report.branches} 个", end="", file=out)
    print(file=out)
    return 0


def _registry_import(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    if args.csv:
        county = County(args.county_id, args.county_name, args.city, args.province)
        report = import_enterprise_list(store.registry, args.csv, county=county, year=args.year, dry_run=args.dry_run)
        return _print_report(report, out, dry_run=args.dry_run)
    if args.xlsx:
        tables = read_workbook(args.xlsx)
    else:
        given = {"企业": args.enterprises, "设施": args.facilities, "点位": args.points}
        given |= {"治理线": args.lines, "终端": args.terminals}
        paths = {sheet: path for sheet, path in given.items() if path is not None}
        if not paths:
            print("请指定 --csv、--xlsx 或 --enterprises/--facilities/--points/--lines/--terminals 之一", file=out)
            return 2
        tables = read_csv_sheets(paths)
    report = import_sheets(store.registry, args.county_id, tables, dry_run=args.dry_run)
    return _print_report(report, out, dry_run=args.dry_run)


def _replay(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    """Wire the replay: stored readings and reports in, throw-away alarm state (nothing is written)."""
    from monitoring.evaluation.config import load_defaults
    from monitoring.rules import replay
    from monitoring.rules.store_inputs import StoreRuleInputs
    from monitoring.storage.rules_memory import MemoryRuleState

    reader = None if store.sample_reader is None else store.sample_reader(cache=False)
    inputs = StoreRuleInputs(store, MemoryRuleState(), args.county_id, reader=reader)
    return replay.run_cli(args, inputs, inputs.config(load_defaults()), store.reports, store.emergency, out)


def _emergency(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    """Wire the emergency commands: registry for names and codes, the rules database for alerts and measures."""
    from monitoring.clock import SystemClock
    from monitoring.emergency import cli as emergency_cli

    return emergency_cli.run_cli(args, store.registry, store.emergency, out, SystemClock())


def _users(args: argparse.Namespace, store: Store, out: TextIO) -> int:
    from monitoring.accounts import cli as users_cli
    from monitoring.clock import SystemClock

    return users_cli.run_cli(args, store, out, SystemClock())


def _template(args: argparse.Namespace, out: TextIO) -> int:
    try:
        check_creatable_dir(args.out)
    except InvalidInputError as exc:
        print(f"错误：{exc}", file=out)
        return 2
    for path in write_templates(args.out):
        print(path, file=out)
    return 0


def _check_inputs(args: argparse.Namespace) -> None:
    """The files an import reads exist, before the database is opened (and maybe created)."""
    if args.area != "registry":
        return
    named = [args.csv, args.xlsx, args.enterprises, args.facilities, args.points, args.lines, args.terminals]
    for path in (p for p in named if p is not None):
        if not path.is_file():
            raise InvalidInputError(f"文件不存在: {path}")


def _open(args: argparse.Namespace, rollback: Rollback) -> Store:
    """Only an import may create the database (a dry run of one validates against an empty in-memory store); a
    query needs an existing one. Whatever is created here is the rollback's to take back."""
    from monitoring.storage.sqlite import open_store

    importing = args.area == "registry"
    creating = importing or (args.area, getattr(args, "action", None)) == ("users", "add")  # the first admin
    if importing and args.dry_run and not args.db.exists():
        return open_store(":memory:")
    if not args.db.exists():  # never track an existing database's -wal/-shm: another process may own them
        for path in database_files(args.db):
            rollback.track(path)
    if creating and args.db == DEFAULT_DB:
        DEFAULT_DB.parent.mkdir(exist_ok=True)  # the documented default; an explicit --db needs its directory
    check_database(args.db, must_exist=not creating)
    return open_store(args.db)


def run(argv: Sequence[str], out: TextIO) -> int:
    """Parse `argv` and execute; returns the process exit code: bad input 2 (one line, nothing created), other
    domain errors 1. A failed import takes back the database file it created."""
    args = _parser().parse_args(list(argv))
    if args.area == "registry" and args.action == "template":
        return _template(args, out)
    if args.area == "emergency" and args.action == "measures" and args.verb == "template":
        from monitoring.emergency import cli as emergency_cli

        return emergency_cli.write_template(args, out)
    from monitoring.cli_views import VIEWS  # the read-only commands

    with Rollback() as rollback:
        try:
            _check_inputs(args)
            store = _open(args, rollback)
        except MonitoringError as exc:
            print(f"错误：{exc}", file=out)
            return 2 if isinstance(exc, InvalidInputError) else 1
        try:
            if args.area == "registry":
                code = _registry_import(args, store, out)
            elif args.area == "replay":
                code = _replay(args, store, out)
            elif args.area == "emergency":
                code = _emergency(args, store, out)
            elif args.area == "users":
                code = _users(args, store, out)
            elif args.area == "maintenance":
                from monitoring.clock import SystemClock
                from monitoring.maintenance import cli as maintenance_cli

                code = maintenance_cli.run_cli(args, store, out, SystemClock())
            else:
                code = VIEWS[(args.area, args.action)](args, store, out)
        except MonitoringError as exc:
            print(f"错误：{exc}", file=out)
            code = 2 if isinstance(exc, InvalidInputError) else 1
        finally:
            store.close()
        if code == 0:
            rollback.keep()
        return code


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv, sys.stdout)
    except BrokenPipeError:  # `… | head` closed our stdout; not an error
        return 0
