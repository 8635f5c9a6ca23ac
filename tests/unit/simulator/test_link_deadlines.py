"""OverTime of frames in flight: one timer per event loop, each frame still timing out at its own deadline."""

from __future__ import annotations

import asyncio

import pytest

from simulator.link import _deadlines

pytestmark = pytest.mark.unit


def test_each_unanswered_frame_times_out_at_its_own_deadline_answered_ones_never() -> None:
    async def body() -> dict[str, tuple[str, float]]:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        futs = {name: loop.create_future() for name in ("answered", "slow", "fast", "late")}
        got: dict[str, tuple[str, float]] = {}
        for name, fut in futs.items():
            fut.add_done_callback(lambda f, n=name: got.setdefault(n, (f.result(), loop.time() - t0)))
        d = _deadlines(loop)
        d.add(0.05, futs["answered"])
        d.add(0.30, futs["slow"])
        d.add(0.10, futs["fast"])  # an earlier deadline than the pending one re-arms the timer
        futs["answered"].set_result("9014")
        await asyncio.sleep(0.15)
        d.add(0.05, futs["late"])  # added after the timer fired once
        await asyncio.sleep(0.3)
        return got

    got = asyncio.run(body())
    assert got["answered"][0] == "9014"
    # never before its own deadline, and a short deadline does not wait for a longer one queued before it
    assert got["fast"][0] == "timeout" and 0.099 <= got["fast"][1] < got["slow"][1]
    assert got["late"][0] == "timeout" and got["late"][1] >= 0.199
    assert got["slow"][0] == "timeout" and got["slow"][1] >= 0.299
