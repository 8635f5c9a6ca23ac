"""Seeded frames stay byte-identical: the golden digest was generated from the simulator before its speed work.

A difference means a behaviour change (values, DataTimes, scenario effects, packet splitting or framing); if it
is intended, regenerate with `python -m tests.unit.simulator.golden_frames` and say why in the commit.
"""

from __future__ import annotations

import json

import pytest

from tests.unit.simulator.golden_frames import GOLDEN, collect

pytestmark = pytest.mark.unit


def test_seeded_frames_match_the_golden_digest() -> None:
    # Given the golden digest of a mixed seeded fleet (every bundled scenario)
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    # When the same terminals are stepped over the same spans now
    now = collect()
    # Then every terminal produced the same frames, byte for byte
    assert set(now) == set(golden)
    for span, terms in golden.items():
        assert set(now[span]) == set(terms), span
        for mn, want in terms.items():
            assert now[span][mn] == want, f"{span} {mn} ({want['scenario']})"
