"""`python -m functions.redrive`: put decode's dead letters back into the frame stream (docs/deploy.md).

More: docs/deploy.md, "Module notes".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.redrive", description=__doc__.splitlines()[0])
    parser.add_argument("--queue-url", required=True, help="decode's dead-letter queue (stack output DeadLetterQueue)")
    parser.add_argument("--stream", required=True, help="the frame stream's name (stack output FrameStream)")
    parser.add_argument(
        "--groups",
        type=int,
        required=True,
        help="the listener's stream groups (the stage's stream_groups, its IOT_INGEST_STREAM_GROUPS): records are "
        "keyed as the listener keys them",
    )
    parser.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    parser.add_argument("--limit", type=int, help="redrive at most this many messages")
    parser.add_argument("--dry-run", action="store_true", help="read and count, put and delete nothing")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if not 1 <= args.groups <= 100_000:
        parser.error("--groups must be 1-100000")
    from functions.adapters.redrive import clients, redrive

    sqs, kinesis = clients(args.region)
    result = redrive(
        sqs,
        kinesis,
        queue_url=args.queue_url,
        stream=args.stream,
        groups=args.groups,
        limit=args.limit,
        dry_run=args.dry_run,
    )
    verb = "would redrive" if args.dry_run else "redriven"
    print(f"{verb}: {result.messages} messages, {result.records} records; left in the queue: {len(result.kept)}")
    for line in result.kept:
        print(f"  kept {line}", file=sys.stderr)
    return 1 if result.kept else 0


if __name__ == "__main__":
    sys.exit(main())
