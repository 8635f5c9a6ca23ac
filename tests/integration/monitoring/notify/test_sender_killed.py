"""A real sender process killed with SIGKILL in the middle of a batch, against a loopback provider that counts
deliveries: after its leases run out a second sender finishes the work; nothing is lost, and only the sends cut
off mid-request (one per address lane at most) may reach the provider twice (with the same idempotency key)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitoring.notify.models import Status
from monitoring.notify.sender import SEND_THREADS
from monitoring.notify.service import NotifyService
from monitoring.storage.sqlite import open_store
from tests.support.notify_loopback import LoopbackProvider
from tests.unit.monitoring.notify.world import COUNTY, alarm, populate

ROOT = Path(__file__).resolve().parents[4]
LEASE_S = 2.0


def _wait(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_killed_sender_loses_nothing_and_repeats_at_most_the_send_in_flight(tmp_path: Path) -> None:
    db = tmp_path / "notify.db"
    store = open_store(db)
    populate(store)
    now = datetime.now(UTC)
    alarms = [
        alarm(f"A{i}", enterprise="E1" if i % 2 else "E2", created_at=now - timedelta(minutes=1 + i)) for i in range(24)
    ]
    decided = NotifyService(store, COUNTY).decide_alarms(alarms, now)
    sendable = [n for n in decided if n.status is Status.QUEUED]
    assert len(sendable) >= 30

    provider = LoopbackProvider("loop", delay_s=0.15)  # a send takes a while: the kill lands inside one
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "tests.support.notify_sender_proc", str(db), provider.url, str(LEASE_S)]
    try:
        first = subprocess.Popen(args, cwd=ROOT, env=env)
        busy = _wait(lambda: len(provider.received) >= 6 and provider.in_flight > 0, 60)
        assert busy, "the first sender never got going"
        in_flight = provider.in_flight
        first.send_signal(signal.SIGKILL)
        # the sends cut off: the provider is still inside them (one per address lane of the sender, at most)
        cut = max(in_flight, provider.in_flight)
        first.wait(10)
        held = [n for n in store.outbox.due(now + timedelta(hours=1)) if n.status is Status.SENDING]
        assert held, "the kill should leave claimed, unfinished work behind (mid-batch)"
        second = subprocess.Popen(args, cwd=ROOT, env=env)
        assert second.wait(120) == 0
    finally:
        provider.close()

    final = {n.key: store.outbox.get(n.key) for n in sendable}
    assert {n.status for n in final.values()} <= {Status.SENT, Status.MERGED}  # nothing lost
    counts = provider.counts()
    primaries = {n.merged_into or n.key for n in final.values()}
    assert set(counts) == primaries  # every message reached the provider, under its own key
    repeats = sum(c - 1 for c in counts.values())
    assert repeats <= cut <= SEND_THREADS  # only the sends in flight at the kill may repeat
    store.close()
