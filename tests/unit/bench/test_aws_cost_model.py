"""The cost model: DynamoDB's item-size formula, billed units, retention and the bill's arithmetic."""

from __future__ import annotations

import math

import pytest

from bench import aws_cost_model as model
from monitoring.storage.dynamodb import schema
from monitoring.storage.dynamodb.metering import OperationUsage

pytestmark = pytest.mark.unit


def _measured(**over: object) -> model.Measured:
    fields: dict[str, object] = {
        "terminals": 10,
        "points": 10,
        "enterprises": 2,
        "minutes": 10,
        "records_per_terminal_minute": 3.0,
        "record_bytes": 1_350.0,
        "frame_bytes": 812.0,
        "gzip_ratio": 6.9,
        "decode": {"PutItem": OperationUsage(requests=100, errors=10, write_units=200.0)},
        "decode_cpu_s": 0.5,
        "rules": {"Query": OperationUsage(requests=100, read_units=50.0)},
        "rules_cpu_s": 0.5,
        "storage": [
            model.Growth("readings", 400, bytes_per_terminal_minute=1_000.0),
            model.Growth("archive", None, bytes_per_terminal_minute=2_000.0),
            model.Growth("registry", None, bytes_per_terminal=5_000.0),
        ],
    }
    fields.update(over)
    if "cadences" not in over:  # the shapes tick every 5 minutes: here the same usage as every minute
        same = {f: fields[f] for f in ("rules", "rules_cpu_s", "rule_tables", "minute_tables") if f in fields}
        fields["cadences"] = {"5": model.RulesRun(**same)}  # type: ignore[arg-type]
    return model.Measured(**fields)  # type: ignore[arg-type]


def test_item_size_follows_dynamodbs_formula() -> None:
    item: dict[str, dict[str, object]] = {
        "pk": {"S": "rd#p1"},
        "n": {"N": "12345"},
        "z": {"B": b"\x00" * 10},
        "ok": {"BOOL": True},
    }
    # names 2+1+1+2, values 5 + (5 digits → 3 + 1) + 10 + 1, plus the 100-byte overhead
    assert model.item_size(item) == 100 + 6 + 5 + 4 + 10 + 1


def test_refused_writes_are_billed_and_nothing_is_added_for_indexes() -> None:
    m = _measured()
    req, rru, wru = m.per_terminal_minute(m.decode)
    # 100 terminal-minutes: 200 reported write units (index entries included) + 10 refused writes
    assert (req, rru, wru) == (1.0, 0.0, 2.1)


def test_storage_keeps_series_until_their_retention_and_registry_by_fleet_size() -> None:
    m = _measured()
    month = model.MINUTES
    # month 13 (395 days): every series whole; month 14: readings capped at 400 days, the archive grows on
    expected = 100 * (1_000 * 13 * month + 2_000 * 13 * month + 5_000) / model.GB
    assert model.stored_gb(m, 100, 13) == pytest.approx(expected)
    expected = 100 * (1_000 * 400 * 1_440 + 2_000 * 14 * month + 5_000) / model.GB
    assert model.stored_gb(m, 100, 14) == pytest.approx(expected)
    capped = 100 * (1_000 * 35 * 1_440 + 2_000 * 13 * month + 5_000) / model.GB
    assert model.stored_gb(m, 100, 13, minute_days=35) == pytest.approx(capped)


def test_the_bill_prices_measured_units_per_terminal_minute() -> None:
    m = _measured()
    prices = model.load_prices()
    shapes = model.load_shapes()
    lines = {x.name: x for x in model.lines(m, prices, model.shape_for(shapes, "target", 1_500), 1_500, 1)}
    writes = 1_500 * model.MINUTES * 2.1 * prices["dynamodb"]["write_request_units_per_million"] / 1e6
    assert lines["DynamoDB writes, decode"].usd == pytest.approx(writes)
    reads = 1_500 * model.MINUTES * 0.5 * prices["dynamodb"]["read_request_units_per_million"] / 1e6
    assert lines["DynamoDB reads, rules"].usd == pytest.approx(reads)
    # no PITR on the series in the target shape; the listener's two tasks, one on Spot, on arm64
    assert lines["DynamoDB PITR"].usd == pytest.approx(1_500 * 5_000 / model.GB * prices["dynamodb"]["pitr_gb_month"])
    fargate = prices["fargate"]
    task = 0.5 * fargate["vcpu_hour_arm64"] + 1.0 * fargate["gb_hour_arm64"]
    assert lines["Fargate listener (arm64)"].usd == pytest.approx(730 * task * (2 - fargate["spot_discount"]))


def test_a_shape_without_the_dynamodb_archive_drops_its_writes_and_storage() -> None:
    archive = OperationUsage(requests=60, write_units=120.0)
    m = _measured(decode_tables={"archive": archive})
    prices, shapes = model.load_prices(), model.load_shapes()
    kept = {x.name: x.usd for x in model.lines(m, prices, model.shape_for(shapes, "archive_kept", 1_500), 1_500, 13)}
    goal = {x.name: x.usd for x in model.lines(m, prices, model.shape_for(shapes, "target", 1_500), 1_500, 13)}
    assert kept["DynamoDB archive, decode"] > 0 and goal["DynamoDB archive, decode"] == 0.0
    # the archive's 120 of 200 write units are on their own line, not also on decode's
    per_wru = 1_500 * model.MINUTES * prices["dynamodb"]["write_request_units_per_million"] / 1e6
    assert kept["DynamoDB writes, decode"] == pytest.approx(per_wru * 0.9)
    assert kept["DynamoDB archive, decode"] == pytest.approx(per_wru * 1.2)
    assert goal["DynamoDB storage"] < kept["DynamoDB storage"] / 5


FIREHOSE_ONE_PARTITION = {"archive_writer": "firehose", "archive_partitions": 1}


