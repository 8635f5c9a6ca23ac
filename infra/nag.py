"""cdk-nag AwsSolutions findings reviewed and accepted, each with the reason it does not apply.

Every acknowledgement names the rule (and, for IAM5, the exact wildcard) on the exact construct. Synthesis
fails on any finding not acknowledged here, and tests/infra/test_nag.py checks the report, so a new resource
must be made compliant or reviewed and listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Stack, Token, Validations
from constructs import IConstruct

if TYPE_CHECKING:
    from infra.constructs.ingest import Ingest
    from infra.stacks.platform import PlatformStack


def _at(stack: Stack, path: str) -> IConstruct:
    node: IConstruct = stack
    for part in path.split("/"):
        node = node.node.find_child(part)
    return node


# (rule, construct path, reason) of every acknowledgement made in this process, for the tests.
RECORDED: list[tuple[str, str, str]] = []


def check_reason(rule: str, reason: str) -> None:
    """An acknowledgement must say why the finding does not apply, in a real sentence."""
    if len(reason.strip()) < 30:
        raise ValueError(f"{rule}: give a reason of at least 30 characters, got {reason!r}")


def _ec2_arn(stack: Stack, *, account: bool = True) -> str:
    """An EC2 ARN's prefix as cdk-nag prints it: pseudo parameters for an environment-agnostic stack, the values
    of a pinned one (a China stage)."""
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    owner = ("<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account) if account else ""
    return f"arn:<AWS::Partition>:ec2:{region}:{owner}"


def _default_policy(role: IConstruct | None) -> IConstruct:
    """The CloudFormation policy resource of a role's default policy (where grants land)."""
    if role is None:
        raise ValueError("expected a role, got None")
    policy = role.node.find_child("DefaultPolicy").node.default_child
    if policy is None:
        raise ValueError(f"{role.node.path} has no default policy")
    return policy


def _ack(construct: IConstruct, rule: str, reason: str) -> None:
    check_reason(rule, reason)
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))
    RECORDED.append((rule, construct.node.path, reason))


