"""The AWS bill as code: measured DynamoDB usage and frame sizes × a price table × a deployment shape.

More: docs/deploy.md, "Module notes".
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from monitoring.storage.dynamodb import schema
from monitoring.storage.dynamodb.metering import READ_OPERATIONS, OperationUsage

HERE = Path(__file__).resolve().parent
PRICES = HERE / "aws_prices.toml"
SHAPES = HERE / "aws_shapes.toml"
MINUTES = 43_800  # a month of 730 hours
SECONDS = MINUTES * 60
GB = 1e9
FLEETS = (1_500, 300_000)
MONTHS = (1, 13)
FULL_VCPU_GB = 1.769  # Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB
DECODE_LANE_LOAD = 0.7  # the busiest a decode lane may be at the live rate (as DynamoDB's target)
# Decode's progress notes (monitoring/rules/decode_watermark.py): each lane's container rewrites its note of a shard
# every NOTE_EVERY_S, ≈ NOTE_GROUP_BYTES per group it decodes there; the rule scheduler reads them all once a tick.
NOTE_EVERY_S = 10
NOTE_GROUP_BYTES = 36  # '"g12345":[1796000000.123,1796000000.123],' in the JSON body
NOTE_ITEM_BYTES = 160  # keys, type, noted_at and the item's overhead
# The listener's put notes (monitoring/rules/put_notes.py): each task rewrites one note every NOTE_EVERY_S, two
# bytes a group up to the highest it put (zlib, base64); read with decode's once a tick. Measured with note_doc:
# 201 B at 64 groups; 7.9 KB at 4,301 of 16,128 groups put to (5,000 terminals); 10.7 KB at 7,424.
PUT_NOTE_BYTES = 170  # keys, type, noted_at, base, floor, closed and the item's overhead
PUT_GROUP_BYTES = 0.25  # per stream group: the compressed runs of groups not put to
PUT_TOUCHED_BYTES = 0.95  # per group put to within put_notes.KEEP
REQUEST_CPU_S = 0.0012  # botocore CPU per DynamoDB request in the bench process (bench/aws_cost_profile.py)
ITEM_OVERHEAD = 100  # bytes DynamoDB adds to every item (and index entry) for storage billing


@dataclass(frozen=True)
class Growth:
    """Stored bytes one terminal adds per minute to a table (or holds there regardless of time)."""

    table: str
    retention_days: int | None  # None: kept for ever
    bytes_per_terminal_minute: float = 0.0
    bytes_per_terminal: float = 0.0  # registry, rule state: the fleet's size, not its age


@dataclass(frozen=True)
class LivenessRun:
    """The liveness sheets the county host's decode wrote (monitoring.registry.liveness): in a pass of a few
    terminals a sheet holds about one, so the model sizes a county's sheets from these figures (`liveness_usage`)."""

    writes: int  # sheet writes in the metered minutes, one write unit each (bench/aws_host_run.py checks)
    every_s: float  # each sheet written at most once a period
    sheets: int  # sheets stored at the end
    empty_bytes: float  # a sheet with no entry, as DynamoDB sizes the item for a write (`item_size` less storage's 100)
    entry_bytes: float  # what one terminal's entry adds


def liveness_usage(run: LivenessRun, county_terminals: int, terminal_minutes: int) -> OperationUsage:
    """The sheet writes a county of `county_terminals` makes in `terminal_minutes` of its terminals: every sheet
    that holds one written once a period, each as many units as its kilobytes. Terminals hash to the 64 sheets, so
    a sheet's count is Poisson about the mean: an empty sheet costs nothing, a fuller one more than the mean's."""
    from monitoring.registry.liveness import LIVENESS_SHEETS

    mean = county_terminals / LIVENESS_SHEETS
    spread = 12 * math.sqrt(mean) + 12
    held = units = 0.0  # per sheet and period: the chance it holds a terminal, and its expected units
    for k in range(1, math.ceil(mean + spread) + 1):
        if k < mean - spread:
            continue
        p = math.exp(k * math.log(mean) - mean - math.lgamma(k + 1))
        held, units = held + p, units + p * math.ceil((run.empty_bytes + run.entry_bytes * k) / 1024)
    periods = terminal_minutes / county_terminals / (run.every_s / 60)  # each sheet's periods in those minutes
    return OperationUsage(round(LIVENESS_SHEETS * periods * held), 0, 0.0, LIVENESS_SHEETS * periods * units)


@dataclass
class RulesRun:
    """The rule workers measured at another cadence (a tick every `every_minutes`) over the same metered minutes and
    decoded data: the `Measured` fields of these names."""

    rules: dict[str, OperationUsage]
    rules_cpu_s: float
    rule_tables: dict[str, OperationUsage] = field(default_factory=dict)
    minute_tables: list[dict[str, OperationUsage]] = field(default_factory=list)  # decode + these rules
    # The county host's pass only: each minute's units by how they are timed in a fleet (`MINUTE_PARTS`)
    minute_parts: list[dict[str, dict[str, OperationUsage]]] = field(default_factory=list)
    rule_shard_ticks: int = 0
    rule_sources: dict[str, int] = field(default_factory=dict)
    snapshot_s3: dict[str, int] = field(default_factory=dict)
    snapshot_bytes: float = 0.0


@dataclass
class Measured:
    terminals: int
    points: int
    enterprises: int
    minutes: int  # metered minutes (each: one upload per terminal, decoded, then one rule tick)
    records_per_terminal_minute: float
    record_bytes: float  # the stream record (JSON with the base64 frame)
    frame_bytes: float  # the raw frame as received
    gzip_ratio: float
    decode: dict[str, OperationUsage]
    decode_cpu_s: float  # decode as AWS runs it (no archive items), or with them in an older measurement
    rules: dict[str, OperationUsage]
    rules_cpu_s: float
    storage: list[Growth] = field(default_factory=list)
    decode_tables: dict[str, OperationUsage] = field(default_factory=dict)  # by logical table name
    # The manifest chain over S3 deliveries (functions/on_archive_object.py) run on the metered minutes' objects
    chain: dict[str, OperationUsage] = field(default_factory=dict)  # DynamoDB, all objects
    chain_cpu_s: float = 0.0
    chain_mn_objects: int = 0  # manifest entries written: MNs × objects chained
    chain_objects: int = 0
    chain_records: int = 0
    chain_s3: dict[str, int] = field(default_factory=dict)  # S3 requests by kind (get, put, list), all objects
    chain_manifest_bytes: int = 0  # the manifests as stored (gzip), all objects
    chain_link_bytes: int = 0  # the links on the state table (item sizes), all objects
    # The Lambda archive writer's work (functions/on_frame_batch_archive.py without its S3 PUT) on the metered
    # minutes' stream records in the event source's batches; 0: not measured (an older saved measurement)
    writer_cpu_s: float = 0.0
    writer_records: int = 0
    rule_tables: dict[str, OperationUsage] = field(default_factory=dict)  # by logical table name
    minute_tables: list[dict[str, OperationUsage]] = field(default_factory=list)  # decode + rules, each minute
    minute_parts: list[dict[str, dict[str, OperationUsage]]] = field(default_factory=list)  # see RulesRun
    # Rule shard-ticks handed at random to `rule_containers` warm containers, with per-shard snapshots or not
    rule_containers: int = 1
    rule_snapshots: bool = False
    rule_shard_enterprises: int = 100
    rule_shard_ticks: int = 0  # metered
    rule_sources: dict[str, int] = field(default_factory=dict)  # where points' windows came from: warm/own/...
    snapshot_s3: dict[str, int] = field(default_factory=dict)  # S3 requests on snapshots (get, put), metered
    snapshot_bytes: float = 0.0  # a shard's snapshot as stored (gzip)
    # The rules above tick every `rules_every_minutes`; `cadences` holds them measured at other cadences ("5": ...)
    rules_every_minutes: int = 1
    cadences: dict[str, RulesRun] = field(default_factory=dict)
    # CPU of writing the same frames as archive items (the `current` and `archive_kept` shapes), measured apart;
    # their requests are in `decode` and `decode_tables` ("archive"). None: an older measurement, whose decode ran
    # with archive items and whose `decode_cpu_s` includes them.
    decode_archive_cpu_s: float | None = None
    # The county host's rules (shape `platform_host`): ONE long-lived process calling the one-county
    # `every_minute_evaluate_rules` handler every `host_every_minutes` on the decoded store, no snapshots. None: not
    # measured (an older measurement, or no shape asked for it)
    host_rules: RulesRun | None = None
    host_every_minutes: int = 0
    # The host's sqlite frame queue (local/queue.py) on the metered records: append, take, delete; CPU seconds
    queue_cpu_s: float = 0.0
    queue_records: int = 0
    # The county host's own pass (bench/aws_host_run.py host_pass) on tables of its own: decode through the reading
    # buffer with the bucket flusher's writes (`host_decode*`: usage of both; CPU apart), the readings it left
    # (`host_storage`), `host_bucket_minutes` (0: decode wrote minute items itself). Empty: an older measurement,
    # priced with the serverless pass's decode.
    host_decode: dict[str, OperationUsage] = field(default_factory=dict)
    host_decode_tables: dict[str, OperationUsage] = field(default_factory=dict)
    host_decode_cpu_s: float = 0.0
    host_flush_cpu_s: float = 0.0
    host_flushed_buckets: int = 0
    host_storage: list[Growth] = field(default_factory=list)
    host_bucket_minutes: int = 0
    host_buffer_bytes_per_terminal_minute: float = 0.0
    host_liveness: LivenessRun | None = None  # None: measured before the sheets (decode's items carry liveness)

    @property
    def terminal_minutes(self) -> int:
        return self.terminals * self.minutes

    def per_terminal_minute(self, usage: Mapping[str, OperationUsage]) -> tuple[float, float, float]:
        """(requests, read units, write units) per terminal-minute; a refused conditional write is billed one
        write unit by AWS, which DynamoDB Local does not report (index writes it does report: not added)."""
        req = sum(u.requests for u in usage.values())
        rru = sum(u.read_units for u in usage.values())
        wru = sum(u.write_units for u in usage.values())
        wru += sum(u.errors for op, u in usage.items() if op not in READ_OPERATIONS)
        n = self.terminal_minutes
        return req / n, rru / n, wru / n


