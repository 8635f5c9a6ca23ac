"""`python -m simulator`: output files named where they cannot be written are one line and exit 2, before the
fleet is built or any file is written (issue 11.6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.__main__ import main

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("option", ["--stats", "--ack-log", "--manifest"])
def test_run_with_an_output_under_a_missing_directory_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    outputs = {"--stats": tmp_path / "s.json", "--ack-log": tmp_path / "a.jsonl", "--manifest": tmp_path / "m.json"}
    outputs[option] = tmp_path / "typo" / "out.json"
    argv = ["run", "--synthetic", "1", "--platform", "127.0.0.1:9", "--duration", "1", "--quiet"]
    for flag, path in outputs.items():
        argv += [flag, str(path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"simulator: {option} {outputs[option]}: directory {tmp_path / 'typo'} does not exist"]
    assert list(tmp_path.iterdir()) == []


def test_manifest_into_a_directory_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "--synthetic", "1", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"simulator: --out {tmp_path}: is a directory"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_a_limit_below_one_is_refused_not_read_as_the_whole_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    assert main(["manifest", "--limit", limit, "--out", str(tmp_path / "m.json")]) == 2
    assert capsys.readouterr().err.splitlines() == [f"simulator: --limit must be at least 1, got {limit}"]
    assert list(tmp_path.iterdir()) == []
