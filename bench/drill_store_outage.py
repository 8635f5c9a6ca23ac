"""Fault drill (issue 11 item 2): a write lock on the store, held longer than all decode attempts, under load.

More: docs/local.md, "Module notes".
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hj212 import BadFrameError, decode_frame  # noqa: E402
from local.demo.harness import Run  # noqa: E402
from local.workers import DB_FILE, QUEUE_FILE  # noqa: E402
from monitoring.storage.sqlite import open_store  # noqa: E402

Key = tuple[str, str, str, Any]  # (MN, CN, DataTime, PNO): a packet's idempotency key
BACKLOG_ALARM_S = 20  # lower than the platform's default, so that the drill shows the alarm


def _key(mn: str, raw: bytes) -> Key | None:
    try:
        frame = decode_frame(raw)
    except BadFrameError:
        return None
    return (mn, frame.cn or "", frame.cp.scalars.get("DataTime", ""), frame.pno)


def _archived(data: Path, mns: set[str]) -> set[Key]:
    store = open_store(data / DB_FILE)
    try:
        keys = {_key(mn, f.frame.raw) for mn in mns for f in store.archive.chain(mn, limit=100_000)}
    finally:
        store.close()
    return {k for k in keys if k is not None}


def _dead(data: Path) -> tuple[set[Key], int]:
    with sqlite3.connect(data / QUEUE_FILE) as conn:
        rows = conn.execute("SELECT mn, record FROM dead_frames").fetchall()
    keys = set()
    for mn, record in rows:
        try:
            raw = base64.b64decode(json.loads(record)["frame"])
        except (ValueError, KeyError, TypeError):
            continue
        key = _key(mn, raw)
        if key is not None:
            keys.add(key)
    return keys, len(rows)


def drill(base: Path, *, lock_s: float, enterprises: int, accel: float) -> dict[str, Any]:
    os.environ["LOCAL_BACKLOG_ALARM_S"] = str(BACKLOG_ALARM_S)  # inherited by the platform process
    run = Run(base, limit=enterprises, mix="normal=1", accel=accel, realtime=True, ack_log=True)
    run.prepare()
    run.start()
    seen: dict[str, Any] = {"depth": 0, "oldest_s": 0.0, "alarm": False, "last_error": ""}
    try:
        run.wait_for(lambda st: st is not None and st.get("decoded", 0) > 0, 60, "decode to start")
        acked_before = run.status()["acks"]  # type: ignore[index]
        lock = sqlite3.connect(base / DB_FILE, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        held_until = time.monotonic() + lock_s
        try:
            while time.monotonic() < held_until:
                st = run.status() or {}
                queue = st.get("queue", {})
                seen["depth"] = max(seen["depth"], int(queue.get("depth", 0)))
                seen["oldest_s"] = max(seen["oldest_s"], float(queue.get("oldest_s") or 0))
                seen["alarm"] = seen["alarm"] or bool(queue.get("alarm"))
                errors = [w.get("last_error") for w in st.get("workers", {}).values() if w.get("last_error")]
                seen["last_error"] = errors[0] if errors else seen["last_error"]
                time.sleep(0.5)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        acked_during = (run.status() or {}).get("acks", 0) - acked_before
        time.sleep(10)  # the fleet keeps sending while the backlog drains
        run.stop_simulator()
        run.drain(timeout=120)
        alarm_cleared = not (run.status() or {}).get("queue", {}).get("alarm", False)
    finally:
        run.stop()
    acks = [json.loads(line) for line in (base / "acks.jsonl").read_text(encoding="utf-8").splitlines() if line]
    acked = {(a["mn"], a["cn"], a["data_time"], a["pno"]) for a in acks}
    archived = _archived(base, {a["mn"] for a in acks})
    dead, dead_rows = _dead(base)
    with sqlite3.connect(base / QUEUE_FILE) as conn:
        counters = dict(conn.execute("SELECT name, value FROM counters").fetchall())
    return {
        "lock_s": lock_s,
        "acknowledged": len(acked),
        "acknowledged_during_lock": acked_during,
        "stored": len(acked & archived),
        "dead_lettered": len(acked & dead),
        "dead_frames_rows": dead_rows,
        "lost": len(acked - archived - dead),
        "queue_appended": counters.get("appended", 0),
        "queue_processed": counters.get("processed", 0),
        "max_backlog": seen["depth"],
        "max_oldest_s": round(seen["oldest_s"], 1),
        "backlog_alarm_raised": seen["alarm"],
        "backlog_alarm_cleared": alarm_cleared,
        "decode_error_during_lock": seen["last_error"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lock-s", type=float, default=45.0, help="how long the store's write lock is held")
    parser.add_argument("--enterprises", type=int, default=6, help="simulated enterprises (their terminals send)")
    parser.add_argument("--accel", type=float, default=30.0, help="platform/simulator time acceleration")
    parser.add_argument("--keep", type=Path, help="use (and keep) this data directory instead of a temporary one")
    args = parser.parse_args(argv)
    if not 1 <= args.lock_s <= 300 or not 1 <= args.enterprises <= 50:
        parser.error("--lock-s must be 1..300 and --enterprises 1..50")
    if args.keep:
        result = drill(args.keep, lock_s=args.lock_s, enterprises=args.enterprises, accel=args.accel)
    else:
        with tempfile.TemporaryDirectory(prefix="drill-store-outage-") as tmp:
            result = drill(Path(tmp) / "data", lock_s=args.lock_s, enterprises=args.enterprises, accel=args.accel)
    print(f"drill store-outage: write lock on gongkuang.db held {result['lock_s']:.0f} s under load")
    for name in ("acknowledged", "stored", "dead_lettered", "lost"):
        print(f"  {name.replace('_', '-'):<14} {result[name]}")
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["lost"] == 0 and result["dead_lettered"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
