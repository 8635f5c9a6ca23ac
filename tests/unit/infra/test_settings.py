"""Stage settings: hostile config is refused with a message naming the stage and the setting."""

from __future__ import annotations

import json

import pytest

from infra.settings import SettingsError, load_stage, load_stages

pytestmark = pytest.mark.unit


def test_load_stage_with_defaults_is_valid() -> None:
    s = load_stage("dev", {})
    assert (s.ingest_port, s.health_port, s.tables_prefix) == (9000, 8080, "gk-dev")
    assert load_stage("dev", {"stream_retention_hours": 168, "decode_max_record_age_hours": 164})
    assert (s.architecture, s.stream_on_demand, s.max_azs) == ("arm64", False, 2)


def test_the_dev_floor_choices_are_valid_settings() -> None:
    # One zone, the second task on Fargate Spot, the smallest task size (docs/deploy.md "Fixed floor")
    s = load_stage("dev", {"max_azs": 1, "listener_spot": True, "listener_on_demand_base": 1,
                           "listener_cpu": 256, "listener_memory_mib": 512})  # fmt: skip
    assert (s.max_azs, s.listener_spot, s.listener_on_demand_base) == (1, True, 1)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"ingest_prot": 9000}, "unknown settings ingest_prot"),
        ({"dynamodb_target_percent": 95}, "dynamodb_target_percent must be 20-90"),
        ({"dynamodb_min_units": 10, "dynamodb_max_units": 5}, "dynamodb_min_units <= max"),
        ({"dynamodb_max_units": 50000}, "<= 40000"),
        ({"dynamodb_provisioned_tables": ["readings", "readings"]}, "a table listed twice"),
        ({"ingest_port": "nine"}, "setting 'ingest_port': expected int"),
        ({"ingest_port": 70000}, "ports must be 1-65535"),
        ({"health_port": 9000}, "must differ"),
        ({"drain_timeout": 60, "stop_timeout": 60}, "drain_timeout < stop_timeout"),
        ({"stop_timeout": 121, "drain_timeout": 10}, "<= 120"),
        ({"listener_cpu": 256, "listener_memory_mib": 4096}, "no Fargate size"),
        ({"allowed_cidrs": ["10.0.0.1/8"]}, "allowed_cidrs"),
        ({"log_retention_days": 31}, "log_retention_days"),
        ({"deletion_protection": "yes"}, "expected bool"),
        ({"account": "123456789012"}, "both account and region"),
        ({"existing_vpc": {"vpc_id": "vpc-1"}}, "exactly"),
        ({"name": "x"}, "unknown settings name"),
        ({"elastic_ip_allocation_ids": ["eipalloc-0123abcd"]}, "one id per zone (2)"),
        ({"elastic_ip_allocation_ids": ["eipalloc-0123abcd", "10.0.0.1"]}, "must look like eipalloc"),
        ({"decode_max_record_age_hours": 21}, "leave at least 4 h of stream retention"),
        ({"decode_max_record_age_hours": 0}, "decode_max_record_age_hours must be 1-168"),
        ({"nat_gateways": 1}, "unknown settings nat_gateways"),  # tasks reach AWS APIs without NAT now
        ({"county_id": "rugao"}, "unknown settings county_id"),  # rules fan out over every county
        ({"architecture": "sparc"}, "architecture must be one of"),
        ({"listener_spot": False, "listener_on_demand_base": 0}, "listener_on_demand_base >= 1"),
        ({"listener_on_demand_base": 3}, "listener_on_demand_base <= min_tasks"),
        ({"listener_max_tasks": 201}, "max <= 200"),
        # the cap must leave room over the scaling target (an average), and fit the container's open-file limit
        ({"connections_per_task": 20000}, "listener_max_connections must be at least 1.5 × connections_per_task"),
        ({"connections_per_task": 20000, "listener_max_connections": 65000}, "at most 64511"),
        ({"pip_index_url": "http://mirror/simple"}, "pip_index_url: https URL"),
        ({"container_base_image": "python:3.11 ; rm -rf /"}, "bad container_base_image"),
        ({"flow_log_traffic": "NONE"}, "flow_log_traffic must be one of"),
        ({"archive_lock_mode": "governance"}, "archive_lock_mode must be one of"),
        ({"archive_lock_days": 0}, "archive_lock_days must be 1-36500"),
        ({"rules_shard_enterprises": 0}, "rules_shard_enterprises must be 1-5000"),
        ({"rules_concurrency": 1}, "rules_concurrency must be 2-1000"),
        ({"rules_timeout": 60}, "rules_timeout must be 10 to rules_every_minutes × 60 − 5"),
        ({"rules_timeout": 9, "rules_every_minutes": 5}, "rules_timeout must be 10 to rules_every_minutes"),
        ({"rules_timeout": 296, "rules_every_minutes": 5}, "rules_timeout must be 10 to rules_every_minutes"),
        # ticks must fall on the same minutes every hour: 7 does not divide 60, 30 would outlast Lambda's timeout
        ({"rules_every_minutes": 7}, "rules_every_minutes must be one of (1, 2, 3, 5, 10, 15)"),
        ({"rules_every_minutes": 30}, "rules_every_minutes must be one of"),
        ({"rules_every_minutes": 0}, "rules_every_minutes must be one of"),
        ({"max_azs": 4}, "max_azs must be 1-3"),
        ({"minute_reading_days": 1}, "minute_reading_days must be 2-36500"),
        ({"function_alarms": "none"}, "function_alarms must be one of"),
        ({"dashboard": "off"}, "expected bool"),
        ({"archive_writer": "kinesis"}, "archive_writer must be one of"),
        ({"archive_batch_size": 10001}, "archive_batch_size must be 1-10000"),
        ({"archive_batching_window": 301}, "archive_batching_window must be 0-300"),
        ({"decode_parallelization": 11}, "decode_parallelization must be 1-10"),
        ({"decode_parallelization": 0}, "decode_parallelization must be 1-10"),
        ({"stream_groups": 0}, "stream_groups must be 1-100000"),
        ({"stream_shards": 3, "stream_groups": 64}, "stream_groups must be a multiple of stream_shards"),
        # too few keys per lane: Lambda's hashing of keys onto lanes would leave some lanes far busier than others
        ({"stream_shards": 2, "decode_parallelization": 4, "stream_groups": 64}, "stream_groups must be >= 16 ×"),
        ({"account": "123456789012", "region": "cn-north-1"}, "web_distribution must be false in China regions"),
        ({"web_distribution": "no"}, "expected bool"),
    ],
)
def test_load_stage_with_bad_value_raises_naming_it(raw: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match="stage 'dev'") as info:
        load_stage("dev", raw)
    assert message in str(info.value)


