"""The county host's shape: what it drops from county_ec2, its instance and CPU budget, the data volume, snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import aws_cost_host as host
from bench import aws_cost_model as model
from monitoring.storage.dynamodb.metering import OperationUsage
from tests.unit.bench.test_aws_cost_model import _measured

pytestmark = pytest.mark.unit

REMOVED = (
    "Kinesis",
    "Lambda decode",
    "Lambda rules",
    "Lambda archive writer",
    "DynamoDB decode progress notes",
    "DynamoDB listener put notes",
    "S3 rule snapshots",
    "EC2 listener",
)


def _host_measured(**over: Any) -> model.Measured:
    """10 terminals × 10 minutes, 3 records a terminal-minute: decode 5 ms CPU per terminal-minute (0.5 s), the
    host's rules 1 ms and 0.1 RRU (one process, 2 ticks), the queue 100 µs a record, the archive cut 10 µs."""
    fields: dict[str, Any] = {
        "host_rules": model.RulesRun(
            rules={"Query": OperationUsage(requests=30, read_units=10.0)},
            rules_cpu_s=0.1,
            rule_shard_ticks=2,
            rule_tables={"state": OperationUsage(requests=30, read_units=10.0)},
        ),  # fmt: skip
        "host_every_minutes": 5,
        "queue_cpu_s": 0.03,
        "queue_records": 300,
        "writer_cpu_s": 0.003,
        "writer_records": 300,
    }
    fields.update(over)
    return _measured(**fields)


def _shape(terminals: int = 1_500, **over: Any) -> dict[str, Any]:
    return {**model.shape_for(model.load_shapes(), "county_host", terminals), **over}


def _lines(m: model.Measured, shape: dict[str, Any], terminals: int = 1_500, month: int = 1) -> dict[str, model.Line]:
    return {x.name: x for x in model.lines(m, model.load_prices(), shape, terminals, month)}


def test_the_host_drops_the_stream_the_decode_rules_and_writer_functions_the_notes_and_the_snapshots() -> None:
    m = _host_measured(rule_snapshots=True, rule_shard_ticks=10, snapshot_s3={"put": 10})
    ec2 = _lines(m, model.shape_for(model.load_shapes(), "county_ec2", 1_500))
    mine = _lines(m, _shape())
    for name in REMOVED:  # county_ec2 pays each of them; the host none
        assert [n for n in ec2 if n.startswith(name)], name
        assert not [n for n in mine if n.startswith(name)], name
    for name in ("EC2 host (t4g.small)", "EBS data volume (gp3)", "EBS snapshots", "Archive chain (S3 deliveries)",
                 "S3 archive", "Lambda scheduled (arm64)", "DynamoDB provisioned (auto scaling)"):  # fmt: skip
        assert name in mine, name
    # decode's DynamoDB requests are the Lambda's (same handler, same caches)
    assert mine["DynamoDB writes, decode"].usd == pytest.approx(ec2["DynamoDB writes, decode"].usd)
    # the scheduled functions less ScheduleRules (the host ticks the rules itself)
    assert mine["Lambda scheduled (arm64)"].usd < ec2["Lambda scheduled (arm64)"].usd
    assert sum(x.usd for x in mine.values()) < sum(x.usd for x in ec2.values())


def test_the_host_prices_its_rules_from_the_one_process_measurement() -> None:
    m = _host_measured()
    ddb = model.load_prices()["dynamodb"]["read_request_units_per_million"]
    mine = _lines(m, _shape())
    # 10 RRU over 100 terminal-minutes, not the containers' 50 at the same 5-minute cadence
    assert mine["DynamoDB reads, rules"].usd == pytest.approx(1_500 * model.MINUTES * 0.1 * ddb / 1e6)
    ec2 = _lines(m, model.shape_for(model.load_shapes(), "county_ec2", 1_500))
    assert ec2["DynamoDB reads, rules"].usd == pytest.approx(1_500 * model.MINUTES * 0.5 * ddb / 1e6)
    with pytest.raises(model.Refused, match="no host rules measured"):
        _lines(_measured(), _shape())
    with pytest.raises(model.Refused, match="host rules measured every 5 min, not 15"):
        _lines(m, _shape(rules_every_minutes=15))


