"""CPU cost per frame of the listener's own pipeline, without sockets: decode → record → hand-off → 9014.

More: docs/iot_ingest.md, "Module notes".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import hj212
from hj212.china_time import CHINA
from iot_ingest.config import Settings
from iot_ingest.handoff import Handoff
from iot_ingest.memory import MemoryDirectory, MemoryEvents, TerminalEntry
from iot_ingest.metrics import Metrics
from iot_ingest.ports import FrameRecord
from iot_ingest.protocol import IngestProtocol
from iot_ingest.state import ServerState


class NullSink:
    def __init__(self) -> None:
        self.count = 0

    async def put(self, records: Sequence[FrameRecord]) -> None:
        self.count += len(records)

    async def close(self) -> None:
        return None


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.out = 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("10.0.0.1", 5000) if name == "peername" else default

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def write(self, data: Any) -> None:
        self.out += 1

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def frames(n: int) -> list[bytes]:
    gen = hj212.QnGenerator()
    now = datetime.now(CHINA)
    cp: dict[str, object] = {"DataTime": hj212.format_time(now)}
    for code in ("Ua", "Ub", "Uc", "Ia", "Ib", "Ic", "P", "Q", "PF", "EP"):
        cp[code] = {"Rtd": "123.45", "Flag": "N"}
    return [hj212.build_frame(st="32", cn="2011", mn="BENCH0001", pw="123456", qn=gen.next(now), ack=True, cp=cp)
            for _ in range(n)]  # fmt: skip


async def pipeline(data: list[bytes]) -> float:
    sink, metrics = NullSink(), Metrics()
    handoff = Handoff(sink, metrics, linger=0)
    handoff.start()
    # A registered terminal: an unregistered MN is sampled (120 frames an hour), not acknowledged beyond that.
    directory = MemoryDirectory({"BENCH0001": TerminalEntry("123456")})
    state = ServerState(Settings(listener_id="bench", sink="jsonl:x"), handoff=handoff, directory=directory,
                        events=MemoryEvents(keep=10), metrics=metrics)  # fmt: skip
    proto = IngestProtocol(state, asyncio.get_running_loop())
    transport = Transport()
    proto.connection_made(transport)
    proto.data_received(data[0])
    await handoff.drain(5)
    await asyncio.sleep(0.01)
    t0 = time.process_time()
    for i, frame in enumerate(data[1:], 1):
        proto.data_received(frame)
        if i % 100 == 0:
            await asyncio.sleep(0)  # let batches complete, as the event loop would between reads
    await handoff.drain(30)
    await asyncio.sleep(0)
    spent = time.process_time() - t0
    await handoff.stop()
    assert metrics.get("acks") == len(data), metrics.snapshot()
    return spent / (len(data) - 1)


def codec_only(data: list[bytes]) -> float:
    decoder = hj212.StreamDecoder()
    t0 = time.process_time()
    for raw in data:
        for item in decoder.feed(raw):
            assert isinstance(item, hj212.Frame)
            hj212.reply_for(item)
    return (time.process_time() - t0) / len(data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=20000)
    args = ap.parse_args()
    data = frames(args.frames)
    codec = codec_only(data)
    total = asyncio.run(pipeline(data))
    print(f"frames: {args.frames} ({len(data[0])} bytes each, one per read)")
    print(f"hj212 decode + reply_for: {codec * 1e6:.1f} µs/frame")
    print(f"listener pipeline (decode, auth cache, record, hand-off, 9014): {total * 1e6:.1f} µs/frame "
          f"(= {1 / total:.0f} frames/s per core, no sockets, no disk)")  # fmt: skip
    print(json.dumps({"bench": "ingest_pipeline", "codec_us": codec * 1e6, "pipeline_us": total * 1e6}))


if __name__ == "__main__":
    main()
