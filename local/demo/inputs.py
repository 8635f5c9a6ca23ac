"""`python -m local demo`'s options, checked before the demo wipes or creates anything (issue 11.6).

The demo deletes its data directory at start (unless --keep): only a directory that a demo or an import made (it
holds fleet.json or the database) or an empty one is wiped, never an operator's directory named by mistake.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time
from pathlib import Path

from iot_ingest.config import ConfigError as ListenerConfigError
from iot_ingest.preflight import check_listen
from local.config import ConfigError, check_data_dir
from local.workers import DB_FILE
from simulator.fleet import FleetError, parse_mix

# What a previous demo (or import-fleet) leaves in its data directory.
DEMO_MARKERS = ("fleet.json", DB_FILE)
# The day a time-of-day --start falls on: a Monday, so every shift pattern works (weekends differ).
DEMO_DAY = date(2026, 11, 30)


def demo_start(text: str) -> datetime:
    """--start as a naive China local time: HH:MM[:SS] on DEMO_DAY (e.g. 11:30 to cross the lunch break), or an
    ISO 8601 local time without offset. ValueError says which."""
    time_of_day = ":" in text and not any(c in text for c in "T -")
    try:
        start = datetime.combine(DEMO_DAY, time.fromisoformat(text)) if time_of_day else datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--start: not an ISO 8601 time or HH:MM: {text!r}") from None
    if start.tzinfo is not None:
        raise ValueError(f"--start is China local time, without an offset: got {text!r}")
    return start


def check_demo_args(args: argparse.Namespace) -> None:
    """ConfigError naming the first option the demo could not use; --start is rewritten in full ISO form."""
    data = Path(args.data_dir)
    check_data_dir(data)
    if data.is_dir() and not args.keep and any(data.iterdir()):
        if not any((data / name).exists() for name in DEMO_MARKERS):
            raise ConfigError(
                f"--data-dir {data} is not a demo's data directory (no {' or '.join(DEMO_MARKERS)}) and the demo "
                "wipes it at start: name another directory, or add --keep"
            )
    if not 0 < args.accel <= 3600:
        raise ConfigError(f"--accel must be within (0, 3600], got {args.accel:g}")
    try:
        # the simulator, the clock anchor and --sim-minutes all read the full ISO form
        args.start = demo_start(args.start).isoformat()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    for option, value, least in (("--limit", args.limit, 1), ("--min-interval", args.min_interval, 1)):
        if value is not None and value < least:
            raise ConfigError(f"{option} must be at least {least}, got {value}")
    if args.every <= 0 or (args.check is not None and args.check <= 0) or args.sim_minutes < 0:
        raise ConfigError("--every and --check must be positive, --sim-minutes not negative")
    if args.mix:
        try:
            parse_mix(args.mix)
        except FleetError as exc:
            raise ConfigError(f"--mix: {exc}") from None
    if not 0 < args.port <= 65535:
        raise ConfigError(f"--port must be within 1..65535, got {args.port}")
    if not 0 < args.api_port <= 65535 or args.api_port == args.port:
        raise ConfigError(f"--api-port must be within 1..65535 and differ from --port, got {args.api_port}")
    try:
        check_listen("127.0.0.1", args.port, "--port")
        check_listen("127.0.0.1", args.api_port, "--api-port")
    except ListenerConfigError as exc:
        raise ConfigError(str(exc)) from None