@dataclass(frozen=True)
class Line:
    name: str
    usd: float  # for the whole fleet, per month
    how: str


def save_measured(m: Measured, path: Path) -> None:
    """Keep a run's measurement, so a price or shape change is re-priced without measuring again."""
    path.write_text(json.dumps(asdict(m)), encoding="utf-8")


def load_measured(path: Path) -> Measured:
    raw = json.loads(path.read_text(encoding="utf-8"))

    def usage(d: Mapping[str, Any]) -> dict[str, OperationUsage]:
        return {k: OperationUsage(**v) for k, v in d.items()}

    for key in ("decode", "rules", "decode_tables", "chain", "rule_tables"):
        raw[key] = usage(raw[key])
    for key in ("host_decode", "host_decode_tables"):
        raw[key] = usage(raw.get(key, {}))
    raw["host_storage"] = [Growth(**g) for g in raw.get("host_storage", [])]
    raw["minute_tables"] = [usage(x) for x in raw["minute_tables"]]
    raw["storage"] = [Growth(**g) for g in raw["storage"]]

    def parts(rows: list[dict[str, Any]]) -> list[dict[str, dict[str, OperationUsage]]]:
        return [{part: usage(tables) for part, tables in row.items()} for row in rows]

    raw["minute_parts"] = parts(raw.get("minute_parts", []))  # absent from measurements saved before session 18

    def run(d: dict[str, Any]) -> RulesRun:
        for key in ("rules", "rule_tables"):
            d[key] = usage(d[key])
        d["minute_tables"] = [usage(x) for x in d["minute_tables"]]
        d["minute_parts"] = parts(d.get("minute_parts", []))
        return RulesRun(**d)

    raw["cadences"] = {k: run(v) for k, v in raw.get("cadences", {}).items()}
    if raw.get("host_rules") is not None:
        raw["host_rules"] = run(raw["host_rules"])
    if raw.get("host_liveness") is not None:
        raw["host_liveness"] = LivenessRun(**raw["host_liveness"])
    return Measured(**raw)


class Refused(ValueError):
    """A shape that cannot carry a fleet (one county's instance asked for a province, a CPU budget exceeded):
    the report prints "—" with the reason instead of a price."""


def at_cadence(m: Measured, every_minutes: int) -> Measured:
    """The measurement with its rules as measured ticking every `every_minutes` (a shape's rules_every_minutes)."""
    if every_minutes == m.rules_every_minutes:
        return m
    run = m.cadences.get(str(every_minutes))
    if run is None:
        have = sorted({m.rules_every_minutes, *map(int, m.cadences)})
        raise ValueError(f"no rules measured ticking every {every_minutes} min (measured: {have}): measure again")
    kept = {f.name: getattr(run, f.name) for f in fields(RulesRun)}
    return replace(m, rules_every_minutes=every_minutes, cadences={}, **kept)


def at_host(
    m: Measured, every_minutes: int, buckets: int | None = None, *, county_terminals: int | None = None
) -> Measured:
    """The measurement with its rules as the county host runs them (`host_rules`): one warm process, no snapshots,
    ticking every `every_minutes`, and its decode from the host's own pass with reading buckets of `buckets` minutes
    (refused when measured otherwise, or not at all; None: as measured). `county_terminals`: decode's liveness
    sheet writes as a county of that size makes them (`liveness_usage`) instead of the pass's few terminals'."""
    run = m.host_rules
    if run is None:
        raise Refused("no host rules measured (one warm process, the one-county handler): measure again")
    if m.host_every_minutes != every_minutes:
        raise Refused(f"host rules measured every {m.host_every_minutes} min, not {every_minutes}: measure again")
    if buckets is not None and m.host_decode_tables and m.host_bucket_minutes != buckets:
        raise Refused(f"the host measured with {m.host_bucket_minutes}-minute buckets, not {buckets}: measure again")
    kept = {f.name: getattr(run, f.name) for f in fields(RulesRun)}
    if m.host_decode_tables:  # the host's own pass: its decode (and flusher), its tables' contents
        decode, tables = dict(m.host_decode), dict(m.host_decode_tables)
        if m.host_liveness is not None and county_terminals:
            measured = OperationUsage(m.host_liveness.writes, 0, 0.0, float(m.host_liveness.writes))
            fleet = liveness_usage(m.host_liveness, county_terminals, m.terminal_minutes)
            change = fleet + OperationUsage(-measured.requests, 0, 0.0, -measured.write_units)
            decode["PutItem"] = decode.get("PutItem", OperationUsage()) + change
            tables["registry"] = tables.get("registry", OperationUsage()) + change
        kept |= {"decode": decode, "decode_tables": tables, "decode_cpu_s": m.host_decode_cpu_s,
                 "decode_archive_cpu_s": 0.0, "storage": m.host_storage}  # fmt: skip
    return replace(m, rules_every_minutes=m.host_every_minutes, cadences={}, rule_containers=1, rule_snapshots=False,
                   host_rules=None, **kept)  # fmt: skip


def county_size(s: Mapping[str, Any], terminals: int) -> int:
    """The terminals of one county in shape `s`: the tier's mean county (`county_terminals`), else the fleet."""
    return int(s["county_terminals"]) if s.get("host_tier") else terminals


def host_bucket_minutes(shapes: Mapping[str, Any]) -> list[int]:
    """The reading buckets of the county host shapes (`reading_bucket_minutes`, 0: none): what its pass measures."""
    return sorted({int(s.get("reading_bucket_minutes", 0)) for s in shapes.values() if s.get("platform_host")})


def host_cadences(shapes: Mapping[str, Any]) -> list[int]:
    """The cadences of the shapes whose rules run on the county host (what the bench measures with one process)."""
    return sorted({int(s.get("rules_every_minutes", 1)) for s in shapes.values() if s.get("platform_host")})


def cadences_of(shapes: Mapping[str, Any]) -> list[int]:
    """The rule cadences the shapes price, the most frequent first (what the bench measures)."""
    return sorted({int(shape.get("rules_every_minutes", 1)) for shape in shapes.values()})


def load_prices(path: Path = PRICES) -> dict[str, Any]:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def load_shapes(path: Path = SHAPES) -> dict[str, dict[str, Any]]:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def shape_for(shapes: Mapping[str, Any], name: str, terminals: int) -> dict[str, Any]:
    shape = {k: v for k, v in shapes[name].items() if k != "fleet"}
    shape.update(shapes[name].get("fleet", {}).get(str(terminals), {}))
    return shape