def test_a_slower_rule_cadence_gives_the_worker_up_to_its_tick() -> None:
    s = load_stage("prod", {"rules_every_minutes": 5, "rules_timeout": 295})
    assert (s.rules_every_minutes, s.rules_timeout) == (5, 295)
    assert load_stage("dev", {}).rules_every_minutes == 1  # the default: every minute


def test_the_aws_stages_tick_the_rules_every_five_minutes() -> None:
    from infra.app import file_context

    stages = {s.name: s for s in load_stages(file_context())}
    assert {n: s.rules_every_minutes for n, s in stages.items()} == {
        "dev": 5, "prod": 5, "county": 5, "county-ec2": 5, "county-host": 5, "province-hosts": 5
    }  # fmt: skip


def test_a_china_stage_without_the_web_distribution_is_valid() -> None:
    s = load_stage("cn", {"account": "123456789012", "region": "cn-northwest-1", "web_distribution": False})
    assert (s.region, s.web_distribution, s.decode_parallelization) == ("cn-northwest-1", False, 1)
    assert load_stage("dev", {}).web_distribution is True


def test_several_decode_lanes_per_shard_are_allowed_with_enough_groups() -> None:
    s = load_stage("big", {"stream_shards": 4, "decode_parallelization": 5, "stream_groups": 320})
    assert (s.decode_parallelization, s.stream_groups) == (5, 320)
    assert load_stage("dev", {"stream_on_demand": True, "stream_groups": 7}).stream_groups == 7  # no fixed shards


