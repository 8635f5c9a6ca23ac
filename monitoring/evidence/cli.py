"""`python -m monitoring evidence export --alarm ID --out FILE` and `evidence verify FILE` (the bureau's text)."""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from monitoring._time import parse_aware
from monitoring.clock import SystemClock
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.evidence.delivered import DeliveredArchive
from monitoring.photos.ports import PhotoBlobStore
from monitoring.storage.ports import Store


def add_parser(sub: Any) -> None:
    ev = sub.add_parser("evidence", help="告警证据包（行政处罚用）").add_subparsers(dest="action", required=True)
    ex = ev.add_parser("export", help="导出一条告警的证据包（ZIP）")
    ex.add_argument("--alarm", required=True, help="告警编号")
    ex.add_argument("--out", required=True, type=Path, help="输出的 ZIP 文件")
    ex.add_argument("--photos", type=Path, help="照片文件目录（默认：数据库所在目录下的 photos）")
    ex.add_argument("--now", help="截至时间（ISO 8601，带时区；默认当前时间）")
    ex.add_argument("--force", action="store_true", help="覆盖已存在的输出文件")
    ve = ev.add_parser("verify", help="校验证据包")
    ve.add_argument("file", type=Path, help="证据包 ZIP 或解压后的文件夹")
    ve.add_argument("--sha256", help="导出时记录（审计记录或下载时告知）的证据包 SHA-256，核对 ZIP 文件本身")


def verify_cli(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 verified, 3 not verified (like a broken archive chain), 2 unreadable."""
    from monitoring.evidence.verify_evidence import file_hash, verify

    if not args.file.exists():
        print(f"错误：文件不存在: {args.file}", file=out)
        return 2
    problems, summary = verify(str(args.file))
    if args.sha256 is not None:
        problems += file_hash(str(args.file), args.sha256, summary)
    for line in summary:
        print(line, file=out)
    if problems:
        print(f"校验未通过，发现 {len(problems)} 处问题：", file=out)
        for line in problems[:200]:
            print(f"  - {line}", file=out)
        return 3
    print("校验通过：所有文件与清单一致，哈希链完整，数据与原始报文一致。", file=out)
    return 0


def check_out(path: Path, force: bool) -> None:
    """Before anything is read: the output's folder exists and an existing file is replaced only when asked."""
    if not path.parent.is_dir():
        raise InvalidInputError(f"输出目录 {path.parent} 不存在")
    if path.is_dir():
        raise InvalidInputError(f"{path} 是一个目录")
    if path.exists() and not force:
        raise InvalidInputError(f"文件 {path} 已存在（覆盖请加 --force）")


def _audit_export(store: Store, evidence: Any, sha256: str, now: datetime) -> None:
    """The package's hash on the trail: it anchors the file outside itself."""
    import getpass

    from monitoring.audit.models import AuditRecord

    try:
        user = getpass.getuser()[:64] or "unknown"
    except (OSError, KeyError):
        user = "unknown"
    alarm = evidence.alarm
    store.audit_trail.append(
        AuditRecord(at=SystemClock().now(), actor_id=f"cli:{user}", actor_role="cli", source_ip="", channel="cli",
                    action="evidence.export", object_type="alarm", object_id=alarm.id,
                    enterprise_id=alarm.enterprise_id, detail={"sha256": sha256, "as_of": now.isoformat()})
    )  # fmt: skip


def parse_now(text: str | None, default: datetime) -> datetime:
    """--now: ISO 8601 with an offset; the default when not given."""
    return parse_aware(text) if text else default


def export_cli(args: argparse.Namespace, store: Store, out: TextIO, now: datetime) -> int:
    from monitoring.storage.photo_blobs.local import LocalPhotoBlobs

    check_out(args.out, args.force)
    now = parse_now(args.now, now)
    photos = args.photos or Path(args.db).parent / "photos"
    blobs = LocalPhotoBlobs(photos) if photos.is_dir() else None
    missing = f"注意：照片目录 {photos} 不存在，照片文件未包含在证据包中" if blobs is None else ""
    return export(store, args.alarm, args.out, now, out, blobs=blobs, photos_missing=missing)


def export(
    store: Store,
    alarm_id: str,
    path: Path,
    now: datetime,
    out: TextIO,
    *,
    blobs: PhotoBlobStore | None,
    archive: DeliveredArchive | None = None,
    photos_missing: str = "",
) -> int:
    """Write the package (the output checked by the caller), record its hash on the trail, report in Chinese.
    `archive`: frames and proof from the S3 archive (AWS, `python -m functions.export_evidence`)."""
    from monitoring.evidence.collect import collect
    from monitoring.evidence.package import build_package
    from monitoring.profiles.loader import load_profiles

    try:
        evidence = collect(store, alarm_id, now, load_profiles(), blobs, archive)
    except NotFoundError:
        print(f"错误：告警 {alarm_id} 不存在", file=out)
        return 1
    package = build_package(evidence)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(package.data)
    os.replace(partial, path)  # never a half-written package under the final name
    print(f"已导出证据包：{path}（{len(package.data) / 1024:.0f} KB，{package.files} 个文件）", file=out)
    _audit_export(store, evidence, package.sha256, now)
    print(f"证据包 SHA-256：{package.sha256}（已记入审计记录）", file=out)
    print(f"数据 {package.values} 个，其中 {package.traced} 个已对应到原始报文", file=out)
    if archive is not None and evidence.delivered is None:
        print("注意：原始报文归档中没有该告警时间窗口内的报文，证据包不含原始报文与哈希证明", file=out)
    if photos_missing and evidence.photos:
        print(photos_missing, file=out)
    return 0
