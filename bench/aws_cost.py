"""`make bench-aws-cost`: decode and rules on DynamoDB Local with the demo fleet, priced per terminal-month.

More: docs/deploy.md, "Module notes".
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support when run as a script
# As local/workers.py runs the handlers on the county host: no EMF printed, warnings only (read at import)
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from bench import aws_cost_model as model  # noqa: E402
from bench import aws_fleet  # noqa: E402
from bench.aws_host_run import host_pass, queue_cpu  # noqa: E402
from functions import _wiring  # noqa: E402
from functions.adapters.archive_objects import frames_of  # noqa: E402
from functions.on_frame_batch_archive import stream_records  # noqa: E402
from infra.settings import StageSettings  # noqa: E402
from monitoring.archive.manifest_chain import ManifestChain  # noqa: E402
from monitoring.archive.models import RawFrame  # noqa: E402
from monitoring.archive.raw_objects import batch_objects  # noqa: E402
from monitoring.clock import FixedClock  # noqa: E402
from monitoring.ingest.isolate import decode_isolating  # noqa: E402
from monitoring.ingest.records import parse_record  # noqa: E402
from monitoring.rules import decode_watermark  # noqa: E402
from monitoring.rules.event_cache import TerminalEventCache  # noqa: E402
from monitoring.rules.people_cache import PeopleDocsCache  # noqa: E402
from monitoring.rules.ports import RuleStateRepository  # noqa: E402
from monitoring.rules.shards import Shard, plan_ticks, resume, retick  # noqa: E402
from monitoring.rules.state_cache import RuleStateCache  # noqa: E402
from monitoring.rules.store_inputs import BACKFILL_PREFIX, StoreRuleInputs  # noqa: E402
from monitoring.rules.warm_shards import WarmShards, evaluate_warm_shard  # noqa: E402
from monitoring.storage.dynamodb.adapter import DynamoDBBackend  # noqa: E402
from monitoring.storage.dynamodb.metering import CapacityMeter, OperationUsage  # noqa: E402
from monitoring.storage.ports import Store  # noqa: E402
from tests.support import dynamodb_local  # noqa: E402
from tests.support.archive_objects import VersionedObjects  # noqa: E402

START = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 08:00 Beijing time: shifts start
OBJECT_MINUTES = 15  # the stage's Firehose buffering interval (900 s), which closes every object at 1,500 terminals
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"}


def _delta(meter: CapacityMeter, before: dict[str, OperationUsage]) -> dict[str, OperationUsage]:
    return _delta_of(meter.snapshot(), before)


def _delta_of(now: dict[str, OperationUsage], before: dict[str, OperationUsage]) -> dict[str, OperationUsage]:
    out = {}
    for op, usage in now.items():
        was = before.get(op, OperationUsage())
        out[op] = OperationUsage(
            usage.requests - was.requests,
            usage.errors - was.errors,
            usage.read_units - was.read_units,
            usage.write_units - was.write_units,
        )
    return {op: u for op, u in out.items() if u.requests}


def _add(into: dict[str, OperationUsage], more: dict[str, OperationUsage]) -> None:
    for op, usage in more.items():
        into[op] = into.get(op, OperationUsage()) + usage


def _metered(meter: CapacityMeter, into: dict[str, OperationUsage], work: Callable[[], Any]) -> float:
    """Run `work`, add its DynamoDB usage to `into`; returns this process's CPU seconds for it."""
    before, cpu = meter.snapshot(), time.process_time()
    work()
    spent = time.process_time() - cpu
    _add(into, _delta(meter, before))
    return spent


def _logical(usage: dict[str, OperationUsage], *prefixes: str) -> dict[str, OperationUsage]:
    """By logical table name (a second rule run's own tables, under their prefix, added to the same names)."""
    out: dict[str, OperationUsage] = {}
    for name, u in usage.items():
        for prefix in prefixes:
            name = name.removeprefix(f"{prefix}-")
        out[name] = out.get(name, OperationUsage()) + u
    return out