def suppress_reviewed_findings(stack: PlatformStack) -> None:
    """Acknowledge the reviewed findings on the stack's resources."""
    archive = stack.get_logical_id(stack.stream.archive_bucket.node.default_child)  # type: ignore[arg-type]
    if stack.stream.delivery_stream is not None:
        _ack(
            _default_policy(stack.stream.delivery_role),
            f"AwsSolutions-IAM5[Resource::<{archive}.Arn>/*]",
            "Firehose writes objects under date/auth prefixes chosen at run time; scoped to the archive bucket, "
            "no delete",
        )
        _ack(
            stack.stream.delivery_stream.node.default_child,  # type: ignore[arg-type]
            "AwsSolutions-KDF1",
            "Firehose server-side encryption applies to Direct PUT only; the source stream and the archive are "
            "encrypted",
        )
    if stack.archive_writer:
        for prefix in stack.archive_writer_prefixes:
            _ack(
                _default_policy(stack.functions.archive_writer.role),
                f"AwsSolutions-IAM5[Resource::<{archive}.Arn>/{prefix}*]",
                f"The archive writer puts one object per batch under {prefix} with keys chosen at run time (the "
                "date and verdict of the records, the shard and sequence numbers); PutObject only, no read, list "
                "or delete, and the bucket's Object Lock keeps every version",
            )
        _ack(
            stack.functions.archive_writer_failures,
            "AwsSolutions-SQS3",
            "This queue is the archive writer's on-failure destination itself (batch pointers), alarmed, 14 days",
        )
    if stack.notify_secret is not None:  # secrets_store=ssm: a SecureString parameter, no secret
        _ack(
            stack.notify_secret,
            "AwsSolutions-SMG4",
            "Provider AccessKeys and app secrets are issued and rotated in the providers' consoles, then set here",
        )
    if stack.functions.dead_letters is not None:
        _ack(
            stack.functions.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is the dead-letter (on-failure) destination itself; it is alarmed on and kept 14 days",
        )
    _ack(
        stack.functions.archive_failures,
        "AwsSolutions-SQS3",
        "This queue is the on-failure destination itself (chain events that failed their retries), kept 14 days",
    )
    _ack(
        _default_policy(stack.functions.functions["ChainArchive"].role),
        f"AwsSolutions-IAM5[Resource::<{archive}.Arn>/raw/*]",
        "The chain function reads the delivered objects under raw/, whose keys the archive's writer (Firehose, the "
        "ArchiveWriter function or the county host's runner) chooses at run time; "
        "get object (and version) only, no list, put or delete",
    )
    if stack.sns_sms_region:
        _ack(
            _default_policy(stack.functions.functions["NotifySend"].role),
            "AwsSolutions-IAM5[Resource::*]",
            "SNS authorises a publish to a phone number against no resource ARN, so sns:Publish is allowed on * "
            "within the SMS region only, and denied on every topic and platform endpoint ARN",
        )
    _ack(
        _default_policy(stack.functions.functions["ChainArchive"].role),
        f"AwsSolutions-IAM5[Resource::<{archive}.Arn>/manifests/*]",
        "The chain function writes one manifest per delivered object under manifests/ (named after the object, "
        "so chosen at run time), reads them back and lists them; no delete, and the bucket's Object Lock keeps "
        "every version",
    )
    for prefix in ("raw", "manifests"):
        _ack(
            _default_policy(stack.api.role),
            f"AwsSolutions-IAM5[Resource::<{archive}.Arn>/{prefix}/*]",
            "Evidence exports read the delivered objects and manifests that the chain's links name (keys chosen by "
            "the archive's writer and the chain function at run time); get object only, no list, put or delete",
        )
    snapshots = stack.functions.rule_snapshots
    if snapshots is not None and stack.functions.rules_worker is not None:
        bucket = stack.get_logical_id(snapshots.node.default_child)  # type: ignore[arg-type]
        _ack(
            _default_policy(stack.functions.rules_worker.role),
            f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/rules-snapshots/*]",
            "The rule worker gets and puts one window snapshot per county and shard, keys chosen by the shard plan "
            "at run time; scoped to the snapshot prefix of the snapshot bucket, no delete",
        )
        _ack(
            snapshots,
            "AwsSolutions-S1",
            "Derived rule windows rewritten every minute and expired after a day, no evidence nor personal data: "
            "an access log line per write would cost more than the snapshots and tell nothing the rules' logs do not",
        )
    for child in stack.node.children:  # CDK's deploy-time handler that writes the bucket's notification settings
        if child.node.id.startswith("BucketNotificationsHandler"):
            _ack(
                child.node.find_child("Role"),
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]",
                "CDK's own handler that sets the archive bucket's event notifications at deploy time; it writes only "
                "its logs with this policy, and is not part of the data path",
            )
    for fn in stack.functions.functions.values():
        _ack(
            fn,
            "AwsSolutions-L1",
            "The project targets Python 3.11 (pyproject requires-python); the runtime moves with the project",
        )
    for table_name, table in stack.storage.tables.items():
        logical = stack.get_logical_id(table.node.default_child)  # type: ignore[arg-type]
        for fn_name, fn in stack.functions.functions.items():
            access = stack.data_access(fn_name)
            if table_name in access and stack.table_has_indexes(table_name):
                _ack(
                    _default_policy(fn.role),
                    f"AwsSolutions-IAM5[Resource::<{logical}.Arn>/index/*]",
                    "queries on the table's global secondary indexes (schema.py); scoped to that table",
                )
    if stack.ingest is not None:  # host groups: each group's stack (suppress_ingest_findings there)
        suppress_ingest_findings(stack, stack.ingest, stack)
    _suppress_api(stack)
    _suppress_web(stack)


def suppress_ingest_findings(
    stack: Stack,
    ingest: Ingest,
    shared: PlatformStack,
    imported: tuple[Mapping[str, str], str] | None = None,
) -> None:
    """Acknowledge the reviewed findings on the listener or host in `stack`: the stage's own (`shared`), or one of
    its host groups' (infra/stacks/host_group.py), which uses the shared stack's tables and archive bucket by the
    ARNs in `imported` (logical table name -> ARN, and the bucket's ARN, as cdk-nag prints them)."""
    if shared.stream.stream is not None:
        what, reaches = "listener", "the listener has no secrets: its task role reaches DynamoDB and Kinesis"
    else:  # the county host: the runner's, the listener's and the handlers' settings
        what, reaches = "platform", "the runner has no secrets: its task role reaches DynamoDB and the archive bucket"
    _ack(
        ingest.task_definition,
        "AwsSolutions-ECS2",
        f"plain, non-secret {what} settings ({listener_settings(ingest.environment_names)}); {reaches}",
    )
    _ack(
        _default_policy(ingest.task_definition.execution_role),
        "AwsSolutions-IAM5[Resource::*]",
        "ecr:GetAuthorizationToken supports no resource-level permissions; image pulls are scoped to the repository",
    )
    terminals_group = ingest.load_balancer_security_group
    if ingest.host is not None:
        terminals_group = ingest.host.security_group
    assert terminals_group is not None
    _ack(
        terminals_group,
        "AwsSolutions-EC23",
        "4G terminals connect from carrier NAT addresses that cannot be listed; allowed_cidrs narrows it per stage. "
        "A frame is tagged unregistered or auth_failed unless its MN and password match the registry, and live "
        "decode stores no reading from such a frame",
    )
    if ingest.load_balancer is not None:
        _ack(
            ingest.load_balancer,
            "AwsSolutions-ELB2",
            "NLB access logs exist only for TLS listeners; HJ 212 is plain TCP. Every frame is kept in the S3 archive",
        )
    _suppress_listener_host(stack, ingest, shared)
    if imported is None:  # the stage's own host: its tables and bucket are in this stack
        tables = {name: _get_att_arn(stack, table) for name, table in shared.storage.tables.items()}
        imported = (tables, _get_att_arn(stack, shared.stream.archive_bucket))
    _suppress_platform_host(stack, ingest, shared, *imported)
    _suppress_floor(ingest, shared)


def _get_att_arn(stack: Stack, resource: IConstruct) -> str:
    """A resource's ARN attribute as cdk-nag prints it: <Logical.Arn>."""
    return f"<{stack.get_logical_id(resource.node.default_child)}.Arn>"  # type: ignore[arg-type]


def table_arn(stack: Stack, table_name: str) -> str:
    """A table's ARN built from its name in `stack`, as cdk-nag prints it."""
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    return f"arn:<AWS::Partition>:dynamodb:{region}:{account}:table/{table_name}"


def listener_settings(names: Iterable[str]) -> str:
    """The listener's environment variables for people: IOT_INGEST_DYNAMODB_REGION -> dynamodb region."""
    return ", ".join(n.removeprefix("IOT_INGEST_").lower().replace("_", " ") for n in names)


def _watched(stack: PlatformStack) -> str:
    """What the alarms watch besides the instance: the stream's frames, or (the county host) the task's samples."""
    if stack.stream.stream is not None:
        return "the frames reaching the stream"
    return "the platform task's AWS/ECS CPU samples"


def _suppress_floor(ingest: Ingest, stack: PlatformStack) -> None:
    """What a stage at the lowest fixed cost leaves out (docs/deploy.md "Fixed floor at 1,500 terminals")."""
    if ingest.host is not None and not ingest.container_insights:
        _ack(
            ingest.cluster,
            "AwsSolutions-ECS4",
            "Container Insights is off in this stage (its metrics are billed as custom metrics): the listener runs "
            f"one task on one instance, watched by the group's in-service instance count and {_watched(stack)} "
            "(free metrics); the free AWS/ECS service CPU and memory metrics remain",
        )
    elif ingest.connections_policy is None:
        _ack(
            ingest.cluster,
            "AwsSolutions-ECS4",
            "Container Insights is off in this stage (its metrics are billed as custom metrics): the free AWS/ECS "
            "CPU and memory metrics drive the CPU scaling policy and the NLB's metrics the connection and health "
            "alarms. Without RunningTaskCount there is no connections policy, which suits a fleet under one task's "
            "connections_per_task (the county stage: 1,500 terminals of 5,000)",
        )


def _suppress_listener_host(stack: Stack, ingest: Ingest, shared: PlatformStack) -> None:
    """The listener's one EC2 instance (infra/constructs/listener_host.py, docs/deploy.md "Fixed floor")."""
    host = ingest.host
    if host is None:
        return
    policy = _default_policy(host.role)
    _ack(
        policy,
        "AwsSolutions-IAM5[Resource::*]",
        "The ECS agent's own actions as CDK grants them to a capacity provider's instances: ecs:DiscoverPollEndpoint, "
        "ecr:GetAuthorizationToken and the logs writes take no resource, ecs:Poll and StartTelemetrySession are "
        "limited to this cluster by the ecs:cluster condition",
    )
    _ack(
        policy,
        "AwsSolutions-IAM5[Action::ecs:Submit*]",
        "The ECS agent's state reports (SubmitTaskStateChange, SubmitContainerStateChange, "
        "SubmitAttachmentStateChanges) as CDK grants them, on this cluster only",
    )
    for kind, why in (
        ("instance", "only onto an instance launched with this group's instance profile (ec2:InstanceProfile)"),
        ("network-interface", "only onto a network interface in the stage's VPC (ec2:Vpc)"),
    ):
        _ack(
            policy,
            f"AwsSolutions-IAM5[Resource::{_ec2_arn(stack)}:{kind}/*]",
            "ec2:AssociateAddress of the stage's one Elastic IP (named by its allocation id in its own statement), "
            f"{why}: the instance id is not known before the group launches it",
        )
    _ack(
        host.group,
        "AwsSolutions-AS3",
        "A group of exactly one instance that never scales: its replacement raises the ListenerOutOfService alarm "
        "(in-service instances, to the alarm topic), and the group's activity history keeps every launch and "
        "termination",
    )
    _ack(
        host.launch_template,
        "AwsSolutions-EC28",
        f"Basic 5-minute EC2 metrics suffice: the alarms watch the group's in-service count and {_watched(shared)} "
        "each minute; detailed monitoring would add 7 custom metrics ($2.10 a month) to the county floor",
    )


def _suppress_platform_host(
    stack: Stack, ingest: Ingest, shared: PlatformStack, table_arns: Mapping[str, str], archive: str
) -> None:
    """The county host (platform_host): its task role's data grants, its volume's attachment, its snapshots."""
    host = ingest.host
    if host is None or host.volume is None:
        return
    task_policy = _default_policy(ingest.task_definition.task_role)
    for prefix in shared.archive_writer_prefixes:
        _ack(
            task_policy,
            f"AwsSolutions-IAM5[Resource::{archive}/{prefix}*]",
            f"The runner's archive writer puts one object per batch under {prefix} with keys chosen at run time (the "
            "date and verdict of the records, the batch); PutObject only, no read, list or delete, and the "
            "bucket's Object Lock keeps every version",
        )
    for table_name in shared.storage.tables:
        if table_name in shared.host_data_access() and shared.table_has_indexes(table_name):
            _ack(
                task_policy,
                f"AwsSolutions-IAM5[Resource::{table_arns[table_name]}/index/*]",
                "decode and the rules query the table's global secondary indexes (schema.py); scoped to that table",
            )
    _ack(
        _default_policy(host.role),
        f"AwsSolutions-IAM5[Resource::{_ec2_arn(stack)}:instance/*]",
        "ec2:AttachVolume of the stage's one data volume (named by its id in its own statement) only onto an "
        "instance launched with this group's instance profile (ec2:InstanceProfile): its id is not known before "
        "the group launches it",
    )
    snapshot_policy = _default_policy(host.volume.snapshot_role)
    _ack(
        snapshot_policy,
        f"AwsSolutions-IAM5[Resource::{_ec2_arn(stack, account=False)}:snapshot/*]",
        "Data Lifecycle Manager creates, tags and expires the data volume's daily snapshots, whose ids it chooses "
        "at run time; CreateSnapshot also needs the one volume, named by its ARN, and tagging and deleting are "
        "conditioned on the snapshot's gongkuang:host-data tag (this stack's, or none yet for tagging)",
    )
    _ack(
        snapshot_policy,
        "AwsSolutions-IAM5[Resource::*]",
        "ec2:DescribeInstances, DescribeVolumes and DescribeSnapshots support no resource-level permissions; the "
        "role can change nothing but the data volume's snapshots",
    )


def _suppress_api(stack: PlatformStack) -> None:
    """The HTTP API (infra/constructs/api.py): what API Gateway's own checks cannot see of an app that authorises."""
    api = stack.api
    policy = _default_policy(api.role)
    photos = stack.get_logical_id(api.photos.node.default_child)  # type: ignore[arg-type]
    for prefix in ("photos", "incoming"):
        _ack(
            policy,
            f"AwsSolutions-IAM5[Resource::<{photos}.Arn>/{prefix}/*]",
            f"photo objects are keyed by id under {prefix}/ (monitoring/storage/photo_blobs/s3.py); "
            "get/put/delete on that prefix of the photo bucket only",
        )
    for table_name, table in stack.storage.tables.items():
        if table_name in stack.api_data_access() and stack.table_has_indexes(table_name):
            logical = stack.get_logical_id(table.node.default_child)  # type: ignore[arg-type]
            _ack(
                policy,
                f"AwsSolutions-IAM5[Resource::<{logical}.Arn>/index/*]",
                "queries on the table's global secondary indexes (schema.py); scoped to that table",
            )
    _ack(
        api.function,
        "AwsSolutions-L1",
        "The project targets Python 3.11 (pyproject requires-python); the runtime moves with the project",
    )
    for secret in (s for s in (api.token_key, api.wechat_secret) if s is not None):
        _ack(
            secret,
            "AwsSolutions-SMG4",
            "The token key is rotated by replacing it (every session signs in again, docs/deploy.md); the WeChat "
            "AppSecret is issued by WeChat's console and stored by the operator, nothing here could rotate it",
        )
    _ack(
        api.rest_api,
        "AwsSolutions-APIG2",
        "One proxy resource: every body and query is validated by the app's pydantic models (422 with the field), "
        "which API Gateway's request models would only duplicate",
    )
    for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
        _ack(
            api.rest_api,
            rule,
            "The app authorises every route itself: short-lived JWT access tokens and roles/scopes per route "
            "(miniprogram_api/chalicelib/policy.py); login and the OpenAPI document are public by design",
        )
    if api.web_acl is None:
        _ack(
            api.stage,
            "AwsSolutions-APIG3",
            "api_waf=false, the bureau's choice for this stage (docs/deploy.md \"Fixed floor\"): the stage's own "
            "throttling caps every source together; the app locks an account after 5 failed logins (across "
            "containers) and slows failed logins per source IP as API Gateway sees it, in each Lambda container on "
            "its own (the dashboard's calls come through CloudFront: their source IP is an edge's, shared by its "
            "viewers); what is lost is per-address blocking at the edge",
        )
    cloudwatch_role = api.rest_api.node.try_find_child("CloudWatchRole")
    if cloudwatch_role is not None:
        _ack(
            cloudwatch_role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level logging role; AWS's managed policy is the documented one for this role",
        )


def _suppress_web(stack: PlatformStack) -> None:
    """The dashboard (infra/constructs/web.py): the distribution's defaults and CDK's own upload function."""
    if stack.web is None:
        return  # web_distribution false: no site bucket, no distribution
    distribution = stack.web.distribution
    _ack(
        distribution,
        "AwsSolutions-CFR1",
        "The officials sign in from wherever they work; every data call is authorised by the API, and a geo "
        "allow-list would also lock out staff on official travel",
    )
    edge = (
        "whose regional WAF rate rule applies to every call"
        if stack.api.web_acl is not None
        else 'throttled as a whole (api_waf=false: no per-address rule, docs/deploy.md "Fixed floor")'
    )
    _ack(
        distribution,
        "AwsSolutions-CFR2",
        "A CLOUDFRONT-scope web ACL must live in us-east-1 (another stack); /api/v1/* reaches the API stage, "
        f"{edge}, and the site itself is static files",
    )
    _ack(
        distribution,
        "AwsSolutions-CFR4",
        "The default *.cloudfront.net certificate until the bureau's domain and ACM certificate are configured; "
        "viewers are redirected to HTTPS and HSTS is sent",
    )
    for child in stack.node.children:  # CDK's singleton function that copies web/dist into the site bucket
        if not child.node.id.startswith("Custom::CDKBucketDeployment"):
            continue
        _ack(
            child.node.find_child("ServiceRole"),
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "CDK's own deploy-time upload function writes only its logs with this policy; not part of the data path",
        )
        site = stack.get_logical_id(stack.web.bucket.node.default_child)  # type: ignore[arg-type]
        wildcards = (
            "Action::s3:GetBucket*",
            "Action::s3:GetObject*",
            "Action::s3:List*",
            "Action::s3:Abort*",
            "Action::s3:DeleteObject*",
            f"Resource::<{site}.Arn>/*",
            "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
            "Resource::*",
        )
        for wildcard in wildcards:
            _ack(
                _default_policy(child.node.find_child("ServiceRole")),
                f"AwsSolutions-IAM5[{wildcard}]",
                "CDK's BucketDeployment grants: read the build's asset from the bootstrap bucket, replace the "
                "site bucket's objects (prune), and create the CloudFront invalidation, which has no resource scope",
            )
        _ack(
            child,
            "AwsSolutions-L1",
            "CDK's BucketDeployment function; its runtime is chosen and upgraded by aws-cdk-lib, not by the project",
        )