def test_the_instance_root_and_data_volume_are_priced_from_the_table() -> None:
    ec2 = model.load_prices()["ec2"]
    assert _shape()["listener_instance_type"] == "t4g.small"  # the county-host stage's (infra/cdk.json)
    mine = _lines(_host_measured(), _shape(listener_instance_type="t4g.micro"))
    assert mine["EC2 host (t4g.micro)"].usd == pytest.approx(730 * ec2["t4g_micro_hour"] + 30 * ec2["gp3_gb_month"])
    assert mine["EBS data volume (gp3)"].usd == pytest.approx(8 * ec2["gp3_gb_month"])
    bigger = _lines(_host_measured(), _shape(data_volume_gb=20))
    assert bigger["EBS data volume (gp3)"].usd == pytest.approx(20 * ec2["gp3_gb_month"])
    small = _lines(_host_measured(), _shape())
    assert small["EC2 host (t4g.small)"].usd - mine["EC2 host (t4g.micro)"].usd == pytest.approx(
        730 * (ec2["t4g_small_hour"] - ec2["t4g_micro_hour"])
    )
    assert mine["Public IPv4"].usd == pytest.approx(730 * model.load_prices()["vpc"]["public_ipv4_hour"])


def test_the_snapshots_hold_the_queue_churn_of_each_kept_day() -> None:
    m, shape = _host_measured(), _shape()
    # 75 records/s held 300 s at 1,350 + 40 B, the file twice that, + 16 MB of WAL: rewritten every day
    churn = (75 * 300 * 1_390 * 2 + 16e6) / model.GB
    assert host.snapshot_gb(m, shape, 1_500) == pytest.approx((churn, 0.1 + 7 * churn))
    usd = _lines(m, shape)["EBS snapshots"].usd
    assert usd == pytest.approx((0.1 + 7 * churn) * model.load_prices()["ec2"]["ebs_snapshot_gb_month"])
    # a more frequent cut holds fewer rows; fewer kept snapshots hold less
    assert _lines(m, _shape(archive_every_s=60))["EBS snapshots"].usd < usd
    assert _lines(m, _shape(data_snapshots_kept=3))["EBS snapshots"].usd < usd


def test_the_fleets_cpu_is_measured_per_terminal_minute_and_refused_above_the_baseline() -> None:
    prices, shape = model.load_prices(), _shape(listener_instance_type="t4g.micro", cpu_credits="standard")
    m = _host_measured()
    _, decode = model.decode_work(model.at_host(m, 5), shape)
    cpu = host.host_cpu(model.at_host(m, 5), prices, shape, 1_500, decode)
    # listener 3 × 0.28 ms, queue 3 × 100 µs, decode 5 ms, rules 1 ms, archive 3 × 10 µs: 7.17 ms per
    # terminal-minute; × 1,500 ÷ 60 s = 0.179 vCPU against the micro's 2 × 10 %
    assert cpu.per_terminal_minute == pytest.approx(7.17e-3)
    # the chain's measured CPU per record joins the archive cut's where the host chains (20 µs a record here)
    chained = _host_measured(chain_cpu_s=0.002, chain_records=100)
    more = host.host_cpu(model.at_host(chained, 5), prices, {**shape, "chain_on_host": True}, 1_500, decode)
    assert more.archive - cpu.archive == pytest.approx(3 * 20e-6)
    apart = host.host_cpu(model.at_host(chained, 5), prices, {**shape, "chain_on_host": False}, 1_500, decode)
    assert apart.archive == pytest.approx(cpu.archive)
    assert cpu.vcpus_busy == pytest.approx(1_500 * 7.17e-3 / 60)
    assert cpu.baseline_vcpus == pytest.approx(0.2) and cpu.share == pytest.approx(0.89625)
    assert "90% of the t4g.micro baseline" in _lines(m, shape)["EC2 host (t4g.micro)"].how
    # twice decode's CPU: over the micro's baseline, refused; the small's 2 × 20 % carries it
    busy = _host_measured(decode_cpu_s=1.0)
    with pytest.raises(model.Refused, match="baseline is exceeded"):
        _lines(busy, shape)
    assert "EC2 host (t4g.small)" in _lines(busy, _shape())
    # in unlimited mode the micro runs on, billed for the vCPU-hours above its baseline
    over = 1_500 * 12.17e-3 / 60 - 0.2
    ec2 = model.load_prices()["ec2"]
    unlimited = _lines(busy, {**shape, "cpu_credits": "unlimited"})["EC2 host (t4g.micro)"]
    assert unlimited.usd - _lines(m, shape)["EC2 host (t4g.micro)"].usd == pytest.approx(
        over * 730 * ec2["surplus_vcpu_hour"]
    )
    assert "vCPU of surplus credits" in unlimited.how


