"""Storage: one DynamoDB table per schema.TABLES entry, with its keys, indexes, TTL and protection."""

from __future__ import annotations

from typing import Any

import pytest

from monitoring.storage.dynamodb import schema
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def _tables(synthesized: Synthesized, stage: str) -> dict[str, dict[str, Any]]:
    return {p["TableName"]: p for p in synthesized.properties(stage, "AWS::DynamoDB::GlobalTable")}


def test_tables_are_defined_from_schema(synthesized: Synthesized) -> None:
    tables = _tables(synthesized, "dev")
    expected = {schema.TABLE_NAME_FORMAT.format(prefix="gk-dev", table=t.logical_name): t for t in schema.TABLES}
    assert set(tables) == set(expected)
    for name, spec in expected.items():
        t = tables[name]
        keys = {k["KeyType"]: k["AttributeName"] for k in t["KeySchema"]}
        assert keys == {"HASH": spec.partition_key, "RANGE": spec.sort_key}
        gsis = {
            g["IndexName"]: {k["KeyType"]: k["AttributeName"] for k in g["KeySchema"]}
            for g in t.get("GlobalSecondaryIndexes", [])
        }
        assert gsis == {i.name: {"HASH": i.partition_key, "RANGE": i.sort_key} for i in spec.indexes}
        lsis = {i["IndexName"]: i["KeySchema"][1]["AttributeName"] for i in t.get("LocalSecondaryIndexes", [])}
        assert lsis == {i.name: i.sort_key for i in spec.local_indexes}
        ttl = t.get("TimeToLiveSpecification")
        assert (ttl["AttributeName"] if ttl and ttl["Enabled"] else None) == spec.ttl_attribute


def test_tables_are_on_demand_and_encrypted(synthesized: Synthesized) -> None:
    for t in _tables(synthesized, "dev").values():
        assert t["BillingMode"] == "PAY_PER_REQUEST"
        assert t["SSESpecification"]["SSEEnabled"] is True


def _autoscaling(settings: dict[str, Any]) -> tuple[int, int, float]:
    (scaling,) = settings.values()
    target = scaling["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]
    return scaling["MinCapacity"], scaling["MaxCapacity"], target


def test_the_steady_tables_are_provisioned_with_auto_scaling_where_the_stage_says(synthesized: Synthesized) -> None:
    # prod and county provision readings (the frame-a-minute load the cost bench prices as target_provisioned);
    # everything else, and every dev table, stays on demand.
    for stage in ("prod", "county"):
        tables = _tables(synthesized, stage)
        provisioned = {n.removeprefix(f"gk-{stage}-") for n, t in tables.items() if t["BillingMode"] == "PROVISIONED"}
        assert provisioned == {schema.READINGS}
        for name in provisioned:
            t = tables[f"gk-{stage}-{name}"]
            (replica,) = t["Replicas"]
            expected = (5, 40000, 70)
            assert _autoscaling(t["WriteProvisionedThroughputSettings"]) == expected
            assert _autoscaling(replica["ReadProvisionedThroughputSettings"]) == expected
            # each global index scales on its own, with the same targets (its writes are billed to it)
            for index in t.get("GlobalSecondaryIndexes", []):
                assert _autoscaling(index["WriteProvisionedThroughputSettings"]) == expected
            for index in replica.get("GlobalSecondaryIndexes", []):
                assert _autoscaling(index["ReadProvisionedThroughputSettings"]) == expected
        others = [t for n, t in tables.items() if n.removeprefix(f"gk-{stage}-") not in provisioned]
        # readings on Standard-IA (its storage outweighs its units), every other table Standard
        classes = {n.removeprefix(f"gk-{stage}-"): t["Replicas"][0].get("TableClass") for n, t in tables.items()}
        assert {n for n, c in classes.items() if c == "STANDARD_INFREQUENT_ACCESS"} == {schema.READINGS}
        assert others and all(t["BillingMode"] == "PAY_PER_REQUEST" for t in others)
        # a throttled provisioned table alarms (the catch-up after an outage outran auto scaling)
        alarms = synthesized.properties(stage, "AWS::CloudWatch::Alarm")
        throttles = {a["AlarmDescription"] for a in alarms if a["AlarmDescription"].endswith(" throttled")}
        assert f"{schema.READINGS} throttled" in throttles


def test_provisioned_tables_must_be_schema_tables() -> None:
    import aws_cdk as cdk

    from infra.constructs.storage import ProvisionedCapacity, Storage

    with pytest.raises(ValueError, match="readngs"):
        Storage(
            cdk.Stack(cdk.App(), "S"),
            "Storage",
            table_prefix="gk-x",
            deletion_protection=False,
            removal_policy=cdk.RemovalPolicy.DESTROY,
            recoverable=(),
            capacity=ProvisionedCapacity(tables=("readngs",)),
        )


def test_point_in_time_recovery_only_where_data_cannot_be_rebuilt(synthesized: Synthesized) -> None:
    # The registry and the state table (alarms, audit, commands) are people's work; readings, events and the
    # DynamoDB archive are re-decoded from the locked S3 archive, so PITR there would be paid for nothing.
    for stage in ("dev", "prod"):
        recoverable = {
            name.removeprefix(f"gk-{stage}-")
            for name, t in _tables(synthesized, stage).items()
            if t["Replicas"][0].get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
        }
        assert recoverable == {schema.REGISTRY, schema.STATE}


def test_recoverable_tables_must_be_schema_tables() -> None:
    import aws_cdk as cdk

    from infra.constructs.storage import Storage

    with pytest.raises(ValueError, match="readngs"):
        Storage(
            cdk.Stack(cdk.App(), "S"),
            "Storage",
            table_prefix="gk-x",
            deletion_protection=False,
            removal_policy=cdk.RemovalPolicy.DESTROY,
            recoverable=("readngs",),
        )


def test_deletion_protection_follows_the_stage(synthesized: Synthesized) -> None:
    assert all(t["Replicas"][0]["DeletionProtectionEnabled"] is True for t in _tables(synthesized, "prod").values())
    assert all(not t["Replicas"][0].get("DeletionProtectionEnabled") for t in _tables(synthesized, "dev").values())
    prod = synthesized.resources("prod", "AWS::DynamoDB::GlobalTable").values()
    assert all(r["DeletionPolicy"] == "Retain" for r in prod)
