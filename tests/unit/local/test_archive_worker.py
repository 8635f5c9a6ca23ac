"""The archive worker's pace: a failed cut is retried within a minute, so its failure line keeps recurring."""

from __future__ import annotations

from local.archive_worker import RETRY_S, pause_s


def test_a_failed_cut_is_retried_within_a_minute_and_a_good_one_waits_the_period() -> None:
    assert RETRY_S == 60.0  # HostWorkerFailures sums 5 minutes: ≥ 1 line in each while a cut keeps failing
    assert pause_s(300.0, failed=False, stopping=False) == 300.0
    assert pause_s(300.0, failed=True, stopping=False) == 60.0
    assert pause_s(10.0, failed=True, stopping=False) == 10.0  # never later than the period itself
    assert pause_s(300.0, failed=True, stopping=True) == 1.0  # the stop's drain retries at once


def test_one_s3_call_is_bounded_to_half_the_hang_limit_whatever_it_is() -> None:
    from local.archive_worker import S3_CALL_SHARE, s3_limits

    for hang_after_s in (4.5, 10, 20, 30, 60, 300, 3600):
        limits = s3_limits(hang_after_s)
        assert 0 < limits.connect_s <= 5 and 0 < limits.read_s <= 30 and limits.attempts in (1, 2), limits
        assert limits.worst_s() <= hang_after_s * S3_CALL_SHARE + 1e-9, (hang_after_s, limits)
    # the default hang limit (30 s): two tries, each reading for at least a second; a shorter one: one try
    assert s3_limits(30).attempts == 2 and s3_limits(30).read_s >= 1.0 and s3_limits(20).attempts == 1
