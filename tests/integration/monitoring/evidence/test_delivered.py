"""The evidence package on AWS: the demo-like alarm's frames delivered to S3 (moto server on 127.0.0.1) in several
objects, interleaved with another terminal's, chained by the chain function's code onto links in DynamoDB Local.
The package holds the alarm terminal's frames byte-exact and no one else's, verifies, and names a frame byte, a
manifest or a link changed, in the package or in the bucket."""

from __future__ import annotations

import base64
import gzip
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from monitoring.archive import manifest as mf
from monitoring.archive.models import RawFrame
from monitoring.clock import FixedClock
from monitoring.evidence import build_package, collect
from monitoring.evidence.delivered import DeliveredArchive
from monitoring.evidence.verify_evidence import verify
from monitoring.ingest.records import parse_record
from monitoring.storage.archive_s3 import S3ArchiveReader
from monitoring.storage.ports import Store
from tests.conftest import FAKE_AWS_ENV
from tests.integration.monitoring.evidence.delivery import BUCKET, OTHER, REGION, deliver, moto_s3
from tests.integration.monitoring.evidence.package_files import reseal, write_files
from tests.integration.monitoring.evidence.scene import Scene, build_scene
from tests.support.dynamodb_tables import fresh_backend

pytestmark = pytest.mark.integration


@dataclass
class World:
    scene: Scene
    s3: Any
    links: Store
    keys: list[str]
    data: bytes
    files: dict[str, bytes]


def _package(world_scene: Scene, s3: Any, links: Store) -> tuple[bytes, dict[str, bytes]]:
    archive = DeliveredArchive(links.chain_heads, S3ArchiveReader(s3, BUCKET))
    evidence = collect(
        world_scene.store, world_scene.alarm_id, world_scene.now, world_scene.profiles, world_scene.blobs, archive
    )
    data = build_package(evidence).data
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return data, {n: z.read(n) for n in z.namelist()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, dynamodb_local_url: str) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as env:
        for name, value in FAKE_AWS_ENV.items():
            env.setenv(name, value)
        with fresh_backend(dynamodb_local_url, "ev", region=REGION) as backend:
            scene = build_scene(tmp_path_factory.mktemp("evidence-s3"))
            try:
                with moto_s3() as (s3, _):
                    links = backend.store(clock=FixedClock(scene.now))
                    keys = deliver(s3, links.chain_heads, scene.records)
                    data, files = _package(scene, s3, links)
                    yield World(scene, s3, links, keys, data, files)
            finally:
                scene.store.close()


def _problems(files: dict[str, bytes], folder: Path) -> list[str]:
    return verify(str(write_files(files, folder)))[0]