# ---- item sizes (DynamoDB's storage formula) -------------------------------------------------------------
def _value_size(value: Mapping[str, Any]) -> int:
    (kind, v), *_ = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "B":
        return len(v)
    if kind == "N":
        digits = len(v.lstrip("-").replace(".", "").strip("0")) or 1
        return (digits + 1) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(x) for k, x in v.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(x) for x in v)
    return sum(len(x.encode()) if isinstance(x, str) else len(x) for x in v)  # sets


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes DynamoDB bills for storing `item` (low-level form), the 100-byte overhead included."""
    return ITEM_OVERHEAD + sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def scan(client: Any, table: str) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def table_growth(client: Any, prefix: str, terminals: int, minutes: int, epoch0: float) -> list[Growth]:
    """What the run left in each table, per terminal-minute by retention (time series) or per terminal
    (registry, state). Retention is read off each item's TTL; `epoch0` is the run's first data time. The chain's
    links (state items `mchain`, one per object, not per terminal) are priced by the chain line instead."""
    out: list[Growth] = []
    for name in client.list_tables()["TableNames"]:
        if not name.startswith(f"{prefix}-"):
            continue
        table = name[len(prefix) + 1 :]
        by_days: dict[int | None, int] = {}
        for item in scan(client, name):
            size = item_size(item)
            if table == "state" and item["pk"]["S"] == "mchain":
                continue
            if "lsi1sk" in item:  # the keys-only local index entry: keys + its sort key + overhead
                size += ITEM_OVERHEAD + sum(len(k) + _value_size(item[k]) for k in ("pk", "sk", "lsi1sk"))
            ttl = item.get("expires_at", {}).get("N")
            days = None if ttl is None else max(1, round((float(ttl) - epoch0) / 86_400))
            by_days[days] = by_days.get(days, 0) + size
        for days, size in sorted(by_days.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
            if table in ("registry", "state"):
                out.append(Growth(table, days, bytes_per_terminal=size / terminals))
            else:
                out.append(Growth(table, days, bytes_per_terminal_minute=size / (terminals * minutes)))
    return out


def stored_gb(m: Measured, terminals: int, month: int, tables: Any = None, *, minute_days: int | None = None) -> float:
    """GB held at the end of `month` (month 1 = the first 30.4 days), in `tables` (None: all); `minute_days`
    replaces the minute readings' retention (400 days) in a what-if."""
    total = 0.0
    for g in m.storage:
        if tables is not None and g.table not in tables:
            continue
        days = minute_days if minute_days is not None and g.table == "readings" and g.retention_days == 400 else None
        days = days or g.retention_days
        kept_min = month * MINUTES if days is None else min(month * MINUTES, days * 1440)
        total += terminals * (g.bytes_per_terminal + g.bytes_per_terminal_minute * kept_min)
    return total / GB


FIREHOSE_BUFFER_BYTES = 128 * 2**20  # the delivery's buffering size (infra/constructs/stream.py)
LAMBDA_PAYLOAD_BYTES = 6 * 2**20  # an invocation's event at most: the event source closes a batch there
# A Kinesis record in a Lambda event: its data in base64 (4/3) plus the envelope (eventID with the shard and
# sequence number twice, partition key, ARNs of the stream and role, region: ≈ 560 B in AWS's documented example)
EVENT_RECORD_OVERHEAD = 560
# Firehose bills the jq processing time of dynamic partitioning by the hour; its rate per record is not
# published. Assumed: 0.7 h per million records (2.5 ms each, as billed), an estimate kept from the first bench.
JQ_HOURS_PER_MILLION = 0.7
WRITER_CPU_S_PER_RECORD = 20e-6  # assumed when a saved measurement has none (measured: ≈ 10–20 µs)


@dataclass(frozen=True)
class ArchiveObjects:
    """Objects written to the raw archive a month, how often each partition gets one, and the writer's batches."""

    objects: float
    every_s: float
    batches: float  # Lambda invocations (writer "lambda"); Firehose buffers otherwise
    partitions: int


def archive_objects(m: Measured, s: Mapping[str, Any], terminals: int, shards: int) -> ArchiveObjects:
    """Firehose: per active partition an object every `firehose_buffer_s` or at 128 MiB (per MN before issue 15:
    one per terminal and buffer). Lambda: per shard a batch closes at the batching window, the batch size or
    6 MB of event, whichever comes first, and writes one object per partition it holds (`archive_partitions`:
    the verdicts present, assumed 2: ok and some unregistered). Host: every `archive_every_s` what its queue holds,
    in cuts of at most `archive_cut_frames`, an object per cut and partition, on each of `host_count` hosts."""
    partitions = int(s.get("archive_partitions", 2))
    records_s = terminals * m.records_per_terminal_minute / 60
    if s.get("archive_writer") == "host":  # each host's archive worker: its queue cut every interval, in cuts of
        every = float(s["archive_every_s"])  # at most `archive_cut_frames` frames
        hosts = int(s.get("host_count", 1))
        cuts = max(1, math.ceil(records_s / hosts * every / s["archive_cut_frames"]))
        batches = SECONDS / every * cuts * hosts
        return ArchiveObjects(batches * partitions, every / cuts / hosts, batches, partitions)
    if s.get("archive_writer", "firehose") == "lambda":
        per_shard = records_s / shards
        event_bytes = m.record_bytes * 4 / 3 + EVENT_RECORD_OVERHEAD
        every_s = min(
            float(s["archive_batching_window"]),
            s["archive_batch_size"] / max(per_shard, 1e-9),
            LAMBDA_PAYLOAD_BYTES / max(per_shard * event_bytes, 1e-9),
        )
        batches = shards * SECONDS / every_s
        return ArchiveObjects(batches * partitions, every_s, batches, partitions)
    if s["firehose_partition_by_mn"]:
        buffers = SECONDS / s["firehose_buffer_s"]
        return ArchiveObjects(terminals * buffers, float(s["firehose_buffer_s"]), buffers, terminals)
    every_s = min(float(s["firehose_buffer_s"]), FIREHOSE_BUFFER_BYTES / max(records_s * m.record_bytes, 1e-9))
    return ArchiveObjects(partitions * SECONDS / every_s, every_s, SECONDS / every_s, partitions)


def lane_imbalance(groups_per_lane: float) -> float:
    """The busiest decode lane's load over the mean when Lambda hashes a shard's partition keys onto its lanes: with
    n keys per lane on average (Poisson), the busiest of some hundred lanes holds about n + 3 √n."""
    return 1 + 3 / math.sqrt(groups_per_lane)


def decode_shards(shards: int, busy: float, s: Mapping[str, Any]) -> int:
    """Shards for `busy` decode lane-seconds a second, from `shards` (what bytes and records need): each lane may be
    busy at most DECODE_LANE_LOAD, so a backlog drains at 1.4 times the live rate or more. A shard has
    `decode_parallelization` lanes; with more than one, the busiest gets `lane_imbalance` × its share, for the
    `stream_groups` partition keys (the listener's) spread over shards × lanes."""
    lanes_per_shard = int(s.get("decode_parallelization", 1))
    groups = int(s.get("stream_groups", 0))
    while True:
        lanes = shards * lanes_per_shard
        worst = 1.0 if lanes_per_shard == 1 else lane_imbalance(max(groups, 1) / lanes)
        if lanes * DECODE_LANE_LOAD >= busy * worst:
            return shards
        shards += 1


def decode_notes(lanes: int, groups: int, parallel: bool) -> tuple[float, float]:
    """(write units, read units) a month of decode's progress notes: a note per lane rewritten every NOTE_EVERY_S
    (billed per KB of the item), and one strongly consistent Query of every note per rule tick (per 4 KB)."""
    per_note = NOTE_ITEM_BYTES + NOTE_GROUP_BYTES * (groups / lanes if parallel else 1)
    wru = lanes * SECONDS / NOTE_EVERY_S * math.ceil(per_note / 1024)
    rru = MINUTES * math.ceil(lanes * per_note / 4096)
    return wru, rru


def put_notes(tasks: int, groups: int, terminals_per_task: float) -> tuple[float, float]:
    """(write units, read units) a month of the listener tasks' put notes: a note per task every NOTE_EVERY_S
    (per KB), read in one strongly consistent Query a tick (per 4 KB). A task's terminals fall into groups at random
    (the load balancer does not know the MN): it puts to about groups × (1 − e^(−terminals/groups)) of them."""
    touched = groups * (1 - math.exp(-terminals_per_task / groups))
    per_note = PUT_NOTE_BYTES + PUT_GROUP_BYTES * groups + PUT_TOUCHED_BYTES * touched
    wru = tasks * SECONDS / NOTE_EVERY_S * math.ceil(per_note / 1024)
    rru = MINUTES * math.ceil(tasks * per_note / 4096)
    return wru, rru


def lambda_seconds(cpu_s: float, function_gb: float) -> float:
    """How long CPU work measured on one core of this machine runs in a function of `function_gb`: below
    1,769 MB a function gets that fraction of a vCPU, so its CPU-bound time (and GB-seconds per CPU-second)
    grows accordingly. Assumes one core here ≈ one Graviton vCPU (replace with Lambda's `Duration`)."""
    return cpu_s * max(1.0, FULL_VCPU_GB / function_gb)


