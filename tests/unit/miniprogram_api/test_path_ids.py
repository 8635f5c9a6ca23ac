"""Path parameters: the ids the platform itself makes are addressable, hostile strings are not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from miniprogram_api.chalicelib.framework import _ID
from monitoring.alarms.reconcile import alarm_id


def test_an_alarm_id_of_the_rules_engine_is_a_valid_path_parameter() -> None:
    raised = alarm_id("power_loss", "terminal:010000A80000000400000005", datetime(2026, 11, 30, 0, 29, tzinfo=UTC))
    assert "|" in raised and _ID.match(raised)


@pytest.mark.parametrize("value", ["../etc/passwd", "a/b", "a b", "' OR '1'='1", "|leading", "a" * 129, ""])
def test_hostile_path_values_are_refused(value: str) -> None:
    assert not _ID.match(value)
