"""Repository ports: the Protocols services depend on, the `Store` bundle, and retention settings.

Every adapter subclasses the matching base in `monitoring.storage.base` (re-exported here), which holds the
shared rules — validation, idempotency keys, "latest never rolls back", TTL, hash-chain append, command state
transitions — and leaves a handful of storage primitives (`_name` methods) to the adapter (Powertools style).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from monitoring.accounts.ports import AccountsRepository
from monitoring.alarms.ports import AlarmRepository, AuditLog
from monitoring.archive.manifest import ChainLink
from monitoring.archive.models import ArchivedFrame, ChainVerification, RawFrame
from monitoring.audit.ports import AuditTrail
from monitoring.campaign.ports import CampaignRepository
from monitoring.commands.models import Command, CommandStatus
from monitoring.emergency.ports import EmergencyRepository
from monitoring.events.models import Event, EventKind
from monitoring.maintenance.ports import MaintenanceRepository
from monitoring.notify.ports import OutboxRepository
from monitoring.photos.ports import PhotoRepository
from monitoring.random_checks.ports import RandomChecksRepository
from monitoring.readings.models import Aggregate, AggregatePeriod, Completeness, Reading, ReadingKind, ValueRow
from monitoring.registry.changes import ChangeMark
from monitoring.registry.liveness import LivenessSheet
from monitoring.registry.models import (
    Association,
    Branch,
    County,
    Enterprise,
    Facility,
    MonitoringPoint,
    Town,
)
from monitoring.registry.terminal import GpsFix, Terminal
from monitoring.reports.ports import ReportRepository
from monitoring.rules.ports import RuleStateRepository
from monitoring.storage.retention import RetentionPolicy

if TYPE_CHECKING:
    from monitoring.evaluation.ports import SampleReader


class RegistryRepository(Protocol):
    """Jurisdictions, enterprises, facilities, points, associations and terminals.

    Versioned records (everything but jurisdictions) are written conditionally: `put_*` succeeds only when the
    stored version equals `record.version` (0 = must not exist yet) and returns the record with version + 1;
    otherwise ConflictError. Read, change with `dataclasses.replace`, put.
    """

    def batch(self) -> AbstractContextManager[object]: ...
    def put_county(self, county: County) -> None: ...
    def get_county(self, county_id: str) -> County: ...
    def list_counties(self) -> list[County]: ...
    def put_town(self, town: Town) -> None: ...
    def get_town(self, town_id: str) -> Town: ...
    def list_towns(self, county_id: str) -> list[Town]: ...
    def put_branch(self, branch: Branch) -> None: ...
    def get_branch(self, branch_id: str) -> Branch: ...
    def list_branches(self, county_id: str) -> list[Branch]: ...
    def put_enterprise(self, enterprise: Enterprise) -> Enterprise: ...
    def get_enterprise(self, enterprise_id: str) -> Enterprise: ...
    def find_enterprise(self, enterprise_id: str) -> Enterprise | None: ...
    def list_enterprises(
        self, county_id: str, *, town_id: str | None = None, branch_id: str | None = None
    ) -> list[Enterprise]: ...
    def put_facility(self, facility: Facility) -> Facility: ...
    def get_facility(self, facility_id: str) -> Facility: ...
    def list_facilities(self, enterprise_id: str) -> list[Facility]: ...
    def put_point(self, point: MonitoringPoint) -> MonitoringPoint: ...
    def get_point(self, point_id: str) -> MonitoringPoint: ...
    def list_points(self, enterprise_id: str) -> list[MonitoringPoint]: ...
    def points_for_mn(self, mn: str) -> list[MonitoringPoint]: ...
    def find_points_by_code(self, point_code: str) -> list[MonitoringPoint]: ...
    def put_association(self, association: Association) -> Association: ...
    def get_association(self, association_id: str) -> Association: ...
    def list_associations(self, enterprise_id: str) -> list[Association]: ...
    def put_terminal(self, terminal: Terminal) -> Terminal: ...
    def get_terminal(self, mn: str) -> Terminal: ...
    def find_terminal(self, mn: str) -> Terminal | None: ...
    def list_terminals(self, county_id: str) -> list[Terminal]: ...
    def record_terminal_seen(
        self,
        mn: str,
        at: datetime,
        *,
        peer: str = "",
        clock_skew_s: float | None = None,
        gps: GpsFix | None = None,
        known: Terminal | None = None,
    ) -> Terminal: ...
    def set_terminal_offline(self, mn: str, at: datetime) -> Terminal: ...
    # Terminals are read with their liveness sheet's later frame time (monitoring.registry.liveness).
    def terminal_liveness(self, county_id: str) -> dict[str, datetime]: ...
    def record_terminals_alive(
        self,
        county_id: str,
        seen: Mapping[str, datetime],
        *,
        now: datetime,
        known: Mapping[int, LivenessSheet] | None = None,
    ) -> list[LivenessSheet]: ...
    def registry_changes(self) -> ChangeMark | None:
        """The change mark of terminals and points (monitoring.registry.changes); None: not kept."""
        ...


class ReadingsRepository(Protocol):
    """Readings (idempotent on point, kind, data_time), per-point latest, aggregates and completeness."""

    def put_reading(self, reading: Reading) -> bool: ...
    def put_readings(self, readings: Sequence[Reading]) -> list[bool]: ...
    def readings(
        self, point_id: str, kind: ReadingKind, start: datetime, end: datetime, *, limit: int = 10_000
    ) -> list[Reading]: ...
    def values(
        self,
        point_id: str,
        kind: ReadingKind,
        start: datetime,
        end: datetime,
        names: Sequence[str],
        *,
        limit: int = 10_000,
    ) -> list[ValueRow]: ...
    def latest(self, point_id: str, kind: ReadingKind) -> Reading | None: ...
    def latest_all_kinds(self, point_id: str) -> dict[ReadingKind, Reading]: ...
    def put_aggregate(self, aggregate: Aggregate) -> None: ...
    def aggregates(self, point_id: str, period: AggregatePeriod, start: datetime, end: datetime) -> list[Aggregate]: ...
    def aggregates_of(
        self, point_ids: Sequence[str], period: AggregatePeriod, start: datetime, end: datetime
    ) -> dict[str, list[Aggregate]]: ...
    def hours_with_data(self, point_ids: Sequence[str], start: datetime, end: datetime) -> dict[str, set[datetime]]:
        """Per point, the starts of its hourly aggregates in [start, end) with samples: what an online rate needs."""
        ...

    def put_completeness(self, completeness: Completeness) -> None: ...
    def completeness(self, point_id: str, first_day: date, last_day: date) -> list[Completeness]: ...
    def purge_expired(self, now: datetime) -> int: ...


class EventsRepository(Protocol):
    """Events, idempotent on event_id."""

    def put_event(self, event: Event) -> bool: ...
    def put_events(self, events: Iterable[Event]) -> list[bool]: ...
    def events_for_mn(
        self, mn: str, start: datetime, end: datetime, *, limit: int = 10_000, consistent: bool = True
    ) -> list[Event]: ...
    def mns_with_new_events(self, since: datetime) -> set[str] | None:
        """MNs whose events the rules judge were stored at `since`'s minute or later; None: not known."""
        ...

    def events_for_point(
        self, point_id: str, start: datetime, end: datetime, *, limit: int = 10_000
    ) -> list[Event]: ...
    def events_of_kind(
        self, kind: EventKind, start: datetime, end: datetime, *, limit: int = 10_000
    ) -> list[Event]: ...
    def purge_expired(self, now: datetime) -> int: ...


