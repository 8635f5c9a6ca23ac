"""A realistic fleet for the AWS cost bench: the demo's simulator fleet, its registry, its frames minute by minute.

More: docs/deploy.md, "Module notes".
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hj212
from hj212.china_time import CHINA
from local.demo.fleet import import_fleet
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.ports import Store
from simulator.fleet import build_fleet, default_mix, read_enterprises
from simulator.manifest import manifest
from simulator.model import SiteModel
from simulator.profile import load_profile
from simulator.scenario import load_scenario
from simulator.terminal import Terminal, TerminalSettings

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "data" / "registry" / "rugao_2022_enterprises.csv"
COUNTY = "rugao"


@dataclass
class Fleet:
    terminals: list[Terminal]
    points: int
    enterprises: int
    start: datetime  # UTC, the first simulated minute


def build(enterprises: int, start: datetime, seed: int = 7) -> tuple[Fleet, dict[str, object]]:
    """The first `enterprises` of the Rugao list as the simulator builds them; minute data only (no real-time
    uploads), one upload a minute per terminal, as the cost goal assumes."""
    rows = read_enterprises(CSV)[:enterprises]
    specs = build_fleet(rows, default_mix(), seed)
    local_start = start.astimezone(CHINA).replace(tzinfo=None)
    profile = load_profile()
    terminals: list[Terminal] = []
    for e in specs:
        site = SiteModel(e, load_scenario(e.scenario), local_start, seed)
        for spec in e.terminals:
            term = Terminal(spec, e, site, profile, TerminalSettings(rtd_interval_s=60, sample_s=60))
            term.realtime_wanted = False
            terminals.append(term)
    doc = manifest(specs, seed=seed, start=local_start, settings={})
    return Fleet(terminals, sum(len(e.points) for e in specs), len(specs), start), doc


def register(store: Store, doc: dict[str, object]) -> None:
    import_fleet(store, doc, county_id=COUNTY, enterprise_csv=CSV, minute_interval=1)


def _auth(term: Terminal) -> str:
    """What the listener would have tagged the frame with (it checks the registry's password)."""
    if not term.spec.registered:
        return "unregistered"
    return "ok" if term.password == term.spec.password else "auth_failed"


def minute_records(fleet: Fleet, minute: int) -> Iterator[tuple[datetime, bytes]]:
    """The listener's stream records for one simulated minute, with their receive times: each packet of each
    upload; the terminals' uploads spread over the minute (terminal clocks and connections are not in step)."""
    true_local = (fleet.start + timedelta(minutes=minute)).astimezone(CHINA).replace(tzinfo=None)
    for index, term in enumerate(fleet.terminals):
        received = fleet.start + timedelta(minutes=minute, seconds=2 + 57 * index / len(fleet.terminals))
        for record in term.step(true_local):
            count = len(record.packets)
            for no, cp in enumerate(record.packets, 1):
                at = received + timedelta(milliseconds=300 * (no - 1))  # each packet waits for its 9014
                qn = f"{record.data_time}{no:03d}"
                raw = hj212.build_frame(
                    st="31",
                    cn=record.cn,
                    mn=term.mn,
                    pw=term.password,
                    qn=qn,
                    version=hj212.Version.V2017,
                    ack=True,
                    pnum=count if count > 1 else None,
                    pno=no if count > 1 else None,
                    cp=cp,
                )
                yield (
                    at,
                    json.dumps(
                        {
                            "v": 1,
                            "frame": base64.b64encode(raw).decode(),
                            "received_at": at.astimezone(UTC).isoformat(),
                            "peer": "203.0.113.7:50122",
                            "mn": term.mn,
                            "cn": record.cn,
                            "qn": qn,
                            "listener": "bench",
                            "session": term.mn,
                            "auth": _auth(term),
                            "crc": "hj212",
                        }
                    ).encode(),
                )


def batches(arrivals: list[tuple[datetime, bytes]], window_s: float, size: int) -> list[list[tuple[datetime, bytes]]]:
    """Kinesis → Lambda batches (or the host's decode loop): the records that arrived in one batching window, at
    most `size` of them."""
    out: list[list[tuple[datetime, bytes]]] = []
    for at, record in arrivals:
        window = int(at.timestamp() // window_s)
        last = out[-1] if out else None
        if last is None or len(last) >= size or int(last[0][0].timestamp() // window_s) != window:
            out.append([])
        out[-1].append((at, record))
    return out


def backend_of(store: Store) -> DynamoDBBackend:
    """The DynamoDB backend (tables, client, meter) under a store `open_dynamodb_store` made."""
    backend = getattr(store.close, "__self__", None)  # DynamoDBBackend.store() hands out its own close
    if not isinstance(backend, DynamoDBBackend):
        raise RuntimeError("the wired store is not on DynamoDB")
    return backend
