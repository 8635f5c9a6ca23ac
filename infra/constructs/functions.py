"""Functions: the Lambda handlers of functions/ (docs/contracts.md §3) with their triggers.

More: docs/deploy.md, "Module notes".
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, Duration, ILocalBundling, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from constructs import Construct

RUNTIME = lambda_.Runtime.PYTHON_3_11
ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}
# pip's platform tag of each architecture, for wheels built on another machine.
WHEEL_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
RULE_SHARD_RECEIVES = 3  # a shard message failing this often goes to the dead letters
# SQS FIFO drops a message id sent again within this window: a retried schedule run must fall inside it
FIFO_DEDUPLICATION = Duration.minutes(5)
# The code asset is the repository root minus everything but these folders (our runtime packages + data files).
SNAPSHOT_PREFIX = "rules-snapshots/"  # monitoring.rules.warm_snapshot.PREFIX (infra does not import monitoring.rules)
CODE_PACKAGES = ("functions", "monitoring", "hj212", "data")


def code_excludes(packages: Sequence[str]) -> list[str]:
    """Asset exclude patterns that keep only `packages` (top-level folders of the repository root)."""
    kept = [f"!{p}" for p in packages] + [f"!{p}/**" for p in packages]
    return ["*", ".*", *kept, "**/__pycache__", "**/*.pyc", "**/py.typed"]


CODE_EXCLUDES = code_excludes(CODE_PACKAGES)


@dataclass(frozen=True, slots=True)
class ScheduledHandler:
    """A handler run by an EventBridge schedule: construct id, `module.function` path, rate in minutes."""

    construct_id: str
    handler: str
    every_minutes: int


@dataclass(frozen=True, slots=True)
class RulesFanOut:
    """Rules evaluation fanned out: a scheduled handler enqueues shard messages, a worker evaluates each."""

    scheduler_handler: str
    worker_handler: str
    worker_timeout: Duration
    max_concurrency: int  # most shards evaluated at once (SQS event source maximum concurrency)
    every_minutes: int = 1  # minutes between ticks (stage setting rules_every_minutes)
    # Per-shard snapshots of the rule windows in a bucket of their own (docs/rules.md, warm_shards); False: none
    snapshots: bool = True
    snapshot_removal: RemovalPolicy = RemovalPolicy.DESTROY


def rules_schedule(every_minutes: int) -> events.Schedule:
    """Every minute, or on the minutes of the hour divisible by `every_minutes` (a cron, not a rate: the tick minutes
    are the same whenever the stack was deployed, and the scheduler floors its event's time to them anyway)."""
    if every_minutes == 1:
        return events.Schedule.rate(Duration.minutes(1))
    return events.Schedule.cron(minute=f"0/{every_minutes}")


@dataclass(frozen=True, slots=True)
class ArchiveWriting:
    """The archive writer's event source: records per batch, the longest wait for one, retries' age limit."""

    batch_size: int
    batching_window: Duration
    max_record_age: Duration


@dataclass(frozen=True, slots=True)
class BuildSources:
    """Where the layer build gets its wheels: the architecture, a PyPI index ("" = pip's), the Docker fallback."""

    architecture: str
    pip_index_url: str
    bundling_image: str


def pip_command(
    output_dir: str, requirements: Sequence[str], constraints: str, build: BuildSources, *, no_deps: bool = False
) -> list[str]:
    """The pip invocation that installs the layer's wheels for the Lambda platform of `build.architecture`."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-deps"] if no_deps else []
    command += ["--target", str(Path(output_dir) / "python"), "--no-compile", "--only-binary=:all:"]
    command += ["--platform", WHEEL_PLATFORMS[build.architecture], "--implementation", "cp", "--python-version", "3.11"]
    if build.pip_index_url:
        command += ["--index-url", build.pip_index_url]
    return [*command, "-c", constraints, *requirements]


@jsii.implements(ILocalBundling)
class PipLayerBundling:
    """Builds the dependencies layer without Docker: pip installs manylinux wheels for CPython 3.11."""

    def __init__(
        self, requirements: Sequence[str], constraints: str, build: BuildSources, *, no_deps: bool = False
    ) -> None:
        self.requirements = list(requirements)
        self.constraints = constraints
        self.build = build
        self.no_deps = no_deps

    def try_bundle(self, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        command = pip_command(output_dir, self.requirements, self.constraints, self.build, no_deps=self.no_deps)
        return subprocess.run(command, check=False).returncode == 0  # False: CDK falls back to the Docker image


def _layer_hash(requirements: Sequence[str], constraints_file: str, architecture: str) -> str:
    digest = hashlib.sha256("\n".join([architecture, *requirements]).encode())
    digest.update(Path(constraints_file).read_bytes())
    return digest.hexdigest()


def dependency_layer(
    scope: Construct,
    construct_id: str,
    *,
    requirements: Sequence[str],
    constraints_file: str,
    build: BuildSources,
    description: str,
    no_deps: bool = False,
) -> lambda_.LayerVersion:
    """A layer of pinned wheels for the Lambda platform: pip locally, the bundling image as the fallback."""
    architecture = ARCHITECTURES[build.architecture]
    index = f"--index-url {build.pip_index_url} " if build.pip_index_url else ""
    flags = "--no-deps " if no_deps else ""
    return lambda_.LayerVersion(
        scope,
        construct_id,
        compatible_runtimes=[RUNTIME],
        compatible_architectures=[architecture],
        description=description,
        code=lambda_.Code.from_asset(
            str(Path(constraints_file).parent),
            exclude=["*", ".*"],  # the layer content is the bundling output, not the source folder
            # The layer changes exactly when the requirement list or the lock does.
            asset_hash_type=AssetHashType.CUSTOM,
            asset_hash=_layer_hash(
                [flags.strip(), *requirements] if no_deps else requirements, constraints_file, build.architecture
            ),
            bundling=BundlingOptions(
                image=DockerImage.from_registry(build.bundling_image),
                platform=f"linux/{'arm64' if build.architecture == 'arm64' else 'amd64'}",
                local=PipLayerBundling(requirements, constraints_file, build, no_deps=no_deps),
                command=["bash", "-c", f"pip install {flags}{index}-t /asset-output/python " + " ".join(requirements)],
            ),
        ),
    )


class Functions(Construct):
    """decode (stream), scheduled handlers, dead-letter queue and the dependencies layer, as attributes."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_directory: str,
        requirements: Sequence[str],
        constraints_file: str,
        frame_stream: kinesis.IStream | None,
        decode_handler: str,
        scheduled: Sequence[ScheduledHandler],
        rules: RulesFanOut | None,
        build: BuildSources,
        environment: Mapping[str, str],
        memory_mib: int,
        decode_timeout: Duration,
        batch_size: int,
        batching_window: Duration,
        parallelization: int,
        max_record_age: Duration,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.environment = dict(environment)
        self.log_retention = log_retention
        self.memory_mib = memory_mib
        self.architecture = ARCHITECTURES[build.architecture]
        self.code = lambda_.Code.from_asset(source_directory, exclude=CODE_EXCLUDES)
        self.dependencies = dependency_layer(
            self,
            "Dependencies",
            requirements=requirements,
            constraints_file=constraints_file,
            build=build,
            description="third-party runtime dependencies (pyproject.toml, pinned by requirements.lock)",
        )
        self.functions: dict[str, lambda_.Function] = {}

        # Decode and the rules' fan-out are absent on the county host, whose runner does both (frame_stream and
        # rules None): no queue, no function, and their variables empty in every function's environment.
        self.dead_letters: sqs.Queue | None = None
        self.decode: lambda_.Function | None = None
        self.rule_shards: sqs.Queue | None = None
        self.rule_shard_failures: sqs.Queue | None = None
        self.rule_snapshots: s3.Bucket | None = None
        self.rules_scheduler: lambda_.Function | None = None
        self.rules_worker: lambda_.Function | None = None
        self.environment.update(DECODE_DEAD_LETTER_QUEUE_URL="", RULES_SHARD_QUEUE_URL="", RULES_SNAPSHOT_BUCKET="")
        if frame_stream is not None:
            self.dead_letters = sqs.Queue(
                self,
                "DecodeFailures",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=Duration.days(14),
            )
            # Read by functions/_wiring.py (decode only uses it; every function gets the same environment).
            self.environment["DECODE_DEAD_LETTER_QUEUE_URL"] = self.dead_letters.queue_url
        if rules is not None:
            self._rule_queues(rules.worker_timeout, rules.every_minutes)
            self._rule_snapshots(rules)
        if frame_stream is not None and self.dead_letters is not None:
            self.decode = self._function("Decode", decode_handler, decode_timeout, reserved=None)
            self.decode.add_event_source(
                sources.KinesisEventSource(
                    frame_stream,
                    starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                    batch_size=batch_size,
                    max_batching_window=batching_window,
                    bisect_batch_on_error=True,
                    report_batch_item_failures=True,
                    max_record_age=max_record_age,  # retry_attempts unset: -1, retried until max_record_age
                    parallelization_factor=parallelization,
                    on_failure=sources.SqsDlq(self.dead_letters),
                )
            )
        self.schedules: dict[str, events.Rule] = {}
        for spec in scheduled:
            # One run at a time: a slow run must not overlap the next tick (rules are deterministic per tick).
            fn = self._function(
                spec.construct_id, spec.handler, Duration.seconds(spec.every_minutes * 60 - 5), reserved=1
            )
            rule = events.Rule(
                self,
                f"{spec.construct_id}Schedule",
                schedule=events.Schedule.rate(Duration.minutes(spec.every_minutes)),
            )
            rule.add_target(
                targets.LambdaFunction(fn, retry_attempts=2, max_event_age=Duration.minutes(spec.every_minutes))
            )
            self.schedules[spec.construct_id] = rule
        if rules is not None:
            self._fan_out_rules(rules)

    def _rule_queues(self, worker_timeout: Duration, every_minutes: int) -> None:
        """The shard queue (and its dead letters); every function's environment names it, like the DLQ above."""
        # Lambda's advice for SQS sources: six times the function timeout, so a throttled batch is not delivered
        # again while it still waits to run. A failed shard's later ticks wait behind it (FIFO).
        visibility = worker_timeout.to_seconds() * 6
        self.rule_shard_failures = sqs.Queue(
            self,
            "RuleShardFailures",
            fifo=True,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(4),
        )
        # FIFO: one message group per shard, so a shard's ticks are evaluated one at a time and in order, and the
        # deduplication id (county, shard, tick) drops what a retried scheduler run sends again.
        self.rule_shards = sqs.Queue(
            self,
            "RuleShards",
            fifo=True,
            deduplication_scope=sqs.DeduplicationScope.MESSAGE_GROUP,
            fifo_throughput_limit=sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            # A shard not evaluated within a few ticks is superseded by newer ticks; keep it only for the record, but
            # long enough for its receives to run out and move it to the dead letters (a long timeout's visibility)
            retention_period=Duration.seconds(max(3600, visibility * RULE_SHARD_RECEIVES + every_minutes * 60)),
            visibility_timeout=Duration.seconds(visibility),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=RULE_SHARD_RECEIVES, queue=self.rule_shard_failures
            ),
        )
        self.environment["RULES_SHARD_QUEUE_URL"] = self.rule_shards.queue_url

    def _rule_snapshots(self, rules: RulesFanOut) -> None:
        """A bucket of its own for the rule shards' window snapshots: derived, rewritten every minute and useless
        after a few, so no versioning, no lock, no archive lifecycle (the archive bucket's Object Lock would keep
        every minute's version) and expiry after a day."""
        if rules.snapshots:
            self.rule_snapshots = s3.Bucket(
                self,
                "RuleSnapshots",
                encryption=s3.BucketEncryption.S3_MANAGED,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                removal_policy=rules.snapshot_removal,
                lifecycle_rules=[s3.LifecycleRule(id="expire-snapshots", expiration=Duration.days(1))],
            )
        self.environment["RULES_SNAPSHOT_BUCKET"] = self.rule_snapshots.bucket_name if self.rule_snapshots else ""

    def _fan_out_rules(self, rules: RulesFanOut) -> None:
        """ScheduleRules (every `rules.every_minutes`) -> one SQS message per shard of a county -> Evaluate, one each.

        SQS and not Step Functions Map: a shard is one message (no state-transition charge per shard per minute),
        the FIFO groups serialise a shard's ticks, and maximum concurrency caps the load on DynamoDB."""
        # One run at a time: two planners in one minute would enqueue every shard twice.
        scheduler = self._function("ScheduleRules", rules.scheduler_handler, Duration.seconds(55), reserved=1)
        self.rules_scheduler = scheduler
        every = rules.every_minutes
        rule = events.Rule(self, "ScheduleRulesSchedule", schedule=rules_schedule(every))
        # Retries end before the next tick and inside the FIFO queue's deduplication window: the target's policy
        # covers EventBridge handing the event to Lambda, the function's own covers Lambda's retries of a failed
        # run and how long a throttled event (one run at a time) may wait (Lambda's default: 6 hours).
        age = Duration.minutes(min(every, int(FIFO_DEDUPLICATION.to_minutes())))
        rule.add_target(targets.LambdaFunction(scheduler, retry_attempts=2, max_event_age=age))
        scheduler.configure_async_invoke(retry_attempts=2, max_event_age=age)
        self.schedules["ScheduleRules"] = rule
        assert self.rule_shards is not None  # _rule_queues ran first
        self.rule_shards.grant_send_messages(scheduler)
        worker = self._function("Evaluate", rules.worker_handler, rules.worker_timeout, reserved=None)
        self.rules_worker = worker
        worker.add_event_source(
            sources.SqsEventSource(
                self.rule_shards,
                batch_size=1,  # one shard per invocation: its timeout is the shard's budget
                max_concurrency=rules.max_concurrency,
                report_batch_item_failures=True,
            )
        )
        if self.rule_snapshots is not None:  # get and put the snapshots; listing only so that an absent one is a 404
            bucket, prefix = self.rule_snapshots, SNAPSHOT_PREFIX
            worker.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["s3:GetObject", "s3:PutObject"], resources=[bucket.arn_for_objects(f"{prefix}*")]
                )
            )
            worker.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
                )
            )

    def add_stream_handler(
        self, construct_id: str, handler: str, table: dynamodb.ITableV2, key_prefix: str
    ) -> lambda_.Function:
        """A handler of `table`'s stream for inserted or modified items whose partition key starts with
        `key_prefix` (filtered by Lambda, so other items cost nothing). A batch failing after its retries is left:
        the handler's every-minute sweep decides the same from the table."""
        fn = self._function(construct_id, handler, Duration.seconds(60), reserved=None)
        fn.add_event_source(
            sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.LATEST,
                batch_size=100,
                max_batching_window=Duration.seconds(1),
                bisect_batch_on_error=True,
                retry_attempts=3,
                filters=[
                    lambda_.FilterCriteria.filter(
                        {
                            "eventName": lambda_.FilterRule.or_("INSERT", "MODIFY"),
                            "dynamodb": {"Keys": {"pk": {"S": lambda_.FilterRule.begins_with(key_prefix)}}},
                        }
                    )
                ],
            )
        )
        return fn

    def add_archive_handler(
        self, construct_id: str, handler: str, bucket: s3.IBucket, key: kms.IKey, prefix: str, manifest_prefix: str
    ) -> lambda_.Function:
        """A handler of every object created under `prefix` in `bucket` (S3 event notification): it may read those
        objects' versions, read, write and list its manifests under `manifest_prefix` (not deleting anything), and
        encrypt/decrypt through S3. An event failing its two retries is kept on its own queue (re-send its records
        to the function; redelivery is idempotent)."""
        fn = self._function(construct_id, handler, Duration.seconds(300), reserved=None)
        stack = Stack.of(self)
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:GetObjectVersion"], resources=[bucket.arn_for_objects(f"{prefix}*")]
            )
        )
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject"], resources=[bucket.arn_for_objects(f"{manifest_prefix}*")]
            )
        )
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{manifest_prefix}*"]}},
            )
        )
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.{stack.url_suffix}"}},
            )
        )
        failures = sqs.Queue(
            self,
            f"{construct_id}Failures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        fn.configure_async_invoke(
            retry_attempts=2, max_event_age=Duration.hours(6), on_failure=destinations.SqsDestination(failures)
        )
        bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED, s3n.LambdaDestination(fn), s3.NotificationKeyFilter(prefix=prefix)
        )
        self.archive_failures = failures
        return fn

    def add_archive_writer(
        self, construct_id: str, handler: str, stream: kinesis.IStream, bucket: s3.IBucket, key: kms.IKey,
        prefixes: Sequence[str], writing: ArchiveWriting,
    ) -> lambda_.Function:  # fmt: skip
        """A consumer of the frame stream writing each batch to `bucket` as one object per partition under
        `prefixes` (`ARCHIVE_BUCKET`): it may put objects there and encrypt through S3, nothing else of S3 (no
        read, list or delete). A batch is retried, bisected, until its records reach `writing.max_record_age`,
        then its pointers go to its own on-failure queue (`archive_writer_failures`, alarmed)."""
        fn = self._function(construct_id, handler, Duration.seconds(120), reserved=None)
        fn.add_environment("ARCHIVE_BUCKET", bucket.bucket_name)
        stack = Stack.of(self)
        fn.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[bucket.arn_for_objects(f"{p}*") for p in prefixes])
        )
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey"],  # a single PutObject under SSE-KMS (no multipart: no Decrypt)
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.{stack.url_suffix}"}},
            )
        )
        self.archive_writer_failures = sqs.Queue(
            self,
            f"{construct_id}Failures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        fn.add_event_source(
            sources.KinesisEventSource(
                stream,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,  # a switch from Firehose re-reads, not skips
                batch_size=writing.batch_size,
                max_batching_window=writing.batching_window,
                bisect_batch_on_error=True,
                max_record_age=writing.max_record_age,  # retry_attempts unset: -1, retried until max_record_age
                parallelization_factor=1,  # one batch per shard at a time: its keys follow the shard's order
                on_failure=sources.SqsDlq(self.archive_writer_failures),
            )
        )
        self.archive_writer = fn
        return fn

    def _function(
        self, construct_id: str, handler: str, timeout: Duration, *, reserved: int | None
    ) -> lambda_.Function:
        log_group = logs.LogGroup(self, f"{construct_id}Logs", retention=self.log_retention)
        # Own role: only its log group (no AWSLambdaBasicExecutionRole with logs on "*"); the stack adds data grants.
        role = iam.Role(self, f"{construct_id}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        log_group.grant_write(role)
        fn = lambda_.Function(
            self,
            construct_id,
            runtime=RUNTIME,
            architecture=self.architecture,
            handler=handler,
            code=self.code,
            layers=[self.dependencies],
            environment=dict(self.environment),
            memory_size=self.memory_mib,
            timeout=timeout,
            role=role,
            log_group=log_group,
            reserved_concurrent_executions=reserved,
        )
        fn.node.add_dependency(role)
        self.functions[construct_id] = fn
        return fn
