"""The cost bench's county host on DynamoDB Local: its rules are the one-county handler called on the cadence's
boundaries, metered by table; its frame queue takes every record through; its own pass writes minute readings as
buckets through the reading buffer."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta

import pytest

from bench.aws_host_run import HostPass, HostRules, host_pass, queue_cpu
from functions import _wiring
from monitoring.clock import FixedClock
from monitoring.storage.dynamodb.metering import OperationUsage
from tests.contract.storage import builders as b
from tests.integration.functions.test_rule_fan_out import T0, TICK, _enterprise
from tests.support.wired_dynamodb import wired_dynamodb

pytestmark = pytest.mark.integration


def test_the_host_rules_call_the_handler_on_five_minute_boundaries_metered(
    dynamodb_local_url: str, fake_aws_env: None
) -> None:
    clock = FixedClock(TICK)
    with wired_dynamodb(dynamodb_local_url, "hr", clock, rules_every_minutes=5) as (store, backend):
        b.seed_jurisdictions(store.registry)
        for eid in ("e1", "e2"):  # fans stopped since T0 while production runs
            _enterprise(store, eid)
        host = HostRules(5)
        for i in range(119, 131):
            at = T0 + timedelta(minutes=i)
            clock.set(at + timedelta(seconds=1))
            host.tick(backend.meter, at, {"readings": OperationUsage(requests=1, write_units=1.0)})
            if i == 119:  # minute 119 is no boundary: nothing evaluated
                assert host.ticks == 0 and host.usage == {}
                host.start_metering()
        # the handler raised the alarms: it ran on the wired store, for the wired county
        assert {a.rule for a in store.alarms.list(limit=100)} >= {"control_stopped"}
        run = host.result(backend.table_prefix)
        assert run.rule_shard_ticks == 3 and len(run.minute_tables) == 11  # minutes 120–130: ticks at 120, 125, 130
        assert "readings" in run.rule_tables and not [t for t in run.rule_tables if "-" in t]  # logical names
        assert sum(u.requests for u in run.rules.values()) == sum(u.requests for u in run.rule_tables.values()) > 0
        assert run.minute_tables[1] == {"readings": OperationUsage(requests=1, write_units=1.0)}  # decode's only
        assert _wiring.get_settings().rules_every_minutes == 5


def test_the_queue_takes_every_record_through() -> None:
    records = [json.dumps({"mn": f"MN{i % 7}", "frame": "x" * 100}).encode() for i in range(101)]
    cpu, deleted = queue_cpu(records)
    assert deleted == 101 and cpu > 0


def _pass(url: str, buckets: int) -> HostPass:
    from bench.aws_cost import START

    args = argparse.Namespace(enterprises=1, minutes=16, measure=10)
    base = _wiring.Settings(store_backend="dynamodb", dynamodb_region="cn-north-1", archive_items=False)
    return host_pass(args, base, url, START, 5, buckets)


def test_the_host_pass_writes_minute_readings_as_buckets_and_prices_from_them(
    dynamodb_local_url: str, fake_aws_env: None
) -> None:
    bucketed, plain = _pass(dynamodb_local_url, 5), _pass(dynamodb_local_url, 0)
    for run in (bucketed, plain):  # each metered its decode, the rules' ticks and what its tables kept
        assert run.rules is not None and run.rules.rule_shard_ticks == 2  # minutes 10 and 15
        assert run.decode_cpu_s > 0 and "readings" in run.decode_tables
        assert [g for g in run.storage if g.table == "readings" and g.bytes_per_terminal_minute]
        assert not [t for t in run.decode_tables if "-" in t]  # logical table names
    # buckets: the flusher wrote every point's closed buckets; a write unit carries several minutes
    assert bucketed.flushed_buckets > 0 and bucketed.flush_cpu_s > 0
    assert plain.flushed_buckets == 0 and plain.flush_cpu_s == 0
    assert bucketed.decode_tables["readings"].write_units < plain.decode_tables["readings"].write_units / 2
    # the rules read their windows from the buffer where it holds them (here only the minutes since the run began:
    # the windows' older part is asked of DynamoDB), the plain host all from DynamoDB
    assert bucketed.rules is not None and plain.rules is not None
    ours, theirs = (r.rule_tables.get("readings", OperationUsage()).read_units for r in (bucketed.rules, plain.rules))
    assert ours < theirs
    stored, unbucketed = (sum(g.bytes_per_terminal_minute for g in r.storage if g.table == "readings")
                          for r in (bucketed, plain))  # fmt: skip
    assert stored < unbucketed * 0.7
    assert bucketed.buffer_bytes_per_terminal_minute > 0 and plain.buffer_bytes_per_terminal_minute == 0
    # And each minute's units are recorded by how a fleet times them (model.MINUTE_PARTS), adding up to the minute's
    # own: decode's writes as frames arrive; its roll-up reads and the flusher's merges spread; the tick on its minutes
    run = bucketed.rules
    assert len(run.minute_parts) == len(run.minute_tables) == 10
    for row, minute in zip(run.minute_parts, run.minute_tables, strict=True):
        for table, used in minute.items():
            added = sum((part.get(table, OperationUsage()) for part in row.values()), OperationUsage())
            assert (added.read_units, added.write_units) == (used.read_units, used.write_units)
        assert set(row) <= {"frames", "spread", "tick"}
        assert not row["frames"].get("readings", OperationUsage()).read_units
    assert sum(1 for row in run.minute_parts if "tick" in row) == 2
    assert sum(row["spread"].get("readings", OperationUsage()).write_units for row in run.minute_parts) > 0  # merges
    # And decode kept the terminals' liveness in sheets (each written at most once per 5 minutes), sized for the model
    for one in (bucketed, plain):
        sheets = one.liveness
        assert sheets is not None and sheets.every_s == 300.0 and sheets.sheets > 0
        assert 0 < sheets.writes <= sheets.sheets * (10 // 5 + 1)
        assert 20 < sheets.entry_bytes < 60 and 60 < sheets.empty_bytes < 200