def _chain_line(
    m: Measured, p: Mapping[str, Any], s: Mapping[str, Any], terminals: int, month: int, gbs: float,
    archived: ArchiveObjects,
) -> Line:  # fmt: skip
    """The manifest chain over S3 deliveries: per object one manifest PUT and one link on the state table, whatever
    its MNs; per MN and object a manifest entry stored in S3. A terminal (one partition) uploading once a minute
    is in at most one object a minute."""
    objects, every_s = archived.objects, archived.every_s
    # a terminal is in its own host's objects only (a tier of hosts: `host_count`, each cutting its own queue)
    mn_objects = terminals * min(objects / archived.partitions / s.get("host_count", 1), MINUTES)
    frames = terminals * m.records_per_terminal_minute * MINUTES
    n = max(m.chain_objects, 1)
    req = sum(u.requests for u in m.chain.values()) / n
    rru = sum(u.read_units for u in m.chain.values()) / n
    wru = (sum(u.write_units for u in m.chain.values()) + sum(
        u.errors for op, u in m.chain.items() if op not in READ_OPERATIONS)) / n  # fmt: skip
    ddb, lam, s3 = p["dynamodb"], p["lambda"], p["s3"]
    usd = objects * (wru * ddb["write_request_units_per_million"] + rru * ddb["read_request_units_per_million"]) / 1e6
    links_gb = objects * month * (m.chain_link_bytes / n) / GB  # kept for good, on `state` (PITR where it has it)
    usd += links_gb * (ddb["storage_gb_month"] + (ddb["pitr_gb_month"] if "state" in s["pitr_tables"] else 0.0))
    gets, puts = m.chain_s3.get("get", 0) / n, (m.chain_s3.get("put", 0) + m.chain_s3.get("list", 0)) / n
    usd += objects * (gets * s3["get_per_1000"] + puts * s3["put_per_1000"]) / 1000
    entry_bytes = m.chain_manifest_bytes / max(m.chain_mn_objects, 1)
    manifest_gb = mn_objects * entry_bytes / GB  # a month's manifests, kept like the objects (lifecycle, lock)
    usd += _s3_storage(manifest_gb, month, mn_objects / objects * entry_bytes, s3)
    seconds = (
        lambda_seconds(frames * m.chain_cpu_s / max(m.chain_records, 1), s["function_gb"])
        + objects * (req + gets + puts) * s["dynamodb_request_s"]
    )
    where = ""
    if s.get("chain_on_host"):  # the county host's archive worker chains its own objects: its CPU, no function
        where = " (chained on the host)"
    else:
        usd += seconds * s["function_gb"] * gbs + objects / 1e6 * lam["requests_per_million"]
    how = (
        f"an object every {every_s:,.0f} s{where}: {req:.1f} DynamoDB requests ({wru:.1f} WRU + {rru:.1f} RRU), "
        f"{gets:.1f} GET + {puts:.1f} PUT/LIST; {entry_bytes:.0f} B of manifest per MN and object"
    )
    return Line("Archive chain (S3 deliveries)", usd, how)


# ---- provisioned capacity -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Provisioned:
    """One table's provisioned capacity for a fleet: auto scaling keeps consumed/provisioned at `target`."""

    table: str
    rcu: float
    wcu: float
    read_peak: float  # the busiest metered minute over the mean minute (1.0: flat)
    write_peak: float


def _units(u: OperationUsage) -> tuple[float, float]:
    return u.read_units, u.write_units


BURST_S = 300  # DynamoDB keeps up to 5 minutes of unused capacity for bursts (best effort, not guaranteed)


def needed(mean: float, peak: float, target: float) -> float:
    """Units per second to provision for a load of `mean` units/s whose busiest minute is `peak` × the mean:
    auto scaling holds mean ÷ target, and a one-minute spike (too short for it to react: it needs two minutes
    over target) must fit in that minute's capacity plus the burst saved in the 5 minutes before:
    60 P + 300 (P − mean) ≥ 60 peak × mean."""
    return max(mean / target, mean * (peak + BURST_S / 60) / (1 + BURST_S / 60))


# How the county host's units are timed in a fleet (bench/aws_host_run.py records each minute's units by part):
# "frames": decode's writes, made as frames arrive (the terminals' hourly 2061 uploads land on the hour in every
# terminal at once); "spread": decode's reads (a point's roll-up at its crc32 minute of the hour) and the bucket
# flusher's merges (each point's bucket offset); "tick": the rules' 5-minute tick (every host ticks at once; which
# enterprises a tick re-reads is hashed, so each tick carries an even share in a fleet). Present only on tick minutes.
MINUTE_PARTS = ("frames", "spread", "tick")


def fleet_profile(m: Measured, table: str, terminals: int) -> list[tuple[float, float]]:
    """(read, write) units of `table` in each metered minute as a fleet of `terminals` would spend them, in the
    measured fleet's units (the mean is unchanged): frames as measured; spread and tick units evened out, their
    deviation from their mean shrinking as the square root of the fleet (a sum of independent hashed offsets).
    Measured without parts (the serverless passes, older measurements): the minutes as measured."""
    if not m.minute_parts:
        return [_units(x.get(table, OperationUsage())) for x in m.minute_tables]
    shrink = math.sqrt(min(1.0, m.terminals / terminals))

    def units(row: Mapping[str, Mapping[str, OperationUsage]], part: str) -> tuple[float, float]:
        return _units(row.get(part, {}).get(table, OperationUsage()))

    def evened(values: list[float]) -> list[float]:
        mean = sum(values) / len(values) if values else 0.0
        return [mean + (v - mean) * shrink for v in values]

    rows = m.minute_parts
    frames = [units(r, "frames") for r in rows]
    spread = [units(r, "spread") for r in rows]
    ticked = [i for i, r in enumerate(rows) if "tick" in r]
    ticks = [units(rows[i], "tick") for i in ticked]
    out = []
    for d in (0, 1):  # reads, writes
        tick_at = dict(zip(ticked, evened([t[d] for t in ticks]), strict=True))
        spread_d = evened([x[d] for x in spread])
        out.append([frames[i][d] + spread_d[i] + tick_at.get(i, 0.0) for i in range(len(rows))])
    return list(zip(out[0], out[1], strict=True))


def provisioned(m: Measured, s: Mapping[str, Any], terminals: int) -> list[Provisioned]:
    """Units per provisioned table from the measured mean rate and busiest minute (`needed`), at least
    `provisioned_min_units` per direction for the table and each of its GSIs.

    The busiest minute is the fleet's (`fleet_profile`): where the county host's pass recorded how its units are
    timed, spread and tick units even out in a bigger fleet and the frames' on-the-hour writes stay. Otherwise the
    measured peak factor is used at every fleet size, an upper bound. Below (1 + 5) ÷ 0.7 − 5 ≈ 3.6 × the mean
    it no longer matters: the 70 % target sets the capacity."""
    out = []
    seconds = m.terminal_minutes * 60 / m.terminals  # metered seconds
    for table in s.get("provisioned_tables", ()):
        rru, wru = 0.0, 0.0
        for usage in (m.decode_tables.get(table), m.rule_tables.get(table)):
            if usage is not None:
                rru, wru = rru + usage.read_units, wru + usage.write_units
        per_minute = fleet_profile(m, table, terminals) or [(rru, wru)]
        mean_r, mean_w = rru / len(per_minute), wru / len(per_minute)
        read_peak = max(r for r, _ in per_minute) / mean_r if mean_r else 1.0
        write_peak = max(w for _, w in per_minute) / mean_w if mean_w else 1.0
        floor = s["provisioned_min_units"] * (1 + len(schema.TABLES_BY_NAME[table].indexes))
        scale = terminals / m.terminals / seconds  # measured units → the fleet's units per second
        out.append(
            Provisioned(
                table,
                max(floor, needed(rru * scale, read_peak, s["target_utilisation"])),
                max(floor, needed(wru * scale, write_peak, s["target_utilisation"])),
                read_peak,
                write_peak,
            )
        )
    return out


def _unit_hour(ddb: Mapping[str, Any], kind: str, reserved: bool) -> float:
    """USD per capacity unit-hour; reserved: a year's upfront fee per 100 units spread over its 8,760 hours."""
    if not reserved:
        return float(ddb[f"{kind}_hour"])
    return float(ddb[f"reserved_100_{kind}_upfront_1y"] / 8_760 / 100 + ddb[f"reserved_100_{kind}_hour"] / 100)


