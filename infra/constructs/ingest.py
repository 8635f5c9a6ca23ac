"""Ingest: terminals -> NLB (an Elastic IP per zone) -> listener tasks on Fargate; or -> one EC2 instance.

Fargate: the NLB's subnet mappings carry the Elastic IPs, tasks in public subnets admit only the NLB. EC2: the
instance holds the Elastic IP itself (infra/constructs/listener_host.py). The image is built from
iot_ingest/Dockerfile at deploy time; client IPs are preserved either way (docs/deploy.md "Network").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Stack, Tags
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.host_volume import MOUNT_POINT
from infra.constructs.key_grants import key_grant_statements
from infra.constructs.listener_host import ListenerHost
from infra.data_grants import LISTENER

# Excluded from the Docker build context (it is the repository root): big, irrelevant or secret-prone trees.
IMAGE_CONTEXT_EXCLUDES = (
    ".git",
    ".venv",
    "**/node_modules",
    "**/__pycache__",
    "**/*.pyc",
    "infra/cdk.out",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".tools",
    ".data",
    "var",
    "build",
    "dist",
)


CPU_ARCHITECTURES = {"arm64": ecs.CpuArchitecture.ARM64, "x86_64": ecs.CpuArchitecture.X86_64}
IMAGE_PLATFORMS = {"arm64": ecr_assets.Platform.LINUX_ARM64, "x86_64": ecr_assets.Platform.LINUX_AMD64}


def image_build_args(base_image: str, pip_index_url: str) -> dict[str, str]:
    """Docker build arguments of iot_ingest/Dockerfile: where the base image and the wheels come from."""
    return {"BASE_IMAGE": base_image, "PIP_INDEX_URL": pip_index_url}


# iot_ingest/handoff.py logs this JSON line when its sink fails: from then on no frame is acknowledged until
# "sink recovered". Each such line counts one; the alarm fires on any.
UNACKNOWLEDGED_PATTERN = '{ $.msg = "sink failed*" }'
UNACKNOWLEDGED_VALUE = "1"

# The county host's runner (local/) writes readable log lines, not JSON: these terms match either form (tests/infra
# compare them with local/app.py's CONDITION_LINES and FAILURE_LINES). The listener inside it logs "sink failed" when
# the frame queue cannot take a frame (nothing is acknowledged until it recovers), the runner "queue refusing: disk
# reserve" while the queue's volume is down to its reserve (new frames would be refused alike: the same alarm), and
# "operator alarm: decode backlog" while its oldest undecoded frame is past backlog_alarm_s; each is repeated every
# 30 s while it lasts, so an alarm on any line in a minute stays in ALARM until it ends.
HOST_UNACKNOWLEDGED_PATTERN = '?"sink failed" ?"queue refusing: disk reserve"'
HOST_BACKLOG_PATTERN = '"operator alarm: decode backlog"'
# "dead frames present" is repeated every 30 s while queue.db's dead_frames holds records decode set aside (poison):
# the AWS stages' DeadLetters alarm (decode's dead-letter queue not empty) on the host.
HOST_DEAD_FRAMES_PATTERN = '"dead frames present"'
# The runner's failures that a Lambda error or dead letter would show on AWS: a worker killed or restarted, an
# archive cut, a bucket flush or a rule tick failed (each retried; one line each, a failing rule job's repeated until a
# tick works).
HOST_FAILURE_LINES = (
    "archive cut failed; retrying",
    "bucket flush failed; retrying",
    "scheduled handler failed",
    "worker hung; killing it",
    "worker stopped; killing it",
    "worker exited; restarting",
)
HOST_FAILURES_PATTERN = " ".join(f'?"{line}"' for line in HOST_FAILURE_LINES)
PLATFORM_COMMAND = ("python", "-m", "local", "run")
DATA_VOLUME_NAME = "data"


@dataclass(frozen=True, slots=True)
class PlatformHost:
    """The county host: the platform container on the one instance, its frame queue on a data volume."""

    volume_gib: int
    snapshots_kept: int
    zone_index: int
    restore_snapshot_id: str
    removal_policy: RemovalPolicy


# The image's own HEALTHCHECK, as ECS runs it on EC2 (no load balancer checks the task there).
HEALTH_COMMAND = (
    "import sys,urllib.request; "
    "sys.exit(urllib.request.urlopen('http://127.0.0.1:{port}/health', timeout=2).status != 200)"
)


class Ingest(Construct):
    """The HJ 212 listener: Fargate tasks behind an NLB, or one task on one EC2 instance (`host`); exposes the
    load balancer (None on EC2), service, task definition and Elastic IPs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        image_directory: str,
        image_file: str,
        port: int,
        health_port: int,
        allocation_ids: Sequence[str],
        deletion_protection: bool,
        allowed_cidrs: Sequence[str],
        environment: Mapping[str, str],
        cpu: int,
        memory_mib: int,
        min_tasks: int,
        max_tasks: int,
        spot: bool,
        on_demand_base: int,
        architecture: str,
        base_image: str,
        pip_index_url: str,
        cpu_target_percent: int,
        connections_per_task: int,
        deregistration_delay: Duration,
        stop_timeout: Duration,
        log_retention: logs.RetentionDays,
        metrics_namespace: str,
        open_files: int,
        container_insights: bool = True,
        compute: str = "fargate",
        instance_type: str = "t4g.small",
        platform_host: PlatformHost | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.environment_names = tuple(environment)  # for the reviewed cdk-nag finding on plain variables
        public = vpc.select_subnets(subnet_type=ec2.SubnetType.PUBLIC).subnets
        self.compute = compute
        self.container_insights = container_insights
        self.platform_host = platform_host
        if platform_host is not None and compute != "ec2":
            raise ValueError("the platform host runs on one EC2 instance (compute='ec2')")

        self.log_group = logs.LogGroup(self, "ListenerLogs", retention=log_retention)
        insights = ecs.ContainerInsights.ENABLED if container_insights else ecs.ContainerInsights.DISABLED
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=vpc,
            container_insights_v2=insights,
            enable_fargate_capacity_providers=compute == "fargate",
        )
        self.image = ecs.ContainerImage.from_asset(
            image_directory,
            file=image_file,
            exclude=list(IMAGE_CONTEXT_EXCLUDES),
            platform=IMAGE_PLATFORMS[architecture],
            build_args=image_build_args(base_image, pip_index_url),
        )
        self.environment = dict(environment)
        self.stop_timeout = stop_timeout
        self.open_files = open_files
        self.elastic_ips: list[ec2.CfnEIP] = []
        self.allocation_ids = self._addresses(allocation_ids, 1 if compute == "ec2" else len(public))
        self.load_balancer: elbv2.NetworkLoadBalancer | None = None
        self.load_balancer_security_group: ec2.SecurityGroup | None = None
        self.service_security_group: ec2.SecurityGroup | None = None
        self.target_group: elbv2.NetworkTargetGroup | None = None
        self.connections_policy: appscaling.CfnScalingPolicy | None = None
        self.host: ListenerHost | None = None
        self.backlog_alarms: logs.MetricFilter | None = None
        self.task_definition: ecs.TaskDefinition
        self.service: ecs.BaseService
        if compute == "ec2":
            self._on_one_instance(vpc, port, health_port, cpu, memory_mib, architecture, instance_type, allowed_cidrs)
        else:
            self._behind_load_balancer(
                vpc, public, port, health_port, cpu, memory_mib, architecture, allowed_cidrs, min_tasks, max_tasks,
                spot, on_demand_base, deletion_protection, deregistration_delay, cpu_target_percent,
                connections_per_task, container_insights,
            )  # fmt: skip

        filter_ = self.log_group.add_metric_filter(
            "Unacknowledged",
            filter_pattern=logs.FilterPattern.literal(
                UNACKNOWLEDGED_PATTERN if platform_host is None else HOST_UNACKNOWLEDGED_PATTERN
            ),
            metric_namespace=metrics_namespace,
            metric_name="ListenerSinkFailures",
            metric_value=UNACKNOWLEDGED_VALUE,
            default_value=0,
        )
        self.unacknowledged_frames = filter_.metric(statistic="Sum", period=Duration.minutes(1))
        self.decode_backlog: cw.IMetric | None = None
        self.host_failures: cw.IMetric | None = None
        self.host_dead_frames: cw.IMetric | None = None
        if platform_host is not None:
            # The runner publishes no backlog metric (its DATA_DIR/status.json is a file on the instance): its
            # operator-alarm log line is what there is, counted once each time the backlog passes the limit.
            self.backlog_alarms = self.log_group.add_metric_filter(
                "DecodeBacklog",
                filter_pattern=logs.FilterPattern.literal(HOST_BACKLOG_PATTERN),
                metric_namespace=metrics_namespace,
                metric_name="HostDecodeBacklogAlarms",
                metric_value="1",
                default_value=0,
            )
            self.decode_backlog = self.backlog_alarms.metric(statistic="Sum", period=Duration.minutes(1))
            failures = self.log_group.add_metric_filter(
                "HostFailures",
                filter_pattern=logs.FilterPattern.literal(HOST_FAILURES_PATTERN),
                metric_namespace=metrics_namespace,
                metric_name="HostWorkerFailures",
                metric_value="1",
                default_value=0,
            )
            self.host_failures = failures.metric(statistic="Sum", period=Duration.minutes(5))
            dead = self.log_group.add_metric_filter(
                "HostDeadFrames",
                filter_pattern=logs.FilterPattern.literal(HOST_DEAD_FRAMES_PATTERN),
                metric_namespace=metrics_namespace,
                metric_name="HostDeadFrames",
                metric_value="1",
                default_value=0,
            )
            self.host_dead_frames = dead.metric(statistic="Sum", period=Duration.minutes(1))

    def _addresses(self, allocation_ids: Sequence[str], wanted: int) -> list[str]:
        """The Elastic IPs terminals are configured with: one per NLB zone, or the one instance's. Given allocation
        ids are reused (addresses that outlive this stack); otherwise new ones are kept on delete."""
        if allocation_ids and len(allocation_ids) != wanted:
            raise ValueError(f"give {wanted} Elastic IP allocation id(s), one per address, got {len(allocation_ids)}")
        if not allocation_ids:
            for i in range(wanted):
                eip = ec2.CfnEIP(self, f"ElasticIp{i + 1}", domain="vpc")
                eip.apply_removal_policy(RemovalPolicy.RETAIN)  # terminals in the field point at this address
                Tags.of(eip).add("Purpose", "hj212-terminal-endpoint")
                self.elastic_ips.append(eip)
        return list(allocation_ids) or [eip.attr_allocation_id for eip in self.elastic_ips]

    def _add_listener(
        self, task_definition: ecs.TaskDefinition, port_mappings: list[ecs.PortMapping], **options: object
    ) -> ecs.ContainerDefinition:
        """The one listener container, the same on Fargate and EC2: image, environment, logs, drain on SIGTERM."""
        return task_definition.add_container(
            "Listener",
            image=self.image,
            environment=self.environment,
            logging=ecs.LogDriver.aws_logs(stream_prefix="listener", log_group=self.log_group),
            port_mappings=port_mappings,
            # SIGTERM -> the listener stops accepting, flushes its sink and closes sessions; SIGKILL after this.
            stop_timeout=self.stop_timeout,
            essential=True,
            # a terminal's connection is a descriptor: the limit is set, never the platform's default
            ulimits=[ecs.Ulimit(name=ecs.UlimitName.NOFILE, soft_limit=self.open_files, hard_limit=self.open_files)],
            **options,  # type: ignore[arg-type]
        )

    def _on_one_instance(
        self,
        vpc: ec2.IVpc,
        port: int,
        health_port: int,
        cpu: int,
        memory_mib: int,
        architecture: str,
        instance_type: str,
        allowed_cidrs: Sequence[str],
    ) -> None:
        """One task on one instance: bridge network with the ingest port on the host (terminals' addresses are
        kept by Docker's DNAT), ECS's container health check instead of the NLB's, stop-then-start deployments."""
        host = self.platform_host
        self.host = ListenerHost(
            self, "Host", vpc=vpc, cluster=self.cluster, instance_type=instance_type, architecture=architecture,
            allocation_id=self.allocation_ids[0], port=port, allowed_cidrs=allowed_cidrs,
            data_volume_gib=host.volume_gib if host else None, snapshots_kept=host.snapshots_kept if host else 7,
            removal_policy=host.removal_policy if host else RemovalPolicy.RETAIN,
            zone_index=host.zone_index if host else 0, restore_snapshot_id=host.restore_snapshot_id if host else "",
        )  # fmt: skip
        self.task_definition = ecs.Ec2TaskDefinition(self, "Task", network_mode=ecs.NetworkMode.BRIDGE)
        if host is not None:
            # The instance's /data is the data volume (mounted by the user data before ECS starts): the frame queue.
            self.task_definition.add_volume(name=DATA_VOLUME_NAME, host=ecs.Host(source_path=MOUNT_POINT))
        self.container = self._add_listener(
            self.task_definition,
            [ecs.PortMapping(container_port=port, host_port=port, protocol=ecs.Protocol.TCP, name="hj212")],
            cpu=cpu,
            memory_limit_mib=memory_mib,
            health_check=ecs.HealthCheck(
                command=["CMD", "python", "-c", HEALTH_COMMAND.format(port=health_port)],
                interval=Duration.seconds(15),
                timeout=Duration.seconds(3),
                retries=3,
                start_period=Duration.seconds(10 if host is None else 30),
            ),
            **({"command": list(PLATFORM_COMMAND)} if host is not None else {}),
        )
        if host is not None:
            self.container.add_mount_points(
                ecs.MountPoint(container_path=MOUNT_POINT, source_volume=DATA_VOLUME_NAME, read_only=False)
            )
        self.service = ecs.Ec2Service(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            desired_count=1,
            # One instance, one host port (and, on the county host, one data volume holding the frame queue): the old
            # task stops before the new one starts (docs/deploy.md).
            min_healthy_percent=0,
            max_healthy_percent=100,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            capacity_provider_strategies=[
                ecs.CapacityProviderStrategy(
                    capacity_provider=self.host.capacity_provider.capacity_provider_name, base=1, weight=1
                )
            ],
            enable_ecs_managed_tags=True,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )
        # The strategy names the capacity provider: the cluster's association with it must exist first.
        self.service.node.add_dependency(self.cluster)

    def _behind_load_balancer(
        self,
        vpc: ec2.IVpc,
        public: Sequence[ec2.ISubnet],
        port: int,
        health_port: int,
        cpu: int,
        memory_mib: int,
        architecture: str,
        allowed_cidrs: Sequence[str],
        min_tasks: int,
        max_tasks: int,
        spot: bool,
        on_demand_base: int,
        deletion_protection: bool,
        deregistration_delay: Duration,
        cpu_target_percent: int,
        connections_per_task: int,
        container_insights: bool,
    ) -> None:
        """Fargate tasks in public subnets behind an internet-facing NLB with the Elastic IPs, autoscaled."""
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "Task",
            cpu=cpu,
            memory_limit_mib=memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
                cpu_architecture=CPU_ARCHITECTURES[architecture],
            ),
        )
        self.container = self._add_listener(
            self.task_definition,
            [
                ecs.PortMapping(container_port=port, protocol=ecs.Protocol.TCP, name="hj212"),
                ecs.PortMapping(container_port=health_port, protocol=ecs.Protocol.TCP, name="health"),
            ],
        )

        lb_group = ec2.SecurityGroup(
            self,
            "LoadBalancerSecurityGroup",
            vpc=vpc,
            description="HJ 212 terminals to the NLB",
            allow_all_outbound=False,
        )
        for cidr in allowed_cidrs:
            lb_group.add_ingress_rule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(port), "HJ 212 terminals")
        # The tasks have public IPs, yet nothing reaches them but the NLB: with client IP preservation the source
        # address is the terminal's, so the rules name the NLB's security group, never an address range.
        task_group = ec2.SecurityGroup(
            self, "ServiceSecurityGroup", vpc=vpc, description="NLB to the listener tasks", allow_all_outbound=True
        )
        for target_port, why in ((port, "frames from the NLB"), (health_port, "NLB health checks")):
            task_group.add_ingress_rule(lb_group, ec2.Port.tcp(target_port), why)
            lb_group.add_egress_rule(task_group, ec2.Port.tcp(target_port), why)

        service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            desired_count=min_tasks,
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            assign_public_ip=True,  # outbound to AWS APIs without a NAT gateway
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            capacity_provider_strategies=self._capacity(spot, on_demand_base),
            security_groups=[task_group],
            health_check_grace_period=Duration.seconds(60),
            enable_ecs_managed_tags=True,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )

        load_balancer = elbv2.NetworkLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=True,
            cross_zone_enabled=True,
            deletion_protection=deletion_protection,
            security_groups=[lb_group],
            subnet_mappings=[
                elbv2.SubnetMapping(subnet=subnet, allocation_id=allocation)
                for subnet, allocation in zip(public, self.allocation_ids, strict=True)
            ],
        )
        target_group = elbv2.NetworkTargetGroup(
            self,
            "Listeners",
            vpc=vpc,
            port=port,
            protocol=elbv2.Protocol.TCP,
            target_type=elbv2.TargetType.IP,
            preserve_client_ip=True,
            connection_termination=True,  # close terminal sessions when the drain window ends; they reconnect
            deregistration_delay=deregistration_delay,
            health_check=elbv2.HealthCheck(
                protocol=elbv2.Protocol.HTTP,
                port=str(health_port),
                path="/health",
                interval=Duration.seconds(10),
                healthy_threshold_count=2,
                unhealthy_threshold_count=2,
            ),
            targets=[service.load_balancer_target(container_name="Listener", container_port=port)],
        )
        load_balancer.add_listener(
            "Hj212", port=port, protocol=elbv2.Protocol.TCP, default_target_groups=[target_group]
        )

        self.scaling = service.auto_scale_task_count(min_capacity=min_tasks, max_capacity=max_tasks)
        self.scaling.scale_on_cpu_utilization(
            "Cpu",
            target_utilization_percent=cpu_target_percent,
            scale_in_cooldown=Duration.minutes(5),
            scale_out_cooldown=Duration.minutes(1),
        )
        self.service, self.load_balancer, self.target_group = service, load_balancer, target_group
        self.load_balancer_security_group, self.service_security_group = lb_group, task_group
        # Open connections per task need Container Insights' RunningTaskCount; without it the CPU policy alone
        # scales (one county's terminals stay under one task's connections_per_task, docs/deploy.md).
        if container_insights:
            self.connections_policy = self._scale_on_connections(connections_per_task, service, load_balancer)

    @staticmethod
    def _capacity(spot: bool, on_demand_base: int) -> list[ecs.CapacityProviderStrategy]:
        """`on_demand_base` tasks on Fargate; with `spot`, every task beyond them on Fargate Spot."""
        if not spot:
            return [ecs.CapacityProviderStrategy(capacity_provider="FARGATE", base=on_demand_base, weight=1)]
        return [
            ecs.CapacityProviderStrategy(capacity_provider="FARGATE", base=on_demand_base, weight=0),
            ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1),
        ]

    def grant_listener_data(self, tables: Mapping[str, dynamodb.ITable]) -> None:
        """Least privilege for the task role: exactly the tables, indexes, actions and partition keys the listener
        uses (infra/data_grants.py `LISTENER`, checked against its real requests in the AWS-mode end-to-end test)."""
        for statement in key_grant_statements(LISTENER, tables):
            self.task_definition.task_role.add_to_principal_policy(statement)

    def _scale_on_connections(
        self, per_task: int, service: ecs.FargateService, load_balancer: elbv2.NetworkLoadBalancer
    ) -> appscaling.CfnScalingPolicy:
        """Target tracking on open TCP flows per running task (metric math: NLB flows / running tasks)."""
        target = self.scaling.node.find_child("Target").node.default_child
        assert isinstance(target, appscaling.CfnScalableTarget)
        stack = Stack.of(self)
        lb_dimension = load_balancer.load_balancer_full_name
        query = appscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty
        stat = appscaling.CfnScalingPolicy.TargetTrackingMetricStatProperty
        metric = appscaling.CfnScalingPolicy.TargetTrackingMetricProperty
        dim = appscaling.CfnScalingPolicy.TargetTrackingMetricDimensionProperty
        flows = metric(
            namespace="AWS/NetworkELB",
            metric_name="ActiveFlowCount_TCP",
            dimensions=[dim(name="LoadBalancer", value=lb_dimension)],
        )
        tasks = metric(
            namespace="ECS/ContainerInsights",
            metric_name="RunningTaskCount",
            dimensions=[
                dim(name="ClusterName", value=self.cluster.cluster_name),
                dim(name="ServiceName", value=service.service_name),
            ],
        )
        policy = appscaling.CfnScalingPolicy(
            self,
            "ConnectionsPerTask",
            policy_name=f"{stack.stack_name}-connections-per-task",
            policy_type="TargetTrackingScaling",
            scaling_target_id=target.ref,
            target_tracking_scaling_policy_configuration=appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=float(per_task),
                scale_in_cooldown=300,
                scale_out_cooldown=60,
                customized_metric_specification=appscaling.CfnScalingPolicy.CustomizedMetricSpecificationProperty(
                    metrics=[
                        query(id="flows", metric_stat=stat(metric=flows, stat="Average"), return_data=False),
                        query(id="tasks", metric_stat=stat(metric=tasks, stat="Average"), return_data=False),
                        query(
                            id="per_task",
                            expression="IF(tasks > 0, flows / tasks, flows)",
                            label="open connections per listener task",
                            return_data=True,
                        ),
                    ]
                ),
            ),
        )
        return policy
