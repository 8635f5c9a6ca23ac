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

    (metric_filter,) = [
        f for f in synthesized.properties("dev", "AWS::Logs::MetricFilter")
        if f["MetricTransformations"][0]["MetricName"] == "ListenerSinkFailures"
    ]  # fmt: skip
    assert metric_filter["FilterPattern"] == '{ $.msg = "sink failed*" }'
    handoff = (Path(__file__).resolve().parents[2] / "iot_ingest" / "handoff.py").read_text(encoding="utf-8")
    assert '"sink failed;' in handoff


@pytest.mark.parametrize("stage", ["dev", "prod", "county", "county-ec2"])
def test_a_released_decode_hold_is_alarmed_from_the_schedulers_warning(synthesized: Synthesized, stage: str) -> None:
    import io
    import json
    import logging

    from functions._observability import logger
    from functions.every_minute_schedule_rules import HOLD_RELEASED

    # The filter reads ScheduleRules' own log group (EMF may be off in the stage: the log line is always there)
    (metric_filter,) = [
        f for f in synthesized.properties(stage, "AWS::Logs::MetricFilter")
        if f["MetricTransformations"][0]["MetricName"] == "DecodeHoldReleasedLogged"
    ]  # fmt: skip
    functions = synthesized.resources(stage, "AWS::Lambda::Function")
    (scheduler,) = [v for v in functions.values() if v["Properties"]["Handler"].startswith("functions.every_minute_sc")]
    assert metric_filter["LogGroupName"] == scheduler["Properties"]["LoggingConfig"]["LogGroup"]
    assert metric_filter["FilterPattern"] == f'{{ $.message = "{HOLD_RELEASED}" }}'
    # ... and matches the line the function's logger writes (a JSON object whose message is the warning)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logger.registered_formatter)  # the function's JSON lines, into this buffer
    logger.addHandler(handler)
    try:
        logger.warning(HOLD_RELEASED, extra={"group": "g3"})
    finally:
        logger.removeHandler(handler)
    (line,) = [json.loads(x) for x in out.getvalue().splitlines()]
    assert line["message"] == HOLD_RELEASED and line["group"] == "g3"
    (alarm,) = [a for a in synthesized.properties(stage, "AWS::CloudWatch::Alarm")
                if a.get("MetricName") == "DecodeHoldReleasedLogged"]  # fmt: skip
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"


def test_the_county_host_has_no_decode_hold_to_release(synthesized: Synthesized) -> None:
    names = {f["MetricTransformations"][0]["MetricName"]
             for f in synthesized.properties("county-host", "AWS::Logs::MetricFilter")}  # fmt: skip
    assert "DecodeHoldReleasedLogged" not in names