def _chain_usd(m: model.Measured, shape: str, terminals: int, month: int = 1, **over: object) -> float:
    prices, shapes = model.load_prices(), model.load_shapes()
    lines = model.lines(m, prices, {**model.shape_for(shapes, shape, terminals), **over}, terminals, month)
    return sum(x.usd for x in lines if x.name == "Archive chain (S3 deliveries)")


def test_the_manifest_chain_costs_requests_per_object_and_manifest_storage_per_mn_and_object() -> None:
    # 2 metered objects of 10 MNs: per object one Query (0.5 RRU), one PutItem (1 WRU), a GET, a PUT and a LIST;
    # 100 B of manifest per MN entry; no CPU measured, no link bytes
    chain = {
        "Query": OperationUsage(requests=2, read_units=1.0),
        "PutItem": OperationUsage(requests=2, write_units=2.0),
    }
    m = _measured(
        chain=chain, chain_objects=2, chain_mn_objects=20, chain_records=60, chain_s3={"get": 2, "put": 2, "list": 2},
        chain_manifest_bytes=2_000,
    )  # fmt: skip
    prices, shapes = model.load_prices(), model.load_shapes()
    ddb, s3, lam = prices["dynamodb"], prices["s3"], prices["lambda"]
    shape = model.shape_for(shapes, "target", 1_500)
    # at 1,500 terminals Firehose's interval closes each object: 96 a day, each terminal in every one
    objects = model.SECONDS / shape["firehose_buffer_s"]
    requests = objects * (
        (1.0 * ddb["write_request_units_per_million"] + 0.5 * ddb["read_request_units_per_million"]) / 1e6
        + (1 * s3["get_per_1000"] + 2 * s3["put_per_1000"]) / 1000
    )
    lambda_s = objects * 5 * shape["dynamodb_request_s"]  # 2 DynamoDB + 3 S3 requests per object
    lambda_usd = lambda_s * shape["function_gb"] * lam["gb_second_arm64"] + objects / 1e6 * lam["requests_per_million"]
    manifests_gb = 1_500 * objects * 100 / model.GB  # 150 kB objects: Standard in their first month
    expected = requests + lambda_usd + manifests_gb * s3["standard_gb_month"]
    assert _chain_usd(m, "target", 1_500, **FIREHOSE_ONE_PARTITION) == pytest.approx(expected)
    # a third more terminals, the same objects (still closed by the interval): only the manifests' storage grows
    more = _chain_usd(m, "target", 2_000, **FIREHOSE_ONE_PARTITION) - _chain_usd(
        m, "target", 1_500, **FIREHOSE_ONE_PARTITION)  # fmt: skip
    assert more == pytest.approx(manifests_gb / 3 * s3["standard_gb_month"])
    # at 300,000 the 128 MiB buffer closes objects every few seconds: still a small fraction of a cent a terminal
    assert _chain_usd(m, "target", 300_000, **FIREHOSE_ONE_PARTITION) / 300_000 < 0.002
    # the Lambda writer's objects (a batch every ≈ 35 s at 1,500, two partitions) cost the chain more, per object
    lambda_objects = model.archive_objects(m, shape | {"archive_writer": "lambda"}, 1_500, 1).objects
    assert lambda_objects > 40 * objects
    assert _chain_usd(m, "target", 1_500, archive_writer="lambda") > 10 * expected
    assert _chain_usd(m, "archive_kept", 1_500) == 0.0  # the DynamoDB archive instead: no chain function


def test_the_chains_links_are_kept_for_good_on_the_state_table_with_its_recovery() -> None:
    m = _measured(chain_objects=2, chain_link_bytes=600)  # 300 B a link, nothing else
    shapes, ddb = model.load_shapes(), model.load_prices()["dynamodb"]
    shape = model.shape_for(shapes, "target", 1_500)
    objects = model.SECONDS / shape["firehose_buffer_s"]
    per_gb = ddb["storage_gb_month"] + (ddb["pitr_gb_month"] if "state" in shape["pitr_tables"] else 0.0)
    grown = _chain_usd(m, "target", 1_500, 13, **FIREHOSE_ONE_PARTITION) - _chain_usd(
        m, "target", 1_500, 1, **FIREHOSE_ONE_PARTITION)  # fmt: skip
    assert grown == pytest.approx(objects * 12 * 300 / model.GB * per_gb)
    assert grown > 0


def _steady(**over: object) -> model.Measured:
    """10 terminals × 10 minutes; readings take 100 of decode's write units and 50 read units of rules, with one
    minute (the first) busier than the rest: 19 write units against 9, so the busiest minute is 1.9 × the mean."""
    readings = [OperationUsage(requests=1, write_units=19.0 if i == 0 else 9.0, read_units=5.0) for i in range(10)]
    fields: dict[str, object] = {
        "decode_tables": {"readings": OperationUsage(requests=50, write_units=100.0)},
        "rule_tables": {"readings": OperationUsage(requests=50, read_units=50.0)},
        "minute_tables": [{"readings": u} for u in readings],
    }
    fields.update(over)
    return _measured(**fields)


