"""The profile's split: a function's time outside DynamoDB requests, from cProfile's call edges."""

from __future__ import annotations

import pytest

from bench.aws_cost_profile import Func, Table, outside

pytestmark = pytest.mark.unit

TICK: Func = ("rules.py", 1, "tick")
DECODE_READINGS: Func = ("readings.py", 2, "decode_readings")
QUERY: Func = ("readings.py", 3, "query")
CALL: Func = ("botocore/client.py", 4, "_make_api_call")
RECURSE: Func = ("rules.py", 5, "recurse")


def _table() -> Table:
    # tick (10 s) → query (6 s, of which 5 s in the botocore call) and decode_readings (3 s, no request);
    # recurse calls itself and the botocore call (2 s of its 2.5 s)
    return {
        TICK: (1, 1, 1.0, 10.0, {}),
        QUERY: (4, 4, 1.0, 6.0, {TICK: (4, 4, 1.0, 6.0)}),
        CALL: (5, 5, 7.0, 7.0, {QUERY: (4, 4, 5.0, 5.0), RECURSE: (1, 1, 2.0, 2.0)}),
        DECODE_READINGS: (4, 4, 3.0, 3.0, {TICK: (4, 4, 3.0, 3.0)}),
        RECURSE: (1, 2, 0.5, 2.5, {RECURSE: (1, 1, 0.2, 1.0)}),
    }


def test_time_outside_requests_subtracts_each_callers_share_of_the_call() -> None:
    rest = outside(_table(), lambda f: f == CALL)
    assert rest[CALL] == 0.0
    assert rest[QUERY] == pytest.approx(6.0 - 5.0)  # the call's 7 s: 5 s from query, 2 s from recurse
    assert rest[DECODE_READINGS] == pytest.approx(3.0)
    assert rest[TICK] == pytest.approx(10.0 - 5.0)
    assert rest[RECURSE] == pytest.approx(2.5 - 2.0)  # its self-call is not counted twice


def test_without_requests_every_function_keeps_its_cumulative_time() -> None:
    rest = outside(_table(), lambda f: False)
    assert rest == {func: row[3] for func, row in _table().items()}
