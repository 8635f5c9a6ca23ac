"""`python -m functions.export_evidence` against the platform's store and the S3 archive (moto server on
127.0.0.1): the package holds the frames and proof of the archive and verifies, its hash goes on the audit trail,
an existing file is kept unless --force, an unknown alarm is exit 1."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from functions import _wiring, export_evidence
from monitoring.clock import FixedClock
from monitoring.evidence.verify_evidence import verify
from tests.integration.monitoring.evidence.delivery import BUCKET, deliver, moto_s3
from tests.integration.monitoring.evidence.scene import build_scene

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fake_aws_env")]


def test_an_export_on_aws_reads_the_archive_and_is_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = build_scene(tmp_path)
    out = tmp_path / "证据包.zip"
    with moto_s3() as (s3, url):
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", url)  # the wiring's S3 client, as boto3 finds endpoints
        settings = _wiring.Settings(store_backend="sqlite", sqlite_path=str(tmp_path / "gongkuang.db"))
        _wiring.configure(settings, clock=FixedClock(scene.now))
        try:
            deliver(s3, _wiring.get_store().chain_heads, scene.records)
            assert export_evidence.main(["--alarm", scene.alarm_id, "--out", str(out), "--bucket", BUCKET]) == 0
            printed = capsys.readouterr().out
            assert export_evidence.main(["--alarm", scene.alarm_id, "--out", str(out), "--bucket", BUCKET]) == 2
            assert "已存在" in capsys.readouterr().out
            unknown = ["--alarm", "no-such-alarm", "--out", str(tmp_path / "x.zip"), "--bucket", BUCKET]
            assert export_evidence.main(unknown) == 1
            assert "告警 no-such-alarm 不存在" in capsys.readouterr().out
        finally:
            _wiring.get_store().close()
            _wiring.configure(None)
    assert verify(str(out))[0] == []
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as z:
        package = json.loads(z.read("package.json"))
    assert package["chains"] == [] and package["delivered"]["terminals"][0]["mn"] == scene.mn
    assert "已导出证据包" in printed and "照片文件未包含" in printed
    records, _ = scene.store.audit_trail.query(
        since=scene.now - timedelta(days=1), until=datetime.now(UTC) + timedelta(days=1), action="evidence.export"
    )  # recorded at the wall time of the export
    (record,) = records
    assert record.detail["sha256"] in printed
    scene.store.close()
