"""Fault drill (issue 11 items 4 and 5): abusive peers and registered terminals behind one address (127.0.0.1).

More: docs/local.md, "Module notes".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import hj212
from bench._listener import free_port, metrics, start_listener, stop
from hj212.china_time import CHINA
from iot_ingest.config import Settings

PW = "123456"
DEAD_LETTERED = "n/a (listener only, no decode)"
ACK_TIMEOUT = 10.0


@dataclass
class Tally:
    registered_sent: int = 0
    registered_acked: int = 0
    registered_unanswered: int = 0  # no 9014 within ACK_TIMEOUT, or the connection failed
    reconnects_sent: int = 0
    reconnects_acked: int = 0
    unregistered_sent: int = 0
    empty_connections: int = 0
    acked_keys: set[tuple[str, str]] = field(default_factory=set)  # (MN, QN) of every acknowledged frame


def upload(mn: str, i: int, qn: hj212.QnGenerator) -> tuple[bytes, str]:
    """A 2011 upload with per-phase quantities (~300 bytes) and its QN."""
    cp: dict[str, object] = {"DataTime": hj212.format_time(datetime(2026, 12, 6, 8, 0) + timedelta(seconds=i))}
    for code, value in (("Ua", "231.2"), ("Ia", "12.31"), ("P", "8.123"), ("PF", "0.98"), ("EP", "12345.67")):
        cp[code] = {"Rtd": value, "Flag": "N"}
    number = str(qn.next(datetime.now(CHINA)))
    return hj212.build_frame(st="32", cn="2011", mn=mn, pw=PW, qn=number, ack=True, cp=cp), number


async def read_reply(reader: asyncio.StreamReader, decoder: hj212.StreamDecoder) -> hj212.Frame | None:
    async with asyncio.timeout(ACK_TIMEOUT):
        while True:
            data = await reader.read(4096)
            if not data:
                return None
            for item in decoder.feed(data):
                if isinstance(item, hj212.Frame):
                    return item


async def connect(port: int, retry_s: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    """A connection to the listener, or None after waiting `retry_s` (refused or reset: the caller loops)."""
    try:
        return await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        await asyncio.sleep(retry_s)
        return None


async def registered(port: int, mn: str, stop_at: float, tally: Tally) -> None:
    """One frame in flight, the next after its 9014; reconnect if the connection is lost."""
    qn, i = hj212.QnGenerator(), 0
    while time.monotonic() < stop_at:
        conn = await connect(port, 0.1)
        if conn is None:
            continue
        reader, writer = conn
        decoder = hj212.StreamDecoder()
        try:
            while time.monotonic() < stop_at:
                data, number = upload(mn, i, qn)
                i += 1
                writer.write(data)
                tally.registered_sent += 1
                reply = await read_reply(reader, decoder)
                if reply is None:
                    tally.registered_unanswered += 1
                    break
                tally.registered_acked += 1
                tally.acked_keys.add((mn, number))
                await asyncio.sleep(0.1)
        except (TimeoutError, ConnectionError):
            tally.registered_unanswered += 1
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def reconnecting(port: int, mn: str, stop_at: float, tally: Tally) -> None:
    """A terminal behind the same address that connects for every frame."""
    qn, i = hj212.QnGenerator(), 0
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            data, number = upload(mn, i, qn)
            i += 1
            writer.write(data)
            tally.reconnects_sent += 1
            if await read_reply(reader, hj212.StreamDecoder()) is not None:
                tally.reconnects_acked += 1
                tally.acked_keys.add((mn, number))
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        except (OSError, TimeoutError):
            pass
        await asyncio.sleep(0.5)


async def unregistered_flood(port: int, k: int, stop_at: float, tally: Tally) -> None:
    qn, n = hj212.QnGenerator(), 0
    while time.monotonic() < stop_at:
        conn = await connect(port, 0.01)
        if conn is None:
            continue
        _, writer = conn
        try:
            for _ in range(16):
                writer.write(upload(f"FAKE{k:03d}{n:09d}", n, qn)[0])
                n += 1
                tally.unregistered_sent += 1
            await writer.drain()
            await asyncio.sleep(0.01)
        except ConnectionError:
            pass
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def connect_close_flood(port: int, stop_at: float, tally: Tally) -> None:
    while time.monotonic() < stop_at:
        conn = await connect(port, 0.01)
        if conn is None:
            continue
        _, writer = conn
        tally.empty_connections += 1
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def drive(port: int, args: argparse.Namespace, tally: Tally) -> None:
    stop_at = time.monotonic() + args.seconds
    tasks = [registered(port, f"MNREG{i:07d}", stop_at, tally) for i in range(args.registered)]
    tasks += [reconnecting(port, f"MNNAT{i:07d}", stop_at, tally) for i in range(args.reconnecting)]
    tasks += [unregistered_flood(port, k, stop_at, tally) for k in range(args.flood_connections)]
    tasks += [connect_close_flood(port, stop_at, tally) for _ in range(4)]
    await asyncio.gather(*tasks)


def read_sink(path: Path) -> tuple[Counter[str], set[tuple[str, str]]]:
    """Frames stored by auth status, and the (MN, QN) of the registered ones."""
    by_auth: Counter[str] = Counter()
    keys: set[tuple[str, str]] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        by_auth[record["auth"]] += 1
        if record["auth"] == "ok":
            keys.add((record["mn"], record["qn"]))
    return by_auth, keys


# Connection limits of the two runs: the embedded platform's (local/app.py relaxes them because a whole fleet may
# arrive from one address) and the listener's own defaults.
PHASES: tuple[tuple[str, list[str]], ...] = (
    ("local limits (conn_rate 500/s, conn_burst 5000)", ["--conn-rate", "500", "--conn-burst", "5000"]),
    ("listener defaults (conn_rate 10/s, conn_burst 100)", []),
)


def run_phase(args: argparse.Namespace, listener_args: list[str]) -> tuple[dict[str, object], bool]:
    """Start a listener, drive the flood and the terminals against it, stop it; return the report and a verdict."""
    with tempfile.TemporaryDirectory(prefix="drill-flood-") as tmp:
        work = Path(tmp)
        mns = [f"MNREG{i:07d}" for i in range(args.registered)] + [f"MNNAT{i:07d}" for i in range(args.reconnecting)]
        (work / "terminals.json").write_text(json.dumps({mn: {"pw": PW} for mn in mns}), encoding="utf-8")
        sink = work / "frames.jsonl"
        health = free_port()
        proc, port, _ = start_listener(
            ["--sink", f"jsonl:{sink}", "--terminals-file", str(work / "terminals.json"), "--health-port",
             str(health), *listener_args],
            work / "listener.log",
        )  # fmt: skip
        tally = Tally()
        started = time.monotonic()
        try:
            asyncio.run(drive(port, args, tally))
            counters = metrics(health)
        finally:
            stop(proc)
        elapsed = time.monotonic() - started
        by_auth, stored_keys = read_sink(sink)
        lost = len(tally.acked_keys - stored_keys)
        size = sink.stat().st_size
        unregistered_bytes = sum(
            len(line) + 1
            for line in sink.read_text(encoding="utf-8").splitlines()
            if json.loads(line)["auth"] == "unregistered"
        )
    budget = Settings()
    acknowledged = len(tally.acked_keys)
    report: dict[str, object] = {
        # The four counts every drill prints, for registered frames; this drill runs the listener alone (a JSONL
        # sink, no decode), so nothing can be dead-lettered.
        "acknowledged": acknowledged,
        "stored": acknowledged - lost,
        "lost": lost,
        "dead_lettered": DEAD_LETTERED,
        "seconds": round(elapsed, 1),
        "registered_acked": f"{tally.registered_acked} of {tally.registered_sent} sent "
        f"({tally.registered_unanswered} unanswered or cut)",
        "reconnecting_acked": f"{tally.reconnects_acked} of {tally.reconnects_sent} connect-send-close rounds",
        "registered_acked_not_stored": lost,
        "unregistered_written": f"{tally.unregistered_sent} by the flood ({counters.get('frames_in', 0)} frames "
        "of all kinds read by the listener)",
        "unregistered_stored": by_auth["unregistered"],
        "unregistered_refused": {k: v for k, v in counters.items() if k.startswith("unregistered_refused")},
        "unregistered_budget_per_source": f"{budget.unregistered_source_frames} frames / "
        f"{budget.unregistered_source_bytes} B per {budget.unregistered_window:g} s",
        "empty_connections": tally.empty_connections,
        "probation_connections": counters.get("probation_connections", 0),
        "refused_connections": {k: v for k, v in counters.items() if k.startswith("connections_rejected")},
        "disconnects": {k: v for k, v in counters.items() if k.startswith("disconnects")},
        "bytes_stored": size,
        "bytes_stored_unregistered": unregistered_bytes,
        "events_unregistered_throttled": counters.get("events{unregistered_throttled}", 0),
    }
    # The per-source budget refills evenly over its window, so a run may store that much more than the burst.
    allowance = budget.unregistered_source_frames * (1 + math.ceil(elapsed) / budget.unregistered_window)
    ok = (
        lost == 0
        and by_auth["unregistered"] <= allowance
        and tally.registered_acked == tally.registered_sent
        and tally.reconnects_acked == tally.reconnects_sent
    )
    return report, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=12.0, help="how long each flood runs (default 12)")
    parser.add_argument("--flood-connections", type=int, default=50, help="unregistered flood connections (50)")
    parser.add_argument("--registered", type=int, default=20, help="registered terminals with a steady session (20)")
    parser.add_argument("--reconnecting", type=int, default=6, help="registered terminals reconnecting per frame (6)")
    args = parser.parse_args(argv)
    # The flooders write into sockets the listener has closed; asyncio's warning per write is noise here.
    logging.getLogger("asyncio").setLevel(logging.ERROR)
    verdicts = []
    for label, listener_args in PHASES:
        report, ok = run_phase(args, listener_args)
        print(f"== {label}: {'ok' if ok else 'FAILED'}")
        for key, value in report.items():
            print(f"   {key:32} {value}")
        verdicts.append(ok)
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
