"""Settings of the embedded runner: defaults < TOML file (`[local]`) < environment `LOCAL_<NAME>` < options.

The listener's own settings (limits, timeouts) come from the file's `[iot_ingest]` table and the usual
`IOT_INGEST_<NAME>` variables (docs/iot_ingest.md); `host` and `port` here take precedence over both.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from iot_ingest import config as listener_config
from iot_ingest.preflight import check_listen
from iot_ingest.settings_layers import ExplicitSettings, Layer, environment, load_layers, options
from monitoring.registry.liveness import LIVENESS_SHEETS

ENV_PREFIX = "LOCAL_"
RULE_CADENCES = (1, 2, 3, 5, 10, 15)  # monitoring.rules.shards.CADENCES: minutes that divide the hour
READING_BUCKET_MINUTES = (0, 5, 10, 15, 30, 60)  # 0 = off; the rest divide the hour (reading_buckets.py: ≤ 60)
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")  # S3's general purpose bucket names
_COUNTY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")  # monitoring.registry.models check_id
_HOST_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # an archive key's shard (monitoring.archive.raw_objects)
_TABLE_PREFIX = re.compile(r"[A-Za-z0-9_.-]{1,200}")  # DynamoDB table names allow these; "-<table>" is appended


class ConfigError(ValueError):
    """A setting is missing, malformed or out of range; the message names it and its source."""


def _opt(default: Any, help: str, *, ge: float | None = None, gt: float | None = None, le: float | None = None) -> Any:
    return Field(default, description=help, ge=ge, gt=gt, le=le)


class LocalSettings(ExplicitSettings):
    """Everything `python -m local run` needs."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False
    )

    data_dir: str = _opt("", "data directory: sqlite store, frame queue, clock (required)")
    host: str = _opt("127.0.0.1", "address the HJ 212 listener binds (0.0.0.0 to accept remote terminals)")
    port: int = _opt(
        9000, "TCP port for terminals (0 = any free port, written to DATA_DIR/status.json)", ge=0, le=65535
    )
    health_port: int = _opt(0, "listener health/metrics HTTP port (0 = off)", ge=0, le=65535)
    api_host: str = _opt("127.0.0.1", "address the HTTP API binds (/api/v1; 0.0.0.0 to serve the bureau's network)")
    api_port: int = _opt(8000, "HTTP API port (0 = any free port, written to DATA_DIR/status.json)", ge=0, le=65535)
    web_dir: str = _opt("", "the built dashboard (e.g. web/dist), served at / on the API's port; empty = none")
    api_trusted_proxies: str = _opt(
        "", "reverse proxies (comma-separated IPs) whose X-Forwarded-For names the client (rate limits, audit)"
    )
    county_id: str = _opt("rugao", "the API's home county; the county the rules evaluate when `counties` is empty")
    counties: str = _opt(
        "",
        "registry counties (comma-separated ids) whose enterprises the rules evaluate and whose terminals the listener "
        "accepts with store=dynamodb (a host of a province's tier); empty = county_id alone",
    )
    host_id: str = _opt(
        "local",
        "this runner's name in its S3 archive objects' keys, one per host sharing a bucket (left at local with "
        "`counties` set: host-<first county>, as hosts' counties do not overlap)",
    )
    accel: float = _opt(
        1.0, "platform time runs this many times faster than the wall clock (demos, tests)", gt=0, le=3600
    )
    sim_start: str = _opt("", "platform time at first start with --accel (ISO 8601 with offset; default now)")
    batch_size: int = _opt(500, "frame records per decode batch (the Kinesis batch size)", ge=1, le=10_000)
    decode_workers: int = _opt(
        2, "decode worker processes, each taking a fixed share of the terminals (a Kinesis shard's worth)", ge=1, le=16
    )
    max_attempts: int = _opt(5, "times the decode handler may report a record failed before it is dead-lettered", ge=1)
    queue_reserve_mb: int = _opt(
        256,
        "the frame queue refuses new frames (unacknowledged: terminals resend) while its volume has less free space "
        "than this, so decode's and the archive's deletes still fit (MiB; 0 = off)",
        ge=0,
        le=1_048_576,
    )
    backlog_alarm_s: float = _opt(
        300.0, "operator alarm (log, status) when the oldest undecoded frame has waited this long (wall seconds)", gt=0
    )
    evaluate_every_s: int = _opt(60, "rule evaluation period, in platform seconds (EventBridge: every minute)", ge=1)
    escalate_every_s: int = _opt(300, "escalation period, in platform seconds (EventBridge: every 5 minutes)", ge=1)
    maintenance_every_s: int = _opt(
        900, "overdue inspection/repair reminders, in platform seconds (EventBridge: every 15 minutes)", ge=1
    )
    campaign_every_s: int = _opt(
        900,
        "installation campaign's run (networked, trial runs), in platform seconds (EventBridge: every 15 minutes)",
        ge=60,
    )
    evaluate_after_s: float = _opt(
        0.0, "wall seconds after start before the first evaluation (lets a fleet that starts with the platform connect)"
    )
    hang_after_s: float = _opt(
        30.0, "restart a worker showing no progress this long (wall s: silent, or stuck in one batch or tick)", le=3600
    )
    stopped_after_s: float = _opt(
        2.0,
        "kill and restart a worker stopped (SIGSTOP, traced) this long: it may hold queue.db's write lock (wall s)",
        gt=0,
        le=3600,
    )
    status_every_s: float = _opt(2.0, "how often DATA_DIR/status.json is rewritten (wall seconds)", gt=0)
    notify_every_s: float = _opt(
        2.0, "notify worker pass: decide from alarm changes, then send due messages (wall seconds; 0 = off)", ge=0
    )
    log_every_s: float = _opt(30.0, "how often a progress line is logged (wall seconds)", gt=0)
    log_level: str = _opt("INFO", "DEBUG, INFO, WARNING or ERROR")
    # The county host (docs/local.md, "On the AWS storage"): the same platform on DynamoDB and the S3 archive.
    store: Literal["sqlite", "dynamodb"] = _opt(
        "sqlite", "where readings, registry and alarms live: sqlite (DATA_DIR/gongkuang.db) or dynamodb (the stack's)"
    )
    dynamodb_table_prefix: str = _opt("gongkuang", "DynamoDB table names' prefix (store=dynamodb; the stage's)")
    dynamodb_region: str = _opt("", "DynamoDB region (store=dynamodb; empty = the SDK's default, AWS_REGION)")
    dynamodb_endpoint: str = _opt("", "DynamoDB endpoint URL (empty = AWS; DynamoDB Local in tests)")
    archive_bucket: str = _opt(
        "", "S3 bucket of the raw archive (objects + manifest chain as on AWS); empty = archive items in the store"
    )
    archive_every_s: float = _opt(
        300.0, "how often an archive object is cut from the frames not yet archived (wall seconds)", gt=0, le=3600
    )
    archive_chain: bool = _opt(
        True, "chain each archive object here; false where the stack's ChainArchive function chains the deliveries"
    )
    reading_bucket_minutes: int = _opt(
        0,
        "store=dynamodb: keep minute and real-time readings in DATA_DIR/readings.db and write them to DynamoDB as one "
        "item per point per this many minutes (5, 10, 15, 30 or 60; 0 = off: one item per reading)",
    )
    reading_flush_per_s: float = _opt(
        20.0,
        "reading buckets: a catch-up's bucket merges a wall second, on top of the buckets that closed in the last "
        "minute (a catch-up after an outage must not throttle the provisioned readings table decode also writes; "
        "1,500 terminals close ≈ 5 a second)",
        gt=0,
        le=10_000,
    )
    api: bool = _opt(True, "serve the HTTP API (/api/v1); false on AWS, where Chalice serves it")
    notify: bool = _opt(True, "run the notify worker; false on AWS, where the stream-triggered Lambdas send")
    scheduled_jobs: bool = _opt(
        True, "run escalation, maintenance reminders and the campaign; false on AWS (their Lambdas); rules still run"
    )

    @field_validator("log_level")
    @classmethod
    def _log_level_upper(cls, value: str) -> str:
        return value.upper()  # checked in _validate, with the other cross-field rules

    @property
    def path(self) -> Path:
        return Path(self.data_dir)

    def start(self) -> datetime | None:
        if not self.sim_start:
            return None
        return datetime.fromisoformat(self.sim_start)


