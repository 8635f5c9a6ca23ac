"""Operations: the alarms named in the issue exist, notify an encrypted topic, and a dashboard shows them."""

from __future__ import annotations

import pytest

from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def test_alarms_cover_the_pipeline(synthesized: Synthesized) -> None:
    alarms = synthesized.properties("dev", "AWS::CloudWatch::Alarm")
    metric_names = {a.get("MetricName") for a in alarms}
    assert {
        "IteratorAge",
        "Errors",
        "Throttles",
        "ApproximateNumberOfMessagesVisible",
        "ActiveFlowCount",
    } <= metric_names
    assert "ListenerSinkFailures" in metric_names  # frames the listener could not acknowledge
    math = [m for a in alarms for m in a.get("Metrics", []) if "MetricStat" in m]
    assert {"ReadThrottleEvents", "WriteThrottleEvents"} <= {m["MetricStat"]["Metric"]["MetricName"] for m in math}
    topics = set(synthesized.resources("dev", "AWS::SNS::Topic"))
    assert all(a["AlarmActions"][0]["Ref"] in topics for a in alarms)


def test_alarm_topic_is_encrypted_and_dashboard_exists(synthesized: Synthesized) -> None:
    (topic,) = synthesized.properties("dev", "AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic
    (dashboard,) = synthesized.properties("dev", "AWS::CloudWatch::Dashboard")
    assert dashboard["DashboardName"] == "gongkuang-dev"


def test_unacknowledged_frames_come_from_the_listener_log(synthesized: Synthesized) -> None:
    # The filter must match the line iot_ingest logs when its sink fails (so frames go unacknowledged).
    from pathlib import Path

    (metric_filter,) = synthesized.properties("dev", "AWS::Logs::MetricFilter")
    assert metric_filter["FilterPattern"] == '{ $.msg = "sink failed*" }'
    handoff = (Path(__file__).resolve().parents[2] / "iot_ingest" / "handoff.py").read_text(encoding="utf-8")
    assert '"sink failed;' in handoff
