"""The domain's error hierarchy: one base, four kinds, mapped to replies at the edge (STYLE.md §7.4)."""

from __future__ import annotations


class MonitoringError(Exception):
    """Base of every error the monitoring domain raises on purpose."""


class NotFoundError(MonitoringError):
    """The requested record does not exist."""


class ConflictError(MonitoringError):
    """A write lost a race or would break uniqueness or a state transition."""


class InvalidInputError(MonitoringError):
    """Input (a file, a request, a field) failed validation; the message says which and why."""


class StorageUnavailableError(MonitoringError):
    """The backing store failed or is unreachable; transient, so callers may retry."""