def test_provisioned_tables_are_paid_as_capacity_for_the_busiest_minute_at_the_target() -> None:
    m = _steady()
    prices, shapes = model.load_prices(), model.load_shapes()
    shape = {**model.shape_for(shapes, "target_provisioned", 1_500), "provisioned_tables": ["readings"]}
    shape["standard_ia_tables"] = []
    (cap,) = model.provisioned(m, shape, 1_500)
    # 100 WRU over 10 terminals × 600 s, × 1,500 terminals, ÷ 0.7: a busiest minute of 1.9 × the mean fits in
    # its minute's capacity plus the burst saved before it
    assert cap.write_peak == pytest.approx(1.9) and cap.read_peak == pytest.approx(1.0)
    assert cap.wcu == pytest.approx(100 / 6_000 * 1_500 / 0.7)
    assert cap.rcu == pytest.approx(50 / 6_000 * 1_500 / 0.7)
    lines = {x.name: x.usd for x in model.lines(m, prices, shape, 1_500, 1)}
    ddb = prices["dynamodb"]
    assert lines["DynamoDB provisioned (auto scaling)"] == pytest.approx(
        730 * (cap.wcu * ddb["wcu_hour"] + cap.rcu * ddb["rcu_hour"])
    )
    # the readings' units are no longer also billed per request: decode keeps 100 of 200 WRU + 10 refused
    per_wru = 1_500 * model.MINUTES * ddb["write_request_units_per_million"] / 1e6
    assert lines["DynamoDB writes, decode"] == pytest.approx(per_wru * 1.1)
    assert lines["DynamoDB reads, rules"] == pytest.approx(0.0)
    # a small fleet pays at least the floor per direction for the table and each of its indexes
    (small,) = model.provisioned(m, shape, 15)
    floor = shape["provisioned_min_units"] * (1 + len(schema.TABLES_BY_NAME["readings"].indexes))
    assert small.wcu == small.rcu == floor


def test_a_standard_ia_table_pays_ia_capacity_and_storage_and_only_where_provisioned_unreserved() -> None:
    m = _steady(storage=[model.Growth("readings", 35, bytes_per_terminal_minute=1_000.0)])
    prices, shapes = model.load_prices(), model.load_shapes()
    ddb = prices["dynamodb"]
    shape = {**model.shape_for(shapes, "target_provisioned", 1_500), "provisioned_tables": ["readings"]}
    assert shape["standard_ia_tables"] == ["readings"]
    (cap,) = model.provisioned(m, shape, 1_500)
    lines = {x.name: x.usd for x in model.lines(m, prices, shape, 1_500, 13)}
    assert lines["DynamoDB provisioned (auto scaling)"] == pytest.approx(
        730 * (cap.wcu * ddb["standard_ia_wcu_hour"] + cap.rcu * ddb["standard_ia_rcu_hour"])
    )
    gb = 1_500 * 1_000 * 35 * 1_440 / model.GB
    assert lines["DynamoDB storage"] == pytest.approx(gb * ddb["standard_ia_storage_gb_month"])
    with pytest.raises(ValueError, match="Standard-IA"):
        model.lines(m, prices, {**shape, "provisioned_tables": []}, 1_500, 13)
    with pytest.raises(ValueError, match="Standard-IA"):
        model.lines(m, prices, {**shape, "dynamodb_reserved": True}, 1_500, 13)


def test_a_spike_beyond_the_burst_is_provisioned_for() -> None:
    # 60 P + 300 (P − mean) ≥ 60 × peak × mean: a 12 × spike (the hourly pass) needs (12 + 5) ÷ 6 × the mean
    assert model.needed(10.0, 12.0, 0.7) == pytest.approx(10.0 * 17 / 6)
    assert model.needed(10.0, 1.9, 0.7) == pytest.approx(10.0 / 0.7)  # within the burst: the target decides
    spike = [OperationUsage(requests=1, read_units=5.0 * (12 if i == 0 else 1)) for i in range(10)]
    m = _steady(minute_tables=[{"readings": u} for u in spike], rule_tables={"readings": OperationUsage(1, 0, 105.0)})
    shape = {**model.shape_for(model.load_shapes(), "target_provisioned", 1_500), "provisioned_tables": ["readings"]}
    (cap,) = model.provisioned(m, shape, 1_500)
    mean = 105 / 6_000 * 1_500
    assert cap.read_peak == pytest.approx(60 / 10.5)
    assert cap.rcu == pytest.approx(mean * (60 / 10.5 + 5) / 6)


def _timed_parts() -> list[dict[str, dict[str, OperationUsage]]]:
    """10 minutes of a county host's readings units by part: the hourly uploads (10 WRU on minute 0) over 1 WRU of
    frames a minute, one point's roll-up read (20 RRU, minute 0), 2 WRU of bucket merges a minute, ticks on minutes
    4 and 9 (10 and 20 RRU)."""
    rows: list[dict[str, dict[str, OperationUsage]]] = []
    for i in range(10):
        row = {
            "frames": {"readings": OperationUsage(requests=1, write_units=11.0 if i == 0 else 1.0)},
            "spread": {"readings": OperationUsage(requests=1, read_units=20.0 if i == 0 else 0.0, write_units=2.0)},
        }
        if i in (4, 9):
            row["tick"] = {"readings": OperationUsage(requests=1, read_units=10.0 if i == 4 else 20.0)}
        rows.append(row)
    return rows


def test_a_bigger_fleet_evens_out_spread_and_tick_units_but_keeps_the_hourly_uploads() -> None:
    parts = _timed_parts()
    minute_tables = [
        {"readings": sum((r["readings"] for r in row.values()), OperationUsage())} for row in parts
    ]  # what the pass records beside them: the parts' sum
    m = _steady(
        minute_tables=minute_tables,
        minute_parts=parts,
        decode_tables={"readings": OperationUsage(requests=20, read_units=20.0, write_units=40.0)},
        rule_tables={"readings": OperationUsage(requests=2, read_units=30.0)},
    )
    shape = {**model.shape_for(model.load_shapes(), "target_provisioned", 1_500), "provisioned_tables": ["readings"]}
    # At the measured fleet's size the profile is the measured one: reads 5 a minute at most 20, writes 4 at most 13
    assert model.fleet_profile(m, "readings", 10) == [
        (r, w) for r, w in zip([20, 0, 0, 0, 10, 0, 0, 0, 0, 20], [13] + [3] * 9, strict=True)
    ]
    (small,) = model.provisioned(m, shape, 10)
    assert (small.read_peak, small.write_peak) == (pytest.approx(4.0), pytest.approx(13 / 4))
    # In a fleet 10⁵ times bigger the roll-up reads spread over the minutes and each tick carries the mean tick
    # (15): a tick minute reads ≈ 2 + 15 = 17 of a mean 5; the on-the-hour uploads still make minute 0 the busiest
    k = math.sqrt(10 / 1_000_000)
    (big,) = model.provisioned(m, shape, 1_000_000)
    assert big.read_peak == pytest.approx((2 + (0 - 2) * k + 15 + (20 - 15) * k) / 5)
    assert big.write_peak == pytest.approx(13 / 4)
    assert big.read_peak < 3.6 < small.read_peak  # the 70 % target now sets the read capacity
    assert big.rcu == pytest.approx(50 / 6_000 * 1_000_000 / 0.7)
    # And a measurement without parts (serverless, or saved before them) keeps its measured peak at every size
    (flat,) = model.provisioned(_steady(), shape, 1_000_000)
    assert flat.write_peak == pytest.approx(1.9)