class ArchiveRepository(Protocol):
    """The raw-frame archive on per-MN hash chains."""

    def append(self, frame: RawFrame) -> ArchivedFrame: ...
    def append_many(self, frames: Sequence[RawFrame]) -> list[ArchivedFrame]: ...
    def head(self, mn: str) -> ArchivedFrame | None: ...
    def frames(
        self, mn: str, start: datetime, end: datetime, *, limit: int = 10_000, containing: bytes = b""
    ) -> list[ArchivedFrame]: ...
    def chain(self, mn: str, *, from_seq: int = 1, limit: int = 1_000) -> list[ArchivedFrame]: ...
    def verify(self, mn: str) -> ChainVerification: ...


class ChainHeadsRepository(Protocol):
    """The global chain over delivered archive objects' manifests (AWS: Firehose → S3), one link per object."""

    def append(self, link: ChainLink) -> None: ...
    def recent(self, limit: int = 8) -> list[ChainLink]: ...
    def head(self) -> ChainLink | None: ...
    def at(self, seq: int) -> ChainLink | None: ...
    def links(self, *, from_seq: int = 1, limit: int = 1_000) -> list[ChainLink]: ...


class CommandsRepository(Protocol):
    """Downlink commands with conditional status transitions."""

    def enqueue(self, command: Command) -> Command: ...
    def get(self, command_id: str) -> Command: ...
    def find_by_qn(self, mn: str, qn: str) -> Command | None: ...
    def pending_for(self, mn: str, now: datetime) -> list[Command]: ...
    def pending_all(self) -> list[Command]: ...
    def for_mn(self, mn: str, *, statuses: Iterable[CommandStatus] | None = None) -> list[Command]: ...
    def transition(
        self,
        command_id: str,
        expected: CommandStatus,
        new: CommandStatus,
        *,
        at: datetime,
        count_attempt: bool = False,
        qn_rtn: str | None = None,
        exe_rtn: str | None = None,
        detail: str | None = None,
        result: Mapping[str, Any] | None = None,
    ) -> Command: ...
    def expire_overdue(self, mn: str, now: datetime) -> list[Command]: ...


