"""Seeded frames of a small mixed fleet, for the golden test (tests/unit/simulator/test_golden_frames.py).

Every bundled scenario on the first Rugao enterprises (seed 1), a few terminals of each, stepped over the
scenarios' windows; each record goes through a Link's buffer and frame builder with a fixed QN, so the
digest covers values, DataTimes, scenario effects, packet splitting and the frame bytes (CRC included).
Regenerate only when a behaviour change is intended: `python -m tests.unit.simulator.golden_frames`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from simulator import commands
from simulator.clock import SimClock
from simulator.fleet import build_fleet, default_mix, read_enterprises
from simulator.link import Link
from simulator.model import SiteModel
from simulator.profile import load_profile
from simulator.scenario import load_scenario
from simulator.terminal import Terminal, TerminalSettings

ROOT = Path(__file__).resolve().parents[3]
CSV = ROOT / "data" / "registry" / "rugao_2022_enterprises.csv"
GOLDEN = Path(__file__).resolve().parent / "golden" / "frames_seed1.json"
# (start, simulated minutes): a working morning through every scenario window, and a midnight for day data.
SPANS = ((datetime(2026, 11, 30, 7, 58), 66), (datetime(2026, 12, 1, 23, 56), 6))
ENTERPRISES = 30  # enough that every bundled scenario appears once (assign_scenarios guarantees it)


def _terminals(start: datetime) -> list[tuple[str, Terminal]]:
    fleet = build_fleet(read_enterprises(CSV)[:ENTERPRISES], default_mix(), 1)
    seen: set[str] = set()
    out: list[tuple[str, Terminal]] = []
    profile = load_profile()
    for ent in fleet:
        if ent.scenario in seen and ent.scenario != "normal":
            continue
        seen.add(ent.scenario)
        site = SiteModel(ent, load_scenario(ent.scenario), start, 1)
        specs = ent.terminals if len(ent.terminals) <= 2 else (ent.terminals[0], ent.terminals[-1])
        out += [(ent.scenario, Terminal(spec, ent, site, profile, TerminalSettings())) for spec in specs]
    return out


def collect() -> dict[str, Any]:
    """Per span and terminal: frame count, sha256 of all frame bytes, and the start of the first frame in clear."""
    result: dict[str, Any] = {}
    clock = SimClock(datetime(2026, 1, 1))
    for start, minutes in SPANS:
        span: dict[str, Any] = {}
        for scenario, term in _terminals(start):
            link = Link(term, clock, "127.0.0.1", 9, realtime=True)
            digest = hashlib.sha256()
            frames: list[bytes] = []
            t = start
            for _ in range(minutes * 60 // term.settings.sample_s + 1):
                term.step(t)
                t += timedelta(seconds=term.settings.sample_s)
                while (entry := link.outbox.peek()) is not None:
                    qn = f"{entry.record.data_time}{len(frames) % 1000:03d}"
                    rec = entry.record
                    out = commands.Outgoing(rec.cn, entry.cp, qn, term.settings.st, True, entry.pnum, entry.pno)
                    frame = link._own_frame(out, qn)
                    frames.append(frame)
                    digest.update(frame)
                    link.outbox.done(entry)
            span[term.mn] = {
                "scenario": scenario,
                "frames": len(frames),
                "sha256": digest.hexdigest(),
                "first": frames[0][:200].decode("utf-8", "replace") if frames else None,
            }
        result[start.isoformat()] = span
    return result


if __name__ == "__main__":
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(collect(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
