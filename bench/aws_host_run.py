"""The county host in the cost bench: a pass of its own over the same fleet, as `local` runs it on DynamoDB (decode
through the reading buffer, the bucket flusher every minute, the rules in one process with the one-county handler),
and the CPU of its sqlite frame queue.

More: docs/deploy.md, "Cost per terminal-month" (the `county_host` shape).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench import aws_cost_model as model
from bench import aws_fleet
from functions import _wiring
from local.bucket_flusher import GRACE_S, BucketFlusher
from local.config import LocalSettings
from local.county_rules import CountyRules
from local.pipeline import LambdaContextStub
from local.queue import FrameQueue
from local.reading_buffer import BUFFER_FILE, BufferedReadings
from local.scheduler import scheduled_event
from local.workers import EVALUATE_JOB, HOST_LIVENESS_S, buffered_store
from monitoring.clock import FixedClock
from monitoring.ingest.isolate import decode_isolating
from monitoring.storage.dynamodb.metering import CapacityMeter, OperationUsage

# The listener commits what its 100 ms linger gathered (≈ 7.6 records at 1,500 terminals × 3 a minute); the decode
# worker is woken after each commit (local/app.py WakeUps) and takes what is there: about one commit's records a
# batch, not what a second's window gathers (a backlog makes batches larger)
APPEND_BATCH = 8
TAKE_BATCH = APPEND_BATCH
HOST_DECODE_BATCH = APPEND_BATCH


def _delta(now: dict[str, OperationUsage], before: dict[str, OperationUsage]) -> dict[str, OperationUsage]:
    out = {}
    for key, u in now.items():
        was = before.get(key, OperationUsage())
        diff = OperationUsage(u.requests - was.requests, u.errors - was.errors, u.read_units - was.read_units,
                              u.write_units - was.write_units)  # fmt: skip
        if diff.requests:
            out[key] = diff
    return out


def _add(into: dict[str, OperationUsage], more: dict[str, OperationUsage]) -> None:
    for key, u in more.items():
        into[key] = into.get(key, OperationUsage()) + u


class HostRules:
    """local/workers.py `rules_main`: the runner's handler (local/county_rules.py `CountyRules` over the wiring's
    county) called by one long-lived process on each `every`-minute boundary with the scheduler's event, on the wiring
    `_wiring.configure` set (the decoded store, RULES_EVERY_MINUTES = `every`, no snapshot bucket). Its warm caches
    live across ticks as in that process."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.handler = CountyRules([_wiring.get_settings().county_id]).handler
        self.cpu = 0.0
        self.ticks = 0
        self.usage: dict[str, OperationUsage] = {}
        self.tables: dict[str, OperationUsage] = {}
        self.minutes: list[dict[str, OperationUsage]] = []
        self.parts: list[dict[str, dict[str, OperationUsage]]] = []  # model.MINUTE_PARTS, each minute

    def _evaluate(self, at: datetime) -> None:
        self.handler(scheduled_event(at, EVALUATE_JOB), LambdaContextStub())

    def tick(
        self,
        meter: CapacityMeter,
        at: datetime,
        decoded: dict[str, OperationUsage],
        parts: dict[str, dict[str, OperationUsage]] | None = None,
    ) -> float:
        """The tick at `at` if it is a boundary of this cadence (after the minute's decode, whose units are `decoded`
        and, timed as model.MINUTE_PARTS says, `parts`); its CPU seconds."""
        minute = dict(decoded)
        row = dict(parts or {})
        spent = 0.0
        if at.minute % self.every == 0:
            before, by_table, cpu = meter.snapshot(), meter.by_table(), time.process_time()
            self._evaluate(at)
            spent = time.process_time() - cpu
            _add(self.usage, _delta(meter.snapshot(), before))
            mine = _delta(meter.by_table(), by_table)
            _add(self.tables, mine)
            _add(minute, mine)
            row["tick"] = mine
            self.ticks += 1
        self.minutes.append(minute)
        self.parts.append(row)
        return spent

    def start_metering(self) -> None:
        self.ticks = 0
        self.usage.clear()
        self.tables.clear()
        self.minutes.clear()
        self.parts.clear()

    def result(self, prefix: str) -> model.RulesRun:
        def logical(usage: dict[str, OperationUsage]) -> dict[str, OperationUsage]:
            return {name.removeprefix(f"{prefix}-"): u for name, u in usage.items()}

        return model.RulesRun(
            rules=dict(self.usage),
            rules_cpu_s=self.cpu,
            rule_tables=logical(self.tables),
            minute_tables=[logical(x) for x in self.minutes],
            minute_parts=[{part: logical(x) for part, x in row.items()} for row in self.parts],
            rule_shard_ticks=self.ticks,
        )


