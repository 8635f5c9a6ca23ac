"""`python -m functions.restream`: put the S3 raw archive's frames of some days back into the frame stream.

More: docs/deploy.md, "Data protection".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.restream", description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", required=True, help="the raw archive (stack output ArchiveBucket)")
    parser.add_argument("--stream", required=True, help="the frame stream's name (stack output FrameStream)")
    parser.add_argument("--from", dest="first", type=_day, required=True, help="first UTC day, YYYY-MM-DD")
    parser.add_argument("--to", dest="last", type=_day, required=True, help="last UTC day, YYYY-MM-DD")
    parser.add_argument(
        "--groups", type=int, required=True, help="the listener's stream groups (the stage's stream_groups)"
    )
    parser.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    parser.add_argument("--dry-run", action="store_true", help="read and count, put nothing")
    args = parser.parse_args(argv)
    if args.last < args.first:
        parser.error("--to must not be before --from")
    if not 1 <= args.groups <= 100_000:
        parser.error("--groups must be 1-100000")
    from functions.adapters.restream import clients, restream

    s3, kinesis = clients(args.region)
    result = restream(
        s3,
        kinesis,
        bucket=args.bucket,
        stream=args.stream,
        groups=args.groups,
        first=args.first,
        last=args.last,
        dry_run=args.dry_run,
    )
    verb = "would put back" if args.dry_run else "put back"
    print(f"{verb}: {result.records} frame records from {result.objects} objects; skipped: {len(result.skipped)}")
    for line in result.skipped:
        print(f"  skipped {line}", file=sys.stderr)
    return 1 if result.skipped else 0


if __name__ == "__main__":
    sys.exit(main())
