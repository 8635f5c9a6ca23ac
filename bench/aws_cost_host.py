"""The county host's own lines: the instance that runs listener, decode, rules and the archive cut, its CPU budget,
the EBS data volume holding the frame queue and that volume's daily snapshots.

More: docs/deploy.md, "Cost per terminal-month" (the `county_host` shape).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.aws_cost_model import GB, WRITER_CPU_S_PER_RECORD, Line, Measured, Refused

# The listener's CPU per frame, measured with the Kinesis sink and a 100 ms batch linger (bench/listener_aws_cpu.py,
# docs/deploy.md "Scaling to a province"): 0.28 CPU s per 1,000 frames. The host's listener commits to the sqlite
# queue instead of putting to Kinesis; the queue's own CPU is measured and added (`queue_cpu_s`), so the botocore
# part of this figure is counted twice: an upper bound.
LISTENER_CPU_S_PER_FRAME = 0.28e-3
QUEUE_CPU_S_PER_RECORD = 100e-6  # assumed when a saved measurement has none
QUEUE_ROW_BYTES = 40  # a queue row's id, mn, attempts, queued_at and sqlite's record header, beside the record
BUFFER_MINUTES = 3 * 60 + 2 * 5  # local/reading_buffer.py KEEP after a flush, plus the open and the closing bucket


@dataclass(frozen=True)
class HostCpu:
    """The fleet's CPU on the instance (vCPUs busy on average) against the instance type's baseline."""

    instance_type: str
    listener: float  # CPU seconds per terminal-minute, each
    queue: float
    decode: float
    rules: float
    archive: float  # the cut's objects and, where the host chains them, the chain
    flush: float  # the bucket flusher (reading buckets on): the buffer's closed buckets merged into DynamoDB
    vcpus_busy: float  # for the fleet
    baseline_vcpus: float  # vCPUs × baseline share: what the CPU credits earned per hour sustain

    @property
    def per_terminal_minute(self) -> float:
        return self.listener + self.queue + self.decode + self.rules + self.archive + self.flush

    @property
    def share(self) -> float:
        return self.vcpus_busy / self.baseline_vcpus

    def describe(self) -> str:
        parts = ", ".join(
            f"{name} {ms * 1000:.2f}"
            for name, ms in (("listener", self.listener), ("queue", self.queue), ("decode", self.decode),
                             ("rules", self.rules), ("archive cut", self.archive), ("bucket flush", self.flush))
        )  # fmt: skip
        return (
            f"CPU {self.per_terminal_minute * 1000:.1f} ms per terminal-minute ({parts}) = {self.vcpus_busy:.3f} vCPU"
            f", {self.share:.0%} of the {self.instance_type} baseline ({self.baseline_vcpus:.2f} vCPU)"
        )


def one_instance(s: Mapping[str, Any], terminals: int) -> None:
    """The shape is one county's one instance: a fleet past its connections is refused, not priced as many."""
    if terminals > s["connections_per_task"]:
        raise Refused(
            f"one county's one instance ({s['connections_per_task']:,} connections); {terminals:,} terminals "
            "would be many county hosts, each with its own floor: not priced"
        )


def host_cpu(m: Measured, p: Mapping[str, Any], s: Mapping[str, Any], terminals: int, decode_cpu: float,
             instance_type: str | None = None) -> HostCpu:  # fmt: skip
    """The fleet's CPU on the host from what the bench measured per terminal-minute in its process (one core here
    taken as one Graviton vCPU, as for Lambda): decode (`decode_cpu`, without archive items), the rules as the host
    runs them, the archive cut (the writer's per-record work, and the chain's where the host chains), the queue, and
    the listener's measured per-frame CPU."""
    kind = instance_type or s["listener_instance_type"]
    key = kind.replace(".", "_")
    ec2 = p["ec2"]
    records = m.records_per_terminal_minute
    queue = m.queue_cpu_s / m.queue_records if m.queue_records else QUEUE_CPU_S_PER_RECORD
    writer = m.writer_cpu_s / m.writer_records if m.writer_records else WRITER_CPU_S_PER_RECORD
    if s.get("chain_on_host"):
        writer += m.chain_cpu_s / m.chain_records if m.chain_records else 0.0
    cpu = HostCpu(
        kind,
        listener=records * LISTENER_CPU_S_PER_FRAME,
        queue=records * queue,
        decode=decode_cpu,
        rules=m.rules_cpu_s / m.terminal_minutes,
        archive=records * writer,
        flush=m.host_flush_cpu_s / m.terminal_minutes,
        vcpus_busy=0.0,
        baseline_vcpus=ec2[f"{key}_vcpus"] * ec2[f"{key}_baseline"],
    )
    return HostCpu(**{**cpu.__dict__, "vcpus_busy": terminals * cpu.per_terminal_minute / 60})


