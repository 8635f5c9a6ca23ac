"""PlatformStack: composes network, storage, stream, functions, ingest, API and alarms for one stage; grants, outputs.

The only place that knows more than one construct: it passes resources between them, grants each principal
exactly the data it uses, sets the environment variables the runtime reads, and writes the outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Duration, Environment, RemovalPolicy, SecretValue, Stack, Tags
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

import monitoring.storage.dynamodb.schema as schema
from infra.constructs.alarms import Alarms, ListenerSignal
from infra.constructs.api import Api, ApiLimits
from infra.constructs.functions import ArchiveWriting, BuildSources, Functions, RulesFanOut, ScheduledHandler
from infra.constructs.ingest import Ingest, PlatformHost
from infra.constructs.key_grants import key_grant_statements
from infra.constructs.secrets import StoredSecret
from infra.constructs.storage import ProvisionedCapacity, Storage
from infra.constructs.stream import Stream
from infra.constructs.web import Web
from infra.data_grants import CHAIN_ARCHIVE, SCHEDULE_RULES, KeyGrant
from infra.nag import suppress_reviewed_findings
from infra.secret_parameters import parameter_names
from infra.settings import LISTENER_NOFILE, HostGroup, StageSettings

# docs/contracts.md §3: module path of each handler (entry function `handler`).
DECODE_HANDLER = "functions.on_frame_batch.handler"
SCHEDULED_HANDLERS = (
    ("Escalate", "functions.every_five_minutes_escalate.handler", None),  # None: the stage's escalate_every_minutes
    # Notifications (issue 16): decide into the outbox (sweep, emergency alerts, digest); the sender runs when an
    # enqueuer invokes it (NOTIFY_ENQUEUERS) and every minute as the safety net, which returns when nothing is due.
    ("NotifyDecide", "functions.on_alarm_change_notify.handler", 1),
    ("NotifySend", "functions.notify_send.handler", 1),
    # Maintenance (issue 19, 二.4): overdue inspections and repairs, one reminder per obligation per day.
    ("MaintenanceRemind", "functions.every_fifteen_minutes_maintenance_reminders.handler", 15),
    # Issue 19: networked, trial runs. Judged on complete days only, so any rate works; 15 min is the longest a
    # scheduled handler's timeout (rate − 5 s ≤ Lambda's 15 min) allows.
    ("Campaign", "functions.every_fifteen_minutes_campaign.handler", 15),
)
# Rules fan out per county and shard of enterprises (docs/deploy.md "Scaling to a province"); the worker keeps
# the construct id "Evaluate", so its data access below is the evaluation's.
RULES_SCHEDULER_HANDLER = "functions.every_minute_schedule_rules.handler"
RULES_WORKER_HANDLER = "functions.on_rule_shard.handler"
# Which tables each function reads and writes (least privilege); names are schema.py's logical names.
# Read from the DynamoDB adapter's code paths: decode also writes the registry (terminal last-seen state, via
# `record_terminal_seen`) and the state table (latest reading per point). The rules' repositories (alarms,
# audit, rule state) live in the state table (monitoring/storage/dynamodb/rules.py).
FUNCTION_DATA_ACCESS: dict[str, dict[str, tuple[str, ...]]] = {
    "Decode": {
        "read": (),
        "read_write": (schema.REGISTRY, schema.STATE, schema.READINGS, schema.EVENTS, schema.ARCHIVE),
    },
    "Evaluate": {"read": (schema.REGISTRY, schema.READINGS), "read_write": (schema.STATE, schema.EVENTS)},
    "ScheduleRules": {"read": (schema.REGISTRY,), "read_write": ()},  # and decode's notes: FUNCTION_KEY_GRANTS
    "Escalate": {"read": (schema.REGISTRY,), "read_write": (schema.STATE, schema.EVENTS)},
    "NotifyDecide": {"read": (schema.REGISTRY,), "read_write": (schema.STATE,)},  # reads accounts, writes the outbox
    "NotifySend": {"read": (), "read_write": (schema.STATE,)},
    "NotifyOnAlarm": {"read": (schema.REGISTRY,), "read_write": (schema.STATE,)},
    "ChainArchive": {"read": (), "read_write": ()},  # the global chain's links only: FUNCTION_KEY_GRANTS
    "ArchiveWriter": {"read": (), "read_write": ()},  # stream → S3 only
    "MaintenanceRemind": {"read": (schema.REGISTRY,), "read_write": (schema.STATE,)},  # log, alarms → outbox
    "Campaign": {"read": (schema.READINGS,), "read_write": (schema.REGISTRY, schema.STATE)},  # status, files, audit
}
# Functions that touch only some partition keys of a table get those keys (dynamodb:LeadingKeys), not the table.
FUNCTION_KEY_GRANTS: dict[str, tuple[KeyGrant, ...]] = {"ChainArchive": CHAIN_ARCHIVE, "ScheduleRules": SCHEDULE_RULES}
# The functions that enqueue notifications and invoke NotifySend asynchronously for them (docs/notify.md).
NOTIFY_ENQUEUERS = ("NotifyOnAlarm", "NotifyDecide", "MaintenanceRemind")
# A queued invoke older than this is dropped: the safety net (every minute) has sent what it was for by then.
NOTIFY_SEND_EVENT_AGE = Duration.minutes(5)
ARCHIVE_CHAIN_HANDLER = "functions.on_archive_object.handler"
# ScheduleRules' warning when it stops holding the rules for a stuck group (every_minute_schedule_rules.py
# HOLD_RELEASED; tests/infra check they agree): a metric filter counts it for the DecodeHoldReleased alarm.
DECODE_HOLD_RELEASED_MESSAGE = "decode hold released"
HOST_CONN_RATE, HOST_CONN_BURST = 10.0, 100  # iot_ingest/config.py's conn_rate and conn_burst defaults
ARCHIVE_CHAIN_PREFIX = "raw/"  # delivered frame objects (stream.DATA_PREFIX), not Firehose's errors/
ARCHIVE_MANIFEST_PREFIX = "manifests/"  # monitoring.archive.manifest.MANIFEST_PREFIX: outside raw/, no notification
# archive_writer = "lambda": the stream's consumer that writes the objects Firehose would (raw_objects.py)
ARCHIVE_WRITER_HANDLER = "functions.on_frame_batch_archive.handler"
# monitoring.archive.raw_objects RAW_PREFIX, ERROR_PREFIX (tests/infra/test_stream.py): where it may put objects
ARCHIVE_WRITER_PREFIXES = ("raw/", "errors/partitioning-failed/")
# The county host (platform_host): the Lambdas whose work its runner does; its task role gets the union of their
# data access (FUNCTION_DATA_ACCESS) and the archive writer's puts, nothing else (the listener's own grants are a
# subset: the registry, state and events tables read and written).
HOST_RUNS = ("Decode", "Evaluate", "ScheduleRules", "ArchiveWriter")
# local/ reads these (LOCAL_<FIELD>); the container's listener reads IOT_INGEST_<FIELD> (docs/deploy.md).
HOST_DATA_DIR = "/data"
# Free space the frame queue keeps on the data volume: below it new frames are refused, so the marks and deletes
# that free rows still fit (docs/deploy.md "The county host").
HOST_QUEUE_RESERVE_MB = 256
# The runner's hang limit on the host: its S3 client's timeouts are sized to half of it (local/archive_worker.py
# s3_limits), and local's 30 s default leaves 1.3 s to read a PUT's answer, short enough for S3's tail latency to
# page the operator (HostWorkerFailures); 120 s gives 10.5 s (two attempts); a hung decode batch is killed after 2 min
HOST_HANG_AFTER_S = 120
# Variables one function has beside the shared environment (not read by functions/_wiring.py)
FUNCTION_OWN_ENVIRONMENT = {ARCHIVE_WRITER_HANDLER: ("ARCHIVE_BUCKET",)}
# The API serves every person-facing route: it edits the registry (一企一档, bindings), handles alarms, reports,
# accounts, audit and commands (state), decodes a newly bound terminal's early frames into readings and events,
# and reads those frames from the archive (monitoring/field/binding.py), which it never writes.
API_DATA_ACCESS: dict[str, tuple[str, ...]] = {
    "read": (schema.ARCHIVE,),
    "read_write": (schema.REGISTRY, schema.STATE, schema.READINGS, schema.EVENTS),
}
RETENTION = {d: getattr(logs.RetentionDays, n) for d, n in (
    (1, "ONE_DAY"), (3, "THREE_DAYS"), (5, "FIVE_DAYS"), (7, "ONE_WEEK"), (14, "TWO_WEEKS"), (30, "ONE_MONTH"),
    (60, "TWO_MONTHS"), (90, "THREE_MONTHS"), (120, "FOUR_MONTHS"), (150, "FIVE_MONTHS"), (180, "SIX_MONTHS"),
    (365, "ONE_YEAR"), (400, "THIRTEEN_MONTHS"), (545, "EIGHTEEN_MONTHS"), (731, "TWO_YEARS"), (1827, "FIVE_YEARS"),
    (3653, "TEN_YEARS"),
)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SourceLayout:
    """Where the runtime lives: the repository root, the listener's Dockerfile, and the dependency pins."""

    root: Path
    dockerfile: str  # relative to root; the Docker build context is the root
    requirements: tuple[str, ...]  # the project's runtime dependencies (pyproject.toml)
    constraints_file: Path  # requirements.lock
    api_requirements: tuple[str, ...] = ()  # the API's layer, installed without dependencies (infra/app.py)
    web_dist: Path | None = None  # the dashboard build to upload; None (not built) = bucket and distribution only
    host_dockerfile: str = "local/Dockerfile"  # the county host's platform image (platform_host), same context


