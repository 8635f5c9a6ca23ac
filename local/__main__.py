"""`python -m local`: run the platform on one machine, import a simulated fleet, list alarms and readings, demo."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import get_args

from local.config import ENV_PREFIX, FIELDS, ConfigError, check_data_dir, check_ports, load
from local.workers import DB_FILE, QUEUE_FILE
from monitoring.errors import InvalidInputError, MonitoringError

DEFAULT_CSV = Path(__file__).resolve().parent.parent / "data" / "registry" / "rugao_2022_enterprises.csv"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local",
        description="工况用电监控平台（单机部署）: listener, durable frame queue, decode and rules in one process, "
        "sqlite store in a data directory.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="run the platform until Ctrl-C / SIGTERM",
        description=f"Run the platform. Settings: option > environment {ENV_PREFIX}<NAME> > config file "
        "([local] table; an [iot_ingest] table passes listener settings) > default.",
    )
    run.add_argument("--config", metavar="FILE", help=f"TOML config file (env {ENV_PREFIX}CONFIG)")
    for name, f in FIELDS.items():
        env = ENV_PREFIX + name.upper()
        run.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            default=None,
            metavar="|".join(map(str, get_args(f.annotation)))  # a choice (store): its values
            or getattr(f.annotation, "__name__", "value").upper(),
            help=f"{f.description} [env {env}; default {f.default!r}]",
        )

    imp = sub.add_parser("import-fleet", help="import the enterprise list and a simulator fleet manifest")
    imp.add_argument("--data-dir", required=True)
    imp.add_argument("--manifest", required=True, help="fleet manifest JSON (python -m simulator manifest)")
    imp.add_argument("--csv", default=str(DEFAULT_CSV), help="enterprise list CSV (default: the Rugao 2022 list)")
    imp.add_argument("--county-id", default="rugao")
    imp.add_argument("--minute-interval", type=int, help="the fleet's minute-data interval (simulator --min-interval)")
    imp.add_argument(
        "--standard-password-cost",
        action="store_true",
        help="hash terminal passwords at monitoring's full scrypt cost (slow to verify at connect)",
    )

    # Read commands live in `python -m monitoring`; these two pass it the data directory's database, fleet ids
    # and platform time (docs/monitoring.md "Command line").
    alarms = sub.add_parser("alarms", help="list alarms (open ones unless --all): python -m monitoring alarms list")
    alarms.add_argument("--data-dir", required=True)
    alarms.add_argument("--enterprise", help="enterprise id (rugao-ent-…) or its list number in the fleet (RG012)")
    alarms.add_argument("--all", action="store_true", help="closed and retracted alarms too")
    alarms.add_argument("--json", action="store_true")
    alarms.add_argument("--limit", type=int, default=200)

    readings = sub.add_parser("readings", help="an enterprise's recent minute readings: … readings list")
    readings.add_argument("--data-dir", required=True)
    readings.add_argument("--enterprise", required=True, help="enterprise id or fleet id (RG012)")
    readings.add_argument("--minutes", type=int, default=15, help="how far back, in platform minutes")
    readings.add_argument("--json", action="store_true")

    status = sub.add_parser("status", help="the running platform's counters (DATA_DIR/status.json)")
    status.add_argument("--data-dir", required=True)

    from local.dead_letters import add_parser as add_dead_letters

    add_dead_letters(sub)

    demo = sub.add_parser("demo", help="run the platform and the simulated Rugao fleet with a live summary")
    from local.demo.runner import add_arguments

    add_arguments(demo)
    return parser


def _check_stores(data: Path) -> None:
    """The data directory's store and queue, where they exist already, are sqlite files (else sqlite fails late)."""
    from monitoring.storage.sqlite.preflight import check_database

    if data.is_dir():
        for name in (DB_FILE, QUEUE_FILE):
            check_database(data / name, must_exist=False)


def _resolve_enterprise(data_dir: str, ident: str) -> str:
    """A fleet id (RG012) through the manifest kept in the data directory, else the id itself."""
    manifest = Path(data_dir) / "fleet.json"
    if not ident.startswith("rugao-") and manifest.exists():
        from local.demo.fleet import enterprise_id_for, load_manifest

        for entry in load_manifest(manifest)["enterprises"]:
            if entry["id"] == ident:
                return enterprise_id_for("rugao", entry)
    return ident


