"""The county-host stage: the embedded platform on the county's one instance, its frame queue on a kept EBS volume;
no stream, no decode, archive-writer or rules Lambdas; China regions synthesize it offline."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.data_grants import LISTENER
from infra.settings import StageSettings
from infra.stacks.platform import ARCHIVE_WRITER_PREFIXES, PlatformStack
from local.app import BACKLOG_ALARM, CONDITION_LINES, DEAD_FRAMES, FAILURE_LINES
from local.queue import RESERVE_REFUSING
from tests.infra.conftest import REUSE_MIRRORS, REUSE_VPC, Synthesized

pytestmark = pytest.mark.infra
STAGE = "county-host"
# What stays a Lambda on the county host: the API, notify (the state table's stream, the sender, the decider),
# the scheduled escalate, maintenance and campaign handlers, and the archive's chain.
KEPT_HANDLERS = {
    "miniprogram_api.lambda_proxy.handler",
    "functions.every_five_minutes_escalate.handler",
    "functions.on_alarm_change_notify.handler",
    "functions.notify_send.handler",
    "functions.every_fifteen_minutes_maintenance_reminders.handler",
    "functions.every_fifteen_minutes_campaign.handler",
    "functions.on_archive_object.handler",
}
GONE_HANDLERS = {
    "functions.on_frame_batch.handler",
    "functions.on_frame_batch_archive.handler",
    "functions.every_minute_schedule_rules.handler",
    "functions.on_rule_shard.handler",
}


def _one(synthesized: Synthesized, kind: str, stage: str = STAGE) -> tuple[str, dict[str, Any]]:
    ((logical, resource),) = synthesized.resources(stage, kind).items()
    return logical, resource.get("Properties", {})


def _text(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def _statements(synthesized: Synthesized, role: str, stage: str = STAGE) -> list[dict[str, Any]]:
    return [
        st
        for p in synthesized.properties(stage, "AWS::IAM::Policy")
        if {"Ref": role} in p["Roles"]
        for st in p["PolicyDocument"]["Statement"]
    ]


def _container(synthesized: Synthesized, stage: str = STAGE) -> tuple[dict[str, Any], dict[str, Any]]:
    _, task = _one(synthesized, "AWS::ECS::TaskDefinition", stage)
    (container,) = task["ContainerDefinitions"]
    return task, container


def _handlers(synthesized: Synthesized, stage: str) -> set[str]:
    return {p["Handler"] for p in synthesized.properties(stage, "AWS::Lambda::Function")}


def test_no_stream_and_no_decode_archive_writer_or_rules_functions(synthesized: Synthesized) -> None:
    for kind in (
        "AWS::Kinesis::Stream",
        "AWS::KinesisFirehose::DeliveryStream",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
    ):
        assert synthesized.resources(STAGE, kind) == {}, kind
    handlers = _handlers(synthesized, STAGE)
    assert KEPT_HANDLERS <= handlers and not GONE_HANDLERS & handlers
    # no shard queue, no decode dead letters, no snapshot bucket: the only queue is the chain's on-failure queue
    queues = synthesized.resources(STAGE, "AWS::SQS::Queue")
    assert [k for k in queues if not k.startswith("FunctionsChainArchiveFailures")] == []
    assert not [k for k in synthesized.resources(STAGE, "AWS::S3::Bucket") if "RuleSnapshots" in k]
    sources = synthesized.properties(STAGE, "AWS::Lambda::EventSourceMapping")
    (source,) = sources  # the state table's stream to NotifyOnAlarm, nothing from Kinesis or SQS
    assert source["EventSourceArn"]["Fn::GetAtt"][0].startswith("StorageState")
    assert source["EventSourceArn"]["Fn::GetAtt"][1] == "StreamArn"
    outputs = synthesized.templates[STAGE]["Outputs"]
    assert not {"FrameStream", "DeadLetterQueue", "ArchiveDeadLetterQueue"} & set(outputs)
    assert {"ArchiveBucket", "HostDataVolume", "TerminalIp1", "ApiUrl"} <= set(outputs)
    # the county-ec2 stage it derives from is as it was: a stream, decode and the rules' fan-out
    assert synthesized.resources("county-ec2", "AWS::Kinesis::Stream")
    assert GONE_HANDLERS - {"functions.on_frame_batch_archive.handler"} <= _handlers(synthesized, "county-ec2")


def test_the_functions_left_read_no_fan_out_queue_or_snapshot_bucket(synthesized: Synthesized) -> None:
    for props in synthesized.properties(STAGE, "AWS::Lambda::Function"):
        variables = props.get("Environment", {}).get("Variables", {})
        if props["Handler"].startswith("functions."):
            for name in ("DECODE_DEAD_LETTER_QUEUE_URL", "RULES_SHARD_QUEUE_URL", "RULES_SNAPSHOT_BUCKET"):
                assert variables[name] == "", (props["Handler"], name)


def test_the_platform_container_runs_the_embedded_runner_on_the_data_volume(synthesized: Synthesized) -> None:
    s = StageSettings(name=STAGE)
    task, container = _container(synthesized)
    assert container["Command"] == ["python", "-m", "local", "run"]
    assert task["Volumes"] == [{"Host": {"SourcePath": "/data"}, "Name": "data"}]
    assert container["MountPoints"] == [{"ContainerPath": "/data", "ReadOnly": False, "SourceVolume": "data"}]
    assert task["NetworkMode"] == "bridge" and task["RequiresCompatibilities"] == ["EC2"]
    assert container["PortMappings"] == [
        {"ContainerPort": s.ingest_port, "HostPort": s.ingest_port, "Name": "hj212", "Protocol": "tcp"}
    ]
    assert f"127.0.0.1:{s.health_port}/health" in " ".join(container["HealthCheck"]["Command"])
    assert (container["Memory"], container["Cpu"]) == (1024, 512)  # fits the t4g.small with 1 GiB to spare
    _, template = _one(synthesized, "AWS::EC2::LaunchTemplate")
    assert template["LaunchTemplateData"]["InstanceType"] == "t4g.small"
    # the old task stops before the new one starts: one instance, one host port, one volume
    _, service = _one(synthesized, "AWS::ECS::Service")
    config = service["DeploymentConfiguration"]
    assert (service["DesiredCount"], config["MinimumHealthyPercent"], config["MaximumPercent"]) == (1, 0, 100)
    # built from local/Dockerfile (the same repository root as context), not the listener's image
    assets = json.loads(next(synthesized.outdir.glob(f"Gongkuang-{STAGE}.assets.json")).read_text(encoding="utf-8"))
    (image,) = assets["dockerImages"].values()
    assert image["source"]["dockerFile"] == "local/Dockerfile"
    assert set(image["source"]["dockerBuildArgs"]) == {"BASE_IMAGE", "PIP_INDEX_URL"}


def test_the_container_environment_is_the_runners_contract(synthesized: Synthesized) -> None:
    _, container = _container(synthesized)
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    archive = [k for k in synthesized.resources(STAGE, "AWS::S3::Bucket") if k.startswith("StreamArchive")]
    assert {k: v for k, v in env.items() if k.startswith("LOCAL_")} == {
        "LOCAL_DATA_DIR": "/data",
        "LOCAL_HOST": "0.0.0.0",
        "LOCAL_PORT": "9000",
        "LOCAL_HEALTH_PORT": "8080",
        "LOCAL_STORE": "dynamodb",
        "LOCAL_DYNAMODB_TABLE_PREFIX": "gk-county-host",
        "LOCAL_DYNAMODB_REGION": {"Ref": "AWS::Region"},
        "LOCAL_ARCHIVE_BUCKET": {"Ref": archive[0]},
        "LOCAL_ARCHIVE_EVERY_S": "300",
        "LOCAL_QUEUE_RESERVE_MB": "256",  # free space kept on /data: marks and deletes still fit (docs/deploy.md)
        "LOCAL_HANG_AFTER_S": "120",  # the S3 client's timeouts are half of it: a slow S3 answer is no failure
        "LOCAL_READING_BUCKET_MINUTES": "5",  # minute readings written as 5-minute buckets per point
        "LOCAL_ARCHIVE_CHAIN": "false",  # ChainArchive chains each new raw/ object (the task may not read them)
        "LOCAL_API": "false",
        "LOCAL_NOTIFY": "false",
        "LOCAL_SCHEDULED_JOBS": "false",
        "LOCAL_EVALUATE_EVERY_S": "300",  # rules_every_minutes = 5
        "LOCAL_COUNTY_ID": "rugao",
        "LOCAL_DECODE_WORKERS": "1",
        "LOCAL_LOG_LEVEL": "INFO",
    }
    # what the decode and rules Lambdas of county-ec2 read from the wiring, the same values but the tables' prefix
    (decode,) = [
        p for p in synthesized.properties("county-ec2", "AWS::Lambda::Function")
        if p["Handler"] == "functions.on_frame_batch.handler"
    ]  # fmt: skip
    lambda_env = decode["Environment"]["Variables"]
    skipped = {"NOTIFY_", "DECODE_DEAD_LETTER", "RULES_SHARD_QUEUE", "RULES_SNAPSHOT", "RULES_WAIT_FOR_DECODE"}
    for name, value in lambda_env.items():
        if not any(name.startswith(p) for p in skipped):
            assert env[name] == (value.replace("gk-county-ec2", "gk-county-host") if isinstance(value, str) else value)
    # the runner holds its ticks on its own queue; the one-runner evaluate handler's county; the region boto3 needs
    assert env["RULES_WAIT_FOR_DECODE"] == "false" and env["COUNTY_ID"] == "rugao"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == {"Ref": "AWS::Region"}
    assert not [k for k in env if k.startswith("NOTIFY_")]
    # the listener inside the runner: its limits and registry, no Kinesis sink; local's host and ports win
    assert env["IOT_INGEST_STORE_BACKEND"] == "dynamodb" and env["IOT_INGEST_COUNTIES"] == "rugao"
    assert env["IOT_INGEST_MAX_CONNECTIONS"] == "20000" and env["IOT_INGEST_DRAIN_TIMEOUT"] == "20"
    assert not {"IOT_INGEST_SINK", "IOT_INGEST_PORT", "IOT_INGEST_HOST", "IOT_INGEST_HEALTH_PORT"} & set(env)
    # the per-source abuse limits of a listener behind the NLB, not local's relaxed ones for one machine
    from iot_ingest.config import Settings as ListenerSettings

    defaults = ListenerSettings.model_fields
    assert float(env["IOT_INGEST_CONN_RATE"]) == defaults["conn_rate"].default
    assert int(env["IOT_INGEST_CONN_BURST"]) == defaults["conn_burst"].default
    # the archive worker's S3 calls may wait seconds for an answer, as S3's slow tail can take
    from local.archive_worker import s3_limits

    limits = s3_limits(float(env["LOCAL_HANG_AFTER_S"]))
    assert limits.read_s >= 10 and limits.worst_s() <= float(env["LOCAL_HANG_AFTER_S"]) / 2


def test_the_task_role_is_the_union_of_decode_rules_and_the_archive_writer(synthesized: Synthesized) -> None:
    task, _ = _container(synthesized)
    statements = _statements(synthesized, task["TaskRoleArn"]["Fn::GetAtt"][0])
    all_tables = synthesized.resources(STAGE, "AWS::DynamoDB::GlobalTable")
    tables = {
        name: k for name in PlatformStack.host_data_access() for k in all_tables
        if all_tables[k]["Properties"]["TableName"] == f"gk-county-host-{name}"
    }  # fmt: skip
    assert set(tables) == PlatformStack.host_data_access() == {"registry", "state", "readings", "events", "archive"}
    dynamodb = [st for st in statements if "dynamodb:" in _text(st["Action"])]
    granted = {t for st in dynamodb for t in tables if _text({"Fn::GetAtt": [tables[t], "Arn"]}) in _text(st)}
    assert granted == set(tables)  # every table decode, the rules or the writer use, and no other
    actions = {a for st in dynamodb for a in st["Action"]}
    # the listener's key-scoped needs are covered (it runs inside the runner under this role)
    assert {a for g in LISTENER for a in g.actions} <= actions
    s3 = [st for st in statements if "s3:" in _text(st["Action"])]
    assert [st["Action"] for st in s3] == ["s3:PutObject"]  # no read, list or delete of the archive
    prefixes = sorted(part for r in s3[0]["Resource"] for part in r["Fn::Join"][1] if isinstance(part, str))
    assert prefixes == sorted(f"/{p}*" for p in ARCHIVE_WRITER_PREFIXES)
    (kms,) = [st for st in statements if "kms:" in _text(st["Action"])]
    assert kms["Action"] == "kms:GenerateDataKey" and "kms:ViaService" in kms["Condition"]["StringEquals"]
    # nothing of Kinesis, SQS, EC2 or any other service
    services = {
        a.split(":")[0]
        for st in statements
        for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }
    assert services == {"dynamodb", "s3", "kms"}


def test_a_kept_encrypted_gp3_volume_in_the_instances_one_zone(synthesized: Synthesized) -> None:
    logical, volume = _one(synthesized, "AWS::EC2::Volume")
    resource = synthesized.resources(STAGE, "AWS::EC2::Volume")[logical]
    assert (volume["VolumeType"], volume["Size"], volume["Encrypted"]) == ("gp3", 8, True)
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
    assert "SnapshotId" not in volume
    _, group = _one(synthesized, "AWS::AutoScaling::AutoScalingGroup")
    (subnet,) = group["VPCZoneIdentifier"]  # one subnet: the instance starts where its volume is
    subnet_props = synthesized.resources(STAGE, "AWS::EC2::Subnet")[subnet["Ref"]]["Properties"]
    assert volume["AvailabilityZone"] == subnet_props["AvailabilityZone"]
    tags = {t["Key"]: t["Value"] for t in volume["Tags"]}
    assert tags["gongkuang:host-data"] == "Gongkuang-county-host"


def test_the_instance_may_attach_only_that_volume_and_only_onto_itself(synthesized: Synthesized) -> None:
    volume, _ = _one(synthesized, "AWS::EC2::Volume")
    profile, props = _one(synthesized, "AWS::IAM::InstanceProfile")
    (role,) = props["Roles"]
    statements = _statements(synthesized, role["Ref"])
    attach = [st for st in statements if "ec2:AttachVolume" in _text(st["Action"])]
    assert all(st["Action"] == "ec2:AttachVolume" for st in attach) and len(attach) == 2
    by_sid = {st["Sid"]: st for st in attach}
    assert {"Ref": volume} in by_sid["TheDataVolume"]["Resource"]["Fn::Join"][1]
    assert "volume/" in _text(by_sid["TheDataVolume"]["Resource"]) and "Condition" not in by_sid["TheDataVolume"]
    onto = by_sid["AttachOntoThisInstance"]
    assert "instance/*" in _text(onto["Resource"])
    assert onto["Condition"] == {"ArnEquals": {"ec2:InstanceProfile": {"Fn::GetAtt": [profile, "Arn"]}}}
    # nothing else of EC2 but the Elastic IP's association (county-ec2's) and the ECS agent's own
    ec2 = {a for st in statements for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    assert {a for a in ec2 if a.startswith("ec2:")} == {"ec2:AssociateAddress", "ec2:AttachVolume"}


def test_the_user_data_attaches_formats_if_blank_and_mounts_before_ecs(synthesized: Synthesized) -> None:
    volume, _ = _one(synthesized, "AWS::EC2::Volume")
    _, template = _one(synthesized, "AWS::EC2::LaunchTemplate")
    parts = template["LaunchTemplateData"]["UserData"]["Fn::Base64"]["Fn::Join"][1]
    script = "".join(p if isinstance(p, str) else _text(p) for p in parts)
    assert _text({"Ref": volume}) in script
    order = ["ECS_CLUSTER=", "associate-address", "attach-volume", "blkid -p", "chattr +i /data", "mount /data",
             "chown 10001:10001 /data"]  # fmt: skip
    positions = [script.index(step) for step in order]
    assert positions == sorted(positions), order
    from infra.constructs.host_volume import FORMAT_IF_BLANK

    assert FORMAT_IF_BLANK in script  # only a blank volume: test_only_a_blank_volume_is_formatted
    assert "/data xfs defaults,noatime,nofail" in script  # mounted again after a reboot


def test_daily_snapshots_keep_seven(synthesized: Synthesized) -> None:
    _, policy = _one(synthesized, "AWS::DLM::LifecyclePolicy")
    details = policy["PolicyDetails"]
    assert policy["State"] == "ENABLED" and details["ResourceTypes"] == ["VOLUME"]
    assert details["TargetTags"] == [{"Key": "gongkuang:host-data", "Value": "Gongkuang-county-host"}]
    (schedule,) = details["Schedules"]
    assert schedule["CreateRule"] == {"Interval": 24, "IntervalUnit": "HOURS", "Times": ["18:00"]}
    assert schedule["RetainRule"] == {"Count": 7}
    role = synthesized.resources(STAGE, "AWS::IAM::Role")[policy["ExecutionRoleArn"]["Fn::GetAtt"][0]]
    assert "dlm.amazonaws.com" in _text(role["Properties"]["AssumeRolePolicyDocument"])
    statements = _statements(synthesized, policy["ExecutionRoleArn"]["Fn::GetAtt"][0])
    actions = {a for st in statements for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    assert actions == {
        "ec2:CreateSnapshot", "ec2:CreateTags", "ec2:DeleteSnapshot",
        "ec2:DescribeInstances", "ec2:DescribeVolumes", "ec2:DescribeSnapshots",
    }  # fmt: skip


def test_alarms_watch_the_instance_the_task_and_the_backlog_not_the_lambdas_that_are_gone(
    synthesized: Synthesized,
) -> None:
    alarms = synthesized.properties(STAGE, "AWS::CloudWatch::Alarm")
    described = _text([a["AlarmDescription"] for a in alarms])
    for why in ("instance is not in service", "platform task has not run", "backlog", "could not make frames durable"):
        assert why in described, why
    names = {a.get("MetricName") for a in alarms}
    assert not {"IteratorAge", "IncomingRecords", "ApproximateNumberOfMessagesVisible"} & names
    (running,) = [a for a in alarms if a.get("MetricName") == "CPUUtilization"]
    assert (running["Namespace"], running["Statistic"], running["TreatMissingData"]) == (
        "AWS/ECS", "SampleCount", "breaching"
    )  # fmt: skip
    filters = {f["MetricTransformations"][0]["MetricName"]: f["FilterPattern"]
               for f in synthesized.properties(STAGE, "AWS::Logs::MetricFilter")}  # fmt: skip
    # the runner's readable log lines (local/logs.py), matched as terms
    assert filters == {
        "ListenerSinkFailures": '?"sink failed" ?"queue refusing: disk reserve"',
        "HostDecodeBacklogAlarms": '"operator alarm: decode backlog"',
        "HostWorkerFailures": " ".join(f'?"{line}"' for line in FAILURE_LINES),
        "HostDeadFrames": '"dead frames present"',
    }
    # each over 1-minute periods but the failures' (a line each, 5 minutes), breached by one line: a condition's
    # line repeated every log_every_s (≤ 60 s on the host) keeps its alarm in ALARM while it lasts
    by_metric = {a.get("MetricName"): a for a in alarms}
    periods = {"ListenerSinkFailures": 60, "HostDecodeBacklogAlarms": 60, "HostWorkerFailures": 300}
    periods["HostDeadFrames"] = 60
    for metric, period in periods.items():
        alarm = by_metric[metric]
        assert (alarm["Period"], alarm["Statistic"], alarm["Threshold"], alarm["EvaluationPeriods"]) == (
            period, "Sum", 1, 1
        ), metric  # fmt: skip
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", metric
    assert "archive cut, bucket flush or rule tick failed" in by_metric["HostWorkerFailures"]["AlarmDescription"]
    assert "dead_frames" in by_metric["HostDeadFrames"]["AlarmDescription"]


def test_the_host_patterns_are_the_lines_the_runner_logs() -> None:
    from infra.constructs.ingest import (
        HOST_BACKLOG_PATTERN,
        HOST_DEAD_FRAMES_PATTERN,
        HOST_FAILURE_LINES,
        HOST_UNACKNOWLEDGED_PATTERN,
    )

    # the runner's own constants: a changed text fails here (each term matches the line as logged, any suffix)
    assert HOST_FAILURE_LINES == FAILURE_LINES
    assert HOST_BACKLOG_PATTERN == f'"{BACKLOG_ALARM}"' and HOST_DEAD_FRAMES_PATTERN == f'"{DEAD_FRAMES}"'
    assert HOST_UNACKNOWLEDGED_PATTERN == f'?"sink failed" ?"{RESERVE_REFUSING}"' and CONDITION_LINES == (
        BACKLOG_ALARM, RESERVE_REFUSING, DEAD_FRAMES
    )  # fmt: skip
    assert '"sink failed;' in Path("iot_ingest/handoff.py").read_text(encoding="utf-8")
    # and the lines are logged with these texts (not a copy of them)
    for path, name in (("local/archive_worker.py", "ARCHIVE_CUT_FAILED"), ("local/scheduler.py", "HANDLER_FAILED"),
                       ("local/app.py", "BACKLOG_ALARM"), ("local/app.py", "RESERVE_REFUSING"),
                       ("local/app.py", "DEAD_FRAMES")):  # fmt: skip
        assert re.search(rf"log\.error\(\s*{name},", Path(path).read_text(encoding="utf-8")), (path, name)
    for name in ("WORKER_HUNG", "WORKER_STOPPED", "WORKER_EXITED"):
        assert re.search(rf"log\.error\(\s*[^)]*{name}", Path("local/workers.py").read_text(encoding="utf-8")), name


CHINA_ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def china_hosts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The county-host stage pinned to both China regions (no CloudFront, mirrors), synthesized offline with the
    zones cached in the context; cdk-nag runs as for every stage (synthesis raises on a finding)."""
    from infra.app import build_app, file_context

    context = file_context()
    host = {**context["stages"][STAGE], **REUSE_MIRRORS, "account": CHINA_ACCOUNT, "web_distribution": False}
    context["stages"] = {
        "bj": {**host, "region": "cn-north-1", "existing_vpc": REUSE_VPC},  # the bureau's VPC, no lookup
        "nx": {**host, "region": "cn-northwest-1", "host_zone": 1, "host_data_snapshot_id": "snap-0123456789abcdef0"},
    }
    for region in ("cn-north-1", "cn-northwest-1"):
        context[f"availability-zones:account={CHINA_ACCOUNT}:region={region}"] = [f"{region}a", f"{region}b"]
    context["aws:cdk:bundling-stacks"] = []
    outdir = tmp_path_factory.mktemp("china-host")
    assembly = build_app(context=context, outdir=str(outdir)).synth()
    return {s.stack_name: s.template for s in assembly.stacks}