def standard_ia(m: Measured, prices: Mapping[str, Any], s: Mapping[str, Any], terminals: int, month: int,
                table: str) -> tuple[float, float]:  # fmt: skip
    """What the Standard-IA table class would change for `table` (USD a month): (storage saved, requests or
    capacity added). IA stores for less and charges more per unit; reserved capacity is not sold for it."""
    every = int(s.get("rules_every_minutes", 1))
    if s.get("platform_host"):
        m = at_host(m, every, s.get("reading_bucket_minutes", 0), county_terminals=county_size(s, terminals))
    else:
        m = at_cadence(m, every)
    ddb = prices["dynamodb"]
    gb = stored_gb(m, terminals, month, tables=[table], minute_days=s.get("minute_reading_days"))
    saved = gb * (ddb["storage_gb_month"] - ddb["standard_ia_storage_gb_month"])
    mine = [p for p in provisioned(m, s, terminals) if p.table == table]
    hours = float(prices["hours_per_month"])
    if mine:
        (p,) = mine
        std = p.rcu * _unit_hour(ddb, "rcu", bool(s.get("dynamodb_reserved"))) + p.wcu * _unit_hour(
            ddb, "wcu", bool(s.get("dynamodb_reserved")))  # fmt: skip
        ia = p.rcu * ddb["standard_ia_rcu_hour"] + p.wcu * ddb["standard_ia_wcu_hour"]
        return saved, (ia - std) * hours
    rru = sum(u.read_units for u in (m.decode_tables.get(table), m.rule_tables.get(table)) if u)
    wru = sum(u.write_units for u in (m.decode_tables.get(table), m.rule_tables.get(table)) if u)
    tm = terminals * MINUTES / m.terminal_minutes
    added = tm * wru * (ddb["standard_ia_write_request_units_per_million"] - ddb["write_request_units_per_million"])
    added += tm * rru * (ddb["standard_ia_read_request_units_per_million"] - ddb["read_request_units_per_million"])
    return saved, added / 1e6


# ---- the bill ---------------------------------------------------------------------------------------------
def decode_work(m: Measured, s: Mapping[str, Any]) -> tuple[float, float]:
    """Decode's (DynamoDB requests, CPU seconds) per terminal-minute in shape `s`, with or without archive items."""
    dreq, _, _ = m.per_terminal_minute(m.decode)
    decode_cpu = m.decode_cpu_s / m.terminal_minutes
    if not s.get("dynamodb_archive", True):
        # The run writes archive items (the `current` and `archive_kept` shapes price them); a shape without the
        # DynamoDB archive makes none of those requests
        archive_req = m.decode_tables.get("archive", OperationUsage()).requests / m.terminal_minutes
        dreq -= archive_req
        if m.decode_archive_cpu_s is None:  # an older run decoded with them: take out their botocore CPU
            # (REQUEST_CPU_S, measured by bench/aws_cost_profile.py: 1.1–1.4 ms per request in this process)
            decode_cpu = max(0.0, decode_cpu - archive_req * REQUEST_CPU_S)
    elif m.decode_archive_cpu_s is not None:
        decode_cpu += m.decode_archive_cpu_s / m.terminal_minutes
    return dreq, decode_cpu