def writer_cpu(records: list[bytes], batch_size: int) -> float:
    """CPU seconds of the Lambda archive writer's own work on `records` (the event's JSON parsed, base64 decoded,
    partitions, lines, gzip; not its S3 PUT), in batches as its event source makes them (≤ `batch_size` records,
    ≤ 6 MB of event). The events are built before the clock starts."""
    events: list[str] = []
    batch: list[dict[str, Any]] = []
    size = 0.0
    for i, record in enumerate(records):
        seq = f"{i:056d}"
        entry = {
            "kinesis": {"sequenceNumber": seq, "data": base64.b64encode(record).decode("ascii"),
                        "approximateArrivalTimestamp": START.timestamp() + i / 100, "partitionKey": "-"},
            "eventID": f"shardId-000000000000:{seq}",
        }  # fmt: skip
        grows = len(record) * 4 / 3 + model.EVENT_RECORD_OVERHEAD
        if batch and (len(batch) >= batch_size or size + grows > model.LAMBDA_PAYLOAD_BYTES):
            events.append(json.dumps({"Records": batch}))
            batch, size = [], 0.0
        batch.append(entry)
        size += grows
    if batch:
        events.append(json.dumps({"Records": batch}))
    cpu = time.process_time()
    for event in events:
        batch_objects(*stream_records(json.loads(event)))
    return time.process_time() - cpu


class DecodeNotesShared:
    """A second rule run's state (bench only): decode's notes (backfill, progress) where decode wrote them, everything
    the rules keep (tick marks, watermarks, daily figures, status) in the run's own state table."""

    SHARED = (BACKFILL_PREFIX, decode_watermark.PREFIX)

    def __init__(self, decoded: RuleStateRepository, own: RuleStateRepository) -> None:
        self._decoded, self._own = decoded, own

    def _of(self, key: str) -> RuleStateRepository:
        return self._decoded if key.startswith(self.SHARED) else self._own

    def get(self, key: str) -> dict[str, Any] | None:
        return self._of(key).get(key)

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._of(key).put(key, value)

    def delete(self, key: str) -> None:
        self._of(key).delete(key)

    def keys(self, prefix: str) -> list[str]:
        return self._of(prefix).keys(prefix)

    def documents(self, prefix: str, start: str = "") -> dict[str, dict[str, Any]]:
        return self._of(prefix).documents(prefix, start)


