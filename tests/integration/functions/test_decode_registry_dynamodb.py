"""Decode's registry reads and terminal-state writes on DynamoDB Local, through the handlers' own wiring and counted
by the cost bench's meter: warm batches of an unchanged registry read only the change mark, an edit reaches the next
batch, an unknown MN is not looked up per frame, and a live terminal stays online at the 600 s state cadence."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from functions import _wiring
from functions.every_minute_evaluate_rules import handler as evaluate_handler
from monitoring.clock import FixedClock
from monitoring.field.terminals import Visibility, terminal_view
from monitoring.readings.models import ReadingKind
from monitoring.registry.models import FacilityKind, MonitoringPoint
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.dynamodb.metering import OperationUsage
from monitoring.storage.dynamodb.registry import DynamoDBRegistryRepository
from monitoring.storage.ports import Store
from monitoring.views.dashboard import dashboard_summary
from tests.contract.storage import builders as b
from tests.support.wired_dynamodb import wired_dynamodb
from tests.unit.monitoring.ingest.conftest import NOW, PW, frame, record

pytestmark = pytest.mark.integration
MNS = ("88888880000001", "88888880000002", "88888880000003")
STRANGER = "88888880000099"  # sends, but is not registered


@pytest.fixture
def wired(dynamodb_local_url: str, fake_aws_env: None) -> Iterator[tuple[Store, DynamoDBBackend, FixedClock]]:
    """The AWS stage's decode knobs on DynamoDB Local: 1 h safety TTL, the mark every 30 s, state every 600 s."""
    yield from _wired(dynamodb_local_url)


@pytest.fixture
def wired_sheets(dynamodb_local_url: str, fake_aws_env: None) -> Iterator[tuple[Store, DynamoDBBackend, FixedClock]]:
    """The same with the county host's liveness sheets (local/workers.py HOST_LIVENESS_S)."""
    from local.workers import HOST_LIVENESS_S

    yield from _wired(dynamodb_local_url, terminal_liveness_s=HOST_LIVENESS_S)


def _wired(url: str, **more: Any) -> Iterator[tuple[Store, DynamoDBBackend, FixedClock]]:
    clock = FixedClock(NOW)
    knobs: dict[str, Any] = {"registry_cache_s": 3600.0, "registry_mark_check_s": 30.0, "state_refresh_s": 600.0}
    with wired_dynamodb(url, "dr", clock, rollup=False, **knobs, **more) as (store, backend):
        b.seed_jurisdictions(store.registry)
        clock.set(NOW - timedelta(hours=1))  # registered well before the container starts (no edit settling)
        for i, mn in enumerate(MNS):
            store.registry.put_terminal(dataclasses.replace(b.terminal(mn), password_hash=_hash()))
            store.registry.put_point(_point(f"p{i}", mn, "e1"))
        clock.set(NOW)
        yield store, backend, clock


def _hash() -> str:
    from monitoring.registry.terminal import hash_password

    return hash_password(PW, n=2)


def _point(pid: str, mn: str | None, enterprise: str) -> MonitoringPoint:
    return MonitoringPoint(
        point_id=pid, enterprise_id=enterprise, facility_id="f1", point_code=f"code-{pid}", name="引风机",
        role=FacilityKind.CONTROL, mn=mn, channel="01" if mn else "",
    )  # fmt: skip


def _batch(clock: FixedClock, backend: DynamoDBBackend, minute: int, mns: tuple[str, ...]) -> tuple[list[str], int]:
    """One batch at NOW + `minute` min: a real-time frame per MN; (outcomes, requests on the registry table)."""
    at = NOW + timedelta(minutes=minute)
    clock.set(at + timedelta(seconds=1))
    local = at + timedelta(hours=8)
    cp, qn = f"DataTime={local:%Y%m%d%H%M}00;Ua01-Rtd=231.2;Ia01-Rtd=12.5", f"{local:%Y%m%d%H%M}01001"
    raw = [frame("2011", cp, mn=mn, qn=qn) for mn in mns]
    before = _registry(backend)
    decoder = _wiring.new_decoder()
    outcomes = [decoder.decode(record(r, at=at, mn=mn)) for r, mn in zip(raw, mns, strict=True)]
    decoder.flush()
    return outcomes, _registry(backend).requests - before.requests


