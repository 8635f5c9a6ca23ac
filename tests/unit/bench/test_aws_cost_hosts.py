"""A province as a tier of county hosts: N hosts from what one type carries, per-host lines N times, shared once."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bench import aws_cost_host as host
from bench import aws_cost_hosts as hosts
from bench import aws_cost_model as model
from tests.unit.bench.test_aws_cost_host import _host_pass

pytestmark = pytest.mark.unit

# Memory of the runner in these tests (not the measured fit): 400 MiB + 100 KiB a terminal, 70 MiB a further worker
MEMORY = {"runner_base_mib": 400.0, "runner_kib_per_terminal": 100.0, "runner_worker_mib": 70.0}
PER_HOST = ("EC2 hosts", "EBS data volumes (gp3)", "EBS snapshots", "Public IPv4")
SHARED = ("DynamoDB writes, decode", "DynamoDB reads, decode", "DynamoDB writes, rules", "DynamoDB reads, rules",
          "DynamoDB provisioned (auto scaling)", "DynamoDB storage", "DynamoDB PITR", "Lambda scheduled (arm64)",
          "KMS keys", "Secrets Manager, WAF")  # fmt: skip


def _shape(terminals: int = 300_000, **over: Any) -> dict[str, Any]:
    return {**model.shape_for(model.load_shapes(), "province_hosts", terminals), **MEMORY, **over}


def _lines(m: model.Measured, shape: dict[str, Any], terminals: int = 300_000, month: int = 1) -> dict[str, model.Line]:
    return {x.name: x for x in model.lines(m, model.load_prices(), shape, terminals, month)}


def _fit(kind: str, **over: Any) -> hosts.HostFit:
    m = model.at_host(_host_pass(), 5, 5)
    shape = _shape(**over)
    return hosts.fit(m, model.load_prices(), shape, kind, model.decode_work(m, shape)[1])


def test_one_host_carries_what_its_vcpus_its_busiest_process_and_its_memory_allow() -> None:
    # the host pass: listener 3 × 0.28 ms, queue 3 × 0.1, decode 2, rules 1, archive cut 0.03, bucket flush 1:
    # 5.17 ms per terminal-minute; half of a c7g.xlarge's 4 vCPUs is 2 × 60 / 5.17e-3 terminals
    f = _fit("c7g.xlarge")
    assert f.by_cpu == math.floor(2 * 60 / 5.17e-3) == 23_210
    # the platform process (listener and queue, 1.14 ms) within half a vCPU
    assert (f.busiest, f.by_process) == ("listener", math.floor(0.5 * 60 / 1.14e-3))
    # (8 GiB − 450 MiB) × 0.8 for 400 MiB + 100 KiB a terminal + 70 MiB for each decode worker and county past one
    budget = (8 * 1024 - 450) * 0.8
    assert f.budget_mib == pytest.approx(budget)
    n = f.by_memory
    cpu = host.host_cpu(model.at_host(_host_pass(), 5, 5), model.load_prices(), _shape(), 1, 2e-3, "c7g.xlarge")
    assert hosts.runner(_shape(), cpu, n).mib <= budget < hosts.runner(_shape(), cpu, n + 1).mib
    assert (f.terminals, f.bound) == (23_210, "vCPUs")
    # a burstable type on standard credits is held to its baseline; unlimited, to its vCPUs (the surplus is priced)
    assert _fit("t4g.medium", cpu_credits="standard").by_cpu == math.floor(2 * 0.2 * 0.5 * 60 / 5.17e-3)
    assert _fit("t4g.medium").by_cpu == math.floor(2 * 0.5 * 60 / 5.17e-3)
    # one rules process for the whole host: it becomes a bound of its own
    assert _fit("c7g.2xlarge", rules_process="host").busiest == "listener"  # 1.14 ms > the rules' 1 ms
    assert _fit("c7g.2xlarge", rules_process="host", runner_kib_per_terminal=0).by_process < 30_000


def test_the_runner_adds_decode_workers_and_rules_processes_as_its_terminals_grow() -> None:
    cpu = host.host_cpu(model.at_host(_host_pass(), 5, 5), model.load_prices(), _shape(), 1, 2e-3, "c7g.xlarge")
    per_county = _shape(rules_process="county")
    small = hosts.runner(per_county, cpu, 1_500)
    assert (small.decode_workers, small.rule_processes) == (1, 1)
    assert small.mib == pytest.approx(400 + 100 * 1_500 / 1024)
    # 20,000 terminals: decode 20,000 × 2 ms ÷ 60 = 0.67 vCPU in workers of at most 0.5: 2; 7 counties of 3,000
    big = hosts.runner(per_county, cpu, 20_000)
    assert (big.decode_workers, big.rule_processes) == (2, 7)
    assert big.mib == pytest.approx(400 + 100 * 20_000 / 1024 + (1 + 6) * 70)
    assert hosts.runner(_shape(rules_process="host"), cpu, 20_000).rule_processes == 1


def test_n_hosts_is_the_fleet_over_terminals_per_host_rounded_up() -> None:
    m, prices = _host_pass(), model.load_prices()
    shape = _shape(host_instance_type="c7g.xlarge", terminals_per_host=10_000)
    ec2 = prices["ec2"]
    one = 730 * ec2["c7g_xlarge_hour"] + 30 * ec2["gp3_gb_month"]
    for terminals, n in ((1_500, 1), (10_000, 1), (10_001, 2), (300_000, 30)):
        _, decode = model.decode_work(model.at_host(m, 5, 5), shape)
        pl = hosts.plan(model.at_host(m, 5, 5), prices, shape, terminals, decode)
        assert pl.hosts == n and pl.per_host == pytest.approx(terminals / n)
        line = _lines(m, shape, terminals)["EC2 hosts"]
        assert line.usd == pytest.approx(n * one)  # a c7g has no credits: no surplus
        assert line.how.startswith(f"{n} × c7g.xlarge of ≈ {terminals / n:,.0f} terminals")
    # unset, terminals_per_host is what the type carries (23,210 on a c7g.xlarge: 13 hosts for 300,000)
    assert _lines(m, _shape(host_instance_type="c7g.xlarge"))["EC2 hosts"].how.startswith("13 × c7g.xlarge")


def test_a_type_that_cannot_hold_terminals_per_host_is_refused() -> None:
    m = _host_pass()
    # CPU: a c7g.large's 2 vCPUs at half carry 11,605 terminals, not 20,000
    with pytest.raises(model.Refused, match=r"c7g.large holds 11,605 terminals \(bound by vCPUs.*not the 20,000"):
        _lines(m, _shape(host_instance_type="c7g.large", terminals_per_host=20_000))
    # memory: a t4g.small's 2 GiB leave (2,048 − 450) × 0.8 = 1,278 MiB: 400 MiB + 100 KiB a terminal + 70 MiB for
    # each of 2 more rules processes (3 counties of 3,000) hold 7,561
    with pytest.raises(model.Refused, match=r"t4g.small holds 7,561 terminals \(bound by memory.*not the 10,000"):
        _lines(m, _shape(host_instance_type="t4g.small", terminals_per_host=10_000, rules_process="county"))
    assert (
        _fit("t4g.small", rules_process="county").by_memory
        == math.floor((1_278.4 - 400 - 2 * 70) * 1024 / 100)
        == 7_561
    )
    # the same types carry what they can hold
    assert "EC2 hosts" in _lines(m, _shape(host_instance_type="t4g.small", terminals_per_host=7_500))
    # one county's rules past one process's ceiling (40,000 × 1 ms ÷ 60 s = 0.67 vCPU): no host size helps
    with pytest.raises(model.Refused, match="one county's rules process"):
        _lines(m, _shape(host_instance_type="c7g.xlarge", county_terminals_max=40_000, rules_process="county"))


def test_per_host_lines_are_counted_n_times_and_shared_lines_once() -> None:
    m, prices = _host_pass(), model.load_prices()
    few = _lines(m, _shape(host_instance_type="c7g.xlarge", terminals_per_host=20_000))  # 15 hosts
    many = _lines(m, _shape(host_instance_type="c7g.xlarge", terminals_per_host=5_000))  # 60 hosts
    for name in SHARED:
        assert many[name].usd == pytest.approx(few[name].usd), name
    hour = prices["hours_per_month"]
    assert few["Public IPv4"].usd == pytest.approx(15 * hour * prices["vpc"]["public_ipv4_hour"])
    assert many["Public IPv4"].usd == pytest.approx(60 * hour * prices["vpc"]["public_ipv4_hour"])
    ec2 = prices["ec2"]
    assert many["EBS data volumes (gp3)"].usd == pytest.approx(60 * 8 * ec2["gp3_gb_month"])
    assert many["EC2 hosts"].usd == pytest.approx(4 * few["EC2 hosts"].usd)
    # each host's snapshots hold its own queue and buffer: 60 small hosts' stock against 15 big ones'
    _, small = host.snapshot_gb(m, _shape(), 5_000)
    assert many["EBS snapshots"].usd == pytest.approx(60 * small * ec2["ebs_snapshot_gb_month"])
    # each further host: 6 alarm metrics, 4 metric filters and its runner's 5 MB of log a day
    cw, s = prices["cloudwatch"], _shape()
    logs = 45 * 5 * 30.4 / 1000 * (cw["logs_ingest_gb"] + s["log_retention_days"] / 30.4 * cw["logs_storage_gb_month"])
    flows = 45 * 20_000 * 30.4 * 130 / 1e9 * (cw["vended_logs_s3_gb"] + prices["s3"]["standard_gb_month"])
    name = "CloudWatch (logs, flow logs, alarms, metrics)"
    assert many[name].usd - few[name].usd == pytest.approx(
        45 * (6 * cw["alarm_month"] + 4 * cw["custom_metric_month"]) + logs + flows
    )
    assert "381 alarm metrics, 240 custom metrics" in many[name].how  # 27 + 59 × 6, 4 + 59 × 4


def test_each_host_cuts_its_own_queue_into_the_archive() -> None:
    m = _host_pass()
    # 40 hosts of 7,500 terminals at 3 records a terminal-minute: 112,500 frames a host every 300 s, 12 cuts of at
    # most 10,000 (the last part-full), an object per cut and partition (2) on each host; one queue would cut 450
    archived = model.archive_objects(m, {**_shape(), "host_count": 40}, 300_000, 0)
    assert archived.objects == pytest.approx(40 * 12 * 2 * model.SECONDS / 300)
    assert model.archive_objects(m, _shape(), 300_000, 0).objects == pytest.approx(450 * 2 * model.SECONDS / 300)
    # a terminal's frames are in its own host's objects only: two hosts of 1,500 chain what two county hosts do
    # (manifests of 100 B per MN and object: a terminal has entries in its host's 3 cuts a 300 s, not in all 6)
    m = _host_pass(chain_manifest_bytes=100_000, chain_mn_objects=1_000, chain_objects=10)
    name = "Archive chain (S3 deliveries)"
    county = model.lines(m, model.load_prices(), model.shape_for(model.load_shapes(), "county_host", 1_500), 1_500, 1)
    (one,) = [x for x in county if x.name == name]
    two = _lines(m, _shape(3_000, host_instance_type="c7g.xlarge", terminals_per_host=1_500), 3_000)[name]
    assert two.usd == pytest.approx(2 * one.usd)


def test_one_host_at_1500_is_the_county_host() -> None:
    m = _host_pass()
    shape = model.shape_for(model.load_shapes(), "county_host", 1_500)
    county = {x.name: x.usd for x in model.lines(m, model.load_prices(), shape, 1_500, 1)}
    mine = _lines(m, _shape(1_500), 1_500)
    renamed = {"EC2 host (t4g.small)": "EC2 hosts", "EBS data volume (gp3)": "EBS data volumes (gp3)"}
    assert {renamed.get(k, k) for k in county} == set(mine)
    for name, usd in county.items():
        assert mine[renamed.get(name, name)].usd == pytest.approx(usd), name
    assert mine["EC2 hosts"].how.startswith("1 × t4g.small of ≈ 1,500 terminals")


def test_the_cheapest_type_that_carries_the_fleet_is_priced_and_the_others_printed() -> None:
    m, prices = _host_pass(), model.load_prices()
    shape = _shape()
    totals = {k: sum(x.usd for x in v) for k, v in hosts.by_type(m, prices, shape, 300_000, 1).items()
              if not isinstance(v, str)}  # fmt: skip
    assert len(totals) > 3
    chosen = sum(x.usd for x in model.lines(m, prices, shape, 300_000, 1))
    assert chosen == pytest.approx(min(totals.values()))
    # only refused types: the shape is refused at that fleet
    with pytest.raises(model.Refused, match="none of t4g.small carries it"):
        model.lines(m, prices, {**shape, "host_instance_types": ["t4g.small"], "terminals_per_host": 50_000},
                    300_000, 1)  # fmt: skip
    text = model.report(m, prices, {"province_hosts": shape})
    for kind in shape["host_instance_types"]:
        assert f"hosts at 300,000 terminals, month 1: {kind} holds" in text
    assert text.count("<- cheapest") == 2  # at 1,500 and at 300,000
    assert "EC2 hosts at 300,000 terminals: " in text
    total = next(row for row in text.splitlines() if row.lstrip().startswith("TOTAL")).split()[1:]
    assert "—" not in total and float(total[2]) < float(total[0])  # 300,000 spreads the floor


def test_a_burstable_host_above_its_baseline_pays_its_surplus_credits_on_every_host() -> None:
    m, prices = _host_pass(), model.load_prices()
    ec2 = prices["ec2"]
    # 60 t4g.small of 5,000 terminals: 5,000 × 5.17 ms ÷ 60 s = 0.431 vCPU each against a 0.4 vCPU baseline
    line = _lines(m, _shape(host_instance_type="t4g.small", terminals_per_host=5_000))["EC2 hosts"]
    surplus = 5_000 * 5.17e-3 / 60 - 2 * 0.2
    one = 730 * (ec2["t4g_small_hour"] + surplus * ec2["surplus_vcpu_hour"]) + 30 * ec2["gp3_gb_month"]
    assert line.usd == pytest.approx(60 * one)
    assert "0.031 vCPU of surplus credits each" in line.how
    # on standard credits the same host is held to its baseline: 0.4 vCPU at half is 2,321 terminals
    with pytest.raises(model.Refused, match="t4g.small holds 2,321 terminals"):
        _lines(m, _shape(host_instance_type="t4g.small", terminals_per_host=5_000, cpu_credits="standard"))
