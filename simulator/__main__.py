"""Command line: `python -m simulator run|manifest|scenarios` (see --help of each)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from datetime import datetime
from pathlib import Path

from simulator.clock import china_now
from simulator.fleet import (
    TOWNS,
    CsvEnterprise,
    FleetError,
    build_fleet,
    default_mix,
    parse_mix,
    read_enterprises,
)
from simulator.manifest import manifest
from simulator.profile import DEFAULT_PROFILE, ProfileError, load_profile
from simulator.runner import RunOptions, build, run
from simulator.scenario import ScenarioError, bundled_names, load_scenario
from simulator.terminal import TerminalSettings

DEFAULT_CSV = str(Path(__file__).resolve().parent.parent / "data" / "registry" / "rugao_2022_enterprises.csv")
EPILOG = """\
examples:
  python -m simulator scenarios
  python -m simulator run --csv data/registry/rugao_2022_enterprises.csv --accel 60 --manifest fleet.json
  python -m simulator run --synthetic 3 --scenario power_loss --platform 127.0.0.1:9000 --platform 127.0.0.1:9001
  python -m simulator manifest --csv data/registry/rugao_2022_enterprises.csv --out fleet.json

Time: --accel A makes simulated time (DataTime, QN, SOE times) run A times faster than the wall clock from
--start (default: now in China, UTC+8). Scenario windows are minutes of simulated time after --start.
Protocol timeouts (--overtime) stay in wall seconds.

