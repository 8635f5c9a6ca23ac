"""`python -m hj212 decode|build|crc` (issue 2, CLI), driven through main() with in-memory streams."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hj212 import decode_frame
from hj212.cli import main

from .helpers import golden

pytestmark = pytest.mark.unit

KEYS = {"ok", "error", "version", "qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "ack_requested", "cp", "crc"}


def _run(argv: list[str], stdin: bytes = b"") -> tuple[int, bytes]:
    out = io.BytesIO()
    code = main(argv, stdin=io.BytesIO(stdin), stdout=out)
    return code, out.getvalue()


def _lines(data: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def test_cli_decode_writes_one_json_line_per_frame_and_error_in_order() -> None:
    stream = (
        golden("2017_1062_appendix_a") + b"junk" + golden("2005_2011_crc_mismatch") + golden("2005_2011_no_qn_no_flag")
    )
    code, out = _run(["decode"], stream)
    lines = _lines(out)
    assert code == 1
    assert [(x["ok"], x["error"]) for x in lines] == [
        (True, None),
        (False, "garbage"),
        (False, "crc_mismatch"),
        (True, None),
    ]
    assert all(KEYS <= set(x) for x in lines)
    first = lines[0]
    assert first["version"] == "2017" and first["flag"] == 5 and first["ack_requested"] is True
    assert first["cp"] == {"RtdInterval": "30"} and first["crc"] == "1C80" and first["pnum"] is None
    assert lines[3]["version"] == "2005" and lines[3]["flag"] is None and lines[3]["qn"] is None


def test_cli_decode_cp_has_objects_per_code_and_decoded_info() -> None:
    code, out = _run(["decode"], golden("2017_3020_chinese_log_info"))
    (line,) = _lines(out)
    assert code == 0
    assert line["cp"] == {
        "DataTime": "20160801085857",
        "PolId": "w01018",
        "i11001": {"Info": "清洗管路;更换试剂,校准完成"},
    }


def test_cli_decode_reply_adds_the_platform_answer() -> None:
    code, out = _run(["decode", "--reply"], golden("2017_2051_qn_after_cn_lf_only") + golden("2017_9014_data_reply"))
    first, second = _lines(out)
    assert decode_frame(str(first["reply"]).encode()).cn == "9014"
    assert second["reply"] is None
    code, out = _run(["decode", "--reply"], b"xx")
    assert _lines(out)[0]["reply"] is None


def test_cli_decode_reads_a_file_and_accepts_modbus_when_asked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hj212 import crc16_modbus

    seg = golden("2017_1062_appendix_a")[6:-6]
    path = tmp_path / "capture.bin"
    path.write_bytes(b"##0101" + seg + b"%04X\r\n" % crc16_modbus(seg))
    code, out = _run(["decode", "--file", str(path)])
    assert _lines(out)[0]["crc_variant"] == "modbus" and code == 1
    code, out = _run(["decode", "--file", str(path), "--accept-modbus-crc"])
    assert _lines(out)[0]["ok"] is True and code == 0


def test_cli_build_makes_the_appendix_a_frame() -> None:
    argv = ["build", "--qn", "20160801085857223", "--st", "32", "--cn", "1062", "--pw", "100000"]
    argv += ["--mn", "010000A8900016F000169DC0", "--ack", "--cp", "RtdInterval=30"]
    code, out = _run(argv)
    assert code == 0 and out == golden("2017_1062_appendix_a")


def test_cli_build_options_flag_split_header_and_segment() -> None:
    code, out = _run(
        [
            "build",
            "--cn",
            "2011",
            "--mn",
            "M",
            "--version",
            "2025",
            "--pnum",
            "2",
            "--pno",
            "1",
            "--header",
            "RF=1",
            "--cp",
            "DataTime=1",
        ]
    )
    frame = decode_frame(out)
    assert frame.flag == 10 and frame.header["RF"] == "1" and frame.pno == 1
    code, out = _run(["build", "--segment", "ST=91;CN=9014;CP=&&&&"])
    assert decode_frame(out).segment == "ST=91;CN=9014;CP=&&&&"


def test_cli_build_refuses_bad_input_with_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["build", "--mn", "M"]) == (2, b"")
    assert capsys.readouterr().err == "hj212 build: --cn is required (or give --segment)\n"
    assert _run(["build", "--cn", "2011", "--header", "RF"]) == (2, b"")
    assert capsys.readouterr().err == "hj212 build: --header takes NAME=VALUE, got 'RF'\n"
    code, _ = _run(["build", "--cn", "2011", "--mn", "a;b"])
    assert code == 2


def test_cli_decode_of_a_file_it_cannot_read_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["decode", "--file", str(tmp_path / "none.bin")]) == (2, b"")
    assert capsys.readouterr().err == f"hj212 decode: cannot read {tmp_path / 'none.bin'}: No such file or directory\n"
    assert _run(["decode", "--file", str(tmp_path)]) == (2, b"")
    assert capsys.readouterr().err == f"hj212 decode: cannot read {tmp_path}: Is a directory\n"


def test_cli_crc_of_argument_and_stdin() -> None:
    seg = golden("2017_1062_appendix_a")[6:-6]
    assert _run(["crc", seg.decode()]) == (0, b"1C80\n")
    assert _run(["crc"], seg + b"\n") == (0, b"1C80\n")
    assert _run(["crc"], seg + b"\r\n") == (0, b"1C80\n")
    assert _run(["crc"], seg) == (0, b"1C80\n")
    assert _run(["crc", "--modbus", seg.decode()]) == (0, b"0759\n")


def test_cli_module_entry_point_runs_main(
    monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    import runpy

    monkeypatch.setattr("sys.argv", ["hj212", "crc", golden("2017_1062_appendix_a")[6:-6].decode()])
    with pytest.raises(SystemExit) as exc:
        runpy.run_module("hj212", run_name="__main__")
    assert exc.value.code == 0 and capsysbinary.readouterr().out == b"1C80\n"
