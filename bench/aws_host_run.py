"""The county host in the cost bench: its rules as `local` runs them (one process, the one-county handler) and the
CPU of its sqlite frame queue.

More: docs/deploy.md, "Cost per terminal-month" (the `county_host` shape).
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench import aws_cost_model as model
from functions import every_minute_evaluate_rules
from local.pipeline import LambdaContextStub
from local.queue import FrameQueue
from local.scheduler import scheduled_event
from local.workers import EVALUATE_JOB
from monitoring.storage.dynamodb.metering import CapacityMeter, OperationUsage

# The listener commits what its 100 ms linger gathered (≈ 7.6 records at 1,500 terminals × 3 a minute); decode takes
# what arrived while it idled 0.2 s (local/pipeline.py DecodeLoop), ≈ 15.
APPEND_BATCH = 8
TAKE_BATCH = 16


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
    """local/workers.py `rules_main`: the `every_minute_evaluate_rules` handler called by one long-lived process on
    each `every`-minute boundary with the scheduler's event, on the wiring `_wiring.configure` set (the decoded store,
    RULES_EVERY_MINUTES = `every`, no snapshot bucket). Its warm caches live across ticks as in that process."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.cpu = 0.0
        self.ticks = 0
        self.usage: dict[str, OperationUsage] = {}
        self.tables: dict[str, OperationUsage] = {}
        self.minutes: list[dict[str, OperationUsage]] = []

    def _evaluate(self, at: datetime) -> None:
        every_minute_evaluate_rules.handler(scheduled_event(at, EVALUATE_JOB), LambdaContextStub())

    def tick(self, meter: CapacityMeter, at: datetime, decoded: dict[str, OperationUsage]) -> float:
        """The tick at `at` if it is a boundary of this cadence (after the minute's decode); its CPU seconds."""
        minute = dict(decoded)
        spent = 0.0
        if at.minute % self.every == 0:
            before, by_table, cpu = meter.snapshot(), meter.by_table(), time.process_time()
            self._evaluate(at)
            spent = time.process_time() - cpu
            _add(self.usage, _delta(meter.snapshot(), before))
            mine = _delta(meter.by_table(), by_table)
            _add(self.tables, mine)
            _add(minute, mine)
            self.ticks += 1
        self.minutes.append(minute)
        return spent

    def start_metering(self) -> None:
        self.ticks = 0
        self.usage.clear()
        self.tables.clear()
        self.minutes.clear()

    def result(self, prefix: str) -> model.RulesRun:
        def logical(usage: dict[str, OperationUsage]) -> dict[str, OperationUsage]:
            return {name.removeprefix(f"{prefix}-"): u for name, u in usage.items()}

        return model.RulesRun(
            rules=dict(self.usage),
            rules_cpu_s=self.cpu,
            rule_tables=logical(self.tables),
            minute_tables=[logical(x) for x in self.minutes],
            rule_shard_ticks=self.ticks,
        )


def queue_cpu(
    records: list[bytes], append_batch: int = APPEND_BATCH, take_batch: int = TAKE_BATCH
) -> tuple[float, int]:
    """(CPU seconds, records deleted) of the host's frame queue for `records` (stream records, as the listener queues
    them): appended in the listener's batches, each committed and fsync'd; taken in decode's about every other
    commit; deleted once done. The records are parsed before the clock starts. Not measured: the archive cut's own
    mark (its worker is not built here)."""
    parsed = [json.loads(r) for r in records]
    deleted = 0
    with tempfile.TemporaryDirectory(prefix="host-queue-") as tmp:
        queue = FrameQueue(Path(tmp) / "queue.db")
        try:
            cpu = time.process_time()
            for i in range(0, len(parsed), append_batch):
                queue.append(parsed[i : i + append_batch])
                if (i // append_batch) % 2:
                    deleted += queue.done([q.seq for q in queue.take(take_batch)])
            while batch := queue.take(take_batch):
                deleted += queue.done([q.seq for q in batch])
            spent = time.process_time() - cpu
        finally:
            queue.close()
    return spent, deleted
