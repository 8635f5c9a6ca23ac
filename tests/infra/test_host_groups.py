"""A province as a tier of hosts (`host_groups`, the province-hosts stage): a shared stack with the tables, the
archive and the Lambdas that stay, and one stack per host group holding its instance, address, data volume, snapshot
policy and alarms, running the runner for its counties. The county-host stage stays as it was."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.settings import SettingsError, StageSettings, load_stage
from infra.stacks.platform import ARCHIVE_WRITER_PREFIXES, PlatformStack
from local.app import FAILURE_LINES
from tests.infra.conftest import REUSE_MIRRORS, REUSE_VPC, Synthesized

pytestmark = pytest.mark.infra
STAGE = "province-hosts"
GROUPS = {"nantong-a": ("rugao", "haian"), "nantong-b": ("rudong", "qidong", "tongzhou")}
HOST_STACKS = {f"{STAGE}-{g}": g for g in GROUPS}
PER_HOST = ("AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::LaunchTemplate", "AWS::EC2::EIP", "AWS::EC2::Volume",
            "AWS::DLM::LifecyclePolicy", "AWS::ECS::Service", "AWS::ECS::Cluster")  # fmt: skip
# The county host's alarms on its host (tests/infra/test_county_host.py), per group
HOST_ALARM_METRICS = {"GroupInServiceInstances", "CPUUtilization", "ListenerSinkFailures", "HostDecodeBacklogAlarms",
                      "HostWorkerFailures", "HostDeadFrames"}  # fmt: skip


def _text(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def _one(synthesized: Synthesized, stage: str, kind: str) -> tuple[str, dict[str, Any]]:
    ((logical, resource),) = synthesized.resources(stage, kind).items()
    return logical, resource.get("Properties", {})


def _statements(synthesized: Synthesized, stage: str, role: str) -> list[dict[str, Any]]:
    return [
        st
        for p in synthesized.properties(stage, "AWS::IAM::Policy")
        if {"Ref": role} in p["Roles"]
        for st in p["PolicyDocument"]["Statement"]
    ]


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for st in statements for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}


def _environment(synthesized: Synthesized, stage: str) -> dict[str, Any]:
    _, task = _one(synthesized, stage, "AWS::ECS::TaskDefinition")
    (container,) = task["ContainerDefinitions"]
    return {e["Name"]: e["Value"] for e in container["Environment"]}


# ---- settings ----

PROVINCE = {"platform_host": True, "listener_compute": "ec2", "listener_min_tasks": 1, "listener_max_tasks": 1,
            "listener_instance_type": "t4g.small", "listener_memory_mib": 1024}  # fmt: skip


def _province(groups: Any, **more: Any) -> StageSettings:
    return load_stage("prov", {**PROVINCE, "host_groups": groups, **more})


def test_groups_take_the_stages_defaults_and_their_own_keys() -> None:
    s = _province(
        [{"name": "a", "counties": ["rugao"]}, {"name": "b", "counties": "haian, rudong", "zone": 1,
                                                "instance_type": "c7g.xlarge", "task_memory_mib": 6144}]
    )  # fmt: skip
    a, b = s.host_groups
    assert (a.counties, a.instance_type, a.data_volume_gib, a.task_cpu, a.task_memory_mib, a.zone) == (
        ("rugao",), "t4g.small", 8, 512, 1024, 0
    )  # fmt: skip
    assert (b.counties, b.instance_type, b.task_memory_mib, b.zone, b.decode_workers) == (
        ("haian", "rudong"), "c7g.xlarge", 6144, 1, 1
    )  # fmt: skip
    # `-c prov.host_groups=<JSON>` on the command line gives the same
    cli = load_stage("prov", PROVINCE, {"host_groups": json.dumps([{"name": "a", "counties": ["rugao"]}])})
    assert cli.host_groups == (a,)
    # no host_groups: the county host's one implicit instance, as before
    assert load_stage("county", {**PROVINCE}).host_groups == ()


@pytest.mark.parametrize(
    ("groups", "more", "problem"),
    [
        ([{"name": "a", "counties": ["rugao"]}, {"name": "a", "counties": ["haian"]}], {}, "a group name given twice"),
        ([{"name": "a", "counties": ["rugao", "haian"]}, {"name": "b", "counties": ["haian"]}], {},
         "county 'haian' is already served by host group 'a'"),
        ([{"name": "a", "counties": ["rugao", "rugao"]}], {}, "county 'rugao' is already served by host group 'a'"),
        ([{"name": "Nantong_A", "counties": ["rugao"]}], {}, "host group name 'Nantong_A'"),
        ([{"name": "a-", "counties": ["rugao"]}], {}, "host group name 'a-'"),
        ([{"name": "a" * 21, "counties": ["rugao"]}], {}, "1-20 of a-z"),
        ([{"name": "a", "counties": ["rugao", "ru,gao"]}], {}, "county 'ru,gao' is no registry county id"),
        ([{"name": "a", "counties": []}], {}, "counties must name at least one registry county"),
        ([], {}, "host_groups: give at least one group"),
        ([{"name": "a", "counties": ["rugao"], "zone": 2}], {}, "host group 'a': zone must be 0-1"),
        ([{"name": "a", "counties": ["rugao"], "instance_type": "c7i.large"}], {}, "host group 'a': instance_type"),
        ([{"name": "a", "counties": ["rugao"], "task_memory_mib": 2048}], {}, "must leave the instance 384 MiB"),
        ([{"name": "a", "counties": ["rugao"], "snapshot_id": "snapshot-1"}], {}, "snapshot_id must look like"),
        ([{"name": "a", "counties": ["rugao"], "elastic_ip_allocation_id": "eip-1"}], {},
         "elastic_ip_allocation_id must look like"),
        ([{"name": "a", "counties": ["rugao"], "decode_workers": 17}], {}, "decode_workers must be 1, 2, 4, 8 or 16"),
        # one address or one snapshot in two groups: both hosts would take the address, or start as one queue
        ([{"name": "a", "counties": ["rugao"], "elastic_ip_allocation_id": "eipalloc-0123456789abcdef0"},
          {"name": "b", "counties": ["haian"], "elastic_ip_allocation_id": "eipalloc-0123456789abcdef0"}], {},
         "host group 'b': elastic_ip_allocation_id 'eipalloc-0123456789abcdef0' is already host group 'a''s"),
        ([{"name": "a", "counties": ["rugao"], "snapshot_id": "snap-0123456789abcdef0"},
          {"name": "b", "counties": ["haian"], "snapshot_id": "snap-0123456789abcdef0"}], {},
         "host group 'b': snapshot_id 'snap-0123456789abcdef0' is already host group 'a''s"),
        # a task the instance cannot hold: memory on a fixed-performance type too, and CPU units
        ([{"name": "a", "counties": ["rugao"], "instance_type": "c7g.large", "task_memory_mib": 4096}], {},
         "at most 3712 on a c7g.large"),
        ([{"name": "a", "counties": ["rugao"], "task_cpu": 4096}], {},
         "host group 'a': task_cpu must fit the instance's 2 vCPUs (at most 2048 on a t4g.small)"),
        ([{"name": "a", "counties": ["rugao"], "instance_type": "m7g.xlarge", "task_cpu": 8192}], {},
         "at most 4096 on a m7g.xlarge"),
        # a type of no known size is refused, listing the known ones
        ([{"name": "a", "counties": ["rugao"], "instance_type": "c7g.4xlarge"}], {},
         "instance_type 'c7g.4xlarge' is not one of the known types (t4g.micro, t4g.small"),
        ([{"name": "a", "counties": ["rugao"], "data_volume_gib": "8"}], {}, "data_volume_gib must be an integer"),
        ([{"name": "a", "counties": ["rugao"], "disk": 8}], {}, "and only ["),
        ([{"name": "a"}], {}, "expected an object with name and counties"),
        ({"name": "a", "counties": ["rugao"]}, {}, "expected a list of host group objects"),
        ("[{name: a}]", {}, "expected a JSON list of host group objects"),
        ([{"name": "a", "counties": ["haian"]}], {}, "api_county_id must be one of the host groups' counties"),
        ([{"name": "a", "counties": ["rugao"]}], {"platform_host": False}, "host_groups needs platform_host"),
        ([{"name": "a", "counties": ["rugao"]}], {"listener_counties": ["rugao"]}, "listener_counties is per group"),
        ([{"name": "a", "counties": ["rugao"]}], {"host_zone": 1}, "host_zone is per group"),
        ([{"name": "a", "counties": ["rugao"]}], {"host_data_snapshot_id": "snap-0123456789abcdef0"},
         "host_data_snapshot_id is per group"),
    ],
)  # fmt: skip
def test_bad_groups_are_refused_naming_the_group_and_key(groups: Any, more: dict[str, Any], problem: str) -> None:
    with pytest.raises(SettingsError) as error:
        _province(groups, **more)
    assert "stage 'prov'" in str(error.value) and problem in str(error.value)


def test_the_county_pattern_is_the_registrys() -> None:
    from infra import settings
    from monitoring.registry import models

    samples = ("rugao", "320682", "js.nantong:rugao-1", "A_b", "a" * 128, "a" * 129, "-a", ".a", "a,b", "a b", "",
               "县", "a/b", "a\n")  # fmt: skip
    for county in samples:
        assert bool(settings._COUNTY_ID.fullmatch(county)) == bool(models._ID.fullmatch(county)), county


# ---- the stacks ----


def test_a_stack_per_group_beside_the_shared_one(synthesized: Synthesized) -> None:
    assert {k for k in synthesized.templates if k.startswith(f"{STAGE}-")} == set(HOST_STACKS)
    for stack in HOST_STACKS:
        for kind in PER_HOST:
            assert len(synthesized.resources(stack, kind)) == 1, (stack, kind)
        # small: 15-30 groups would not fit CloudFormation's 500 resources in one stack with the shared ones
        assert len(synthesized.templates[stack]["Resources"]) <= 40
    for kind in PER_HOST:
        assert synthesized.resources(STAGE, kind) == {}, kind
    # the shared stack is the county host's without its host: no stream, no decode or rules Lambdas
    assert not synthesized.resources(STAGE, "AWS::Kinesis::Stream")
    handlers = {p["Handler"] for p in synthesized.properties(STAGE, "AWS::Lambda::Function")}
    assert handlers == {p["Handler"] for p in synthesized.properties("county-host", "AWS::Lambda::Function")}
    shared = len(synthesized.templates[STAGE]["Resources"])
    host = len(synthesized.templates[f"{STAGE}-nantong-a"]["Resources"])
    assert shared + host == len(synthesized.templates["county-host"]["Resources"])
    # each group stack deploys after the shared one (the CLI's order), and the shared one needs none of them
    artifacts = synthesized.manifest["artifacts"]
    for stack in HOST_STACKS:
        assert f"Gongkuang-{STAGE}" in artifacts[f"Gongkuang-{stack}"]["dependencies"]
    needs = artifacts[f"Gongkuang-{STAGE}"].get("dependencies", [])
    assert not [d for d in needs if d.startswith(f"Gongkuang-{STAGE}-")]


def test_each_host_runs_the_runner_for_its_counties(synthesized: Synthesized) -> None:
    county_host = _environment(synthesized, "county-host")
    for stack, group in HOST_STACKS.items():
        env = _environment(synthesized, stack)
        counties = ",".join(GROUPS[group])
        assert env["LOCAL_COUNTIES"] == env["IOT_INGEST_COUNTIES"] == counties, stack
        assert env["LOCAL_HOST_ID"] == group
        assert env["LOCAL_COUNTY_ID"] == env["COUNTY_ID"] == GROUPS[group][0]
        assert env["LOCAL_ARCHIVE_BUCKET"] == {"Fn::ImportValue": f"Gongkuang-{STAGE}-ArchiveBucket"}
        assert env["LOCAL_DYNAMODB_TABLE_PREFIX"] == env["DYNAMODB_TABLE_PREFIX"] == f"gk-{STAGE}"
        # the rest is the county host's contract, value for value
        own = {"LOCAL_COUNTIES", "LOCAL_HOST_ID", "IOT_INGEST_COUNTIES", "LOCAL_COUNTY_ID", "COUNTY_ID",
               "LOCAL_ARCHIVE_BUCKET", "LOCAL_DECODE_WORKERS"}  # fmt: skip
        assert set(env) - own == set(county_host) - own
        for name in set(env) - own:
            expected = county_host[name]
            if isinstance(expected, str):
                expected = expected.replace("gk-county-host", f"gk-{STAGE}")
            assert env[name] == expected, (stack, name)
    assert _environment(synthesized, f"{STAGE}-nantong-b")["LOCAL_DECODE_WORKERS"] == "2"
    # the county host passes neither list nor host id: its runner serves api_county_id alone, as before
    assert not {"LOCAL_COUNTIES", "LOCAL_HOST_ID"} & set(county_host)


def test_each_host_has_its_own_size_zone_and_volume(synthesized: Synthesized) -> None:
    sizes = {}
    for stack in HOST_STACKS:
        _, template = _one(synthesized, stack, "AWS::EC2::LaunchTemplate")
        _, volume = _one(synthesized, stack, "AWS::EC2::Volume")
        _, task = _one(synthesized, stack, "AWS::ECS::TaskDefinition")
        (container,) = task["ContainerDefinitions"]
        sizes[stack] = (template["LaunchTemplateData"]["InstanceType"], volume["Size"], container["Cpu"],
                        container["Memory"], volume["AvailabilityZone"])  # fmt: skip
        logical, _ = _one(synthesized, stack, "AWS::EC2::Volume")
        resource = synthesized.resources(stack, "AWS::EC2::Volume")[logical]
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
        eip = next(iter(synthesized.resources(stack, "AWS::EC2::EIP").values()))
        assert eip["DeletionPolicy"] == "Retain"  # terminals in the field point at it
    assert sizes[f"{STAGE}-nantong-a"][:4] == ("t4g.small", 8, 512, 1024)
    assert sizes[f"{STAGE}-nantong-b"][:4] == ("c7g.large", 16, 2048, 3072)
    zones = [sizes[s][4] for s in sorted(HOST_STACKS)]
    assert zones == [{"Fn::Select": [i, {"Fn::GetAZs": ""}]} for i in (0, 1)]


def test_a_host_may_attach_only_its_own_volume_and_address_onto_itself(synthesized: Synthesized) -> None:
    targets = {}
    for stack in HOST_STACKS:
        volume, _ = _one(synthesized, stack, "AWS::EC2::Volume")
        eip, _ = _one(synthesized, stack, "AWS::EC2::EIP")
        profile, props = _one(synthesized, stack, "AWS::IAM::InstanceProfile")
        (role,) = props["Roles"]
        statements = _statements(synthesized, stack, role["Ref"])
        by_sid = {st.get("Sid"): st for st in statements}
        assert {"Ref": volume} in by_sid["TheDataVolume"]["Resource"]["Fn::Join"][1]
        assert by_sid["AttachOntoThisInstance"]["Condition"] == {
            "ArnEquals": {"ec2:InstanceProfile": {"Fn::GetAtt": [profile, "Arn"]}}
        }
        assert _text({"Fn::GetAtt": [eip, "AllocationId"]}) in _text(by_sid["TheStageAddress"]["Resource"])
        attach = [st for st in statements if "ec2:AttachVolume" in _text(st["Action"])]
        assert len(attach) == 2 and all("ImportValue" not in _text(st) for st in attach)  # nothing of another stack
        assert {a for a in _actions(statements) if a.startswith("ec2:")} == {"ec2:AssociateAddress", "ec2:AttachVolume"}
        # the snapshot policy targets this group's volume only (its stack's tag), no other group's
        _, policy = _one(synthesized, stack, "AWS::DLM::LifecyclePolicy")
        (tag,) = policy["PolicyDetails"]["TargetTags"]
        _, volume_props = _one(synthesized, stack, "AWS::EC2::Volume")
        assert {"Key": tag["Key"], "Value": tag["Value"]} in volume_props["Tags"]
        targets[stack] = tag["Value"]
    assert targets == {s: f"Gongkuang-{s}" for s in HOST_STACKS}


def test_the_task_role_is_the_county_hosts_on_the_shared_tables(synthesized: Synthesized) -> None:
    def role_of(stage: str) -> list[dict[str, Any]]:
        _, task = _one(synthesized, stage, "AWS::ECS::TaskDefinition")
        return _statements(synthesized, stage, task["TaskRoleArn"]["Fn::GetAtt"][0])

    county_host = role_of("county-host")
    for stack in HOST_STACKS:
        statements = role_of(stack)
        assert _actions(statements) == _actions(county_host)
        dynamodb = [st for st in statements if "dynamodb:" in _text(st["Action"])]
        tables = set(re.findall(rf"table/gk-{STAGE}-([a-z_]+)", _text(dynamodb)))
        assert tables == PlatformStack.host_data_access()
        indexed = set(re.findall(rf"table/gk-{STAGE}-([a-z_]+)/index/\*", _text(dynamodb)))
        assert indexed == {t for t in tables if PlatformStack.table_has_indexes(t)}
        (s3,) = [st for st in statements if "s3:" in _text(st["Action"])]
        assert s3["Action"] == "s3:PutObject"
        arn = {"Fn::ImportValue": f"Gongkuang-{STAGE}-ArchiveBucketArn"}
        wanted = [{"Fn::Join": ["", [arn, f"/{p}*"]]} for p in ARCHIVE_WRITER_PREFIXES]
        assert sorted(s3["Resource"], key=_text) == sorted(wanted, key=_text)
        (kms,) = [st for st in statements if "kms:" in _text(st["Action"])]
        assert kms["Action"] == "kms:GenerateDataKey" and "Fn::ImportValue" in kms["Resource"]
    outputs = synthesized.templates[STAGE]["Outputs"]
    assert outputs["ArchiveBucketArn"]["Export"] == {"Name": f"Gongkuang-{STAGE}-ArchiveBucketArn"}
    assert outputs["ArchiveBucket"]["Export"] == {"Name": f"Gongkuang-{STAGE}-ArchiveBucket"}
    assert "Export" not in synthesized.templates["county-host"]["Outputs"]["ArchiveBucket"]


def test_alarms_per_host_to_the_stages_topic_and_the_shared_ones_once(synthesized: Synthesized) -> None:
    shared_alarms = synthesized.properties(STAGE, "AWS::CloudWatch::Alarm")
    assert not HOST_ALARM_METRICS & {a.get("MetricName") for a in shared_alarms}
    county = {a.get("MetricName") for a in synthesized.properties("county-host", "AWS::CloudWatch::Alarm")}
    assert {a.get("MetricName") for a in shared_alarms} == county - HOST_ALARM_METRICS  # tables, functions
    namespaces = set()
    for stack, group in HOST_STACKS.items():
        alarms = synthesized.properties(stack, "AWS::CloudWatch::Alarm")
        assert {a["MetricName"] for a in alarms} == HOST_ALARM_METRICS
        for alarm in alarms:
            assert f"host group {group}" in alarm["AlarmDescription"], alarm["AlarmDescription"]
            assert alarm["AlarmActions"] == alarm["OKActions"]
            (action,) = alarm["AlarmActions"]
            assert "Fn::ImportValue" in action  # the stage's one alarm topic
        filters = synthesized.properties(stack, "AWS::Logs::MetricFilter")
        assert {
            f["FilterPattern"] for f in filters if f["MetricTransformations"][0]["MetricName"] == "HostWorkerFailures"
        } == {" ".join(f'?"{line}"' for line in FAILURE_LINES)}
        namespaces |= {f["MetricTransformations"][0]["MetricNamespace"] for f in filters}
    # each host's log lines count in its own namespace: an alarm names the host whose runner logged them
    assert namespaces == {f"Gongkuang/{g}" for g in GROUPS}


def test_the_acknowledgements_name_each_hosts_own_resources(synthesized: Synthesized) -> None:
    from infra import nag

    for stack in HOST_STACKS:
        reasons = [(rule, path) for rule, path, _ in nag.RECORDED if path.startswith(f"Gongkuang-{stack}/")]
        rules = {rule for rule, _ in reasons}
        assert f"AwsSolutions-IAM5[Resource::Gongkuang-{STAGE}-ArchiveBucketArn/raw/*]" in rules
        assert any(f"table/gk-{STAGE}-registry/index/*" in r for r in rules)
    # the shared stack acknowledges nothing of a listener it does not have
    shared = {rule for rule, path, _ in nag.RECORDED if path.startswith(f"Gongkuang-{STAGE}/")}
    assert not {"AwsSolutions-ECS2", "AwsSolutions-EC23", "AwsSolutions-AS3"} & shared


CHINA_ACCOUNT = "123456789012"


def test_both_china_regions_synthesize_a_province(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One group per region (the partition is what differs, not the number of groups); cdk-nag runs as ever."""
    from infra.app import build_app, file_context

    context = file_context()
    province = {**context["stages"][STAGE], **REUSE_MIRRORS, "account": CHINA_ACCOUNT, "web_distribution": False}
    group = {"name": "nantong-a", "counties": ["rugao"], "zone": 1, "snapshot_id": "snap-0123456789abcdef0",
             "elastic_ip_allocation_id": "eipalloc-0123456789abcdef0"}  # fmt: skip
    context["stages"] = {
        "bj": {**province, "region": "cn-north-1", "existing_vpc": REUSE_VPC, "host_groups": [group]},
        "nx": {**province, "region": "cn-northwest-1", "host_groups": [{**group, "name": "nantong-b"}]},
    }
    for region in ("cn-north-1", "cn-northwest-1"):
        context[f"availability-zones:account={CHINA_ACCOUNT}:region={region}"] = [f"{region}a", f"{region}b"]
    context["aws:cdk:bundling-stacks"] = []
    assembly = build_app(context=context, outdir=str(tmp_path_factory.mktemp("china-province"))).synth()
    templates = {s.stack_name: s.template for s in assembly.stacks}
    assert set(templates) == {"Gongkuang-bj", "Gongkuang-bj-nantong-a", "Gongkuang-nx", "Gongkuang-nx-nantong-b"}
    for name, template in templates.items():
        assert "arn:aws:" not in json.dumps(template), name
    host = templates["Gongkuang-bj-nantong-a"]["Resources"]
    (volume,) = [r for r in host.values() if r["Type"] == "AWS::EC2::Volume"]
    assert volume["Properties"]["AvailabilityZone"] == "cn-north-1b"
    assert volume["Properties"]["SnapshotId"] == "snap-0123456789abcdef0"
    assert not [r for r in host.values() if r["Type"] == "AWS::EC2::EIP"]  # the given address, kept
    (group_resource,) = [r for r in host.values() if r["Type"] == "AWS::AutoScaling::AutoScalingGroup"]
    assert group_resource["Properties"]["VPCZoneIdentifier"] == [REUSE_VPC["public_subnet_ids"][1]]
    assert "eipalloc-0123456789abcdef0" in json.dumps(host)


