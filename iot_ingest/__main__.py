"""Entry point and composition root: `python -m iot_ingest serve [options]`.

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iot_ingest.config import ENV_PREFIX, FIELDS, ConfigError, Settings, load_settings
from iot_ingest.logs import configure_logging
from iot_ingest.memory import MemoryCommandQueue, MemoryDirectory, MemoryEvents, MemoryLeases
from iot_ingest.ports import CommandQueue, EventSink, FrameSink, SessionLeases, TerminalDirectory
from iot_ingest.preflight import check_startup
from iot_ingest.server import Server
from iot_ingest.sinks import open_sink

if TYPE_CHECKING:
    from iot_ingest.adapters.put_notes import PutNoteWriter

SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass
class Ports:
    directory: TerminalDirectory
    commands: CommandQueue
    leases: SessionLeases
    events: EventSink
    close: Callable[[], None] = lambda: None
    put_notes: PutNoteWriter | None = None  # AWS: what the Kinesis sink put, for the rules (decode_watermark.py)


def check_db(path: str) -> None:
    """Refuse a database that is not there: a mistyped path must not make every terminal `unregistered`."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"db: no such database: {path}")
    with file.open("rb") as f:
        if f.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise ConfigError(f"db: not an sqlite database: {path}")


def build_ports(settings: Settings) -> Ports:
    """The listener's ports: the platform's store with `db`, else the stand-alone wiring (module docstring)."""
    if settings.store_backend == "dynamodb":
        return _dynamodb_ports(settings)
    if settings.db:
        return _store_ports(settings.db)
    directory = MemoryDirectory.from_file(settings.terminals_file) if settings.terminals_file else MemoryDirectory()
    # Events are logged as JSON lines (MemoryEvents logs each one); only the last few are kept in memory.
    return Ports(directory, MemoryCommandQueue(), MemoryLeases(), MemoryEvents(keep=100))


def _store_ports(path: str) -> Ports:
    # Imported here: the listener image (iot_ingest/Dockerfile) carries hj212 and iot_ingest only.
    from iot_ingest.adapters.store import RegistryDirectory, StoreCommandQueue, StoreEventSink
    from monitoring.clock import SystemClock
    from monitoring.storage.sqlite import open_store

    clock = SystemClock()
    store = open_store(path, clock=clock)
    directory = RegistryDirectory(store)
    commands = StoreCommandQueue(store, clock, on_password_change=directory.refresh)
    return Ports(directory, commands, MemoryLeases(), StoreEventSink(store), close=store.close)


def _dynamodb_ports(settings: Settings) -> Ports:
    # Several tasks share the store: the directory keeps a local copy, leases are items with a TTL.
    from iot_ingest.adapters.directory import CachedRegistryDirectory
    from iot_ingest.adapters.leases import DynamoDBLeases
    from iot_ingest.adapters.put_notes import PutNoteWriter
    from iot_ingest.adapters.store import StoreCommandQueue, StoreEventSink
    from iot_ingest.put_log import PutLog
    from monitoring.clock import SystemClock
    from monitoring.storage.dynamodb import schema
    from monitoring.storage.dynamodb.adapter import DynamoDBBackend
    from monitoring.storage.dynamodb.leases import DynamoDBSessionLeases
    from monitoring.storage.dynamodb.models import Connection
    from monitoring.storage.dynamodb.tables import table_name

    clock = SystemClock()
    connection = Connection(region=settings.dynamodb_region or None, host=settings.dynamodb_endpoint or None)
    backend = DynamoDBBackend(connection, settings.dynamodb_table_prefix)
    store = backend.store(clock=clock, liveness=False)  # terminals as items: passwords, not last-frame times
    directory = CachedRegistryDirectory(
        store,
        counties=settings.county_ids,
        refresh_s=settings.directory_refresh,
        negative_s=settings.directory_negative_ttl,
        lookup_rate=settings.directory_lookup_rate,
    )
    leases = DynamoDBSessionLeases(backend.client, table_name(settings.dynamodb_table_prefix, schema.STATE))
    commands = StoreCommandQueue(store, clock, on_password_change=directory.refresh)
    notes = None
    if settings.sink.startswith("kinesis:"):
        task = f"{settings.listener_name}-{uuid.uuid4().hex[:8]}"  # a restarted task is another task
        notes = PutNoteWriter(store.rule_state, PutLog(), task=task, stream_groups=settings.stream_groups)
    return Ports(directory, commands, DynamoDBLeases(leases), StoreEventSink(store), close=store.close, put_notes=notes)


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
        text = f"{f.description} [env {env}; default {f.default!r}]"
        if f.annotation is bool:
            serve.add_argument(flag, dest=name, default=None, action=argparse.BooleanOptionalAction, help=text)
        else:
            kind = getattr(f.annotation, "__name__", "value")
            serve.add_argument(flag, dest=name, default=None, metavar=kind.upper(), help=text)
    return parser


def build_sink(settings: Settings, ports: Ports) -> FrameSink:
    """The frame sink, telling the task's put notes what it put (AWS)."""
    put_log = ports.put_notes.log if ports.put_notes is not None else None
    return open_sink(settings.sink, stream_groups=settings.stream_groups, put_log=put_log)


async def _serve(settings: Settings) -> None:
    ports = build_ports(settings)
    server = Server(
        settings,
        sink=build_sink(settings, ports),
        directory=ports.directory,
        commands=ports.commands,
        leases=ports.leases,
        events=ports.events,
    )
    try:
        if ports.put_notes is not None:
            await ports.put_notes.start()  # before the first connection: no record is put unnoted
        await server.serve_forever()
    finally:
        if ports.put_notes is not None:
            await ports.put_notes.stop()
        ports.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    options: dict[str, Any] = {k: v for k, v in vars(args).items() if k in FIELDS}
    try:
        settings = load_settings(cli=options, config_file=args.config)
        configure_logging(settings.log_level)
        if sum(map(bool, (settings.db, settings.terminals_file, settings.store_backend))) > 1:
            raise ConfigError("give one of db, terminals_file and store_backend")
        if settings.db:
            check_db(settings.db)
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
