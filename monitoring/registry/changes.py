"""The registry's change mark: per bucket of MNs, a counter every write bumps that changes what decode caches.

More: docs/decode.md, "Registry cache".
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

CHANGE_BUCKETS = 256  # one mark item holds them all (≈ 1.5 kB: one read unit); an edit drops 1/256 of a cache


def change_bucket(mn: str) -> int:
    """The bucket of an MN's mark counter (the same in every process)."""
    return zlib.crc32(mn.encode("utf-8")) % CHANGE_BUCKETS


@dataclass(frozen=True, slots=True)
class ChangeMark:
    """The mark as read: bucket → count of changes so far (a missing bucket: 0), and when each bucket last moved
    (the writer's clock; absent where the store has no index lag to wait for, or for a bump before times were kept)."""

    counts: Mapping[int, int]
    moved_at: Mapping[int, datetime] = field(default_factory=dict)


class ChangeMarks(Protocol):
    def registry_changes(self) -> ChangeMark | None:
        """The change mark; None when the store keeps none."""
        ...