def test_timed_parts_survive_saving_and_loading(tmp_path: pytest.TempPathFactory) -> None:
    m = _steady(minute_parts=_timed_parts())
    path = tmp_path / "m.json"  # type: ignore[operator]
    model.save_measured(m, path)
    assert model.load_measured(path).minute_parts == m.minute_parts


def test_reserved_capacity_spreads_the_upfront_fee_over_the_year() -> None:
    m = _steady()
    prices, shapes = model.load_prices(), model.load_shapes()
    ddb = prices["dynamodb"]
    shape = {**model.shape_for(shapes, "target_reserved", 1_500), "provisioned_tables": ["readings"]}
    (cap,) = model.provisioned(m, shape, 1_500)
    lines = {x.name: x.usd for x in model.lines(m, prices, shape, 1_500, 1)}
    wcu_h = ddb["reserved_100_wcu_upfront_1y"] / 8_760 / 100 + ddb["reserved_100_wcu_hour"] / 100
    rcu_h = ddb["reserved_100_rcu_upfront_1y"] / 8_760 / 100 + ddb["reserved_100_rcu_hour"] / 100
    assert lines["DynamoDB provisioned (reserved 1 y)"] == pytest.approx(730 * (cap.wcu * wcu_h + cap.rcu * rcu_h))
    assert wcu_h < ddb["wcu_hour"] and rcu_h < ddb["rcu_hour"]


def test_standard_ia_trades_storage_for_dearer_units() -> None:
    growth = [model.Growth("readings", 35, bytes_per_terminal_minute=1_000.0)]
    m = _steady(storage=growth)
    prices, shapes = model.load_prices(), model.load_shapes()
    ddb = prices["dynamodb"]
    gb = 1_500 * 1_000 * 35 * 1_440 / model.GB
    on_demand = model.shape_for(shapes, "target", 1_500)
    saved, added = model.standard_ia(m, prices, on_demand, 1_500, 13, "readings")
    assert saved == pytest.approx(gb * (ddb["storage_gb_month"] - ddb["standard_ia_storage_gb_month"]))
    tm = 1_500 * model.MINUTES / 100
    expected = tm * 100 * (ddb["standard_ia_write_request_units_per_million"] - ddb["write_request_units_per_million"])
    expected += tm * 50 * (ddb["standard_ia_read_request_units_per_million"] - ddb["read_request_units_per_million"])
    assert added == pytest.approx(expected / 1e6)
    shape = {**model.shape_for(shapes, "target_provisioned", 1_500), "provisioned_tables": ["readings"]}
    (cap,) = model.provisioned(m, shape, 1_500)
    _, added = model.standard_ia(m, prices, shape, 1_500, 13, "readings")
    std = cap.wcu * ddb["wcu_hour"] + cap.rcu * ddb["rcu_hour"]
    ia = cap.wcu * ddb["standard_ia_wcu_hour"] + cap.rcu * ddb["standard_ia_rcu_hour"]
    assert added == pytest.approx((ia - std) * 730)


def test_a_saved_measurement_prices_the_same(tmp_path: object) -> None:
    from pathlib import Path

    m = _steady(chain={"Query": OperationUsage(requests=3, read_units=1.5)}, chain_mn_objects=3, chain_s3={"get": 3})
    path = Path(str(tmp_path)) / "m.json"
    model.save_measured(m, path)
    again = model.load_measured(path)
    assert again == m
    prices = model.load_prices()
    assert model.report(again, prices) == model.report(m, prices)


def test_the_floor_prices_each_alarm_metric_custom_metric_dashboard_key_secret_and_web_acl() -> None:
    m, prices = _measured(), model.load_prices()
    shape = model.shape_for(model.load_shapes(), "county", 1_500)
    shape |= {"secrets": 3, "waf_web_acls": 1, "waf_rules": 1}  # as prod: Secrets Manager and a web ACL
    lines = {x.name: x.usd for x in model.lines(m, prices, shape, 1_500, 1)}
    richer = {**shape, "alarms": shape["alarms"] + 10, "emf_metrics": 3, "container_insights_metrics": 4}
    richer |= {"dashboards": 1, "kms_keys": 2, "secrets": 4}
    more = {x.name: x.usd for x in model.lines(m, prices, richer, 1_500, 1)}
    cw = prices["cloudwatch"]
    added = 10 * cw["alarm_month"] + 7 * cw["custom_metric_month"] + cw["dashboard_month"]
    assert more["CloudWatch (logs, flow logs, alarms, metrics)"] - lines[
        "CloudWatch (logs, flow logs, alarms, metrics)"
    ] == pytest.approx(added)
    assert more["KMS keys"] - lines["KMS keys"] == pytest.approx(prices["kms"]["key_month"])
    waf = prices["waf"]["web_acl_month"] + prices["waf"]["rule_month"]
    assert lines["Secrets Manager, WAF"] == pytest.approx(3 * prices["secrets_manager"]["secret_month"] + waf)
    assert more["Secrets Manager, WAF"] - lines["Secrets Manager, WAF"] == pytest.approx(0.40)
    # the county stages: SecureStrings in SSM and no web ACL cost nothing
    county = model.shape_for(model.load_shapes(), "county", 1_500)
    assert {x.name: x.usd for x in model.lines(m, prices, county, 1_500, 1)}["Secrets Manager, WAF"] == 0