def _online_every_minute(store: Store, backend: DynamoDBBackend, clock: FixedClock, mn: str, minutes: int) -> int:
    """A frame of `mn` a minute; asserts that at every minute the terminal views (API 在线) and the dashboard count
    it online (the other terminals never send). Returns the minutes whose batch wrote to the registry."""
    sees, writes = Visibility("rugao", None), 0
    for minute in range(minutes):
        before = _registry(backend).write_units
        _batch(clock, backend, minute, (mn,))
        writes += _registry(backend).write_units > before
        now = clock.now()
        assert terminal_view(store.registry, mn, sees).online_now(now), minute
        assert dashboard_summary(store, "rugao", visible=None, now=now).total.terminals_online == 1, minute
    return writes


def _registry(backend: DynamoDBBackend) -> OperationUsage:
    return next((u for t, u in backend.meter.by_table().items() if t.endswith("-registry")), OperationUsage())


def _realtime(store: Store, point_id: str, minute: int) -> bool:
    at = NOW + timedelta(minutes=minute)
    return bool(store.readings.readings(point_id, ReadingKind.REALTIME, at, at + timedelta(seconds=1)))


def test_warm_batches_of_an_unchanged_registry_read_only_the_change_mark(
    wired: tuple[Store, DynamoDBBackend, FixedClock],
) -> None:
    store, backend, clock = wired
    # Given a cold container: its first batch reads each terminal and its points (and writes their state)
    outcomes, cold = _batch(clock, backend, 0, MNS)
    assert outcomes == ["reading"] * 3 and cold >= 1 + 3 * 3
    # When batches keep coming a minute apart with nothing edited
    warm = [_batch(clock, backend, m, MNS) for m in range(1, 9)]
    # Then each reads the mark once and nothing per terminal (no state write either: within 600 s)
    assert [outcome for outcome, _ in warm] == [["reading"] * 3] * 8
    assert [requests for _, requests in warm] == [1] * 8
    # And within the 30 s between looks at the mark, a batch makes no registry request at all
    clock.advance(timedelta(seconds=10))
    decoder = _wiring.new_decoder()
    before = _registry(backend).requests
    decoder.decode(record(frame("2011", "DataTime=20261128184400;Ua01-Rtd=1", mn=MNS[0]), at=clock.now(), mn=MNS[0]))
    decoder.flush()
    assert _registry(backend).requests == before


def test_an_edit_between_two_warm_batches_is_applied_on_the_next_batch(
    wired: tuple[Store, DynamoDBBackend, FixedClock],
) -> None:
    store, backend, clock = wired
    # Given warm batches: every terminal's frames become readings of its point
    _batch(clock, backend, 0, MNS)
    assert _batch(clock, backend, 1, MNS)[0] == ["reading"] * 3
    # When an installer re-binds MN 1's channel from p0 (enterprise e1) to p9 (enterprise e2) and retires MN 2
    reg = store.registry
    reg.put_point(dataclasses.replace(reg.get_point("p0"), mn=None, channel=""))
    reg.put_point(_point("p9", MNS[0], "e2"))
    reg.put_point(dataclasses.replace(reg.get_point("p1"), mn=None, channel=""))
    # Then the next batch binds MN 1's frame to p9 and turns MN 2's into no reading; MN 3 is unchanged
    outcomes, _ = _batch(clock, backend, 2, MNS)
    assert outcomes == ["reading", "no_point", "reading"]
    assert _realtime(store, "p9", 2) and not _realtime(store, "p0", 2)
    assert not _realtime(store, "p1", 2) and _realtime(store, "p1", 1)
    assert _realtime(store, "p2", 2)


