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
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, Duration, ILocalBundling
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

RUNTIME = lambda_.Runtime.PYTHON_3_11
# The code asset is the repository root minus everything but these folders (our runtime packages + data files).
CODE_PACKAGES = ("functions", "monitoring", "hj212", "data")
CODE_EXCLUDES = ["*", ".*"] + [f"!{p}" for p in CODE_PACKAGES] + [f"!{p}/**" for p in CODE_PACKAGES]
CODE_EXCLUDES += ["**/__pycache__", "**/*.pyc", "**/py.typed"]


@dataclass(frozen=True, slots=True)
class ScheduledHandler:
    """A handler run by an EventBridge schedule: construct id, `module.function` path, rate in minutes."""

    construct_id: str
    handler: str
    every_minutes: int


@jsii.implements(ILocalBundling)
class PipLayerBundling:
    """Builds the dependencies layer without Docker: pip installs manylinux wheels for CPython 3.11 x86_64."""

    def __init__(self, requirements: Sequence[str], constraints: str) -> None:
        self.requirements = list(requirements)
        self.constraints = constraints

    def try_bundle(self, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        command += ["--target", str(Path(output_dir) / "python"), "--no-compile", "--only-binary=:all:"]
        command += ["--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", "3.11"]
        command += ["-c", self.constraints, *self.requirements]
        return subprocess.run(command, check=False).returncode == 0  # False: CDK falls back to the Docker image


def _layer_hash(requirements: Sequence[str], constraints_file: str) -> str:
    digest = hashlib.sha256("\n".join(requirements).encode())
    digest.update(Path(constraints_file).read_bytes())
    return digest.hexdigest()


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
        frame_stream: kinesis.IStream,
        decode_handler: str,
        scheduled: Sequence[ScheduledHandler],
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
        self.code = lambda_.Code.from_asset(source_directory, exclude=CODE_EXCLUDES)
        self.dependencies = lambda_.LayerVersion(
            self,
            "Dependencies",
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description="third-party runtime dependencies (pyproject.toml, pinned by requirements.lock)",
            code=lambda_.Code.from_asset(
                str(Path(constraints_file).parent),
                exclude=["*", ".*"],  # the layer content is the bundling output, not the source folder
                # The layer changes exactly when the requirement list or the lock does.
                asset_hash_type=AssetHashType.CUSTOM,
                asset_hash=_layer_hash(requirements, constraints_file),
                bundling=BundlingOptions(
                    image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.11"),
                    local=PipLayerBundling(requirements, constraints_file),
                    command=["bash", "-c", "pip install -t /asset-output/python " + " ".join(requirements)],
                ),
            ),
        )
        self.functions: dict[str, lambda_.Function] = {}

        self.dead_letters = sqs.Queue(
            self,
            "DecodeFailures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        # Read by functions/_wiring.py (decode only uses it; every function gets the same environment).
        self.environment["DECODE_DEAD_LETTER_QUEUE_URL"] = self.dead_letters.queue_url
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
            architecture=lambda_.Architecture.X86_64,
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
