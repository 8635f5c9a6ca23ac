"""One EC2 instance for the listener: an Auto Scaling group of exactly 1, the ECS capacity it provides, and the
Elastic IP the instance takes at boot (no load balancer; docs/deploy.md "The listener on one EC2 instance"); for
the county host also the data volume it attaches and mounts at /data (infra/constructs/host_volume.py).

Amazon Linux 2023 ECS-optimized AMI from AWS's public SSM parameter, resolved at deploy time (synth stays offline).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs.host_volume import HostVolume

AMI_HARDWARE = {"arm64": ecs.AmiHardwareType.ARM, "x86_64": ecs.AmiHardwareType.STANDARD}
ROOT_DEVICE = "/dev/xvda"  # Amazon Linux 2023's root device
ROOT_VOLUME_GB = 30  # the ECS-optimized AL2023 AMI's snapshot size: a root volume cannot be smaller
ASSOCIATE_ATTEMPTS = 30  # × 10 s: then the instance stops itself and the group replaces it

# Boot: the task may use its task role (bridge network), then the instance takes the stage's address. IMDSv2
# with a hop limit of 1 keeps bridge-networked containers away from the instance's own credentials.
_ASSOCIATE = """\
echo ECS_ENABLE_TASK_IAM_ROLE=true >> /etc/ecs/ecs.config
command -v aws >/dev/null || dnf install -y awscli-2
imds() {{ curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "http://169.254.169.254/latest/meta-data/$1"; }}
TOKEN=$(curl -sf -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 600" http://169.254.169.254/latest/api/token)
INSTANCE=$(imds instance-id)
REGION=$(imds placement/region)
associated=0
for _ in $(seq 1 {attempts}); do
  if aws ec2 associate-address --region "$REGION" --allocation-id {allocation} --instance-id "$INSTANCE" \\
      --allow-reassociation; then associated=1; break; fi
  sleep 10
done
# Without the address no terminal reaches this instance: stop, so that the group's health check replaces it.
[ "$associated" = 1 ] || shutdown -h now"""


def association_script(allocation_id: str, attempts: int = ASSOCIATE_ATTEMPTS) -> str:
    """User data lines that associate `allocation_id` with this instance (IMDSv2), retrying, else stop."""
    return _ASSOCIATE.format(allocation=allocation_id, attempts=attempts)


class ListenerHost(Construct):
    """An Auto Scaling group of one instance, registered as the cluster's capacity provider, with the address."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        cluster: ecs.Cluster,
        instance_type: str,
        architecture: str,
        allocation_id: str,
        port: int,
        allowed_cidrs: Sequence[str],
        data_volume_gib: int | None = None,
        snapshots_kept: int = 7,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        zone_index: int = 0,
        restore_snapshot_id: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # With a data volume the instance must start in the volume's zone: one public subnet, not any of them.
        public = vpc.select_subnets(subnet_type=ec2.SubnetType.PUBLIC).subnets
        subnets = (
            ec2.SubnetSelection(subnets=[public[zone_index]])
            if data_volume_gib
            else ec2.SubnetSelection(
                subnet_type=ec2.SubnetType.PUBLIC  # any zone: the address follows
            )
        )
        # Terminals reach the instance directly on its Elastic IP: only the ingest port, only from allowed_cidrs.
        # The health port stays closed (ECS checks the container from inside it).
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description="HJ 212 terminals to the listener instance",
            allow_all_outbound=True,  # AWS APIs (Kinesis, DynamoDB, ECS, ECR, logs) over its public address
        )  # fmt: skip
        for cidr in allowed_cidrs:
            self.security_group.add_ingress_rule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(port), "HJ 212 terminals")

        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
        self.instance_profile = iam.InstanceProfile(self, "Profile", role=self.role)
        self.user_data = ec2.UserData.for_linux()
        self.launch_template = ec2.LaunchTemplate(
            self,
            "Template",
            instance_type=ec2.InstanceType(instance_type),
            machine_image=ecs.EcsOptimizedImage.amazon_linux2023(AMI_HARDWARE[architecture]),
            user_data=self.user_data,
            instance_profile=self.instance_profile,
            security_group=self.security_group,
            associate_public_ip_address=True,  # outbound at boot; replaced by the Elastic IP once associated
            require_imdsv2=True,
            http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,
            http_put_response_hop_limit=1,
            detailed_monitoring=False,
            cpu_credits=ec2.CpuCredits.UNLIMITED,  # burstable types: no throttling at the baseline during a storm
            block_devices=[
                ec2.BlockDevice(
                    device_name=ROOT_DEVICE,
                    volume=ec2.BlockDeviceVolume.ebs(
                        ROOT_VOLUME_GB, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3
                    ),
                )
            ],
        )
        self.group = autoscaling.AutoScalingGroup(
            self,
            "Group",
            vpc=vpc,
            vpc_subnets=subnets,
            launch_template=self.launch_template,
            min_capacity=1,
            max_capacity=1,
            # A new launch template version (a newer AMI resolved at deploy) replaces the instance: stop, then start.
            update_policy=autoscaling.UpdatePolicy.rolling_update(min_instances_in_service=0, max_batch_size=1),
            group_metrics=[autoscaling.GroupMetrics(autoscaling.GroupMetric.IN_SERVICE_INSTANCES)],
        )
        self.capacity_provider = ecs.AsgCapacityProvider(
            self,
            "Capacity",
            auto_scaling_group=self.group,
            enable_managed_scaling=False,  # exactly one instance, never more
            enable_managed_termination_protection=False,
            enable_managed_draining=True,  # ECS stops the task (SIGTERM, drain) before the group terminates it
            machine_image_type=ecs.MachineImageType.AMAZON_LINUX_2,  # ECS_CLUSTER in /etc/ecs/ecs.config (AL2023 too)
        )
        cluster.add_asg_capacity_provider(self.capacity_provider)
        self.user_data.add_commands(association_script(allocation_id))
        self._allow_association(stack, vpc, allocation_id)
        self.volume: HostVolume | None = None
        if data_volume_gib:
            self.volume = HostVolume(
                self, "Data", availability_zone=public[zone_index].availability_zone, size_gib=data_volume_gib,
                snapshots_kept=snapshots_kept, removal_policy=removal_policy, snapshot_id=restore_snapshot_id,
            )  # fmt: skip
            self.volume.attach_at_boot(self.user_data, self.role, self.instance_profile)
        self.in_service = cw.Metric(
            namespace="AWS/AutoScaling",
            metric_name="GroupInServiceInstances",
            dimensions_map={"AutoScalingGroupName": self.group.auto_scaling_group_name},
            statistic="Minimum",
            period=Duration.minutes(1),
        )

    def _allow_association(self, stack: Stack, vpc: ec2.IVpc, allocation_id: str) -> None:
        """ec2:AssociateAddress of exactly this address, onto an instance launched with this instance profile.

        AssociateAddress authorises the Elastic IP (elastic-ip/<allocation id>), the instance and its network
        interface as resources; the instance's id is not known before launch, so it is named by the condition key
        ec2:InstanceProfile, and the interface by the VPC it is in."""
        arn = f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}"
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TheStageAddress", actions=["ec2:AssociateAddress"], resources=[f"{arn}:elastic-ip/{allocation_id}"]
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="OntoThisInstance",
                actions=["ec2:AssociateAddress"],
                resources=[f"{arn}:instance/*"],
                conditions={"ArnEquals": {"ec2:InstanceProfile": self.instance_profile.instance_profile_arn}},
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ItsInterface",
                actions=["ec2:AssociateAddress"],
                resources=[f"{arn}:network-interface/*"],
                conditions={"ArnEquals": {"ec2:Vpc": f"{arn}:vpc/{vpc.vpc_id}"}},
            )
        )