FLOW_LOG_PREFIX = "flow-logs"
# Tables whose data cannot be rebuilt get point-in-time recovery: the registry (一企一档, entered by people) and
# the state table (alarms and their handling, audit trail, commands, reports). Readings, events and the DynamoDB
# archive are rebuilt by re-decoding the S3 raw archive (Object Lock), so they go without.
RECOVERABLE_TABLES = (schema.REGISTRY, schema.STATE)

# Read by Powertools itself (functions/_wiring.py reads POWERTOOLS_SERVICE_NAME too; functions/_observability.py
# reads POWERTOOLS_METRICS_DISABLED through Powertools' own check).
POWERTOOLS_ENVIRONMENT = (
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_METRICS_DISABLED",
    "LOG_LEVEL",
)
# Variables functions/_wiring.py reads that the deployment deliberately leaves unset, and why.
WIRING_VARIABLES_NOT_SET = {
    "AWS_REGION": "reserved: set by the Lambda runtime",
    "SQLITE_PATH": "the sqlite backend is for one machine; AWS uses STORE_BACKEND=dynamodb",
    "DYNAMODB_ENDPOINT": "empty means the regional DynamoDB endpoint (set only for DynamoDB Local)",
    "PROFILES_DIR": "the default is data/profiles inside the code asset",
    "RULES_DEFAULTS_PATH": "the default is data/rules_defaults.json inside the code asset",
    "RULES_OVERRIDES_PATH": "optional per enterprise/association/point overrides; none are deployed by default",
    "COUNTY_ID": "AWS fans rules out over every county of the registry; the shard message names the county",
    "NOTIFY_ROUTES_PATH": "the default is data/notify_routes.json inside the code asset",
    "NOTIFY_SNS_ENDPOINT": "empty means SNS's regional endpoint (set only for a local emulator)",
    "NOTIFY_TEMPLATES_PATH": "the default is data/notify_templates.json inside the code asset",
    "READING_BUCKETS": "set (true) only on the county host stage, whose runner writes reading buckets; elsewhere "
    "none exist and reading them would cost a second query per read",
    "TERMINAL_LIVENESS_S": "the liveness sheets need one warm decode process: the county host's runner keeps them "
    "(local/workers.py HOST_LIVENESS_S); a decode Lambda keeps the terminal items' cadence (0, the default)",
}
# Variables set on some functions only: the variable → the functions (construct ids) that get it.
WIRING_VARIABLES_OF = {"NOTIFY_SEND_FUNCTION": NOTIFY_ENQUEUERS}  # the sender cannot name itself (a cycle)


