"""Ingest: NLB with an Elastic IP per zone, Fargate listener, health on the side port, drain, scaling."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.app import file_context
from infra.data_grants import LISTENER
from infra.settings import StageSettings, load_stages
from tests.infra.conftest import REUSE_MIRRORS, Synthesized

pytestmark = pytest.mark.infra
ROOT = Path(__file__).resolve().parents[2]


def _stage(name: str) -> StageSettings:
    """A stage as cdk.json defines it."""
    (stage,) = [s for s in load_stages(file_context()) if s.name == name]
    return stage


def _attributes(props: dict[str, Any]) -> dict[str, str]:
    return {a["Key"]: a["Value"] for a in props.get("TargetGroupAttributes", props.get("LoadBalancerAttributes", []))}


def test_dockerfile_of_the_listener_exists() -> None:
    # The image is built from this file at deploy time; synthesis only stages the build context.
    assert (ROOT / "iot_ingest" / "Dockerfile").is_file()


def test_load_balancer_has_an_elastic_ip_in_every_zone(synthesized: Synthesized) -> None:
    for stage in ("dev", "prod"):
        (lb,) = synthesized.properties(stage, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        assert lb["Type"] == "network" and lb["Scheme"] == "internet-facing"
        eips = set(synthesized.resources(stage, "AWS::EC2::EIP"))
        allocations = [m["AllocationId"]["Fn::GetAtt"] for m in lb["SubnetMappings"]]
        assert len(allocations) == _stage(stage).max_azs  # dev: one zone (cheaper floor), prod: two
        assert all(a[0] in eips and a[1] == "AllocationId" for a in allocations)
        assert "Subnets" not in lb
        protected = _attributes(lb)["deletion_protection.enabled"]
        assert protected == ("true" if stage == "prod" else "false")
        # New addresses outlive the stack: terminals in the field are configured with them.
        assert all(
            synthesized.resources(stage, "AWS::EC2::EIP")[a[0]]["DeletionPolicy"] == "Retain" for a in allocations
        )


def test_listener_uses_the_configured_tcp_port(synthesized: Synthesized) -> None:
    (listener,) = synthesized.properties("dev", "AWS::ElasticLoadBalancingV2::Listener")
    assert listener["Port"] == StageSettings(name="dev").ingest_port and listener["Protocol"] == "TCP"


def test_target_group_checks_health_on_the_side_port_and_drains(synthesized: Synthesized) -> None:
    s = StageSettings(name="dev")
    (tg,) = synthesized.properties("dev", "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert (tg["HealthCheckProtocol"], tg["HealthCheckPort"], tg["HealthCheckPath"]) == (
        "HTTP",
        str(s.health_port),
        "/health",
    )
    attributes = _attributes(tg)
    assert attributes["deregistration_delay.timeout_seconds"] == str(s.deregistration_delay)
    assert attributes["preserve_client_ip.enabled"] == "true"  # per-address limits see terminals, not the NLB


def test_container_drains_on_sigterm_within_the_stop_timeout(synthesized: Synthesized) -> None:
    s = StageSettings(name="dev")
    (task,) = synthesized.properties("dev", "AWS::ECS::TaskDefinition")
    (container,) = task["ContainerDefinitions"]
    assert container["StopTimeout"] == s.stop_timeout
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert int(env["IOT_INGEST_DRAIN_TIMEOUT"]) < container["StopTimeout"]
    assert {p["ContainerPort"] for p in container["PortMappings"]} == {s.ingest_port, s.health_port}


def test_listener_environment_names_are_settings_of_iot_ingest(synthesized: Synthesized) -> None:
    # Cross-package: every IOT_INGEST_<FIELD> in the task must be a field iot_ingest/config.py reads.
    from iot_ingest import config

    fields = set(config.FIELDS)
    (task,) = synthesized.properties("dev", "AWS::ECS::TaskDefinition")
    env = {e["Name"]: e["Value"] for e in task["ContainerDefinitions"][0]["Environment"]}
    names = {n.removeprefix(config.ENV_PREFIX).lower() for n in env}
    assert all(n.startswith(config.ENV_PREFIX) for n in env)
    assert names <= fields, names - fields
    # and the values load: the listener would start with this configuration.
    loaded = config.load_settings(env={k: v if isinstance(v, str) else "kinesis:frames" for k, v in env.items()})
    assert loaded.port == StageSettings(name="dev").ingest_port and loaded.sink_kind()[0] == "kinesis"


def test_service_rolls_back_failed_deployments(synthesized: Synthesized) -> None:
    (service,) = synthesized.properties("prod", "AWS::ECS::Service")
    breaker = service["DeploymentConfiguration"]["DeploymentCircuitBreaker"]
    assert breaker == {"Enable": True, "Rollback": True}
    assert service["DeploymentConfiguration"]["MinimumHealthyPercent"] == 100


def test_tasks_run_in_public_subnets_without_a_nat_gateway(synthesized: Synthesized) -> None:
    for stage in ("dev", "prod"):
        assert synthesized.resources(stage, "AWS::EC2::NatGateway") == {}
        subnets = synthesized.resources(stage, "AWS::EC2::Subnet")
        assert subnets and all(s["Properties"]["MapPublicIpOnLaunch"] is True for s in subnets.values())
        (service,) = synthesized.properties(stage, "AWS::ECS::Service")
        network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "ENABLED"
        assert {s["Ref"] for s in network["Subnets"]} <= set(subnets)


def test_task_security_group_admits_only_the_load_balancer(synthesized: Synthesized) -> None:
    # Client IPs are preserved, so an address rule would have to name every terminal; the NLB's group is named
    s = StageSettings(name="prod")
    (service,) = synthesized.properties("prod", "AWS::ECS::Service")
    (task_group,) = service["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"]
    task_group_id = task_group["Fn::GetAtt"][0]
    groups = synthesized.resources("prod", "AWS::EC2::SecurityGroup")
    inline = groups[task_group_id]["Properties"].get("SecurityGroupIngress", [])
    separate = [
        p for p in synthesized.properties("prod", "AWS::EC2::SecurityGroupIngress") if p["GroupId"] == task_group
    ]
    rules = inline + separate
    assert rules and not [r for r in rules if "CidrIp" in r or "CidrIpv6" in r]
    (lb,) = synthesized.properties("prod", "AWS::ElasticLoadBalancingV2::LoadBalancer")
    (lb_group,) = lb["SecurityGroups"]
    assert all(r["SourceSecurityGroupId"] == lb_group for r in rules)
    assert sorted(r["FromPort"] for r in rules) == sorted([s.ingest_port, s.health_port])


def test_listener_runs_on_arm64_and_dev_puts_tasks_beyond_the_first_on_spot(synthesized: Synthesized) -> None:
    for stage in ("dev", "prod"):
        (task,) = synthesized.properties(stage, "AWS::ECS::TaskDefinition")
        assert task["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
    (dev,) = synthesized.properties("dev", "AWS::ECS::Service")
    strategy = {c["CapacityProvider"]: c for c in dev["CapacityProviderStrategy"]}
    assert strategy["FARGATE"]["Base"] == 1 and strategy["FARGATE"].get("Weight", 0) == 0
    assert strategy["FARGATE_SPOT"]["Weight"] == 1
    (prod,) = synthesized.properties("prod", "AWS::ECS::Service")
    assert [c["CapacityProvider"] for c in prod["CapacityProviderStrategy"]] == ["FARGATE"]


def test_image_build_arguments_name_the_base_image_and_pip_index() -> None:
    # Given the Dockerfile, Then every build argument the stack passes is declared, and the base image is one
    from infra.constructs.ingest import image_build_args

    text = (ROOT / "iot_ingest" / "Dockerfile").read_text(encoding="utf-8")
    for name in image_build_args("b", "https://mirror.invalid/simple"):
        assert f"ARG {name}" in text, name
    assert "FROM ${BASE_IMAGE}" in text


def test_service_scales_on_cpu_and_connections(synthesized: Synthesized) -> None:
    policies = synthesized.properties("prod", "AWS::ApplicationAutoScaling::ScalingPolicy")
    configs = [p["TargetTrackingScalingPolicyConfiguration"] for p in policies]
    cpu = [c for c in configs if "PredefinedMetricSpecification" in c]
    assert cpu[0]["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    (connections,) = [c for c in configs if "CustomizedMetricSpecification" in c]
    metrics = connections["CustomizedMetricSpecification"]["Metrics"]
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in metrics if "MetricStat" in m}
    assert names == {"ActiveFlowCount_TCP", "RunningTaskCount"}
    assert connections["TargetValue"] == StageSettings(name="prod").connections_per_task
    (target,) = synthesized.properties("prod", "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 10)  # cdk.json prod


def test_only_the_terminal_port_is_open_to_terminals(synthesized: Synthesized) -> None:
    ingress = [
        rule
        for sg in synthesized.properties("dev", "AWS::EC2::SecurityGroup")
        for rule in sg.get("SecurityGroupIngress", [])
    ]
    public = [r for r in ingress if r.get("CidrIp") == "0.0.0.0/0"]
    assert public and all(r["FromPort"] == r["ToPort"] == StageSettings(name="dev").ingest_port for r in public)


def test_listener_image_is_built_for_arm64_from_the_stage_mirrors(synthesized: Synthesized) -> None:
    for stage, base, index in (
        ("dev", "python:3.11-slim-bookworm", ""),
        ("reuse", REUSE_MIRRORS["container_base_image"], REUSE_MIRRORS["pip_index_url"]),
    ):
        assets = json.loads((synthesized.outdir / f"Gongkuang-{stage}.assets.json").read_text(encoding="utf-8"))
        (image,) = [i["source"] for i in assets["dockerImages"].values()]
        assert image["platform"] == "linux/arm64"
        assert image["dockerBuildArgs"] == {"BASE_IMAGE": base, "PIP_INDEX_URL": index}


def _listener_statements(synthesized: Synthesized, stage: str) -> list[dict[str, Any]]:
    (task,) = synthesized.properties(stage, "AWS::ECS::TaskDefinition")
    role = task["TaskRoleArn"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in synthesized.properties(stage, "AWS::IAM::Policy")
        if {"Ref": role} in policy["Roles"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _listed(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _leading_keys(condition: str) -> list[str]:
    """The partition-key patterns of a statement's condition (JSON), which must be ForAllValues:StringLike."""
    (operator,) = json.loads(condition)
    assert operator == "ForAllValues:StringLike"
    return _listed(json.loads(condition)[operator]["dynamodb:LeadingKeys"])