def test_every_stage_of_cdk_json_is_valid() -> None:
    from infra.app import file_context

    stages = load_stages(file_context())
    assert {s.name for s in stages} >= {"dev", "prod", "county"}
    assert all(s.decode_parallelization == 1 for s in stages)


def test_provisioned_tables_from_the_command_line_and_empty_for_on_demand() -> None:
    # `-c prod.dynamodb_provisioned_tables=` puts every table back on demand (the long catch-up, docs/deploy.md)
    stages = {"prod": {"dynamodb_provisioned_tables": ["readings"]}}
    (prod,) = load_stages({"stages": stages, "prod.dynamodb_provisioned_tables": ""})
    assert prod.dynamodb_provisioned_tables == ()
    (prod,) = load_stages({"stages": stages, "prod.dynamodb_provisioned_tables": "readings, events"})
    assert prod.dynamodb_provisioned_tables == ("readings", "events")


def test_load_stages_applies_command_line_overrides_as_strings() -> None:
    # Given `cdk deploy -c prod.ingest_port=9100 -c prod.deletion_protection=false`
    context = {
        "stages": {"prod": {"deletion_protection": True}},
        "prod.ingest_port": "9100",
        "prod.deletion_protection": "false",
    }
    (prod,) = load_stages(context)
    assert prod.ingest_port == 9100 and prod.deletion_protection is False


def test_load_stages_reads_existing_vpc_and_cidr_lists_from_strings() -> None:
    vpc = (
        '{"vpc_id": "vpc-1", "availability_zones": ["a", "b"],'
        ' "public_subnet_ids": ["p1", "p2"], "private_subnet_ids": ["q1", "q2"]}'
    )
    (dev,) = load_stages(
        {"stages": {"dev": {}}, "dev.existing_vpc": vpc, "dev.allowed_cidrs": "203.0.113.0/24, 198.51.100.0/24"}
    )
    assert dev.existing_vpc is not None and dev.existing_vpc.public_subnet_ids == ("p1", "p2")
    assert dev.allowed_cidrs == ("203.0.113.0/24", "198.51.100.0/24")


def test_load_stages_without_stages_raises() -> None:
    with pytest.raises(SettingsError, match="'stages'"):
        load_stages({})


