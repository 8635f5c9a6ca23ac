"""`python -m functions.verify_archive`: check terminals' hash chains against the S3 raw archive as stored now.

More: docs/deploy.md, "Data protection".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.verify_archive", description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", required=True, help="the raw archive (stack output ArchiveBucket)")
    parser.add_argument("--mn", action="append", required=True, help="a terminal's MN (repeat for several)")
    args = parser.parse_args(argv)
    from functions import _wiring
    from functions.adapters.archive_objects import frames_reader

    chains = _wiring.get_store().chain_heads  # STORE_BACKEND, DYNAMODB_TABLE_PREFIX, AWS_REGION as the functions'
    frames_of = frames_reader(_wiring.get_s3(), args.bucket)  # each object read once across the MNs
    broken = 0
    for mn in args.mn:
        result = chains.verify(mn, frames_of)
        if result.ok:
            print(f"{mn}: 完整，{result.checked} 帧")
        else:
            broken += 1
            print(f"{mn}: 在第 {result.first_broken_seq} 帧处断开（{result.reason}），此前 {result.checked} 帧完整")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
