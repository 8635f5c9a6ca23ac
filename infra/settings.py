"""Stage settings (dev, prod, ...): every difference between deployments is a validated parameter here.

Read from the `stages` context value (cdk.json), overridable with `-c <stage>.<field>=<value>`. Unknown keys,
wrong types and out-of-range values raise `SettingsError` naming the stage and the key (docs/deploy.md).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic_core import ErrorDetails

# CloudWatch Logs accepts only these retention periods (days); mapped to RetentionDays in the stack.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)
# Fargate task sizes: CPU units -> allowed memory (MiB), from the ECS task-size table.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# ECS on Fargate waits at most 120 s between SIGTERM and SIGKILL.
# The listener container's open-file limit (soft = hard), set in the task definition rather than left to the
# platform's default (Fargate's has changed over time; Docker's on EC2 differs): a connection is one descriptor.
LISTENER_NOFILE = 65535
LISTENER_SPARE_FILES = 1024  # descriptors beside the terminals' (AWS clients, logs, health checks, imports)
MAX_STOP_TIMEOUT = 120
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
ARCHITECTURES = ("arm64", "x86_64")
OBJECT_LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
FLOW_LOG_TRAFFIC = ("REJECT", "ALL")
FUNCTION_ALARMS = ("each", "account")
LANE_GROUPS = 16  # fewest stream groups per decode lane when a shard has several (the busiest lane ≈ 1.75 × the mean)
ARCHIVE_WRITERS = ("firehose", "lambda")
# Where the listener runs: Fargate tasks behind an NLB, or one EC2 instance holding the Elastic IP itself.
LISTENER_COMPUTE = ("fargate", "ec2")
_INSTANCE_TYPE = re.compile(r"(?P<family>[a-z]+\d+(?P<graviton>g)?[a-z-]*)\.[a-z0-9]+")
SECRETS_STORES = ("secretsmanager", "ssm")
# Minutes between rule ticks: divisors of 60, so the ticks fall on the same minutes every hour (the runtime's
# monitoring.rules.shards.CADENCES; infra does not import the rules)
RULES_CADENCES = (1, 2, 3, 5, 10, 15)
WAF_WINDOWS = (60, 120, 300, 600)  # the evaluation windows AWS WAF rate-based rules accept (seconds)
_ORIGIN = re.compile(r"https://[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:\d{1,5})?")
_SSM_NAME = re.compile(r"/[A-Za-z0-9_.\-/]{1,1010}")


class SettingsError(ValueError):
    """A stage setting is missing, unknown, of the wrong type or out of range."""


@dataclass(frozen=True, slots=True)
class ExistingVpc:
    """A VPC to reuse instead of creating one; given in full so that synthesis needs no lookup."""

    vpc_id: str
    availability_zones: tuple[str, ...]
    public_subnet_ids: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]


# A host group's name: part of its stack's name (Gongkuang-<stage>-<group>), its metrics' namespace and tags
_GROUP_NAME = re.compile(r"[a-z]([a-z0-9-]{0,18}[a-z0-9])?")
# A registry county id (monitoring/registry/models.py check_id; tests/infra/test_host_groups.py compares): no comma,
# so LOCAL_COUNTIES and IOT_INGEST_COUNTIES carry the list comma-separated
_COUNTY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_SNAPSHOT_ID = re.compile(r"snap-[0-9a-f]{8,17}")
_ALLOCATION_ID = re.compile(r"eipalloc-[0-9a-f]{8,17}")
MAX_HOST_GROUPS = 100  # each is a stack, an Elastic IP (5 per region by default: ask for the quota) and a volume
# The instance types a host group may use: (vCPUs, memory MiB), the types the cost bench prices
# (bench/aws_prices.toml; infra does not import bench/). A task must fit one: ECS places no task whose CPU units
# or hard memory limit exceed what the instance registers, and the group's one task would never start.
HOST_INSTANCE_TYPES: dict[str, tuple[int, int]] = {
    "t4g.micro": (2, 1024), "t4g.small": (2, 2048), "t4g.medium": (2, 4096), "t4g.large": (2, 8192),
    "t4g.xlarge": (4, 16384), "t4g.2xlarge": (8, 32768),
    "c7g.large": (2, 4096), "c7g.xlarge": (4, 8192), "c7g.2xlarge": (8, 16384),
    "m7g.large": (2, 8192), "m7g.xlarge": (4, 16384),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class HostGroup:
    """One host of a province stage: an instance running `python -m local run` for `counties`, with its own Elastic
    IP, data volume and snapshot policy, in its own stack (docs/deploy.md "A province as a tier of hosts")."""

    name: str
    counties: tuple[str, ...]
    instance_type: str  # default: the stage's listener_instance_type
    zone: int = 0  # which public subnet (zone) holds the instance and its volume
    data_volume_gib: int = 8  # default: the stage's host_data_volume_gib
    snapshot_id: str = ""  # create the data volume from this snapshot (a restore)
    elastic_ip_allocation_id: str = ""  # reuse this address (terminals point at it) instead of a new one
    task_cpu: int = 512  # the platform container's CPU units (1024 a vCPU); default: the stage's listener_cpu
    task_memory_mib: int = 1024  # its hard memory limit; default: the stage's listener_memory_mib
    decode_workers: int = 1  # LOCAL_DECODE_WORKERS: the runner's decode processes


_GROUP_KEYS = {f.name for f in dataclasses.fields(HostGroup)}
# A group's defaults from the stage: group key -> stage setting
_GROUP_DEFAULTS = {
    "instance_type": "listener_instance_type",
    "data_volume_gib": "host_data_volume_gib",
    "task_cpu": "listener_cpu",
    "task_memory_mib": "listener_memory_mib",
}


class StageSettings(BaseModel):
    """One deployment stage. Durations are seconds unless the name says otherwise."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: str
    account: str | None = None  # None (with region None): an environment-agnostic stack, no lookups
    region: str | None = None
    table_prefix: str = ""  # default: "gk-<stage>"
    # Ingest: NLB + Fargate listener
    ingest_port: int = 9000
    health_port: int = 8080
    allowed_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    elastic_ip_allocation_ids: tuple[str, ...] = ()  # reuse these Elastic IPs (one per zone) instead of new ones
    listener_cpu: int = 512
    listener_memory_mib: int = 1024
    listener_min_tasks: int = 2
    listener_max_tasks: int = 6
    connections_per_task: int = 5000  # the connections policy's target: open connections per task, on average
    # The listener's own cap (IOT_INGEST_MAX_CONNECTIONS): a task closes connections beyond it at once. At least
    # 1.5 × connections_per_task (uneven spread, a failed neighbour's terminals), below the container's LISTENER_NOFILE
    listener_max_connections: int = 20000
    # How long the listener's batch for Kinesis waits for more frames (IOT_INGEST_BATCH_LINGER, in ms here): one
    # PutRecords costs ≈ 2 ms of CPU, so batches of tens instead of ones cut its CPU per frame ≈ 8-fold (docs/deploy.md)
    listener_batch_linger_ms: int = 100
    cpu_target_percent: int = 60
    deregistration_delay: int = 30
    drain_timeout: int = 20
    stop_timeout: int = 60
    listener_spot: bool = False  # tasks beyond listener_on_demand_base run on Fargate Spot
    listener_on_demand_base: int = 1
    # "ec2": one instance in an Auto Scaling group of 1 holds the stage's Elastic IP and runs the same listener
    # container as an ECS task; no NLB, no Fargate (docs/deploy.md "Fixed floor at 1,500 terminals").
    listener_compute: str = "fargate"
    listener_instance_type: str = "t4g.small"  # ec2 only; its architecture must match `architecture`
    # The county host (listener_compute=ec2 only): the instance runs the whole embedded platform (`python -m local
    # run`: listener, frame queue, decode, rules, raw archive to S3) instead of the listener alone; no Kinesis, no
    # decode, archive-writer or rules Lambdas (docs/deploy.md "The county host"). The frame queue lives on an EBS
    # volume of host_data_volume_gib, snapshotted daily (host_snapshots_kept kept).
    platform_host: bool = False
    host_data_volume_gib: int = 8
    host_snapshots_kept: int = 7
    host_zone: int = 0  # which public subnet (zone) holds the instance and its volume: another after an AZ loss
    host_data_snapshot_id: str = ""  # create the data volume from this snapshot (a restore; docs/deploy.md)
    host_archive_every_s: int = 300  # LOCAL_ARCHIVE_EVERY_S: how often the runner writes the raw archive's objects
    # LOCAL_READING_BUCKET_MINUTES: minute readings written as one item per point per this many minutes (0 = one per
    # reading); the API then reads the bucket items too (READING_BUCKETS). docs/deploy.md "The county host".
    host_reading_bucket_minutes: int = 0
    # Build and runtime platform (China regions: point these at reachable mirrors, docs/deploy.md)
    architecture: str = "arm64"  # every Lambda function and the Fargate task
    container_base_image: str = "python:3.11-slim-bookworm"
    pip_index_url: str = ""  # "" = pip's default index; used by the listener image and the Lambda layer build
    bundling_image: str = "public.ecr.aws/sam/build-python3.11"  # Docker fallback of the layer build
    # Network: public subnets only, no NAT gateway (docs/deploy.md "Network")
    max_azs: int = 2
    existing_vpc: ExistingVpc | None = None
    flow_log_traffic: str = "REJECT"
    flow_log_days: int = 90  # VPC flow logs go to S3 and expire after this many days
    # Stream and archive
    stream_on_demand: bool = False
    stream_shards: int = 1
    # The listener's partition keys g0…g<N-1> (an MN's by its hash), spread evenly over the shards: each decode lane
    # gets about stream_groups / (stream_shards × decode_parallelization) of them (docs/deploy.md, "Scaling")
    stream_groups: int = 64
    stream_retention_hours: int = 24
    archive_infrequent_access_days: int = 30
    archive_glacier_days: int = 90
    archive_deep_archive_days: int = 365
    archive_lock_mode: str = "GOVERNANCE"  # S3 Object Lock default retention of the raw frame archive
    archive_lock_days: int = 365
    # Who writes the raw archive's objects from the stream: Firehose (dynamic partitioning), or the ArchiveWriter
    # function (one object per batch and partition, same keys' prefixes and format; docs/deploy.md "Data protection")
    archive_writer: str = "firehose"
    archive_batch_size: int = 10000  # the writer's event source: records per batch (at most 6 MB of event)
    archive_batching_window: int = 300  # ... and the longest it gathers a batch (s)
    # Functions
    decode_batch_size: int = 100
    decode_batching_window: int = 1
    # Decode lanes per shard (the event source's parallelization factor). Decode notes its progress per partition-key
    # group, whatever this says, and the listener notes what it put (monitoring/rules/decode_watermark.py): a fast
    # lane never moves the rules past a slow or stuck one.
    decode_parallelization: int = 1
    # A decode lane stuck (or a lost decode note) holds the rules at most this long for a group that went quiet: the
    # scheduler then judges without its records, which come back as backfill (docs/rules.md, decode_watermark.py)
    decode_hold_max_minutes: int = 60
    # Decode retries a failing batch until its records are this old (a store outage or throttling never discards
    # it); past that the batch's pointers go to the on-failure queue, with stream retention left to redrive it.
    decode_max_record_age_hours: int = 20
    decode_timeout: int = 60
    function_memory_mib: int = 512
    escalate_every_minutes: int = 5
    clock_skew_alarm: int = 300  # terminal clock skew (s) that decode reports as an event
    decode_rollup: bool = True  # decode maintains hourly/daily aggregates
    decode_rollup_spread: bool = True  # each point's hourly roll-up at its own minute: no top-of-hour read spike
    # Tables on provisioned capacity with auto scaling (the steady frame load); the others stay on demand.
    # Reserved capacity for them is a purchase in the console, not part of the stack (docs/deploy.md, cost).
    dynamodb_provisioned_tables: tuple[str, ...] = ()
    dynamodb_infrequent_access_tables: tuple[str, ...] = ()  # the Standard-IA table class (cheaper storage)
    dynamodb_target_percent: int = 70  # auto scaling keeps consumed/provisioned near this
    dynamodb_min_units: int = 5  # per direction, for the table and each of its indexes
    dynamodb_max_units: int = 40000  # auto scaling's ceiling, the default table quota (a province: ≈ 7,200 WCU)
    # Decode writes no DynamoDB archive items: raw frames are kept only in the S3 archive (Firehose, Object Lock).
    decode_archive_items: bool = False
    # Minute readings expire from DynamoDB after this many days (TTL); hourly/daily aggregates are kept, and the
    # S3 archive can re-derive older minutes (the bureau's retention decision, docs/deploy.md cost).
    minute_reading_days: int = 35
    # Rules fan out: a scheduler enqueues one message per shard of a county's enterprises, workers evaluate them.
    rules_shard_enterprises: int = 100  # enterprises per shard (about 1,000 points, about 11 s of evaluation)
    rules_concurrency: int = 50  # most shards evaluated at once (the worker's SQS maximum concurrency)
    rules_timeout: int = 50  # one shard's evaluation; ends before the shard's next tick
    # Minutes between rule ticks (one of RULES_CADENCES): the same alarms, raised up to N − 1 minutes later, for
    # about 1/N of the rules' invocations, reads, snapshot requests and tick writes (docs/rules.md §3)
    rules_every_minutes: int = 1
    rules_plan_cache: int = 300  # how long the scheduler reuses its shard plan (s)
    # Per-shard snapshots of the rules' windows in S3, so a container that did not evaluate a shard's previous tick
    # reads only the windows' tails from DynamoDB (docs/rules.md, warm_shards); False: no bucket, no snapshots
    rules_snapshots: bool = True
    # decode rewrites a terminal's last-seen state at least this often while it sends (s), sooner when its upload
    # interval would let the stored time age past the online views' 15 minutes, and at once when a reader would see
    # a change (first frame, peer, GPS, skew) (docs/decode.md, "Terminal state: who reads it")
    terminal_state_refresh: int = 600
    # Counties whose terminals each listener task loads into its directory copy ("a, b"); empty = every MN is
    # looked up on its own (the province shape, docs/deploy.md "Scaling to a province").
    listener_counties: tuple[str, ...] = ("rugao",)
    # how long a warm decode container keeps a cached terminal and its bindings at most (s): a safety net, since a
    # registry edit moves the change mark that decode reads every `registry_mark_check` s (docs/decode.md)
    registry_cache: int = 3600
    registry_mark_check: int = 30
    log_level: str = "INFO"
    log_retention_days: int = 30
    # Data protection and operations
    deletion_protection: bool = False
    retain_data: bool = False
    iterator_age_alarm: int = 300
    alarm_email: str = ""
    # The CloudWatch floor (docs/deploy.md "Fixed floor at 1,500 terminals"): a stage may do without what no alarm
    # needs. dashboard: the operations dashboard ($3 a month); lambda_metrics: the handlers' EMF counts (each name
    # a custom metric; the same counts stay in their log lines); container_insights: the listener cluster's
    # Container Insights (custom metrics; the connections scaling policy needs its RunningTaskCount);
    # function_alarms: "each" = Errors and Throttles alarms per function, "account" = one of each on the account's
    # Lambda totals; alarm_topic_key: a customer key for the alarm topic (CloudWatch cannot use the AWS one).
    dashboard: bool = True
    lambda_metrics: bool = True
    container_insights: bool = True
    function_alarms: str = "each"
    alarm_topic_key: bool = True
    service_name: str = "gongkuang"
    metrics_namespace: str = "Gongkuang"
    # HTTP API (infra/constructs/api.py, docs/deploy.md "The HTTP API")
    api_county_id: str = "rugao"  # the county the API serves (its accounts and registry)
    api_memory_mib: int = 1024  # argon2id hashes with 64 MiB; Pillow decodes photos of up to 60 MP
    api_timeout: int = 29  # API Gateway's integration limit
    api_waf_rate_limit: int = 1000  # requests per source address per api_waf_window seconds, then WAF blocks
    api_waf_window: int = 300
    api_throttle_rate: int = 100  # stage-wide steady requests per second (API Gateway throttling)
    api_throttle_burst: int = 200
    api_cors_origin: str = ""  # the dashboard's origin, e.g. https://gk.example.gov.cn; "" = no cross-origin calls
    api_wechat_appid: str = ""  # the mini-program's AppID (public); its secret lives in Secrets Manager or SSM
    api_wechat_secret_parameter: str = ""  # an SSM SecureString name for the WeChat secret; "" = the stack's secret
    api_photo_incoming_days: int = 1  # unconfirmed direct uploads under incoming/ expire after this many days
    # False when another stack of the account and region already set API Gateway's CloudWatch Logs role.
    api_cloudwatch_role: bool = True
    # The dashboard's bucket and CloudFront distribution (infra/constructs/web.py). China stages set false: CloudFront
    # there has no origin access control and needs an ICP filing; serve web/dist from the bureau's own server.
    web_distribution: bool = True
    # SMS to numbers outside the mainland through AWS SNS (docs/notify.md); "" = no SNS channel, no sns:Publish
    notify_sns_region: str = ""  # a region where SNS sends SMS, e.g. ap-southeast-1
    notify_sns_sender_id: str = ""  # optional alphanumeric sender ID (1-11 characters, at least one letter)
    # Logical template → WeChat subscribe template id as a JSON object (public ids, not secrets); "" = no WeChat
    notify_wechat_templates: str = ""
    # The county floor (docs/deploy.md "Fixed floor at 1,500 terminals"). api_waf: the API stage's WAF web ACL with
    # its per-address rate rule ($6 a month); without it only the stage's own throttling and the app's login limits.
    # secrets_store: where the token key, the WeChat secret and the notify channels' settings are kept: the stack's
    # Secrets Manager secrets ($0.40 each a month), or SSM SecureString parameters (standard tier, free) that the
    # operator puts before the first deploy (`python -m infra.secret_parameters <stage>`, docs/deploy.md).
    api_waf: bool = True
    secrets_store: str = "secretsmanager"
    # A province as a tier of hosts (platform_host only; docs/deploy.md "A province as a tier of hosts"): each group
    # is one instance running the runner for its counties, in a stack of its own beside the stage's shared one.
    # Empty: the county host's one instance in the stage's stack (host_zone, host_data_snapshot_id, ...). Declared
    # last: a group's defaults are the stage settings above (_GROUP_DEFAULTS).
    host_groups: tuple[HostGroup, ...] = ()

    @field_validator("*", mode="before")
    @classmethod
    def _from_command_line(cls, raw: Any, info: ValidationInfo) -> Any:
        """`-c stage.key=value` gives strings: "true"/"false", digits, "a, b" lists, JSON for existing_vpc."""
        kind = cls.model_fields[str(info.field_name)].annotation
        if info.field_name == "existing_vpc":
            return _existing_vpc(json.loads(raw) if isinstance(raw, str) and raw else raw)
        if info.field_name == "host_groups":
            return _host_groups(_json_list(raw) if isinstance(raw, str) else raw, info.data)
        if info.field_name == "notify_wechat_templates" and isinstance(raw, dict):
            return json.dumps(raw, ensure_ascii=False, sort_keys=True)  # cdk.json may give the object itself
        listed = str(kind).startswith("tuple")
        if isinstance(raw, list) and listed:
            return tuple(raw)
        if not isinstance(raw, str):
            return raw
        if kind is bool and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        if kind is int and re.fullmatch(r"-?\d+", raw.strip()):
            return int(raw)
        if listed:  # "" is the empty list (e.g. `-c prod.dynamodb_provisioned_tables=`: every table on demand)
            return tuple(i.strip() for i in raw.split(",") if i.strip())
        return raw.strip() or (None if kind == str | None else "")

    @property
    def tables_prefix(self) -> str:
        return self.table_prefix or f"gk-{self.name}"


