"""CRC of HJ 212 (2017 附录A; 2005 附录A says the same) and CRC-16/MODBUS, with an exact fast path.

HJ 212 runs `reg = (reg >> 8) ^ byte` and then eight shift/XOR-0xA001 steps, from reg = 0xFFFF, and prints
the register as `%04X`. It is *not* CRC-16/MODBUS (which XORs the byte into the low byte without the
pre-shift); some terminals send MODBUS anyway, hence `crc16_modbus` and `looks_like_hj212_crc`.
"""

from __future__ import annotations

__all__ = [
    "CRC_VALUES",
    "crc16",
    "crc16_modbus",
    "crc16_reference",
    "format_crc",
    "looks_like_hj212_crc",
]

# Theory of the fast path (research §4.3). Let T be the CRC-16/ARC table (poly 0xA001, reflected). Before
# the eight shifts the register holds `(reg >> 8) ^ b` <= 0xFF, so after each byte `reg = T[(reg >> 8) ^ b]`.
# With H(x) = T[x] >> 8 the high byte h follows h_i = H(h_{i-1} ^ b_i). H is linear over GF(2)
# (H(a ^ b) = H(a) ^ H(b), because T is) and H^8 is the identity. Unrolling over the n-1 bytes before the
# last one gives
#
#     h = H^(n-1)(0xFF)  XOR  XOR_i H^(d_i + 1)(b_i),    d_i = distance of byte i from the end of that prefix
#
# and, since only d_i mod 8 matters, all bytes with the same d_i mod 8 can be XORed together first. Reading
# the prefix as one big-endian integer and folding it onto itself down to 64 bits does exactly that at C
# speed (byte j of the folded word is the XOR of every byte with d_i = j mod 8). Eight table lookups then
# give h, and the CRC is T[h ^ last byte]. In fact the whole segment is read, not the prefix: every byte's
# distance grows by one, so byte j of the folded word needs H^j, and the last byte lands at j = 0 with
# H^0 = identity, which is exactly the `^ last byte` (no slice, no extra index). `crc16_reference` is the
# standard's algorithm, kept as the oracle.


def _arc_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        reg = i
        for _ in range(8):
            reg = (reg >> 1) ^ 0xA001 if reg & 1 else reg >> 1
        table.append(reg)
    return tuple(table)


_T: tuple[int, ...] = _arc_table()
_H1: tuple[int, ...] = tuple(v >> 8 for v in _T)


def _power_tables() -> tuple[tuple[int, ...], ...]:
    # _HP[k][x] = H^k(x) for k = 0..8; H^0 and H^8 are the identity (checked below at import).
    tables = [tuple(range(256))]
    for _ in range(8):
        prev = tables[-1]
        tables.append(tuple(_H1[v] for v in prev))
    if tables[8] != tables[0]:  # pragma: no cover - a mathematical fact, verified once per process
        raise AssertionError("H^8 is not the identity: CRC table is wrong")
    return tuple(tables)


_HP = _power_tables()
# Byte j (0 = least significant) of the folded word of the whole segment carries the bytes whose distance
# from the end is j mod 8, which need H^j; j = 0 is the identity.
_H_BY_BYTE_REV = tuple(reversed(_HP[1:8]))  # H^7..H^1, aligned with bytes 0..6 of word.to_bytes(8, "big")
_H_START = tuple(_HP[k][0xFF] for k in range(8))  # H^k(0xFF), k = (n - 1) mod 8
# Folding a number of at most 2^k 64-bit words: XOR-shift by 2^(k-1), ..., 2, 1 words. The upper words
# collect junk, but the lowest word ends up as the XOR of all of them, and only it is read.
_FOLD_SHIFTS: tuple[tuple[int, ...], ...] = tuple(tuple(64 << j for j in reversed(range(k))) for k in range(32))
_LOW64 = (1 << 64) - 1


def crc16(data: bytes | bytearray | memoryview) -> int:
    """HJ 212 CRC of a data segment (its UTF-8 bytes); exact, computed without a per-byte Python loop."""
    n = len(data)
    if n == 0:
        return 0xFFFF
    word = int.from_bytes(data, "big")
    for shift in _FOLD_SHIFTS[((n - 1) >> 3).bit_length()]:  # ceil(log2(words)) halvings
        word ^= word >> shift
    b = (word & _LOW64).to_bytes(8, "big")
    h7, h6, h5, h4, h3, h2, h1 = _H_BY_BYTE_REV
    return _T[_H_START[(n - 1) & 7] ^ h7[b[0]] ^ h6[b[1]] ^ h5[b[2]] ^ h4[b[3]] ^ h3[b[4]] ^ h2[b[5]] ^ h1[b[6]] ^ b[7]]


def crc16_reference(data: bytes | bytearray | memoryview) -> int:
    """The algorithm exactly as printed in HJ 212-2017 附录A (slow; the oracle for `crc16`)."""
    reg = 0xFFFF
    for byte in bytes(data):
        reg = (reg >> 8) ^ byte
        for _ in range(8):
            lsb = reg & 1
            reg >>= 1
            if lsb:
                reg ^= 0xA001
    return reg


def crc16_modbus(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/MODBUS of `data`, printed by such terminals as `%04X` of the register (no byte swap)."""
    reg = 0xFFFF
    table = _T
    for byte in bytes(data):
        reg = (reg >> 8) ^ table[(reg ^ byte) & 0xFF]
    return reg


def format_crc(value: int) -> str:
    """The four upper-case hex digits HJ 212 prints (high byte first)."""
    return f"{value:04X}"


def looks_like_hj212_crc(text: str) -> bool:
    """True when a printed CRC could come from the HJ 212 algorithm: its low byte is one of only 8 values.

    Every HJ 212 CRC is T[x] for some byte x, and the low byte of T[x] is always in {00,01,40,41,80,81,C0,C1}
    (research §4.3); a CRC outside that set was computed with another algorithm (usually MODBUS).
    """
    if len(text) != 4:
        return False
    try:
        value = int(text, 16)
    except ValueError:
        return False
    return (value & 0xFF) in _HJ212_LOW_BYTES


_HJ212_LOW_BYTES = frozenset(v & 0xFF for v in _T)
CRC_VALUES: frozenset[int] = frozenset(_T) | {0xFFFF}  # every value crc16 can return (0xFFFF: empty input)
