"""The county host's data volume: an encrypted gp3 EBS volume (kept on delete) in the instance's one zone, attached
and mounted at /data by the user data, snapshotted daily by a Data Lifecycle Manager policy (docs/deploy.md
"The county host"). It holds the frame queue: what the listener acknowledged and decode has not yet stored.
"""

from __future__ import annotations

from aws_cdk import CfnTag, RemovalPolicy, Size, Stack, Tags
from aws_cdk import aws_dlm as dlm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

MOUNT_POINT = "/data"  # LOCAL_DATA_DIR of the platform container (bind-mounted at the same path)
DEVICE_NAME = "/dev/xvdf"  # the name asked for; Nitro instances show the volume as an NVMe device (found by id)
CONTAINER_UID = 10001  # the platform image's user (local/Dockerfile) owns the volume's root
ATTACH_ATTEMPTS = 60  # × 10 s: a replaced instance releases the volume when it terminates
SNAPSHOT_TAG = "gongkuang:host-data"  # the Data Lifecycle Manager policy targets volumes with this tag (the stack's)
SNAPSHOT_TIME = "18:00"  # UTC: 02:00 in Beijing, the quietest hour of the bureau's day

# Formats only a blank volume: blkid -p finds no signature (exit 2, which also means "cannot open") and its first
# MiB reads as zeros, as a new EBS volume does. A volume it cannot read, or with data it does not recognise, stops
# the instance instead: nothing that might be the queue is ever formatted over (nor without cmp to check).
FORMAT_IF_BLANK = """\
command -v cmp >/dev/null || dnf install -y diffutils
blkid -p "$DEVICE" >/dev/null 2>&1; probe=$?
if [ "$probe" = 2 ] && cmp -s -n 1048576 "$DEVICE" /dev/zero; then
  mkfs.xfs -q -L gk-data "$DEVICE" || { shutdown -h now; exit 1; }
elif [ "$probe" != 0 ]; then
  shutdown -h now; exit 1
fi"""

# Runs after the Elastic IP's association (listener_host.py), which set REGION and INSTANCE. Every failure stops
# the instance before ECS can start the task: the group replaces it, and nothing is written to the root volume.
_ATTACH = """\
VOLUME={volume}
attached=0
for _ in $(seq 1 {attempts}); do
  if aws ec2 attach-volume --region "$REGION" --volume-id "$VOLUME" --instance-id "$INSTANCE" --device {device}; then
    attached=1; break
  fi
  sleep 10
done
[ "$attached" = 1 ] || {{ shutdown -h now; exit 1; }}
NVME="/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${{VOLUME/-/}}"
DEVICE=""
for _ in $(seq 1 60); do
  if [ -b "$NVME" ]; then DEVICE="$NVME"; break; elif [ -b {device} ]; then DEVICE={device}; break; fi
  sleep 2
done
[ -n "$DEVICE" ] || {{ shutdown -h now; exit 1; }}
{format}
# While nothing is mounted there, the root volume's {mount} is immutable: a task started too early fails instead
# of acknowledging frames onto a disk that goes with the instance.
mkdir -p {mount}
mountpoint -q {mount} || chattr +i {mount}
UUID=$(blkid -s UUID -o value "$DEVICE")
grep -q " {mount} " /etc/fstab || echo "UUID=$UUID {mount} xfs defaults,noatime,nofail 0 2" >> /etc/fstab
mount {mount} || mountpoint -q {mount} || {{ shutdown -h now; exit 1; }}
# After host_data_volume_gib grew (EBS modifies the volume in place) the filesystem follows on the next boot.
xfs_growfs {mount} >/dev/null || echo "xfs_growfs {mount} failed; the filesystem keeps its size" >&2
chown {uid}:{uid} {mount}"""


def attach_script(volume_id: str, attempts: int = ATTACH_ATTEMPTS) -> str:
    """User data lines that attach `volume_id`, format it if blank and mount it at /data; else stop the instance."""
    return _ATTACH.format(
        volume=volume_id, attempts=attempts, device=DEVICE_NAME, mount=MOUNT_POINT, uid=CONTAINER_UID,
        format=FORMAT_IF_BLANK,
    )  # fmt: skip


