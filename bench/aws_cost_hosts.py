"""A province as a tier of county hosts sharing one stage's tables: the terminals one host of a type carries (its
vCPUs, its busiest single process, its memory), the hosts a fleet needs, and each host's own lines counted N times.

More: docs/deploy.md, "Cost per terminal-month" (the `province_hosts` shape).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.aws_cost_host import HostCpu, host_cpu, snapshot_gb
from bench.aws_cost_model import GB, Line, Measured, Refused

DECODE_WORKERS_MAX = 16  # local/config.py decode_workers (le=16)
MEMORY_SEARCH_MAX = 1_000_000  # terminals: far past any host's CPU
MIB = 2**20


def _ec2(p: Mapping[str, Any], kind: str, what: str) -> float:
    key = f"{kind.replace('.', '_')}_{what}"
    if key not in p["ec2"]:
        raise ValueError(f"bench/aws_prices.toml [ec2] has no {key}: add the type's price, vCPUs, baseline and memory")
    return float(p["ec2"][key])


@dataclass(frozen=True)
class Runner:
    """The runner's processes and memory on one host carrying `terminals`: the decode workers its decode CPU needs
    (each within one process's ceiling), a rules process per county (or one for the host), and its RSS from the
    measured fit (base + per terminal) plus a worker's base RSS for each process beyond the measured run's one
    decode worker and one rules process."""

    terminals: float
    decode_workers: int
    rule_processes: int
    mib: float


def runner(s: Mapping[str, Any], cpu: HostCpu, terminals: float) -> Runner:
    ceiling = float(s["host_process_ceiling"])
    needed = max(1, math.ceil(terminals * cpu.decode / 60 / ceiling))
    workers = 1 << (needed - 1).bit_length()  # a divisor of the 64 liveness sheets (local/config.py)
    rules = max(1, math.ceil(terminals / s["county_terminals"])) if s["rules_process"] == "county" else 1
    mib = s["runner_base_mib"] + s["runner_kib_per_terminal"] * terminals / 1024
    mib += (workers - 1 + rules - 1) * s["runner_worker_mib"]
    return Runner(terminals, workers, rules, mib)


@dataclass(frozen=True)
class HostFit:
    """The most terminals one host of `kind` carries, and by which bound."""

    kind: str
    by_cpu: int  # all vCPUs (or, standard credits, the baseline) at `host_cpu_ceiling`
    by_process: int  # the busiest single process within `host_process_ceiling` of one vCPU
    busiest: str
    by_memory: int  # the runner's RSS within `host_memory_ceiling` of the memory the OS leaves it
    budget_mib: float

    @property
    def terminals(self) -> int:
        return min(self.by_cpu, self.by_process, self.by_memory)

    @property
    def bound(self) -> str:
        return min((self.by_cpu, "vCPUs"), (self.by_process, "one process"), (self.by_memory, "memory"))[1]

    def describe(self) -> str:
        return (
            f"{self.kind} holds {self.terminals:,} terminals (bound by {self.bound}; vCPUs {self.by_cpu:,}, one "
            f"process ({self.busiest}) {self.by_process:,}, memory {self.by_memory:,} in {self.budget_mib:,.0f} MiB)"
        )


def singles(s: Mapping[str, Any], cpu: HostCpu) -> dict[str, float]:
    """CPU seconds per terminal-minute of the host's processes that are one per host whatever its size: the
    platform process (listener and queue writer), the archive worker, the bucket flusher, and the rules process
    where one serves the host (`rules_process = "host"`; per county it is bounded by the county's size instead)."""
    out = {"listener": cpu.listener + cpu.queue, "archive cut": cpu.archive, "bucket flush": cpu.flush}
    if s["rules_process"] == "host":
        out["rules"] = cpu.rules
    return out


def fit(m: Measured, p: Mapping[str, Any], s: Mapping[str, Any], kind: str, decode_cpu: float) -> HostFit:
    cpu = host_cpu(m, p, s, 1, decode_cpu, kind)
    vcpus, baseline = _ec2(p, kind, "vcpus"), _ec2(p, kind, "baseline")
    usable = vcpus if s.get("cpu_credits", "standard") == "unlimited" or baseline >= 1 else vcpus * baseline
    by_cpu = math.floor(usable * s["host_cpu_ceiling"] * 60 / cpu.per_terminal_minute)
    each = singles(s, cpu)
    busiest = max(each, key=lambda k: each[k])
    by_process = math.floor(s["host_process_ceiling"] * 60 / each[busiest])
    by_decode = math.floor(DECODE_WORKERS_MAX * s["host_process_ceiling"] * 60 / cpu.decode)
    if by_decode < by_process:
        busiest, by_process = f"{DECODE_WORKERS_MAX} decode workers", by_decode
    budget = (_ec2(p, kind, "memory_gib") * 1024 - s["host_os_mib"]) * s["host_memory_ceiling"]
    lo, hi = 0, MEMORY_SEARCH_MAX  # the runner's RSS grows with its terminals: the most that fit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if runner(s, cpu, mid).mib <= budget else (lo, mid - 1)
    return HostFit(kind, by_cpu, by_process, busiest, lo, budget)


@dataclass(frozen=True)
class HostPlan:
    """`hosts` of `kind` for a fleet, each carrying `per_host` terminals (the fleet spread evenly)."""

    fit: HostFit
    terminals_per_host: int  # the shape's, or what the type holds
    hosts: int
    per_host: float
    cpu: HostCpu  # each host's
    runner: Runner  # each host's


def plan(m: Measured, p: Mapping[str, Any], s: Mapping[str, Any], terminals: int, decode_cpu: float) -> HostPlan:
    """The hosts of the shape's `host_instance_type` for `terminals`: N = ceil(terminals / terminals_per_host),
    terminals_per_host the shape's (refused where the type cannot hold it) or what the type holds."""
    kind = s["host_instance_type"]
    county = s["county_terminals_max"] * host_cpu(m, p, s, 1, decode_cpu, kind).rules / 60
    if s["rules_process"] == "county" and county > s["host_process_ceiling"]:
        raise Refused(f"one county's rules process ({s['county_terminals_max']:,} terminals) would be {county:.2f}"
                      f" vCPU busy, above host_process_ceiling {s['host_process_ceiling']}")  # fmt: skip
    f = fit(m, p, s, kind, decode_cpu)
    wanted = int(s.get("terminals_per_host", 0))
    if wanted > f.terminals:
        raise Refused(f"{f.describe()}: not the {wanted:,} terminals_per_host the shape asks")
    per = wanted or f.terminals
    if per < 1:
        raise Refused(f"{f.describe()}: not one terminal")
    hosts = math.ceil(terminals / per)
    each = terminals / hosts
    cpu = host_cpu(m, p, s, round(each), decode_cpu, kind)
    return HostPlan(f, per, hosts, each, cpu, runner(s, cpu, each))


def data_volume_gb(m: Measured, s: Mapping[str, Any], terminals: float) -> int:
    """A host's data volume: the shape's size, or twice the files it holds in steady state (the frame queue's
    rows of one cut interval and the reading buffer, as `snapshot_gb` counts them) plus the queue's reserve."""
    held, _ = snapshot_gb(m, s, round(terminals))  # the files (and the WAL) a snapshot holds again each day
    return max(int(s["data_volume_gb"]), math.ceil(2 * held + float(s["queue_reserve_mb"]) * MIB / GB))


def tier_lines(
    m: Measured, p: Mapping[str, Any], s: Mapping[str, Any], terminals: int, decode_cpu: float
) -> list[Line]:
    """Each host's instance (with its root volume and, unlimited credits, its surplus vCPU-hours), data volume and
    snapshots, N times."""
    ec2, hours = p["ec2"], float(p["hours_per_month"])
    pl = plan(m, p, s, terminals, decode_cpu)
    kind, n = pl.fit.kind, pl.hosts
    usd = n * (hours * _ec2(p, kind, "hour") + s["listener_volume_gb"] * ec2["gp3_gb_month"])
    surplus = max(0.0, pl.cpu.vcpus_busy - pl.cpu.baseline_vcpus)
    if surplus and s.get("cpu_credits", "standard") == "unlimited":
        usd += n * surplus * hours * ec2["surplus_vcpu_hour"]
    how = (
        f"{n} × {kind} of ≈ {pl.per_host:,.0f} terminals (terminals_per_host {pl.terminals_per_host:,}: "
        f"{pl.fit.describe()}), {s['listener_volume_gb']} GB gp3 root each; each host {pl.cpu.describe()}; runner "
        f"{pl.runner.decode_workers} decode worker(s), {pl.runner.rule_processes} rules process(es), "
        f"≈ {pl.runner.mib:,.0f} MiB"
    )
    out = [Line("EC2 hosts", usd, how + (f", {surplus:.3f} vCPU of surplus credits each" if surplus else ""))]
    gb = data_volume_gb(m, s, pl.per_host)
    out.append(Line("EBS data volumes (gp3)", n * gb * ec2["gp3_gb_month"], f"{n} × {gb} GB at /data"))
    churn, stock = snapshot_gb(m, s, round(pl.per_host))
    how = f"{n} × daily, {s['data_snapshots_kept']} kept: {churn * 1e3:,.0f} MB of churn a day, {stock:,.2f} GB held"
    out.append(Line("EBS snapshots", n * stock * ec2["ebs_snapshot_gb_month"], how))
    return out


def by_type(m: Measured, p: Mapping[str, Any], s: Mapping[str, Any], terminals: int,
            month: int) -> dict[str, list[Line] | str]:  # fmt: skip
    """The shape priced on each of its `host_instance_types`: its lines, or why the type was refused."""
    from bench.aws_cost_model import lines  # it calls this module for the tier's own lines

    out: dict[str, list[Line] | str] = {}
    for kind in s["host_instance_types"]:
        try:
            out[kind] = lines(m, p, {**s, "host_instance_type": kind}, terminals, month)
        except Refused as exc:
            out[kind] = str(exc)
    return out


def cheapest(m: Measured, p: Mapping[str, Any], s: Mapping[str, Any], terminals: int, month: int) -> list[Line]:
    """The shape's lines on the cheapest of its instance types that carries the fleet."""
    priced = [x for x in by_type(m, p, s, terminals, month).values() if not isinstance(x, str)]
    if not priced:
        raise Refused(f"none of {', '.join(s['host_instance_types'])} carries it")
    return min(priced, key=lambda x: sum(line.usd for line in x))


def alternatives(m: Measured, p: Mapping[str, Any], s: Mapping[str, Any], terminals: int, month: int) -> list[str]:
    """A line per instance type the shape considers: what one host holds, the hosts the fleet needs and its total
    per terminal-month, or why the type was refused; the cheapest marked."""
    from bench.aws_cost_model import at_host, decode_work

    host = at_host(m, int(s.get("rules_every_minutes", 1)), s.get("reading_bucket_minutes", 0))
    decode_cpu = decode_work(host, s)[1]
    priced = by_type(m, p, s, terminals, month)
    totals = {k: sum(x.usd for x in v) / terminals for k, v in priced.items() if not isinstance(v, str)}
    best = min(totals, key=lambda k: totals[k]) if totals else None
    out = []
    for kind, got in priced.items():
        f = fit(host, p, s, kind, decode_cpu)
        hosts = math.ceil(terminals / f.terminals) if f.terminals else 0
        verdict = f"refused: {got}" if isinstance(got, str) else f"${totals[kind]:.4f} per terminal-month"
        mark = "  <- cheapest" if kind == best else ""
        out.append(
            f"  hosts at {terminals:,} terminals, month {month}: {f.describe()}; {hosts} host(s), {verdict}{mark}"
        )
    return out