def api_environment(settings: StageSettings, region: str) -> dict[str, str]:
    """The API's settings (miniprogram_api/chalicelib/settings.py, API_<FIELD>); the Api construct adds the secrets'
    sources, the CORS origin and the photo bucket."""
    return {
        "API_STORE_BACKEND": "dynamodb",
        "API_DYNAMODB_REGION": region,
        "API_DYNAMODB_TABLE_PREFIX": settings.tables_prefix,
        "API_COUNTY_ID": settings.api_county_id,
        "API_WECHAT_APPID": settings.api_wechat_appid,
        "API_MINUTE_READING_DAYS": str(settings.minute_reading_days),  # the same TTL decode writes
        # The county host writes minute readings as buckets: charts and latest values read them too
        **({"API_READING_BUCKETS": "true"} if settings.platform_host else {}),
    }


def lambda_environment(settings: StageSettings) -> dict[str, str]:
    """Environment of every function: Powertools settings plus the settings functions/_wiring.py reads."""
    return {
        "POWERTOOLS_SERVICE_NAME": settings.service_name,
        "POWERTOOLS_METRICS_NAMESPACE": settings.metrics_namespace,
        "POWERTOOLS_METRICS_DISABLED": "false" if settings.lambda_metrics else "true",  # the EMF counts (cost)
        "LOG_LEVEL": settings.log_level,
        "STORE_BACKEND": "dynamodb",
        "DYNAMODB_TABLE_PREFIX": settings.tables_prefix,
        "CLOCK_SKEW_ALARM_S": str(settings.clock_skew_alarm),
        "DECODE_ROLLUP": "true" if settings.decode_rollup else "false",
        "DECODE_ROLLUP_SPREAD": "true" if settings.decode_rollup_spread else "false",
        "DECODE_ARCHIVE_ITEMS": "true" if settings.decode_archive_items else "false",
        "MINUTE_READING_DAYS": str(settings.minute_reading_days),
        "RULES_SHARD_ENTERPRISES": str(settings.rules_shard_enterprises),
        "RULES_PLAN_CACHE_S": str(settings.rules_plan_cache),
        "RULES_EVERY_MINUTES": str(settings.rules_every_minutes),  # the scheduler floors its tick to the cadence
        "TERMINAL_STATE_REFRESH_S": str(settings.terminal_state_refresh),
        "REGISTRY_CACHE_S": str(settings.registry_cache),
        "REGISTRY_MARK_CHECK_S": str(settings.registry_mark_check),
        "RULES_WAIT_FOR_DECODE": "true",  # decode notes its progress per shard; the rules judge no later minute
        "DECODE_PARALLELIZATION": str(settings.decode_parallelization),  # > 1: other keys than groups are not noted
        "DECODE_HOLD_MAX_MINUTES": str(settings.decode_hold_max_minutes),  # ScheduleRules: a quiet group's hold
        "NOTIFY_SNS_REGION": settings.notify_sns_region,  # "" = no SNS channel (the sender is granted nothing)
        "NOTIFY_SNS_SENDER_ID": settings.notify_sns_sender_id,
        "NOTIFY_WECHAT_TEMPLATES": settings.notify_wechat_templates,  # deciding counts grants per template id
        # The county host's runner writes minute readings as buckets: every reader of the stage reads them too
        **({"READING_BUCKETS": "true"} if settings.platform_host else {}),
    }


def ingest_options(settings: StageSettings) -> dict[str, Any]:
    """The Ingest construct's settings that a stage's listener and every host group of it share."""
    return {
        "port": settings.ingest_port,
        "health_port": settings.health_port,
        "deletion_protection": settings.deletion_protection,
        "allowed_cidrs": settings.allowed_cidrs,
        "architecture": settings.architecture,
        "base_image": settings.container_base_image,
        "pip_index_url": settings.pip_index_url,
        "cpu_target_percent": settings.cpu_target_percent,
        "connections_per_task": settings.connections_per_task,
        "deregistration_delay": Duration.seconds(settings.deregistration_delay),
        "stop_timeout": Duration.seconds(settings.stop_timeout),
        "log_retention": RETENTION[settings.log_retention_days],
        "open_files": LISTENER_NOFILE,
        "container_insights": settings.container_insights,
    }


def listener_environment(settings: StageSettings, *, region: str, stream_name: str | None) -> dict[str, str]:
    """iot_ingest/config.py settings as IOT_INGEST_<FIELD> variables."""
    return {
        "IOT_INGEST_HOST": "0.0.0.0",
        "IOT_INGEST_PORT": str(settings.ingest_port),
        "IOT_INGEST_HEALTH_HOST": "0.0.0.0",
        "IOT_INGEST_HEALTH_PORT": str(settings.health_port),
        "IOT_INGEST_SINK": f"kinesis:{stream_name}" if stream_name is not None else "",
        "IOT_INGEST_STREAM_GROUPS": str(settings.stream_groups),  # partition keys g0…g<N-1>, even over the shards
        "IOT_INGEST_DRAIN_TIMEOUT": str(settings.drain_timeout),
        "IOT_INGEST_MAX_CONNECTIONS": str(settings.listener_max_connections),
        "IOT_INGEST_BATCH_LINGER": str(settings.listener_batch_linger_ms / 1000),
        "IOT_INGEST_LOG_LEVEL": settings.log_level,
        # AWS mode: terminals authenticate against the registry in DynamoDB (a copy of the county, reloaded)
        "IOT_INGEST_STORE_BACKEND": "dynamodb",
        "IOT_INGEST_DYNAMODB_TABLE_PREFIX": settings.tables_prefix,
        "IOT_INGEST_DYNAMODB_REGION": region,
        "IOT_INGEST_COUNTIES": ",".join(settings.listener_counties),
    }


