"""Every knob of the listener in one frozen Settings object, with its default, help text and validation.

Precedence, lowest first: defaults < config file (TOML, `[iot_ingest]` table or top level) < environment
variables (`IOT_INGEST_<FIELD>`) < command-line options. pydantic-settings converts and validates the values
(iot_ingest.settings_layers); environment variables are read only in `load_settings`.
"""

from __future__ import annotations

import os
import socket
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from hj212.china_time import CHINA_UTC_OFFSET_MINUTES
from iot_ingest.settings_layers import ExplicitSettings, Layer, environment, load_layers, options

ENV_PREFIX = "IOT_INGEST_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """A setting is missing, malformed or out of range (message names the setting and the source)."""


def _opt(default: Any, help: str, *, minimum: float | None = None, maximum: float | None = None) -> Any:
    return Field(default, description=help, ge=minimum, le=maximum)


class Settings(ExplicitSettings):
    """The listener's configuration. Durations are seconds."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False
    )

    host: str = _opt("127.0.0.1", "address to listen on for terminals (0.0.0.0 in a container)")
    port: int = _opt(9000, "TCP port for HJ 212 terminals", minimum=0)
    sink: str = _opt("jsonl:var/frames.jsonl", "where frames go: jsonl:PATH or kinesis:STREAM")
    stream_groups: int = _opt(64, "kinesis: partition keys g0…g<N-1>, an MN's by its hash; decode notes its progress "
                              "per group (docs/iot_ingest.md)", minimum=1, maximum=100_000)  # fmt: skip
    listener_id: str = _opt("", "this listener's id in frame records and leases (default: host name)")
    health_host: str = _opt("127.0.0.1", "address of the health/metrics HTTP endpoint")
    health_port: int = _opt(8080, "port of the health/metrics endpoint (GET /health, /metrics); 0 = off", minimum=0)
    terminals_file: str = _opt("", "JSON {MN: {pw, modbus_crc}} for the built-in terminal directory (optional)")
    db: str = _opt("", "the platform's sqlite database: terminals authenticate against its registry, commands and "
                   "events go to it (optional; instead of terminals_file)")  # fmt: skip
    store_backend: str = _opt("", "'dynamodb': terminals authenticate against the platform's DynamoDB registry, "
                              "commands, session leases and events are in its tables (several tasks, AWS); "
                              "'' = db or terminals_file")  # fmt: skip
    dynamodb_table_prefix: str = _opt("gongkuang", "the DynamoDB store's table prefix (tables <prefix>-registry, …)")
    dynamodb_region: str = _opt("", "AWS region of the DynamoDB store ('' = the SDK's default, e.g. AWS_REGION)")
    dynamodb_endpoint: str = _opt("", "DynamoDB endpoint URL (DynamoDB Local in tests; '' = AWS)")
    counties: str = _opt("", "registry counties whose terminals the directory loads whole, comma-separated "
                         "('' = each MN looked up alone)")  # fmt: skip
    directory_refresh: float = _opt(900.0, "the directory's copy of the registry is reloaded after this", minimum=1)
    directory_negative_ttl: float = _opt(60.0, "an MN unknown to the registry is looked up again after this",
                                         minimum=1)  # fmt: skip
    directory_lookup_rate: float = _opt(50.0, "single-MN registry lookups per second, all MNs together (burst 100); "
                                        "beyond, an MN without an answer yet waits (its frames are not acked)",
                                        minimum=0.01)  # fmt: skip
    log_level: str = _opt("INFO", "DEBUG, INFO, WARNING or ERROR")
    use_uvloop: bool = _opt(True, "use uvloop when it is installed")
    # Limits against bad peers
    max_connections: int = _opt(20000, "connections beyond this are closed at once", minimum=1)
    # Per source address, but only connections that never authenticate count: 4G carriers put many terminals
    # behind one CGNAT address, and one broken terminal must not lock out its neighbours.
    conn_rate: float = _opt(10.0, "unauthenticated connections per second per source address", minimum=0.001)
    conn_burst: int = _opt(100, "burst of unauthenticated connections per source before probation", minimum=1)
    probation_timeout: float = _opt(30.0, "a connection from a source on probation must send a frame within this",
                                    minimum=0.1)  # fmt: skip
    probation_max_silent: int = _opt(200, "connections on probation per source still without a frame; beyond, the "
                                     "oldest is closed", minimum=1)  # fmt: skip
    max_buffer: int = _opt(65536, "per-connection receive buffer cap in bytes", minimum=1024)
    max_frame_length: int = _opt(9999, "largest data segment accepted (the 4-digit length allows 9999)", minimum=64)
    expected_interval: float = _opt(60.0, "the terminals' real-time upload interval", minimum=1)
    idle_intervals: float = _opt(5.0, "idle time-out as a multiple of expected_interval", minimum=1)
    slow_sender_timeout: float = _opt(30.0, "a started frame must be complete within this", minimum=0.1)
    garbage_budget: int = _opt(16384, "garbage bytes a connection may send before it is dropped", minimum=0)
    garbage_refill: float = _opt(16.0, "garbage bytes per second given back to the budget", minimum=0)
    max_unacked: int = _opt(256, "frames awaiting durability per connection before reading pauses", minimum=1)
    write_buffer_limit: int = _opt(262144, "unsent reply bytes per connection before it is dropped", minimum=1024)
    auth_failed_rate: float = _opt(0.2, "frames per second archived from a connection with a wrong PW", minimum=0)
    auth_failed_burst: int = _opt(5, "burst of such frames before reading is throttled", minimum=1)
    # Unregistered MNs: kept (an installer binds them) within budgets refilled evenly over the window
    unregistered_window: float = _opt(3600.0, "the unregistered budgets below are per this many seconds", minimum=1)
    unregistered_mn_frames: int = _opt(120, "frames kept per unregistered MN per window (a sample)", minimum=1)
    unregistered_source_frames: int = _opt(2000, "unregistered frames kept per source address per window", minimum=1)
    unregistered_source_bytes: int = _opt(2_000_000, "unregistered bytes kept per source address per window",
                                          minimum=16384)  # fmt: skip
    unregistered_total_frames: int = _opt(10000, "unregistered frames kept in total per window", minimum=1)
    unregistered_total_bytes: int = _opt(10_000_000, "unregistered bytes kept in total per window", minimum=16384)
    # Durable hand-off
    batch_max: int = _opt(500, "largest batch handed to the sink", minimum=1)
    batch_linger: float = _opt(0.002, "how long a batch waits for more frames", minimum=0)
    sink_timeout: float = _opt(10.0, "a sink call slower than this counts as failed (no acks)", minimum=0.01)
    sink_concurrency: int = _opt(1, "sink calls in flight at once", minimum=1)
    directory_timeout: float = _opt(5.0, "a terminal-directory lookup slower than this counts as failed", minimum=0.01)
    max_pending: int = _opt(50000, "frames awaiting the sink (all connections) before new ones are refused", minimum=1)
    # Time
    terminal_utc_offset: int = _opt(
        CHINA_UTC_OFFSET_MINUTES, "terminal wall-clock offset from UTC in minutes (China: 480)"
    )
    clock_skew_bound: float = _opt(60.0, "skew above this raises a clock_skew event", minimum=0)
    clock_correction: bool = _opt(True, "send 1012 (set time) to a terminal whose skew is above the bound")
    clock_correction_interval: float = _opt(3600.0, "at most one automatic 1012 per session in this", minimum=0)
    # Downlink commands
    command_poll_interval: float = _opt(2.0, "how often the command store is polled", minimum=0.05)
    command_over_time: float = _opt(10.0, "HJ 212 表1 OverTime T for downlink requests", minimum=0.01)
    command_re_count: int = _opt(3, "HJ 212 表1 ReCount N for downlink requests", minimum=0)
    lease_seconds: float = _opt(60.0, "session-ownership lease length (renewed at a third)", minimum=1)
    # Shutdown
    drain_timeout: float = _opt(20.0, "SIGTERM: time allowed to finish in-flight hand-offs", minimum=0)

    @property
    def idle_timeout(self) -> float:
        return self.expected_interval * self.idle_intervals

    @property
    def listener_name(self) -> str:
        return self.listener_id or socket.gethostname()

    @field_validator("port", "health_port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise ValueError("out of range 0-65535")
        return value

    @field_validator("sink")
    @classmethod
    def _sink(cls, value: str) -> str:
        kind, _, target = value.partition(":")
        if kind not in ("jsonl", "kinesis") or not target:
            raise ValueError("expected jsonl:PATH or kinesis:STREAM")
        return value

    @field_validator("store_backend")
    @classmethod
    def _store_backend(cls, value: str) -> str:
        if value not in ("", "dynamodb"):
            raise ValueError("expected '' or 'dynamodb'")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}")
        return value.upper()

    @property
    def county_ids(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.counties.split(",") if c.strip())

    def sink_kind(self) -> tuple[str, str]:
        """Split `sink` into (kind, target); validated in load_settings."""
        kind, _, target = self.sink.partition(":")
        return kind, target


