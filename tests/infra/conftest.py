"""One synthesis of the whole CDK app per test session, offline: no credentials, no Docker, no network.

Stages dev and prod come from infra/cdk.json exactly as `cdk synth` sees them; a third stage, `reuse`, checks
the existing-VPC path. Layer bundling (pip for the Lambda platform) is skipped with CDK's own switch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
for _credential in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
    os.environ.pop(_credential, None)

REUSE_VPC = {
    "vpc_id": "vpc-0123456789abcdef0",
    "availability_zones": ["cn-north-1a", "cn-north-1b"],
    "public_subnet_ids": ["subnet-0a0000000000000a1", "subnet-0a0000000000000a2"],
    "private_subnet_ids": ["subnet-0b0000000000000b1", "subnet-0b0000000000000b2"],
}

REUSE_EIPS = ["eipalloc-0aaaaaaaaaaaaaaa1", "eipalloc-0aaaaaaaaaaaaaaa2"]
# The reuse stage also builds from mirrors, as a China-region stage would (docs/deploy.md "China regions").
REUSE_MIRRORS = {
    "container_base_image": "registry.mirror.invalid/library/python:3.11-slim-bookworm",
    "pip_index_url": "https://pypi.mirror.invalid/simple",
    "bundling_image": "registry.mirror.invalid/sam/build-python3.11",
}

# ... and keeps the WeChat secret in SSM, with a dashboard on another origin (tests/infra/test_api.py).
REUSE_API = {
    "api_wechat_secret_parameter": "/gongkuang/reuse/wechat-secret",
    "api_cors_origin": "https://gk.example.gov.cn",
}
# ... and sends SMS to numbers outside the mainland through SNS (tests/infra/test_notify_sns.py).
REUSE_NOTIFY = {"notify_sns_region": "ap-southeast-1", "notify_sns_sender_id": "Gongkuang"}
# ... and keeps no rule window snapshots (tests/infra/test_rule_snapshots.py), and ticks the rules every minute
# (tests/infra/test_functions.py; dev and prod tick every 5).
REUSE_RULES = {"rules_snapshots": False, "rules_every_minutes": 1}
REUSE_LANES = {"decode_parallelization": 3, "stream_groups": 96}  # several decode lanes per shard


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    templates: dict[str, dict[str, Any]]  # stage name -> CloudFormation template
    manifest: dict[str, Any]
    report: dict[str, Any]

    def resources(self, stage: str, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.templates[stage]["Resources"].items() if v["Type"] == kind}

    def properties(self, stage: str, kind: str) -> list[dict[str, Any]]:
        return [r.get("Properties", {}) for r in self.resources(stage, kind).values()]


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    from infra.app import build_app, file_context

    context = file_context()
    reuse = {
        "existing_vpc": REUSE_VPC,
        "elastic_ip_allocation_ids": REUSE_EIPS,
        **REUSE_MIRRORS,
        **REUSE_API,
        **REUSE_NOTIFY,
        **REUSE_RULES,
        **REUSE_LANES,
    }
    context["stages"] = {**context["stages"], "reuse": reuse}
    context["aws:cdk:bundling-stacks"] = []
    outdir = tmp_path_factory.mktemp("cdk.out")
    assembly = build_app(context=context, outdir=str(outdir)).synth()
    templates = {s.stack_name.removeprefix("Gongkuang-"): s.template for s in assembly.stacks}
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    yield Synthesized(outdir, templates, manifest, report)