_FIELDS = StageSettings.model_fields
_VPC_FIELDS = {f.name for f in dataclasses.fields(ExistingVpc)}
_ORDERED_LISTS = ("availability_zones", "public_subnet_ids", "private_subnet_ids")


def _problem(stage: str, err: ErrorDetails) -> str:
    """The first thing wrong with a stage, naming the stage and the setting."""
    key = str(err["loc"][0]) if err["loc"] else "?"
    where = f"stage {stage!r}, setting {key!r}"
    if err["type"] == "value_error":
        return f"{where}: {err.get('ctx', {}).get('error', err['msg'])}"
    field = StageSettings.model_fields.get(key)
    kind = getattr(field.annotation, "__name__", str(field.annotation)) if field else "?"
    return f"{where}: expected {kind}, got {err['input']!r}"


def _existing_vpc(raw: Any) -> ExistingVpc | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) != _VPC_FIELDS:
        raise ValueError(f"expected an object with exactly {sorted(_VPC_FIELDS)}, got {raw!r}")
    lists = {k: raw[k] for k in _VPC_FIELDS - {"vpc_id"}}
    if not isinstance(raw["vpc_id"], str) or not all(
        isinstance(v, list) and v and all(isinstance(i, str) for i in v) for v in lists.values()
    ):
        raise ValueError("vpc_id must be a string and the other keys non-empty lists of strings")
    azs = len(lists["availability_zones"])
    if len(lists["public_subnet_ids"]) != azs or len(lists["private_subnet_ids"]) != azs:
        raise ValueError("give one public and one private subnet per availability zone")
    return ExistingVpc(raw["vpc_id"], *(tuple(lists[k]) for k in _ORDERED_LISTS))


