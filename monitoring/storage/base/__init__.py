"""Template-method bases: the shared logic of every adapter; subclasses implement the `_primitives` only."""

from monitoring.storage.base.accounts import ACCOUNT_INDEXES, AccountsRepositoryBase, DocConflict, DocWrite
from monitoring.storage.base.alarms import AlarmFilter, AlarmRepositoryBase
from monitoring.storage.base.archive import ArchiveRepositoryBase
from monitoring.storage.base.campaign import CampaignRepositoryBase
from monitoring.storage.base.commands import CommandsRepositoryBase
from monitoring.storage.base.emergency import EmergencyRepositoryBase
from monitoring.storage.base.events import EventsRepositoryBase
from monitoring.storage.base.maintenance import MaintenanceRepositoryBase
from monitoring.storage.base.outbox import OutboxRepositoryBase
from monitoring.storage.base.photos import PhotoRepositoryBase
from monitoring.storage.base.readings import ReadingsRepositoryBase
from monitoring.storage.base.registry import INDEXES, RegistryRepositoryBase
from monitoring.storage.base.reports import ReportPosition, ReportRepositoryBase, report_position
from monitoring.storage.base.rule_state import RuleStateRepositoryBase

__all__ = [
    "ACCOUNT_INDEXES",
    "AccountsRepositoryBase",
    "DocConflict",
    "DocWrite",
    "INDEXES",
    "AlarmFilter",
    "AlarmRepositoryBase",
    "ArchiveRepositoryBase",
    "CampaignRepositoryBase",
    "CommandsRepositoryBase",
    "EmergencyRepositoryBase",
    "EventsRepositoryBase",
    "OutboxRepositoryBase",
    "MaintenanceRepositoryBase",
    "PhotoRepositoryBase",
    "ReadingsRepositoryBase",
    "RegistryRepositoryBase",
    "ReportPosition",
    "ReportRepositoryBase",
    "report_position",
    "RuleStateRepositoryBase",
]
