"""The rules worker's evaluation tick over every county of the host (setting `counties`), one after the other: each
county with its own inputs, config, warm caches and tick mark (`tick:<county>`); a county that fails does not stop
the others, and the tick then raises naming it (the scheduler's HANDLER_FAILED line, which the host alarm counts).

More: docs/local.md, "Several counties" and "Module notes".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    """The evaluation handler (an EventBridge scheduled event → one tick) for `counties`, in their given order."""

    def __init__(self, counties: Sequence[str]) -> None:
        if not counties:
            raise ValueError("CountyRules needs at least one county")
        self.counties = tuple(counties)
        self._warm: dict[str, _Warm] = {}

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
            tick_keys=(tick_key(county_id), TickMark.KEY),  # the single runner's mark until the county has its own
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
        for county_id in self.counties:
            try:
                per_county[county_id] = summary = self.evaluate(county_id, now, decoded)
            except Exception as exc:
                failed[county_id] = exc
                fields = {"county": county_id, "tick": now.isoformat(), "error": repr(exc)[:300]}
                log.error(COUNTY_FAILED, extra={"fields": fields})
                continue
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