FIELDS = LocalSettings.model_fields


def _validate(s: LocalSettings) -> None:
    """The rules that relate settings to each other, after every value has its type and range."""
    if not s.data_dir:
        raise ConfigError("data_dir: required (--data-dir, LOCAL_DATA_DIR or data_dir in the config file)")
    # per-setting ranges are the fields' own (named with their source by load_layers); these relate two
    if s.web_dir and not (Path(s.web_dir) / "index.html").is_file():
        raise ConfigError(f"web_dir: {s.web_dir} has no index.html (build the dashboard first)")
    for proxy in filter(None, (p.strip() for p in s.api_trusted_proxies.split(","))):
        try:
            ipaddress.ip_address(proxy)
        except ValueError:
            raise ConfigError(f"api_trusted_proxies: {proxy!r} is not an IP address") from None
    if s.api and s.api_port and s.api_port in (s.port, s.health_port):
        raise ConfigError(f"api_port: {s.api_port} is also the listener's port")
    if not s.status_every_s * 2 < s.hang_after_s:
        raise ConfigError(f"hang_after_s: must exceed twice status_every_s, got {s.hang_after_s}")
    if s.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"log_level: expected DEBUG, INFO, WARNING or ERROR, got {s.log_level!r}")
    county_ids(s)  # raises on a malformed list
    if not _COUNTY.fullmatch(s.county_id):
        raise ConfigError(f"county_id: not a registry county id: {s.county_id!r}")
    if not _HOST_ID.fullmatch(s.host_id):
        raise ConfigError(f"host_id: 1-64 letters, digits, _ . - (got {s.host_id!r})")
    _validate_aws(s)
    if s.sim_start:
        try:
            start = datetime.fromisoformat(s.sim_start)
        except ValueError:
            raise ConfigError(f"sim_start: not an ISO 8601 time: {s.sim_start!r}") from None
        if start.tzinfo is None:
            raise ConfigError("sim_start: needs an offset, e.g. 2026-11-30T08:00:00+08:00")