def test_both_china_regions_synthesize_the_county_host(china_hosts: dict[str, dict[str, Any]]) -> None:
    assert set(china_hosts) == {"Gongkuang-bj", "Gongkuang-nx"}
    for name, template in china_hosts.items():
        text = json.dumps(template)
        assert "arn:aws:" not in text and "cloudfront" not in text.lower(), name
        kinds = {r["Type"] for r in template["Resources"].values()}
        assert {"AWS::EC2::Volume", "AWS::DLM::LifecyclePolicy", "AWS::ECS::Service"} <= kinds
        assert not {"AWS::Kinesis::Stream", "AWS::KinesisFirehose::DeliveryStream"} & kinds
    # in an existing VPC: the first public subnet and its zone
    bj = china_hosts["Gongkuang-bj"]["Resources"]
    ((_, volume),) = [(k, r) for k, r in bj.items() if r["Type"] == "AWS::EC2::Volume"]
    ((_, group),) = [(k, r) for k, r in bj.items() if r["Type"] == "AWS::AutoScaling::AutoScalingGroup"]
    assert volume["Properties"]["AvailabilityZone"] == "cn-north-1a"
    assert group["Properties"]["VPCZoneIdentifier"] == [REUSE_VPC["public_subnet_ids"][0]]
    # a restore into the second zone: the volume from the snapshot, the instance in that zone's subnet
    nx = china_hosts["Gongkuang-nx"]["Resources"]
    ((_, volume),) = [(k, r) for k, r in nx.items() if r["Type"] == "AWS::EC2::Volume"]
    assert volume["Properties"]["SnapshotId"] == "snap-0123456789abcdef0"
    assert volume["Properties"]["AvailabilityZone"] == "cn-northwest-1b"
    ((_, group),) = [(k, r) for k, r in nx.items() if r["Type"] == "AWS::AutoScaling::AutoScalingGroup"]
    (subnet,) = group["Properties"]["VPCZoneIdentifier"]
    assert nx[subnet["Ref"]]["Properties"]["AvailabilityZone"] == "cn-northwest-1b"


