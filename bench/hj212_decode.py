"""Decode throughput of hj212.StreamDecoder on realistic ~300-byte minute-data power frames (one core).

Prints frames/s and MB/s for: the stream fed in 64 KiB reads, one read per frame, and, for comparison, a
straightforward decoder (per-byte table-driven CRC loop, same framing and CP parsing). Every frame's CRC
is checked and its CP fully parsed. Run: `make bench-hj212` (figures depend on the machine's load).
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable

from hj212 import Frame, StreamDecoder, build_frame
from hj212.crc import _T  # the CRC-16/ARC table, for the straightforward baseline only

PHASES = ("a", "b", "c")


def power_frame(rng: random.Random, i: int) -> bytes:
    """A 2051 minute record of a power terminal: per-phase current/voltage, power, PF, energy (~300 bytes)."""
    cp: dict[str, object] = {"DataTime": f"202611281{i % 60:02d}00"[:14].ljust(14, "0")}
    for ph in PHASES:
        cp[f"I{ph}"] = {"Avg": f"{rng.uniform(5, 60):.2f}", "Flag": "N"}
    for ph in PHASES:
        cp[f"U{ph}"] = {"Avg": f"{rng.uniform(215, 240):.1f}", "Flag": "N"}
    cp["P"] = {"Avg": f"{rng.uniform(1, 40):.3f}", "Flag": "N"}
    cp["PF"] = {"Avg": f"{rng.uniform(0.7, 1):.3f}", "Flag": "N"}
    cp["EP"] = {"Cou": f"{rng.uniform(0, 99999):.2f}", "Flag": "N"}
    qn = f"20261128{i % 24:02d}{i % 60:02d}{i % 60:02d}{i % 1000:03d}"
    return build_frame(st="32", cn="2051", mn="010000A8900016F000169DC0", pw="123456", qn=qn, ack=True, cp=cp)


def _plain_parse(segment: str) -> tuple[dict[str, str], dict[str, str], dict[str, dict[str, str]]]:
    """The obvious parser: split the header on ';', the data area on ';' and ',', group `code-Field`."""
    head, _, rest = segment.partition("CP=&&")
    header = dict(part.split("=", 1) for part in head.split(";") if "=" in part)
    scalars: dict[str, str] = {}
    items: dict[str, dict[str, str]] = {}
    for part in rest[:-2].replace(",", ";").split(";"):
        key, _, value = part.partition("=")
        if "-" in key:
            code, _, name = key.partition("-")
            items.setdefault(code, {})[name] = value
        elif key:
            scalars[key] = value
    return header, scalars, items


def straightforward_feed(stream: bytes) -> int:
    """A plain decoder: find '##', read the length, CRC byte by byte (table-driven), parse plainly."""
    count = 0
    pos = 0
    table = _T
    while True:
        p = stream.find(b"##", pos)
        if p < 0 or p + 6 > len(stream):
            return count
        length = int(stream[p + 2 : p + 6])
        seg = stream[p + 6 : p + 6 + length]
        reg = 0xFFFF
        for byte in seg:
            reg = table[(reg >> 8) ^ byte]
        if b"%04X" % reg == stream[p + 6 + length : p + 10 + length].upper():
            _plain_parse(seg.decode("utf-8"))
            count += 1
        pos = p + 12 + length


def _best(run: Callable[[], int], repeat: int) -> tuple[float, float, int]:
    """Best CPU time (this process, i.e. one core even on a shared machine) and best wall time."""
    best_cpu = best_wall = float("inf")
    got = 0
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        got = run()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return best_cpu, best_wall, got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(212)
    frames = [power_frame(rng, i) for i in range(args.frames)]
    stream = b"".join(frames)
    chunks = [stream[i : i + 65536] for i in range(0, len(stream), 65536)]
    avg = len(stream) / len(frames)

    def chunked() -> int:
        d = StreamDecoder()
        return sum(isinstance(x, Frame) for c in chunks for x in d.feed(c))

    def per_frame() -> int:
        d = StreamDecoder()
        return sum(isinstance(x, Frame) for f in frames for x in d.feed(f))

    print(f"{len(frames)} frames, {avg:.0f} bytes each on average, {len(stream) / 1e6:.2f} MB; best of {args.repeat}")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (figures below are per CPU-second)")
    for name, fn in (
        ("hj212.StreamDecoder, 64 KiB reads", chunked),
        ("hj212.StreamDecoder, one read per frame", per_frame),
        ("straightforward (per-byte CRC, plain split)", lambda: straightforward_feed(stream)),
    ):
        cpu, wall, got = _best(fn, args.repeat)
        assert got == len(frames), f"{name}: decoded {got} of {len(frames)}"
        print(
            f"{name:42s} {got / cpu:10,.0f} frames/s {len(stream) / cpu / 1e6:7.2f} MB/s per CPU-second"
            f"   (wall clock: {got / wall:9,.0f} frames/s)"
        )


if __name__ == "__main__":
    main()
