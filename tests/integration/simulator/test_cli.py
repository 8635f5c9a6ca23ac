"""`python -m simulator` end to end: a small fleet against the scripted platform, counters vs acks."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.simulator.scripted_platform import ScriptedPlatform

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
ROOT = Path(__file__).resolve().parents[3]


def test_help_documents_the_options() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "run", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for option in (
        "--csv",
        "--accel",
        "--platform",
        "--scenario",
        "--mix",
        "--seed",
        "--ack-log",
        "--stats",
        "--manifest",
        "--version",
        "--st",
        "--buffer",
        "--connect-rate",
    ):
        assert option in out


def test_bad_arguments_fail_with_a_message(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "simulator", "run", "--synthetic", "1", "--scenario", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2 and "no scenario 'nope'" in res.stderr
    res = subprocess.run(
        [sys.executable, "-m", "simulator", "run", "--csv", str(tmp_path / "x.csv")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2 and "cannot read" in res.stderr


def test_fleet_run_counts_exactly_the_acknowledged_packets(tmp_path: Path) -> None:
    async def body() -> ScriptedPlatform:
        plat = ScriptedPlatform()
        port = await plat.start()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "simulator",
            "run",
            "--synthetic",
            "3",
            "--seed",
            "2",
            "--accel",
            "120",
            "--duration",
            "4",
            "--platform",
            f"127.0.0.1:{port}",
            "--version",
            "2025",
            "--stats",
            str(tmp_path / "stats.json"),
            "--ack-log",
            str(tmp_path / "acks.jsonl"),
            "--manifest",
            str(tmp_path / "fleet.json"),
            "--quiet",
            "--start",
            "2026-11-30T08:00:00",
            cwd=ROOT,
        )
        assert await asyncio.wait_for(proc.wait(), 60) == 0
        await plat.stop()
        return plat

    plat = asyncio.run(body())
    stats = json.loads((tmp_path / "stats.json").read_text())
    acks = [json.loads(line) for line in (tmp_path / "acks.jsonl").read_text().splitlines()]
    fleet = json.loads((tmp_path / "fleet.json").read_text())
    # Then the counters match the ack log, and every logged ack is a frame the platform received and acked
    assert stats["acked"] == len(acks) > 50
    assert plat.acks_sent - stats["terminals"] <= stats["acked"] <= plat.acks_sent
    received = {(f.mn, f.cn, f.cp.scalars.get("DataTime"), f.pno) for f in plat.frames}
    assert {(a["mn"], a["cn"], a["data_time"], a["pno"]) for a in acks} <= received
    # And the frames are 2025 dialect with ST 44 from the manifest's terminals
    mns = {t["mn"] for e in fleet["enterprises"] for t in e["terminals"]}
    assert {f.mn for f in plat.frames} <= mns and {f.st for f in plat.frames} == {"44"}
    assert all(f.flag is not None and f.flag >> 2 == 2 for f in plat.frames)
    assert fleet["settings"]["st"] == "44" and len(fleet["enterprises"]) == 3
