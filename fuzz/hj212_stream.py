"""Long fuzz run of hj212 outside CI: mutated golden frames, random reads and options, for N seconds.

Run: `.venv/bin/python fuzz/hj212_stream.py --seconds 60 --seed 1`. Checks that nothing raises, that the
buffer stays bounded, that every frame's raw bytes come from the stream, and that every frame can be answered.
(CI runs a fixed-size version of this: tests/unit/hj212/test_properties.py.)
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from hj212 import BadFrameError, Frame, LayoutCache, StreamDecoder, decode_frame, reply_for

FRAMES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "frames"
SNIPPETS = [b"&&", b"//", b";", b",", b"=", b"\r\n", b"CP=&&", b"#", b"\xe6\xb8\x85"]


def mutate(rng: random.Random, corpus: list[bytes]) -> bytes:
    frame = bytearray(rng.choice(corpus))
    for _ in range(rng.randint(0, 6)):
        op, i = rng.randrange(6), rng.randrange(len(frame) + 1)
        if op == 0 and frame:
            frame[min(i, len(frame) - 1)] = rng.randrange(256)
        elif op == 1:
            del frame[i : i + rng.randint(1, 10)]
        elif op == 2:
            frame[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 10)))
        elif op == 3:
            frame[i:i] = b"##" + str(rng.randint(0, 9999)).zfill(4).encode()
        elif op == 4:
            frame[i:i] = rng.choice(SNIPPETS)
        else:
            frame[i:i] = rng.choice(corpus)[: rng.randint(0, 60)]
    return bytes(frame)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    corpus = [p.read_bytes() for p in sorted(FRAMES.glob("*.txt"))]
    deadline = time.monotonic() + args.seconds
    runs = frames = 0
    layouts = LayoutCache()  # shared, as a listener's connections share one: the fast path is fuzzed too
    while time.monotonic() < deadline:
        data = b"".join(mutate(rng, corpus) for _ in range(rng.randint(1, 5)))
        cap = rng.choice([16, 100, 1000, 65536])
        decoder = StreamDecoder(
            accept_modbus_crc=rng.random() < 0.3,
            max_buffer=cap,
            max_frame_length=rng.choice([50, 500, 9999]),
            layouts=layouts,
        )
        out = []
        pos = 0
        while pos < len(data):
            step = rng.randint(1, 80)
            out += decoder.feed(data[pos : pos + step])
            pos += step
            assert decoder.buffered <= cap + step + 16, (decoder.buffered, cap)
        out += decoder.close()
        for item in out:
            if isinstance(item, Frame):
                assert item.raw in data
                reply_for(item)
                frames += 1
        try:
            decode_frame(data, layouts=layouts)
        except BadFrameError:
            pass
        runs += 1
    print(f"ok: {runs} streams, {frames} frames, seed {args.seed}, {args.seconds:.0f} s")


if __name__ == "__main__":
    main()