def lines(m: Measured, prices: Mapping[str, Any], shape: Mapping[str, Any], terminals: int, month: int) -> list[Line]:
    p, s, out = prices, shape, []
    every = int(s.get("rules_every_minutes", 1))  # the rules tick every N minutes: 1/N of the calls, as measured
    host = bool(s.get("platform_host"))  # decode, rules and the archive cut on the county's one instance
    tier = bool(s.get("host_tier"))  # a province: N such hosts sharing the stage's tables (bench/aws_cost_hosts.py)
    if host:
        from bench import aws_cost_host, aws_cost_hosts  # they price with this module's types

        if not tier:
            aws_cost_host.one_instance(s, terminals)
        elif not s.get("host_instance_type"):
            return aws_cost_hosts.cheapest(m, prices, shape, terminals, month)
        m = at_host(m, every, s.get("reading_bucket_minutes", 0), county_terminals=county_size(s, terminals))
    else:
        m = at_cadence(m, every)
    hours = float(p["hours_per_month"])
    tm = terminals * MINUTES  # terminal-minutes a month
    frames = tm * m.records_per_terminal_minute
    fps = frames / SECONDS
    ddb = p["dynamodb"]
    archive = m.decode_tables.get("archive", OperationUsage())
    kept_archive = s.get("dynamodb_archive", True)
    decode = dict(m.decode)
    if archive.requests:  # the archive's share of decode on a line of its own
        decode["PutItem"] = decode.get("PutItem", OperationUsage()) + OperationUsage(
            -archive.requests, 0, -archive.read_units, -archive.write_units
        )
        _, a_rru, a_wru = m.per_terminal_minute({"archive": archive})
        usd = (
            tm * (a_wru * ddb["write_request_units_per_million"] + a_rru * ddb["read_request_units_per_million"]) / 1e6
        )
        how = f"{a_wru:.2f} WRU + {a_rru:.2f} RRU/terminal-min" if kept_archive else "raw frames only in S3"
        out.append(Line("DynamoDB archive, decode", usd if kept_archive else 0.0, how))
    capacity = provisioned(m, s, terminals) if s.get("dynamodb_capacity") == "provisioned" else []
    ia_unpriced = set(s.get("standard_ia_tables", ())) - {c.table for c in capacity}
    if ia_unpriced or (s.get("standard_ia_tables") and s.get("dynamodb_reserved")):
        raise ValueError("Standard-IA is priced for provisioned, unreserved tables only (reserved is not sold for it)")
    for label, usage, by_table in (("decode", decode, m.decode_tables), ("rules", m.rules, m.rule_tables)):
        _, rru, wru = m.per_terminal_minute(usage)
        for cap in capacity:  # these tables' units are paid as capacity below, not per request
            _, t_rru, t_wru = m.per_terminal_minute({cap.table: by_table.get(cap.table, OperationUsage())})
            rru, wru = rru - t_rru, wru - t_wru
        out.append(
            Line(
                f"DynamoDB writes, {label}",
                tm * wru * ddb["write_request_units_per_million"] / 1e6,
                f"{wru:.2f} WRU/terminal-min",
            )
        )
        out.append(
            Line(
                f"DynamoDB reads, {label}",
                tm * rru * ddb["read_request_units_per_million"] / 1e6,
                f"{rru:.2f} RRU/terminal-min",
            )
        )
    if capacity:
        reserved = bool(s.get("dynamodb_reserved"))
        wcu_h, rcu_h = _unit_hour(ddb, "wcu", reserved), _unit_hour(ddb, "rcu", reserved)
        ia_wcu_h, ia_rcu_h = ddb["standard_ia_wcu_hour"], ddb["standard_ia_rcu_hour"]
        usd = hours * sum(
            cap.wcu * ia_wcu_h + cap.rcu * ia_rcu_h
            if cap.table in s.get("standard_ia_tables", ())
            else cap.wcu * wcu_h + cap.rcu * rcu_h
            for cap in capacity
        )
        how = ", ".join(
            f"{c.table} {c.wcu:,.0f} WCU (peak ×{c.write_peak:.2f}) + {c.rcu:,.0f} RCU (peak ×{c.read_peak:.2f})"
            for c in capacity
        )
        label = "reserved 1 y" if reserved else "auto scaling"
        out.append(Line(f"DynamoDB provisioned ({label})", usd, f"{how} at {s['target_utilisation']:.0%}"))
    # the DynamoDB archive where a shape keeps it (else the chain over S3 deliveries: its own line)
    kept = [g.table for g in m.storage if kept_archive or g.table != "archive"]
    minute_days = s.get("minute_reading_days")
    ia_tables = [t for t in s.get("standard_ia_tables", ()) if t in kept]
    gb = stored_gb(m, terminals, month, tables=kept, minute_days=minute_days)
    ia_gb = stored_gb(m, terminals, month, tables=ia_tables, minute_days=minute_days)
    usd = (gb - ia_gb) * ddb["storage_gb_month"] + ia_gb * ddb["standard_ia_storage_gb_month"]
    how = f"{gb:,.1f} GB at month end" + (f", {ia_gb:,.1f} GB on Standard-IA" if ia_tables else "")
    out.append(Line("DynamoDB storage", usd, how))
    recoverable = [t for t in s["pitr_tables"] if t in kept]
    pitr = stored_gb(m, terminals, month, tables=recoverable, minute_days=minute_days)
    out.append(Line("DynamoDB PITR", pitr * ddb["pitr_gb_month"], f"{pitr:,.1f} GB in {'/'.join(s['pitr_tables'])}"))

    dreq, decode_cpu = decode_work(m, s)
    if tier:  # each host's archive cuts, address, alarms and log are counted per host
        s = {**s, "host_count": aws_cost_hosts.plan(m, p, s, terminals, decode_cpu).hosts}
    decode_gb = s.get("decode_gb", s["function_gb"])
    decode_busy = lambda_seconds(decode_cpu, decode_gb) + dreq * s["dynamodb_request_s"]  # per terminal-minute

    kin = p["kinesis"]
    stream_bytes = frames * m.record_bytes
    if host:
        shards = 0  # no stream: the listener commits frames to the instance's sqlite queue
    elif s["stream"] == "on_demand":
        kb = math.ceil(m.record_bytes / 1024)
        ingest_gb = frames * kb * 1024 / GB
        usd = hours * kin["on_demand_stream_hour"] + ingest_gb * kin["on_demand_ingest_gb"]
        usd += s["stream_consumers"] * stream_bytes / GB * kin["on_demand_retrieval_gb"]
        shards = max(1, math.ceil(fps * m.record_bytes / 1e6 / 0.5))
        out.append(
            Line("Kinesis (on demand)", usd, f"{ingest_gb:,.0f} GB in (1 KB rounding), {s['stream_consumers']} readers")
        )
    else:
        per_s = fps * m.record_bytes
        shards = max(1, math.ceil(per_s / (1e6 * s["stream_fill"])))
        if not s["kinesis_aggregation"]:
            shards = max(shards, math.ceil(fps / (1000 * s["stream_fill"])))
        shards = decode_shards(shards, terminals * decode_busy / 60, s)
        units = stream_bytes / 25_000 if s["kinesis_aggregation"] else frames * math.ceil(m.record_bytes / 25_000)
        usd = shards * hours * kin["shard_hour"] + units * kin["put_payload_units_per_million"] / 1e6
        how = f"{shards} shard(s) × {s.get('decode_parallelization', 1)} decode lane(s), {units / 1e6:,.1f} M PUT units"
        out.append(Line("Kinesis (provisioned)", usd, how))

    fh, s3, lam = p["firehose"], p["s3"], p["lambda"]
    gbs = lam[f"gb_second_{s['lambda_arch']}"]
    archived = archive_objects(m, s, terminals, shards)
    objects = archived.objects
    writer_calls = 0.0
    if s.get("archive_writer") == "host":
        pass  # the host's archive worker: its CPU is in the instance's budget, its PUTs on the S3 archive line
    elif s.get("archive_writer", "firehose") == "firehose":
        # Firehose bills each record it reads rounded up to 5 KB; aggregated records (≈ one per shard-second) are
        # big. Dynamic partitioning (on in every Firehose shape: per MN, or by date and verdict) adds its GB
        # processed, its objects delivered and its jq hours.
        billed = stream_bytes if s["kinesis_aggregation"] else frames * math.ceil(m.record_bytes / 5_000) * 5_000
        ingest = billed / GB * fh["ingest_gb"]
        partitioning = stream_bytes / GB * fh["dynamic_partitioning_gb"]
        partitioning += objects / 1000 * fh["dynamic_partitioning_objects_per_1000"]
        partitioning += frames / 1e6 * JQ_HOURS_PER_MILLION * fh["jq_hour"]
        how = f"{billed / GB:,.0f} GB billed (${ingest:,.0f}), dynamic partitioning ${partitioning:,.0f}"
        out.append(Line("Firehose", ingest + partitioning, f"{how}, {objects / 1e3:,.0f} k objects"))
    else:
        writer_calls = archived.batches
        per_record = m.writer_cpu_s / m.writer_records if m.writer_records else WRITER_CPU_S_PER_RECORD
        busy = lambda_seconds(frames * per_record, s["function_gb"]) + objects * s["s3_request_s"]
        usd = writer_calls / 1e6 * lam["requests_per_million"] + busy * s["function_gb"] * gbs
        how = (
            f"a batch every {archived.every_s:,.0f} s per shard, {writer_calls / 1e6:,.2f} M calls, "
            f"{per_record * 1e6:.1f} µs CPU per record{'' if m.writer_records else ' (assumed)'} + "
            f"{s['s3_request_s'] * 1000:.0f} ms per PUT; {objects / 1e3:,.0f} k objects"
        )
        out.append(Line(f"Lambda archive writer ({s['lambda_arch']})", usd, how))
    gz_gb_month = frames * m.frame_bytes / m.gzip_ratio / GB
    object_bytes = gz_gb_month * GB / max(objects, 1)
    usd = objects / 1000 * s3["put_per_1000"] + _s3_storage(gz_gb_month, month, object_bytes, s3)
    out.append(Line("S3 archive", usd, f"{gz_gb_month:,.1f} GB gzip a month, objects of {object_bytes / 1e3:,.0f} kB"))

    if not kept_archive:
        out.append(_chain_line(m, p, s, terminals, month, gbs, archived))
    decode_s = tm * decode_busy
    lanes = shards * s.get("decode_parallelization", 1)
    invocations = 0 if host else lanes * s["decode_polls_per_s"] * SECONDS  # each lane's batch: the 1 s window
    usd = invocations / 1e6 * lam["requests_per_million"] + decode_s * decode_gb * gbs
    if not host:
        how = f"{decode_s / 3600:,.0f} h, {invocations / 1e6:.1f} M calls"
        out.append(Line(f"Lambda decode ({s['lambda_arch']})", usd, how))
    tasks = max(s["listener_min_tasks"], math.ceil(terminals / s.get("connections_per_task", terminals)))
    if s.get("decode_notes", True):  # `current` had no progress notes
        # every group key is noted as its own group, whatever the lanes (decode_watermark.group_of)
        wru, rru = decode_notes(lanes, int(s.get("stream_groups", 64)), True)
        usd = (wru * ddb["write_request_units_per_million"] + rru * ddb["read_request_units_per_million"]) / 1e6
        how = f"{lanes} lanes' notes every {NOTE_EVERY_S} s ({wru / 1e6:,.0f} M WRU), read once a tick"
        out.append(Line("DynamoDB decode progress notes", usd, f"{how} ({rru / 1e6:,.1f} M RRU)"))
        wru, rru = put_notes(tasks, int(s.get("stream_groups", 64)), terminals / tasks)
        usd = (wru * ddb["write_request_units_per_million"] + rru * ddb["read_request_units_per_million"]) / 1e6
        how = f"{tasks} listener tasks' notes every {NOTE_EVERY_S} s ({wru / 1e6:,.0f} M WRU), read once a tick"
        out.append(Line("DynamoDB listener put notes", usd, f"{how} ({rru / 1e6:,.1f} M RRU)"))
    if m.rule_snapshots and s.get("rule_snapshots", True):  # `current` had one rules function, no snapshots
        out.append(_snapshot_line(m, p["s3"], terminals, every))
    rule_calls = 0
    if not host:
        rreq, _, _ = m.per_terminal_minute(m.rules)
        rules_cpu = lambda_seconds(m.rules_cpu_s / m.terminal_minutes, s["function_gb"])
        rules_s = tm * (rules_cpu + rreq * s["dynamodb_request_s"])
        rule_calls = MINUTES // every * math.ceil(terminals / s["rules_terminals_per_invocation"])
        usd = rule_calls / 1e6 * lam["requests_per_million"] + rules_s * s["function_gb"] * gbs
        how = f"{rules_s / 3600:,.0f} h, {rule_calls:,} calls (a tick every {every} min)"
        out.append(Line(f"Lambda rules ({s['lambda_arch']})", usd, how))

    if tier:
        out.extend(aws_cost_hosts.tier_lines(m, p, s, terminals, decode_cpu))
        addresses = s["host_count"] + s["nat_gateways"]  # each host's Elastic IP
    elif host:
        out.extend(aws_cost_host.host_lines(m, p, s, terminals, decode_cpu))
        addresses = 1 + s["nat_gateways"]  # the instance's Elastic IP
    elif s.get("listener_compute") == "ec2":
        # One instance holds the Elastic IP and runs the task: no NLB, no Fargate, no task address. A fleet past
        # one instance's connections is priced as that many single-instance listeners, each with its address.
        ec2 = p["ec2"]
        kind = s["listener_instance_type"]
        usd = tasks * (hours * ec2[f"{kind.replace('.', '_')}_hour"] + s["listener_volume_gb"] * ec2["gp3_gb_month"])
        out.append(Line(f"EC2 listener ({kind})", usd, f"{tasks} instance(s), {s['listener_volume_gb']} GB gp3 each"))
        addresses = tasks + s["nat_gateways"]
    else:
        fg = p["fargate"]
        arch = s["listener_arch"]
        task_hour = s["listener_vcpu"] * fg[f"vcpu_hour_{arch}"] + s["listener_gb"] * fg[f"gb_hour_{arch}"]
        spot = min(s["listener_spot_tasks"], tasks)
        usd = hours * task_hour * (tasks - spot * fg["spot_discount"])
        out.append(Line(f"Fargate listener ({arch})", usd, f"{tasks} tasks ({spot} Spot)"))

        elb = p["elb"]
        gb_hour = frames * m.frame_bytes * 1.1 / GB / hours  # frames in, acknowledgements out (≈ 10 %)
        nlcu = max(gb_hour, terminals / 100_000)
        out.append(Line("NLB", hours * (elb["nlb_hour"] + nlcu * elb["nlcu_hour"]), f"{nlcu:.2f} NLCU"))
        addresses = s["azs"] + s["nat_gateways"] + (tasks if s["tasks_public"] else 0)
    vpc = p["vpc"]
    out.append(Line("Public IPv4", addresses * hours * vpc["public_ipv4_hour"], f"{addresses} addresses"))
    if s["nat_gateways"]:
        nat_gb = stream_bytes / GB * 1.1  # Kinesis puts (and registry reads) leave through NAT
        usd = s["nat_gateways"] * hours * vpc["nat_gateway_hour"] + nat_gb * vpc["nat_gateway_gb"]
        out.append(Line("NAT gateways", usd, f"{s['nat_gateways']} × 730 h + {nat_gb:,.0f} GB"))

    if "scheduled_lambda_s_per_minute" in s:  # the scheduled handlers: the same every minute whatever the fleet
        busy = MINUTES * s["scheduled_lambda_s_per_minute"]
        calls = MINUTES * s["scheduled_calls_per_minute"]
        usd = busy * s["function_gb"] * gbs + calls / 1e6 * lam["requests_per_million"]
        how = f"{s['scheduled_lambda_s_per_minute']} s a minute (the sender's safety net and driven runs, and others)"
        out.append(Line(f"Lambda scheduled ({s['lambda_arch']})", usd, how))

    cw = p["cloudwatch"]
    log_gb = (invocations + rule_calls + writer_calls) * s["lambda_log_bytes"] / GB
    hosts = int(s.get("host_count", 1))  # a tier of hosts: each its runner's log, alarms and metric filters
    log_gb += hosts * s.get("host_log_mb_per_day", 0.0) * 30.4 / 1000  # the county host's runner (awslogs driver)
    usd = log_gb * cw["logs_ingest_gb"] + log_gb * s["log_retention_days"] / 30.4 * cw["logs_storage_gb_month"]
    usd += _flow_logs(p, s, terminals, addresses)
    metrics = s["custom_metrics"] + s.get("emf_metrics", 0) + s.get("container_insights_metrics", 0)
    metrics += (hosts - 1) * s.get("host_custom_metrics", 0)
    alarms = s["alarms"] + (hosts - 1) * s.get("host_alarms", 0)
    usd += alarms * cw["alarm_month"] + metrics * cw["custom_metric_month"]
    usd += s["dashboards"] * cw["dashboard_month"]
    how = f"{log_gb:,.1f} GB of logs, {alarms} alarm metrics, {metrics} custom metrics"
    how += f", {s['dashboards']} dashboards"
    out.append(Line("CloudWatch (logs, flow logs, alarms, metrics)", usd, how))
    out.append(Line("KMS keys", s["kms_keys"] * p["kms"]["key_month"], f"{s['kms_keys']} keys"))
    if "secrets" in s:
        waf, sm = p["waf"], p["secrets_manager"]
        usd = s["secrets"] * sm["secret_month"] + s["waf_web_acls"] * waf["web_acl_month"]
        usd += s["waf_rules"] * waf["rule_month"]
        how = f"{s['secrets']} secrets, {s['waf_web_acls']} web ACL with {s['waf_rules']} rule (requests not priced)"
        out.append(Line("Secrets Manager, WAF", usd, how))
    return out


