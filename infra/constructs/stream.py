"""Stream: the Kinesis frame stream, the S3 evidence archive, and (optionally) Firehose delivery between them.

Frame records (docs/contracts.md §2) land in `raw/date=YYYY-MM-DD/auth=<status>/...` (Firehose, or the ArchiveWriter
function in the same format): a bounded set of partitions, never per MN. Object Lock keeps them unchangeable;
lifecycle rules move them to colder storage; nothing expires, because the archive is the evidence store.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Size, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

# jq 1.6 on the frame record; CDK joins these into one object, so each value is parenthesised (a pipe inside an
# object value needs it). Both keys come from fields the listener sets, and each has a closed set of values: the
# UTC date of arrival (two at midnight) and the authentication verdict (four), so at most 8 partitions are active.
AUTH_STATUSES = ("ok", "unregistered", "auth_failed")
PARTITION_QUERY = {
    "date": (
        '((.received_at // "") | tostring | .[0:10] | if test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$") then . '
        'else "unknown" end)'
    ),
    "auth": '((.auth // "") | tostring | if IN('
    + ", ".join(f'"{a}"' for a in AUTH_STATUSES)
    + ') then . else "other" end)',
}
DATA_PREFIX = "raw/date=!{partitionKeyFromQuery:date}/auth=!{partitionKeyFromQuery:auth}/"
ERROR_PREFIX = "errors/!{firehose:error-output-type}/date=!{timestamp:yyyy-MM-dd}/"
# What Firehose needs to write objects (its documented S3 destination permissions): no s3:DeleteObject*, which
# CDK's grantReadWrite would add.
DELIVERY_S3_BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads")
DELIVERY_S3_OBJECT_ACTIONS = ("s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject")
LOCK_MODES = {"GOVERNANCE": s3.ObjectLockRetention.governance, "COMPLIANCE": s3.ObjectLockRetention.compliance}


class Stream(Construct):
    """Kinesis stream (aws/kinesis key), S3 archive bucket with access logs, Firehose delivery between them
    (`delivery_stream`, None when another writer fills the archive: `with_firehose=False`). `with_stream=False`
    (the county host, whose runner writes the archive itself): no stream (`stream` None) and no Firehose."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        on_demand: bool,
        shard_count: int,
        retention: Duration,
        infrequent_access_after: Duration,
        glacier_after: Duration,
        deep_archive_after: Duration,
        removal_policy: RemovalPolicy,
        log_retention: logs.RetentionDays,
        lock_mode: str,
        lock_days: int,
        with_firehose: bool = True,
        with_stream: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self, "Key", enable_key_rotation=True, description="raw frame archive", removal_policy=removal_policy
        )
        self.stream: kinesis.Stream | None = None
        if with_stream:
            self.stream = kinesis.Stream(
                self,
                "Frames",
                stream_mode=kinesis.StreamMode.ON_DEMAND if on_demand else kinesis.StreamMode.PROVISIONED,
                shard_count=None if on_demand else shard_count,
                retention_period=retention,
                # The AWS-managed key (aws/kinesis): no per-producer/consumer KMS charges (cdk-nag KDS3).
                encryption=kinesis.StreamEncryption.MANAGED,
                removal_policy=removal_policy,
            )
        self.access_log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # server access logs cannot be written to SSE-KMS buckets
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            removal_policy=removal_policy,
            auto_delete_objects=False,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(365))],
        )
        self.archive_bucket = s3.Bucket(
            self,
            "Archive",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,  # an overwrite or delete keeps the earlier version: evidence is not lost
            # Every object version is locked for lock_days (COMPLIANCE: not even the root user can shorten it).
            object_lock_enabled=True,
            object_lock_default_retention=LOCK_MODES[lock_mode](Duration.days(lock_days)),
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix="archive/",
            removal_policy=removal_policy,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="colder-storage",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=infrequent_access_after
                        ),
                        s3.Transition(storage_class=s3.StorageClass.GLACIER, transition_after=glacier_after),
                        s3.Transition(storage_class=s3.StorageClass.DEEP_ARCHIVE, transition_after=deep_archive_after),
                    ],
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
            ],
        )
        self.delivery_stream: firehose.DeliveryStream | None = None
        if with_firehose and self.stream is not None:
            self._delivery(self.stream, log_retention, removal_policy)

    def _delivery(
        self, stream: kinesis.IStream, log_retention: logs.RetentionDays, removal_policy: RemovalPolicy
    ) -> None:
        """Firehose from the stream to the archive: jq partitions, a newline after each record, GZIP."""
        self.delivery_log_group = logs.LogGroup(
            self, "DeliveryLogs", retention=log_retention, removal_policy=removal_policy
        )
        self.delivery_role = self._delivery_role()
        self.delivery_stream = firehose.DeliveryStream(
            self,
            "ToArchive",
            source=firehose.KinesisStreamSource(stream),
            destination=firehose.S3Bucket(
                self.archive_bucket,
                # Immutable: the L2's own grants (read/write/delete on the bucket) are dropped; _delivery_role's stay.
                role=self.delivery_role.without_policy_updates(),
                dynamic_partitioning=firehose.DynamicPartitioningProps(
                    enabled=True, retry_duration=Duration.minutes(5)
                ),
                processors=[
                    firehose.MetadataExtractionProcessor.jq16(PARTITION_QUERY),
                    firehose.AppendDelimiterToRecordProcessor(),
                ],
                data_output_prefix=DATA_PREFIX,
                error_output_prefix=ERROR_PREFIX,
                # Dynamic partitioning needs at least 64 MiB buffers; at one frame a minute the interval decides.
                buffering_size=Size.mebibytes(128),
                buffering_interval=Duration.seconds(900),
                compression=firehose.Compression.GZIP,
                file_extension=".jsonl.gz",
                encryption_key=self.key,
                logging_config=firehose.EnableLogging(self.delivery_log_group),
            ),
        )
        # CDK would make the stream wait for its own grants; ours must be in place before Firehose checks the role.
        self.delivery_stream.node.add_dependency(self.delivery_role)

    def _delivery_role(self) -> iam.Role:
        """Firehose's role for the archive: write objects, use the archive key, write its own log group."""
        stack = Stack.of(self)
        role = iam.Role(
            self,
            "DeliveryRole",
            assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"),
            description="Firehose delivery of raw frames to the archive: no delete",
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=list(DELIVERY_S3_BUCKET_ACTIONS), resources=[self.archive_bucket.bucket_arn])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=list(DELIVERY_S3_OBJECT_ACTIONS), resources=[self.archive_bucket.arn_for_objects("*")]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.{stack.url_suffix}"}},
            )
        )
        self.delivery_log_group.grant_write(role)
        return role
