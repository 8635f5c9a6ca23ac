"""The fixed floor the cost bench prices (bench/aws_shapes.toml) is what each stage synthesizes: alarm metrics
(including those auto scaling creates), custom metrics, Container Insights, dashboards, keys, secrets, WAF, and
the listener instance's type and root volume."""

from __future__ import annotations

from typing import Any

import pytest

from bench.aws_cost_model import load_shapes
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra

# The stage each shape prices. target is dev's CloudWatch with dev's tables (on demand); target_provisioned and
# target_reserved are prod's; county is the county stage, county_ec2 the county-ec2 stage (its listener on EC2),
# county_host the county-host stage (the embedded runner on that instance).
SHAPE_STAGES = {
    "target": "dev",
    "target_provisioned": "prod",
    "target_reserved": "prod",
    "county": "county",
    "county_ec2": "county-ec2",
    "county_host": "county-host",
}
# Alarms AWS creates for a target-tracking policy (docs/deploy.md "Fixed floor at 1,500 terminals"): Application
# Auto Scaling's high and low alarm; DynamoDB auto scaling adds its provisioned-capacity high and low alarm.
TARGET_TRACKING_ALARMS = 2
DYNAMODB_SCALING_ALARMS = 4


def _alarm_metrics(alarm: dict[str, Any]) -> int:
    """CloudWatch bills an alarm per metric it evaluates: one, or each metric of its math expression."""
    if "MetricName" in alarm:
        return 1
    return sum(1 for m in alarm["Metrics"] if "MetricStat" in m)


def _scaling_alarm_metrics(policy: dict[str, Any]) -> int:
    spec = policy["TargetTrackingScalingPolicyConfiguration"]
    custom = spec.get("CustomizedMetricSpecification", {}).get("Metrics")
    return TARGET_TRACKING_ALARMS * (sum(1 for m in custom if "MetricStat" in m) if custom else 1)


def _dynamodb_scaling_alarm_metrics(table: dict[str, Any]) -> int:
    """Every auto-scaled direction of a table and of each of its indexes (TableV2: GlobalTable settings)."""
    scaled = 0
    holders = [table, *table.get("GlobalSecondaryIndexes", [])]
    for replica in table.get("Replicas", []):
        holders += [replica, *replica.get("GlobalSecondaryIndexes", [])]
    for holder in holders:
        write = holder.get("WriteProvisionedThroughputSettings", {}).get("WriteCapacityAutoScalingSettings")
        read = holder.get("ReadProvisionedThroughputSettings", {}).get("ReadCapacityAutoScalingSettings")
        scaled += (write is not None) + (read is not None)
    return DYNAMODB_SCALING_ALARMS * scaled


def alarm_metrics(synthesized: Synthesized, stage: str) -> int:
    """The metrics a stack's alarms evaluate, those AWS creates for its target-tracking policies included."""
    alarms = sum(_alarm_metrics(a) for a in synthesized.properties(stage, "AWS::CloudWatch::Alarm"))
    alarms += sum(
        _scaling_alarm_metrics(p)
        for p in synthesized.properties(stage, "AWS::ApplicationAutoScaling::ScalingPolicy")
        if p.get("PolicyType") == "TargetTrackingScaling"
    )
    tables = synthesized.properties(stage, "AWS::DynamoDB::GlobalTable")
    return alarms + sum(_dynamodb_scaling_alarm_metrics(t) for t in tables)


def floor(synthesized: Synthesized, stage: str) -> dict[str, int]:
    """What the stage's template costs every month whatever the traffic, counted as the bench's shape keys."""
    alarms = alarm_metrics(synthesized, stage)
    (cluster,) = synthesized.properties(stage, "AWS::ECS::Cluster")
    insights = {s["Name"]: s["Value"] for s in cluster.get("ClusterSettings", [])}.get("containerInsights")
    acls = synthesized.properties(stage, "AWS::WAFv2::WebACL")
    return {
        "alarms": alarms,
        "custom_metrics": len(synthesized.properties(stage, "AWS::Logs::MetricFilter")),
        "container_insights": int(insights in ("enabled", "enhanced")),
        "dashboards": len(synthesized.properties(stage, "AWS::CloudWatch::Dashboard")),
        "kms_keys": len(synthesized.properties(stage, "AWS::KMS::Key")),
        "secrets": len(synthesized.properties(stage, "AWS::SecretsManager::Secret")),
        "waf_web_acls": len(acls),
        "waf_rules": sum(len(acl["Rules"]) for acl in acls),
    }