def test_rejected_flows_cost_the_same_whatever_the_fleet_and_all_flows_grow_with_it() -> None:
    m, prices = _measured(), model.load_prices()
    shape = {**model.shape_for(model.load_shapes(), "county", 1_500), "lambda_log_bytes": 0}

    def flow(terminals: int, traffic: str) -> float:
        s = {**shape, "flow_log_traffic": traffic, "listener_min_tasks": 1, "connections_per_task": 10**9}
        (line,) = [x for x in model.lines(m, prices, s, terminals, 1) if x.name.startswith("CloudWatch")]
        return line.usd

    assert flow(300_000, "REJECT") == pytest.approx(flow(1_500, "REJECT"))
    assert flow(300_000, "ALL") - flow(300_000, "REJECT") > 100 * (flow(1_500, "ALL") - flow(1_500, "REJECT"))
    # rejects: 2 public addresses' probes delivered to S3, kept flow_log_days (90: the whole month's)
    gb = 2 * shape["flow_log_rejects_per_address_day"] * 30.4 * shape["flow_log_record_bytes"] / model.GB
    fixed = shape["alarms"] * 0.10 + shape["custom_metrics"] * 0.30
    expected = gb * (prices["cloudwatch"]["vended_logs_s3_gb"] + prices["s3"]["standard_gb_month"]) + fixed
    assert flow(1_500, "REJECT") == pytest.approx(expected)


def test_the_scheduled_handlers_cost_their_busy_seconds_whatever_the_fleet() -> None:
    m, prices = _measured(), model.load_prices()
    shape = model.shape_for(model.load_shapes(), "county", 1_500)
    (line,) = [x for x in model.lines(m, prices, shape, 1_500, 1) if x.name.startswith("Lambda scheduled")]
    gb_s = model.MINUTES * shape["scheduled_lambda_s_per_minute"] * shape["function_gb"]
    calls = model.MINUTES * shape["scheduled_calls_per_minute"] / 1e6 * prices["lambda"]["requests_per_million"]
    assert line.usd == pytest.approx(gb_s * prices["lambda"]["gb_second_arm64"] + calls)
    (big,) = [x for x in model.lines(m, prices, shape, 300_000, 1) if x.name.startswith("Lambda scheduled")]
    assert big.usd == pytest.approx(line.usd)


def test_the_report_prints_readings_per_minute_profile_with_the_peak_provisioned_uses() -> None:
    m = _steady()
    reads, writes = model.minute_profile(m, "readings")
    assert reads == [5.0] * 10 and writes == [19.0] + [9.0] * 9
    text = model.report(m, model.load_prices())
    assert "WRU: mean 10.0, busiest 19.0 (×1.90, minute 0)" in text
    assert "    19 9 9 9 9 9 9 9 9 9" in text
    assert "RRU: mean 5.0, busiest 5.0 (×1.00, minute 0)" in text


def test_decode_time_leaves_out_the_archive_requests_a_shape_without_the_dynamodb_archive_never_makes() -> None:
    prices, shapes = model.load_prices(), model.load_shapes()
    archive = OperationUsage(requests=60, write_units=120.0)  # 0.6 requests per terminal-minute
    m = _measured(decode_tables={"archive": archive, "readings": OperationUsage(requests=40, write_units=40.0)})

    def decode_usd(shape_name: str) -> float:
        shape = model.shape_for(shapes, shape_name, 1_500)
        (line,) = [x for x in model.lines(m, prices, shape, 1_500, 1) if x.name.startswith("Lambda decode")]
        return line.usd

    target = model.shape_for(shapes, "target", 1_500)
    kept = {**target, "dynamodb_archive": True}
    (with_archive,) = [x for x in model.lines(m, prices, kept, 1_500, 1) if x.name.startswith("Lambda decode")]
    gbs = prices["lambda"][f"gb_second_{target['lambda_arch']}"] * target["function_gb"]
    cpu_s = model.lambda_seconds(model.REQUEST_CPU_S, target["function_gb"])
    saved_s = 1_500 * model.MINUTES * 0.6 * (target["dynamodb_request_s"] + cpu_s)
    assert with_archive.usd - decode_usd("target") == pytest.approx(saved_s * gbs)


def test_decode_time_measured_without_archive_items_adds_their_own_cpu_only_where_a_shape_keeps_them() -> None:
    # Given a run that decoded as AWS does and wrote the same frames as archive items apart (0.6 requests and
    # 1 ms of CPU per terminal-minute for those; both shapes need one shard)
    prices, shapes = model.load_prices(), model.load_shapes()
    archive = OperationUsage(requests=60, write_units=120.0)
    tables = {"archive": archive, "readings": OperationUsage(requests=40, write_units=40.0)}
    m = _measured(decode_tables=tables, decode_cpu_s=0.2, decode_archive_cpu_s=0.1)
    target = model.shape_for(shapes, "target", 1_500)
    kept = {**target, "dynamodb_archive": True}

    def decode_usd(shape: dict[str, object], measured: model.Measured) -> float:
        (line,) = [x for x in model.lines(measured, prices, shape, 1_500, 1) if x.name.startswith("Lambda decode")]
        return line.usd

    # Then a shape without them prices decode's CPU as measured (nothing taken off), one with them adds theirs
    gbs = prices["lambda"][f"gb_second_{target['lambda_arch']}"] * target["function_gb"]
    cpu_s = model.lambda_seconds(0.001, target["function_gb"])
    saved_s = 1_500 * model.MINUTES * (0.6 * target["dynamodb_request_s"] + cpu_s)
    assert decode_usd(kept, m) - decode_usd(target, m) == pytest.approx(saved_s * gbs)
    # An older run's CPU includes them: less is left for `target`, and nothing is added for the kept archive
    older = _measured(decode_tables=tables, decode_cpu_s=0.2)
    assert decode_usd(target, older) < decode_usd(target, m) and decode_usd(kept, older) < decode_usd(kept, m)


