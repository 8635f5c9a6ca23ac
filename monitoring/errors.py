"""Domain errors: one base, mapped to transport errors at the edges (API, handlers)."""

from __future__ import annotations


class MonitoringError(Exception):
    """Base of every domain error."""


class NotFoundError(MonitoringError):
    """The requested record does not exist."""


class ConflictError(MonitoringError):
    """The write conflicts with the stored state (duplicate key, stale version, illegal transition)."""


class InvalidInputError(MonitoringError):
    """Input (request, file, configuration) failed validation."""


class StorageUnavailableError(MonitoringError):
    """The backing store failed transiently; the caller may retry."""