def test_the_archive_cut_makes_an_object_per_cut_and_partition() -> None:
    m = _host_measured()
    # 75 records/s × 300 s = 22,500 frames: 3 cuts of at most 10,000, 2 partitions each
    archived = model.archive_objects(m, _shape(), 1_500, 0)
    assert archived.every_s == 100 and archived.objects == pytest.approx(6 * model.SECONDS / 300)
    # a smaller fleet: one cut per interval
    assert model.archive_objects(m, _shape(), 500, 0).objects == pytest.approx(2 * model.SECONDS / 300)
    ec2_shape = model.shape_for(model.load_shapes(), "county_ec2", 1_500)
    assert model.archive_objects(m, ec2_shape, 1_500, 1).objects > 2 * archived.objects
    # the chain pays per object: fewer objects, less chain
    chain = {"PutItem": OperationUsage(requests=2, write_units=2.0)}
    m = _host_measured(chain=chain, chain_objects=2, chain_s3={"get": 2, "put": 4})
    name = "Archive chain (S3 deliveries)"
    assert _lines(m, _shape())[name].usd < _lines(m, ec2_shape)[name].usd / 2
    assert "an object every 100 s:" in _lines(m, _shape())[name].how  # the stage's: ChainArchive chains them
    # chained on the host instead: no function calls or seconds are paid
    on_host = _lines(m, _shape(chain_on_host=True))[name]
    assert on_host.usd < _lines(m, _shape())[name].usd and "(chained on the host)" in on_host.how


def test_a_province_is_refused_and_the_report_says_so_with_the_cpu_budgets() -> None:
    m = _host_measured()
    with pytest.raises(model.Refused, match="one county's one instance"):
        _lines(m, _shape(300_000), 300_000)
    text = model.report(m, model.load_prices(), {"county_host": model.load_shapes()["county_host"]})
    total = next(row for row in text.splitlines() if row.lstrip().startswith("TOTAL"))
    assert total.split()[1:] == [total.split()[1], total.split()[2], "—", "—"]
    assert "not priced at 300,000 terminals: one county's one instance" in text
    assert "host CPU at 1,500 terminals on t4g.micro" in text and "— fits, < 30 % headroom" in text
    assert "on t4g.small: CPU 7.2 ms per terminal-minute" in text and "45% of the t4g.small baseline" in text
    # a type over its baseline: every column refused, the reason printed
    busy = _host_measured(decode_cpu_s=1.0)
    micro = {**model.load_shapes()["county_host"], "listener_instance_type": "t4g.micro", "cpu_credits": "standard"}
    text = model.report(busy, model.load_prices(), {"county_host": micro})
    assert "not priced at 1,500 terminals" in text and "baseline is exceeded" in text
    assert "on t4g.micro: CPU" in text and "EXCEEDED: refused" in text


def test_a_saved_measurement_keeps_the_host_rules(tmp_path: Path) -> None:
    m = _host_measured(minute_tables=[{"readings": OperationUsage(requests=1, write_units=2.0)}])
    path = tmp_path / "m.json"
    model.save_measured(m, path)
    again = model.load_measured(path)
    assert again == m and isinstance(again.host_rules, model.RulesRun)
    assert model.report(again, model.load_prices()) == model.report(m, model.load_prices())


def test_the_runners_own_log_is_priced_where_no_function_logs_decode_or_rules() -> None:
    m = _host_measured()
    name = "CloudWatch (logs, flow logs, alarms, metrics)"
    quiet = _lines(m, _shape(host_log_mb_per_day=0.0))[name]
    logged = _lines(m, _shape(host_log_mb_per_day=100.0))[name]
    # 100 MB a day ≈ 3.04 GB a month ingested (and kept 30 days)
    cw = model.load_prices()["cloudwatch"]
    kept = _shape()["log_retention_days"] / 30.4
    assert logged.usd - quiet.usd == pytest.approx(3.04 * (cw["logs_ingest_gb"] + kept * cw["logs_storage_gb_month"]))
    assert _shape()["host_log_mb_per_day"] > 0


