"""Metrics: counters, histogram quantiles and the Prometheus rendering."""

from __future__ import annotations

import json

import pytest

from iot_ingest.metrics import Histogram, Metrics

pytestmark = pytest.mark.unit


def test_histogram_quantiles_are_bucket_upper_bounds() -> None:
    h = Histogram()
    assert h.quantile(0.5) is None
    for _ in range(98):
        h.observe(0.0008)
    h.observe(0.04)
    h.observe(0.3)
    assert h.quantile(0.5) == 0.001
    assert h.quantile(0.99) == 0.05
    assert h.quantile(1.0) == 0.5


def test_metrics_render_counters_with_reasons_and_latency() -> None:
    m = Metrics()
    m.inc("frames_in", amount=3)
    m.inc("errors", "crc_mismatch")
    m.ack_latency.observe(0.002)
    text = m.to_prometheus()
    assert "iot_ingest_frames_in_total 3" in text
    assert 'iot_ingest_errors_total{reason="crc_mismatch"} 1' in text
    assert 'iot_ingest_ack_latency_seconds_bucket{le="+Inf"} 1' in text
    snap = json.loads(m.to_json())
    assert snap["errors{crc_mismatch}"] == 1 and snap["ack_latency_p50"] == 0.002


def test_limits_view_holds_only_the_counters_of_the_defences() -> None:
    m = Metrics()
    m.inc("frames_in", "", 10)
    m.inc("unregistered_kept", "", 3)
    m.inc("unregistered_refused", "source", 7)
    m.inc("disconnects", "probation_timeout")
    expected = {"disconnects{probation_timeout}": 1, "unregistered_kept": 3, "unregistered_refused{source}": 7}
    assert m.limits() == expected
