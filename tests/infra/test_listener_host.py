"""The county-ec2 stage: the listener on one EC2 instance holding the Elastic IP, no NLB and no Fargate."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from infra.settings import StageSettings
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra
STAGE = "county-ec2"


def _one(synthesized: Synthesized, kind: str) -> tuple[str, dict[str, Any]]:
    ((logical, resource),) = synthesized.resources(STAGE, kind).items()
    return logical, resource.get("Properties", {})


def _text(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def test_no_load_balancer_and_no_fargate(synthesized: Synthesized) -> None:
    for kind in ("LoadBalancer", "TargetGroup", "Listener"):
        assert synthesized.resources(STAGE, f"AWS::ElasticLoadBalancingV2::{kind}") == {}
    _, service = _one(synthesized, "AWS::ECS::Service")
    cp_logical, _ = _one(synthesized, "AWS::ECS::CapacityProvider")
    assert service["CapacityProviderStrategy"] == [{"Base": 1, "CapacityProvider": {"Ref": cp_logical}, "Weight": 1}]
    assert "NetworkConfiguration" not in service  # no task address: the instance holds the only one
    _, task = _one(synthesized, "AWS::ECS::TaskDefinition")
    assert task["RequiresCompatibilities"] == ["EC2"] and task["NetworkMode"] == "bridge"
    _, association = _one(synthesized, "AWS::ECS::ClusterCapacityProviderAssociations")
    assert {"Ref": cp_logical} in association["CapacityProviders"] and "FARGATE" not in _text(association)
    assert synthesized.resources("county", "AWS::ElasticLoadBalancingV2::LoadBalancer")  # the county stage is as it was


def test_one_task_stops_before_its_successor_starts_on_the_ingest_port(synthesized: Synthesized) -> None:
    s = StageSettings(name=STAGE)
    logical, service = _one(synthesized, "AWS::ECS::Service")
    config = service["DeploymentConfiguration"]
    assert (service["DesiredCount"], config["MinimumHealthyPercent"], config["MaximumPercent"]) == (1, 0, 100)
    assert config["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    association, _ = _one(synthesized, "AWS::ECS::ClusterCapacityProviderAssociations")
    assert association in synthesized.templates[STAGE]["Resources"][logical]["DependsOn"]
    _, task = _one(synthesized, "AWS::ECS::TaskDefinition")
    (container,) = task["ContainerDefinitions"]
    # the ingest port on the host (Docker's DNAT keeps the terminal's address); the health port is not published
    assert container["PortMappings"] == [
        {"ContainerPort": s.ingest_port, "HostPort": s.ingest_port, "Name": "hj212", "Protocol": "tcp"}
    ]
    assert f"127.0.0.1:{s.health_port}/health" in " ".join(container["HealthCheck"]["Command"])
    assert container["StopTimeout"] == s.stop_timeout
    # a hard limit the 1 GiB t4g.micro can place with its OS, Docker and agents beside it (≈ 85 MiB used at 3,000
    # idle terminals: docs/deploy.md "The listener on one EC2 instance")
    assert (container["Memory"], container["Cpu"]) == (512, 256)


def test_the_task_is_the_fargate_listener_with_the_same_role_and_environment(synthesized: Synthesized) -> None:
    def task_and_policy(stage: str) -> tuple[dict[str, Any], list[str]]:
        (task,) = synthesized.properties(stage, "AWS::ECS::TaskDefinition")
        role = task["TaskRoleArn"]["Fn::GetAtt"][0]
        policies = [
            _text(p["PolicyDocument"])
            for p in synthesized.properties(stage, "AWS::IAM::Policy")
            if {"Ref": role} in p["Roles"]
        ]
        return task["ContainerDefinitions"][0], policies

    ec2_container, ec2_policies = task_and_policy(STAGE)
    county_container, county_policies = task_and_policy("county")
    # same construct paths, so same logical ids: the task role is granted exactly what the Fargate task's is
    assert ec2_policies == county_policies and ec2_policies
    # the same settings but the stage's own tables
    assert _text(ec2_container["Environment"]).replace("gk-county-ec2", "gk-county") == _text(
        county_container["Environment"]
    )
    assert ec2_container["Image"] == county_container["Image"]


def test_one_instance_with_imdsv2_an_encrypted_disk_and_the_ecs_optimized_arm64_ami(synthesized: Synthesized) -> None:
    _, group = _one(synthesized, "AWS::AutoScaling::AutoScalingGroup")
    assert (group["MinSize"], group["MaxSize"]) == ("1", "1")
    assert {"Granularity": "1Minute", "Metrics": ["GroupInServiceInstances"]} in group["MetricsCollection"]
    _, template = _one(synthesized, "AWS::EC2::LaunchTemplate")
    data = template["LaunchTemplateData"]
    assert data["MetadataOptions"] == {"HttpPutResponseHopLimit": 1, "HttpTokens": "required"}
    assert data["InstanceType"] == "t4g.micro" and data["Monitoring"] == {"Enabled": False}
    (root,) = data["BlockDeviceMappings"]
    assert root["Ebs"]["VolumeSize"] == 30  # the ECS-optimized AL2023 AMI's snapshot: no smaller volume boots it
    assert all(d["Ebs"]["Encrypted"] is True for d in data["BlockDeviceMappings"])
    parameter = synthesized.templates[STAGE]["Parameters"][data["ImageId"]["Ref"]]
    # resolved by CloudFormation at deploy time: synthesis makes no lookup
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert parameter["Default"] == "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
    (interface,) = data["NetworkInterfaces"]
    assert interface["AssociatePublicIpAddress"] is True  # outbound at boot, until the Elastic IP replaces it


def test_only_the_ingest_port_is_open_and_only_from_allowed_cidrs(synthesized: Synthesized) -> None:
    s = StageSettings(name=STAGE)
    _, template = _one(synthesized, "AWS::EC2::LaunchTemplate")
    (interface,) = template["LaunchTemplateData"]["NetworkInterfaces"]
    (group,) = interface["Groups"]
    props = synthesized.resources(STAGE, "AWS::EC2::SecurityGroup")[group["Fn::GetAtt"][0]]["Properties"]
    separate = [p for p in synthesized.properties(STAGE, "AWS::EC2::SecurityGroupIngress") if p["GroupId"] == group]
    rules = props.get("SecurityGroupIngress", []) + separate
    assert [(r["CidrIp"], r["FromPort"], r["ToPort"]) for r in rules] == [
        (cidr, s.ingest_port, s.ingest_port) for cidr in s.allowed_cidrs
    ]


def test_the_instance_may_associate_exactly_the_stage_address_onto_itself(synthesized: Synthesized) -> None:
    eip, _ = _one(synthesized, "AWS::EC2::EIP")
    profile, _ = _one(synthesized, "AWS::IAM::InstanceProfile")
    _, template = _one(synthesized, "AWS::EC2::LaunchTemplate")
    assert template["LaunchTemplateData"]["IamInstanceProfile"]["Arn"] == {"Fn::GetAtt": [profile, "Arn"]}
    role = synthesized.resources(STAGE, "AWS::IAM::InstanceProfile")[profile]["Properties"]["Roles"][0]
    statements = [
        st
        for p in synthesized.properties(STAGE, "AWS::IAM::Policy")
        if role in p["Roles"]
        for st in p["PolicyDocument"]["Statement"]
    ]
    ec2_statements = [st for st in statements if "ec2:" in _text(st["Action"])]
    assert all(st["Action"] == "ec2:AssociateAddress" for st in ec2_statements)
    by_kind = {
        part.strip(":").split("/")[0]: st
        for st in ec2_statements
        for part in st["Resource"]["Fn::Join"][1]
        if isinstance(part, str) and "/" in part
    }
    assert set(by_kind) == {"elastic-ip", "instance", "network-interface"}, by_kind
    assert {"Fn::GetAtt": [eip, "AllocationId"]} in by_kind["elastic-ip"]["Resource"]["Fn::Join"][1]
    assert "Condition" not in by_kind["elastic-ip"]
    assert by_kind["instance"]["Condition"] == {"ArnEquals": {"ec2:InstanceProfile": {"Fn::GetAtt": [profile, "Arn"]}}}
    assert "ec2:Vpc" in by_kind["network-interface"]["Condition"]["ArnEquals"]
    # the user data associates it at boot (IMDSv2 token, then the instance id) and stops if it cannot
    script = _text(template["LaunchTemplateData"]["UserData"])
    assert "associate-address" in script and "--allow-reassociation" in script
    assert _text({"Fn::GetAtt": [eip, "AllocationId"]}) in script
    assert "X-aws-ec2-metadata-token" in script and "shutdown -h now" in script


def test_the_association_script_is_valid_bash() -> None:
    from infra.constructs.listener_host import association_script

    script = association_script("eipalloc-0123456789abcdef0")
    assert subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0
    broken = script.replace("done", "", 1)
    assert subprocess.run(["bash", "-n"], input=broken, text=True, capture_output=True, check=False).returncode != 0


def test_alarms_watch_the_instance_and_the_frames_instead_of_the_load_balancer(synthesized: Synthesized) -> None:
    alarms = synthesized.properties(STAGE, "AWS::CloudWatch::Alarm")
    names = {a.get("MetricName") for a in alarms}
    assert not {"ActiveFlowCount", "UnHealthyHostCount"} & names
    (in_service,) = [a for a in alarms if a.get("MetricName") == "GroupInServiceInstances"]
    (frames,) = [a for a in alarms if a.get("MetricName") == "IncomingRecords"]
    for alarm in (in_service, frames):
        assert alarm["ComparisonOperator"] == "LessThanOrEqualToThreshold" and alarm["Threshold"] == 0
        assert alarm["TreatMissingData"] == "breaching"  # nothing reported is as bad as zero
    assert synthesized.properties(STAGE, "AWS::ApplicationAutoScaling::ScalingPolicy") == []
    outputs = synthesized.templates[STAGE]["Outputs"]
    assert "TerminalIp1" in outputs and "TerminalIp2" not in outputs and "LoadBalancerDns" not in outputs
    assert "ListenerGroup" in outputs
