"""In-memory adapter: the same behaviour as sqlite with dicts and one lock; for unit tests and fast wiring.

Records are kept as JSON text (through the codec), exactly like the durable adapters, so a test against memory
also exercises serialisation.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from monitoring.archive.models import ArchivedFrame
from monitoring.clock import Clock
from monitoring.commands.models import Command, CommandStatus
from monitoring.errors import ConflictError
from monitoring.events.models import Event
from monitoring.readings.models import Aggregate, AggregatePeriod, Completeness, Reading, ReadingKind
from monitoring.registry.changes import ChangeMark, change_bucket
from monitoring.storage import codec
from monitoring.storage.accounts_memory import MemoryAccountsRepository
from monitoring.storage.audit_memory import MemoryAuditTrail
from monitoring.storage.base import (
    INDEXES,
    ArchiveRepositoryBase,
    CommandsRepositoryBase,
    EventsRepositoryBase,
    ReadingsRepositoryBase,
    RegistryRepositoryBase,
)
from monitoring.storage.base.county import locator
from monitoring.storage.campaign_memory import MemoryCampaignRepository
from monitoring.storage.chain_heads_memory import MemoryChainHeadsRepository
from monitoring.storage.maintenance_memory import MemoryMaintenanceRepository
from monitoring.storage.outbox_memory import MemoryOutboxRepository
from monitoring.storage.photos_memory import MemoryPhotoRepository
from monitoring.storage.ports import Store
from monitoring.storage.random_checks_memory import MemoryRandomChecksRepository
from monitoring.storage.retention import RetentionPolicy
from monitoring.storage.rules_memory import (
    MemoryAlarmRepository,
    MemoryAuditLog,
    MemoryEmergencyRepository,
    MemoryReportRepository,
    MemoryRuleState,
)


class MemoryRegistryRepository(RegistryRepositoryBase):
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._docs: dict[tuple[str, str], str] = {}
        self._index: dict[tuple[str, str], dict[str, str]] = {}
        self._changes: Counter[int] = Counter()  # the change mark: bucket -> count

    def registry_changes(self) -> ChangeMark | None:
        with self._lock:  # no index lag here: no bump times to wait on
            return ChangeMark(dict(self._changes))

    def _note_changes(self, mns: Iterable[str]) -> None:
        with self._lock:
            self._changes.update({change_bucket(mn) for mn in mns})

    def _get_doc(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            text = self._docs.get((kind, key))
        return None if text is None else dict(json.loads(text))

    def _put_doc(
        self, kind: str, key: str, body: dict[str, Any], index: Mapping[str, str], *, expected_version: int | None
    ) -> None:
        unknown = set(index) - set(INDEXES[kind])
        if unknown:
            raise ValueError(f"{kind}: undeclared index {sorted(unknown)}")
        with self._lock:
            text = self._docs.get((kind, key))
            stored = None if text is None else int(json.loads(text).get("version", 0))
            if expected_version is not None and (stored or 0) != expected_version:
                raise ConflictError(f"{kind} {key!r}: stored version {stored}, expected {expected_version}")
            if stored is not None and expected_version == 0:
                raise ConflictError(f"{kind} {key!r} already exists")
            self._docs[(kind, key)] = json.dumps(body, ensure_ascii=False, sort_keys=True)
            self._index[(kind, key)] = dict(index)

    def _query_docs(self, kind: str, index: str, value: str) -> list[dict[str, Any]]:
        with self._lock:
            keys = [k for k, idx in self._index.items() if k[0] == kind and idx.get(index) == value]
            return [dict(json.loads(self._docs[k])) for k in keys]


class MemoryReadingsRepository(ReadingsRepositoryBase):
    def __init__(self, *, retention: RetentionPolicy | None = None, clock: Clock | None = None) -> None:
        super().__init__(retention=retention, clock=clock)
        self._lock = threading.RLock()
        self._rows: dict[tuple[str, ReadingKind, datetime], tuple[str, int | None]] = {}
        self._latest: dict[tuple[str, ReadingKind], tuple[datetime, str]] = {}
        self._aggregates: dict[tuple[str, AggregatePeriod, datetime], tuple[str, int | None]] = {}
        self._completeness: dict[tuple[str, date], str] = {}

    def _insert_readings(self, items: Sequence[tuple[Reading, int | None]]) -> list[bool]:
        out = []
        with self._lock:
            for reading, ttl in items:
                key = (reading.point_id, reading.kind, reading.data_time)
                if key in self._rows:
                    out.append(False)
                else:
                    self._rows[key] = (codec.dumps(reading), ttl)
                    out.append(True)
        return out

    def _advance_latest(self, readings: Sequence[Reading]) -> None:
        with self._lock:
            for r in readings:
                current = self._latest.get((r.point_id, r.kind))
                if current is None or r.data_time > current[0]:
                    self._latest[(r.point_id, r.kind)] = (r.data_time, codec.dumps(r))

    def _get_latest(self, point_id: str, kind: ReadingKind) -> Reading | None:
        with self._lock:
            found = self._latest.get((point_id, kind))
        return None if found is None else codec.loads(Reading, found[1])

    def _query_readings(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, limit: int
    ) -> list[Reading]:
        with self._lock:
            hits = sorted(
                (k[2], v[0]) for k, v in self._rows.items() if k[0] == point_id and k[1] is kind and start <= k[2] < end
            )
        return [codec.loads(Reading, text) for _, text in hits[:limit]]

    def _put_aggregate(self, aggregate: Aggregate, ttl: int | None) -> None:
        with self._lock:
            self._aggregates[(aggregate.point_id, aggregate.period, aggregate.start)] = (codec.dumps(aggregate), ttl)

    def _query_aggregates(
        self, point_id: str, period: AggregatePeriod, start: datetime, end: datetime
    ) -> list[Aggregate]:
        with self._lock:
            hits = sorted(
                (k[2], v[0])
                for k, v in self._aggregates.items()
                if k[0] == point_id and k[1] is period and start <= k[2] < end
            )
        return [codec.loads(Aggregate, text) for _, text in hits]

    def _put_completeness(self, completeness: Completeness) -> None:
        with self._lock:
            self._completeness[(completeness.point_id, completeness.day)] = codec.dumps(completeness)

    def _query_completeness(self, point_id: str, first_day: date, last_day: date) -> list[Completeness]:
        with self._lock:
            hits = sorted(
                (k[1], v) for k, v in self._completeness.items() if k[0] == point_id and first_day <= k[1] <= last_day
            )
        return [codec.loads(Completeness, text) for _, text in hits]

    def _purge_expired(self, now_epoch: int) -> int:
        with self._lock:
            dead = [k for k, (_, ttl) in self._rows.items() if ttl is not None and ttl <= now_epoch]
            dead_agg = [k for k, (_, ttl) in self._aggregates.items() if ttl is not None and ttl <= now_epoch]
            for k in dead:
                del self._rows[k]
            for a in dead_agg:
                del self._aggregates[a]
        return len(dead) + len(dead_agg)


class MemoryEventsRepository(EventsRepositoryBase):
    def __init__(self, *, retention: RetentionPolicy | None = None, clock: Clock | None = None) -> None:
        super().__init__(retention=retention, clock=clock)
        self._lock = threading.RLock()
        self._rows: dict[str, tuple[Event, str, int | None]] = {}
        self._notes: set[tuple[datetime, str]] = set()

    def _put_notes(self, mns: Sequence[str], minute: datetime) -> None:
        with self._lock:
            self._notes.update((minute, mn) for mn in mns)

    def _noted_since(self, minute: datetime) -> set[str] | None:
        with self._lock:
            return {mn for at, mn in self._notes if at >= minute}

    def _insert_events(self, items: Sequence[tuple[Event, int | None]]) -> list[bool]:
        out = []
        with self._lock:
            for event, ttl in items:
                if event.event_id in self._rows:
                    out.append(False)
                else:
                    self._rows[event.event_id] = (event, codec.dumps(event), ttl)
                    out.append(True)
        return out

    def _query_events(
        self, by: str, value: str, start: datetime, end: datetime, limit: int, consistent: bool = True
    ) -> list[Event]:
        with self._lock:
            hits = sorted(
                (e.occurred_at, e.event_id, text)
                for e, text, _ in self._rows.values()
                if (e.mn if by == "mn" else e.point_id if by == "point" else e.kind.value) == value
                and start <= e.occurred_at < end
            )
        return [codec.loads(Event, text) for _, _, text in hits[:limit]]

    def _purge_expired(self, now_epoch: int) -> int:
        with self._lock:
            dead = [k for k, (_, _, ttl) in self._rows.items() if ttl is not None and ttl <= now_epoch]
            for k in dead:
                del self._rows[k]
        return len(dead)


class MemoryArchiveRepository(ArchiveRepositoryBase):
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._chains: dict[str, list[ArchivedFrame]] = {}
        self._by_key: dict[str, ArchivedFrame] = {}

    def _find_by_dedupe_key(self, mn: str, key: str) -> ArchivedFrame | None:
        with self._lock:
            return self._by_key.get(key)

    def _head(self, mn: str) -> ArchivedFrame | None:
        with self._lock:
            chain = self._chains.get(mn)
            return chain[-1] if chain else None

    def _insert(self, record: ArchivedFrame) -> None:
        with self._lock:
            chain = self._chains.setdefault(record.frame.mn, [])
            if len(chain) + 1 != record.seq or record.frame.dedupe_key in self._by_key:
                raise ConflictError(f"archive {record.frame.mn}: seq {record.seq} taken")
            chain.append(record)
            self._by_key[record.frame.dedupe_key] = record

    def _by_time(self, mn: str, start: datetime, end: datetime, limit: int) -> list[ArchivedFrame]:
        with self._lock:
            chain = list(self._chains.get(mn, ()))
        return [r for r in chain if start <= r.frame.received_at < end][:limit]

    def _by_seq(self, mn: str, from_seq: int, limit: int) -> list[ArchivedFrame]:
        with self._lock:
            chain = self._chains.get(mn, [])
            return chain[from_seq - 1 : from_seq - 1 + limit]


class MemoryCommandsRepository(CommandsRepositoryBase):
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._rows: dict[str, Command] = {}

    def _insert_command(self, command: Command) -> None:
        with self._lock:
            if command.command_id in self._rows:
                raise ConflictError(f"command {command.command_id} exists")
            if any(c.mn == command.mn and c.qn == command.qn for c in self._rows.values()):
                raise ConflictError(f"QN {command.qn} already used for {command.mn}")
            self._rows[command.command_id] = command

    def _get_command(self, command_id: str) -> Command | None:
        with self._lock:
            return self._rows.get(command_id)

    def _query_by_mn(self, mn: str, statuses: frozenset[CommandStatus] | None) -> list[Command]:
        with self._lock:
            hits = [c for c in self._rows.values() if c.mn == mn and (statuses is None or c.status in statuses)]
        return sorted(hits, key=lambda c: (c.created_at, c.command_id))

    def _query_pending(self) -> list[Command]:
        with self._lock:
            hits = [c for c in self._rows.values() if c.status is CommandStatus.PENDING]
        return sorted(hits, key=lambda c: (c.created_at, c.command_id))

    def _find_by_qn(self, mn: str, qn: str) -> Command | None:
        with self._lock:
            return next((c for c in self._rows.values() if c.mn == mn and c.qn == qn), None)

    def _replace_command(self, command: Command, expected: CommandStatus) -> None:
        with self._lock:
            current = self._rows.get(command.command_id)
            if current is None or current.status is not expected:
                raise ConflictError(f"command {command.command_id} is no longer {expected.value}")
            self._rows[command.command_id] = command


def memory_store(*, retention: RetentionPolicy | None = None, clock: Clock | None = None) -> Store:
    """A fresh in-memory store with every repository."""
    policy = retention or RetentionPolicy()
    events = MemoryEventsRepository(retention=policy, clock=clock)
    readings = MemoryReadingsRepository(retention=policy, clock=clock)
    registry = MemoryRegistryRepository()
    return Store(
        registry=registry,
        readings=readings,
        events=events,
        archive=MemoryArchiveRepository(),
        commands=MemoryCommandsRepository(),
        alarms=MemoryAlarmRepository(locator(registry)),
        audit=MemoryAuditLog(),
        rule_state=MemoryRuleState(),
        reports=MemoryReportRepository(locator(registry)),
        emergency=MemoryEmergencyRepository(),
        photos=MemoryPhotoRepository(),
        maintenance=MemoryMaintenanceRepository(),
        accounts=MemoryAccountsRepository(),
        audit_trail=MemoryAuditTrail(),
        outbox=MemoryOutboxRepository(),
        chain_heads=MemoryChainHeadsRepository(),
        random_checks=MemoryRandomChecksRepository(),
        campaign=MemoryCampaignRepository(),
        retention=policy,
    )