def queue_cpu(
    records: list[bytes], append_batch: int = APPEND_BATCH, take_batch: int = TAKE_BATCH
) -> tuple[float, int]:
    """(CPU seconds, records deleted) of the host's frame queue for `records` (stream records, as the listener queues
    them): appended in the listener's batches, each committed and fsync'd; taken by decode after each commit;
    deleted once done. The records are parsed before the clock starts. Not measured: the archive cut's own
    mark (its worker is not built here)."""
    parsed = [json.loads(r) for r in records]
    deleted = 0
    with tempfile.TemporaryDirectory(prefix="host-queue-") as tmp:
        queue = FrameQueue(Path(tmp) / "queue.db")
        try:
            cpu = time.process_time()
            for i in range(0, len(parsed), append_batch):
                queue.append(parsed[i : i + append_batch])
                deleted += queue.done([q.seq for q in queue.take(take_batch)])
            while batch := queue.take(take_batch):
                deleted += queue.done([q.seq for q in batch])
            spent = time.process_time() - cpu
        finally:
            queue.close()
    return spent, deleted


@dataclass
class HostPass:
    """What the county host's pass measured over the metered minutes. Decode's usage includes the bucket flusher's
    (on the host it is how minute readings reach DynamoDB); their CPU is kept apart."""

    bucket_minutes: int
    decode: dict[str, OperationUsage] = field(default_factory=dict)
    decode_tables: dict[str, OperationUsage] = field(default_factory=dict)
    decode_cpu_s: float = 0.0
    flush_cpu_s: float = 0.0
    flushed_buckets: int = 0  # metered
    rules: model.RulesRun | None = None
    storage: list[model.Growth] = field(default_factory=list)
    buffer_bytes_per_terminal_minute: float = 0.0  # the reading buffer's file (and WAL) over what it holds
    liveness: model.LivenessRun | None = None  # the liveness sheets decode wrote (None: off)


def host_pass(args: Any, base: Any, url: str, start: datetime, every: int, bucket_minutes: int) -> HostPass:
    """The county host over the bench's fleet on tables of its own: decode (the Lambda handler's decoder, as the
    host's decode worker calls it, in batches of about one listener commit) through the reading buffer when
    `bucket_minutes` is set, the flusher's pass once a minute, the rules every `every` minutes in one warm process.
    `base` is the bench's wiring Settings (the AWS stage's decode caches)."""
    prefix = f"host{uuid.uuid4().hex[:8]}"
    clock = FixedClock(start)
    # READING_BUCKETS as the county-host stage sets it (with platform_host, whatever the bucket minutes): reads the
    # buffer cannot answer alone ask DynamoDB for both layouts
    # TERMINAL_LIVENESS_S as local/workers.py gives the host's decode
    settings = base.model_copy(update={"dynamodb_table_prefix": prefix, "dynamodb_endpoint": url,
                                       "rules_every_minutes": every, "reading_buckets": True,
                                       "terminal_liveness_s": HOST_LIVENESS_S})  # fmt: skip
    out = HostPass(bucket_minutes)
    with tempfile.TemporaryDirectory(prefix="host-pass-") as tmp:
        local = LocalSettings(data_dir=tmp, store="dynamodb", api=False, dynamodb_table_prefix=prefix,
                              reading_bucket_minutes=bucket_minutes, evaluate_every_s=every * 60)  # fmt: skip
        _wiring.configure(settings, clock=clock)
        opened: list[Any] = []
        if bucket_minutes:  # as local/workers.py use_reading_buffer, keeping the store under it for the meter

            def wrap(store: Any) -> Any:
                opened.append(store)
                return buffered_store(store, local, clock)

            _wiring.use_store_wrapper(wrap)
        store = _wiring.get_store()
        backend = aws_fleet.backend_of(opened[0] if opened else store)
        backend.create_tables(enable_ttl=False)
        meter = backend.meter
        buffered = store.readings if isinstance(store.readings, BufferedReadings) else None
        flusher = BucketFlusher(buffered.buffer, buffered.dynamo) if buffered is not None else None
        try:
            fleet, doc = aws_fleet.build(args.enterprises, start)
            aws_fleet.register(store, doc)
            rules = HostRules(every)
            metered_from = args.minutes - args.measure
            notes, sheet_writes = _wiring.get_liveness_notes(), 0
            for minute in range(args.minutes):
                at = start + timedelta(minutes=minute)
                arrivals = sorted(aws_fleet.minute_records(fleet, minute), key=lambda a: a[0])
                began = meter.by_table()
                usage: dict[str, OperationUsage] = {}
                decode_cpu = flush_cpu = 0.0
                writes_before = notes.writes if notes is not None else 0
                for batch in aws_fleet.batches(arrivals, 60.0, HOST_DECODE_BATCH):
                    clock.set(batch[-1][0] + timedelta(milliseconds=200))
                    items = [(str(i), r) for i, (_, r) in enumerate(batch)]
                    decode_cpu += _metered(meter, usage, partial(decode_isolating, items, _wiring.new_decoder))
                tick = at + timedelta(minutes=1)
                decode_only, after_decode = _delta(meter.by_table(), began), meter.by_table()
                if flusher is not None:  # the flusher's pass of this minute (its worker: every 60 s)
                    clock.set(tick)
                    before = flusher.totals.buckets
                    flush_cpu = _metered(meter, usage, partial(flusher.flush_due, tick))
                    if minute >= metered_from:
                        out.flushed_buckets += flusher.totals.buckets - before
                decoded = _delta(meter.by_table(), began)
                clock.set(tick + timedelta(seconds=1))
                cpu = rules.tick(meter, tick, decoded, _timed(decode_only, _delta(meter.by_table(), after_decode)))
                if minute == metered_from - 1:
                    rules.start_metering()
                if minute >= metered_from:
                    sheet_writes += (notes.writes if notes is not None else 0) - writes_before
                    rules.cpu += cpu
                    out.decode_cpu_s += decode_cpu
                    out.flush_cpu_s += flush_cpu
                    _add(out.decode, usage)
                    _add(out.decode_tables, decoded)
            out.rules = rules.result(prefix)
            if notes is not None:
                out.liveness = liveness_run(backend.client, prefix, sheet_writes, notes.every.total_seconds())
            out.decode_tables = {name.removeprefix(f"{prefix}-"): u for name, u in out.decode_tables.items()}
            terminals = len(fleet.terminals)
            if flusher is not None:  # every bucket written, so that the tables hold the whole run (storage)
                end = start + timedelta(minutes=args.minutes + bucket_minutes, seconds=GRACE_S + 60)
                clock.set(end)
                flusher.flush_due(end)
                _, used = buffer_used(Path(tmp) / BUFFER_FILE)  # the whole run: shorter than the buffer's keep
                out.buffer_bytes_per_terminal_minute = used / (terminals * args.minutes)
            out.storage = model.table_growth(backend.client, prefix, terminals, args.minutes, start.timestamp())
        finally:
            backend.delete_tables()
            _wiring.configure(None)
            store.close()
    return out