Outputs: --manifest (enterprises, points, terminal MNs/passwords/channels, scenarios, expected alarms: import it
into the platform's registry), --stats (counters as JSON, every second), --ack-log (one JSON line per packet a
platform acknowledged: mn, cn, data_time, pno, qn, platform). Every option: python -m simulator run --help.
Frame formats, factor codes, commands and scenarios: docs/simulator.md.
"""


def _platform(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def _start(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected an ISO time like 2026-11-30T08:00:00, got {text!r}") from exc


def _fleet_args(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--csv",
        type=Path,
        help=f"enterprise list (columns seq,town,enterprise_name,install_category,"
        f"enforcement_branch), e.g. {DEFAULT_CSV}",
    )
    src.add_argument("--synthetic", type=int, metavar="N", help="N generated enterprises instead of a CSV")
    p.add_argument("--limit", type=int, help="only the first N enterprises of the CSV")
    p.add_argument("--seed", type=int, default=1, help="seed of every random choice (default 1)")
    mix = p.add_mutually_exclusive_group()
    mix.add_argument("--scenario", help="give every enterprise this scenario (name or path of a JSON file)")
    mix.add_argument(
        "--mix",
        help="scenario weights, e.g. normal=0.7,power_loss=0.1 (default: 55%% normal, the "
        "rest spread evenly; each weighted scenario appears at least once when the fleet is big enough)",
    )
    p.add_argument(
        "--start", type=_start, default=None, help="simulated start time, terminal-local (default: now in China, UTC+8)"
    )


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Simulated HJ 212 power terminals (工况用电监测终端) for demos, tests and load.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("scenarios", help="list the bundled scenarios: " + ", ".join(bundled_names()))
    m = sub.add_parser("manifest", help="write the fleet manifest (registry import) and exit")
    _fleet_args(m)
    m.add_argument("--out", type=Path, required=True, help="manifest JSON path")
    r = sub.add_parser(
        "run",
        help="run the fleet against one to three platforms",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _fleet_args(r)
    r.add_argument(
        "--platform",
        type=_platform,
        action="append",
        metavar="HOST:PORT",
        help="platform listener; repeat for up to three independent platforms (default 127.0.0.1:9000)",
    )
    r.add_argument("--accel", type=float, default=1.0, help="time-acceleration factor (default 1)")
    r.add_argument("--duration", type=float, help="stop after this many wall seconds")
    r.add_argument("--sim-minutes", type=float, help="stop after this many simulated minutes")
    r.add_argument("--version", choices=("2017", "2025"), default="2017", help="HJ 212 dialect (Flag bits)")
    r.add_argument("--st", help="system code ST (default 31 for 2017, 44 for 2025; 51 is also common for 2017)")
    r.add_argument("--rtd-interval", type=int, default=30, help="real-time (2011) interval, simulated seconds")
    r.add_argument("--min-interval", type=int, default=1, help="minute-data (2051) interval, minutes")
    r.add_argument("--sample-seconds", type=int, default=10, help="meter sampling interval (divides 60)")
    r.add_argument(
        "--no-realtime",
        action="store_true",
        help="no real-time (2011) uploads until a platform asks with CN 2011 (lighter load)",
    )
    r.add_argument("--history-minutes", type=int, default=240, help="minute data kept for history pulls")
    r.add_argument("--no-hour", action="store_true", help="do not upload hour data (2061)")
    r.add_argument("--no-day", action="store_true", help="do not upload day data (2031/2041)")
    r.add_argument("--overtime", type=float, default=10.0, help="seconds to wait for a 9014 before resending")
    r.add_argument("--recount", type=int, default=3, help="resends before the link is reopened")
    r.add_argument("--buffer", type=int, default=20000, help="store-and-forward capacity per link (>= 4000)")
    r.add_argument("--connect-rate", type=float, default=500.0, help="terminals started per wall second")
    r.add_argument("--reconnect", type=float, default=2.0, help="wall seconds between reconnect attempts")
    r.add_argument("--time-request", action="store_true", help="send 1013 (time calibration request) on connect")
    r.add_argument("--manifest", type=Path, help="also write the fleet manifest here")
    r.add_argument("--ack-log", type=Path, help="append one JSON line per acknowledged packet")
    r.add_argument("--stats", type=Path, help="write the counters as JSON every second and at exit")
    r.add_argument("--profile", type=Path, default=DEFAULT_PROFILE, help="factor-code profile JSON")
    r.add_argument("--quiet", action="store_true", help="no progress display")
    return ap


def _rows(args: argparse.Namespace) -> list[CsvEnterprise]:
    if args.limit is not None and args.limit < 1:
        raise FleetError(f"--limit must be at least 1, got {args.limit}")  # 0 used to mean "the whole list"
    if args.synthetic is not None:
        if not 1 <= args.synthetic <= 100000:
            raise FleetError("--synthetic must be between 1 and 100000")
        towns = sorted(TOWNS)
        return [
            CsvEnterprise(i, towns[i % len(towns)], f"模拟企业{i:03d}", "大气管控企业", "执法一局")
            for i in range(1, args.synthetic + 1)
        ]
    rows = read_enterprises(args.csv or DEFAULT_CSV)
    return rows[: args.limit] if args.limit else rows


def _mix(args: argparse.Namespace) -> dict[str, float]:
    if args.scenario:
        load_scenario(args.scenario)  # validate early
        return {args.scenario: 1.0}
    return parse_mix(args.mix) if args.mix else default_mix()


def _check_outputs(args: argparse.Namespace) -> None:
    """The files this command writes (some only once the run is under way) can be written where they are named:
    checked before anything is built or created, so a typo is one line instead of a traceback mid-run."""
    named = {"--out": getattr(args, "out", None)}
    named |= {f"--{n.replace('_', '-')}": getattr(args, n, None) for n in ("manifest", "stats", "ack_log")}
    for option, path in named.items():
        if path is None:
            continue
        if path.is_dir():
            raise ValueError(f"{option} {path}: is a directory")
        if not path.parent.is_dir():
            raise ValueError(f"{option} {path}: directory {path.parent} does not exist")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "scenarios":
        for name in bundled_names():
            sc = load_scenario(name)
            print(f"{name:34s} {sc.title_zh}  — {sc.description}")
        return 0
    try:
        _check_outputs(args)
        start = args.start or china_now()
        fleet = build_fleet(_rows(args), _mix(args), args.seed)
        if args.command == "manifest":
            doc = manifest(fleet, seed=args.seed, start=start, settings={})
            args.out.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
            print(f"wrote {args.out}: {len(fleet)} enterprises, {sum(len(e.terminals) for e in fleet)} terminals")
            return 0
        settings = TerminalSettings(
            rtd_interval_s=args.rtd_interval,
            min_interval_min=args.min_interval,
            sample_s=args.sample_seconds,
            overtime_s=args.overtime,
            recount=args.recount,
            st=args.st or ("44" if args.version == "2025" else "31"),
            version=args.version,
            hour_data=not args.no_hour,
            day_data=not args.no_day,
        )
        settings.validate()
        profile = load_profile(args.profile)
        ack_stream = open(args.ack_log, "a", encoding="utf-8") if args.ack_log else None  # noqa: SIM115
        opts = RunOptions(
            platforms=args.platform or [("127.0.0.1", 9000)],
            settings=settings,
            seed=args.seed,
            accel=args.accel,
            start=start,
            duration_s=args.duration,
            sim_minutes=args.sim_minutes,
            buffer=args.buffer,
            connect_rate=args.connect_rate,
            reconnect_s=args.reconnect,
            time_request=args.time_request,
            realtime=not args.no_realtime,
            progress=not args.quiet,
            stats_path=args.stats,
            ack_log=ack_stream,
        )
        running = build(fleet, profile, opts)
    except (FleetError, ScenarioError, ProfileError, ValueError, OSError) as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 2
    if args.manifest:
        doc = manifest(
            fleet,
            seed=args.seed,
            start=start,
            settings={
                "version": settings.version,
                "st": settings.st,
                "rtd_interval_s": settings.rtd_interval_s,
                "min_interval_min": settings.min_interval_min,
                "accel": args.accel,
                "profile": profile.name,
                "platforms": [f"{h}:{p}" for h, p in opts.platforms],
            },
        )
        args.manifest.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    try:
        asyncio.run(_main(running, opts))
    finally:
        if ack_stream is not None:
            ack_stream.close()
    return 0


async def _main(running: object, opts: RunOptions) -> None:
    from simulator.runner import Fleet

    assert isinstance(running, Fleet)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await run(running, opts, stop)


if __name__ == "__main__":
    sys.exit(main())