def test_an_unknown_mn_is_not_looked_up_per_frame_and_is_decoded_once_registered(
    wired: tuple[Store, DynamoDBBackend, FixedClock],
) -> None:
    store, backend, clock = wired
    # Given a terminal that sends but is not registered: its first batch looks it up once
    assert _batch(clock, backend, 0, (STRANGER,))[0] == ["unregistered"]
    # When it keeps sending: only the mark is read
    later = [_batch(clock, backend, m, (STRANGER,)) for m in range(1, 5)]
    assert later == [(["unregistered"], 1)] * 4
    # When an installer registers and binds it: its frames become readings on the next batch
    store.registry.put_terminal(dataclasses.replace(b.terminal(STRANGER), password_hash=_hash()))
    store.registry.put_point(_point("p-new", STRANGER, "e1"))
    assert _batch(clock, backend, 5, (STRANGER,))[0] == ["reading"]
    assert _realtime(store, "p-new", 5)


def test_a_live_terminal_stays_online_at_the_600_s_state_cadence_and_goes_offline_when_silent(
    wired: tuple[Store, DynamoDBBackend, FixedClock],
) -> None:
    store, backend, clock = wired
    mn, sees = MNS[0], Visibility("rugao", None)
    # Given one frame a minute for 40 minutes: online at every minute (_online_every_minute)
    writes = _online_every_minute(store, backend, clock, mn, 40)
    # And its state was written at first sight and then once per 10 minutes, not every 5
    assert writes == 4
    last_frame = NOW + timedelta(minutes=39)
    stored = store.registry.get_terminal(mn).last_frame_at
    assert stored is not None and last_frame - stored < timedelta(minutes=10)
    # When it falls silent: offline within 15 minutes of its last frame, and never before 5
    clock.set(last_frame + timedelta(minutes=5))
    assert terminal_view(store.registry, mn, sees).online_now(clock.now())
    clock.set(last_frame + timedelta(minutes=15, seconds=1))
    assert not terminal_view(store.registry, mn, sees).online_now(clock.now())


def test_with_liveness_sheets_a_live_terminal_is_online_every_minute_and_its_item_is_written_once(
    wired_sheets: tuple[Store, DynamoDBBackend, FixedClock],
) -> None:
    store, backend, clock = wired_sheets
    mn, sees = MNS[0], Visibility("rugao", None)
    first = store.registry.get_terminal(mn).version
    # Given one frame a minute for 40 minutes, decoded by the county host's one warm process: online at every minute
    writes = _online_every_minute(store, backend, clock, mn, 40)
    # And its item was written at first sight only; its sheet at most once per 5 minutes
    assert store.registry.get_terminal(mn).version == first + 1
    assert writes <= 1 + 40 // 5 + 1
    assert store.registry.get_terminal(mn).last_frame_at >= NOW + timedelta(minutes=34)  # type: ignore[operator]
    # When it falls silent: offline within 15 minutes of its last frame, as before
    last_frame = NOW + timedelta(minutes=39)
    clock.set(last_frame + timedelta(minutes=15, seconds=1))
    assert not terminal_view(store.registry, mn, sees).online_now(clock.now())


def test_the_offline_rule_judges_from_readings_not_from_the_600_s_terminal_state(
    wired: tuple[Store, DynamoDBBackend, FixedClock], lambda_context: Any
) -> None:
    store, backend, clock = wired
    # Given an enterprise whose terminal MN 1 sends every minute for 75 minutes and MN 2 falls silent after 20,
    # decoded at the AWS stage's 600 s state cadence
    store.registry.put_enterprise(b.enterprise("e1"))
    store.registry.put_facility(b.facility("f1", enterprise_id="e1", kind=FacilityKind.CONTROL, code="TA001"))
    for minute in range(75):
        _batch(clock, backend, minute, MNS[:2] if minute < 20 else MNS[:1])
    # When the rules tick after the last frame
    tick = NOW + timedelta(minutes=76)
    clock.set(tick)
    evaluate_handler({"time": tick.isoformat().replace("+00:00", "Z")}, lambda_context)
    # Then only the silent terminal is offline; the live one, whose stored last frame is minutes old, is not
    offline = [a.subject for a in store.alarms.list() if a.rule == "terminal_offline"]
    assert offline == [f"terminal:{MNS[1]}"]
    live = store.registry.get_terminal(MNS[0]).last_frame_at
    assert live is not None and tick - live > timedelta(minutes=1)