def liveness_run(client: Any, prefix: str, writes: int, every_s: float) -> model.LivenessRun:
    """The sheets as stored, sized as DynamoDB bills an item's write (model.item_size without storage's overhead):
    what one entry adds and what a sheet weighs with none, so the model can size a county's sheets. Each write here
    must have been one unit."""
    items = [i for i in model.scan(client, f"{prefix}-registry") if i["pk"]["S"].startswith("liveness#")]

    def item_bytes(item: dict[str, Any]) -> int:
        return model.item_size(item) - model.ITEM_OVERHEAD

    if not items:
        return model.LivenessRun(writes, every_s, 0, 0.0, 0.0)
    sizes = [item_bytes(i) for i in items]
    if max(sizes) > 1024:
        raise RuntimeError(f"a liveness sheet of {max(sizes)} bytes: its writes were not one unit each")
    entries, empty = 0, []
    for item in items:
        body = json.loads(item["body"]["S"])
        entries += len(body["seen"])
        bare = {**item, "body": {"S": json.dumps({**body, "seen": {}}, ensure_ascii=False, sort_keys=True)}}
        empty.append(item_bytes(bare))
    per_entry = (sum(sizes) - sum(empty)) / entries if entries else 0.0
    return model.LivenessRun(writes, every_s, len(items), sum(empty) / len(empty), per_entry)


def _timed(
    decoded: dict[str, OperationUsage], flushed: dict[str, OperationUsage]
) -> dict[str, dict[str, OperationUsage]]:
    """A minute's decode and flush units as model.MINUTE_PARTS times them: decode's writes as its frames arrive;
    its reads (the roll-ups at each point's minute) and the flusher's merges spread."""
    frames = {t: OperationUsage(u.requests, u.errors, 0.0, u.write_units) for t, u in decoded.items()}
    spread = {t: OperationUsage(0, 0, u.read_units, 0.0) for t, u in decoded.items() if u.read_units}
    _add(spread, flushed)
    return {"frames": frames, "spread": spread}


def _metered(meter: CapacityMeter, into: dict[str, OperationUsage], work: Any) -> float:
    """Run `work`, add its DynamoDB usage (by operation) to `into`; its CPU seconds in this process."""
    before, cpu = meter.snapshot(), time.process_time()
    work()
    spent = time.process_time() - cpu
    _add(into, _delta(meter.snapshot(), before))
    return spent


def buffer_used(path: Path) -> tuple[int, int]:
    """(rows, bytes in use) of the reading buffer's file once its WAL is checkpointed into it: what a snapshot of
    the volume holds for it (free pages left by prunes are reused, not counted)."""
    conn = sqlite3.connect(str(path))
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (rows,) = conn.execute("SELECT count(*) FROM readings").fetchone()
        pages, free, size = (conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_count", "freelist_count",
                                                                                      "page_size"))  # fmt: skip
    finally:
        conn.close()
    return int(rows), int((pages - free) * size)
