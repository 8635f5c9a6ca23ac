"""The fleet manifest: what the platform's registry needs to know, plus the alarms each scenario should cause.

Format: docs/simulator.md, "Fleet manifest". Times are terminal-local (UTC+8) ISO 8601 without offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from simulator.scenario import load_scenario
from simulator.spec import EnterpriseSpec


def _iso(start: datetime, minutes: float | None) -> str | None:
    return None if minutes is None else (start + timedelta(minutes=minutes)).isoformat()


def manifest(
    fleet: Sequence[EnterpriseSpec], *, seed: int, start: datetime, settings: dict[str, Any]
) -> dict[str, Any]:
    """The fleet as a JSON-ready document (format in docs/simulator.md)."""
    enterprises = []
    for e in fleet:
        sc = load_scenario(e.scenario)
        channel_of = {pid: (t.mn, ch) for t in e.terminals for ch, pid in t.channels}
        expected = [
            {
                "rule": x.rule,
                "point": p.id,
                "role": p.role,
                "from": _iso(start, x.from_min),
                "to": _iso(start, x.to_min),
            }
            for x in sc.expect
            for p in e.points_of(x.role, x.select)
        ]
        orders = [
            {
                "level": c.params["level"],
                "reduction": c.params["reduction"],
                "complies": c.params["comply"],
                "from": _iso(start, c.from_min),
                "to": _iso(start, c.to_min),
            }
            for c in sc.of_type("curtailment")
        ]
        enterprises.append(
            {
                "id": e.id,
                "seq": e.seq,
                "name": e.name,
                "town": e.town,
                "category": e.category,
                "branch": e.branch,
                "industry": e.industry,
                "shift": e.shift,
                "scenario": e.scenario,
                "lat": e.lat,
                "lng": e.lng,
                "points": [
                    {
                        "id": p.id,
                        "code": p.code,
                        "name": p.name,
                        "role": p.role,
                        "rated_kw": p.rated_kw,
                        "serves": list(p.serves),
                        "terminal_mn": channel_of[p.id][0],
                        "channel": channel_of[p.id][1],
                        "channel_suffix": f"{channel_of[p.id][1]:02d}",
                        "point_code": p.id,
                    }
                    for p in e.points
                ],
                "associations": [{"production": s, "control": p.id} for p in e.points for s in p.serves],
                "terminals": [
                    {
                        "mn": t.mn,
                        "password": t.password,
                        "registered": t.registered,
                        "channels": [{"channel": ch, "point": pid} for ch, pid in t.channels],
                    }
                    for t in e.terminals
                ],
                "orders": orders,
                "expected_alarms": expected,
            }
        )
    return {
        "format": "simulator-fleet-manifest",
        "version": 1,
        "seed": seed,
        "sim_start": start.isoformat(),
        "settings": settings,
        "enterprises": enterprises,
    }
