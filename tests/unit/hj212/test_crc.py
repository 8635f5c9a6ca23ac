"""CRC (HJ 212-2017 附录A; research §4): fast path equals the standard's algorithm; MODBUS; the 256-value property."""

from __future__ import annotations

import pytest

from hj212 import crc16, crc16_modbus, crc16_reference, format_crc, looks_like_hj212_crc
from hj212.crc import _HP, _T

from .helpers import golden, golden_names

pytestmark = pytest.mark.unit

SEG_A = golden("2017_1062_appendix_a")[6:-6]


def test_crc_appendix_a_example_is_1c80_and_modbus_differs() -> None:
    assert crc16(SEG_A) == crc16_reference(SEG_A) == 0x1C80
    assert crc16_modbus(SEG_A) == 0x0759  # research §4.1: MODBUS gives 0x0759 for this segment


@pytest.mark.parametrize("name", [n for n in golden_names() if "crc_mismatch" not in n])
def test_crc_of_golden_frames_matches_printed_value(name: str) -> None:
    data = golden(name).rstrip(b"\r\n")
    seg, printed = data[6:-4], data[-4:].decode()
    assert format_crc(crc16(seg)) == printed.upper() == format_crc(crc16_reference(seg))


def test_crc_negative_vector_has_the_documented_correct_value() -> None:
    data = golden("2005_2011_crc_mismatch").rstrip(b"\r\n")
    assert format_crc(crc16(data[6:-4])) == "3C00"


@pytest.mark.parametrize("size", [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1024, 9999])
def test_crc_fast_path_equals_reference_at_word_boundaries(size: int) -> None:
    data = bytes((i * 37 + 11) & 0xFF for i in range(size))
    assert crc16(data) == crc16_reference(data)
    assert crc16(bytearray(data)) == crc16(memoryview(data)) == crc16(data)


def test_crc_high_byte_map_is_linear_with_period_8() -> None:
    h = _HP[1]
    assert all(h[a ^ b] == h[a] ^ h[b] for a in range(256) for b in (1, 2, 4, 8, 16, 32, 64, 128))
    assert _HP[8] == _HP[0] == tuple(range(256))
    assert all(_T[x] == ((h[x] << 8) | (_T[x] & 0xFF)) for x in range(256))


def test_crc_takes_only_256_values_with_eight_low_bytes() -> None:
    values = {crc16(bytes([a, b])) for a in range(256) for b in range(256)}
    assert len(values) == 256
    assert {v & 0xFF for v in values} == {0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xC0, 0xC1}


def test_looks_like_hj212_crc_flags_other_algorithms() -> None:
    assert looks_like_hj212_crc("1C80") and looks_like_hj212_crc("1dc0")
    assert not looks_like_hj212_crc("0759") and not looks_like_hj212_crc("12") and not looks_like_hj212_crc("zzzz")