def test_the_package_holds_the_terminals_frames_byte_exact_and_verifies(world: World, tmp_path: Path) -> None:
    files, mn = world.files, world.scene.mn
    (tmp_path / "p.zip").write_bytes(world.data)
    assert verify(str(tmp_path / "p.zip"))[0] == []
    run = subprocess.run(
        [sys.executable, "verify.py", str(tmp_path / "p.zip")],
        cwd=write_files(files, tmp_path / "unpacked"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0 and "校验通过" in run.stdout, run.stdout
    # every frame the terminal sent in the window, bytes as received, and nothing else
    sent = sorted(RawFrame.of(parse_record(r)).raw for r in world.scene.records)
    frames = sorted(d for n, d in files.items() if n.startswith("frames/"))
    assert frames == sent and all(n.startswith(f"frames/{mn}/") for n in files if n.startswith("frames/"))
    assert not any(OTHER in n for n in files) and OTHER.encode() not in files[f"proof/{mn}.jsonl"]
    package = json.loads(files["package.json"])
    assert package["chains"] == []
    delivered = package["delivered"]
    (terminal,) = delivered["terminals"]
    assert len(terminal["entries"]) >= 3 and terminal["anchor"] is None  # the window spans several objects
    assert delivered["reaches_head"] and delivered["first_seq"] == 1 and delivered["last_seq"] == len(world.keys)
    # every value is traced to a frame of the package ("<link seq>-<position>")
    rows = files["readings.csv"].decode("utf-8-sig").splitlines()
    assert len(rows) > 5_000 and all(r.split(",")[8].count("-") == 1 for r in rows[1:])
    assert "哈希证明说明" in files["README.txt"].decode()


def _proof_lines(files: dict[str, bytes], mn: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in files[f"proof/{mn}.jsonl"].decode().splitlines()]


def test_a_frame_byte_changed_in_the_package_is_found_even_with_its_proof_rewritten(
    world: World, tmp_path: Path
) -> None:
    mn = world.scene.mn
    name = next(n for n in sorted(world.files) if n.startswith(f"frames/{mn}/"))
    changed = bytearray(world.files[name])
    changed[40] ^= 0x01
    # the frame file alone: it no longer matches the proof
    problems = _problems(reseal(world.files | {name: bytes(changed)}), tmp_path / "a")
    assert any(p.startswith(f"原始报文 {name} 与哈希证明中的字节不一致") for p in problems), problems
    # the frame file and its proof line together: the proof no longer matches the manifest
    seq, position = name.rsplit("/", 1)[1].removesuffix(".hj212").split("-")
    lines = _proof_lines(world.files, mn)
    for line in lines:
        if (line["seq"], line["position"]) == (int(seq), int(position)):
            line["frame"]["raw"] = base64.b64encode(bytes(changed)).decode()
    proof = "".join(json.dumps(x, sort_keys=True, separators=(",", ":")) + "\n" for x in lines).encode()
    problems = _problems(reseal(world.files | {name: bytes(changed), f"proof/{mn}.jsonl": proof}), tmp_path / "b")
    assert f"终端 {mn}：第{int(seq)}环的报文与清单中的哈希不符（报文被改动）" in problems, problems


def _forged_manifest(world: World, seq: int, frames_sha256: str) -> bytes:
    files = world.files
    name = json.loads(files["package.json"])["delivered"]["manifests"][str(seq)]
    doc = json.loads(gzip.decompress(files[name]))
    for row in doc["mns"]:
        if row[0] == world.scene.mn:
            row[4] = frames_sha256
    return gzip.compress(json.dumps(doc, separators=(",", ":"), sort_keys=True).encode(), mtime=0)


def test_a_changed_manifest_or_link_is_found(world: World, tmp_path: Path) -> None:
    delivered = json.loads(world.files["package.json"])["delivered"]
    seq = delivered["terminals"][0]["entries"][1]
    name = delivered["manifests"][str(seq)]
    forged = _forged_manifest(world, seq, "ab" * 32)
    problems = _problems(reseal(world.files | {name: forged}), tmp_path / "m")
    assert f"清单 {name} 与全局链第{seq}环的哈希不符（清单被改动）" in problems, problems
    # the forger rewrites that link's hash too: the next link no longer follows it
    links = [json.loads(line) for line in world.files["archive/links.jsonl"].decode().splitlines()]
    links[seq - 1]["hash"] = mf.sha256(forged)
    text = "".join(json.dumps(x, sort_keys=True, separators=(",", ":")) + "\n" for x in links).encode()
    problems = _problems(reseal(world.files | {name: forged, "archive/links.jsonl": text}), tmp_path / "l")
    assert f"全局链第{seq + 1}环：上一清单哈希与上一环不衔接（链记录被改动）" in problems, problems
    # a link left out of the chain
    del links[seq - 1]
    text = "".join(json.dumps(x, sort_keys=True, separators=(",", ":")) + "\n" for x in links).encode()
    problems = _problems(reseal(world.files | {"archive/links.jsonl": text}), tmp_path / "d")
    assert any(p.startswith(f"全局链缺少第{seq}环") for p in problems), problems


def test_a_frame_rewritten_in_the_bucket_fails_the_next_export(world: World, tmp_path: Path) -> None:
    key = world.keys[1]
    stored = world.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    body = gzip.decompress(stored).split(b"\n")
    at = next(i for i, line in enumerate(body) if world.scene.mn.encode() in line)
    record = json.loads(body[at])
    raw = bytearray(base64.b64decode(record["frame"]))
    raw[30] ^= 0x01
    record["frame"] = base64.b64encode(bytes(raw)).decode()
    body[at] = json.dumps(record, separators=(",", ":")).encode()
    world.s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(b"\n".join(body)))
    try:
        _, files = _package(world.scene, world.s3, world.links)
        problems = _problems(files, tmp_path / "x")
        assert f"终端 {world.scene.mn}：第2环的报文与清单中的哈希不符（报文被改动）" in problems, problems
    finally:
        world.s3.put_object(Bucket=BUCKET, Key=key, Body=stored)  # other tests of the module read the bucket
