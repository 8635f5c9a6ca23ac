"""`python -m functions.verify_archive`: check the S3 raw archive as stored now against its manifest chain.

More: docs/deploy.md, "Data protection".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

_SHOWN = 50  # problems printed; the count says how many more
DELIVERED_PREFIX = "raw/"  # Firehose's deliveries (infra: ARCHIVE_CHAIN_PREFIX), each of which must be on the chain


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.verify_archive", description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", required=True, help="the raw archive (stack output ArchiveBucket)")
    parser.add_argument("--mn", action="append", default=[], help="a terminal's MN to report on (repeat for several)")
    args = parser.parse_args(argv)
    from functions import _wiring
    from functions.adapters.archive_objects import S3Objects, frames_of
    from monitoring.archive.manifest_chain import verify

    links = _wiring.get_store().chain_heads  # STORE_BACKEND, DYNAMODB_TABLE_PREFIX, AWS_REGION as the functions'
    result = verify(links, S3Objects(_wiring.get_s3(), args.bucket), frames_of, delivered=DELIVERED_PREFIX)
    frames = sum(result.frames.values())
    print(f"全局链 {result.links} 环，{len(result.frames)} 个终端共 {frames} 帧核对一致")
    for p in result.problems[:_SHOWN]:
        where = (f"第 {p.seq} 环（{p.object_key}）" if p.seq else p.object_key) + (f" 终端 {p.mn}" if p.mn else "")
        print(f"{where}：{p.message}")
    if len(result.problems) > _SHOWN:
        print(f"另有 {len(result.problems) - _SHOWN} 处问题未列出")
    for mn in args.mn:
        broken = [p for p in result.problems if p.mn in (mn, "")]
        state = "完整" if not broken else f"有 {len(broken)} 处问题"
        print(f"{mn}: {state}，{result.frames.get(mn, 0)} 帧核对一致")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