FIELDS = Settings.model_fields


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML config file; unknown keys are an error (a typo must not pass silently)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    table = data.get("iot_ingest", data)
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: [iot_ingest] must be a table")
    unknown = sorted(set(table) - set(FIELDS))
    if unknown:
        raise ConfigError(f"config file {path}: unknown settings {', '.join(unknown)}")
    return dict(table)


def read_table(table: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The typed values of a settings table embedded in another program's config (local's `[iot_ingest]`);
    ConfigError on an unknown key or a bad value, naming `source`."""
    unknown = sorted(set(table) - set(FIELDS))
    if unknown:
        raise ConfigError(f"{source}: unknown settings {', '.join(unknown)}")
    settings = load_layers(Settings, [(lambda _: source, table)], ConfigError)
    return {name: getattr(settings, name) for name in table}


def load_settings(
    *,
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
) -> Settings:
    """Build Settings from the sources in precedence order; raise ConfigError with a clear message."""
    env = os.environ if env is None else env
    layers: list[Layer] = []
    config_file = config_file or env.get(ENV_PREFIX + "CONFIG") or None
    if config_file:
        layers.append((lambda _: f"config file {config_file}", read_config_file(config_file)))
    layers += [environment(Settings, env), options(cli or {})]
    return load_layers(Settings, layers, ConfigError)
