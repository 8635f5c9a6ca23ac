"""The rule engine's state documents: typed here, stored as plain dicts in the rule-state repository.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from monitoring.rules.ports import RuleStateRepository


def _time(raw: Any) -> datetime | None:
    return datetime.fromisoformat(raw) if raw is not None else None


@dataclass(frozen=True, slots=True)
class TickMark:
    """When the last tick ran (processing time): readings arriving since then may reopen older windows. Also the
    data time it evaluated up to and which enterprises it evaluated: their watermarks need no write of their own.
    `writer`: the stamp of the warm container that saved it (state_cache.py), None without a cache."""

    last_tick: datetime | None = None
    horizon: datetime | None = None
    evaluated: frozenset[str] = frozenset()
    writer: str | None = None

    KEY = "tick"

    @classmethod
    def load(cls, repo: RuleStateRepository, key: str = KEY) -> TickMark:
        doc = repo.get(key) or {}
        evaluated = frozenset(doc.get("evaluated", ()))
        writer = doc.get("writer")
        return cls(_time(doc.get("last_tick")), _time(doc.get("horizon")), evaluated, str(writer) if writer else None)

    def evaluated_until(self, enterprise_id: str) -> datetime | None:
        return self.horizon if enterprise_id in self.evaluated else None

    def to_dict(self) -> dict[str, Any]:
        if self.last_tick is None:
            return {}
        out: dict[str, Any] = {"last_tick": self.last_tick.isoformat()}
        if self.horizon is not None and self.evaluated:
            out |= {"horizon": self.horizon.isoformat(), "evaluated": sorted(self.evaluated)}
        if self.writer is not None:
            out["writer"] = self.writer
        return out

    def save(self, repo: RuleStateRepository, key: str = KEY) -> None:
        repo.put(key, self.to_dict())


@dataclass(frozen=True, slots=True)
class Watermarks:
    """How far an enterprise has been evaluated (data time), when its slow rules last ran, since when watched."""

    enterprise_id: str
    evaluated_until: datetime | None = None
    slow_until: datetime | None = None
    watched_since: datetime | None = None

    @staticmethod
    def key_of(enterprise_id: str) -> str:
        return f"ent:{enterprise_id}"

    @classmethod
    def from_dict(cls, enterprise_id: str, doc: dict[str, Any]) -> Watermarks:
        return cls(
            enterprise_id,
            _time(doc.get("evaluated_until")),
            _time(doc.get("slow_until")),
            _time(doc.get("watched_since")),
        )

    @classmethod
    def load(cls, repo: RuleStateRepository, enterprise_id: str) -> Watermarks:
        return cls.from_dict(enterprise_id, repo.get(cls.key_of(enterprise_id)) or {})

    def to_dict(self) -> dict[str, Any]:
        fields = {"evaluated_until": self.evaluated_until, "slow_until": self.slow_until}
        fields["watched_since"] = self.watched_since
        return {k: v.isoformat() for k, v in fields.items() if v is not None}

    def save(self, repo: RuleStateRepository) -> None:
        repo.put(self.key_of(self.enterprise_id), self.to_dict())

    def worth_saving(self, stored: Watermarks, every: timedelta) -> bool:
        """Whether to write this over `stored`: the tick mark carries `evaluated_until` from tick to tick, so the
        enterprise's own copy (the fallback when the mark does not name it) is refreshed only every `every`."""
        if (self.slow_until, self.watched_since) != (stored.slow_until, stored.watched_since):
            return True
        if self.evaluated_until is None or stored.evaluated_until is None:
            return self.evaluated_until != stored.evaluated_until
        return not timedelta(0) <= self.evaluated_until - stored.evaluated_until < every


@dataclass(slots=True)
class DailyFigures:
    """The daily rules' memory of an enterprise: the last day judged, energy per day, learned baselines.

    Mutable: the daily pass adds one day at a time. `days` maps ISO day -> {"energy": {...}, "baseline_kwh"};
    `profiles` maps point -> ISO day -> 24 hourly kW; `baselines` maps point -> local hour (as text) -> kW.
    """

    enterprise_id: str
    day_done: date | None = None
    days: dict[str, dict[str, Any]] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)

    @staticmethod
    def key_of(enterprise_id: str) -> str:
        return f"daily:{enterprise_id}"

    @classmethod
    def from_dict(cls, enterprise_id: str, doc: dict[str, Any]) -> DailyFigures:
        done = doc.get("day_done")
        return cls(
            enterprise_id,
            date.fromisoformat(done) if done is not None else None,
            dict(doc.get("days", {})),
            dict(doc.get("profiles", {})),
            dict(doc.get("baselines", {})),
        )

    @classmethod
    def load(cls, repo: RuleStateRepository, enterprise_id: str) -> DailyFigures:
        return cls.from_dict(enterprise_id, repo.get(cls.key_of(enterprise_id)) or {})

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.day_done is None else {"day_done": self.day_done.isoformat()}
        for name, value in (("days", self.days), ("profiles", self.profiles), ("baselines", self.baselines)):
            if value:
                out[name] = value
        return out

    def save(self, repo: RuleStateRepository) -> None:
        repo.put(self.key_of(self.enterprise_id), self.to_dict())


@dataclass(frozen=True, slots=True)
class EnterpriseStatus:
    """An enterprise's status (producing | stopped | curtailed | unknown) and its points' states, as judged at `at`:
    the first evaluated minute of this judgement (the document is rewritten only when the judgement changes)."""

    enterprise_id: str
    at: datetime
    status: str
    running: tuple[str, ...]
    stopped: tuple[str, ...]
    unknown: tuple[str, ...]
    production_kw: float
    control_kw: float

    @staticmethod
    def key_of(enterprise_id: str) -> str:
        return f"status:{enterprise_id}"

    def same_judgement(self, other: EnterpriseStatus | None) -> bool:
        """Equal status and point sets: the stored document (written when this began) still holds."""
        return other is not None and (self.status, self.running, self.stopped, self.unknown) == (
            other.status,
            other.running,
            other.stopped,
            other.unknown,
        )

    @classmethod
    def from_dict(cls, enterprise_id: str, doc: dict[str, Any]) -> EnterpriseStatus:
        return cls(
            enterprise_id,
            datetime.fromisoformat(doc["at"]),
            doc["status"],
            tuple(doc["running"]),
            tuple(doc["stopped"]),
            tuple(doc["unknown"]),
            float(doc["production_kw"]),
            float(doc["control_kw"]),
        )

    @classmethod
    def load(cls, repo: RuleStateRepository, enterprise_id: str) -> EnterpriseStatus | None:
        doc = repo.get(cls.key_of(enterprise_id))
        return cls.from_dict(enterprise_id, doc) if doc is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "status": self.status,
            "running": list(self.running),
            "stopped": list(self.stopped),
            "unknown": list(self.unknown),
            "production_kw": self.production_kw,
            "control_kw": self.control_kw,
        }

    def save(self, repo: RuleStateRepository) -> None:
        repo.put(self.key_of(self.enterprise_id), self.to_dict())