def _line(m: model.Measured, shape: dict[str, object], terminals: int, name: str) -> float:
    lines = model.lines(m, model.load_prices(), shape, terminals, 1)
    return sum(x.usd for x in lines if x.name.startswith(name))


def test_firehose_bills_each_unaggregated_record_as_5_kb_and_its_dynamic_partitioning() -> None:
    m = _measured()  # 3 records of 1,350 B per terminal-minute
    fh = model.load_prices()["firehose"]
    shape = model.shape_for(model.load_shapes(), "target", 1_500) | {"archive_writer": "firehose"}
    assert shape["kinesis_aggregation"] is False  # not built: the listener puts a record per frame
    records = 1_500 * model.MINUTES * 3
    ingest = records * 5_000 / model.GB * fh["ingest_gb"]
    partitioning = records * 1_350 / model.GB * fh["dynamic_partitioning_gb"]
    partitioning += records / 1e6 * model.JQ_HOURS_PER_MILLION * fh["jq_hour"]
    objects = 2 * model.SECONDS / 900  # two partitions, each closed by the 900 s interval at 1,500
    partitioning += objects / 1000 * fh["dynamic_partitioning_objects_per_1000"]
    assert _line(m, shape, 1_500, "Firehose") == pytest.approx(ingest + partitioning)
    assert _line(m, shape, 1_500, "Firehose") / 1_500 > 0.025  # ≈ $0.019 ingest + $0.01 partitioning
    assert _line(m, shape, 1_500, "Lambda archive writer") == 0.0


def test_the_lambda_writer_is_priced_per_batch_closed_by_the_6_mb_event_and_per_record_cpu() -> None:
    m = _measured(writer_cpu_s=0.03, writer_records=1_000)  # 30 µs a record
    shape = model.shape_for(model.load_shapes(), "county", 1_500)
    assert shape["archive_writer"] == "lambda"
    archived = model.archive_objects(m, shape, 1_500, 1)
    # 75 records/s on the shard, 2,360 B each in the event: 6 MiB closes a batch before 10,000 records or 300 s
    per_s = 1_500 * 3 / 60
    every = model.LAMBDA_PAYLOAD_BYTES / (per_s * (1_350 * 4 / 3 + model.EVENT_RECORD_OVERHEAD))
    assert archived.every_s == pytest.approx(every) and every < 60
    assert archived.objects == pytest.approx(2 * archived.batches) == pytest.approx(2 * model.SECONDS / every)
    lam = model.load_prices()["lambda"]
    cpu_s = model.lambda_seconds(1_500 * model.MINUTES * 3 * 30e-6, shape["function_gb"])  # 0.29 vCPU at 512 MB
    busy = cpu_s + archived.objects * shape["s3_request_s"]
    usd = archived.batches / 1e6 * lam["requests_per_million"] + busy * shape["function_gb"] * lam["gb_second_arm64"]
    assert _line(m, shape, 1_500, "Lambda archive writer") == pytest.approx(usd)
    assert _line(m, shape, 1_500, "Firehose") == 0.0
    # a quiet fleet: the 300 s window closes the batch
    assert model.archive_objects(m, shape, 10, 1).every_s == 300


def test_cpu_measured_on_a_core_takes_longer_in_a_function_with_less_than_a_vcpu() -> None:
    assert model.lambda_seconds(1.0, 0.5) == pytest.approx(1.769 / 0.5)  # 512 MB: 0.28 of a vCPU
    assert model.lambda_seconds(1.0, 1.769) == pytest.approx(1.0)
    assert model.lambda_seconds(1.0, 3.0) == pytest.approx(1.0)  # more memory: no faster for one thread


def test_the_ec2_listener_prices_an_instance_and_its_address_instead_of_the_nlb_fargate_and_task_address() -> None:
    m, prices = _measured(), model.load_prices()
    shapes = model.load_shapes()
    county = {x.name: x.usd for x in model.lines(m, prices, model.shape_for(shapes, "county", 1_500), 1_500, 1)}
    ec2 = {x.name: x.usd for x in model.lines(m, prices, model.shape_for(shapes, "county_ec2", 1_500), 1_500, 1)}
    assert "NLB" in county and "Fargate listener (arm64)" in county
    assert "NLB" not in ec2 and not [n for n in ec2 if n.startswith("Fargate")]
    instance = 730 * prices["ec2"]["t4g_micro_hour"] + 30 * prices["ec2"]["gp3_gb_month"]
    assert ec2["EC2 listener (t4g.micro)"] == pytest.approx(instance)
    # the price follows the shape's instance type
    small = {**model.shape_for(shapes, "county_ec2", 1_500), "listener_instance_type": "t4g.small"}
    (line,) = [x for x in model.lines(m, prices, small, 1_500, 1) if x.name.startswith("EC2 listener")]
    assert line.usd - instance == pytest.approx(
        730 * (prices["ec2"]["t4g_small_hour"] - prices["ec2"]["t4g_micro_hour"])
    )
    # one address (the instance's Elastic IP) instead of the NLB's and the task's
    assert ec2["Public IPv4"] == pytest.approx(730 * prices["vpc"]["public_ipv4_hour"])
    assert county["Public IPv4"] == pytest.approx(2 * ec2["Public IPv4"])
    # 2 alarm metrics fewer (the CPU policy's) and one address's probes fewer in the flow logs
    alarms = 2 * prices["cloudwatch"]["alarm_month"]
    cw = "CloudWatch (logs, flow logs, alarms, metrics)"
    assert county[cw] - ec2[cw] > alarms
    # the rest of the bill does not move
    same = set(county) & set(ec2) - {"Public IPv4", cw}
    assert same and all(county[n] == pytest.approx(ec2[n]) for n in same)
    # a fleet past one instance's connections: as many instances, each with its address
    big = {x.name: x.usd for x in model.lines(m, prices, model.shape_for(shapes, "county_ec2", 12_000), 12_000, 1)}
    assert big["EC2 listener (t4g.micro)"] == pytest.approx(3 * instance)
    assert big["Public IPv4"] == pytest.approx(3 * ec2["Public IPv4"])


