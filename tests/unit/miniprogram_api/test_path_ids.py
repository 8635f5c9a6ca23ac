"""Path parameters: the ids the platform itself makes are addressable, hostile strings are not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from miniprogram_api.chalicelib.framework import _ID, _PATH_IDS
from monitoring.alarms.reconcile import alarm_id

ALARM_ID = _PATH_IDS["alarm_id"]
AT = datetime(2026, 11, 30, 0, 29, tzinfo=UTC)


@pytest.mark.parametrize(
    "subject", ["terminal:010000A80000000400000005", "line:rugao-ent-0030dd3837-line-4b6694acbd/RG015-TA001"]
)
def test_an_alarm_id_of_the_rules_engine_is_a_valid_alarm_id(subject: str) -> None:
    raised = alarm_id("control_stopped", subject, AT)
    assert ALARM_ID.match(raised) and not _ID.match(raised)  # only alarm ids take "|" and "/"


@pytest.mark.parametrize(
    "value", ["../etc/passwd", "a/../../etc/passwd", "a b", "' OR '1'='1", "|leading", "/leading", "a" * 257, ""]
)
def test_hostile_alarm_ids_are_refused(value: str) -> None:
    assert not ALARM_ID.match(value)


@pytest.mark.parametrize("value", ["a/b", "a|b", "../etc", "a" * 129])
def test_other_ids_keep_the_plain_alphabet(value: str) -> None:
    assert not _ID.match(value)
