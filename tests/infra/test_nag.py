"""cdk-nag AwsSolutions checks: nothing unresolved, every acknowledgement carries a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def test_checks_fail_synthesis_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    # Given the same checks on an app with a bucket that breaks AwsSolutions-S1/S10, Then synthesis fails
    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3

    from infra.app import add_checks

    app = cdk.App(outdir=str(tmp_path))
    s3.Bucket(cdk.Stack(app, "Bad"), "Bucket")
    add_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    assert "AwsSolutions-S1" in (tmp_path / "validation-report.json").read_text(encoding="utf-8")


def test_platform_report_has_no_failed_plugin(synthesized: Synthesized) -> None:
    assert all(r["conclusion"] == "success" for r in synthesized.report.get("pluginReports", []))


def test_no_unacknowledged_errors_or_warnings(synthesized: Synthesized) -> None:
    findings = [
        (v["ruleName"], v["severity"], [c["constructPath"] for c in v["violatingConstructs"]])
        for report in synthesized.report.get("pluginReports", [])
        for v in report["violations"]
        if v["severity"] in ("error", "warning")
    ]
    assert findings == []


def test_every_acknowledgement_has_a_reason(synthesized: Synthesized) -> None:
    # Given the acknowledgements made while building the stacks, Then each names a rule and gives a real reason
    from infra import nag

    assert nag.RECORDED, "no acknowledgement recorded"
    for rule, path, reason in nag.RECORDED:
        assert rule.startswith("AwsSolutions-"), (rule, path)
        assert len(reason) >= 30, (rule, path, reason)


def test_acknowledgement_without_reason_is_refused() -> None:
    from infra import nag

    with pytest.raises(ValueError, match="reason"):
        nag.check_reason("AwsSolutions-S1", "ok")


def test_the_plain_environment_acknowledgement_names_every_listener_variable(synthesized: Synthesized) -> None:
    # AwsSolutions-ECS2 is acknowledged because the variables are plain settings: the reason must list them all
    from infra import nag

    (task,) = synthesized.properties("dev", "AWS::ECS::TaskDefinition")
    names = [e["Name"] for e in task["ContainerDefinitions"][0]["Environment"]]
    assert {"IOT_INGEST_DYNAMODB_TABLE_PREFIX", "IOT_INGEST_DYNAMODB_REGION", "IOT_INGEST_COUNTIES"} <= set(names)
    (reason,) = {r for rule, path, r in nag.RECORDED if rule == "AwsSolutions-ECS2" and "Gongkuang-dev/" in path}
    listed = reason.split("(", 1)[1].split(")", 1)[0].split(", ")
    assert sorted(listed) == sorted(nag.listener_settings([n]) for n in names)
    assert "dynamodb table prefix" in listed and "counties" in listed and "dynamodb region" in listed
