"""The rules handlers on the AWS wiring (STORE_BACKEND=dynamodb) under moto: same outcome as on sqlite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from moto import mock_aws

from functions import _wiring
from functions.every_minute_evaluate_rules import handler as evaluate_handler
from monitoring.clock import FixedClock
from monitoring.storage.dynamodb import open_store
from monitoring.storage.ports import Store
from tests.fixtures.events import load_event
from tests.integration.functions.test_rules_handlers import _seed

pytestmark = pytest.mark.integration


@pytest.fixture
def dynamodb_wired_store(fake_aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """Tables as the CDK stack creates them, in moto, behind `_wiring` with STORE_BACKEND=dynamodb."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Gongkuang")
    clock = FixedClock(datetime(2026, 11, 23, 3, tzinfo=UTC))
    with mock_aws():
        store = open_store(region="cn-north-1", table_prefix="gk", clock=clock, create_tables=True)
        env = {"STORE_BACKEND": "dynamodb", "DYNAMODB_TABLE_PREFIX": "gk", "AWS_REGION": "cn-north-1"}
        _wiring.configure(_wiring.settings_from_env(env), clock=clock)
        try:
            yield store
        finally:
            _wiring.configure(None)
            store.close()


def test_evaluate_handler_on_dynamodb_raises_the_stop_alarm_once(
    dynamodb_wired_store: Store, lambda_context: Any
) -> None:
    # Given production running and its fan stopped since 01:00 UTC, stored in DynamoDB
    _seed(dynamodb_wired_store)
    event = load_event("eventbridge_scheduled.json")  # time 03:00Z
    # When the scheduled tick runs twice (a redelivery)
    first = evaluate_handler(event, lambda_context)
    second = evaluate_handler(event, lambda_context)
    # Then one stop alarm is in DynamoDB and the redelivery changed nothing
    assert first["alarms_changed"] >= 1 and second["alarms_changed"] == 0
    alarms = _wiring.get_store().alarms.list()
    assert [a.rule for a in alarms] == ["control_stopped"]
    assert alarms[0].created_at == datetime(2026, 11, 23, 3, tzinfo=UTC)