def test_load_stages_with_malformed_existing_vpc_json_names_the_stage_and_setting() -> None:
    # Given `-c dev.existing_vpc={not json` / Then a SettingsError (not a bare JSON error) names where it is
    with pytest.raises(SettingsError, match="stage 'dev', setting 'existing_vpc'"):
        load_stages({"stages": {"dev": {}}, "dev.existing_vpc": "{not json"})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"api_waf_rate_limit": 5}, "api_waf_rate_limit"),
        ({"api_waf_window": 180}, "api_waf_window"),
        ({"api_timeout": 30}, "api_timeout"),
        ({"api_throttle_rate": 0}, "api throttling"),
        ({"api_cors_origin": "http://gk.example.gov.cn"}, "api_cors_origin"),
        ({"api_cors_origin": "https://gk.example.gov.cn/path"}, "api_cors_origin"),
        ({"api_cors_origin": "*"}, "api_cors_origin"),
        ({"api_wechat_appid": "wx123"}, "api_wechat_appid"),
        ({"api_wechat_secret_parameter": "no-leading-slash"}, "api_wechat_secret_parameter"),
        ({"api_wechat_secret_parameter": "/a b"}, "api_wechat_secret_parameter"),
        ({"api_photo_incoming_days": 0}, "api_photo_incoming_days"),
        ({"api_county_id": "Rugao!"}, "api_county_id"),
    ],
)
def test_api_settings_refuse_bad_values(raw: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_stage("dev", raw)


def test_api_settings_from_the_command_line() -> None:
    context = {
        "stages": {"prod": {}},
        "prod.api_waf_rate_limit": "5000",
        "prod.api_cors_origin": "https://gk.example.gov.cn:8443",
        "prod.api_wechat_secret_parameter": "/gongkuang/prod/wechat-secret",
        "prod.api_cloudwatch_role": "false",
    }
    (s,) = load_stages(context)
    assert (s.api_waf_rate_limit, s.api_cors_origin) == (5000, "https://gk.example.gov.cn:8443")
    assert (s.api_wechat_secret_parameter, s.api_cloudwatch_role) == ("/gongkuang/prod/wechat-secret", False)


def test_wechat_template_ids_are_a_json_object_given_as_an_object_or_text() -> None:
    ids = {"alarm_raised": "Ab-12"}
    assert json.loads(load_stage("dev", {"notify_wechat_templates": ids}).notify_wechat_templates) == ids
    assert json.loads(load_stage("dev", {"notify_wechat_templates": json.dumps(ids)}).notify_wechat_templates) == ids
    for bad in ("[1]", "{oops", '{"alarm_raised": ""}'):
        with pytest.raises(SettingsError, match="notify_wechat_templates"):
            load_stage("dev", {"notify_wechat_templates": bad})


def test_the_county_floor_switches_from_the_command_line() -> None:
    stage = load_stages(
        {
            "stages": {"county": {}},
            "county.dashboard": "false",
            "county.lambda_metrics": "false",
            "county.container_insights": "false",
            "county.function_alarms": "account",
            "county.alarm_topic_key": "false",
        }
    )[0]
    assert not (stage.dashboard or stage.lambda_metrics or stage.container_insights or stage.alarm_topic_key)
    assert stage.function_alarms == "account"
    defaults = load_stage("dev", {})
    assert defaults.dashboard and defaults.lambda_metrics and defaults.container_insights and defaults.alarm_topic_key
    assert defaults.function_alarms == "each"


EC2 = {"listener_compute": "ec2", "listener_min_tasks": 1, "listener_max_tasks": 1}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"listener_compute": "lambda"}, "listener_compute must be one of"),
        ({"listener_compute": "ec2"}, "runs exactly one on-demand task"),  # the default 2..6 tasks
        ({**EC2, "listener_spot": True}, "runs exactly one on-demand task"),
        ({**EC2, "listener_instance_type": "t3.small"}, "processor matches architecture"),  # x86 under arm64
        ({**EC2, "listener_instance_type": "t4g.small", "architecture": "x86_64"}, "processor matches architecture"),
        ({**EC2, "listener_instance_type": "t4g small; rm -rf /"}, "listener_instance_type"),
        (
            {**EC2, "elastic_ip_allocation_ids": ["eipalloc-0123abcd", "eipalloc-0123abce"]},
            "one address for the one listener instance",
        ),
    ],
)
def test_ec2_listener_settings_refuse_what_one_instance_cannot_be(raw: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as err:
        load_stage("county-ec2", raw)
    assert "county-ec2" in str(err.value)


def test_ec2_listener_takes_one_address_in_any_number_of_zones_and_graviton_types() -> None:
    s = load_stage("county-ec2", {**EC2, "elastic_ip_allocation_ids": ["eipalloc-0123abcd"], "max_azs": 2})
    assert (s.listener_compute, s.listener_instance_type, s.elastic_ip_allocation_ids) == (
        "ec2", "t4g.small", ("eipalloc-0123abcd",)
    )  # fmt: skip
    for arm in ("m7g.medium", "c7gn.large", "m6gd.large"):
        assert load_stage("x", {**EC2, "listener_instance_type": arm}).listener_instance_type == arm
    assert load_stage("x", {**EC2, "listener_instance_type": "t3a.small", "architecture": "x86_64"})
    assert load_stage("x", {}).listener_compute == "fargate"  # default: Fargate behind the NLB


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({**EC2, "listener_instance_type": "t4g.micro"}, "must leave the instance 384 MiB"),  # 1024 MiB task on 1 GiB
        ({**EC2, "listener_instance_type": "t4g.nano", "listener_cpu": 256, "listener_memory_mib": 512}, "384 MiB"),
        ({"secrets_store": "vault"}, "secrets_store must be one of"),
        ({"api_waf": "maybe"}, "setting 'api_waf': expected bool"),
    ],
)
def test_floor_settings_refuse_what_cannot_work(raw: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_stage("county-ec2", raw)


def test_the_micro_instance_takes_a_half_gigabyte_task_and_the_floor_switches_parse() -> None:
    micro = {**EC2, "listener_instance_type": "t4g.micro", "listener_cpu": 256, "listener_memory_mib": 512}
    assert load_stage("county-ec2", micro).listener_memory_mib == 512
    # a type the size table does not know is not refused (its memory is the operator's to check)
    assert load_stage("x", {**EC2, "listener_instance_type": "m7g.medium"}).listener_memory_mib == 1024
    stage = load_stages({"stages": {"county": {}}, "county.api_waf": "false", "county.secrets_store": "ssm"})[0]
    assert (stage.api_waf, stage.secrets_store) == (False, "ssm")
    defaults = load_stage("prod", {})
    assert (defaults.api_waf, defaults.secrets_store) == (True, "secretsmanager")


HOST = {**EC2, "platform_host": True}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"platform_host": True}, "platform_host needs listener_compute=ec2"),  # Fargate: no instance to run on
        ({**HOST, "listener_counties": ["rugao", "haian"]}, "listener_counties must be exactly"),
        ({**HOST, "api_county_id": "haian"}, "listener_counties must be exactly"),
        ({**HOST, "host_data_volume_gib": 0}, "host_data_volume_gib must be 1-1024"),
        ({**HOST, "host_snapshots_kept": 0}, "host_snapshots_kept must be 1-1000"),
        ({**HOST, "host_data_snapshot_id": "vol-0123abcd"}, "host_data_snapshot_id must look like snap-"),
        ({**HOST, "host_archive_every_s": 10}, "host_archive_every_s must be 60-3600"),
        ({**HOST, "max_azs": 2, "host_zone": 2}, r"host_zone must be 0-1 \(one of the stage's 2 zones\)"),
        ({**HOST, "host_zone": -1}, "host_zone must be 0-1"),
        ({**HOST, "host_reading_bucket_minutes": 7}, "host_reading_bucket_minutes must be 0 \\(off\\), 5, 10"),
        ({**EC2, "host_reading_bucket_minutes": 5}, "host_reading_bucket_minutes needs platform_host"),
    ],
)
def test_the_county_host_settings_refuse_what_cannot_work(raw: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as err:
        load_stage("county-host", raw)
    assert "county-host" in str(err.value)


def test_the_county_host_stage_is_county_ec2_with_the_platform_on_its_instance() -> None:
    from infra.app import file_context

    stages = {s.name: s for s in load_stages(file_context())}
    host, ec2 = stages["county-host"], stages["county-ec2"]
    assert host.platform_host and not ec2.platform_host and not stages["county"].platform_host
    assert (host.listener_compute, host.host_data_volume_gib, host.host_snapshots_kept) == ("ec2", 8, 7)
    # minute readings in 5-minute buckets on the hosts; nowhere else (no disk to keep them on)
    hosts = {"county-host", "province-hosts"}
    assert host.host_reading_bucket_minutes == stages["province-hosts"].host_reading_bucket_minutes == 5
    assert not any(s.host_reading_bucket_minutes for s in stages.values() if s.name not in hosts)
    assert host.listener_counties == (host.api_county_id,) and host.host_zone == 0 and not host.host_data_snapshot_id
    # a restore: another zone's subnet, the volume created from a snapshot, from the command line
    restored = load_stages(
        {"stages": {"h": {**HOST, "max_azs": 2}}, "h.host_zone": "1", "h.host_data_snapshot_id": "snap-0123abcd"}
    )[0]
    assert (restored.host_zone, restored.host_data_snapshot_id) == (1, "snap-0123abcd")
