"""`python -m functions.export_evidence`: an alarm's evidence package on AWS, its raw frames and their proof read
from the S3 archive (the API answers 413 above its size limit; this has none). More: docs/deploy.md."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.export_evidence", description=__doc__.splitlines()[0])
    parser.add_argument("--alarm", required=True, help="告警编号")
    parser.add_argument("--out", required=True, type=Path, help="输出的 ZIP 文件")
    parser.add_argument("--bucket", required=True, help="原始报文归档桶（stack output ArchiveBucket）")
    parser.add_argument("--photo-bucket", default="", help="照片桶（stack output 中的照片桶；不给则不含照片文件）")
    parser.add_argument("--now", help="截至时间（ISO 8601，带时区；默认当前时间）")
    parser.add_argument("--force", action="store_true", help="覆盖已存在的输出文件")
    args = parser.parse_args(argv)
    from functions import _wiring
    from monitoring.errors import InvalidInputError, StorageUnavailableError
    from monitoring.evidence.cli import check_out, export, parse_now

    try:
        check_out(args.out, args.force)
        now = parse_now(args.now, _wiring.get_clock().now())
        blobs = _wiring.photo_blobs(args.photo_bucket) if args.photo_bucket else None
        missing = "" if blobs is not None else "注意：未给出照片桶（--photo-bucket），照片文件未包含在证据包中"
        archive = _wiring.delivered_archive(args.bucket)
        return export(_wiring.get_store(), args.alarm, args.out, now, sys.stdout, blobs=blobs, archive=archive,
                      photos_missing=missing)  # fmt: skip
    except InvalidInputError as exc:
        print(f"错误：{exc}")
        return 2
    except StorageUnavailableError as exc:
        print(f"错误：存储不可用：{exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
