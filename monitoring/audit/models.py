"""`AuditRecord`: one mutating action by a person or the system, and the channels it can come through."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitoring._time import require_utc
from monitoring.errors import InvalidInputError

CHANNELS = frozenset({"web", "miniprogram", "cli", "system"})
MAX_DETAIL_BYTES = 8_192  # a record says what happened; bodies and files belong elsewhere


@dataclass(frozen=True)
class AuditRecord:
    """`action` is dotted (e.g. "alarm.respond", "account.disable"); `enterprise_id` lets scoped readers see
    the records of their enterprises; `detail` is small JSON (changed fields, reasons). `record_id` makes an
    append idempotent and orders records of the same instant."""

    at: datetime
    actor_id: str
    actor_role: str
    source_ip: str
    channel: str
    action: str
    object_type: str
    object_id: str
    enterprise_id: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    record_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", require_utc(self.at, "audit at"))
        if self.channel not in CHANNELS:
            raise InvalidInputError(f"audit channel must be one of {sorted(CHANNELS)}, not {self.channel!r}")
        for name in ("actor_id", "action", "object_type", "record_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or len(value) > 128:
                raise InvalidInputError(f"audit {name} must be 1–128 characters")
        for name in ("actor_role", "source_ip", "object_id"):
            if not isinstance(getattr(self, name), str) or len(getattr(self, name)) > 128:
                raise InvalidInputError(f"audit {name} must be text of at most 128 characters")
        if self.enterprise_id is not None and not self.enterprise_id:
            raise InvalidInputError("audit enterprise_id must be None or non-empty")
        try:
            size = len(json.dumps(dict(self.detail), ensure_ascii=False, default=str).encode("utf-8"))
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"audit detail must be a JSON object: {exc}") from exc
        if size > MAX_DETAIL_BYTES:
            raise InvalidInputError(f"audit detail is {size} bytes, at most {MAX_DETAIL_BYTES}")