def _json_list(text: str) -> Any:
    """`-c <stage>.host_groups=<JSON>`: the list as JSON ("" = an empty list)."""
    try:
        return json.loads(text) if text.strip() else []
    except ValueError as exc:
        raise ValueError(f"expected a JSON list of host group objects ({exc})") from None


def _host_groups(raw: Any, stage: Mapping[str, Any]) -> tuple[HostGroup, ...]:
    """The `host_groups` list: objects with a name and counties, the other keys defaulting to the stage's."""
    if isinstance(raw, tuple | list) and all(isinstance(g, HostGroup) for g in raw):
        return tuple(raw)
    if not isinstance(raw, list):
        raise ValueError(f"expected a list of host group objects, got {raw!r}")
    groups = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping) or not {"name", "counties"} <= set(item) or set(item) - _GROUP_KEYS:
            raise ValueError(f"group {i}: expected an object with name and counties, and only {sorted(_GROUP_KEYS)}")
        name = item["name"]
        where = f"group {name!r}" if isinstance(name, str) else f"group {i}"
        counties = item["counties"]
        if isinstance(counties, str):
            counties = [c.strip() for c in counties.split(",") if c.strip()]
        if not isinstance(counties, list) or not all(isinstance(c, str) for c in counties):
            raise ValueError(f"{where}: counties must be a list of registry county ids")
        values = {k: stage.get(setting, StageSettings.model_fields[setting].default)
                  for k, setting in _GROUP_DEFAULTS.items()}  # fmt: skip
        values |= {k: v for k, v in item.items() if k not in ("name", "counties")}
        for key, value in values.items():
            wanted = str if key in ("instance_type", "snapshot_id", "elastic_ip_allocation_id") else int
            if type(value) is not wanted:
                raise ValueError(f"{where}: {key} must be {'a string' if wanted is str else 'an integer'}")
        groups.append(HostGroup(name=name, counties=tuple(counties), **values))
    return tuple(groups)


