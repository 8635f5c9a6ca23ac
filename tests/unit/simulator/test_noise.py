"""Deterministic noise: same inputs, same value; sensible distribution."""

from __future__ import annotations

import statistics

import pytest

from simulator import noise

pytestmark = pytest.mark.unit


def test_noise_is_a_pure_function_of_its_inputs() -> None:
    assert noise.gauss(1, 2, 3) == noise.gauss(1, 2, 3)
    assert noise.gauss(1, 2, 3) != noise.gauss(1, 2, 4) != noise.gauss(2, 2, 3)
    assert noise.stream_id("RG001/RG001-P1") == noise.stream_id("RG001/RG001-P1") != noise.stream_id("RG001/RG001-P2")


def test_noise_is_standard_normal_over_time_and_over_streams() -> None:
    over_time = [noise.gauss(1, 5, t) for t in range(20000)]
    over_streams = [noise.gauss(1, s, 100) for s in range(20000)]
    for xs in (over_time, over_streams):
        assert abs(statistics.mean(xs)) < 0.03 and 0.97 < statistics.pstdev(xs) < 1.03
    us = [noise.uniform(3, 1, t) for t in range(20000)]
    assert 0.0 <= min(us) and max(us) < 1.0 and abs(statistics.mean(us) - 0.5) < 0.01