def listener_instance(synthesized: Synthesized, stage: str) -> dict[str, Any]:
    """The listener's EC2 instance as the bench's shape keys: its type and its root volume (gp3, GB)."""
    (template,) = synthesized.properties(stage, "AWS::EC2::LaunchTemplate")
    data = template["LaunchTemplateData"]
    (device,) = data["BlockDeviceMappings"]
    assert device["Ebs"]["VolumeType"] == "gp3"
    return {"listener_instance_type": data["InstanceType"], "listener_volume_gb": device["Ebs"]["VolumeSize"]}


def _emf_published(synthesized: Synthesized, stage: str) -> bool:
    envs = [
        p["Environment"]["Variables"]
        for p in synthesized.properties(stage, "AWS::Lambda::Function")
        if p.get("Handler", "").startswith("functions.")
    ]
    switches = {e["POWERTOOLS_METRICS_DISABLED"] for e in envs}
    assert len(switches) == 1, "every handler publishes its counts, or none does"
    return switches == {"false"}


@pytest.mark.parametrize("shape", sorted(SHAPE_STAGES))
def test_the_bench_prices_the_floor_the_stage_synthesizes(synthesized: Synthesized, shape: str) -> None:
    stage = SHAPE_STAGES[shape]
    priced = load_shapes()[shape]
    counted = floor(synthesized, stage)
    assert {k: priced[k] for k in counted if k != "container_insights"} == {
        k: v for k, v in counted.items() if k != "container_insights"
    }
    assert bool(priced["container_insights_metrics"]) == bool(counted["container_insights"])
    assert bool(priced["emf_metrics"]) == _emf_published(synthesized, stage)
    if priced.get("listener_compute") == "ec2":
        instance = listener_instance(synthesized, stage)
        assert {k: priced[k] for k in instance} == instance
        if "cpu_credits" in priced:  # the host's CPU budget is priced in the credit mode it is launched in
            (template,) = synthesized.properties(stage, "AWS::EC2::LaunchTemplate")
            launched = template["LaunchTemplateData"].get("CreditSpecification", {}).get("CpuCredits", "standard")
            assert priced["cpu_credits"] == launched
        if priced.get("platform_host"):  # the host pass measures the buckets the runner is given
            (task,) = synthesized.properties(stage, "AWS::ECS::TaskDefinition")
            env = {e["Name"]: e["Value"] for c in task["ContainerDefinitions"] for e in c.get("Environment", [])}
            assert int(env.get("LOCAL_READING_BUCKET_MINUTES", "0")) == priced.get("reading_bucket_minutes", 0)
    else:
        assert synthesized.properties(stage, "AWS::EC2::LaunchTemplate") == []


def test_the_county_stage_keeps_every_alarm_condition_on_fewer_metrics(synthesized: Synthesized) -> None:
    names = {a["AlarmDescription"] for a in synthesized.properties("county", "AWS::CloudWatch::Alarm")}
    dev = synthesized.properties("dev", "AWS::CloudWatch::Alarm")
    county = synthesized.properties("county", "AWS::CloudWatch::Alarm")
    # the account's Lambda totals (no dimension) instead of one Errors and one Throttles alarm per function
    totals = [a for a in county if a.get("Namespace") == "AWS/Lambda" and not a.get("Dimensions")]
    assert sorted(a["MetricName"] for a in totals) == ["Errors"]
    # ... the throttles less the sender's (its invokes wait in Lambda's queue while it runs: by design)
    (throttles,) = [a for a in county if a.get("AlarmDescription", "").startswith("a function of this account was thr")]
    stats = [m["MetricStat"]["Metric"] for m in throttles["Metrics"] if "MetricStat" in m]
    assert [(m["MetricName"], bool(m.get("Dimensions"))) for m in stats] == [("Throttles", False), ("Throttles", True)]
    assert not [a for a in county if a.get("MetricName") in ("Errors", "Throttles") and a.get("Dimensions")]
    # everything else is watched as in dev
    per_function = ("Errors", "Throttles", "AsyncEventsDropped")  # the last: the sender's instead of throttles
    others = {a["AlarmDescription"] for a in dev if a.get("MetricName") not in per_function}
    assert others <= names
    # no dashboard, no Container Insights, no connections policy, the alarm topic without a customer key
    assert synthesized.properties("county", "AWS::CloudWatch::Dashboard") == []
    (topic,) = synthesized.properties("county", "AWS::SNS::Topic")
    assert "KmsMasterKeyId" not in topic
    policies = synthesized.properties("county", "AWS::ApplicationAutoScaling::ScalingPolicy")
    assert [p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"] for p in policies] == [
        {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}
    ]
    assert "Dashboard" not in synthesized.templates["county"]["Outputs"]