def _validate_aws(s: LocalSettings) -> None:
    """The county host's settings: DynamoDB, the S3 archive, the rule cadence shared with AWS."""
    for name in ("dynamodb_endpoint",):
        url = getattr(s, name)
        parts = urlsplit(url) if url else None
        if parts is not None and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise ConfigError(f"{name}: not an http(s) URL: {url!r}")
    if s.dynamodb_region and not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-[0-9]+", s.dynamodb_region):
        raise ConfigError(f"dynamodb_region: not a region name: {s.dynamodb_region!r}")
    if s.archive_bucket and (not _BUCKET.fullmatch(s.archive_bucket) or ".." in s.archive_bucket):
        raise ConfigError(f"archive_bucket: not an S3 bucket name: {s.archive_bucket!r}")
    if s.store == "dynamodb" and LIVENESS_SHEETS % s.decode_workers:
        # each liveness sheet (crc32 of the MN, like the workers' shares) must have one writer
        raise ConfigError(f"decode_workers: 1, 2, 4, 8 or 16 on DynamoDB (the liveness sheets), got {s.decode_workers}")
    if s.reading_bucket_minutes not in READING_BUCKET_MINUTES:
        choices, got = READING_BUCKET_MINUTES, s.reading_bucket_minutes
        raise ConfigError(f"reading_bucket_minutes: one of {choices} (0 = off), got {got}")
    if s.store != "dynamodb":
        if s.reading_bucket_minutes:
            raise ConfigError("reading_bucket_minutes: buckets are DynamoDB items; set store=dynamodb or 0")
        if s.dynamodb_endpoint:
            raise ConfigError("dynamodb_endpoint: set, but store is sqlite (set store=dynamodb)")
        return
    if not _TABLE_PREFIX.fullmatch(s.dynamodb_table_prefix):
        raise ConfigError(f"dynamodb_table_prefix: 1-200 letters, digits, _ . - (got {s.dynamodb_table_prefix!r})")
    if s.api:
        raise ConfigError("api: the HTTP API serves the sqlite store only; set api=false with store=dynamodb")
    if s.log_every_s > 60:  # the county host's alarms count the condition lines per minute (local/conditions.py)
        raise ConfigError(f"log_every_s: at most 60 with store=dynamodb (alarms count its lines), got {s.log_every_s}")
    minutes, rest = divmod(s.evaluate_every_s, 60)
    if rest or minutes not in RULE_CADENCES:
        raise ConfigError(
            f"evaluate_every_s: with store=dynamodb one of {[m * 60 for m in RULE_CADENCES]} "
            f"(AWS's rule cadences, RULES_EVERY_MINUTES), got {s.evaluate_every_s}"
        )