def snapshot_gb(m: Measured, s: Mapping[str, Any], terminals: int) -> tuple[float, float]:
    """(GB changed a day, GB held by the kept snapshots). The volume holds the frame queue, whose rows live until
    decoded and cut into the archive (at most `archive_every_s`): every page of the queue file and its WAL is
    rewritten many times a day, so each daily snapshot holds the whole file again. The file's high-water mark is
    `queue_file_factor` × the rows held (pages left part-empty by deletes; a late cut). The oldest kept snapshot
    holds every used block (that file and the file system's metadata), each later one the day's churn."""
    fps = terminals * m.records_per_terminal_minute / 60
    held = fps * s["archive_every_s"] * (m.record_bytes + QUEUE_ROW_BYTES)
    # The reading buffer (reading buckets on): its file holds `keep` of flushed readings plus the open buckets, and
    # its rows are inserted and pruned all day, so each snapshot holds it again as well
    buffered = terminals * m.host_buffer_bytes_per_terminal_minute * BUFFER_MINUTES if m.host_bucket_minutes else 0.0
    churn = (held * s["queue_file_factor"] + buffered + s["queue_wal_bytes"]) / GB
    return churn, s["data_fs_metadata_gb"] + s["data_snapshots_kept"] * churn


def host_lines(m: Measured, p: Mapping[str, Any], s: Mapping[str, Any], terminals: int,
               decode_cpu: float) -> list[Line]:  # fmt: skip
    """The instance (and its root volume), refused where the fleet's CPU exceeds its baseline; the data volume;
    its snapshots."""
    ec2, hours = p["ec2"], float(p["hours_per_month"])
    kind = s["listener_instance_type"]
    cpu = host_cpu(m, p, s, terminals, decode_cpu)
    usd = hours * ec2[f"{kind.replace('.', '_')}_hour"] + s["listener_volume_gb"] * ec2["gp3_gb_month"]
    how = f"1 instance, {s['listener_volume_gb']} GB gp3 root; {cpu.describe()}"
    if cpu.share > 1:
        if s.get("cpu_credits", "standard") != "unlimited":
            raise Refused(f"{cpu.describe()}: the baseline is exceeded (CPU credits run out), take a bigger type")
        surplus = cpu.vcpus_busy - cpu.baseline_vcpus  # unlimited mode bills the vCPU-hours above the baseline
        usd += surplus * hours * ec2["surplus_vcpu_hour"]
        how += f", {surplus:.3f} vCPU of surplus credits"
    out = [Line(f"EC2 host ({kind})", usd, how)]
    gb = s["data_volume_gb"]
    out.append(Line("EBS data volume (gp3)", gb * ec2["gp3_gb_month"], f"{gb} GB at /data: the frame queue"))
    churn, stock = snapshot_gb(m, s, terminals)
    how = (
        f"daily, {s['data_snapshots_kept']} kept: {churn * 1e3:,.0f} MB of queue churn a day, "
        f"{stock:,.2f} GB held (assumed: queue file {s['queue_file_factor']:g} × {s['archive_every_s']} s of rows "
        f"+ {s['queue_wal_bytes'] / 1e6:.0f} MB WAL a day)"
    )
    out.append(Line("EBS snapshots", stock * ec2["ebs_snapshot_gb_month"], how))
    return out


def budgets(m: Measured, p: Mapping[str, Any], s: Mapping[str, Any], terminals: int, decode_cpu: float) -> list[str]:
    """The host's CPU at `terminals` against the shape's `host_budget_types` (else each type the price table knows)."""
    known = sorted(k.removesuffix("_vcpus").replace("_", ".") for k in p["ec2"] if k.endswith("_vcpus"))
    kinds = s.get("host_budget_types", known)
    out = []
    for kind in kinds:
        cpu = host_cpu(m, p, s, terminals, decode_cpu, kind)
        unlimited = s.get("cpu_credits", "standard") == "unlimited"
        over = "EXCEEDED: surplus credits billed" if unlimited else "EXCEEDED: refused"
        verdict = over if cpu.share > 1 else "fits" if cpu.share <= 0.7 else "fits, < 30 % headroom"
        out.append(f"  host CPU at {terminals:,} terminals on {kind}: {cpu.describe()} — {verdict}")
    return out
