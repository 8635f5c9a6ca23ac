"""Rule evaluation fanned out: every county's enterprises split into shards, each evaluated on its own.

More: docs/rules.md, "Module notes" (shards).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from monitoring.errors import InvalidInputError
from monitoring.registry.models import County, Enterprise
from monitoring.rules.ports import RuleStateRepository
from monitoring.rules.state_docs import TickMark

MAX_SHARD_IDS = 5000  # one SQS message (256 KiB) holds this many enterprise ids with room to spare
# Minutes between rule ticks (RULES_EVERY_MINUTES): divisors of 60, so the ticks fall on the same minutes every hour
CADENCES = (1, 2, 3, 5, 10, 15)


class CountyRegistry(Protocol):
    """What planning reads of the registry (the storage port's methods of these names)."""

    def list_counties(self) -> list[County]: ...
    def list_enterprises(self, county_id: str) -> list[Enterprise]: ...


@dataclass(frozen=True, slots=True)
class Shard:
    """One unit of evaluation: a county's tick for some of its enterprises (sorted, disjoint across shards)."""

    county_id: str
    index: int
    count: int
    tick: datetime  # the scheduled minute (aware); every shard of a tick carries the same one
    enterprise_ids: tuple[str, ...]
    # The scheduler read decode's progress once for the tick (decode_watermark.py): the worker judges no minute after
    # `decoded_until` (None: decode never noted anything) and reads nothing itself
    waits_for_decode: bool = False
    decoded_until: datetime | None = None

    @property
    def tick_key(self) -> str:
        """Where this shard remembers its last tick (the single runner's is TickMark.KEY)."""
        return f"{TickMark.KEY}:{self.county_id}:{self.index}"

    @property
    def tick_keys(self) -> tuple[str, ...]:
        """Own mark first; a shard that has none yet (the county grew a shard, or the fan-out is new) reads the
        county's first shard, then the single runner's mark, so backfill noted since then is not missed."""
        return (self.tick_key, f"{TickMark.KEY}:{self.county_id}:0", TickMark.KEY)

    def to_message(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "county": self.county_id,
            "shard": self.index,
            "shards": self.count,
            "tick": self.tick.isoformat(),
            "enterprises": list(self.enterprise_ids),
        }
        if self.waits_for_decode:
            doc["decoded_until"] = None if self.decoded_until is None else self.decoded_until.isoformat()
        return doc

    @classmethod
    def from_message(cls, doc: Mapping[str, Any]) -> Shard:
        """A shard message read back; anything malformed raises InvalidInputError (the message is set aside)."""
        try:
            county, index, count = doc["county"], doc["shard"], doc["shards"]
            tick = datetime.fromisoformat(doc["tick"])
            ids = doc["enterprises"]
            waits = "decoded_until" in doc  # absent: a message of a scheduler that did not read decode's progress
            decoded = None if doc.get("decoded_until") is None else datetime.fromisoformat(doc["decoded_until"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"not a rule shard message: {exc!r}") from None
        ok = (
            isinstance(county, str)
            and county
            and all(isinstance(v, int) and not isinstance(v, bool) for v in (index, count))
            and 0 <= index < count
            and tick.tzinfo is not None
            and isinstance(ids, list)
            and len(ids) <= MAX_SHARD_IDS
            and all(isinstance(i, str) and i for i in ids)
            and (decoded is None or decoded.tzinfo is not None)
        )
        if not ok:
            raise InvalidInputError("rule shard message: bad county, shard numbers, tick, enterprises or decode time")
        return cls(county, index, count, tick, tuple(ids), waits, decoded)


def plan_county(county_id: str, enterprise_ids: list[str], tick: datetime, per_shard: int) -> list[Shard]:
    """Split one county's enterprises into balanced shards of at most `per_shard` (sizes differ by one at most).

    Deterministic: the same ids give the same shards, in any order. An enterprise's shard may change when the
    county grows or shrinks; what a shard keeps (its tick mark) is not about particular enterprises."""
    if not 1 <= per_shard <= MAX_SHARD_IDS:
        raise InvalidInputError(f"per_shard must be 1-{MAX_SHARD_IDS}, got {per_shard}")
    ids = sorted(set(enterprise_ids))
    if not ids:
        return []
    count = -(-len(ids) // per_shard)
    size, extra = divmod(len(ids), count)
    shards: list[Shard] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        shards.append(Shard(county_id, index, count, tick, tuple(ids[start:end])))
        start = end
    return shards


def plan_ticks(registry: CountyRegistry, tick: datetime, per_shard: int) -> list[Shard]:
    """Every county's shards for `tick`; exempt enterprises are left out (the rules skip them anyway)."""
    shards: list[Shard] = []
    for county in registry.list_counties():
        ids = [e.enterprise_id for e in registry.list_enterprises(county.county_id) if e.exemption is None]
        shards.extend(plan_county(county.county_id, ids, tick, per_shard))
    return shards


def retick(shards: list[Shard], tick: datetime) -> list[Shard]:
    """A cached plan for a later tick: the same shards, the new scheduled minute."""
    return [Shard(s.county_id, s.index, s.count, tick, s.enterprise_ids) for s in shards]


def resume(state: RuleStateRepository, shard: Shard) -> tuple[bool, datetime | None]:
    """(superseded, previous tick). Superseded: this shard already evaluated this tick or a later one (a redelivered
    or overtaken message); evaluating an older tick after a newer one would move its windows backwards. The previous
    tick is the one the evaluation carries on from: the first of the shard's `tick_keys` that has one."""
    own = TickMark.load(state, shard.tick_key).last_tick
    if own is not None:
        return own >= shard.tick, own
    for key in shard.tick_keys[1:]:
        last = TickMark.load(state, key).last_tick
        if last is not None:
            return False, last
    return False, None


def superseded(state: RuleStateRepository, shard: Shard) -> bool:
    """True when this shard already evaluated this tick or a later one (see `resume`)."""
    return resume(state, shard)[0]


def scheduled_minute(raw: str | None, fallback: datetime, every_minutes: int = 1) -> datetime:
    """EventBridge's `time` (e.g. 2026-11-28T10:35:00Z), or `fallback` when absent, floored to the tick of a
    cadence of `every_minutes` (one of CADENCES): a late or retried invocation names the tick it was scheduled for."""
    if every_minutes not in CADENCES:
        raise InvalidInputError(f"rule ticks every {every_minutes!r} minutes: not one of {CADENCES}")
    at = datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else fallback
    if at.tzinfo is None:
        raise InvalidInputError(f"scheduled time without an offset: {raw!r}")
    # The minute of the hour: the same tick in any zone whose offset is whole half-hours (every cadence divides 30)
    off = at.minute % every_minutes
    return at - timedelta(minutes=off, seconds=at.second, microseconds=at.microsecond)