def test_dev_and_prod_keep_the_full_operations_view(synthesized: Synthesized) -> None:
    for stage in ("dev", "prod"):
        assert len(synthesized.properties(stage, "AWS::CloudWatch::Dashboard")) == 1
        (topic,) = synthesized.properties(stage, "AWS::SNS::Topic")
        assert "KmsMasterKeyId" in topic
        assert floor(synthesized, stage)["container_insights"] == 1
        assert _emf_published(synthesized, stage)


@pytest.mark.parametrize("shape", sorted(s for s in SHAPE_STAGES if load_shapes()[s].get("stream") != "none"))
def test_the_bench_prices_the_decode_lanes_and_stream_groups_the_stage_synthesizes(
    synthesized: Synthesized, shape: str
) -> None:
    # The 300,000 column prices a province's lanes and groups ([<shape>.fleet.300000]); the shape itself is the stage.
    stage = SHAPE_STAGES[shape]
    priced = load_shapes()[shape]
    decode = {
        k for k, v in synthesized.resources(stage, "AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == "functions.on_frame_batch.handler"
    }  # fmt: skip
    (mapping,) = [
        m for m in synthesized.properties(stage, "AWS::Lambda::EventSourceMapping")
        if m["FunctionName"].get("Ref") in decode
    ]  # fmt: skip
    assert mapping.get("ParallelizationFactor", 1) == priced["decode_parallelization"]
    (task,) = synthesized.properties(stage, "AWS::ECS::TaskDefinition")
    env = {e["Name"]: e["Value"] for c in task["ContainerDefinitions"] for e in c.get("Environment", [])}
    assert int(env["IOT_INGEST_STREAM_GROUPS"]) == priced["stream_groups"]
    functions = synthesized.properties(stage, "AWS::Lambda::Function")
    lanes = {f["Environment"]["Variables"].get("DECODE_PARALLELIZATION") for f in functions if "Environment" in f}
    assert lanes - {None} == {str(priced["decode_parallelization"])}


@pytest.mark.parametrize("shape", ["target_provisioned", "target_reserved", "county"])
def test_the_bench_prices_the_listener_task_the_stage_synthesizes(synthesized: Synthesized, shape: str) -> None:
    # Fargate's line and the task addresses follow the task size and the connections each task is scaled to.
    stage = SHAPE_STAGES[shape]
    priced = load_shapes()[shape]
    (task,) = synthesized.properties(stage, "AWS::ECS::TaskDefinition")
    assert (int(task["Cpu"]), int(task["Memory"])) == (priced["listener_vcpu"] * 1024, priced["listener_gb"] * 1024)
    env = {e["Name"]: e["Value"] for c in task["ContainerDefinitions"] for e in c.get("Environment", [])}
    assert 1.5 * priced["connections_per_task"] <= int(env["IOT_INGEST_MAX_CONNECTIONS"])
    (scaling,) = synthesized.properties(stage, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert scaling["MinCapacity"] == priced["listener_min_tasks"]
    policies = synthesized.properties(stage, "AWS::ApplicationAutoScaling::ScalingPolicy")
    targets = [
        p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]
        for p in policies
        if "CustomizedMetricSpecification" in p["TargetTrackingScalingPolicyConfiguration"]
    ]
    assert targets in ([], [priced["connections_per_task"]])  # county: no connections policy (no Container Insights)


def test_the_tier_of_hosts_prices_the_floor_its_stacks_synthesize(synthesized: Synthesized) -> None:
    # province_hosts prices the shared stack with its first host as the county host's floor, and each further host
    # its own alarms and log metric filters (bench/aws_cost_model.py: host_alarms, host_custom_metrics)
    priced = load_shapes()["province_hosts"]
    groups = sorted(s for s in synthesized.templates if s.startswith("province-hosts-"))
    assert len(groups) >= 2

    def count(stack: str, kind: str) -> int:
        if kind == "alarms":
            return alarm_metrics(synthesized, stack)
        return len(synthesized.properties(stack, "AWS::Logs::MetricFilter"))

    for kind, per_host in (("alarms", "host_alarms"), ("custom_metrics", "host_custom_metrics")):
        hosts = {count(g, kind) for g in groups}
        assert hosts == {priced[per_host]}, kind
        assert count("province-hosts", kind) + priced[per_host] == priced[kind], kind
    for group in groups:  # each host runs the buckets the host pass measured
        (task,) = synthesized.properties(group, "AWS::ECS::TaskDefinition")
        env = {e["Name"]: e["Value"] for c in task["ContainerDefinitions"] for e in c.get("Environment", [])}
        assert int(env["LOCAL_READING_BUCKET_MINUTES"]) == priced["reading_bucket_minutes"]
        assert env["LOCAL_COUNTIES"] and env["LOCAL_HOST_ID"] == group.removeprefix("province-hosts-")