def _platform_now(data_dir: str) -> datetime:
    from local.clock import PlatformClock, load_timeline

    return PlatformClock(load_timeline(Path(data_dir), accel=1.0, sim_start=None)).now()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        try:
            settings, ingest = load({k: v for k, v in vars(args).items() if k in FIELDS}, config_file=args.config)
            check_ports(settings, ingest)
            _check_stores(settings.path)
        except (ConfigError, InvalidInputError) as exc:
            print(f"local: {exc}", file=sys.stderr)
            return 2
        from local.app import run
        from local.logs import configure_logging

        configure_logging(settings.log_level)
        try:
            return run(settings, ingest)
        except ValueError as exc:  # the data directory's clock file (settings were checked above)
            print(f"local: {exc}", file=sys.stderr)
            return 2
    if args.command == "dead-letters":
        from local.dead_letters import main as dead_letters_main

        return dead_letters_main(args)
    if args.command == "demo":
        from local.demo.inputs import check_demo_args
        from local.demo.runner import main as demo_main

        try:
            check_demo_args(args)
        except ConfigError as exc:
            print(f"local: {exc}", file=sys.stderr)
            return 2
        return demo_main(args)
    if args.command == "import-fleet":
        return _guarded(_import_fleet, args)
    if args.command == "status":
        path = Path(args.data_dir) / "status.json"
        if not Path(args.data_dir).is_dir():  # a mistyped directory is bad input; a platform not running is not
            print(f"local: data directory {args.data_dir} does not exist", file=sys.stderr)
            return 2
        if not path.exists():
            print(f"local: {path} not found (is the platform running?)", file=sys.stderr)
            return 1
        print(path.read_text(encoding="utf-8"))
        return 0
    return _guarded(_query, args)


def _guarded(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Bad input is one line and exit 2; the store failing (locked, disk) one line and exit 1."""
    try:
        return command(args)
    except (InvalidInputError, ConfigError) as exc:
        print(f"local: {exc}", file=sys.stderr)
        return 2
    except MonitoringError as exc:
        print(f"local: {exc}", file=sys.stderr)
        return 1


def _import_fleet(args: argparse.Namespace) -> int:
    """Everything named on the command line is checked before the data directory is made; a failed import
    takes back the files (and directories) it created."""
    from local.demo.fleet import import_fleet, load_manifest
    from monitoring.registry.terminal import SCRYPT_N
    from monitoring.storage.sqlite import open_store
    from monitoring.storage.sqlite.preflight import Rollback, check_database, database_files

    data = Path(args.data_dir)
    check_data_dir(data)
    manifest = load_manifest(args.manifest)
    if not Path(args.csv).is_file():
        raise InvalidInputError(f"enterprise list {args.csv}: no such file")
    if args.minute_interval is not None and args.minute_interval < 1:
        raise InvalidInputError(f"--minute-interval must be at least 1, got {args.minute_interval}")
    if not args.county_id.strip():
        raise InvalidInputError("--county-id must not be empty")
    db_path = data / DB_FILE
    if data.is_dir():
        check_database(db_path, must_exist=False)
    with Rollback(data, *database_files(db_path), data / "fleet.json") as rollback:
        data.mkdir(parents=True, exist_ok=True)
        store = open_store(db_path)
        try:
            result = import_fleet(
                store,
                manifest,
                county_id=args.county_id,
                minute_interval=args.minute_interval,
                enterprise_csv=Path(args.csv),
                **({"scrypt_n": SCRYPT_N} if args.standard_password_cost else {}),
            )
        finally:
            store.close()
        if Path(args.manifest).resolve() != (data / "fleet.json").resolve():
            (data / "fleet.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        rollback.keep()
    print(
        f"导入完成: 企业 {result.enterprises}, 点位 {result.points}, 治理线 {result.associations}, "
        f"终端 {result.terminals} (未登记 {result.unregistered_skipped}), 应急管控 {result.orders}"
    )
    if result.campaign:
        print(f"安装活动: {', '.join(f'{k} {v}' for k, v in sorted(result.campaign.items()))}")
    if result.missing:
        print(f"名单中没有的企业 {len(result.missing)} 家: {', '.join(result.missing[:5])}", file=sys.stderr)
        return 1
    return 0


def _query(args: argparse.Namespace) -> int:
    """`alarms` and `readings` are `python -m monitoring alarms|readings list` on the data directory's database,
    with the fleet's ids (RG012) and, for readings, the platform's (maybe simulated) time as now."""
    from monitoring.cli import run
    from monitoring.storage.sqlite.preflight import check_database

    for option in ("limit", "minutes"):
        if getattr(args, option, 1) < 1:
            raise InvalidInputError(f"--{option} must be at least 1, got {getattr(args, option)}")
    path = Path(args.data_dir) / DB_FILE
    if not path.exists():  # a query never creates the database (sqlite would, on open)
        raise InvalidInputError(f"no database in {args.data_dir} (start the platform or import a fleet first)")
    check_database(path, must_exist=True)
    argv = ["--db", str(path), args.command, "list"] + (["--json"] if args.json else [])
    if args.enterprise:
        argv += ["--enterprise", _resolve_enterprise(args.data_dir, args.enterprise)]
    if args.command == "alarms":
        argv += ["--limit", str(args.limit)] + (["--all"] if args.all else [])
    else:
        argv += ["--minutes", str(args.minutes), "--now", _platform_now(args.data_dir).isoformat()]
    return run(argv, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