def host_environment(
    settings: StageSettings, *, region: str, archive_bucket: str, group: HostGroup | None = None
) -> dict[str, str]:
    """The platform container's settings: local/'s LOCAL_<FIELD>, the listener's IOT_INGEST_<FIELD> (the one inside
    the runner), and what functions/_wiring.py reads for the decode and rules handlers the runner runs. `group`: a
    host of a province (host_groups) serving its counties (LOCAL_COUNTIES) as host LOCAL_HOST_ID; None: the county
    host, serving api_county_id."""
    wiring = {k: v for k, v in lambda_environment(settings).items() if not k.startswith("NOTIFY_")}
    listener = {
        k: v
        for k, v in listener_environment(settings, region=region, stream_name=None).items()
        if k not in ("IOT_INGEST_SINK", "IOT_INGEST_STREAM_GROUPS") and "_HOST" not in k and "_PORT" not in k
    }
    # The listener's per-source abuse limits as behind the NLB (iot_ingest's defaults): the embedded runner
    # relaxes them for one machine's simulators unless they are set, and this host faces the Internet.
    listener |= {"IOT_INGEST_CONN_RATE": str(HOST_CONN_RATE), "IOT_INGEST_CONN_BURST": str(HOST_CONN_BURST)}
    county = settings.api_county_id if group is None else group.counties[0]
    # A group's listener loads its counties' terminals; the runner evaluates each of them (LOCAL_COUNTIES), and
    # LOCAL_COUNTY_ID, COUNTY_ID name the first (the one-county settings a runner without the list would read).
    serving = (
        {}
        if group is None
        else {
            "LOCAL_COUNTIES": ",".join(group.counties),
            "LOCAL_HOST_ID": group.name,
            "IOT_INGEST_COUNTIES": ",".join(group.counties),
        }
    )
    return {
        "LOCAL_DATA_DIR": HOST_DATA_DIR,
        "LOCAL_HOST": "0.0.0.0",
        "LOCAL_PORT": str(settings.ingest_port),
        "LOCAL_HEALTH_PORT": str(settings.health_port),
        "LOCAL_STORE": "dynamodb",
        "LOCAL_DYNAMODB_TABLE_PREFIX": settings.tables_prefix,
        "LOCAL_DYNAMODB_REGION": region,
        "LOCAL_ARCHIVE_BUCKET": archive_bucket,
        "LOCAL_ARCHIVE_EVERY_S": str(settings.host_archive_every_s),
        # Minute readings kept on the data volume and written as per-point buckets (docs/deploy.md)
        "LOCAL_READING_BUCKET_MINUTES": str(settings.host_reading_bucket_minutes),
        "LOCAL_QUEUE_RESERVE_MB": str(HOST_QUEUE_RESERVE_MB),
        "LOCAL_HANG_AFTER_S": str(HOST_HANG_AFTER_S),
        # The bucket's ChainArchive function chains each new raw/ object (its role reads the manifests; the
        # task's only puts): the runner must not chain them too, it would need those reads (docs/deploy.md)
        "LOCAL_ARCHIVE_CHAIN": "false",
        "LOCAL_API": "false",  # the API stays a Lambda (Chalice)
        "LOCAL_NOTIFY": "false",  # notify stays Lambdas (the state table's stream, the sender)
        "LOCAL_SCHEDULED_JOBS": "false",  # escalate, maintenance, campaign stay scheduled Lambdas
        "LOCAL_EVALUATE_EVERY_S": str(settings.rules_every_minutes * 60),
        "LOCAL_COUNTY_ID": county,
        "LOCAL_DECODE_WORKERS": str(1 if group is None else group.decode_workers),
        "LOCAL_LOG_LEVEL": settings.log_level,
        **listener,
        **wiring,
        **serving,
        "COUNTY_ID": county,  # the one-runner evaluate handler's county (local mode)
        # Lambda sets the region itself (the wiring's DynamoDB region); ECS on EC2 does not, nor does boto3 guess it
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        # The runner holds each rule tick until its own queue has decoded the frames received before it
        # (local/scheduler.py): no decode progress notes in DynamoDB (their writes and reads cost).
        "RULES_WAIT_FOR_DECODE": "false",
    }


def grant_host(role: iam.IRole, tables: Mapping[str, dynamodb.ITableV2], bucket: s3.IBucket, key: kms.IKey) -> None:
    """A host's task role: the union of what decode, the rules and the archive writer may do as Lambdas (HOST_RUNS),
    table by table (read-write where any of them writes), and the archive writer's puts."""
    stack = Stack.of(role)
    writes = {t for name in HOST_RUNS for t in FUNCTION_DATA_ACCESS[name]["read_write"]}
    reads = {t for name in HOST_RUNS for t in FUNCTION_DATA_ACCESS[name]["read"]} - writes
    for table in sorted(reads):
        tables[table].grant_read_data(role)
    for table in sorted(writes):
        tables[table].grant_read_write_data(role)
    # ScheduleRules' key grants (SCHEDULE_RULES) are on the state table, which the role reads and writes whole.
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="ArchiveObjects",
            actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects(f"{p}*") for p in ARCHIVE_WRITER_PREFIXES],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="ArchiveKey",
            actions=["kms:GenerateDataKey"],  # a single PutObject under SSE-KMS (no multipart: no Decrypt)
            resources=[key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.{stack.url_suffix}"}},
        )
    )


def host_signals(ingest: Ingest, who: str = "the county host") -> list[ListenerSignal]:
    """A host: no NLB and no stream, so the instance in service (Auto Scaling group metric), the
    platform task running (AWS/ECS publishes the service's CPU each minute while a task runs; nothing when none
    does, so missing data breaches), the runner's decode backlog alarm (its log line, repeated while it lasts,
    counted), its workers' failures (their log lines, as Lambda errors would be on AWS) and decode's dead letters
    (its line repeated while queue.db's dead_frames is not empty, as the decode dead-letter queue's alarm)."""
    minute = Duration.minutes(1)
    assert ingest.host is not None and ingest.decode_backlog is not None and ingest.host_failures is not None
    assert ingest.host_dead_frames is not None
    running = cw.Metric(
        namespace="AWS/ECS",
        metric_name="CPUUtilization",
        dimensions_map={
            "ClusterName": ingest.cluster.cluster_name,
            "ServiceName": ingest.service.service_name,
        },
        statistic="SampleCount",
        period=minute,
    )
    return [
        ListenerSignal("ListenerOutOfService", ingest.host.in_service, 0, 3,
                       f"{who}'s instance is not in service", below=True),
        ListenerSignal("PlatformNotRunning", running, 0, 5,
                       f"the platform task has not run on {who} for 5 minutes", below=True),
        ListenerSignal("DecodeBacklog", ingest.decode_backlog, 1, 1,
                       f"{who}'s oldest undecoded frame waited past its backlog limit"),
        ListenerSignal("HostWorkerFailures", ingest.host_failures, 1, 1,
                       f"{who} killed or restarted a worker, or an archive cut, bucket flush or rule "
                       "tick failed"),
        ListenerSignal("HostDeadFrames", ingest.host_dead_frames, 1, 1,
                       f"decode set frame records aside on {who} (queue.db dead_frames): requeue or "
                       "discard them"),
    ]  # fmt: skip


