"""`python -m monitoring evidence export|verify` on the demo-like alarm's database: Chinese output, exit codes, a bad
alarm id or an existing output file refused, a changed package not verified."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitoring.cli import run
from tests.integration.monitoring.evidence.scene import Scene, build_scene

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Scene, Path]]:
    root = tmp_path_factory.mktemp("evidence-cli")
    built = build_scene(root)
    built.store.close()
    yield built, root


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return run(list(argv), out), out.getvalue()


def test_export_then_verify(scene: tuple[Scene, Path], tmp_path: Path) -> None:
    built, root = scene
    db = str(root / "gongkuang.db")
    now = built.now.isoformat()
    code, text = _run(
        "--db", db, "evidence", "export", "--alarm", built.alarm_id, "--out", str(tmp_path / "a.zip"), "--now", now
    )
    assert code == 0, text
    assert "已导出证据包" in text and "证据包 SHA-256：" in text and "照片" not in text  # photos found beside the db
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert any(n.startswith("photos/") for n in archive.namelist())
    code, text = _run("evidence", "verify", str(tmp_path / "a.zip"))
    assert code == 0 and "校验通过" in text
    # the same export again, to another file: the same bytes
    _run("--db", db, "evidence", "export", "--alarm", built.alarm_id, "--out", str(tmp_path / "b.zip"), "--now", now)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_an_unknown_alarm_and_an_existing_output_are_refused(scene: tuple[Scene, Path], tmp_path: Path) -> None:
    _, root = scene
    db = str(root / "gongkuang.db")
    code, text = _run("--db", db, "evidence", "export", "--alarm", "no-such-alarm", "--out", str(tmp_path / "x.zip"))
    assert code == 1 and "告警 no-such-alarm 不存在" in text and not (tmp_path / "x.zip").exists()
    (tmp_path / "taken.zip").write_bytes(b"keep me")
    code, text = _run("--db", db, "evidence", "export", "--alarm", "a", "--out", str(tmp_path / "taken.zip"))
    assert code == 2 and "--force" in text and (tmp_path / "taken.zip").read_bytes() == b"keep me"
    code, text = _run("--db", db, "evidence", "export", "--alarm", "a", "--out", str(tmp_path / "no" / "x.zip"))
    assert code == 2 and "不存在" in text


def test_a_changed_package_or_a_missing_file_does_not_verify(scene: tuple[Scene, Path], tmp_path: Path) -> None:
    built, root = scene
    out = tmp_path / "a.zip"
    _run(
        "--db",
        str(root / "gongkuang.db"),
        "evidence",
        "export",
        "--alarm",
        built.alarm_id,
        "--out",
        str(out),
        "--now",
        built.now.isoformat(),
    )
    with zipfile.ZipFile(out) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    files["response.txt"] = files["response.txt"].replace("皮带".encode(), "电机".encode())
    with zipfile.ZipFile(tmp_path / "changed.zip", "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    code, text = _run("evidence", "verify", str(tmp_path / "changed.zip"))
    assert code == 3 and "校验未通过" in text and "response.txt" in text
    code, text = _run("evidence", "verify", str(tmp_path / "nothing.zip"))
    assert code == 2 and "文件不存在" in text


def test_an_export_is_audited_with_its_hash_and_verify_checks_the_hash(
    scene: tuple[Scene, Path], tmp_path: Path
) -> None:
    import hashlib
    from datetime import timedelta

    from monitoring.storage.sqlite import open_store

    built, root = scene
    db = root / "gongkuang.db"
    out = tmp_path / "a.zip"
    code, text = _run(
        "--db",
        str(db),
        "evidence",
        "export",
        "--alarm",
        built.alarm_id,
        "--out",
        str(out),
        "--now",
        built.now.isoformat(),
    )
    assert code == 0, text
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    store = open_store(db)
    try:
        records, _ = store.audit_trail.query(
            since=built.now - timedelta(days=3650), until=built.now + timedelta(days=3650), action="evidence.export"
        )
    finally:
        store.close()
    assert [(r.object_id, r.detail["sha256"], r.channel) for r in records][:1] == [(built.alarm_id, sha, "cli")]
    code, text = _run("evidence", "verify", str(out), "--sha256", sha.upper())
    assert code == 0 and "与导出时记录一致" in text, text
    code, text = _run("evidence", "verify", str(out), "--sha256", "0" * 64)
    assert code == 3 and "不一致" in text
    code, text = _run("evidence", "verify", str(out), "--sha256", "abc")
    assert code == 3 and "64位十六进制" in text
    with zipfile.ZipFile(out) as archive:
        readme = archive.read("README.txt").decode()
    assert "审计记录" in readme and "定期公布" not in readme