def _host_pass(**over: Any) -> model.Measured:
    """The host's own pass measured: decode and the flusher wrote 20 WRU on `registry` and 40 on `readings` (its
    buckets), 0.2 s of decode CPU and 0.1 s of flushing over 100 terminal-minutes, 5-minute buckets; its readings
    table holds 200 B per terminal-minute (buckets), not the serverless pass's 1,000."""
    fields: dict[str, Any] = {
        "host_decode": {"PutItem": OperationUsage(requests=60, write_units=60.0)},
        "host_decode_tables": {
            "registry": OperationUsage(requests=20, write_units=20.0),
            "readings": OperationUsage(requests=40, write_units=40.0),
        },
        "host_decode_cpu_s": 0.2,
        "host_flush_cpu_s": 0.1,
        "host_bucket_minutes": 5,
        "host_storage": [model.Growth("readings", 400, bytes_per_terminal_minute=200.0)],
        "host_buffer_bytes_per_terminal_minute": 500.0,
    }
    fields.update(over)
    return _host_measured(**fields)


def test_the_host_prices_decode_and_its_readings_from_its_own_pass() -> None:
    m, shape = _host_pass(), _shape()
    assert shape["reading_bucket_minutes"] == 5  # the county-host stage's host_reading_bucket_minutes
    ddb = model.load_prices()["dynamodb"]
    mine = _lines(m, shape)
    # the readings' units are capacity; the registry's 20 WRU over 100 terminal-minutes are billed per request
    assert mine["DynamoDB writes, decode"].usd == pytest.approx(
        1_500 * model.MINUTES * 0.2 * ddb["write_request_units_per_million"] / 1e6
    )
    serverless = _lines(_host_measured(), shape)
    assert mine["DynamoDB writes, decode"].usd < serverless["DynamoDB writes, decode"].usd
    # the host's readings table (buckets) holds a fifth of the serverless pass's: less storage
    assert mine["DynamoDB storage"].usd < serverless["DynamoDB storage"].usd
    at = model.at_host(m, 5, 5)
    assert at.storage == m.host_storage and at.decode == m.host_decode and at.decode_cpu_s == 0.2
    # a shape with buckets of another size than measured is refused, not priced from the wrong pass
    with pytest.raises(model.Refused, match="5-minute buckets, not 15"):
        _lines(m, _shape(reading_bucket_minutes=15))


def test_the_flusher_and_the_reading_buffer_are_on_the_instance() -> None:
    prices, shape = model.load_prices(), _shape()
    m = model.at_host(_host_pass(), 5, 5)
    _, decode = model.decode_work(m, shape)
    cpu = host.host_cpu(m, prices, shape, 1_500, decode)
    assert decode == pytest.approx(2e-3)  # the host pass's decode, not the serverless pass's 5 ms
    assert cpu.flush == pytest.approx(1e-3) and "bucket flush 1.00" in cpu.describe()
    without = host.host_cpu(model.at_host(_host_measured(), 5), prices, shape, 1_500, decode)
    assert cpu.per_terminal_minute - without.per_terminal_minute == pytest.approx(1e-3)
    # the buffer (3 h 10 min of readings at 500 B a terminal-minute) is in each day's snapshot as well
    churn, _ = host.snapshot_gb(m, shape, 1_500)
    plain, _ = host.snapshot_gb(_host_measured(), shape, 1_500)
    assert churn - plain == pytest.approx(1_500 * 500.0 * host.BUFFER_MINUTES / model.GB)


def test_a_saved_measurement_keeps_the_host_pass(tmp_path: Path) -> None:
    m = _host_pass()
    path = tmp_path / "m.json"
    model.save_measured(m, path)
    again = model.load_measured(path)
    assert again == m and isinstance(again.host_storage[0], model.Growth)
    assert model.report(again, model.load_prices()) == model.report(m, model.load_prices())
    assert "reading buckets of 5 min" in model.report(m, model.load_prices())
