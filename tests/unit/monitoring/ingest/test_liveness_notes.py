"""Decode with liveness sheets, as the county host runs it: at every interval the views can show online, the last
frame they read (item or sheet) never looks offline while frames keep coming, also across a restart; a terminal at
one frame a minute costs its item no write after the first, and each sheet at most one write per period."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from monitoring.clock import FixedClock
from monitoring.ingest.decode import Decoder, DecodeSettings
from monitoring.ingest.liveness_notes import LivenessNotes
from monitoring.ingest.registry_cache import RegistryCache
from monitoring.ingest.terminal_state import ONLINE_WINDOW, FrameGaps
from monitoring.profiles.models import Profile
from monitoring.registry.liveness import liveness_sheet
from monitoring.storage.ports import Store
from tests.unit.monitoring.ingest.conftest import MN, NOW, frame, record, register

# The host's other traffic, in MN's sheet: a batch every 20 s (a fleet gives one every second), and the sheet is
# written every period, so MN's times wait for the sheet's moment as in a sheet of ≈ 23 terminals
OTHER = "88888880000127"
PERIOD = timedelta(minutes=5)  # local/workers.py HOST_LIVENESS_S
DELIVERY = timedelta(seconds=45)  # listener → queue → decode, a slow case
STEP = timedelta(seconds=20)


def _upload(mn: str, at: datetime) -> bytes:
    local = (at + timedelta(hours=8)).strftime("%Y%m%d%H%M%S")
    return record(frame("2011", f"DataTime={local};Ua01-Rtd=231", mn=mn, qn=f"{local}001"), at=at, mn=mn)


class Host:
    """One warm decode process: its registry cache (the host's hour), frame gaps and liveness notes."""

    def __init__(self, store: Store, clock: FixedClock) -> None:
        self.cache = RegistryCache(clock, ttl=timedelta(hours=1))
        self.gaps, self.notes = FrameGaps(), LivenessNotes(PERIOD)


def _run(
    store: Store, clock: FixedClock, profiles: dict[str, Profile], interval: timedelta, hours: float, seed: int
) -> tuple[timedelta, int, int]:
    """(the oldest last frame the views read while frames kept coming, MN's item writes, its sheet's writes)."""
    rng = random.Random(seed)
    register(store)
    register(store, mn=OTHER)
    settings = DecodeSettings(state_refresh=timedelta(seconds=600))
    host, restarted = Host(store, clock), False
    ours = [NOW]
    while ours[-1] < NOW + timedelta(hours=hours):
        ours.append(ours[-1] + interval + timedelta(seconds=rng.randint(-10, 10)))
    oldest, writes_before, sheet_writes = timedelta(0), store.registry.get_terminal(MN).version, 0
    now, sent = NOW + DELIVERY, 0
    while now < NOW + timedelta(hours=hours):
        shown = store.registry.get_terminal(MN).last_frame_at  # what the dashboard, field and API read now
        if shown is not None:
            oldest = max(oldest, now - shown)
        if not restarted and now >= NOW + timedelta(hours=hours / 2):
            host, restarted = Host(store, clock), True  # the host restarts: every warm cache starts empty
        clock.set(now)
        batch = [_upload(OTHER, now - DELIVERY)]
        while sent < len(ours) and ours[sent] + DELIVERY <= now:
            batch.append(_upload(MN, ours[sent]))
            sent += 1
        decoder = Decoder(store, clock, profiles, settings, cache=host.cache, gaps=host.gaps, liveness=host.notes)
        for one in batch:
            assert decoder.decode(one) in ("reading", "duplicate")
        before = host.notes.writes
        decoder.flush()
        sheet_writes += host.notes.writes - before
        now += STEP
    return oldest, store.registry.get_terminal(MN).version - writes_before, sheet_writes


@pytest.mark.parametrize("minutes", [0.5, 1, 2, 3, 5, 8, 10, 12])
def test_a_live_terminal_never_looks_offline_with_liveness_sheets(
    store: Store, clock: FixedClock, profiles: dict[str, Profile], minutes: float
) -> None:
    # Given a terminal uploading every `minutes` through a host that restarts half way
    oldest, _, _ = _run(store, clock, profiles, timedelta(minutes=minutes), 3, seed=int(minutes * 10))
    # Then the last frame the views read is never older than their window
    assert oldest < ONLINE_WINDOW, (minutes, oldest)


def test_one_frame_a_minute_costs_the_item_nothing_after_its_first_and_the_sheet_one_write_a_period(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    assert liveness_sheet(MN) == liveness_sheet(OTHER)  # one sheet
    oldest, item_writes, sheet_writes = _run(store, clock, profiles, timedelta(minutes=1), 6, seed=7)
    assert oldest < timedelta(minutes=8)  # a period and a frame, plus delivery
    # Without sheets: 6 h / 600 s = 36 item writes. With them: the first frame, and the first after the restart
    # (its cache holds the item as stored, and the sheet a few minutes later may not be there yet)
    assert item_writes <= 2
    assert sheet_writes <= 6 * 12 + 2  # once per 5-minute period (and once at each start)


def _minutes(store: Store, clock: FixedClock, profiles: dict[str, Profile], host: Host, minutes: int) -> None:
    """MN and OTHER send every minute; after each batch MN is online as the views read it."""
    settings = DecodeSettings(state_refresh=timedelta(seconds=600))
    for minute in range(minutes):
        now = NOW + timedelta(minutes=minute)
        clock.set(now + timedelta(seconds=5))
        decoder = Decoder(store, clock, profiles, settings, cache=host.cache, gaps=host.gaps, liveness=host.notes)
        assert [decoder.decode(_upload(mn, now)) for mn in (MN, OTHER)] == ["reading", "reading"]
        decoder.flush()  # raises nothing
        shown = store.registry.get_terminal(MN)
        assert shown.online and clock.now() - shown.last_frame_at < ONLINE_WINDOW, minute  # type: ignore[operator]


def test_a_malformed_stored_sheet_is_written_afresh_and_fails_no_batch(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    # Given MN's sheet stored malformed (a hostile or corrupted document), MN and another terminal registered
    register(store)
    register(store, mn=OTHER)
    bad = {"county_id": "rugao", "sheet": liveness_sheet(MN), "seen": {MN: "yesterday"}, "version": 3}
    store.registry._put_doc("liveness", f"rugao#{liveness_sheet(MN)}", bad, {}, expected_version=None)  # type: ignore[attr-defined]
    first = store.registry.get_terminal(MN).version
    # When both send every minute for 30 minutes: online at every minute
    _minutes(store, clock, profiles, Host(store, clock), 30)
    # Then the sheet was written afresh and carries MN: its item was written at first sight only
    assert store.registry.get_terminal(MN).version == first + 1
    assert store.registry.terminal_liveness("rugao")[MN] >= NOW + timedelta(minutes=20)


class _FailingSheets:
    """The real registry whose sheet writes always fail (endless contention, say)."""

    def __init__(self, registry: object) -> None:
        self.inner, self.tries = registry, 0

    def record_terminals_alive(self, *args: object, **kwargs: object) -> object:
        from monitoring.errors import ConflictError

        self.tries += 1
        raise ConflictError("liveness sheet: too much contention")

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_a_sheet_that_keeps_failing_leaves_its_terminals_to_their_items_cadence(
    store: Store, clock: FixedClock, profiles: dict[str, Profile]
) -> None:
    import dataclasses

    # Given a registry whose sheet writes always fail
    register(store)
    register(store, mn=OTHER)
    failing = _FailingSheets(store.registry)
    wrapped = dataclasses.replace(store, registry=failing)  # type: ignore[type-var]
    first = store.registry.get_terminal(MN).version
    # When both send every minute for an hour: no batch fails, MN online at every minute
    _minutes(wrapped, clock, profiles, Host(wrapped, clock), 60)
    # Then its item was written at the item cadence (first sight, the failed sheets' times, every 10 minutes),
    # not at every frame; and each sheet was tried at most once a period
    writes = store.registry.get_terminal(MN).version - first
    assert 6 <= writes <= 2 * (60 // 5) + 2
    assert failing.tries <= 2 * (60 // 5 + 1)
