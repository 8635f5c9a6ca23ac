"""Entry point and composition root: `python -m iot_ingest serve [options]`.

Builds Settings (file < env < options), the frame sink, and the listener's ports. The default wiring is the
stand-alone one: the terminal directory from `--terminals-file` (or empty: every MN is `unregistered`), in-memory
command queue and session leases, events as JSON log lines. This module is the only one in iot_ingest allowed to
import `monitoring`: a deployment that has the registry and command store wires them in `build_ports` below.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from iot_ingest.config import ENV_PREFIX, FIELDS, ConfigError, Settings, load_settings
from iot_ingest.logs import configure_logging
from iot_ingest.memory import MemoryCommandQueue, MemoryDirectory, MemoryEvents, MemoryLeases
from iot_ingest.ports import CommandQueue, EventSink, SessionLeases, TerminalDirectory
from iot_ingest.preflight import check_startup
from iot_ingest.server import Server
from iot_ingest.sinks import open_sink


@dataclass
class Ports:
    directory: TerminalDirectory
    commands: CommandQueue
    leases: SessionLeases
    events: EventSink


def build_ports(settings: Settings) -> Ports:
    """The stand-alone wiring (see the module docstring); replace these with monitoring's adapters when wired."""
    directory = MemoryDirectory.from_file(settings.terminals_file) if settings.terminals_file else MemoryDirectory()
    # Events are logged as JSON lines (MemoryEvents logs each one); only the last few are kept in memory.
    return Ports(directory, MemoryCommandQueue(), MemoryLeases(), MemoryEvents(keep=100))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m iot_ingest",
        description="HJ 212 TCP listener: acknowledges frames only after the sink made them durable.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve",
        help="run the listener",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the listener. Every option can also come from a TOML config file (--config, keys as "
        f"below with underscores, optionally under [iot_ingest]) or an environment variable {ENV_PREFIX}<NAME> "
        "(e.g. IOT_INGEST_MAX_CONNECTIONS). Precedence: option > environment > file > default. "
        "Durations are in seconds, sizes in bytes.",
    )
    serve.add_argument("--config", metavar="FILE", help=f"TOML config file (env {ENV_PREFIX}CONFIG)")
    for name, f in FIELDS.items():
        flag = "--" + name.replace("_", "-")
        env = ENV_PREFIX + name.upper()
        text = f"{f.metadata['help']} [env {env}; default {f.default!r}]"
        if f.type == "bool":
            serve.add_argument(flag, dest=name, default=None, action=argparse.BooleanOptionalAction, help=text)
        else:
            serve.add_argument(flag, dest=name, default=None, metavar=f.type.upper(), help=text)
    return parser


async def _serve(settings: Settings) -> None:
    ports = build_ports(settings)
    server = Server(
        settings,
        sink=open_sink(settings.sink),
        directory=ports.directory,
        commands=ports.commands,
        leases=ports.leases,
        events=ports.events,
    )
    await server.serve_forever()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    options: dict[str, Any] = {k: v for k, v in vars(args).items() if k in FIELDS}
    try:
        settings = load_settings(cli=options, config_file=args.config)
        configure_logging(settings.log_level)
        if settings.terminals_file:
            MemoryDirectory.from_file(settings.terminals_file)  # fail fast on a malformed file
        check_startup(settings)
    except (ConfigError, ValueError) as exc:
        print(f"iot_ingest: {exc}", file=sys.stderr)
        return 2
    run = asyncio.run
    if settings.use_uvloop:
        try:
            import uvloop

            run = uvloop.run
        except ImportError:  # pragma: no cover - uvloop is pinned, but optional on other platforms
            pass
    run(_serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
