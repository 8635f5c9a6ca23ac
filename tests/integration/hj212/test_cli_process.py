"""`python -m hj212` as a real process: the entry point wiring, stdin to stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

FRAME = (Path(__file__).resolve().parents[2] / "fixtures" / "frames" / "2017_2051_qn_after_cn_lf_only.txt").read_bytes()


def test_cli_process_decode_reads_stdin_and_writes_json_lines() -> None:
    # Given a real minute-data capture on stdin, When `python -m hj212 decode --reply` runs on an upload with A=1
    done = subprocess.run(
        [sys.executable, "-m", "hj212", "decode", "--reply"], input=FRAME, capture_output=True, timeout=60, check=False
    )
    # Then it prints one JSON object with the frame and the 9014 the platform would send
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.decode().splitlines()
    obj = json.loads(line)
    assert obj["cn"] == "2051" and "CN=9014" in obj["reply"]