def _host_group_problems(s: StageSettings) -> list[str]:
    """What is wrong with the stage's host groups (names, counties, sizes), each naming the group and key."""
    problems: list[str] = []
    given = s.model_fields_set
    if "host_groups" in given and not s.host_groups:
        problems.append("host_groups: give at least one group (or leave it out: the county host's one instance)")
    if not s.host_groups:
        return problems
    if not s.platform_host:
        problems.append("host_groups needs platform_host (each group runs the embedded platform)")
    if len(s.host_groups) > MAX_HOST_GROUPS:
        problems.append(f"host_groups: at most {MAX_HOST_GROUPS} groups")
    for setting in ("listener_counties", "host_zone", "host_data_snapshot_id", "elastic_ip_allocation_ids"):
        if setting in given:
            problems.append(f"{setting} is per group with host_groups: set the group's own key instead")
    zones = len(s.existing_vpc.availability_zones) if s.existing_vpc else s.max_azs
    names: set[str] = set()
    homes: dict[str, str] = {}
    # An address or a snapshot in two groups: both instances would take the address (terminals land on whichever
    # took it last), or both volumes start as one host's queue (its frames decoded twice, by two hosts)
    owners: dict[tuple[str, str], str] = {}
    for g in s.host_groups:
        where = f"host group {g.name!r}"
        for key, value in (("elastic_ip_allocation_id", g.elastic_ip_allocation_id), ("snapshot_id", g.snapshot_id)):
            if value and (key, value) in owners:
                problems.append(f"{where}: {key} {value!r} is already host group {owners[key, value]!r}'s")
            elif value:
                owners[key, value] = g.name
        if not (isinstance(g.name, str) and _GROUP_NAME.fullmatch(g.name)):
            problems.append(f"host group name {g.name!r}: 1-20 of a-z, 0-9 and '-', starting with a letter, not "
                            "ending with '-' (it names the group's stack)")  # fmt: skip
        if g.name in names:
            problems.append(f"{where}: a group name given twice")
        names.add(g.name)
        if not g.counties:
            problems.append(f"{where}: counties must name at least one registry county")
        for county in g.counties:
            if not _COUNTY_ID.fullmatch(county):
                problems.append(f"{where}: county {county!r} is no registry county id (1-128 of A-Z a-z 0-9 . _ : -)")
            elif county in homes:
                problems.append(f"{where}: county {county!r} is already served by host group {homes[county]!r}")
            else:
                homes[county] = g.name
        vcpus, memory_mib = HOST_INSTANCE_TYPES.get(g.instance_type, (0, 0))
        known = g.instance_type in HOST_INSTANCE_TYPES
        checks = [
            (known, f"instance_type {g.instance_type!r} is not one of the known types "
             f"({', '.join(HOST_INSTANCE_TYPES)}; infra/settings.py HOST_INSTANCE_TYPES)"),
            (not known or _instance_type_fits(g.instance_type, s.architecture), "instance_type must be a type whose "
             "processor matches architecture (Graviton types, with a g after the generation, for arm64)"),
            (0 <= g.zone < zones, f"zone must be 0-{zones - 1} (one of the stage's {zones} zones)"),
            (1 <= g.data_volume_gib <= 1024, "data_volume_gib must be 1-1024"),
            (g.snapshot_id == "" or bool(_SNAPSHOT_ID.fullmatch(g.snapshot_id)),
             "snapshot_id must look like snap-0123abcd"),
            (g.elastic_ip_allocation_id == "" or bool(_ALLOCATION_ID.fullmatch(g.elastic_ip_allocation_id)),
             "elastic_ip_allocation_id must look like eipalloc-0123abcd"),
            (128 <= g.task_cpu <= 65536, "task_cpu must be 128-65536 CPU units (1024 a vCPU)"),
            (256 <= g.task_memory_mib <= 786432, "task_memory_mib must be 256-786432"),
            (not known or g.task_memory_mib <= memory_mib - HOST_RESERVED_MIB, f"task_memory_mib must leave the "
             f"instance {HOST_RESERVED_MIB} MiB for the OS, Docker and the ECS agent (at most "
             f"{memory_mib - HOST_RESERVED_MIB} on a {g.instance_type})"),
            (not known or g.task_cpu <= vcpus * 1024, f"task_cpu must fit the instance's {vcpus} vCPUs (at most "
             f"{vcpus * 1024} on a {g.instance_type})"),
            (g.decode_workers in (1, 2, 4, 8, 16), "decode_workers must be 1, 2, 4, 8 or 16 (the runner's range; "
             "each of a county's 64 liveness sheets then has one writer)"),
        ]  # fmt: skip
        problems += [f"{where}: {msg}" for ok, msg in checks if not ok]
    if s.api_county_id not in homes:
        problems.append("api_county_id must be one of the host groups' counties (the API serves that county)")
    return problems


