"""The embedded sqlite adapter (the default backend): `open_store(path)` returns every repository.

Only this package imports sqlite3 (STYLE.md §7.2).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from monitoring.clock import Clock
from monitoring.storage.ports import Store
from monitoring.storage.retention import RetentionPolicy
from monitoring.storage.sqlite.accounts import SqliteAccountsRepository
from monitoring.storage.sqlite.archive import SqliteArchiveRepository
from monitoring.storage.sqlite.audit_trail import SqliteAuditTrail
from monitoring.storage.sqlite.campaign import SqliteCampaignRepository
from monitoring.storage.sqlite.chain_heads import SqliteChainHeadsRepository
from monitoring.storage.sqlite.commands import SqliteCommandsRepository
from monitoring.storage.sqlite.db import Database
from monitoring.storage.sqlite.events import SqliteEventsRepository
from monitoring.storage.sqlite.maintenance import SqliteMaintenanceRepository
from monitoring.storage.sqlite.outbox import SqliteOutboxRepository
from monitoring.storage.sqlite.photos import SqlitePhotoRepository
from monitoring.storage.sqlite.readings import SqliteReadingsRepository
from monitoring.storage.sqlite.registry import SqliteRegistryRepository
from monitoring.storage.sqlite.rule_samples import SqliteSampleReader
from monitoring.storage.sqlite.rules_repos import (
    SqliteAlarmRepository,
    SqliteAuditLog,
    SqliteEmergencyRepository,
    SqliteReportRepository,
    SqliteRuleState,
)


def open_store(
    path: str | Path,
    *,
    retention: RetentionPolicy | None = None,
    clock: Clock | None = None,
    synchronous: str = "FULL",
    busy_timeout_ms: int = 5_000,
) -> Store:
    """Open (creating and migrating as needed) the sqlite database at `path`; ":memory:" for a throwaway one.

    Every repository shares the one connection, so `store.batch()` is one transaction across all of them."""
    db = Database(path, synchronous=synchronous, busy_timeout_ms=busy_timeout_ms)
    policy = retention or RetentionPolicy()
    return Store(
        registry=SqliteRegistryRepository(db),
        readings=SqliteReadingsRepository(db, retention=policy, clock=clock),
        events=SqliteEventsRepository(db, retention=policy),
        archive=SqliteArchiveRepository(db),
        commands=SqliteCommandsRepository(db),
        alarms=SqliteAlarmRepository(db),
        audit=SqliteAuditLog(db),
        rule_state=SqliteRuleState(db),
        reports=SqliteReportRepository(db),
        emergency=SqliteEmergencyRepository(db),
        photos=SqlitePhotoRepository(db),
        maintenance=SqliteMaintenanceRepository(db),
        accounts=SqliteAccountsRepository(db),
        audit_trail=SqliteAuditTrail(db),
        outbox=SqliteOutboxRepository(db),
        chain_heads=SqliteChainHeadsRepository(db),
        campaign=SqliteCampaignRepository(db),
        retention=policy,
        close=db.close,
        batch=db.write,
        sample_reader=partial(SqliteSampleReader, db),
    )


__all__ = ["Database", "open_store"]
