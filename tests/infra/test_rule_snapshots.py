"""The rule shards' window snapshots: a bucket of their own that expires them after a day, read and written only by
the rule worker, only under its prefix; a stage may go without (no bucket, an empty variable)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.functions import SNAPSHOT_PREFIX
from infra.stacks.platform import RULES_WORKER_HANDLER
from monitoring.rules.warm_snapshot import PREFIX
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def _functions(synthesized: Synthesized, stage: str) -> dict[str, dict[str, Any]]:
    fns = synthesized.resources(stage, "AWS::Lambda::Function").items()
    return {k: r["Properties"] for k, r in fns if r["Properties"]["Handler"].startswith("functions.")}


def _statements(synthesized: Synthesized, stage: str, role: str) -> list[dict[str, Any]]:
    policies = synthesized.properties(stage, "AWS::IAM::Policy")
    return [s for p in policies if {"Ref": role} in p["Roles"] for s in p["PolicyDocument"]["Statement"]]


def _actions(statement: dict[str, Any]) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else list(statement["Action"])


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_only_the_rule_worker_gets_and_puts_snapshots_under_their_prefix(synthesized: Synthesized, stage: str) -> None:
    assert SNAPSHOT_PREFIX == PREFIX  # where the worker writes them
    buckets = synthesized.resources(stage, "AWS::S3::Bucket")
    (bucket_id,) = [k for k in buckets if "RuleSnapshots" in k]
    bucket = buckets[bucket_id]["Properties"]
    # Derived and rewritten every minute: expired after a day, not versioned, private, encrypted
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 1 and rule["Status"] == "Enabled"
    assert "VersioningConfiguration" not in bucket and "ObjectLockEnabled" not in bucket
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    functions = _functions(synthesized, stage)
    arn = json.dumps({"Fn::GetAtt": [bucket_id, "Arn"]}, sort_keys=True)
    granted: dict[str, set[tuple[str, str, str]]] = {}
    for fn in functions.values():
        assert fn["Environment"]["Variables"]["RULES_SNAPSHOT_BUCKET"] == {"Ref": bucket_id}
        role = fn["Role"]["Fn::GetAtt"][0]
        for s in _statements(synthesized, stage, role):
            if bucket_id in json.dumps(s["Resource"]):
                resource = json.dumps(s["Resource"], sort_keys=True)
                condition = json.dumps(s.get("Condition"), sort_keys=True)
                granted.setdefault(fn["Handler"], set()).update((a, resource, condition) for a in _actions(s))
    objects = json.dumps({"Fn::Join": ["", [json.loads(arn), f"/{PREFIX}*"]]}, sort_keys=True)
    listing = json.dumps({"StringLike": {"s3:prefix": [f"{PREFIX}*"]}}, sort_keys=True)
    assert granted == {
        RULES_WORKER_HANDLER: {
            ("s3:GetObject", objects, "null"),
            ("s3:PutObject", objects, "null"),
            ("s3:ListBucket", arn, listing),
        }
    }


def test_a_stage_without_snapshots_has_no_bucket_and_tells_the_worker_so(synthesized: Synthesized) -> None:
    assert not [k for k in synthesized.resources("reuse", "AWS::S3::Bucket") if "RuleSnapshots" in k]
    for fn in _functions(synthesized, "reuse").values():
        assert fn["Environment"]["Variables"]["RULES_SNAPSHOT_BUCKET"] == ""
