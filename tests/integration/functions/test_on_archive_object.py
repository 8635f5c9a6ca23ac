"""The chain function on moto S3 (a versioned bucket with Object Lock): each delivered object gets a locked
manifest beside it and one link on the global chain, a redelivered event adds nothing, and verify_archive names
an object rewritten, deleted, or a manifest replaced afterwards."""

from __future__ import annotations

import gzip
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions import on_archive_object, verify_archive
from hj212.contract import FrameRecord
from monitoring.archive import manifest as mf
from monitoring.archive.models import AuthStatus
from monitoring.ingest.records import encode_record
from monitoring.storage.ports import Store
from tests.integration.functions.conftest import NOW, LambdaContext
from tests.support.locked_bucket import create_locked_bucket

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fake_aws_env")]
REGION = "cn-north-1"
BUCKET = "archive"


def _line(mn: str, n: int, value: int | None = None) -> bytes:
    raw = b"##0101QN=2026112810%02d00000;ST=32;CN=2011;PW=123456;MN=%s;Flag=5;CP=&&P01-Rtd=%d&&ABCD\r\n" % (
        n,
        mn.encode(),
        n if value is None else value,
    )
    record = FrameRecord(mn, raw, NOW + timedelta(seconds=n), "203.0.113.7:50122", AuthStatus.OK, "hj212", "2011")
    return encode_record(record)


def _event(*keys: str) -> dict[str, Any]:
    # S3 URL-encodes keys in event notifications ("=" as %3D)
    return {"Records": [{"s3": {"bucket": {"name": BUCKET}, "object": {"key": k.replace("=", "%3D")}}} for k in keys]}


def _put(s3: Any, key: str, lines: list[bytes]) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(b"\n".join(lines) + b"\n"), ChecksumAlgorithm="SHA256")


def _locked_bucket() -> Any:
    s3 = boto3.client("s3", region_name=REGION)
    create_locked_bucket(s3, BUCKET)
    return s3


A = "raw/date=2026-11-28/auth=ok/frames-1-2026-11-28-10-00-00-a.gz"
B = "raw/date=2026-11-28/auth=ok/frames-1-2026-11-28-10-15-00-b.gz"
B_LINES = [_line("MN02", 3), _line("MN01", 3), _line("MN01", 4), _line("MN02", 4)]


def _two_objects(s3: Any, lambda_context: LambdaContext) -> tuple[dict[str, int], ...]:
    # two objects as Firehose delivers them: two terminals interleaved, and a line that is no record
    _put(s3, A, [_line("MN01", 1), _line("MN02", 1), b"not a record", _line("MN01", 2)])
    _put(s3, B, B_LINES)
    first = on_archive_object.handler(_event(A), lambda_context)
    second = on_archive_object.handler(_event(B), lambda_context)
    again = on_archive_object.handler(_event(A, B), lambda_context)
    return first, second, again


def test_each_object_gets_a_locked_manifest_and_one_link_idempotently(
    wired_store: Store, lambda_context: LambdaContext
) -> None:
    with mock_aws():
        s3 = _locked_bucket()
        results = _two_objects(s3, lambda_context)
        assert results == ({"objects": 1, "records": 3}, {"objects": 1, "records": 4}, {"objects": 2, "records": 7})
        links = wired_store.chain_heads.links()
        assert [(link.seq, link.object_key, link.records, link.mns) for link in links] == [(1, A, 3, 2), (2, B, 4, 2)]
        assert links[1].prev_hash == links[0].hash
        # the manifests sit under manifests/ (outside raw/, which notifies the function), locked, one each
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=mf.MANIFEST_PREFIX)["Contents"]
        assert [o["Key"] for o in listed] == [mf.manifest_key(A, 1), mf.manifest_key(B, 2)]
        head = s3.head_object(Bucket=BUCKET, Key=mf.manifest_key(B, 2))
        assert head["ObjectLockMode"] == "GOVERNANCE"
        stored = s3.get_object(Bucket=BUCKET, Key=mf.manifest_key(B, 2))["Body"].read()
        manifest = mf.decode(stored)
        assert mf.sha256(stored) == links[1].hash
        assert manifest.object_sha256 == mf.sha256(s3.get_object(Bucket=BUCKET, Key=B)["Body"].read())
        assert [(e.mn, e.first, e.last, e.count) for e in manifest.entries] == [("MN02", 0, 3, 2), ("MN01", 1, 2, 2)]
        mn01 = manifest.entry("MN01")
        assert mn01 is not None and mn01.prev is not None and (mn01.prev.object_key, mn01.prev.seq) == (A, 1)


def test_verify_archive_names_a_rewritten_object_a_deleted_one_and_a_replaced_manifest(
    wired_store: Store, lambda_context: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock_aws():
        s3 = _locked_bucket()
        _two_objects(s3, lambda_context)
        assert verify_archive.main(["--bucket", BUCKET, "--mn", "MN01", "--mn", "MN02"]) == 0
        out = capsys.readouterr().out
        assert "全局链 2 环，2 个终端共 7 帧核对一致" in out and "MN02: 完整，3 帧核对一致" in out
        # When object b is rewritten (a new version) with MN01's 4th frame altered
        tampered = list(B_LINES)
        tampered[2] = _line("MN01", 4, value=9)
        _put(s3, B, tampered)
        assert verify_archive.main(["--bucket", BUCKET, "--mn", "MN01", "--mn", "MN02"]) == 1
        out = capsys.readouterr().out
        assert f"第 2 环（{B}）：数据对象的字节已被改动（哈希与清单不符）" in out
        assert f"第 2 环（{B}） 终端 MN01：数据帧与清单不符（改动、缺失或顺序错乱）" in out
        assert "MN01: 有 2 处问题，2 帧核对一致" in out
        # When object a is deleted (a delete marker) and b's manifest replaced by a new version
        s3.delete_object(Bucket=BUCKET, Key=A)
        s3.put_object(Bucket=BUCKET, Key=mf.manifest_key(B, 2), Body=b"{}", ChecksumAlgorithm="SHA256")
        assert verify_archive.main(["--bucket", BUCKET]) == 1
        out = capsys.readouterr().out
        assert f"第 1 环（{A}）：数据对象已被删除" in out
        assert f"第 2 环（{B}）：清单 {mf.manifest_key(B, 2)} 已被替换或改动（哈希与链不符）" in out
        # An object delivered whose event never reached the function is named too
        c = "raw/date=2026-11-28/auth=ok/frames-1-2026-11-28-10-30-00-c.gz"
        _put(s3, c, [_line("MN01", 5)])
        assert verify_archive.main(["--bucket", BUCKET]) == 1
        assert f"{c}：数据对象未上链（链函数未处理，或刚送达）" in capsys.readouterr().out
