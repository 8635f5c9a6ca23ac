"""Running state: thresholds, hysteresis, confirmation, UNKNOWN for gaps and bad flags, window independence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.evaluation.config import load_defaults
from monitoring.evaluation.models import PointInfo, Role, RunState, Sample
from monitoring.evaluation.running_state import classify, minute_states, thresholds_for

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 23, tzinfo=UTC)
POINT = PointInfo("C1", "E1", Role.CONTROL, rated_kw=30.0)
TH = thresholds_for(POINT, load_defaults().params("running_state"))


def _series(values: list[float | None], flag: str = "N") -> list[Sample]:
    return [Sample(T + timedelta(minutes=i), p=v, flag=flag) for i, v in enumerate(values) if v is not None]


def test_thresholds_come_from_rating_with_floor() -> None:
    assert TH.p_on == pytest.approx(1.5) and TH.p_off == pytest.approx(0.9)
    tiny = thresholds_for(PointInfo("X", "E1", Role.CONTROL), load_defaults().params("running_state"))
    assert tiny.p_on == pytest.approx(0.5)


def test_change_needs_two_agreeing_samples_and_is_dated_at_the_first() -> None:
    # One 0 between 10s is a spike, not a stop; the stop confirmed by the last two 0s began at the first of them
    states = classify(_series([10, 10, 0, 10, 0, 0]), TH)
    assert states == [RunState.RUN, RunState.RUN, RunState.RUN, RunState.RUN, RunState.STOP, RunState.STOP]


def test_unconfirmed_last_sample_keeps_the_old_state_until_the_next_agrees() -> None:
    assert classify(_series([10, 10, 10, 0]), TH)[-1] == RunState.RUN
    assert classify(_series([10, 10, 10, 0, 0]), TH)[-2:] == [RunState.STOP, RunState.STOP]


def test_values_inside_the_band_keep_the_previous_state() -> None:
    states = classify(_series([10, 10, 1.2, 1.2, 1.2]), TH)
    assert states[-1] == RunState.RUN
    states = classify(_series([0, 0, 1.2, 1.2, 1.2]), TH)
    assert states[-1] == RunState.STOP


def test_bad_flag_and_gap_are_unknown_never_stop() -> None:
    assert set(classify(_series([0, 0, 0], flag="D"), TH)) == {int(RunState.UNKNOWN)}
    minutes = minute_states(_series([10, 10, None, None, None, None, 10, 10]), TH, T, 8)
    # a reading covers its interval x coverage_factor (90 s), so minute 2 is still known; 3-5 are not
    assert list(minutes[3:6]) == [0, 0, 0] and minutes[1] == RunState.RUN


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.0, 1.2, 1.4, 2.0, 20.0])), min_size=80, max_size=120),
    st.integers(min_value=0, max_value=20),
)
def test_state_after_warmup_does_not_depend_on_where_evaluation_starts(values: list[float | None], skip: int) -> None:
    # The state at minute t depends only on readings in [t - 2H, t]; evaluation warms up 2H + 5 min before.
    samples = _series(values)
    warm = 2 * 15 + 5
    start = T + timedelta(minutes=skip + warm)
    n = len(values) - skip - warm
    if n <= 0:
        return
    full = minute_states(samples, TH, start, n)
    late = minute_states([s for s in samples if s.at >= T + timedelta(minutes=skip)], TH, start, n)
    assert full == late


def test_reversed_ct_negative_power_reads_as_running() -> None:
    # A reversed CT flips the sign of P, not the load: -10 kW is a facility drawing 10 kW (rule 7 flags the wiring)
    assert classify(_series([-10, -10, -10]), TH)[-1] == RunState.RUN
    assert classify(_series([10, 10, -0.2, -0.2]), TH)[-1] == RunState.STOP