def test_listener_task_role_reaches_exactly_its_tables_indexes_keys_and_the_stream(synthesized: Synthesized) -> None:
    import json

    tables = {
        props["Properties"]["TableName"].rsplit("-", 1)[-1]: logical
        for logical, props in synthesized.resources("dev", "AWS::DynamoDB::GlobalTable").items()
    }
    granted: dict[tuple[str, str], tuple[set[str], str]] = {}
    mark: tuple[str, str, set[str], str] | None = None
    put_notes: tuple[str, str, set[str], str] | None = None
    kinesis: set[str] = set()
    for st in _listener_statements(synthesized, "dev"):
        actions = set(_listed(st["Action"]))
        assert st["Effect"] == "Allow" and not any(a.endswith("*") for a in actions), st
        if all(a.startswith("kinesis:") for a in actions):
            kinesis |= actions
            continue
        assert all(a.startswith("dynamodb:") for a in actions), st
        for resource in _listed(st["Resource"]):
            text = json.dumps(resource)
            (table,) = [name for name, logical in tables.items() if f'"{logical}"' in text]
            index = text.split("/index/")[1].split('"')[0] if "/index/" in text else ""
            if st.get("Sid") == "RegistryChangeMark":  # the registry's change mark, bumped with a settled 1072
                mark = (table, index, actions, json.dumps(st.get("Condition", {})))
                continue
            if st.get("Sid") == "ListenerPutNotes":  # the task's put notes for the rules, in their own partition
                put_notes = (table, index, actions, json.dumps(st.get("Condition", {})))
                continue
            granted[(table, index)] = (actions, json.dumps(st.get("Condition", {})))
    # The stream: appends only, never a read
    assert {"kinesis:PutRecord", "kinesis:PutRecords"} <= kinesis and not {a for a in kinesis if "Get" in a}
    # DynamoDB: the registry's terminals (by MN, by county), commands and leases, the pending index, events
    assert set(granted) == {("registry", ""), ("registry", "gsi1"), ("state", ""), ("state", "gsi1"), ("events", "")}
    registry_actions, registry_keys = granted[("registry", "")]
    # terminal items only: read them, and write one back when a password change (1072) settles
    assert registry_actions == {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"}
    assert _leading_keys(registry_keys) == ["terminal#*"]
    # ... and bump the change mark with it (decode's cache follows it), nothing else of the registry
    assert mark is not None and mark[:3] == ("registry", "", {"dynamodb:UpdateItem"})
    assert _leading_keys(mark[3]) == ["chg#registry"]
    assert granted[("registry", "gsi1")][0] == {"dynamodb:Query"}
    assert _leading_keys(granted[("registry", "gsi1")][1]) == ["terminal#county#*"]
    state_actions, state_keys = granted[("state", "")]
    assert state_actions == {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
                             "dynamodb:DeleteItem"}  # fmt: skip
    # only command and lease items: alarms, audit and rule state on the same table stay out of reach
    assert "dynamodb:LeadingKeys" in state_keys and "lease#*" in state_keys and "cmd#*" in state_keys
    assert "alarm" not in state_keys and "rule" not in state_keys
    # ... and its put notes (monitoring/rules/put_notes.py): written, in their partition, never read or deleted
    assert put_notes is not None and put_notes[:3] == ("state", "", {"dynamodb:PutItem"})
    assert _leading_keys(put_notes[3]) == ["rsput"]
    assert granted[("state", "gsi1")] == ({"dynamodb:Query"}, granted[("state", "gsi1")][1])
    assert '"cmdpending"' in granted[("state", "gsi1")][1]
    assert granted[("events", "")][0] == {"dynamodb:PutItem"} and '"ev#*"' in granted[("events", "")][1]
    # Every DynamoDB statement is one of infra/data_grants.py's, which the AWS-mode end-to-end test checks against
    # the listener's real requests
    sids = {st.get("Sid") for st in _listener_statements(synthesized, "dev") if "dynamodb:" in json.dumps(st)}
    assert sids == {g.sid for g in LISTENER}


def test_listener_runs_in_aws_mode_against_the_stage_registry(synthesized: Synthesized) -> None:
    s = StageSettings(name="dev")
    (task,) = synthesized.properties("dev", "AWS::ECS::TaskDefinition")
    env = {e["Name"]: e["Value"] for e in task["ContainerDefinitions"][0]["Environment"]}
    assert env["IOT_INGEST_STORE_BACKEND"] == "dynamodb"
    assert env["IOT_INGEST_DYNAMODB_TABLE_PREFIX"] == s.tables_prefix
    assert env["IOT_INGEST_COUNTIES"] == ",".join(s.listener_counties) == "rugao"
    assert env["IOT_INGEST_DYNAMODB_REGION"] == {"Ref": "AWS::Region"}  # no literal region or partition


def test_the_county_stage_runs_one_on_demand_task_behind_a_one_zone_load_balancer(synthesized: Synthesized) -> None:
    # The cost bench's `county` shape: one address for the terminals, one task that is not Spot (it is the only one)
    (lb,) = synthesized.properties("county", "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert len(lb["SubnetMappings"]) == 1 and len(synthesized.resources("county", "AWS::EC2::EIP")) == 1
    (service,) = synthesized.properties("county", "AWS::ECS::Service")
    assert [c["CapacityProvider"] for c in service["CapacityProviderStrategy"]] == ["FARGATE"]
    (target,) = synthesized.properties("county", "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["MinCapacity"] == 1
    assert len(synthesized.resources("county", "AWS::EC2::Subnet")) == 1


@pytest.mark.parametrize("stage", ["dev", "prod", "county", "county-ec2"])
def test_the_listener_may_hold_its_connections_whatever_the_platform_default(
    synthesized: Synthesized, stage: str
) -> None:
    # A terminal's connection is a file descriptor: the container's limit is set, not left to Fargate's (or Docker's
    # on EC2) default, and the listener's own cap sits above the scaling target and below that limit.
    s = _stage(stage)
    (task,) = synthesized.properties(stage, "AWS::ECS::TaskDefinition")
    (container,) = task["ContainerDefinitions"]
    assert container["Ulimits"] == [{"Name": "nofile", "SoftLimit": 65535, "HardLimit": 65535}]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    cap = int(env["IOT_INGEST_MAX_CONNECTIONS"])
    assert cap == s.listener_max_connections
    assert 1.5 * s.connections_per_task <= cap <= 65535 - 1024
    # frames wait up to 100 ms for company: one PutRecords per batch of tens, not per frame
    assert float(env["IOT_INGEST_BATCH_LINGER"]) == s.listener_batch_linger_ms / 1000 == 0.1