class RuleContainers:
    """The rule workers' warm Lambda containers: each shard-tick goes to one of them at random (seeded), as SQS
    message groups are not tied to containers. Each keeps what a container keeps (its windows, topology, config, event
    notes, state and people-written documents, as functions/_wiring.py builds them for a tick every `every` minutes);
    with snapshots they share a bucket (requests counted)."""

    def __init__(self, store: Store, county: str, n: int, snapshots: bool, seed: int, every: int = 1) -> None:
        self.bucket = VersionedObjects() if snapshots else None
        self.pool: list[tuple[StoreRuleInputs, Any, WarmShards, RuleStateCache, PeopleDocsCache]] = []
        self.county = county
        self.rng = random.Random(seed)
        self.store, self.shard_ticks, self.snapshot_bytes = store, 0, 0
        for _ in range(n):
            reader = store.sample_reader() if store.sample_reader is not None else None
            events = TerminalEventCache(refresh=timedelta(minutes=60), max_gap=timedelta(minutes=15 * every))
            inputs = StoreRuleInputs(store, store.rule_state, county, reader=reader, event_cache=events)
            cache = getattr(reader, "cache", None)
            if cache is None:
                raise RuntimeError("the store's sample reader keeps no windows")
            config = inputs.config(_wiring.get_rule_config())  # the county's parameters, read by each container
            state = RuleStateCache(refresh=timedelta(minutes=15))
            warm = WarmShards(cache, inputs.backfill_noted, self.bucket, state)
            self.pool.append((inputs, config, warm, state, PeopleDocsCache(refresh=timedelta(minutes=15))))

    def tick(self, shards: list[Shard]) -> None:
        for shard in shards:
            inputs, config, warm, state_cache, people = self.rng.choice(self.pool)
            _, previous = resume(self.store.rule_state, shard)  # the worker's own read of the shard's mark
            evaluate_warm_shard(shard, inputs, self.store, config, warm, previous=previous,
                                transaction=self.store.batch, cache=state_cache,
                                people=(people, self.county))  # fmt: skip
            self.shard_ticks += 1

    def sources(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, _, warm, _, _ in self.pool:
            for k, v in warm.sources.items():
                out[k] = out.get(k, 0) + v
        return out


@dataclass
class RuleRun:
    """One rule cadence measured over the run: its containers, tables' prefixes and what its metered ticks used."""

    every: int
    containers: RuleContainers
    prefixes: tuple[str, ...]
    usage: dict[str, OperationUsage]
    tables: dict[str, OperationUsage]
    minutes: list[dict[str, OperationUsage]]  # decode + these rules, by table, each metered minute
    cpu: float = 0.0
    ticks_before: int = 0
    sources_before: dict[str, int] | None = None
    s3_before: dict[str, int] | None = None

    def tick(self, meter: CapacityMeter, shards: list[Shard], decoded: dict[str, OperationUsage]) -> float:
        """The shard-ticks of a minute if it is one of this cadence's; its CPU seconds."""
        minute = dict(decoded)
        cpu = 0.0
        if shards and shards[0].tick.minute % self.every == 0:
            before = meter.by_table()
            cpu = _metered(meter, self.usage, partial(self.containers.tick, shards))
            mine = _delta_of(meter.by_table(), before)
            _add(self.tables, mine)
            _add(minute, mine)
        self.minutes.append(minute)
        return cpu

    def start_metering(self) -> None:
        c = self.containers
        self.ticks_before, self.sources_before = c.shard_ticks, c.sources()
        self.s3_before = dict(c.bucket.requests) if c.bucket else {"get": 0, "put": 0}
        self.usage.clear()
        self.tables.clear()
        self.minutes.clear()

    def result(self) -> model.RulesRun:
        c, kept = self.containers, self.containers.bucket
        snapshots = [v[-1] or b"" for v in kept.versions.values()] if kept else []
        before, s3_before = self.sources_before or {}, self.s3_before or {}
        return model.RulesRun(
            rules=self.usage,
            rules_cpu_s=self.cpu,
            rule_tables=_logical(self.tables, *self.prefixes),
            minute_tables=[_logical(x, *self.prefixes) for x in self.minutes],
            rule_shard_ticks=c.shard_ticks - self.ticks_before,
            rule_sources={k: v - before.get(k, 0) for k, v in c.sources().items()},
            snapshot_s3={k: v - s3_before[k] for k, v in kept.requests.items() if k in s3_before} if kept else {},
            snapshot_bytes=sum(map(len, snapshots)) / max(len(snapshots), 1),
        )


def rule_runs(
    args: argparse.Namespace, backend: DynamoDBBackend, store: Store, doc: dict[str, Any], cadences: Sequence[int],
    county: str, clock: FixedClock,
) -> tuple[list[RuleRun], list[DynamoDBBackend]]:  # fmt: skip
    """A run per cadence: the first on the decoded store itself, each other on tables of its own (a copy of the
    registry; its alarms, audit and rule state) reading what decode stored (readings, events, notes)."""
    runs, extra = [], []
    for i, every in enumerate(cadences):
        prefixes: tuple[str, ...] = (backend.table_prefix,)
        view = store
        if i:
            own = DynamoDBBackend(backend.connection, f"{backend.table_prefix}r{every}", backend.meter)
            own.create_tables(enable_ttl=False)
            extra.append(own)
            mine = own.store(clock=clock)
            aws_fleet.register(mine, doc)
            shared = DecodeNotesShared(store.rule_state, mine.rule_state)
            view = replace(mine, readings=store.readings, events=store.events, sample_reader=store.sample_reader,
                           rule_state=shared)  # fmt: skip
            prefixes = (own.table_prefix, backend.table_prefix)
        containers = RuleContainers(view, county, args.rule_containers, args.rule_snapshots, args.seed, every)
        runs.append(RuleRun(every, containers, prefixes, {}, {}, []))
    return runs, extra


def measure(args: argparse.Namespace, url: str) -> model.Measured:
    """The serverless pass (decode as Lambda runs it, the rule containers, the archive chain) and, where a shape is
    the county host, the host's own pass (bench/aws_host_run.py)."""
    shapes = model.load_shapes(args.shapes)
    host_every, host_buckets = model.host_cadences(shapes), model.host_bucket_minutes(shapes)
    if len(host_every) > 1 or len(host_buckets) > 1:
        raise SystemExit(
            f"the county host shapes tick at {host_every} min, buckets of {host_buckets} min: one of each is measured"
        )
    m, settings = _measure_serverless(args, url, shapes)
    if not host_every:
        return m
    print(f"the county host's pass: rules every {host_every[0]} min, buckets of {host_buckets[0]} min ...", flush=True)
    host = host_pass(args, settings, url, START, host_every[0], host_buckets[0])
    assert host.rules is not None
    return replace(
        m,
        host_rules=host.rules,
        host_every_minutes=host_every[0],
        host_decode=host.decode,
        host_decode_tables=host.decode_tables,
        host_decode_cpu_s=host.decode_cpu_s,
        host_flush_cpu_s=host.flush_cpu_s,
        host_flushed_buckets=host.flushed_buckets,
        host_storage=host.storage,
        host_bucket_minutes=host.bucket_minutes,
        host_buffer_bytes_per_terminal_minute=host.buffer_bytes_per_terminal_minute,
        host_liveness=host.liveness,
    )


def _measure_serverless(
    args: argparse.Namespace, url: str, shapes: dict[str, dict[str, Any]]
) -> tuple[model.Measured, Any]:
    prefix = f"cost{uuid.uuid4().hex[:8]}"
    clock = FixedClock(START)
    stage = StageSettings.model_fields  # the deployed stage's defaults for what decode caches
    host_every = model.host_cadences(shapes)
    settings = _wiring.Settings(
        store_backend="dynamodb",
        dynamodb_endpoint=url,
        dynamodb_region="cn-north-1",
        dynamodb_table_prefix=prefix,
        registry_cache_s=float(stage["registry_cache"].default),
        registry_mark_check_s=float(stage["registry_mark_check"].default),
        state_refresh_s=float(stage["terminal_state_refresh"].default),
        rollup_spread=bool(stage["decode_rollup_spread"].default),
        archive_items=False,  # as in AWS; the archive items the `current`/`archive_kept` shapes keep: written apart
        # the county host's one rules process (the handler's cadence; the containers below build their own)
        rules_every_minutes=host_every[0] if host_every else 1,
    )
    _wiring.configure(settings, clock=clock)  # the handlers' own composition: the same caches, knobs and reader
    store = _wiring.get_store()
    backend = aws_fleet.backend_of(store)
    backend.create_tables(enable_ttl=False)  # the run is on a fixed clock; DynamoDB Local's TTL uses the wall clock
    extra: list[DynamoDBBackend] = []
    try:
        fleet, doc = aws_fleet.build(args.enterprises, START)
        aws_fleet.register(store, doc)
        cadences = model.cadences_of(shapes)
        runs, extra = rule_runs(args, backend, store, doc, cadences, settings.county_id, clock)
        plan = plan_ticks(store.registry, START, args.rule_shard_enterprises)  # the scheduler's (not metered)
        decode: dict[str, OperationUsage] = {}
        tables: dict[str, OperationUsage] = {}
        decode_cpu = archive_cpu = 0.0
        records = record_bytes = 0
        sample: list[bytes] = []
        delivered: list[list[bytes]] = []  # the metered minutes' stream records, by minute
        metered_from = args.minutes - args.measure
        began = time.perf_counter()
        for minute in range(args.minutes):
            at = START + timedelta(minutes=minute)
            arrivals = sorted(aws_fleet.minute_records(fleet, minute), key=lambda a: a[0])
            minute_began = backend.meter.by_table()
            recs = [r for _, r in arrivals]
            for batch in aws_fleet.batches(arrivals, args.window, args.batch):
                clock.set(batch[-1][0] + timedelta(milliseconds=200))  # decode runs just after the window
                items = [(str(i), r) for i, (_, r) in enumerate(batch)]
                by_table = backend.meter.by_table()
                cpu = _metered(backend.meter, decode, partial(decode_isolating, items, _wiring.new_decoder))
                frames = [RawFrame.of(parse_record(r)) for _, r in batch]  # what decode kept for the archive
                items_cpu = _metered(backend.meter, decode, partial(store.archive.append_many, frames))
                _add(tables, _delta_of(backend.meter.by_table(), by_table))
                if minute >= metered_from:
                    decode_cpu, archive_cpu = decode_cpu + cpu, archive_cpu + items_cpu
            decoded = _delta_of(backend.meter.by_table(), minute_began)
            tick = at + timedelta(minutes=1)
            clock.set(tick + timedelta(seconds=1))
            for run in runs:  # each cadence's workers at the minutes that are its ticks
                cpu = run.tick(backend.meter, retick(plan, tick), decoded)
                run.cpu += cpu if minute >= metered_from else 0.0
            if minute == metered_from - 1:  # what the metered minutes' shard-ticks do, from here
                for run in runs:
                    run.start_metering()
            if minute >= metered_from:
                records += len(recs)
                record_bytes += sum(len(r) for r in recs)
                sample.extend(base64.b64decode(json.loads(r)["frame"]) for r in recs)
                delivered.append(recs)
            else:
                decode.clear()
                tables.clear()
            if minute % 10 == 9:
                print(f"  minute {minute + 1}/{args.minutes}: {time.perf_counter() - began:.0f} s", flush=True)
        terminal_minutes = len(fleet.terminals) * args.measure
        chain: dict[str, OperationUsage] = {}
        chain_cpu, chain_mn_objects, chain_records = 0.0, 0, 0
        bucket = VersionedObjects()  # the archive bucket: requests counted, manifests kept
        chainer = ManifestChain(store.chain_heads, bucket, frames_of)  # one warm container, as ChainArchive's
        chain_s3 = dict.fromkeys(bucket.requests, 0)
        manifest_bytes = 0
        for i in range(0, len(delivered), OBJECT_MINUTES):  # Firehose's objects: one per 900 s buffer at 1,500
            key = f"raw/{i}.jsonl.gz"
            bucket.put(key, gzip.compress(b"\n".join(r for recs in delivered[i : i + OBJECT_MINUTES] for r in recs)))
            before = dict(bucket.requests)
            chain_cpu += _metered(backend.meter, chain, partial(chainer.chain, key))
            for kind, n in bucket.requests.items():
                chain_s3[kind] += n - before[kind]
            link = store.chain_heads.head()
            assert link is not None and link.object_key == key
            chain_mn_objects, chain_records = chain_mn_objects + link.mns, chain_records + link.records
            manifest_bytes += len(bucket.versions[link.manifest_key][-1] or b"")
        query = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "mchain"}}}
        links = backend.client.query(TableName=f"{prefix}-state", **query)["Items"]
        raw = b"".join(sample)
        metered = [r for recs in delivered for r in recs]
        first, *others = [run.result() for run in runs]
        queue_s, _ = queue_cpu(metered) if host_every else (0.0, 0)
        measured = model.Measured(
            terminals=len(fleet.terminals),
            points=fleet.points,
            enterprises=fleet.enterprises,
            minutes=args.measure,
            records_per_terminal_minute=records / terminal_minutes,
            record_bytes=record_bytes / max(records, 1),
            frame_bytes=len(raw) / max(records, 1),
            gzip_ratio=len(raw) / max(len(gzip.compress(raw)), 1),
            decode=decode,
            decode_cpu_s=decode_cpu,
            decode_archive_cpu_s=archive_cpu,
            rules=first.rules,
            rules_cpu_s=first.rules_cpu_s,
            decode_tables=_logical(tables, prefix),
            rule_tables=first.rule_tables,
            minute_tables=first.minute_tables,
            chain=chain,
            chain_cpu_s=chain_cpu,
            chain_mn_objects=chain_mn_objects,
            chain_objects=len(links),
            chain_records=chain_records,
            chain_s3=chain_s3,
            chain_manifest_bytes=manifest_bytes,
            chain_link_bytes=sum(model.item_size(item) for item in links),
            writer_cpu_s=writer_cpu(metered, int(StageSettings.model_fields["archive_batch_size"].default)),
            writer_records=len(metered),
            rule_containers=args.rule_containers,
            rule_snapshots=args.rule_snapshots,
            rule_shard_enterprises=args.rule_shard_enterprises,
            rule_shard_ticks=first.rule_shard_ticks,
            rule_sources=first.rule_sources,
            snapshot_s3=first.snapshot_s3,
            snapshot_bytes=first.snapshot_bytes,
            rules_every_minutes=runs[0].every,
            cadences={str(run.every): r for run, r in zip(runs[1:], others, strict=True)},
            queue_cpu_s=queue_s,
            queue_records=len(metered) if host_every else 0,
            storage=model.table_growth(
                backend.client,
                prefix,
                len(fleet.terminals),
                args.minutes,
                START.timestamp(),
            ),
        )
        return measured, settings
    finally:
        for own in extra:
            own.delete_tables()
            own.close()
        backend.delete_tables()
        _wiring.configure(None)
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=3, help="the first N of the Rugao list (≈4 terminals each)")
    parser.add_argument("--minutes", type=int, default=145, help="simulated minutes decoded and ticked")
    parser.add_argument(
        "--measure", type=int, default=60, help="the last N minutes are counted: full rule windows, one hourly pass"
    )
    parser.add_argument("--batch", type=int, default=100, help="records per decode batch (the Kinesis batch size)")
    window = float(StageSettings.model_fields["decode_batching_window"].default)
    parser.add_argument("--window", type=float, default=window, help="decode's batching window, seconds")
    shard = int(StageSettings.model_fields["rules_shard_enterprises"].default)
    parser.add_argument("--rule-shard-enterprises", type=int, default=shard, help="enterprises per rule shard")
    parser.add_argument(
        "--rule-containers",
        type=int,
        default=4,
        help="warm rule containers shard-ticks are handed to at random (4: the county stage's 4 shards at "
        "concurrency 10; a province runs up to rules_concurrency, 200)",
    )
    parser.add_argument(
        "--rule-snapshots",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="containers share per-shard window snapshots (S3) as deployed",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the containers' random draw")
    parser.add_argument("--prices", type=Path, default=model.PRICES)
    parser.add_argument("--shapes", type=Path, default=model.SHAPES, help="deployment shapes (default: bench's)")
    parser.add_argument("--save", type=Path, help="also write the measurement (JSON) here")
    parser.add_argument("--load", type=Path, help="price a saved measurement instead of measuring")
    args = parser.parse_args()
    if not (1 <= args.enterprises <= 30 and 2 <= args.minutes <= 300 and 1 <= args.measure < args.minutes):
        parser.error("bounds: enterprises 1..30, minutes 2..300, 1 <= measure < minutes")
    if not (1 <= args.rule_containers <= 1000 and 1 <= args.rule_shard_enterprises <= 5000):
        parser.error("bounds: rule containers 1..1000, rule shard enterprises 1..5000")
    if not 1 <= args.batch <= 10_000 or not 0.1 <= args.window <= 300:
        parser.error("bounds: batch 1..10000, window 0.1..300 s")
    for name, value in FAKE_AWS.items():
        os.environ.setdefault(name, value)
    prices = model.load_prices(args.prices)
    if args.load:
        print(model.report(model.load_measured(args.load), prices, model.load_shapes(args.shapes)))
        return 0
    local = dynamodb_local.start()
    try:
        print(f"measuring on DynamoDB Local: {args.enterprises} enterprises, {args.minutes} minutes ...", flush=True)
        measured = measure(args, local.url)
    finally:
        local.stop()
    if args.save:
        model.save_measured(measured, args.save)
    print(f"decode batches: the records of one {args.window:g} s batching window, at most {args.batch}")
    print(model.report(measured, prices, model.load_shapes(args.shapes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
