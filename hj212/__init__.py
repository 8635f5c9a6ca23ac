"""HJ 212 (HJ/T 212-2005, HJ 212-2017, HJ 212-2025) protocol library: sans-IO framing, CRC, parse, build.

More: docs/hj212.md, "Module notes".
"""

from . import catalogue, commands, contract, session
from .catalogue import CN, CN_CODES, DATA_FLAGS, DATA_FLAGS_2005, EXE_RTN, QN_RTN, ST_CODES, Code
from .crc import crc16, crc16_modbus, crc16_reference, format_crc, looks_like_hj212_crc
from .errors import REASONS, BadFrameError, HJ212Error, UsageError
from .fastpath import LayoutCache
from .frame import build_frame, build_segment, decode_frame, encode_frame
from .messages import CP, CPGroup, DecodeError, Frame, Version
from .qn import QnGenerator, format_qn, format_time, parse_time
from .replies import data_ack, execution_result, notice_reply, reply_for, request_reply
from .segment import encode_cp, parse_segment
from .split import Reassembled, Reassembler, split_frames
from .stream import StreamDecoder

__all__ = [
    "CN",
    "CN_CODES",
    "CP",
    "CPGroup",
    "DATA_FLAGS",
    "DATA_FLAGS_2005",
    "EXE_RTN",
    "QN_RTN",
    "REASONS",
    "ST_CODES",
    "BadFrameError",
    "Code",
    "DecodeError",
    "Frame",
    "HJ212Error",
    "LayoutCache",
    "QnGenerator",
    "Reassembled",
    "Reassembler",
    "StreamDecoder",
    "UsageError",
    "Version",
    "build_frame",
    "build_segment",
    "catalogue",
    "commands",
    "contract",
    "crc16",
    "crc16_modbus",
    "crc16_reference",
    "data_ack",
    "decode_frame",
    "encode_cp",
    "encode_frame",
    "execution_result",
    "format_crc",
    "format_qn",
    "format_time",
    "looks_like_hj212_crc",
    "notice_reply",
    "parse_segment",
    "parse_time",
    "reply_for",
    "request_reply",
    "session",
    "split_frames",
]
