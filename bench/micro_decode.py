"""Per-step cost of decode on one benchmark frame (µs), to see where a frame's time goes. Not a gate."""

from __future__ import annotations

import base64
import json
import sys
import timeit
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import decode_bench as db  # noqa: E402

import hj212  # noqa: E402
from monitoring.archive.models import RawFrame  # noqa: E402
from monitoring.ingest.binding import bind_frame  # noqa: E402
from monitoring.ingest.records import parse_record  # noqa: E402
from monitoring.profiles.loader import load_profiles  # noqa: E402
from monitoring.profiles.mapping import map_frame  # noqa: E402
from monitoring.registry.models import FacilityKind, MonitoringPoint  # noqa: E402
from monitoring.storage import codec  # noqa: E402

rec = next(db.records(300, 1))
profile = load_profiles()["default"]
record = parse_record(rec)
frame = hj212.decode_frame(record.raw)
mapped = map_frame(profile, frame.st, frame.cn, frame.cp.scalars, frame.cp.items)
points = [
    MonitoringPoint(f"p-{ch}", "e", "f", f"B-{ch}", "回路", FacilityKind.CONTROL, mn=record.mn, channel=ch)
    for ch in ("01", "02")
]
now = datetime.now(UTC)
bound = bind_frame(mapped, points, mn=record.mn, received_at=record.received_at)
steps = {
    "json+parse_record": lambda: parse_record(rec),
    "hj212.decode_frame": lambda: hj212.decode_frame(record.raw),
    "map_frame": lambda: map_frame(profile, frame.st, frame.cn, frame.cp.scalars, frame.cp.items),
    "bind_frame (2 readings)": lambda: bind_frame(mapped, points, mn=record.mn, received_at=record.received_at),
    "codec.dumps x2": lambda: [codec.dumps(r) for r in bound.readings],
    "raw_frame+link": lambda: RawFrame.of(record).canonical(),
}
n = 2000
for name, fn in steps.items():
    print(f"{name:>26}: {min(timeit.repeat(fn, number=n, repeat=5)) / n * 1e6:7.1f} µs")
print(len(base64.b64decode(json.loads(rec)["frame"])), "bytes frame")