def _string_map(text: str) -> bool:
    """True when `text` is a JSON object of non-empty strings to non-empty strings."""
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, dict) and all(isinstance(v, str) and k and v for k, v in value.items())


def _instance_type_fits(instance_type: str, architecture: str) -> bool:
    """An EC2 instance type name (family.size) whose processor runs `architecture` (Graviton: arm64)."""
    match = _INSTANCE_TYPE.fullmatch(instance_type)
    if match is None:
        return False
    return bool(match["graviton"]) == (architecture == "arm64")


# Memory of the burstable (t) sizes, MiB; the OS, Docker, containerd and the ECS and SSM agents keep part of it.
_BURSTABLE_MIB = {"nano": 512, "micro": 1024, "small": 2048, "medium": 4096, "large": 8192, "xlarge": 16384}
HOST_RESERVED_MIB = 384


def _task_fits_instance(s: StageSettings) -> bool:
    """The listener task's hard memory limit fits the EC2 instance with room for the host (burstable types only)."""
    return s.listener_compute != "ec2" or _fits_instance(s.listener_instance_type, s.listener_memory_mib)


def _fits_instance(instance_type: str, memory_mib: int) -> bool:
    """A task of `memory_mib` fits an instance of `instance_type` with room for the host (burstable types only)."""
    family, _, size = instance_type.partition(".")
    if not family.startswith("t") or size not in _BURSTABLE_MIB:
        return True
    return memory_mib <= _BURSTABLE_MIB[size] - HOST_RESERVED_MIB


