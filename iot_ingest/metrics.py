"""In-process metrics: counters by name and label, a connections gauge and an ack-latency histogram.

Rendered as Prometheus text on the health port (`/metrics`) and as JSON (`/metrics.json`, benchmarks). Cheap
enough to update on every frame: a dict increment, no locks (one event loop).
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict

# Ack latency buckets in seconds: receive → reply written (sink durability dominates).
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
    10.0, float("inf"),
)  # fmt: skip
# Counters of what the limits against bad peers kept, refused and closed (docs/iot_ingest.md, "Limits and bad peers").
LIMIT_COUNTERS = frozenset(
    {"unregistered_kept", "unregistered_bytes", "unregistered_refused", "probation_connections", "disconnects",
     "connections_rejected"}
)  # fmt: skip


class Histogram:
    """Fixed-bucket histogram; quantiles are the upper bound of the bucket holding them."""

    __slots__ = ("counts", "total", "sum")

    def __init__(self) -> None:
        self.counts = [0] * len(LATENCY_BUCKETS)
        self.total = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(LATENCY_BUCKETS, value)] += 1
        self.total += 1
        self.sum += value

    def quantile(self, q: float) -> float | None:
        if not self.total:
            return None
        rank = q * self.total
        seen = 0
        for bound, count in zip(LATENCY_BUCKETS, self.counts, strict=True):
            seen += count
            if seen >= rank:
                return bound
        return LATENCY_BUCKETS[-1]  # pragma: no cover - the last bucket is +inf


class Metrics:
    """Counters (frames, bytes, acks, errors by reason, connections), a gauge and the ack-latency histogram."""

    def __init__(self) -> None:
        self.counters: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.connections = 0
        self.ack_latency = Histogram()

    def inc(self, name: str, label: str = "", amount: int = 1) -> None:
        self.counters[(name, label)] += amount

    def get(self, name: str, label: str = "") -> int:
        return self.counters.get((name, label), 0)

    def snapshot(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for (name, label), value in sorted(self.counters.items()):
            out[f"{name}{{{label}}}" if label else name] = value
        out["connections"] = self.connections
        out["ack_latency_count"] = self.ack_latency.total
        out["ack_latency_p50"] = self.ack_latency.quantile(0.5)
        out["ack_latency_p99"] = self.ack_latency.quantile(0.99)
        return out

    def limits(self) -> dict[str, int]:
        """The LIMIT_COUNTERS, keyed as in `snapshot` (a status page's view of the listener's defences)."""
        return {
            f"{name}{{{label}}}" if label else name: value
            for (name, label), value in sorted(self.counters.items())
            if name in LIMIT_COUNTERS
        }

    def to_json(self) -> str:
        return json.dumps(self.snapshot(), sort_keys=True)

    def to_prometheus(self) -> str:
        lines: list[str] = []
        for (name, label), value in sorted(self.counters.items()):
            labels = f'{{reason="{label}"}}' if label else ""
            lines.append(f"iot_ingest_{name}_total{labels} {value}")
        lines.append(f"iot_ingest_connections {self.connections}")
        cumulative = 0
        for bound, count in zip(LATENCY_BUCKETS, self.ack_latency.counts, strict=True):
            cumulative += count
            le = "+Inf" if bound == float("inf") else repr(bound)
            lines.append(f'iot_ingest_ack_latency_seconds_bucket{{le="{le}"}} {cumulative}')
        lines.append(f"iot_ingest_ack_latency_seconds_sum {self.ack_latency.sum}")
        lines.append(f"iot_ingest_ack_latency_seconds_count {self.ack_latency.total}")
        return "\n".join(lines) + "\n"
