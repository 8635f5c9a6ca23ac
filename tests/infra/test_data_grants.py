"""Key grants (infra/data_grants.py) decide as IAM's ForAllValues:StringLike on dynamodb:LeadingKeys does, and the
archive chain's real requests on DynamoDB Local stay inside CHAIN_ARCHIVE (the listener's: tests/integration/aws)."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest

from functions.adapters.archive_objects import frames_of
from infra.data_grants import CHAIN_ARCHIVE, LISTENER, SCHEDULE_RULES, allows
from monitoring.archive.manifest_chain import ManifestChain, verify
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from tests.contract.storage import builders as b
from tests.support.archive_objects import VersionedObjects, delivered
from tests.support.dynamodb_requests import authorised_as, recording, refused
from tests.support.dynamodb_tables import backend_fixture

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def test_every_key_of_a_request_must_match_one_grant_on_that_table_index_and_action() -> None:
    get = "dynamodb:GetItem"
    assert allows(LISTENER, "registry", "", get, ["terminal#010000A80000000100000002"])
    assert allows(LISTENER, "registry", "", "dynamodb:BatchGetItem", ["terminal#A", "terminal#B"])
    assert not allows(LISTENER, "registry", "", "dynamodb:BatchGetItem", ["terminal#A", "enterprise#e1"])
    assert not allows(LISTENER, "registry", "", "dynamodb:PutItem", ["enterprise#e1"])  # not a terminal
    assert not allows(LISTENER, "registry", "", "dynamodb:Query", ["terminal#A"])  # the table is not queried
    assert allows(LISTENER, "registry", "gsi1", "dynamodb:Query", ["terminal#county#rugao"])
    assert not allows(LISTENER, "registry", "gsi1", "dynamodb:Query", ["enterprise#county#rugao"])
    assert not allows(LISTENER, "state", "", get, ["alarm#1"]) and allows(LISTENER, "state", "", get, ["lease#MN"])
    assert not allows(LISTENER, "registry", "", "dynamodb:Scan", [])  # no keys: only the action decides
    assert allows(CHAIN_ARCHIVE, "state", "", "dynamodb:PutItem", ["mchain"])
    assert not allows(CHAIN_ARCHIVE, "state", "", "dynamodb:PutItem", ["mchainx"])  # exact: no wildcard


backend = backend_fixture("grants")


@pytest.mark.integration
def test_the_archive_chain_needs_only_its_links(backend: DynamoDBBackend) -> None:
    # Given delivered objects as Firehose writes them, chained on DynamoDB Local as functions/on_archive_object.py does
    objects = VersionedObjects()
    for n, key in enumerate(("raw/a.gz", "raw/b.gz")):
        objects.put(key, delivered([b.raw_frame(mn="MN0001", at=NOW + timedelta(seconds=n), payload=b"F%d" % n)]))
    store = backend.store()
    me = threading.get_ident()
    with recording(lambda: threading.get_ident() == me) as requests:
        chain = ManifestChain(store.chain_heads, objects, frames_of)
        chain.chain("raw/a.gz")
        ManifestChain(store.chain_heads, objects, frames_of).chain("raw/b.gz")  # a cold container
        chain.chain("raw/a.gz")  # a redelivered event
        assert verify(store.chain_heads, objects, frames_of).ok
    # Then every request is one CHAIN_ARCHIVE allows, and one grant less would refuse them
    made = {a for op, params in requests for a, *_ in authorised_as(op, params)}
    assert {"dynamodb:PutItem", "dynamodb:Query"} <= made
    assert refused(CHAIN_ARCHIVE, backend.table_prefix, requests) == []
    narrower = (dataclasses.replace(CHAIN_ARCHIVE[0], leading_keys=("link#*",)),)
    assert refused(narrower, backend.table_prefix, requests) != []


@pytest.mark.integration
def test_the_rule_scheduler_needs_only_the_rule_state_documents_of_decodes_progress(backend: DynamoDBBackend) -> None:
    from monitoring.rules.decode_watermark import DecodeProgress, decoded_through
    from monitoring.rules.put_notes import note_doc

    # Given decode's notes of two containers on DynamoDB Local, one of a container gone for hours; the put notes of
    # a live listener task (g1 decoded, g2 waiting) and of a task gone for an hour
    store = backend.store()
    DecodeProgress(store.rule_state, container="live").note("shardId-0", {"g1": NOW}, NOW)
    DecodeProgress(store.rule_state, container="gone").note("shardId-0", {"g1": NOW - timedelta(hours=3)}, NOW)
    store.rule_state.put("decoded:shardId-0:gone", {"noted_at": (NOW - timedelta(hours=3)).isoformat(), "groups": {}})
    t = NOW.timestamp()
    store.rule_state.put("put:live", note_doc(t, t, {"g1": t - 1, "g2": t - 30}))
    store.rule_state.put("put:gone", note_doc(t - 3600, t - 3600, {}))
    me = threading.get_ident()
    # When the scheduler reads them and sweeps the gone ones, as functions/every_minute_schedule_rules.py does
    with recording(lambda: threading.get_ident() == me) as requests:
        assert decoded_through(store.rule_state, NOW, sweep=True) == NOW - timedelta(seconds=32)  # g2's oldest put
    assert store.rule_state.keys("decoded:") == ["decoded:shardId-0:live"]
    assert store.rule_state.keys("put:") == ["put:live"]  # in its own partition (`rsput`), which the listener writes
    assert store.rule_state.get("decode-held") == {"through": t - 32, "groups": {"g2": [t - 32, t - 30]}}
    # Then every request is one SCHEDULE_RULES allows, and one grant less would refuse them
    made = {a for op, params in requests for a, *_ in authorised_as(op, params)}
    assert made == {"dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"}
    assert refused(SCHEDULE_RULES, backend.table_prefix, requests) == []
    narrower = (dataclasses.replace(SCHEDULE_RULES[0], actions=("dynamodb:Query",)), SCHEDULE_RULES[1])
    assert refused(narrower, backend.table_prefix, requests) != []
    without_put_notes = (dataclasses.replace(SCHEDULE_RULES[0], leading_keys=("rs",)), SCHEDULE_RULES[1])
    assert refused(without_put_notes, backend.table_prefix, requests) != []
    # And the listener's grant reaches its put notes and no other rule state
    assert allows(LISTENER, "state", "", "dynamodb:PutItem", ["rsput"])
    assert not allows(LISTENER, "state", "", "dynamodb:PutItem", ["rs"])