def shared_export(shared_stack_name: str, what: str) -> str:
    """The name of a province stage's shared export (`<stack>-<what>`): fixed, so that a group's import never
    depends on what the other groups reference (host_group.py imports them by these names)."""
    return f"{shared_stack_name}-{what}"


def ingest_outputs(stack: Stack, ingest: Ingest, port: int, what: str = "the county host's") -> None:
    """The terminals' endpoint (address, port), the listener's group and, on a host, its data volume."""
    for i, eip in enumerate(ingest.elastic_ips, start=1):
        CfnOutput(stack, f"TerminalIp{i}", value=eip.attr_public_ip, description="configure terminals with this IP")
    for i, allocation in enumerate(ingest.allocation_ids, start=1):
        CfnOutput(stack, f"TerminalIpAllocation{i}", value=allocation, description="Elastic IP allocation id")
    CfnOutput(stack, "TerminalPort", value=str(port))
    if ingest.load_balancer is not None:
        CfnOutput(stack, "LoadBalancerDns", value=ingest.load_balancer.load_balancer_dns_name)
    if ingest.host is not None:
        group = ingest.host.group.auto_scaling_group_name
        CfnOutput(stack, "ListenerGroup", value=group, description="the listener instance's Auto Scaling group")
    volume = ingest.host.volume if ingest.host is not None else None
    if volume is not None:
        CfnOutput(stack, "HostDataVolume", value=volume.volume.volume_id,
                  description=f"{what} frame queue volume (kept on delete; daily snapshots)")  # fmt: skip


