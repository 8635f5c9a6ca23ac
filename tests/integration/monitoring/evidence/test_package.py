"""An evidence package of a demo-like alarm verifies, is byte-stable, and any change is found: one byte of any file
of the package, a change that also fixes up the manifest, or a frame rewritten in the store's archive."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitoring._time import CHINA
from monitoring.evidence import build_package, collect
from monitoring.evidence.verify_evidence import MANIFEST, verify
from tests.integration.monitoring.evidence.package_files import reseal, write_files
from tests.integration.monitoring.evidence.scene import Scene, build_scene

pytestmark = pytest.mark.integration


@dataclass
class Built:
    scene: Scene
    data: bytes
    files: dict[str, bytes]
    root: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("evidence")
    scene = build_scene(root)
    package = build_package(collect(scene.store, scene.alarm_id, scene.now, scene.profiles, scene.blobs))
    with zipfile.ZipFile(io.BytesIO(package.data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    yield Built(scene, package.data, files, root)
    scene.store.close()


def _flip(data: bytes, at: int | None = None) -> bytes:
    at = len(data) // 2 if at is None else at
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


KINDS = (
    "README.txt",
    MANIFEST,
    "package.json",
    "verify.py",
    "rule.txt",
    "response.txt",
    "readings.csv",
    "chart.png",
    "chart.pdf",
    "notifications.csv",
    "audit.csv",
    "frames/",
    "proof/",
    "photos/",
)


def _named(files: dict[str, bytes], kind: str) -> str:
    return next(n for n in sorted(files) if n == kind or (kind.endswith("/") and n.startswith(kind)))


def test_the_package_verifies_and_every_value_is_traced_to_a_frame(built: Built, tmp_path: Path) -> None:
    (tmp_path / "p.zip").write_bytes(built.data)
    problems, summary = verify(str(tmp_path / "p.zip"))
    assert problems == []
    rows = list(csv.DictReader(io.StringIO(built.files["readings.csv"].decode("utf-8-sig"))))
    assert len(rows) > 5_000 and all(r["帧序号"] for r in rows)
    assert any("7920" in line or str(len(rows)) in line for line in summary)
    assert built.files["readings.csv"].startswith("\ufeff".encode())
    names = set(built.files)
    assert {"README.txt", "verify.py", "chart.png", "chart.pdf", "rule.txt", "response.txt"} <= names
    assert {"notifications.csv", "audit.csv", "package.json", MANIFEST} <= names
    photos = [n for n in names if n.startswith("photos/")]
    assert [built.files[n] for n in photos] == [built.scene.photo]


def test_the_readable_files_name_things_never_internal_ids(built: Built) -> None:
    rule = built.files["rule.txt"].decode()
    assert "如皋市示范金属制品有限公司" in rule and "1号除尘治理线" in rule and "除尘风机电源" in rule
    assert "持续10分钟以上" in rule and "停止判定功率1.5kW" in rule
    for internal in ("pt-fan", "pt-furnace", "line-1", "fac-fan", "rugao-ent-demo"):
        assert internal not in rule
    notes = built.files["notifications.csv"].decode("utf-8-sig")
    assert "13800138000" not in notes and "短信" in notes
    assert "风机皮带断裂" in built.files["response.txt"].decode()


def test_branch_inspector_and_operators_are_named_with_their_ids_in_brackets(built: Built) -> None:
    response = built.files["response.txt"].decode()
    assert "派发执法分局：执法一局（rugao-branch-1）" in response
    assert "核查人：李四（acc-branch-1f2e3d）" in response
    audit = built.files["audit.csv"].decode("utf-8-sig")
    assert "李四（acc-branch-1f2e3d）" in audit and "张三（acc-ent）" in audit
    assert "branch=执法一局（rugao-branch-1）" in audit
    assert ",acc-branch-1f2e3d," not in audit and ",acc-ent," not in audit


def test_an_open_episode_is_said_to_last_until_the_export_and_counts_are_explained(built: Built) -> None:
    rule = built.files["rule.txt"].decode()
    assert "至今" not in rule
    assert f"至导出时（{built.scene.now.astimezone(CHINA).isoformat(timespec='seconds')}）仍在持续" in rule
    rows = list(csv.DictReader(io.StringIO(built.files["readings.csv"].decode("utf-8-sig"))))
    fan = {r["数据时间"] for r in rows if r["点位名称"] == "除尘风机电源"}
    assert f"除尘风机电源（320682TA0010001）：{len(fan)}条分钟数据" in rule


def test_the_same_inputs_give_the_same_bytes(built: Built) -> None:
    s = built.scene
    again = build_package(collect(s.store, s.alarm_id, s.now, s.profiles, s.blobs))
    assert again.data == built.data


def test_the_frames_are_the_archived_bytes(built: Built) -> None:
    chain = built.scene.store.archive.chain(built.scene.mn, from_seq=1, limit=5)
    package = json.loads(built.files["package.json"])
    names = package["chains"][0]["frame_files"]
    assert [built.files[names[str(r.seq)]] for r in chain] == [r.frame.raw for r in chain]


@pytest.mark.parametrize("kind", KINDS)
def test_one_changed_byte_in_any_file_is_found(built: Built, tmp_path: Path, kind: str) -> None:
    name = _named(built.files, kind)
    files = dict(built.files) | {name: _flip(built.files[name])}
    problems, _ = verify(str(write_files(files, tmp_path)))
    assert problems, name


def test_the_parametrisation_covers_every_file_of_the_package(built: Built) -> None:
    assert all(any(n == k or (k.endswith("/") and n.startswith(k)) for k in KINDS) for n in built.files)


@pytest.mark.parametrize("target", ["frame", "proof", "readings"])
def test_a_change_with_a_fixed_up_manifest_is_still_found(built: Built, tmp_path: Path, target: str) -> None:
    files = dict(built.files)
    if target == "frame":  # a raw frame's value digit
        name = next(n for n in sorted(files) if n.startswith("frames/"))
        at = files[name].index(b"Rtd=") + 4
        files[name] = files[name][:at] + bytes([files[name][at] ^ 0x01]) + files[name][at + 1 :]
    elif target == "proof":  # a chain record's content, its own hash recomputed cannot fix the next link
        name = next(n for n in files if n.startswith("proof/"))
        lines = files[name].decode().splitlines()
        record = json.loads(lines[3])
        record["frame"]["peer"] = "198.51.100.9:1"
        lines[3] = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        files[name] = ("\n".join(lines) + "\n").encode()
    else:  # one value of the readings CSV
        text = files["readings.csv"].decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        column = rows[0].index("数值")
        row = next(r for r in rows[1:] if r[5] == "p" and float(r[column]) > 10)
        row[column] = str(float(row[column]) - 5)
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        files["readings.csv"] = "\ufeff".encode() + out.getvalue().encode()
    problems, _ = verify(str(write_files(reseal(files), tmp_path)))
    assert problems


def test_the_shipped_script_runs_alone_and_answers_in_chinese(built: Built, tmp_path: Path) -> None:
    (tmp_path / "p.zip").write_bytes(built.data)
    (tmp_path / "verify.py").write_bytes(built.files["verify.py"])
    ok = subprocess.run([sys.executable, "-I", "verify.py", "p.zip"], cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0 and "校验通过" in ok.stdout
    (tmp_path / "bad.zip").write_bytes(_zip(dict(built.files) | {"rule.txt": b"x"}))
    bad = subprocess.run([sys.executable, "-I", "verify.py", "bad.zip"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 1 and "rule.txt" in bad.stdout and "校验未通过" in bad.stdout
    script = [sys.executable, "-I", "verify.py", "p.zip", "--sha256"]
    same = subprocess.run(
        [*script, hashlib.sha256(built.data).hexdigest()], cwd=tmp_path, capture_output=True, text=True
    )
    assert same.returncode == 0 and "与导出时记录一致" in same.stdout
    other = subprocess.run([*script, "f" * 64], cwd=tmp_path, capture_output=True, text=True)
    assert other.returncode == 1 and "不一致" in other.stdout


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_frame_rewritten_in_the_archive_is_found_in_the_next_package(tmp_path: Path) -> None:
    scene = build_scene(tmp_path)
    scene.store.close()
    conn = sqlite3.connect(tmp_path / "gongkuang.db")
    conn.execute("DROP TRIGGER archive_frame_no_update")
    (raw,) = conn.execute("SELECT raw FROM archive_frame WHERE seq = 40").fetchone()
    conn.execute("UPDATE archive_frame SET raw = ? WHERE seq = 40", (_flip(raw),))
    conn.commit()
    conn.close()
    from monitoring.storage.sqlite import open_store

    store = open_store(tmp_path / "gongkuang.db")
    try:
        package = build_package(collect(store, scene.alarm_id, scene.now, scene.profiles, scene.blobs))
    finally:
        store.close()
    (tmp_path / "p.zip").write_bytes(package.data)
    problems, _ = verify(str(tmp_path / "p.zip"))
    assert any("第40条报文" in p and "哈希不符" in p for p in problems), problems


@pytest.mark.parametrize("chains", [[{"mn": "X"}], [{"mn": "X", "proof_file": "proof/x", "frame_files": []}], "x", [3]])
def test_a_package_of_the_wrong_shape_is_reported_not_a_crash(built: Built, tmp_path: Path, chains: object) -> None:
    package = json.loads(built.files["package.json"]) | {"chains": chains}
    files = reseal(dict(built.files) | {"package.json": json.dumps(package).encode()})
    problems, _ = verify(str(write_files(files, tmp_path)))
    assert problems
