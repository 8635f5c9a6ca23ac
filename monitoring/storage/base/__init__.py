"""Template-method bases: the shared logic of every adapter; subclasses implement the `_primitives` only."""

from monitoring.storage.base.archive import ArchiveRepositoryBase
from monitoring.storage.base.commands import CommandsRepositoryBase
from monitoring.storage.base.events import EventsRepositoryBase
from monitoring.storage.base.readings import ReadingsRepositoryBase
from monitoring.storage.base.registry import INDEXES, RegistryRepositoryBase

__all__ = [
    "INDEXES",
    "ArchiveRepositoryBase",
    "CommandsRepositoryBase",
    "EventsRepositoryBase",
    "ReadingsRepositoryBase",
    "RegistryRepositoryBase",
]