@pytest.mark.parametrize("interval", [timedelta(minutes=8), timedelta(minutes=10, seconds=-2)], ids=["8min", "10min"])
def test_a_terminal_at_a_long_interval_is_online_at_every_minute_of_an_hour(
    wired: tuple[Store, DynamoDBBackend, FixedClock], interval: timedelta
) -> None:
    store, backend, clock = wired
    mn, sees = MNS[0], Visibility("rugao", None)
    # Given a terminal uploading every 8 minutes, or every 10 (1064 MinInterval=10, real-time stopped by 2012)
    # with its frames received a little early, each decoded 30 s after it was received
    frames = [NOW + k * interval for k in range(8)]
    decoded = {at + timedelta(seconds=30): at for at in frames}
    views = [NOW + timedelta(minutes=m) for m in range(1, 61)]
    for moment in sorted([*decoded, *views]):
        clock.set(moment)
        if moment in decoded:
            _send(decoded[moment], (mn,))
            continue
        # Then at every minute of the hour the terminal views (API 在线) and the dashboard count it online
        assert terminal_view(store.registry, mn, sees).online_now(moment), moment - NOW
        assert dashboard_summary(store, "rugao", visible=None, now=moment).total.terminals_online == 1, moment - NOW


def _send(at: datetime, mns: Iterable[str]) -> list[str]:
    """One batch of real-time frames received at `at`, decoded now (the clock's time) by a warm container."""
    local = at + timedelta(hours=8)
    cp, qn = f"DataTime={local:%Y%m%d%H%M}00;Ua01-Rtd=231.2;Ia01-Rtd=12.5", f"{local:%Y%m%d%H%M%S}001"
    decoder = _wiring.new_decoder()
    outcomes = [decoder.decode(record(frame("2011", cp, mn=mn, qn=qn), at=at, mn=mn)) for mn in mns]
    decoder.flush()
    return outcomes


class _IndexView(DynamoDBRegistryRepository):
    """The same table written without moving the change mark: what a lagging index answers, and its catching up."""

    def _note_changes(self, mns: Iterable[str]) -> None:
        del mns


def test_a_cold_container_rereads_a_binding_it_cached_in_an_edits_index_lag(
    wired: tuple[Store, DynamoDBBackend, FixedClock],
) -> None:
    store, backend, clock = wired
    reg, index = store.registry, _IndexView(backend.models.registry, clock)
    old_p0, p9 = reg.get_point("p0"), _point("p9", MNS[0], "e2")
    # Given an installer who re-binds MN 1's channel from p0 (enterprise e1) to p9 (enterprise e2) 20 s before a
    # container's cold start, while the index still answers from before the edit
    clock.set(NOW - timedelta(seconds=20))
    reg.put_point(dataclasses.replace(old_p0, mn=None, channel=""))
    reg.put_point(p9)
    index.put_point(dataclasses.replace(reg.get_point("p9"), mn=None, channel=""))
    index.put_point(dataclasses.replace(reg.get_point("p0"), mn=old_p0.mn, channel=old_p0.channel))
    # When the cold container's first batch caches that stale binding, and the index catches up right after
    assert _batch(clock, backend, 0, MNS)[0] == ["reading"] * 3
    assert _realtime(store, "p0", 0) and not _realtime(store, "p9", 0)
    index.put_point(dataclasses.replace(reg.get_point("p0"), mn=None, channel=""))
    index.put_point(dataclasses.replace(reg.get_point("p9"), mn=MNS[0], channel="01"))
    # Then the batch after the edit has settled (60 s) reads the binding again and applies the edit
    assert _batch(clock, backend, 1, MNS)[0] == ["reading"] * 3
    assert _realtime(store, "p9", 1) and not _realtime(store, "p0", 1)
    assert _realtime(store, "p1", 1) and _realtime(store, "p2", 1)
    # And the other terminals' entries were not dropped for it: the batch after reads only the mark
    assert _batch(clock, backend, 2, MNS)[1] == 1