class HostVolume(Construct):
    """`volume` (gp3, encrypted, `removal_policy`), its daily snapshots (`snapshots`, `snapshot_role`)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        availability_zone: str,
        size_gib: int,
        snapshots_kept: int,
        removal_policy: RemovalPolicy,
        snapshot_id: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.volume = ec2.Volume(
            self,
            "Volume",
            availability_zone=availability_zone,
            size=Size.gibibytes(size_gib),
            volume_type=ec2.EbsDeviceVolumeType.GP3,
            encrypted=True,  # the account's aws/ebs key: snapshots and their restores need no key grants
            snapshot_id=snapshot_id or None,  # a restore (another zone after an AZ loss): docs/deploy.md
            removal_policy=removal_policy,
        )
        Tags.of(self.volume).add(SNAPSHOT_TAG, stack.stack_name)
        self.snapshot_role = iam.Role(self, "SnapshotRole", assumed_by=iam.ServicePrincipal("dlm.amazonaws.com"))
        self._allow_snapshots(stack)
        self.snapshots = dlm.CfnLifecyclePolicy(
            self,
            "Snapshots",
            description=f"{stack.stack_name} host data volume daily snapshots",  # letters, digits, space, - and _ only
            state="ENABLED",
            execution_role_arn=self.snapshot_role.role_arn,
            policy_details=dlm.CfnLifecyclePolicy.PolicyDetailsProperty(
                policy_type="EBS_SNAPSHOT_MANAGEMENT",
                resource_types=["VOLUME"],
                target_tags=[CfnTag(key=SNAPSHOT_TAG, value=stack.stack_name)],
                schedules=[
                    dlm.CfnLifecyclePolicy.ScheduleProperty(
                        name="daily",
                        create_rule=dlm.CfnLifecyclePolicy.CreateRuleProperty(
                            interval=24, interval_unit="HOURS", times=[SNAPSHOT_TIME]
                        ),
                        retain_rule=dlm.CfnLifecyclePolicy.RetainRuleProperty(count=snapshots_kept),
                        copy_tags=True,
                    )
                ],
            ),
        )
        self.snapshots.node.add_dependency(self.snapshot_role)

    def _allow_snapshots(self, stack: Stack) -> None:
        """Data Lifecycle Manager's own needs for an EBS snapshot policy: snapshot this volume, tag and delete the
        snapshots it made (their ids are chosen at run time), and the describes, which take no resource.

        The snapshots carry the volume's SNAPSHOT_TAG (the policy copies the volume's tags), so a role may delete
        only snapshots tagged with its own stack, and tag only those or untagged ones (a snapshot being created;
        whichever order DLM copies tags in), never setting the tag to another value: one group's role can neither
        expire nor re-tag another group's snapshots (a province has a role per group, docs/deploy.md)."""
        arn = f"arn:{stack.partition}:ec2:{stack.region}"
        snapshots = f"{arn}::snapshot/*"
        own, resource_tag, request_tag = (
            stack.stack_name,
            f"aws:ResourceTag/{SNAPSHOT_TAG}",
            f"aws:RequestTag/{SNAPSHOT_TAG}",
        )
        # CreateSnapshot authorises the volume and the new snapshot: the volume is this one, the snapshot any new id.
        self.snapshot_role.add_to_principal_policy(
            iam.PolicyStatement(sid="SnapshotTheVolume", actions=["ec2:CreateSnapshot"], resources=[self.volume_arn])
        )
        self.snapshot_role.add_to_principal_policy(
            iam.PolicyStatement(sid="TheNewSnapshot", actions=["ec2:CreateSnapshot"], resources=[snapshots])
        )
        never_another_value = {"StringEqualsIfExists": {request_tag: own}}
        self.snapshot_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TagOwnSnapshots",
                actions=["ec2:CreateTags"],
                resources=[snapshots],
                conditions={"StringEquals": {resource_tag: own}, **never_another_value},
            )
        )
        self.snapshot_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="TagNewSnapshots",
                actions=["ec2:CreateTags"],
                resources=[snapshots],
                conditions={"Null": {resource_tag: "true"}, **never_another_value},
            )
        )
        self.snapshot_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ExpireOwnSnapshots",
                actions=["ec2:DeleteSnapshot"],
                resources=[snapshots],
                conditions={"StringEquals": {resource_tag: own}},
            )
        )
        self.snapshot_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="Describe",
                actions=["ec2:DescribeInstances", "ec2:DescribeVolumes", "ec2:DescribeSnapshots"],
                resources=["*"],
            )
        )

    @property
    def volume_arn(self) -> str:
        stack = Stack.of(self)
        return f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}:volume/{self.volume.volume_id}"

    def attach_at_boot(self, user_data: ec2.UserData, role: iam.IRole, instance_profile: iam.IInstanceProfile) -> None:
        """The user data attaches and mounts the volume; the role may attach exactly this volume, and only onto an
        instance launched with `instance_profile` (the instance's id is not known before the group launches it)."""
        user_data.add_commands(attach_script(self.volume.volume_id))
        stack = Stack.of(self)
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="TheDataVolume", actions=["ec2:AttachVolume"], resources=[self.volume_arn])
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="AttachOntoThisInstance",
                actions=["ec2:AttachVolume"],
                resources=[f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}:instance/*"],
                conditions={"ArnEquals": {"ec2:InstanceProfile": instance_profile.instance_profile_arn}},
            )
        )
