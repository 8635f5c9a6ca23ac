"""The rules worker's tick over every county of the host (`counties`), furthest behind first: each county with its own
inputs, config, warm caches, tick mark (`tick:<county>`) and unit of work for the supervisor; a failing county does
not stop the others, and the tick then raises naming it (HANDLER_FAILED, which the host alarm counts).
More: docs/local.md, "Several counties" and "Module notes".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from functions import _wiring
from monitoring.rules.decode_watermark import decoded_through
from monitoring.rules.people_cache import PeopleDocsCache
from monitoring.rules.service import evaluate_tick
from monitoring.rules.state_cache import RuleStateCache
from monitoring.rules.state_docs import TickMark

log = logging.getLogger("local.rules")
COUNTY_FAILED = "county evaluation failed"  # one line per failed county; the tick's HANDLER_FAILED follows


def tick_key(county_id: str) -> str:
    """Where a county's runner tick is remembered (the AWS fan-out's shards use tick:<county>:<index>)."""
    return f"{TickMark.KEY}:{county_id}"


def tick_keys(county_id: str, single_county: str | None) -> tuple[str, ...]:
    """The marks a county's tick reads its last tick from, the first that has one (evaluate_tick), own first.

    Then the AWS fan-out's first shard of the county, `tick:<county>:0` (monitoring/rules/shards.py): the tables may
    have been evaluated by the fan-out before. A shard holds only some of the county's enterprises, yet its mark is
    a valid fallback, as the fan-out itself uses it for a new shard: its `last_tick` is the county's tick (every
    shard of a tick carries the same one), so readings arriving since are re-read as late arrivals, and its
    `evaluated` names only that shard's enterprises, so it claims a horizon for those alone (they were evaluated up
    to it); the county's other enterprises go by their own watermark documents. Last, the single runner's `tick`,
    for `single_county` only (the runner's `county_id`, the county it evaluated before it served several): that
    mark is about that county, and another county reading its `last_tick` would take late arrivals from a tick it
    never had."""
    keys = (tick_key(county_id), f"{TickMark.KEY}:{county_id}:0")
    return (*keys, TickMark.KEY) if county_id == single_county else keys


class CountiesFailed(RuntimeError):
    """Some counties' evaluation failed this tick (the others were evaluated)."""


@dataclass
class _Warm:
    """One county's warm state across ticks (what a Lambda container keeps for the county it was sent)."""

    inputs: Any
    config: Any
    state: RuleStateCache
    people: PeopleDocsCache


class CountyRules:
    """The evaluation handler (an EventBridge scheduled event → one tick) for `counties`.

    Each tick takes the county furthest behind first (the oldest last evaluated tick; never evaluated first; ties in
    the given order), so a county that failed or fell behind is not always the tail that a slow one delays.
    `single_county`: the runner's `county_id`, the county a single-county runner evaluated under the mark `tick`.
    `progress` is called after each county: the rules worker passes its Job's `progress`, so the supervisor gives
    each county its own allowance (RULE_TICK_ALLOWANCE × hang_after_s) and a long catch-up of several counties is
    not killed, and retried, in a loop."""

    def __init__(
        self,
        counties: Sequence[str],
        *,
        single_county: str | None = None,
        progress: Callable[[], None] | None = None,
    ) -> None:
        if not counties:
            raise ValueError("CountyRules needs at least one county")
        self.counties = tuple(counties)
        self.single_county = single_county  # whose marks may fall back to the single runner's `tick` (tick_keys)
        self.progress = progress
        self._warm: dict[str, _Warm] = {}
        # county -> the tick it was last evaluated at (absent: unknown yet; None: never); read from the tick marks
        # at the first tick of this process, then kept here
        self._evaluated: dict[str, datetime | None] = {}

    def order(self) -> list[str]:
        """The counties, furthest behind first."""
        if len(self.counties) > 1 and len(self._evaluated) < len(self.counties):
            self._load_marks()
        rank = {c: i for i, c in enumerate(self.counties)}
        oldest = datetime.min.replace(tzinfo=UTC)
        return sorted(self.counties, key=lambda c: (self._evaluated.get(c) or oldest, rank[c]))

    def _load_marks(self) -> None:
        try:
            state = _wiring.get_store().rule_state
            for county_id in self.counties:
                if county_id not in self._evaluated:
                    self._evaluated[county_id] = TickMark.load(state, tick_key(county_id)).last_tick
        except Exception as exc:  # those unknown are taken as furthest behind this tick and read again next tick
            log.warning("county tick marks unreadable", extra={"fields": {"error": repr(exc)}})

    def _county(self, county_id: str) -> _Warm:
        warm = self._warm.get(county_id)
        if warm is None:  # built at its first tick; a failure here is that county's, retried next tick
            inputs = _wiring.new_rule_inputs(county_id)
            every = timedelta(minutes=15)  # as the wiring's caches: each document read again every 15 minutes
            warm = _Warm(inputs, _wiring.rule_config_of(inputs), RuleStateCache(refresh=every), PeopleDocsCache())
            self._warm[county_id] = warm
        return warm

    def evaluate(self, county_id: str, now: datetime, decoded: datetime | None) -> dict[str, int]:
        warm = self._county(county_id)
        store = _wiring.get_store()
        result = evaluate_tick(
            warm.inputs,
            store,
            warm.config,
            now,
            transaction=store.batch,
            tick_keys=tick_keys(county_id, self.single_county),
            decoded_until=decoded,
            cache=warm.state,
            people=(warm.people, county_id),
        )
        return {
            "enterprises": result.enterprises,
            "findings": result.findings,
            "alarms_changed": len(result.changed),
            "failed": len(result.failed),
        }

    def handler(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        # The schedule's own time, not the call's: a late or retried call evaluates the same tick.
        scheduled = event.get("time")
        now = datetime.fromisoformat(scheduled.replace("Z", "+00:00")) if scheduled else _wiring.get_clock().now()
        settings = _wiring.get_settings()
        decoded = None
        if settings.rules_wait_for_decode:
            decoded = decoded_through(_wiring.get_store().rule_state, now, lanes=settings.decode_lanes)
        total = {"enterprises": 0, "findings": 0, "alarms_changed": 0, "failed": 0}
        per_county: dict[str, dict[str, int]] = {}
        failed: dict[str, Exception] = {}
        for county_id in self.order():
            try:
                per_county[county_id] = summary = self.evaluate(county_id, now, decoded)
            except Exception as exc:
                failed[county_id] = exc
                fields = {"county": county_id, "tick": now.isoformat(), "error": repr(exc)[:300]}
                log.error(COUNTY_FAILED, extra={"fields": fields})
                continue
            finally:
                if self.progress is not None:
                    self.progress()
            self._evaluated[county_id] = now
            for name, value in summary.items():
                total[name] += value
        if failed:
            if len(self.counties) == 1:
                raise next(iter(failed.values()))  # one county: its own error, as the single runner raised it
            names = ", ".join(f"{c}: {e!r}"[:200] for c, e in failed.items())
            raise CountiesFailed(f"{len(failed)} of {len(self.counties)} counties failed: {names}")
        if len(self.counties) == 1:
            return total
        return {**total, "counties": per_county}