def _synth_province(tmp: Any, groups: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The province-hosts stage alone with `groups`, offline: its stacks' templates by stack name."""
    from infra.app import build_app, file_context

    context = file_context()
    context["stages"] = {STAGE: {**context["stages"][STAGE], "host_groups": groups}}
    context["aws:cdk:bundling-stacks"] = []
    assembly = build_app(context=context, outdir=str(tmp)).synth()
    return {s.stack_name: s.template for s in assembly.stacks}


def _exports(template: dict[str, Any]) -> dict[str, str]:
    return {o["Export"]["Name"]: _text(o["Value"]) for o in template.get("Outputs", {}).values() if "Export" in o}


def test_the_shared_exports_do_not_follow_the_groups_zones(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A restore moves a group to another zone, a removal may empty a zone: the shared stack's exports stay the
    same, so its update never deletes one a running group imports (CloudFormation would refuse and roll back)."""
    a = {"name": "nantong-a", "counties": ["rugao"], "zone": 0}
    b = {"name": "nantong-b", "counties": ["haian"], "zone": 0}
    zone0 = _synth_province(tmp_path_factory.mktemp("zone0"), [a, b])
    moved = _synth_province(tmp_path_factory.mktemp("moved"), [a, {**b, "zone": 1}])
    alone = _synth_province(tmp_path_factory.mktemp("alone"), [{**a, "zone": 1}])
    shared = f"Gongkuang-{STAGE}"
    exports = _exports(zone0[shared])
    assert exports == _exports(moved[shared]) == _exports(alone[shared])
    subnets = {n for n in exports if n.startswith(f"{shared}-PublicSubnet")}
    assert subnets == {f"{shared}-PublicSubnet{i}" for i in (0, 1)} and f"{shared}-VpcId" in exports
    # the groups import the VPC by those names, none of CDK's automatic exports of it
    for templates in (zone0, moved, alone):
        for name, template in templates.items():
            if name == shared:
                continue
            imported = set(re.findall(r'"Fn::ImportValue": "([^"]+)"', json.dumps(template)))
            network = {i for i in imported if "Subnet" in i or "Vpc" in i}
            assert network and network <= subnets | {f"{shared}-VpcId"}, (name, imported)
    (group,) = [r for r in moved[f"{shared}-nantong-b"]["Resources"].values()
                if r["Type"] == "AWS::AutoScaling::AutoScalingGroup"]  # fmt: skip
    assert group["Properties"]["VPCZoneIdentifier"] == [{"Fn::ImportValue": f"{shared}-PublicSubnet1"}]


def test_a_groups_snapshot_role_tags_and_expires_only_its_own_snapshots(synthesized: Synthesized) -> None:
    """Each group's DLM role: CreateSnapshot of its own volume; CreateTags and DeleteSnapshot on snapshot/* only
    under a condition on the snapshot's gongkuang:host-data tag, which only its own volume (and its copies) carry."""
    for stack in HOST_STACKS:
        _, policy = _one(synthesized, stack, "AWS::DLM::LifecyclePolicy")
        (tag,) = policy["PolicyDetails"]["TargetTags"]
        key, own = tag["Key"], f"Gongkuang-{stack}"
        statements = _statements(synthesized, stack, policy["ExecutionRoleArn"]["Fn::GetAtt"][0])
        volume, _ = _one(synthesized, stack, "AWS::EC2::Volume")
        for st in statements:
            actions = {st["Action"]} if isinstance(st["Action"], str) else set(st["Action"])
            if actions & {"ec2:CreateTags", "ec2:DeleteSnapshot"}:
                condition = st["Condition"]
                assert condition.get("StringEquals", {}).get(f"aws:ResourceTag/{key}") == own or condition.get(
                    "Null"
                ) == {f"aws:ResourceTag/{key}": "true"}, st
                if "ec2:CreateTags" in actions:  # never sets the tag to another group's value
                    assert condition["StringEqualsIfExists"] == {f"aws:RequestTag/{key}": own}, st
                else:
                    assert "Null" not in condition, st  # deletes only snapshots already tagged its own
            if actions == {"ec2:CreateSnapshot"} and "snapshot/" not in _text(st["Resource"]):
                assert {"Ref": volume} in st["Resource"]["Fn::Join"][1]
        assert {"ec2:CreateTags", "ec2:DeleteSnapshot", "ec2:CreateSnapshot"} <= _actions(statements)
