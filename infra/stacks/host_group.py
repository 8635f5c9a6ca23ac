"""HostGroupStack: one host of a province stage (`host_groups`): an instance running `python -m local run` for the
group's counties, with its Elastic IP, data volume, snapshot policy and alarms, beside the stage's shared stack.

A stack per group (500 resources hold ≈ 10 groups; a province has 15-30), deployed and replaced one at a time; it
imports the shared stack's exports, which imports nothing of it. More: docs/deploy.md "A province as a tier of hosts".
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Fn, RemovalPolicy, Stack, Tags
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from constructs import Construct

import monitoring.storage.dynamodb.schema as schema
from infra.constructs.alarms import UNACKNOWLEDGED_WHY, ListenerSignal, signal_alarm
from infra.constructs.ingest import Ingest, PlatformHost
from infra.nag import suppress_ingest_findings, table_arn
from infra.settings import HostGroup
from infra.stacks.platform import (
    PlatformStack,
    SourceLayout,
    grant_host,
    host_environment,
    host_signals,
    ingest_options,
    ingest_outputs,
    shared_export,
)


def host_group_stack_name(stage: str, group: str) -> str:
    """`Gongkuang-<stage>-<group>`: the stack (and the DLM policy's target tag) of one host group."""
    return f"Gongkuang-{stage}-{group}"


def archive_exports(shared_stack_name: str) -> tuple[str, str]:
    """The export names of the archive bucket's name and ARN (the shared stack's outputs ArchiveBucket and
    ArchiveBucketArn with host groups): named, so that the hosts' policies read the same in every group."""
    return shared_export(shared_stack_name, "ArchiveBucket"), shared_export(shared_stack_name, "ArchiveBucketArn")


def shared_vpc(scope: Construct, shared: PlatformStack) -> ec2.IVpc:
    """The shared VPC: an existing one by its ids (fixed settings), the stage's own through its named exports (the
    VPC id, every public subnet: PlatformStack._network_exports), not CDK's automatic ones, which the shared stack
    would drop with the last group of a zone. The zones are the VPC's own values (literals or Fn::GetAZs)."""
    existing = shared.settings.existing_vpc
    public = shared.vpc.public_subnets
    if existing is not None:
        vpc_id, subnet_ids = existing.vpc_id, list(existing.public_subnet_ids)
    else:
        vpc_id = Fn.import_value(shared_export(shared.stack_name, "VpcId"))
        subnet_ids = [Fn.import_value(shared_export(shared.stack_name, f"PublicSubnet{i}")) for i in range(len(public))]
    return ec2.Vpc.from_vpc_attributes(
        scope,
        "SharedVpc",
        vpc_id=vpc_id,
        availability_zones=[subnet.availability_zone for subnet in public],
        public_subnet_ids=subnet_ids,
    )


class HostGroupStack(Stack):
    """One host group: `ingest` (its instance, address, data volume, snapshots, platform task) and its alarms."""

    def __init__(
        self, scope: Construct, construct_id: str, *, shared: PlatformStack, group: HostGroup, source: SourceLayout
    ) -> None:
        settings = shared.settings
        env = Environment(account=settings.account, region=settings.region) if settings.account else None
        super().__init__(
            scope, construct_id, env=env, description=f"工况用电监控平台 ({settings.name}, 主机组 {group.name})"
        )
        Tags.of(self).add("Project", "gongkuang-power")
        Tags.of(self).add("Stage", settings.name)
        Tags.of(self).add("HostGroup", group.name)
        self.group = group
        self.shared = shared
        who = f"host group {group.name}"
        # The shared tables by their names (fixed by the stage's table prefix), the archive bucket and the VPC by
        # their named exports; the archive key and the alarm topic (one each, whatever the groups) as CDK's own
        # cross-stack references.
        self.add_stack_dependency(shared, "the shared tables, bucket, VPC and alarm topic")
        tables = {
            name: dynamodb.TableV2.from_table_attributes(
                self,
                f"Table{name.capitalize()}",
                table_name=schema.TABLE_NAME_FORMAT.format(prefix=settings.tables_prefix, table=name),
                grant_index_permissions=PlatformStack.table_has_indexes(name),
            )
            for name in sorted(PlatformStack.host_data_access())
        }
        bucket_name, bucket_arn = archive_exports(shared.stack_name)
        archive = s3.Bucket.from_bucket_attributes(
            self, "Archive", bucket_name=Fn.import_value(bucket_name), bucket_arn=Fn.import_value(bucket_arn)
        )
        self.ingest = Ingest(
            self,
            "Ingest",
            vpc=shared_vpc(self, shared),
            image_directory=str(source.root),
            image_file=source.host_dockerfile,
            allocation_ids=(group.elastic_ip_allocation_id,) if group.elastic_ip_allocation_id else (),
            environment=host_environment(settings, region=self.region, archive_bucket=archive.bucket_name, group=group),
            cpu=group.task_cpu,
            memory_mib=group.task_memory_mib,
            min_tasks=1,
            max_tasks=1,
            spot=False,
            on_demand_base=1,
            # The runner's log-line metrics per group (metric filters take no dimension from a term pattern): each
            # group's alarms count its own host's lines.
            metrics_namespace=f"{settings.metrics_namespace}/{group.name}",
            compute="ec2",
            instance_type=group.instance_type,
            platform_host=PlatformHost(
                volume_gib=group.data_volume_gib,
                snapshots_kept=settings.host_snapshots_kept,
                zone_index=group.zone,
                restore_snapshot_id=group.snapshot_id,
                removal_policy=RemovalPolicy.RETAIN,  # the frame queue: never deleted with the stack
            ),
            **ingest_options(settings),
        )
        grant_host(self.ingest.task_definition.task_role, tables, archive, shared.stream.key)
        # The county host's alarms, per group, to the stage's one alarm topic; the shared ones (tables, functions)
        # stay in the shared stack once.
        signals = [
            ListenerSignal(
                "UnacknowledgedFrames", self.ingest.unacknowledged_frames, 1, 1, f"{who}: {UNACKNOWLEDGED_WHY}"
            ),
            *host_signals(self.ingest, who),
        ]
        self.alarms = {s.name: signal_alarm(self, s, shared.alarms.topic) for s in signals}
        ingest_outputs(self, self.ingest, settings.ingest_port, what=f"{who}'s")
        CfnOutput(self, "Counties", value=",".join(group.counties), description="the counties this host serves")
        arns = {name: table_arn(self, table.table_name) for name, table in tables.items()}
        suppress_ingest_findings(self, self.ingest, shared, imported=(arns, bucket_arn))