def county_ids(s: LocalSettings) -> tuple[str, ...]:
    """The counties this runner serves, in the order given: `counties`, or county_id alone when it is empty."""
    if not s.counties:
        return (s.county_id,)
    ids = [c.strip() for c in s.counties.split(",")]
    for county in ids:
        if not county:
            raise ConfigError(f"counties: an empty entry in {s.counties!r} (comma-separated county ids)")
        if not _COUNTY.fullmatch(county):
            raise ConfigError(f"counties: not a registry county id: {county!r}")
    repeated = sorted({c for c in ids if ids.count(c) > 1})
    if repeated:
        raise ConfigError(f"counties: listed twice: {', '.join(repeated)}")
    return tuple(ids)


def archive_shard(s: LocalSettings) -> str:
    """The stem of this runner's archive object keys: host_id, or for a host of several counties left at the default
    host-<its first county> (a county is served by one host, so hosts sharing a bucket get distinct stems)."""
    if s.host_id != "local" or not s.counties:
        return s.host_id
    return "host-" + re.sub(r"[^A-Za-z0-9_.-]", "-", county_ids(s)[0])[:59]


def rules_every_minutes(s: LocalSettings) -> int:
    """The wiring's RULES_EVERY_MINUTES for these settings: evaluate_every_s in minutes where that is one of AWS's
    cadences (the same ticks and the same alarms, docs/rules.md §3), else 1 (sqlite: any period)."""
    minutes, rest = divmod(s.evaluate_every_s, 60)
    return minutes if not rest and minutes in RULE_CADENCES else 1


def read_file(path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(`[local]` table, `[iot_ingest]` table) of a TOML file; unknown keys in `[local]` are an error."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    local, ingest = data.get("local", {}), data.get("iot_ingest", {})
    if not isinstance(local, dict) or not isinstance(ingest, dict):
        raise ConfigError(f"config file {path}: [local] and [iot_ingest] must be tables")
    extra = sorted(set(data) - {"local", "iot_ingest"})
    unknown = sorted(set(local) - set(FIELDS))
    if extra or unknown:
        raise ConfigError(f"config file {path}: unknown settings {', '.join(extra + unknown)}")
    try:
        return dict(local), listener_config.read_table(ingest, f"config file {path} [iot_ingest]")
    except listener_config.ConfigError as exc:
        raise ConfigError(str(exc)) from None


def check_data_dir(path: Path) -> None:
    """The data directory exists or can be made: checked before anything in it is created."""
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                raise ConfigError(f"data_dir: {part} is not a directory")
            if not os.access(part, os.W_OK | os.X_OK):
                raise ConfigError(f"data_dir: {part} is not writable")
            return


def _listener(
    s: LocalSettings, ingest: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> listener_config.Settings:
    """The listener's settings as local/app.py builds them ([iot_ingest] table, IOT_INGEST_* variables, host and
    port from here), validated: a bad one must stop the start before the data directory is made."""
    cli = {**ingest, "host": s.host, "port": s.port, "health_port": s.health_port, "log_level": s.log_level}
    try:
        return listener_config.load_settings(cli=cli, env=env, config_file=None)
    except listener_config.ConfigError as exc:
        raise ConfigError(f"listener setting {exc}") from None


def load(
    cli: Mapping[str, Any], *, env: Mapping[str, str] | None = None, config_file: str | None = None
) -> tuple[LocalSettings, dict[str, Any]]:
    """LocalSettings and the typed `[iot_ingest]` table, in precedence order."""
    env = os.environ if env is None else env
    layers: list[Layer] = []
    ingest: dict[str, Any] = {}
    config_file = config_file or env.get(ENV_PREFIX + "CONFIG") or None
    if config_file:
        table, ingest = read_file(config_file)
        layers.append((lambda _: f"config file {config_file}", table))
    layers += [environment(LocalSettings, env), options({k: v for k, v in cli.items() if k in FIELDS})]
    settings = load_layers(LocalSettings, layers, ConfigError)
    _validate(settings)
    check_data_dir(settings.path)
    _listener(settings, ingest, env)
    return settings, ingest


def check_ports(s: LocalSettings, ingest: Mapping[str, Any]) -> None:
    """The listener's and the health endpoint's addresses are free (tried, then let go) before anything is created."""
    listener = _listener(s, ingest)
    try:
        check_listen(listener.host, listener.port, "port")
        if listener.health_port:
            check_listen(listener.health_host, listener.health_port, "health_port")
        if s.api and s.api_port:
            check_listen(s.api_host, s.api_port, "api_port")
    except listener_config.ConfigError as exc:
        raise ConfigError(str(exc)) from None
