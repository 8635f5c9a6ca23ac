"""The handlers' EMF counts: published by default, neither printed nor kept where the stage turns them off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# A handler decorated as the real ones are, fed a decode report 500 times (a warm container's afternoon).
SCRIPT = """
import json
from collections import Counter
from types import SimpleNamespace
from functions._observability import metrics, publish_decode_report

@metrics.log_metrics
def handler(event, context):
    publish_decode_report(SimpleNamespace(outcomes=Counter(ok=3), readings_new=6))
    return "done"

for _ in range(500):
    handler({}, None)
print(json.dumps({"kept": sum(len(m["Value"]) for m in metrics.provider.metric_set.values())}))
"""


def run(disabled: str | None) -> tuple[list[dict[str, object]], int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")}
    if disabled is not None:
        env["POWERTOOLS_METRICS_DISABLED"] = disabled
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    *emf, last = lines
    return [x for x in emf if "_aws" in x], int(str(last["kept"]))


def test_counts_are_published_by_default() -> None:
    emf, kept = run(None)
    assert len(emf) == 500
    assert emf[0]["Frames_ok"] == [3.0] and emf[0]["readings_new"] == [6.0]
    assert kept == 0  # each invocation flushed its set


def test_a_stage_without_metrics_prints_and_keeps_nothing() -> None:
    emf, kept = run("true")
    assert emf == []
    # Powertools' own switch alone would keep 500 invocations' values in the warm container
    assert kept == 0
