"""A terminal without real-time uploads still tells the platform where it is: simulator link → real listener →
decode on sqlite → the registry's GPS fix."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from iot_ingest.memory import TerminalEntry
from monitoring.clock import SystemClock
from monitoring.ingest.decode import Decoder
from monitoring.ingest.records import parse_record
from monitoring.profiles.loader import load_profiles
from monitoring.storage.ports import Store
from monitoring.storage.sqlite import open_store
from simulator.clock import SimClock
from simulator.link import Link
from simulator.model import SiteModel
from simulator.profile import load_profile
from simulator.runner import drive
from simulator.scenario import parse_scenario
from simulator.terminal import Terminal, TerminalSettings
from tests.integration.iot_ingest import harness
from tests.integration.simulator.test_link import MN, PW, START, _enterprise
from tests.unit.monitoring.ingest.conftest import register

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "gps.db", clock=SystemClock())
    yield opened
    opened.close()


async def _run(realtime: bool) -> list[dict[str, object]]:
    """One simulated terminal linked to a real listener until a minute upload is stored; the sink's records."""
    ent = _enterprise()
    sc = parse_scenario({"name": "t", "title_zh": "t", "description": "t", "effects": []})
    term = Terminal(ent.terminals[0], ent, SiteModel(ent, sc, START, 1), load_profile(), TerminalSettings(sample_s=10))
    clock, stop = SimClock(START, 60.0), asyncio.Event()
    async with harness.running(terminals={MN: TerminalEntry(PW)}) as h:
        link = Link(term, clock, "127.0.0.1", h.port, reconnect_s=0.2, realtime=realtime)
        tasks = [asyncio.create_task(drive(term, clock, stop, first=START)), asyncio.create_task(link.run(stop))]
        try:
            assert await harness.until(lambda: any(r.get("cn") == "2051" for r in h.sink.records), timeout=30.0)
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
        return list(h.sink.records)


def _raw(rec: dict[str, object]) -> bytes:
    return parse_record(rec).raw


def _decode(store: Store, records: list[dict[str, object]]) -> None:
    register(store, mn=MN)
    decoder = Decoder(store, SystemClock(), load_profiles())
    for rec in records:
        assert decoder.decode(rec) != "rejected"
    decoder.flush()


def test_without_realtime_uploads_the_terminal_reports_gps_on_connect_and_it_reaches_the_registry(
    store: Store,
) -> None:
    # Given a terminal linked without real-time uploads (as in `make demo`) to the real listener
    records = asyncio.run(_run(realtime=False))
    # Then its first upload on the connection is its position (3020 InfoId=GPS), and no real-time upload went out
    uploads = [r for r in records if r.get("cn") not in ("9011", "9012", "9013", "9014")]
    assert uploads[0]["cn"] == "3020" and b";InfoId=GPS;GPS-Lng=120.500000,GPS-Lat=32.100000&&" in _raw(uploads[0])
    assert not any(r.get("cn") == "2011" for r in records)
    # When the platform decodes what the listener stored
    _decode(store, records)
    # Then the registry holds the terminal's position, stamped with the terminal's time of the report
    gps = store.registry.find_terminal(MN).gps  # type: ignore[union-attr]
    assert gps is not None and (gps.lat, gps.lon) == (32.1, 120.5)
    assert timedelta(0) <= gps.at - START.replace(tzinfo=CHINA) < timedelta(minutes=5)