def _snapshot_line(m: Measured, s3: Mapping[str, Any], terminals: int, every: int = 1) -> Line:
    """The rule shards' window snapshots: per shard-tick (one every `every` minutes) one PUT, and one GET where the
    container had not evaluated the shard's previous tick (as measured); a fleet has one shard per
    `rule_shard_enterprises` enterprises."""
    ticks = max(m.rule_shard_ticks, 1)
    gets, puts = m.snapshot_s3.get("get", 0) / ticks, m.snapshot_s3.get("put", 0) / ticks
    shards = math.ceil(terminals * m.enterprises / m.terminals / m.rule_shard_enterprises)
    usd = MINUTES // every * shards * (gets * s3["get_per_1000"] + puts * s3["put_per_1000"]) / 1000
    usd += shards * m.snapshot_bytes / GB * s3["standard_gb_month"]  # one per shard, expired after a day
    how = f"{shards} shard(s): {puts:.2f} PUT + {gets:.2f} GET a shard-tick, {m.snapshot_bytes / 1e3:,.0f} kB each"
    return Line("S3 rule snapshots", usd, how)


def _flow_logs(p: Mapping[str, Any], s: Mapping[str, Any], terminals: int, addresses: int) -> float:
    """VPC flow logs. All traffic: a record per connection and hop every aggregation interval, to CloudWatch Logs.
    Rejects only, to S3 (infra's default): the internet's unsolicited probes of the public addresses, whatever the
    fleet (an assumed rate per address and day), billed as vended logs delivered to S3 and kept `flow_log_days`."""
    cw = p["cloudwatch"]
    if s.get("flow_log_traffic", "ALL") == "ALL":
        gb = terminals * s["flow_log_hops"] * (SECONDS / s["flow_log_interval_s"]) * s["flow_log_record_bytes"] / GB
        return float(gb * cw["vended_logs_gb"] + gb * s["log_retention_days"] / 30.4 * cw["logs_storage_gb_month"])
    gb = addresses * s["flow_log_rejects_per_address_day"] * 30.4 * s["flow_log_record_bytes"] / GB
    kept = min(s["flow_log_days"], 30.4) / 30.4  # a month's records, held up to flow_log_days
    return float(gb * cw["vended_logs_s3_gb"] + gb * kept * p["s3"]["standard_gb_month"])


def _s3_storage(gb_month: float, month: int, object_bytes: float, s3: Mapping[str, Any]) -> float:
    """The archive's stock at the end of `month` by age, through the lifecycle (IA at 30 d, Glacier at 90 d,
    Deep Archive at 365 d: infra's defaults) when objects are big enough to transition."""
    if object_bytes < s3["min_transition_bytes"]:
        return float(gb_month * month * s3["standard_gb_month"])
    usd = 0.0
    for age in range(month):  # whole months of age
        days = age * 30.4
        price = (
            s3["standard_gb_month"]
            if days < 30
            else s3["standard_ia_gb_month"]
            if days < 90
            else s3["glacier_flexible_gb_month"]
            if days < 365
            else s3["deep_archive_gb_month"]
        )
        usd += gb_month * price
    return usd


# ---- the report ---------------------------------------------------------------------------------------------
def minute_profile(m: Measured, table: str) -> tuple[list[float], list[float]]:
    """Read and write units on `table` in each metered minute (decode and rules)."""
    rows = [x.get(table, OperationUsage()) for x in m.minute_tables]
    return [u.read_units for u in rows], [u.write_units for u in rows]


def _profile_lines(m: Measured, table: str) -> list[str]:
    reads, writes = minute_profile(m, table)
    if not reads:
        return []
    out = [
        f"{table} units per metered minute (decode + rules ticking every {m.rules_every_minutes} min; the busiest"
        " minute sizes provisioned capacity):"
    ]
    for label, units in (("RRU", reads), ("WRU", writes)):
        mean = sum(units) / len(units)
        peak = max(units)
        factor = peak / mean if mean else 1.0
        out.append(f"  {label}: mean {mean:.1f}, busiest {peak:.1f} (×{factor:.2f}, minute {units.index(peak)})")
        out.append("    " + " ".join(f"{u:.0f}" for u in units))
    if m.minute_parts:  # the busiest minute as a fleet times these units (fleet_profile: provisioned() uses it)
        for terminals in FLEETS:
            profile = fleet_profile(m, table, terminals)
            peaks = [max(x[d] for x in profile) / (sum(x[d] for x in profile) / len(profile) or 1.0) for d in (0, 1)]
            out.append(
                f"  at {terminals:,} terminals (spread and tick units evened out, the frames' on-the-hour writes"
                f" kept): RRU busiest ×{peaks[0]:.2f}, WRU busiest ×{peaks[1]:.2f}"
            )
    return out


def _usage_table(title: str, m: Measured, usage: Mapping[str, OperationUsage]) -> list[str]:
    n = m.terminal_minutes
    rows = [f"{title} (per terminal-minute; units as DynamoDB Local reports them, index writes included)"]
    rows.append(f"  {'operation':<22}{'requests':>10}{'RRU':>9}{'WRU':>9}{'refused':>9}")
    for op, u in sorted(usage.items()):
        rows.append(
            f"  {op:<22}{u.requests / n:>10.2f}{u.read_units / n:>9.2f}{u.write_units / n:>9.2f}{u.errors / n:>9.2f}"
        )
    req, rru, wru = m.per_terminal_minute(usage)
    rows.append(f"  {'billed':<22}{req:>10.2f}{rru:>9.2f}{wru:>9.2f}   (+1 WRU per refused write)")
    return rows


def _sources(counts: Mapping[str, int]) -> str:
    total = sum(counts.values()) or 1
    return ", ".join(f"{k} {v / total:.0%}" for k, v in sorted(counts.items()) if v) or "-"


