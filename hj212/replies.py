"""The platform's answers to a frame, in the dialect of the frame they answer (HJ 212-2017 §6.5, 附录C).

2017/2025 (表C.14 and C.1–C.3): `QN=<same>;ST=91;CN=90xx;PW=<same>;MN=<same>;Flag=<version bits>;CP=&&…&&`.
2005 (HJ/T 212-2005 附录C): the answered QN goes *inside* CP, e.g. `ST=91;CN=9011;PW;MN;Flag=0;CP=&&QN=…;QnRtn=1&&`,
and the data reply is `ST=91;CN=9014;CP=&&QN=…;CN=2051&&` (plus PNO/PNUM for split packets).
"""

from __future__ import annotations

from .catalogue import CN_CODES, DOWN, NOTICES_FROM_FIELD, REPLY_CNS
from .errors import UsageError
from .frame import encode_frame
from .messages import Frame, Version

__all__ = ["data_ack", "execution_result", "notice_reply", "reply_for", "request_reply"]


def _fields(pairs: list[tuple[str, str | None]]) -> str:
    # QN, PW, MN (and a 2005 upload's CN) are echoed exactly as the terminal sent them, unchecked: they were
    # read out of a frame, so they are as encodable as they were there, and the terminal must recognise them.
    return ";".join(f"{name}={value}" for name, value in pairs if value is not None)


def _reply(frame: Frame, cn: str, cp: list[tuple[str, str | None]], *, with_station: bool = True) -> bytes:
    if frame.version is Version.V2005:
        inner = _fields([("QN", frame.qn), *cp])
        station = [("PW", frame.pw), ("MN", frame.mn), ("Flag", "0")] if with_station else []
        return encode_frame(f"{_fields([('ST', '91'), ('CN', cn), *station])};CP=&&{inner}&&")
    bits = (frame.flag or 0) & 0xFC  # echo the version bits; D and A are clear on a reply
    head = _fields(
        [("QN", frame.qn), ("ST", "91"), ("CN", cn), ("PW", frame.pw), ("MN", frame.mn), ("Flag", str(bits))]
    )
    return encode_frame(f"{head};CP=&&{_fields(cp)}&&")


def data_ack(frame: Frame) -> bytes:
    """9014 数据应答 to an upload (2017 表C.14; 2005: `CP=&&QN=…;CN=<upload CN>&&`)."""
    if frame.version is Version.V2005:
        cp: list[tuple[str, str | None]] = [("CN", frame.cn or "")]
        if frame.pnum is not None and frame.pno is not None:
            cp += [("PNO", str(frame.pno)), ("PNUM", str(frame.pnum))]
        return _reply(frame, "9014", cp, with_station=False)
    return _reply(frame, "9014", [])


def request_reply(frame: Frame, qn_rtn: int | str) -> bytes:
    """9011 请求应答 with QnRtn (表6: 1 准备执行, 2 拒绝, 3 PW 错误, … 9 CRC 错误, 100 未知)."""
    return _reply(frame, "9011", [("QnRtn", _code(qn_rtn))])


def execution_result(frame: Frame, exe_rtn: int | str) -> bytes:
    """9012 执行结果 with ExeRtn (表7: 1 成功, 2 失败, 3 条件错误, 4 超时, 5 繁忙, 6 故障, 100 没有数据)."""
    return _reply(frame, "9012", [("ExeRtn", _code(exe_rtn))])


def notice_reply(frame: Frame) -> bytes:
    """9013 通知应答 (2017 §6.1: notifications such as 1013 are answered with 9013)."""
    return _reply(frame, "9013", [])


def _code(value: int | str) -> str:
    text = str(value)
    if not (text.isdigit() and text.isascii()):
        raise UsageError(f"a return code is a number, got {value!r}")
    return text


def reply_for(frame: Frame) -> bytes | None:
    """The platform's automatic answer: 9013 to a notification from the field, 9014 to an upload with A=1.

    Replies (9011–9014) are never answered, nor are commands that only ever go down to terminals (a frame
    with such a CN coming up is not ours to acknowledge). A 2005 frame without Flag asks for nothing.
    """
    cn = frame.cn
    code = CN_CODES.get(cn or "")
    if cn in REPLY_CNS or (code is not None and code.direction == DOWN):
        return None
    if cn in NOTICES_FROM_FIELD:
        return notice_reply(frame)
    if frame.ack_requested:
        return data_ack(frame)
    return None