def _check(s: StageSettings) -> None:
    """Cross-field and range checks; the message names the stage and the rule broken."""
    rules: list[tuple[bool, str]] = [
        (bool(_STAGE_NAME.match(s.name)), "stage names are 1-16 of a-z, 0-9 and '-', starting with a letter"),
        ((s.account is None) == (s.region is None), "give both account and region, or neither"),
        (s.account is None or bool(_ACCOUNT.match(s.account)), "account must be 12 digits"),
        (s.region is None or bool(_REGION.match(s.region)), "region must look like cn-north-1 or eu-west-1"),
        (1 <= s.ingest_port <= 65535 and 1 <= s.health_port <= 65535, "ports must be 1-65535"),
        (s.ingest_port != s.health_port, "ingest_port and health_port must differ"),
        (s.listener_memory_mib in FARGATE_SIZES.get(s.listener_cpu, ()), "listener cpu/memory is no Fargate size"),
        (1 <= s.listener_min_tasks <= s.listener_max_tasks <= 200, "need 1 <= listener_min_tasks <= max <= 200"),
        (s.connections_per_task >= 1, "connections_per_task must be positive"),
        (
            s.connections_per_task * 3 <= s.listener_max_connections * 2
            and s.listener_max_connections <= LISTENER_NOFILE - LISTENER_SPARE_FILES,
            f"listener_max_connections must be at least 1.5 × connections_per_task and at most "
            f"{LISTENER_NOFILE - LISTENER_SPARE_FILES} (the container's open-file limit less the listener's own files)",
        ),
        (10 <= s.cpu_target_percent <= 90, "cpu_target_percent must be 10-90"),
        (0 <= s.listener_batch_linger_ms <= 1000, "listener_batch_linger_ms must be 0-1000 (acknowledgements wait)"),
        (0 <= s.deregistration_delay <= 3600, "deregistration_delay must be 0-3600"),
        (0 < s.drain_timeout < s.stop_timeout <= MAX_STOP_TIMEOUT, "need 0 < drain_timeout < stop_timeout <= 120"),
        (1 <= s.max_azs <= 3, "max_azs must be 1-3 (one Elastic IP per zone)"),
        (0 <= s.listener_on_demand_base <= s.listener_min_tasks, "need 0 <= listener_on_demand_base <= min_tasks"),
        (s.listener_spot or s.listener_on_demand_base >= 1, "without listener_spot, listener_on_demand_base >= 1"),
        (s.listener_compute in LISTENER_COMPUTE, f"listener_compute must be one of {LISTENER_COMPUTE}"),
        (
            s.listener_compute != "ec2" or (s.listener_min_tasks == s.listener_max_tasks == 1 and not s.listener_spot),
            "listener_compute=ec2 runs exactly one on-demand task: listener_min_tasks = listener_max_tasks = 1, "
            "listener_spot = false",
        ),
        (
            _instance_type_fits(s.listener_instance_type, s.architecture),
            "listener_instance_type: a type like "
            "t4g.small whose processor matches architecture (Graviton types, with a g after the generation, for arm64)",
        ),
        (s.architecture in ARCHITECTURES, f"architecture must be one of {ARCHITECTURES}"),
        (
            not s.platform_host or s.listener_compute == "ec2",
            "platform_host needs listener_compute=ec2 (the platform runs on the county's one instance)",
        ),
        (
            not s.platform_host or bool(s.host_groups) or s.listener_counties == (s.api_county_id,),
            "platform_host runs one county's rules: listener_counties must be exactly [api_county_id]",
        ),
        (1 <= s.host_data_volume_gib <= 1024, "host_data_volume_gib must be 1-1024"),
        (1 <= s.host_snapshots_kept <= 1000, "host_snapshots_kept must be 1-1000 (Data Lifecycle Manager's count)"),
        (
            s.host_data_snapshot_id == "" or bool(re.fullmatch(r"snap-[0-9a-f]{8,17}", s.host_data_snapshot_id)),
            "host_data_snapshot_id must look like snap-0123abcd",
        ),
        (60 <= s.host_archive_every_s <= 3600, "host_archive_every_s must be 60-3600 seconds"),
        (
            s.host_reading_bucket_minutes in (0, 5, 10, 15, 30, 60),
            "host_reading_bucket_minutes must be 0 (off), 5, 10, 15, 30 or 60",
        ),
        (
            s.platform_host or not s.host_reading_bucket_minutes,
            "host_reading_bucket_minutes needs platform_host (the host's disk holds the readings until written)",
        ),
        (
            bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}", s.container_base_image)),
            "bad container_base_image",
        ),
        (bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}", s.bundling_image)), "bad bundling_image"),
        (
            s.pip_index_url == "" or bool(re.fullmatch(r"https://[^\s\"']+", s.pip_index_url)),
            "pip_index_url: https URL",
        ),
        (s.flow_log_traffic in FLOW_LOG_TRAFFIC, f"flow_log_traffic must be one of {FLOW_LOG_TRAFFIC}"),
        (1 <= s.flow_log_days <= 3653, "flow_log_days must be 1-3653"),
        (s.archive_lock_mode in OBJECT_LOCK_MODES, f"archive_lock_mode must be one of {OBJECT_LOCK_MODES}"),
        (1 <= s.archive_lock_days <= 36500, "archive_lock_days must be 1-36500"),
        (1 <= s.rules_shard_enterprises <= 5000, "rules_shard_enterprises must be 1-5000"),
        (2 <= s.rules_concurrency <= 1000, "rules_concurrency must be 2-1000 (SQS maximum concurrency)"),
        (20 <= s.dynamodb_target_percent <= 90, "dynamodb_target_percent must be 20-90 (auto scaling's range)"),
        (1 <= s.dynamodb_min_units <= s.dynamodb_max_units <= 40000, "need 1 <= dynamodb_min_units <= max <= 40000"),
        (len(set(s.dynamodb_provisioned_tables)) == len(s.dynamodb_provisioned_tables), "a table listed twice"),
        (2 <= s.minute_reading_days <= 36500, "minute_reading_days must be 2-36500"),
        (s.rules_every_minutes in RULES_CADENCES, f"rules_every_minutes must be one of {RULES_CADENCES}"),
        (
            10 <= s.rules_timeout <= s.rules_every_minutes * 60 - 5,
            "rules_timeout must be 10 to rules_every_minutes × 60 − 5 seconds (a shard's tick ends before its next)",
        ),
        (0 <= s.rules_plan_cache <= 3600, "rules_plan_cache must be 0-3600 seconds"),
        (1 <= s.stream_shards <= 500, "stream_shards must be 1-500"),
        (24 <= s.stream_retention_hours <= 8760, "stream_retention_hours must be 24-8760"),
        (
            30 <= s.archive_infrequent_access_days < s.archive_glacier_days < s.archive_deep_archive_days,
            "archive lifecycle must be 30 <= infrequent_access < glacier < deep_archive days",
        ),
        (1 <= s.decode_batch_size <= 10000, "decode_batch_size must be 1-10000"),
        (0 <= s.decode_batching_window <= 300, "decode_batching_window must be 0-300"),
        (s.archive_writer in ARCHIVE_WRITERS, f"archive_writer must be one of {ARCHIVE_WRITERS}"),
        (1 <= s.archive_batch_size <= 10000, "archive_batch_size must be 1-10000"),
        (0 <= s.archive_batching_window <= 300, "archive_batching_window must be 0-300"),
        (1 <= s.decode_parallelization <= 10, "decode_parallelization must be 1-10"),
        (20 <= s.decode_hold_max_minutes <= 1440, "decode_hold_max_minutes must be 20-1440"),
        (1 <= s.stream_groups <= 100_000, "stream_groups must be 1-100000"),
        (
            s.stream_on_demand or s.stream_groups % s.stream_shards == 0,
            "stream_groups must be a multiple of stream_shards (the groups' hash keys split the shards evenly)",
        ),
        (
            s.decode_parallelization == 1
            or s.stream_groups >= LANE_GROUPS * s.stream_shards * s.decode_parallelization,
            f"stream_groups must be >= {LANE_GROUPS} × stream_shards × decode_parallelization: Lambda hashes the keys "
            "of a shard onto its lanes, and fewer keys per lane leave some lanes far busier than others",
        ),
        (
            1 <= s.decode_max_record_age_hours <= min(168, s.stream_retention_hours - 4),
            "decode_max_record_age_hours must be 1-168 and leave at least 4 h of stream retention to redrive",
        ),
        (3 <= s.decode_timeout <= 900, "decode_timeout must be 3-900"),
        (128 <= s.function_memory_mib <= 10240, "function_memory_mib must be 128-10240"),
        (2 <= s.escalate_every_minutes <= 60, "escalate_every_minutes must be 2-60"),
        (1 <= s.clock_skew_alarm <= 86400, "clock_skew_alarm must be 1-86400 seconds"),
        (0 <= s.registry_cache <= 86400, "registry_cache must be 0-86400 seconds"),
        (0 <= s.registry_mark_check <= 3600, "registry_mark_check must be 0-3600 seconds"),
        # a live terminal's stored last frame must stay within the online views' 15 minutes (plus delivery)
        (0 <= s.terminal_state_refresh <= 600, "terminal_state_refresh must be 0-600 seconds"),
        (s.log_level in LOG_LEVELS, f"log_level must be one of {LOG_LEVELS}"),
        (s.log_retention_days in LOG_RETENTION_DAYS, f"log_retention_days must be one of {LOG_RETENTION_DAYS}"),
        (s.iterator_age_alarm >= 60, "iterator_age_alarm must be at least 60 seconds"),
        (s.function_alarms in FUNCTION_ALARMS, f"function_alarms must be one of {FUNCTION_ALARMS}"),
        (s.alarm_email == "" or bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", s.alarm_email)), "bad alarm_email"),
        (bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]{0,62}", s.metrics_namespace)), "bad metrics_namespace"),
        (bool(re.fullmatch(r"[a-z][a-z0-9-]{0,62}", s.service_name)), "bad service_name"),
        (bool(re.fullmatch(r"[a-z][a-z0-9-]{0,30}", s.tables_prefix)), "table_prefix must be lowercase a-z0-9-"),
        (bool(re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", s.api_county_id)), "bad api_county_id"),
        (128 <= s.api_memory_mib <= 10240, "api_memory_mib must be 128-10240"),
        (3 <= s.api_timeout <= 29, "api_timeout must be 3-29 seconds (API Gateway's integration limit)"),
        (10 <= s.api_waf_rate_limit <= 2_000_000_000, "api_waf_rate_limit must be 10-2000000000 (AWS WAF)"),
        (s.api_waf_window in WAF_WINDOWS, f"api_waf_window must be one of {WAF_WINDOWS} seconds"),
        (1 <= s.api_throttle_rate <= 10_000 and 1 <= s.api_throttle_burst <= 5_000, "api throttling out of range"),
        (s.api_throttle_burst >= s.api_throttle_rate / 10, "api_throttle_burst below a tenth of the rate"),
        (s.api_cors_origin == "" or bool(_ORIGIN.fullmatch(s.api_cors_origin)), "api_cors_origin: https://host[:port]"),
        (s.api_wechat_appid == "" or bool(re.fullmatch(r"wx[0-9a-f]{16}", s.api_wechat_appid)), "bad api_wechat_appid"),
        (
            s.api_wechat_secret_parameter == "" or bool(_SSM_NAME.fullmatch(s.api_wechat_secret_parameter)),
            "api_wechat_secret_parameter must be an SSM parameter name like /gongkuang/wechat-secret",
        ),
        (1 <= s.api_photo_incoming_days <= 30, "api_photo_incoming_days must be 1-30"),
        (
            not (s.web_distribution and (s.region or "").startswith("cn-")),
            "web_distribution must be false in China regions (no CloudFront origin access control there)",
        ),
        (s.notify_sns_region == "" or bool(_REGION.match(s.notify_sns_region)), "bad notify_sns_region"),
        (
            s.notify_sns_sender_id == ""
            or bool(re.fullmatch(r"(?=.*[A-Za-z])[A-Za-z0-9]{1,11}", s.notify_sns_sender_id)),
            "notify_sns_sender_id must be 1-11 letters or digits with at least one letter (SNS sender ID)",
        ),
        (s.notify_sns_sender_id == "" or s.notify_sns_region != "", "notify_sns_sender_id needs notify_sns_region"),
        (s.secrets_store in SECRETS_STORES, f"secrets_store must be one of {SECRETS_STORES}"),
        (
            _task_fits_instance(s),
            f"listener_memory_mib must leave the instance {HOST_RESERVED_MIB} MiB for the OS, Docker and the ECS agent "
            "(ECS places no task whose hard memory limit exceeds what the instance registers)",
        ),
        (
            s.notify_wechat_templates == "" or _string_map(s.notify_wechat_templates),
            'notify_wechat_templates must be a JSON object of template name → id, e.g. {"alarm_raised": "Ab12…"}',
        ),
    ]
    broken = [msg for ok, msg in rules if not ok] + _host_group_problems(s)
    if broken:
        raise SettingsError(f"stage {s.name!r}: " + "; ".join(broken))
    for cidr in s.allowed_cidrs:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            raise SettingsError(f"stage {s.name!r}: allowed_cidrs: {exc}") from None
    zones = len(s.existing_vpc.availability_zones) if s.existing_vpc else s.max_azs
    if s.listener_compute == "ec2" and len(s.elastic_ip_allocation_ids) > 1:
        raise SettingsError(f"stage {s.name!r}: elastic_ip_allocation_ids: one address for the one listener instance")
    if s.listener_compute == "fargate" and s.elastic_ip_allocation_ids and len(s.elastic_ip_allocation_ids) != zones:
        raise SettingsError(f"stage {s.name!r}: elastic_ip_allocation_ids needs one id per zone ({zones})")
    if not all(re.fullmatch(r"eipalloc-[0-9a-f]{8,17}", a) for a in s.elastic_ip_allocation_ids):
        raise SettingsError(f"stage {s.name!r}: elastic_ip_allocation_ids must look like eipalloc-0123abcd")
    if not 0 <= s.host_zone < zones:
        raise SettingsError(f"stage {s.name!r}: host_zone must be 0-{zones - 1} (one of the stage's {zones} zones)")
    if s.existing_vpc and len(s.existing_vpc.availability_zones) < 2:
        raise SettingsError(f"stage {s.name!r}: existing_vpc needs at least two availability zones")


def load_stage(name: str, raw: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> StageSettings:
    """Build one stage from its JSON object plus `-c <stage>.<key>` overrides; raise SettingsError."""
    if not isinstance(raw, Mapping):
        raise SettingsError(f"stage {name!r}: expected an object, got {raw!r}")
    merged = {**raw, **(overrides or {})}
    unknown = sorted(set(merged) - set(_FIELDS) | ({"name"} & set(merged)))
    if unknown:
        raise SettingsError(f"stage {name!r}: unknown settings {', '.join(unknown)}")
    try:
        settings = StageSettings(name=name, **merged)
    except ValidationError as exc:
        raise SettingsError(_problem(name, exc.errors()[0])) from None
    _check(settings)
    return settings


def load_stages(context: Mapping[str, Any]) -> list[StageSettings]:
    """Every stage of the `stages` context value, with `-c <stage>.<key>=<value>` overrides applied."""
    stages = context.get("stages")
    if isinstance(stages, str):
        stages = json.loads(stages)
    if not isinstance(stages, Mapping) or not stages:
        raise SettingsError("context value 'stages' must be a non-empty object of stage name -> settings")
    result = []
    for name, raw in stages.items():
        prefix = f"{name}."
        overrides = {k[len(prefix) :]: v for k, v in context.items() if k.startswith(prefix)}
        result.append(load_stage(name, raw, overrides))
    return result


__all__ = ["ExistingVpc", "HostGroup", "SettingsError", "StageSettings", "load_stage", "load_stages"]