class PlatformStack(Stack):
    """Everything one stage needs: storage, stream, functions, listener, the HTTP API, alarms."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings, source: SourceLayout) -> None:
        env = Environment(account=settings.account, region=settings.region) if settings.account else None
        super().__init__(scope, construct_id, env=env, description=f"工况用电监控平台 ({settings.name})")
        Tags.of(self).add("Project", "gongkuang-power")
        Tags.of(self).add("Stage", settings.name)
        retention = RETENTION[settings.log_retention_days]
        removal = RemovalPolicy.RETAIN if settings.retain_data else RemovalPolicy.DESTROY

        self.storage = Storage(
            self,
            "Storage",
            table_prefix=settings.tables_prefix,
            deletion_protection=settings.deletion_protection,
            removal_policy=removal,
            recoverable=RECOVERABLE_TABLES,
            streams=(schema.STATE,),  # alarm changes → the notify decider
            capacity=ProvisionedCapacity(
                tables=settings.dynamodb_provisioned_tables,
                target_percent=settings.dynamodb_target_percent,
                min_units=settings.dynamodb_min_units,
                max_units=settings.dynamodb_max_units,
            ),
            infrequent_access=settings.dynamodb_infrequent_access_tables,
        )
        self.stream = Stream(
            self,
            "Stream",
            on_demand=settings.stream_on_demand,
            shard_count=settings.stream_shards,
            retention=Duration.hours(settings.stream_retention_hours),
            infrequent_access_after=Duration.days(settings.archive_infrequent_access_days),
            glacier_after=Duration.days(settings.archive_glacier_days),
            deep_archive_after=Duration.days(settings.archive_deep_archive_days),
            removal_policy=removal,
            log_retention=retention,
            lock_mode=settings.archive_lock_mode,
            lock_days=settings.archive_lock_days,
            with_firehose=settings.archive_writer == "firehose" and not settings.platform_host,
            with_stream=not settings.platform_host,
        )
        self.vpc = self._vpc(settings)
        scheduled = [
            ScheduledHandler(name, handler, every or settings.escalate_every_minutes)
            for name, handler, every in SCHEDULED_HANDLERS
        ]
        # The notification providers' settings as JSON (monitoring/notify/channels/settings.py), set by operators;
        # the ARN is in every function's environment, only the sender (and the API, for login codes) may read it.
        # It starts as "{}" (valid: no provider), not a generated random string the sender could not parse.
        # secrets_store=ssm: it and the API's two are SecureStrings the operator puts (infra/secret_parameters.py).
        self.secret_parameters = parameter_names(settings) if settings.secrets_store == "ssm" else None
        self.notify_secret: secretsmanager.Secret | None = None
        if self.secret_parameters is None:
            self.notify_secret = secretsmanager.Secret(
                self,
                "NotifyChannels",
                description="通知渠道配置（短信、微信、企业微信密钥），JSON，见 docs/notify.md",
                secret_string_value=SecretValue.unsafe_plain_text("{}"),
            )
            self.notify_channels = StoredSecret(self.notify_secret)
        else:
            self.notify_channels = StoredSecret(parameter=self.secret_parameters.notify_channels)
        self.functions = Functions(
            self,
            "Functions",
            source_directory=str(source.root),
            requirements=source.requirements,
            constraints_file=str(source.constraints_file),
            frame_stream=self.stream.stream,  # None on the county host: its runner decodes
            decode_handler=DECODE_HANDLER,
            scheduled=scheduled,
            rules=None
            if settings.platform_host  # the county host's runner evaluates the rules
            else RulesFanOut(
                scheduler_handler=RULES_SCHEDULER_HANDLER,
                worker_handler=RULES_WORKER_HANDLER,
                worker_timeout=Duration.seconds(settings.rules_timeout),
                max_concurrency=settings.rules_concurrency,
                every_minutes=settings.rules_every_minutes,
                snapshots=settings.rules_snapshots,
                snapshot_removal=removal,
            ),
            build=BuildSources(settings.architecture, settings.pip_index_url, settings.bundling_image),
            environment=lambda_environment(settings) | {"NOTIFY_CHANNELS_SECRET": self.notify_channels.source},
            memory_mib=settings.function_memory_mib,
            decode_timeout=Duration.seconds(settings.decode_timeout),
            batch_size=settings.decode_batch_size,
            batching_window=Duration.seconds(settings.decode_batching_window),
            parallelization=settings.decode_parallelization,
            max_record_age=Duration.hours(settings.decode_max_record_age_hours),
            log_retention=retention,
        )
        self.settings, self.source = settings, source
        # A province as a tier of hosts (host_groups): each group's instance is in a stack of its own
        # (infra/stacks/host_group.py); this stack keeps what they share.
        self.ingest: Ingest | None = None
        if not settings.host_groups:
            self.ingest = Ingest(
                self,
                "Ingest",
                vpc=self.vpc,
                image_directory=str(source.root),
                image_file=source.host_dockerfile if settings.platform_host else source.dockerfile,
                allocation_ids=settings.elastic_ip_allocation_ids,
                environment=(self._host_environment if settings.platform_host else self._listener_environment)(
                    settings
                ),
                cpu=settings.listener_cpu,
                memory_mib=settings.listener_memory_mib,
                min_tasks=settings.listener_min_tasks,
                max_tasks=settings.listener_max_tasks,
                spot=settings.listener_spot,
                on_demand_base=settings.listener_on_demand_base,
                metrics_namespace=settings.metrics_namespace,
                compute=settings.listener_compute,
                instance_type=settings.listener_instance_type,
                platform_host=PlatformHost(
                    volume_gib=settings.host_data_volume_gib,
                    snapshots_kept=settings.host_snapshots_kept,
                    zone_index=settings.host_zone,
                    restore_snapshot_id=settings.host_data_snapshot_id,
                    removal_policy=RemovalPolicy.RETAIN,  # the frame queue: never deleted with the stack
                )
                if settings.platform_host
                else None,
                **ingest_options(settings),
            )
        self.api = Api(
            self,
            "Api",
            source_directory=str(source.root),
            shared_layer=self.functions.dependencies,
            requirements=source.api_requirements,
            constraints_file=str(source.constraints_file),
            build=BuildSources(settings.architecture, settings.pip_index_url, settings.bundling_image),
            environment=api_environment(settings, self.region),
            limits=ApiLimits(
                waf_rate_limit=settings.api_waf_rate_limit,
                waf_window=settings.api_waf_window,
                throttle_rate=settings.api_throttle_rate,
                throttle_burst=settings.api_throttle_burst,
                memory_mib=settings.api_memory_mib,
                timeout=Duration.seconds(settings.api_timeout),
                waf=settings.api_waf,
            ),
            stage_name=settings.name,
            cors_origin=settings.api_cors_origin,
            wechat_secret_parameter=settings.api_wechat_secret_parameter,
            notify_channels=self.notify_channels,
            secret_parameters=self.secret_parameters,
            photo_incoming_days=settings.api_photo_incoming_days,
            access_logs_bucket=self.stream.access_log_bucket,
            removal_policy=removal,
            log_retention=retention,
            log_level=settings.log_level,
            cloudwatch_role=settings.api_cloudwatch_role,
        )
        # No distribution where CloudFront cannot serve it (China regions): docs/deploy.md "The dashboard".
        self.web = (
            Web(
                self,
                "Web",
                rest_api=self.api.rest_api,
                photos=self.api.photos,
                access_logs_bucket=self.stream.access_log_bucket,
                site_directory=source.web_dist,
                removal_policy=removal,
            )
            if settings.web_distribution
            else None
        )
        # Alarm changes reach the decider within seconds through the state table's stream (alarm items only).
        self.functions.add_stream_handler(
            "NotifyOnAlarm", "functions.on_alarm_change_notify.handler", self.storage.tables[schema.STATE], "alarm#"
        )
        # Evidence packages carry frames and manifests from the raw archive (the API reads, never lists).
        self.api.read_archive(
            self.stream.archive_bucket, self.stream.key, (ARCHIVE_CHAIN_PREFIX, ARCHIVE_MANIFEST_PREFIX)
        )
        # Each delivered raw archive object gets a manifest and a link on the global chain (raw frames live in S3).
        self.functions.add_archive_handler(
            "ChainArchive", ARCHIVE_CHAIN_HANDLER, self.stream.archive_bucket, self.stream.key, ARCHIVE_CHAIN_PREFIX,
            ARCHIVE_MANIFEST_PREFIX,
        )  # fmt: skip
        frames = self.stream.stream
        self.archive_writer = settings.archive_writer == "lambda" and frames is not None
        self.archive_writer_prefixes = ARCHIVE_WRITER_PREFIXES
        if self.archive_writer and frames is not None:
            self.functions.add_archive_writer(
                "ArchiveWriter", ARCHIVE_WRITER_HANDLER, frames, self.stream.archive_bucket,
                self.stream.key, ARCHIVE_WRITER_PREFIXES,
                ArchiveWriting(
                    batch_size=settings.archive_batch_size,
                    batching_window=Duration.seconds(settings.archive_batching_window),
                    max_record_age=Duration.hours(settings.decode_max_record_age_hours),
                ),
            )  # fmt: skip
        self._grant()
        self._drive_sender()
        # Only the sender and the API (SMS login codes) read the provider settings: docs/notify.md.
        self.notify_channels.grant_read(self, self.functions.functions["NotifySend"])
        self.sns_sms_region = settings.notify_sns_region
        if self.sns_sms_region:
            self._grant_sns_sms(self.sns_sms_region)

        self.alarms = Alarms(
            self,
            "Alarms",
            dashboard_name=f"gongkuang-{settings.name}",
            functions={**self.functions.functions, "Api": self.api.function},  # errors: failures, not 4xx/5xx answers
            stream_function=self.functions.decode,  # None on the county host: no stream, no iterator age
            iterator_age_threshold=Duration.seconds(settings.iterator_age_alarm),
            tables=self.storage.tables,
            dead_letters={
                name: queue
                for name, queue in (
                    ("DeadLetters", self.functions.dead_letters),
                    ("RuleShardDeadLetters", self.functions.rule_shard_failures),
                    ("ArchiveDeadLetters", self.functions.archive_writer_failures if self.archive_writer else None),
                )
                if queue is not None
            },
            listener=self._listener_signals(),
            unacknowledged_frames=self.ingest.unacknowledged_frames if self.ingest is not None else None,
            alarm_email=settings.alarm_email,
            dashboard=settings.dashboard,
            per_function=settings.function_alarms == "each",
            queued_by_throttle=("NotifySend",),  # enqueuers' invokes wait in Lambda's queue while it runs
            topic_key=settings.alarm_topic_key,
            signals=self._decode_hold_signals(settings),
        )
        self._outputs(settings)
        # The Firehose L2 adds a CIDR mapping used only by Redshift/Splunk destinations; ours is S3, so it would
        # be an unreferenced Mappings entry in the template.
        self.node.try_remove_child("@aws-cdk--aws-kinesisfirehose.CidrBlocks")
        suppress_reviewed_findings(self)

    def _vpc(self, settings: StageSettings) -> ec2.IVpc:
        """A new VPC of public subnets only (no NAT gateway), or the configured one, without lookups.

        Tasks get a public IP for their outbound calls (Kinesis, DynamoDB, ECR, logs); inbound, their security
        group admits only the NLB's security group, so a task's address answers nobody else (docs/deploy.md)."""
        if settings.existing_vpc:
            v = settings.existing_vpc
            return ec2.Vpc.from_vpc_attributes(
                self,
                "Vpc",
                vpc_id=v.vpc_id,
                availability_zones=list(v.availability_zones),
                public_subnet_ids=list(v.public_subnet_ids),
                private_subnet_ids=list(v.private_subnet_ids),
            )
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=settings.max_azs,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
            ],
        )
        # Flow logs to S3 (half the CloudWatch Logs ingestion price), 10-minute aggregation, expiring by lifecycle.
        logs_bucket = self.stream.access_log_bucket
        logs_bucket.add_lifecycle_rule(
            id="expire-flow-logs", prefix=f"{FLOW_LOG_PREFIX}/", expiration=Duration.days(settings.flow_log_days)
        )
        vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_s3(logs_bucket, f"{FLOW_LOG_PREFIX}/"),
            traffic_type=getattr(ec2.FlowLogTrafficType, settings.flow_log_traffic),
            max_aggregation_interval=ec2.FlowLogMaxAggregationInterval.TEN_MINUTES,
        )
        return vpc

    def _decode_hold_signals(self, settings: StageSettings) -> list[ListenerSignal]:
        """ScheduleRules stops holding the rules for a stream group stuck past decode_hold_max_minutes: its frames
        are judged without their records (they return as backfill). Its warning line, counted by a metric filter
        (every stage: EMF may be off), is an operator's cue to look at that lane (docs/rules.md)."""
        scheduler = self.functions.functions.get("ScheduleRules")
        if scheduler is None:  # the county host: its runner waits on its own queue, nothing is released
            return []
        released = scheduler.log_group.add_metric_filter(
            "DecodeHoldReleased",
            filter_pattern=logs.FilterPattern.string_value("$.message", "=", DECODE_HOLD_RELEASED_MESSAGE),
            metric_namespace=settings.metrics_namespace,
            metric_name="DecodeHoldReleasedLogged",
            metric_value="1",
            default_value=0,
        )
        metric = released.metric(statistic="Sum", period=Duration.minutes(5))
        why = f"a decode lane stuck over {settings.decode_hold_max_minutes} min: its group is judged without it"
        return [ListenerSignal("DecodeHoldReleased", metric, 1, 1, why)]

    def _listener_signals(self) -> list[ListenerSignal]:
        """What says the listener is down: the NLB's connections and target health, or, on one EC2 instance (no
        NLB, and the listener publishes no connection metric), the group's instance in service and the frames
        reaching the stream (free metrics: Auto Scaling group metrics, Kinesis stream-level metrics)."""
        minute = Duration.minutes(1)
        ingest = self.ingest
        if ingest is None:  # host groups: each group's stack alarms on its own host
            return []
        if ingest.host is not None and ingest.platform_host is not None:
            return host_signals(ingest)
        if ingest.host is not None:
            assert self.stream.stream is not None
            frames = self.stream.stream.metric_incoming_records(period=minute, statistic="Sum")
            return [
                ListenerSignal("NoFrames", frames, 0, 5, "no frame has reached the stream for 5 minutes", below=True),
                ListenerSignal("ListenerOutOfService", ingest.host.in_service, 0, 3,
                               "the listener instance is not in service", below=True),
            ]  # fmt: skip
        assert ingest.load_balancer is not None and ingest.target_group is not None
        return [
            ListenerSignal("NoConnections", ingest.load_balancer.metrics.active_flow_count(period=minute), 0, 5,
                           "no terminal is connected to the listeners", below=True),
            ListenerSignal("UnhealthyListeners", ingest.target_group.metrics.un_healthy_host_count(period=minute), 1,
                           2, "a listener task fails its health check"),
        ]  # fmt: skip

    def _host_environment(self, settings: StageSettings) -> dict[str, str]:
        """The county host's platform container settings (host_environment)."""
        return host_environment(settings, region=self.region, archive_bucket=self.stream.archive_bucket.bucket_name)

    def _listener_environment(self, settings: StageSettings) -> dict[str, str]:
        """iot_ingest/config.py settings as IOT_INGEST_<FIELD> variables (listener_environment)."""
        stream = self.stream.stream
        return listener_environment(settings, region=self.region, stream_name=stream.stream_name if stream else None)

    def _grant(self) -> None:
        tables = self.storage.tables
        for name, access in FUNCTION_DATA_ACCESS.items():
            fn = self.functions.functions.get(name)
            if fn is None:
                continue
            for table in access["read"]:
                tables[table].grant_read_data(fn)
            for table in access["read_write"]:
                tables[table].grant_read_write_data(fn)
        for table in API_DATA_ACCESS["read"]:
            tables[table].grant_read_data(self.api.role)
        for table in API_DATA_ACCESS["read_write"]:
            tables[table].grant_read_write_data(self.api.role)
        if self.ingest is None:
            pass  # host groups: each group's stack grants its own task role (grant_host)
        elif self.stream.stream is None:
            grant_host(self.ingest.task_definition.task_role, tables, self.stream.archive_bucket, self.stream.key)
        else:
            # The listener only appends frame records; it never reads the stream.
            self.stream.stream.grant_write(self.ingest.task_definition.task_role)
            self.ingest.grant_listener_data(tables)
        for name, grants in FUNCTION_KEY_GRANTS.items():
            granted = self.functions.functions.get(name)  # ScheduleRules: not on the county host
            if granted is None:
                continue
            for statement in key_grant_statements(grants, tables):
                granted.add_to_role_policy(statement)
        # The dead-letter queue: the event source mapping sends batch pointers there with the function's role, and
        # decode itself sets poison records aside there (DECODE_DEAD_LETTER_QUEUE_URL).
        if self.functions.dead_letters is not None and self.functions.decode is not None:
            self.functions.dead_letters.grant_send_messages(self.functions.decode)

    def _drive_sender(self) -> None:
        """Each enqueuer may invoke NotifySend (the function's ARN only: no versions, no other function) and is told
        its name. The sender keeps reserved concurrency 1, so Lambda's asynchronous queue holds an invoke that
        arrives while it runs and retries it; a run that fails is not repeated (the safety net runs each minute)."""
        sender = self.functions.functions["NotifySend"]
        sender.configure_async_invoke(retry_attempts=0, max_event_age=NOTIFY_SEND_EVENT_AGE)
        for name in NOTIFY_ENQUEUERS:
            fn = self.functions.functions[name]
            fn.add_environment("NOTIFY_SEND_FUNCTION", sender.function_name)
            fn.add_to_role_policy(
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[sender.function_arn])
            )

    def _grant_sns_sms(self, region: str) -> None:
        """The sender may Publish SMS to phone numbers in `region` and nothing else of SNS. A publish to a phone
        number has no resource ARN (IAM sees "*", and SNS has no condition key for the number), so the allow is
        "*" narrowed to the region, and a deny takes back every topic and platform endpoint (those have ARNs)."""
        role = self.functions.functions["NotifySend"].role
        assert role is not None
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                resources=["*"],
                conditions={"StringEquals": {"aws:RequestedRegion": region}},
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=["sns:Publish"],
                resources=[f"arn:{self.partition}:sns:*:*:*"],
            )
        )

    @staticmethod
    def data_access(function_name: str) -> set[str]:
        """Logical names of the tables a function may read or write."""
        access = FUNCTION_DATA_ACCESS.get(function_name, {})
        return set(access.get("read", ())) | set(access.get("read_write", ()))

    @staticmethod
    def host_data_access() -> set[str]:
        """Logical names of the tables the county host's task may read or write (HOST_RUNS' union)."""
        return set().union(*(PlatformStack.data_access(name) for name in HOST_RUNS))

    @staticmethod
    def api_data_access() -> set[str]:
        """Logical names of the tables the API may read or write."""
        return set(API_DATA_ACCESS["read"]) | set(API_DATA_ACCESS["read_write"])

    @staticmethod
    def table_has_indexes(table_name: str) -> bool:
        spec = schema.TABLES_BY_NAME[table_name]
        return bool(spec.indexes or spec.local_indexes)

    def _network_exports(self) -> None:
        """The VPC and every public subnet, exported whether or not a group uses the zone today. CDK's automatic
        exports follow what the groups reference: moving a group to another zone (a restore) or removing a zone's
        last group would make this stack delete an export a running group still imports, and its update fail."""
        CfnOutput(self, "VpcId", value=self.vpc.vpc_id, export_name=shared_export(self.stack_name, "VpcId"))
        for i, subnet in enumerate(self.vpc.public_subnets):
            CfnOutput(self, f"PublicSubnet{i}", value=subnet.subnet_id,
                      export_name=shared_export(self.stack_name, f"PublicSubnet{i}"))  # fmt: skip

    def _outputs(self, settings: StageSettings) -> None:
        if self.ingest is not None:
            ingest_outputs(self, self.ingest, settings.ingest_port)
        if self.stream.stream is not None:
            CfnOutput(self, "FrameStream", value=self.stream.stream.stream_name)
        bucket = self.stream.archive_bucket
        if settings.host_groups:  # named exports: each host group's stack imports them (host_group.py)
            CfnOutput(self, "ArchiveBucket", value=bucket.bucket_name,
                      export_name=shared_export(self.stack_name, "ArchiveBucket"))  # fmt: skip
            CfnOutput(self, "ArchiveBucketArn", value=bucket.bucket_arn,
                      export_name=shared_export(self.stack_name, "ArchiveBucketArn"))  # fmt: skip
            self._network_exports()
        else:
            CfnOutput(self, "ArchiveBucket", value=bucket.bucket_name)
        if self.functions.dead_letters is not None:
            CfnOutput(self, "DeadLetterQueue", value=self.functions.dead_letters.queue_url)
        if self.archive_writer:
            CfnOutput(self, "ArchiveDeadLetterQueue", value=self.functions.archive_writer_failures.queue_url)
        if self.alarms.dashboard is not None:
            CfnOutput(self, "Dashboard", value=self.alarms.dashboard.dashboard_name)
        CfnOutput(self, "AlarmTopic", value=self.alarms.topic.topic_arn)
        CfnOutput(self, "ApiUrl", value=f"{self.api.rest_api.url}api/v1/", description="the HTTP API's base URL")
        # A secret's ARN, or "ssm:<name>" of the SecureString parameter (secrets_store=ssm)
        CfnOutput(self, "ApiTokenKeySecret", value=self.api.token_key_source.source)
        CfnOutput(
            self,
            "ApiWechatSecret",
            value=self.api.wechat_secret_source.source,
            description="store the mini-program's AppSecret here (docs/deploy.md, The HTTP API)",
        )
        CfnOutput(self, "NotifyChannelsSecret", value=self.notify_channels.source,
                  description="the notification providers' settings (docs/notify.md)")  # fmt: skip
        CfnOutput(self, "PhotoBucket", value=self.api.photos.bucket_name)
        if self.api.web_acl is not None:
            CfnOutput(self, "ApiWebAcl", value=self.api.web_acl.attr_arn)
        if self.web is not None:
            CfnOutput(self, "WebUrl", value=f"https://{self.web.distribution.distribution_domain_name}/",
                      description="the dashboard (and /api/v1/ on the same origin)")  # fmt: skip
            CfnOutput(self, "WebBucket", value=self.web.bucket.bucket_name)