@dataclass
class Store:
    """Every repository of one backend, plus how to release it and how to group writes. Built by the backend's
    opener: `memory_store()`, `sqlite.open_store(path)`, `dynamodb.open_store(...)`.

    Adding a repository: its port (a Protocol, in its domain package or here), a template base in
    `storage.base` with the shared rules, the primitives in each adapter, and one field here (docs/monitoring.md).
    """

    registry: RegistryRepository
    readings: ReadingsRepository
    events: EventsRepository
    archive: ArchiveRepository
    commands: CommandsRepository
    alarms: AlarmRepository
    audit: AuditLog
    rule_state: RuleStateRepository
    reports: ReportRepository
    emergency: EmergencyRepository
    photos: PhotoRepository
    maintenance: MaintenanceRepository
    accounts: AccountsRepository
    audit_trail: AuditTrail
    outbox: OutboxRepository
    chain_heads: ChainHeadsRepository
    random_checks: RandomChecksRepository
    campaign: CampaignRepository
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    close: Callable[[], None] = field(default=lambda: None)
    # The writes made inside run as one atomic unit (sqlite: one transaction, one fsync), across repositories.
    # Backends without multi-item transactions (memory, DynamoDB) give a no-op: every write is idempotent or
    # conditional there. A decode batch, a rule tick and its state flush each run in one `batch()`.
    batch: Callable[[], AbstractContextManager[object]] = field(default=nullcontext)
    # The backend's fast path from stored readings to rule samples (sqlite: one query per enterprise), made with
    # `sample_reader(cache=...)`; None where the rule engine reads through `readings` instead.
    sample_reader: Callable[..., SampleReader] | None = None


__all__ = [
    "AccountsRepository",
    "AlarmRepository",
    "ArchiveRepository",
    "AuditLog",
    "AuditTrail",
    "CampaignRepository",
    "ChainHeadsRepository",
    "CommandsRepository",
    "EmergencyRepository",
    "EventsRepository",
    "OutboxRepository",
    "MaintenanceRepository",
    "PhotoRepository",
    "RandomChecksRepository",
    "ReadingsRepository",
    "RegistryRepository",
    "ReportRepository",
    "RetentionPolicy",
    "RuleStateRepository",
    "Store",
]

# The bases implement the Protocols above; adapters subclass them (imported last: they need nothing from here).
from monitoring.storage.base import (  # noqa: E402
    INDEXES,
    ArchiveRepositoryBase,
    CommandsRepositoryBase,
    EventsRepositoryBase,
    ReadingsRepositoryBase,
    RegistryRepositoryBase,
)

__all__ += [
    "INDEXES",
    "ArchiveRepositoryBase",
    "CommandsRepositoryBase",
    "EventsRepositoryBase",
    "ReadingsRepositoryBase",
    "RegistryRepositoryBase",
]