def test_the_attach_script_is_valid_bash_and_stops_on_every_failure() -> None:
    import subprocess

    from infra.constructs.host_volume import attach_script
    from infra.constructs.listener_host import association_script

    script = association_script("eipalloc-0123456789abcdef0") + "\n" + attach_script("vol-0123456789abcdef0")
    assert subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0
    assert 'NVME="/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${VOLUME/-/}"' in script
    # every way out before the mount stops the instance rather than go on without the volume
    # (the attach, the device, mkfs, a probe error, the mount)
    assert script.count("shutdown -h now; exit 1") == 5


def test_the_platform_image_holds_the_runner_and_builds_from_the_mirrors() -> None:
    import re
    import subprocess
    import sys
    import tomllib

    from infra.constructs.ingest import image_build_args

    text = Path("local/Dockerfile").read_text(encoding="utf-8")
    for name in image_build_args("b", "https://mirror.invalid/simple"):
        assert f"ARG {name}" in text, name
    assert "FROM ${BASE_IMAGE}" in text and "unset PIP_INDEX_URL" in text  # "" = pip's default index
    for package in ("hj212", "iot_ingest", "monitoring", "functions", "local", "data"):
        assert f"COPY {package}/ /app/{package}/" in text, package
    assert 'CMD ["python", "-m", "local", "run"]' in text and "USER 10001" in text
    # the requirements it installs are pyproject's runtime dependencies, read by the same one-liner
    (program,) = re.findall(r'python -c "(.+?)" > /tmp/requirements.txt', text)
    run = subprocess.run(
        [sys.executable, "-c", program.replace("/tmp/pyproject.toml", "pyproject.toml")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert run.stdout.split("\n")[:-1] == project["dependencies"]


def test_the_acknowledgements_name_what_the_county_host_has(synthesized: Synthesized) -> None:
    from infra import nag

    reasons = {(rule, r) for rule, path, r in nag.RECORDED if "Gongkuang-county-host/" in path}
    assert reasons and not [r for _, r in reasons if "stream" in r or "Kinesis" in r]
    (ecs2,) = [r for rule, r in reasons if rule == "AwsSolutions-ECS2"]
    _, container = _container(synthesized)
    listed = ecs2.split("(", 1)[1].split(")", 1)[0].split(", ")
    assert sorted(listed) == sorted(nag.listener_settings([e["Name"]]) for e in container["Environment"])
    assert "the archive bucket" in ecs2


@pytest.mark.parametrize(
    ("content", "formatted", "stopped"),
    [
        ("zeros", True, False),  # a new EBS volume
        ("ext4", False, False),  # a volume with a filesystem: the queue of the previous instance
        ("data", False, True),  # something blkid does not recognise: never formatted over
        ("missing", False, True),  # cannot be read (blkid's exit 2 means that too)
    ],
)
def test_only_a_blank_volume_is_formatted(tmp_path: Path, content: str, formatted: bool, stopped: bool) -> None:
    # the user data's step with the real blkid and cmp on image files; mkfs.xfs and shutdown only leave a mark
    import os
    import shutil
    import subprocess

    from infra.constructs.host_volume import FORMAT_IF_BLANK

    if not (shutil.which("blkid") and shutil.which("cmp") and shutil.which("mkfs.ext4")):
        pytest.skip("needs util-linux blkid, diffutils cmp and e2fsprogs")
    device = tmp_path / "device.img"
    if content != "missing":
        device.write_bytes(b"\0" * (4 << 20))
    if content == "ext4":
        subprocess.run(["mkfs.ext4", "-q", "-F", str(device)], check=True)
    if content == "data":
        with device.open("r+b") as f:
            f.seek(8192)
            f.write(b"frames not yet decoded" * 100)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for command in ("mkfs.xfs", "shutdown"):
        stub = bin_dir / command
        stub.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/{command}.called\n', encoding="utf-8")
        stub.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}:/usr/sbin:/sbin", "DEVICE": str(device)}
    subprocess.run(["bash", "-c", FORMAT_IF_BLANK + "\necho through"], env=env, check=False, capture_output=True)
    assert (tmp_path / "mkfs.xfs.called").exists() == formatted
    assert (tmp_path / "shutdown.called").exists() == stopped


@pytest.mark.parametrize("stage", [STAGE, "dev", "prod", "county-ec2"])
def test_only_the_county_host_stage_reads_reading_buckets(synthesized: Synthesized, stage: str) -> None:
    # The host's runner writes minute readings as buckets: its own readers, every function's and the API's read
    # them; the serverless stages write none and must not pay a second query per read.
    on = stage == STAGE
    for props in synthesized.properties(stage, "AWS::Lambda::Function"):
        env = props.get("Environment", {}).get("Variables", {})
        if props["Handler"] == "miniprogram_api.lambda_proxy.handler":
            assert env.get("API_READING_BUCKETS") == ("true" if on else None)
        elif props["Handler"].startswith("functions."):
            assert env.get("READING_BUCKETS") == ("true" if on else None), props["Handler"]
    if on:
        _, container = _container(synthesized)
        env = {e["Name"]: e["Value"] for e in container["Environment"]}
        assert env["READING_BUCKETS"] == "true"
        from functions import _wiring

        assert _wiring.settings_from_env({k: v for k, v in env.items() if isinstance(v, str)}).reading_buckets