def test_the_stream_has_enough_decode_lanes_each_busy_at_most_the_lane_load() -> None:
    m, prices = _measured(), model.load_prices()
    shape = model.shape_for(model.load_shapes(), "target_provisioned", 300_000)

    def kinesis(s: dict[str, object]) -> str:
        (line,) = [x for x in model.lines(m, prices, s, 300_000, 1) if x.name.startswith("Kinesis")]
        return line.how

    # decode: 0.5 s CPU over 100 terminal-minutes (×1,769/512 at 512 MB) + 1 request × 4 ms, per terminal-minute
    busy = 300_000 * (model.lambda_seconds(0.005, shape["function_gb"]) + 1.0 * shape["dynamodb_request_s"]) / 60
    by_bytes = math.ceil(300_000 * 3 * 1_350 / 60 / (1e6 * shape["stream_fill"]))
    # one lane per shard: a shard per lane
    lanes = math.ceil(busy / model.DECODE_LANE_LOAD)
    assert kinesis(dict(shape, decode_parallelization=1)).startswith(f"{lanes} shard(s) × 1 decode lane(s)")
    assert lanes > by_bytes  # more than the bytes alone need
    # the province's six lanes per shard with 64 groups each: the busiest lane carries 1 + 3/8 of the mean
    assert (shape["decode_parallelization"], shape["stream_groups"]) == (6, 64 * 42 * 6)
    assert model.lane_imbalance(64) == pytest.approx(1.375)
    shards = max(by_bytes, math.ceil(busy * 1.375 / model.DECODE_LANE_LOAD / 6))
    assert shards < lanes / 2
    assert kinesis(dict(shape, stream_groups=64 * shards * 6)).startswith(f"{shards} shard(s) × 6 decode lane(s)")
    # too few groups per lane: some lanes far busier than others, so more shards
    assert int(kinesis(dict(shape, stream_groups=4 * shards * 6)).split()[0]) > shards
    # six times the decode calls, each lane's batch closing at the window
    (decode,) = [x for x in model.lines(m, prices, shape, 300_000, 1) if x.name.startswith("Lambda decode")]
    assert decode.how.endswith(f"{int(kinesis(shape).split()[0]) * 6 * model.SECONDS / 1e6:.1f} M calls")