def report(m: Measured, prices: Mapping[str, Any], shapes: Mapping[str, Any] | None = None) -> str:
    shapes = shapes if shapes is not None else load_shapes()
    out = [
        "",
        f"fleet: {m.enterprises} enterprises, {m.terminals} terminals, {m.points} points; {m.minutes} minutes metered",
        f"stream records: {m.records_per_terminal_minute:.2f} per terminal-minute, {m.record_bytes:,.0f} B each"
        f" (raw frame {m.frame_bytes:,.0f} B, gzip {m.gzip_ratio:.1f}:1)",
        f"rules: shard-ticks at random on {m.rule_containers} warm container(s), snapshots "
        f"{'on' if m.rule_snapshots else 'off'}; points' windows: {_sources(m.rule_sources)}",
        f"CPU in this process: decode {m.decode_cpu_s / m.terminal_minutes * 1000:.1f} ms"
        + (
            f" (+ {m.decode_archive_cpu_s / m.terminal_minutes * 1000:.1f} ms for archive items, where kept)"
            if m.decode_archive_cpu_s is not None
            else " (archive items included)"
        )
        + f" and rules {m.rules_cpu_s / m.terminal_minutes * 1000:.1f} ms per terminal-minute (a tick every"
        f" {m.rules_every_minutes} min)",
        *(
            f"rules ticking every {k} min: {r.rules_cpu_s / m.terminal_minutes * 1000:.1f} ms CPU per terminal-minute,"
            f" {r.rule_shard_ticks} shard-ticks metered; points' windows: {_sources(r.rule_sources)}"
            for k, r in sorted(m.cadences.items(), key=lambda kv: int(kv[0]))
        ),
        *(
            [
                f"rules on the county host (one warm process, the one-county handler every {m.host_every_minutes} min,"
                f" no snapshots): {m.host_rules.rules_cpu_s / m.terminal_minutes * 1000:.1f} ms CPU per"
                f" terminal-minute, {m.host_rules.rule_shard_ticks} ticks metered; the host's frame queue"
                f" {m.queue_cpu_s / max(m.queue_records, 1) * 1e6:.0f} µs CPU per record (append, take, delete)"
            ]
            if m.host_rules is not None
            else []
        ),
        *(
            [
                f"decode on the county host (its own pass, reading buckets of {m.host_bucket_minutes} min"
                f"{'' if m.host_bucket_minutes else ': off'}): {m.host_decode_cpu_s / m.terminal_minutes * 1000:.1f}"
                f" ms CPU per terminal-minute, the bucket flusher {m.host_flush_cpu_s / m.terminal_minutes * 1000:.2f}"
                f" ms ({m.host_flushed_buckets} buckets metered); the reading buffer"
                f" {m.host_buffer_bytes_per_terminal_minute:.0f} B per terminal-minute held"
            ]
            if m.host_decode_tables
            else []
        ),
        "",
        *_usage_table("decode", m, m.decode),
        "",
        *_usage_table(f"rules, a tick every {m.rules_every_minutes} min", m, m.rules),
        "",
        *(
            row
            for k, r in sorted(m.cadences.items(), key=lambda kv: int(kv[0]))
            for row in (*_usage_table(f"rules, a tick every {k} min", m, r.rules), "")
        ),
        *(
            (
                *_usage_table(
                    f"rules on the county host, a tick every {m.host_every_minutes} min", m, m.host_rules.rules
                ),
                "",
            )
            if m.host_rules is not None
            else ()
        ),
        *(
            (*_usage_table("decode and the bucket flusher on the county host", m, m.host_decode), "")
            if m.host_decode_tables
            else ()
        ),
        "by table (per terminal-minute; refused writes name no table: '?'):",
    ]
    tables = [("decode", m.decode_tables), ("rules", m.rule_tables)]
    if m.host_decode_tables:
        tables.append(("host decode", m.host_decode_tables))
        if m.host_rules is not None:
            tables.append(("host rules", m.host_rules.rule_tables))
    for label, by_table in tables:
        for name, u in sorted(by_table.items()):
            n = m.terminal_minutes
            req, rru, wru = u.requests / n, u.read_units / n, u.write_units / n
            out.append(f"  {label:<11} on {name:<10}{req:>8.2f} requests{rru:>7.2f} RRU{wru:>7.2f} WRU")
    out += ["", *_profile_lines(m, "readings")]
    for k in sorted(map(int, m.cadences)):
        out += _profile_lines(at_cadence(m, k), "readings")
    if m.host_rules is not None:
        out += ["(the county host:)", *_profile_lines(at_host(m, m.host_every_minutes), "readings")]
    if m.host_storage:
        out += ["", "stored bytes, the county host's own pass:"]
        out += [f"  {g.table:<10} {g.retention_days or 'kept'} d: {g.bytes_per_terminal_minute:,.0f} B per"
                f" terminal-minute" for g in m.host_storage if g.bytes_per_terminal_minute]  # fmt: skip
    out += ["", "stored bytes (DynamoDB's item-size formula, +100 B per item and index entry):"]
    for g in m.storage:
        kept = "kept" if g.retention_days is None else f"{g.retention_days} d"
        if g.bytes_per_terminal:
            out.append(f"  {g.table:<10}{kept:>8}  {g.bytes_per_terminal:>10,.0f} B per terminal")
        else:
            out.append(f"  {g.table:<10}{kept:>8}  {g.bytes_per_terminal_minute:>10,.0f} B per terminal-minute")
    cols = [(t, mo) for t in FLEETS for mo in MONTHS]
    for name in shapes:
        out += ["", f"USD per terminal-month, shape '{name}': {shapes[name]['title']}"]
        out.append(f"  prices: {prices['region']} list prices, read {prices['read']}")
        head = "".join(f"{f'{t:,} m{mo}':>15}" for t, mo in cols)
        out.append(f"  {'line':<46}{head}")
        table: dict[tuple[int, int], list[Line]] = {}
        refused: dict[int, str] = {}  # by fleet: a shape refuses a fleet whatever the month
        for c in cols:
            try:
                table[c] = lines(m, prices, shape_for(shapes, name, c[0]), *c)
            except Refused as exc:
                refused[c[0]] = str(exc)
        dash = f"{'—':>15}"
        priced = [c for c in cols if c in table]
        for i, line in enumerate(table[priced[0]] if priced else []):
            cells = "".join(f"{table[c][i].usd / c[0]:>15.4f}" if c in table else dash for c in cols)
            out.append(f"  {line.name:<46}{cells}")
        totals = "".join(f"{sum(x.usd for x in table[c]) / c[0]:>15.4f}" if c in table else dash for c in cols)
        out.append(f"  {'TOTAL':<46}{totals}")
        if (FLEETS[0], MONTHS[0]) in table:
            notes = "; ".join(f"{x.name}: {x.how}" for x in table[(FLEETS[0], MONTHS[0])])
            out.append(f"  at {FLEETS[0]:,} terminals, month 1: {notes}")
        out += [f"  not priced at {t:,} terminals: {why}" for t, why in refused.items()]
        if shapes[name].get("host_tier"):
            out += _tier_alternatives(m, prices, shapes, name, [c for c in cols if c[0] not in refused])
        elif shapes[name].get("platform_host"):
            out += _host_budgets(m, prices, shape_for(shapes, name, FLEETS[0]))
        ia = {c: standard_ia(m, prices, shape_for(shapes, name, c[0]), *c, "readings") for c in priced}
        cells = "".join(f"{(ia[c][1] - ia[c][0]) / c[0]:>+15.4f}" if c in ia else dash for c in cols)
        out.append(f"  {'readings Standard-IA vs Standard (+ = IA dearer)':<46}{cells}")
    return "\n".join(out)


def _host_budgets(m: Measured, prices: Mapping[str, Any], s: Mapping[str, Any]) -> list[str]:
    from bench import aws_cost_host  # it prices with this module's types

    try:
        host = at_host(m, int(s.get("rules_every_minutes", 1)))
    except Refused:
        return []  # said on the shape's "not priced" lines
    return aws_cost_host.budgets(host, prices, s, FLEETS[0], decode_work(host, s)[1])


def _tier_alternatives(m: Measured, prices: Mapping[str, Any], shapes: Mapping[str, Any], name: str,
                       cols: list[tuple[int, int]]) -> list[str]:  # fmt: skip
    from bench import aws_cost_hosts  # it prices with this module's types

    out = []
    for t, mo in cols:
        s = shape_for(shapes, name, t)
        if mo == MONTHS[0]:
            hosts = [x for x in lines(m, prices, s, t, mo) if x.name == "EC2 hosts"]
            out += [f"  EC2 hosts at {t:,} terminals: {x.how}" for x in hosts]
            if not s.get("host_instance_type"):
                out += aws_cost_hosts.alternatives(m, prices, s, t, mo)
    return out
