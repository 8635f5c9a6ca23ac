"""The decode service: frame records → raw archive, readings, events and terminal state.

More: docs/decode.md, "Module notes".
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import hj212
from monitoring.archive.models import AuthStatus, RawFrame
from monitoring.clock import Clock
from monitoring.errors import InvalidInputError
from monitoring.events.models import Event, EventKind
from monitoring.ingest.binding import bind_frame
from monitoring.ingest.liveness_notes import LivenessNotes
from monitoring.ingest.records import FrameRecord, parse_record
from monitoring.ingest.registry_cache import RegistryCache
from monitoring.ingest.rollup_ledger import RollupLedger
from monitoring.ingest.split import SplitCache, SplitJoiner, SplitKey, split_key
from monitoring.ingest.terminal_state import FrameGaps, TerminalStates
from monitoring.profiles.loader import DEFAULT_PROFILE_ID
from monitoring.profiles.mapping import map_frame
from monitoring.profiles.models import Profile
from monitoring.readings.models import Reading, ReadingKind
from monitoring.readings.rollup import (
    days_due,
    hour_start,
    own_hour_due,
    previous_hour_due,
    rollup_day,
    rollup_hour,
    rollup_offset,
)
from monitoring.registry.liveness import seen_later
from monitoring.registry.models import MonitoringPoint, check_mn
from monitoring.registry.terminal import Terminal
from monitoring.storage.ports import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DecodeSettings:
    """Knobs of the decode service (the composition root fills them from its settings)."""

    skew_alarm_s: float = 300.0  # |terminal clock − platform clock| above this raises a clock_skew event
    rollup: bool = True  # write hourly/daily aggregates and completeness for hours that closed
    # A reading this close after an hour boundary rolls up the previous hour (its last samples are in);
    # about one real-time interval, so each point triggers it once or twice an hour, not every frame.
    rollup_grace: timedelta = timedelta(seconds=60)
    # Spread the hour's roll-ups over the next hour: each point's at its own minute (`rollup_offset`), triggered by
    # its readings in `rollup_window` from there (done once per warm process with a RollupLedger), so `readings`
    # is not read for every point at once at the top of the hour (AWS: provisioned capacity follows the mean).
    rollup_spread: bool = False
    rollup_window: timedelta = timedelta(minutes=5)
    # Terminal state is rewritten when its stored last-frame time is at least this old (or something else
    # changed: online, peer, GPS, skew): one write per terminal and minute instead of one per frame.
    state_refresh: timedelta = timedelta(seconds=60)
    # Write each frame to the store's archive (the per-MN hash chain). AWS turns it off: raw frames are kept only
    # in the S3 archive (Firehose, Object Lock) and split uploads are joined from the warm container's cache.
    archive: bool = True


@dataclass
class DecodeReport:
    """What a batch did: outcomes per record and counts of what was written."""

    outcomes: Counter[str] = field(default_factory=Counter)
    readings_new: int = 0
    readings_duplicate: int = 0
    events_new: int = 0
    unknown_codes: int = 0
    unbound_channels: int = 0
    rollups: int = 0


class Decoder:
    """Decodes the records of one batch; call `flush()` once after the last record.

    Per record it validates, decodes and collects; `flush` writes the archive (in record order), readings
    and events with one store call each, which is what makes a batch cheap on sqlite and DynamoDB alike.
    Nothing derived is written before the frames it came from are archived.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        profiles: Mapping[str, Profile],
        settings: DecodeSettings | None = None,
        *,
        cache: RegistryCache | None = None,
        on_stored: Callable[[Sequence[Reading]], None] | None = None,
        split_cache: SplitCache | None = None,
        layouts: hj212.LayoutCache | None = None,
        rollups: RollupLedger | None = None,
        gaps: FrameGaps | None = None,
        liveness: LivenessNotes | None = None,
    ) -> None:
        if DEFAULT_PROFILE_ID not in profiles:
            raise InvalidInputError(f"profile {DEFAULT_PROFILE_ID!r} is missing")
        self.store, self.clock, self.profiles = store, clock, profiles
        self.settings = settings or DecodeSettings()
        self.report = DecodeReport()
        self.last_rejection = ""  # why the last "rejected" record was (callers set such records aside)
        self.states = TerminalStates(gaps)  # gaps: shared like `cache` (each terminal's upload interval)
        # Shared like `cache`: last-frame times go to the county's liveness sheets instead of each terminal's item
        # (None: the item carries them, rewritten every `state_refresh`)
        self.liveness = liveness
        self._terminals: dict[str, Terminal | None] = {}
        self.cache = cache  # shared across batches of a warm process; None: look up once per batch
        self._followed = cache is None  # the cache looks at the registry's change mark once per batch, when first used
        # Told of every newly stored reading, e.g. so the rules reopen their window for late backfill.
        self.on_stored = on_stored
        self._points: dict[str, list[MonitoringPoint]] = {}
        self._due: dict[str, set[datetime]] = {}  # hours to roll up: late data, or scheduled without a ledger
        self._scheduled: dict[str, set[datetime]] = {}  # scheduled hours the ledger may know as done
        self._rolled: list[tuple[str, datetime]] = []
        self.rollups = rollups  # shared like `cache`
        self._readings: dict[tuple[str, ReadingKind, datetime], Reading] = {}
        self._events: list[Event] = []
        self._archive: list[RawFrame] = []
        # split_cache: shared like `cache`; without archive items there is no archive to ask for earlier packets
        self._splits = SplitJoiner(store.archive if self.settings.archive else None, split_cache)
        self._pending: dict[SplitKey, tuple[FrameRecord, hj212.Frame, Profile]] = {}
        # The frames' field layouts as hj212's fast path learns them: shared like `cache`, or this batch's own.
        self._layouts = layouts if layouts is not None else hj212.LayoutCache()

    # ---- per record ---------------------------------------------------------------------------------
    def decode(self, data: bytes | str | Mapping[str, Any]) -> str:
        """Archive and decode one frame record; returns its outcome.

        Raises only on storage failures (transient: the caller retries the record). A record that fails
        validation is logged and reported as "rejected", never raised: retrying it cannot help and would
        block every later record of its shard.
        """
        try:
            record = parse_record(data)
            self._archive.append(RawFrame.of(record))
            outcome = self._decode(record, live=True)
        except InvalidInputError as exc:
            self.last_rejection = str(exc)
            log.error(
                "frame record rejected: %s", exc, extra={"size": len(data) if isinstance(data, bytes | str) else 0}
            )
            outcome = "rejected"
        self.report.outcomes[outcome] += 1
        return outcome

    def decode_archived(self, record: FrameRecord, *, trusted: bool) -> str:
        """Decode a frame that is already archived (re-decoding): no archive write, no terminal state.
        `trusted` lets a frame the listener marked unregistered through (its PW was checked since)."""
        outcome = self._decode(record, live=False, trust_unregistered=trusted)
        self.report.outcomes[outcome] += 1
        return outcome

    def _decode(self, record: FrameRecord, *, live: bool, trust_unregistered: bool = False) -> str:
        try:
            frame = hj212.decode_frame(record.raw, accept_modbus_crc=record.crc == "modbus", layouts=self._layouts)
        except hj212.BadFrameError as exc:
            log.warning("bad frame archived", extra={"mn": record.mn, "reason": exc.reason})
            return "bad_frame"
        mn = frame.mn or record.mn
        if record.auth is AuthStatus.AUTH_FAILED:
            if live:
                self._flag(record, EventKind.AUTH_FAILURE)
            return "auth_failed"
        terminal = self._terminal(mn)
        if terminal is None or (record.auth is AuthStatus.UNREGISTERED and not trust_unregistered):
            if live:
                self._flag(record, EventKind.UNREGISTERED_SEEN)
            return "unregistered"
        profile = self.profiles.get(terminal.profile) or self.profiles[DEFAULT_PROFILE_ID]
        cp = frame.cp
        key = split_key(mn, frame)
        if key is not None:
            # Live: siblings usually follow in this batch; the archive is asked at the end of it (flush).
            whole = self._splits.add(key, frame, record.received_at, partial_ok=not live, consult_archive=not live)
            if whole is None:
                if live:
                    self.states.observe(record, frame, map_frame(profile, frame.st, frame.cn, cp.scalars, {}))
                    self._pending[key] = (record, frame, profile)
                return "split_pending"
            self._pending.pop(key, None)
            cp = whole
        return self._finish(record, frame, profile, mn, cp, live=live)

    def _finish(
        self,
        record: FrameRecord,
        frame: hj212.Frame,
        profile: Profile,
        mn: str,
        cp: hj212.CP,
        *,
        live: bool,
    ) -> str:
        """Map and bind a whole upload (one frame, or the joined packets of a split one); returns its outcome."""
        mapped = map_frame(profile, frame.st, frame.cn, cp.scalars, cp.items, cp.groups)
        if live:
            self.states.observe(record, frame, mapped)
        if mapped.kind is None:
            return "unmapped_message"
        self.report.unknown_codes += sum(len(f) for f in mapped.unknown.values())
        if not mapped.is_reading and mapped.kind != "event":
            return mapped.kind  # restart, time, ignore: archived, and seen in terminal state
        if mapped.kind != "info" and mapped.is_reading and mapped.data_time is None:
            return "no_data_time"  # archived; a reading needs the time its values belong to
        points = self._points_for(mn)
        bound = bind_frame(mapped, points, mn=mn, received_at=record.received_at, secondary=profile.secondary_values)
        self.report.unbound_channels += len(bound.unbound_channels)
        for reading in bound.readings:  # written in flush(), one store call per batch
            self._readings.setdefault((reading.point_id, reading.kind, reading.data_time), reading)
        self._events.extend(bound.events)
        if mapped.events and not bound.readings:
            return "event" if bound.events else "event_unmapped"
        if not bound.readings:
            return "no_point" if mapped.values else mapped.kind
        return "reading"

    def _complete_pending_splits(self) -> None:
        """Uploads whose packets the batch did not complete: one archive look for the earlier packets (a batch
        boundary, a resend). Their last packet's outcome changes from split_pending to the upload's."""
        for key, (record, frame, profile) in self._pending.items():
            whole = self._splits.complete_from_archive(key, record.received_at)
            if whole is None:
                continue  # still missing: archived; a later packet or re-decoding completes it
            outcome = self._finish(record, frame, profile, key[0], whole, live=True)
            self.report.outcomes["split_pending"] -= 1
            if not self.report.outcomes["split_pending"]:
                del self.report.outcomes["split_pending"]
            self.report.outcomes[outcome] += 1
        self._pending.clear()

    # ---- per batch ----------------------------------------------------------------------------------
    def flush(self) -> DecodeReport:
        """Write the batch's readings and events, then terminal state, clock-skew events and roll-ups.

        A failure here must fail the whole batch (every write is idempotent, so the retry is harmless). Where
        the store allows it (sqlite) the batch is one transaction: one commit, durable when this returns.
        """
        self._complete_pending_splits()
        archived = [(f.mn, f.received_at) for f in self._archive]
        with self.store.batch():
            stored, seen = self._write_batch()
        if self.cache is not None:
            for mn, written in seen:
                self.cache.remember_terminal(mn, written)
        if self.rollups is not None:
            self.rollups.record(self._rolled, self.clock.now())
        self._rolled.clear()
        self._splits.commit(archived)  # the archive now holds this batch: its incomplete uploads may be cached
        if self.on_stored is not None and stored:
            # After the commit: the listener may write elsewhere (e.g. the rules' own connection to the same
            # sqlite file, which would wait on this batch's transaction), and it learns only of durable readings.
            self.on_stored(stored)
        return self.report

    def _write_batch(self) -> tuple[list[Reading], list[tuple[str, Terminal]]]:
        stored: list[Reading] = []
        seen: list[tuple[str, Terminal]] = []  # terminal state as written, cached once it is committed
        if self._archive and self.settings.archive:  # archive first: evidence before anything derived from it
            self.store.archive.append_many(self._archive)
        self._archive.clear()
        readings = list(self._readings.values())
        if readings:
            inserted = self.store.readings.put_readings(readings)
            self.report.readings_new += sum(inserted)
            self.report.readings_duplicate += len(inserted) - sum(inserted)
            stored = [r for r, new in zip(readings, inserted, strict=True) if new]
            now = self.clock.now()
            for reading, new in zip(readings, inserted, strict=True):
                if new and reading.kind in (ReadingKind.MINUTE, ReadingKind.REALTIME):
                    self._note_due(reading, now)
        if self._events:
            self.report.events_new += sum(self.store.events.put_events(self._events))
        self._readings.clear()
        self._events.clear()
        notes, now = self.liveness, self.clock.now()
        for mn, state in self.states.items():
            terminal = self._terminal(mn)
            if terminal is None:
                continue
            visible_by = None
            if notes is not None:
                terminal = seen_later(terminal, notes.shown(mn))
                visible_by = notes.visible_by(terminal.county_id, mn, now)
            if not self.states.worth_writing(terminal, state, self.settings.state_refresh, visible_by=visible_by):
                if notes is not None and visible_by is not None:  # None: its sheet is failing, the item carries it
                    notes.note(terminal.county_id, mn, state.last_at)
                continue
            written = self.store.registry.record_terminal_seen(
                mn, state.last_at, peer=state.peer, clock_skew_s=state.skew_s, gps=state.gps, known=terminal
            )
            seen.append((mn, written))
            if state.skew_s is not None and abs(state.skew_s) > self.settings.skew_alarm_s:
                detail = {"skew_s": f"{state.skew_s:.1f}", "source": state.skew_source}
                event = Event(mn, EventKind.CLOCK_SKEW, hour_start(state.last_at), None, state.last_at, detail)
                self.report.events_new += sum(self.store.events.put_events([event]))
        if notes is not None:
            notes.flush_due(self.store.registry, now)
        if self.settings.rollup:
            self._rollups()
        self.states.clear()
        return stored, seen

    def _note_due(self, reading: Reading, now: datetime) -> None:
        spread, pid = self.settings.rollup_spread, reading.point_id
        offset = rollup_offset(pid) if spread else timedelta(0)
        window = self.settings.rollup_window if spread else self.settings.rollup_grace
        late = own_hour_due(reading.data_time, now, offset)
        if late is not None:
            self._due.setdefault(pid, set()).add(late)
        scheduled = previous_hour_due(reading.data_time, window, offset)
        if scheduled is not None:
            ledger = self.rollups is not None and spread
            (self._scheduled if ledger else self._due).setdefault(pid, set()).add(scheduled)

    def _rollups(self) -> None:
        now = self.clock.now()
        for point_id, scheduled in self._scheduled.items():
            fresh = {h for h in scheduled if self.rollups is None or not self.rollups.done(point_id, h)}
            self._due.setdefault(point_id, set()).update(fresh)
        self._scheduled.clear()
        for point_id, hours in sorted(self._due.items()):
            closed = sorted(h for h in hours if h + timedelta(hours=1) <= now)
            for hour in closed:
                rollup_hour(self.store, point_id, hour, self.clock)
                self._rolled.append((point_id, hour))
                self.report.rollups += 1
            days = sorted(days_due(closed, now))
            intervals = self._intervals(point_id) if days else {}
            for day in days:
                rollup_day(self.store, point_id, day, intervals, self.clock)
                self.report.rollups += 1
        self._due.clear()

    def _intervals(self, point_id: str) -> dict[ReadingKind, timedelta]:
        for mn, points in self._points.items():
            if any(p.point_id == point_id for p in points):
                terminal = self._terminal(mn)
                if terminal is not None:
                    return {
                        ReadingKind.MINUTE: timedelta(minutes=terminal.minute_interval_min or 1),
                        ReadingKind.REALTIME: timedelta(seconds=terminal.realtime_interval_s or 60),
                    }
        return {}

    # ---- helpers ------------------------------------------------------------------------------------
    def _terminal(self, mn: str | None) -> Terminal | None:
        if not mn:
            return None
        if mn not in self._terminals:
            try:
                check_mn(mn)
            except InvalidInputError:
                self._terminals[mn] = None
                return None
            hit, terminal = self._follow(self.cache).terminal(mn) if self.cache is not None else (False, None)
            if not hit:
                terminal = self.store.registry.find_terminal(mn)
                if self.cache is not None:
                    self.cache.remember_terminal(mn, terminal)
            self._terminals[mn] = terminal
        return self._terminals[mn]

    def _follow(self, cache: RegistryCache) -> RegistryCache:
        if not self._followed:
            cache.follow(self.store.registry)  # a store failure here fails the batch, like any registry read
            self._followed = True
        return cache

    def _points_for(self, mn: str) -> list[MonitoringPoint]:
        if mn not in self._points:
            cached = self._follow(self.cache).points(mn) if self.cache is not None else None
            if cached is None:
                found = self.store.registry.points_for_mn(mn)
                if self.cache is not None:
                    self.cache.remember_points(mn, found)
                cached = tuple(found)
            self._points[mn] = list(cached)
        return self._points[mn]

    def _flag(self, record: FrameRecord, kind: EventKind) -> None:
        # One event per terminal and hour: the id derives from (mn, kind, occurred_at), so repeats are no-ops.
        detail = {"peer": record.peer, "cn": record.cn, "listener": record.listener}
        event = Event(record.mn, kind, hour_start(record.received_at), None, record.received_at, detail)
        self.report.events_new += sum(self.store.events.put_events([event]))


def decode_records(
    records: Iterable[bytes | str | Mapping[str, Any]],
    store: Store,
    clock: Clock,
    profiles: Mapping[str, Profile],
    settings: DecodeSettings | None = None,
) -> DecodeReport:
    """Decode a batch of frame records (local mode and benchmarks; the Lambda handler drives a Decoder)."""
    decoder = Decoder(store, clock, profiles, settings)
    for record in records:
        decoder.decode(record)
    return decoder.flush()