def test_rules_ticking_every_five_minutes_are_priced_from_their_own_measurement_and_a_fifth_of_the_calls() -> None:
    # Given the rules measured at both cadences over the same 100 terminal-minutes: 5-minute ticks read a third
    every_five = model.RulesRun(
        rules={"Query": OperationUsage(requests=20, read_units=16.0)}, rules_cpu_s=0.1, rule_shard_ticks=2,
        snapshot_s3={"put": 2, "get": 0}, snapshot_bytes=1_000.0,
    )  # fmt: skip
    m = _measured(cadences={"5": every_five}, rule_snapshots=True, rule_shard_ticks=10, snapshot_s3={"put": 10})
    m.snapshot_bytes = 1_000.0
    prices, shapes = model.load_prices(), model.load_shapes()
    lam, s3 = prices["lambda"], prices["s3"]

    def priced(every: int) -> dict[str, model.Line]:
        shape = {**model.shape_for(shapes, "target", 1_500), "rules_every_minutes": every}
        return {x.name: x for x in model.lines(m, prices, shape, 1_500, 1)}

    once, five = priced(1), priced(5)
    ddb = prices["dynamodb"]["read_request_units_per_million"]
    assert once["DynamoDB reads, rules"].usd == pytest.approx(1_500 * model.MINUTES * 0.5 * ddb / 1e6)
    assert five["DynamoDB reads, rules"].usd == pytest.approx(1_500 * model.MINUTES * 0.16 * ddb / 1e6)
    # 3 shards of 100 enterprises (2 per 10 terminals), one invocation per shard and tick: 8,760 ticks, not 43,800
    shape = model.shape_for(shapes, "target", 1_500)
    gbs = lam["gb_second_arm64"] * shape["function_gb"]

    def rules_usd(calls: int, cpu_s: float, requests: float) -> float:
        busy = 1_500 * model.MINUTES * (model.lambda_seconds(cpu_s / 100, 0.5) + requests * shape["dynamodb_request_s"])
        return calls / 1e6 * lam["requests_per_million"] + busy * gbs

    assert "26,280 calls (a tick every 5 min)" in five["Lambda rules (arm64)"].how
    assert once["Lambda rules (arm64)"].usd == pytest.approx(rules_usd(model.MINUTES * 3, 0.5, 1.0))
    assert five["Lambda rules (arm64)"].usd == pytest.approx(rules_usd(model.MINUTES // 5 * 3, 0.1, 0.2))
    # a snapshot PUT per shard-tick: a fifth as many
    put = s3["put_per_1000"] / 1000
    stored = 3 * 1_000 / model.GB * s3["standard_gb_month"]
    assert once["S3 rule snapshots"].usd == pytest.approx(model.MINUTES * 3 * put + stored)
    assert five["S3 rule snapshots"].usd == pytest.approx(model.MINUTES // 5 * 3 * put + stored)


def test_a_shape_whose_cadence_was_not_measured_is_refused() -> None:
    m = _measured(cadences={})
    shape = {**model.shape_for(model.load_shapes(), "target", 1_500), "rules_every_minutes": 15}
    with pytest.raises(ValueError, match="no rules measured ticking every 15 min"):
        model.lines(m, model.load_prices(), shape, 1_500, 1)
    # the bench measures what the shapes price: every minute (current) and every 5 (the stages)
    assert model.cadences_of(model.load_shapes()) == [1, 5]


def test_listener_put_notes_are_priced_per_task_and_tick() -> None:
    # 2 tasks of 750 terminals over 64 groups: every group put to, a 0.3 KB note (1 WRU) per task every 10 s
    wru, rru = model.put_notes(2, 64, 750)
    assert wru == pytest.approx(2 * model.SECONDS / 10) and rru == model.MINUTES
    # 60 tasks of 5,000 terminals over 16,128 groups: ≈ 4,300 groups each, ≈ 8.3 KB notes (9 WRU), as note_doc makes
    wru, rru = model.put_notes(60, 16_128, 5_000)
    assert wru == pytest.approx(60 * model.SECONDS / 10 * 9)
    assert rru == model.MINUTES * math.ceil(60 * 8_300 / 4096)


def test_decode_progress_notes_are_priced_per_lane_and_tick() -> None:
    # one lane per shard: a small note per lane every 10 s (1 WRU), all read in one Query a tick
    wru, rru = model.decode_notes(10, 64, parallel=False)
    assert wru == pytest.approx(10 * model.SECONDS / 10) and rru == model.MINUTES
    # 252 lanes of 64 groups each: ≈ 2.5 KB notes (3 WRU), ≈ 620 KB read a tick (152 RRU)
    wru, rru = model.decode_notes(252, 16_128, parallel=True)
    per_note = model.NOTE_ITEM_BYTES + 64 * model.NOTE_GROUP_BYTES
    assert wru == pytest.approx(252 * model.SECONDS / 10 * 3)
    assert rru == model.MINUTES * math.ceil(252 * per_note / 4096)


def test_liveness_sheets_cost_a_county_its_sheets_kilobytes_once_a_period() -> None:
    small = model.LivenessRun(writes=30, every_s=300.0, sheets=15, empty_bytes=110.0, entry_bytes=10.0)
    # 1,500 terminals in sheets far under a kilobyte (110 + 10 × ≈ 23 B): 64 sheets once per 5 minutes, one unit each
    assert model.liveness_usage(small, 1_500, 1_500 * 60).write_units == pytest.approx(64 * 12)
    run = model.LivenessRun(writes=30, every_s=300.0, sheets=15, empty_bytes=110.0, entry_bytes=32.0)
    # ≈ 860 B on average: the sheets that hash more terminals than the mean pass a kilobyte and cost two
    near = model.liveness_usage(run, 1_500, 1_500 * 60).write_units / (64 * 12)
    assert 1.05 < near < 1.3
    # 8,400: ≈ 131 a sheet, ≈ 4.3 KB: five units a write, some four; under a hundredth of a unit per terminal-minute
    big = model.liveness_usage(run, 8_400, 8_400 * 60)
    assert 4.5 < big.write_units / (64 * 12) < 5.2
    assert big.write_units / (8_400 * 60) < 0.01
    # a county of 10 terminals fills ≈ 64 × (1 − e^(−10/64)) ≈ 9.3 sheets, not 64; 64 terminals ≈ 40
    assert model.liveness_usage(small, 10, 600).write_units == pytest.approx(64 * (1 - math.exp(-10 / 64)) * 12)
    assert model.liveness_usage(small, 64, 64 * 60).write_units == pytest.approx(64 * (1 - math.exp(-1)) * 12)


def test_the_host_prices_its_county_s_sheets_instead_of_the_pass_s_few() -> None:
    # Given a host pass of 10 terminals whose decode wrote 40 sheet writes of one unit among 60 PutItems
    run = model.LivenessRun(writes=40, every_s=300.0, sheets=10, empty_bytes=110.0, entry_bytes=10.0)
    m = _measured(
        host_rules=model.RulesRun(rules={}, rules_cpu_s=0.1),
        host_every_minutes=5,
        host_decode={"PutItem": OperationUsage(requests=60, write_units=60.0)},
        host_decode_tables={"registry": OperationUsage(requests=60, write_units=60.0)},
        host_liveness=run,
    )
    # When priced for a county of 1,500 (and as measured without a county)
    at = model.at_host(m, 5, county_terminals=1_500)
    as_measured = model.at_host(m, 5)
    # Then the 40 measured writes give way to 64 sheets × 12 a hour over the pass's 100 terminal-minutes
    fleet = 64 * 12 / 60 / 1_500 * 100
    assert at.decode["PutItem"].write_units == pytest.approx(20.0 + fleet)
    assert at.decode_tables["registry"].write_units == pytest.approx(20.0 + fleet)
    assert as_measured.decode["PutItem"].write_units == 60.0


def test_a_measurement_with_liveness_sheets_survives_saving_and_loading(tmp_path: pytest.TempPathFactory) -> None:
    run = model.LivenessRun(writes=40, every_s=300.0, sheets=10, empty_bytes=110.0, entry_bytes=32.0)
    path = tmp_path / "m.json"  # type: ignore[operator]
    model.save_measured(_measured(host_liveness=run), path)
    assert model.load_measured(path).host_liveness == run
