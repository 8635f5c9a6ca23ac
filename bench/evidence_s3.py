"""`python bench/evidence_s3.py`: an evidence export from the S3 archive at a county's scale (in memory): manifest
size, what a window of N hours reads and carries, and how long extracting one terminal's frames takes.

More: docs/monitoring.md §10 ("On AWS: frames and proof from the S3 archive").
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitoring.archive.manifest_chain import ManifestChain  # noqa: E402
from monitoring.archive.models import AuthStatus, RawFrame  # noqa: E402
from monitoring.evidence.delivered import DeliveredArchive  # noqa: E402
from monitoring.ingest.delivered_objects import frames_of  # noqa: E402
from monitoring.ingest.records import encode_record  # noqa: E402
from monitoring.storage.chain_heads_memory import MemoryChainHeadsRepository  # noqa: E402
from tests.support.archive_objects import VersionedObjects  # noqa: E402

T0 = datetime(2026, 11, 30, tzinfo=UTC)
# a two-circuit minute upload (2051) of ≈ 700 bytes, as the simulator's terminals send
CP = ";".join(f"E{c}-Rtd={100 + c}.{c},E{c}-Flag=N" for c in range(1, 13))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminals", type=int, default=1_500)
    parser.add_argument("--hours", type=float, default=3.0, help="the alarm's window")
    parser.add_argument("--object-minutes", type=int, default=15, help="Firehose's buffer interval")
    args = parser.parse_args()
    links, objects = MemoryChainHeadsRepository(), VersionedObjects()
    chain = ManifestChain(links, objects, frames_of)
    mns = [f"3206820000{n:04d}" for n in range(args.terminals)]
    count = int(args.hours * 60 / args.object_minutes)
    started = time.perf_counter()
    for k in range(count):
        lines = []
        for minute in range(k * args.object_minutes, (k + 1) * args.object_minutes):
            for n, mn in enumerate(mns):
                at = T0 + timedelta(minutes=minute, seconds=n % 60)
                raw = f"##0859QN=2026113000{minute:04d}000;ST=32;CN=2051;MN={mn};Flag=5;CP=&&{CP}&&ABCD\r\n".encode()
                lines.append(encode_record(RawFrame(mn, raw, at, "10.0.0.1:5", AuthStatus.OK, "hj212", "2051")))
        key = f"raw/{k:04d}.gz"
        objects.put(key, gzip.compress(b"\n".join(lines) + b"\n"))
        chain.chain(key)
    built = time.perf_counter() - started
    head = links.head()
    assert head is not None
    manifest = objects.get(head.manifest_key) or b""
    body = objects.get(head.object_key) or b""
    reads = dict(objects.requests)
    started = time.perf_counter()
    proof = DeliveredArchive(links, objects).proof([mns[len(mns) // 2]], T0, T0 + timedelta(hours=args.hours), {})
    took = time.perf_counter() - started
    assert proof is not None
    (one,) = proof.chains
    gets = objects.requests["get"] - reads["get"]
    carried = sum(len(m) for m in proof.manifests.values())
    print(f"{args.terminals} terminals, {count} objects of {args.object_minutes} min built in {built:.0f} s")
    print(f"object {len(body) / 1e6:.2f} MB gzip ({len(lines)} records); manifest {len(manifest) / 1e3:.0f} KB gzip")
    print(f"one terminal, {args.hours:g} h window: {len(one.entries)} objects, {len(one.window)} frames")
    print(f"  S3 GETs {gets} (manifests, objects), links {len(proof.links)}, manifests carried {carried / 1e6:.2f} MB")
    print(f"  {took:.2f} s in memory ({took / len(one.entries) * 1e3:.0f} ms per object; S3 transfer not included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
