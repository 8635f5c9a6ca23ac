"""The archive worker's pace: a failed cut is retried within a minute, so its failure line keeps recurring."""

from __future__ import annotations

from local.archive_worker import RETRY_S, pause_s


def test_a_failed_cut_is_retried_within_a_minute_and_a_good_one_waits_the_period() -> None:
    assert RETRY_S == 60.0  # HostWorkerFailures sums 5 minutes: ≥ 1 line in each while a cut keeps failing
    assert pause_s(300.0, failed=False, stopping=False) == 300.0
    assert pause_s(300.0, failed=True, stopping=False) == 60.0
    assert pause_s(10.0, failed=True, stopping=False) == 10.0  # never later than the period itself
    assert pause_s(300.0, failed=True, stopping=True) == 1.0  # the stop's drain retries at once
