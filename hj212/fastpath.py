"""Fast path for well-formed data segments: one compiled "plan" per field layout (the decoder's hot path)."""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Mapping, Sequence
from typing import cast

from .messages import Frame, Version, new_cp, new_frame

__all__ = ["fast_frame", "split_fast"]

# A terminal sends the same layout every minute; only the values change. For a segment that is exactly
# `K=v;…;K=v;CP=&&K=v,K=v;K=v…&&` (no spaces, no `/` or `&` in values, no junk), one byte translation and
# one small regex check the structure at C speed; `str.replace`/`split` then yield keys and values; and the
# layout (the keys joined) selects a function, generated once per layout, that builds the header dict, the
# scalars and the per-code items with dict displays. The generated source holds only placeholders of ours;
# the peer's key strings are put into the compiled code's constants afterwards, never parsed as code.
#
# Anything else returns None and is parsed by the lenient path in segment.py, which gives identical results
# for the segments accepted here (property tests check this). Plans are compiled only for a layout seen
# twice, and at most `_MAX_PLANS` are kept (the table is emptied when full), so hostile input cannot make
# this path large, nor slower than about one compilation per two frames.

# Keep only the bytes that shape a segment; anything the lenient path would treat specially (whitespace it
# strips, `//` Info values, stray `&`) stays too, so that it breaks the pattern below.
_NOT_SHAPE = bytes(c for c in range(256) if c not in b";,=&/ \t\r\n")
# header `K=v;` (no commas: that is a quirk), `CP=&&`, data area `K=v` joined by `;`/`,` (one trailing allowed), `&&`.
_TO_SEMI = bytes.maketrans(b"=,", b";;")
_SEPARATORS = (0x3B, 0x2C)
_SHAPE = re.compile(rb"(?:=;)+=&&(?:(?:=[;,])*=[;,]?)?&&")
_MAX_PLANS = 1024
_MAX_SEEN = 4096
_Built = tuple[dict[str, str], dict[str, str], dict[str, dict[str, str]]]
_Plan = Callable[[Sequence[str]], _Built]
# A compiled layout: the builder, where QN, ST, CN, PW, MN and Flag sit among the values (-1: absent), the
# quirks the layout itself implies, and whether PNUM/PNO appear (those frames take the lenient path).
_Layout = tuple[_Plan, int, int, int, int, int, int, frozenset[str], bool]
_plans: dict[str, _Layout | None] = {}  # None: this layout always takes the lenient path
_seen: dict[str, int] = {}
# Shapes (the segment's separator bytes) already checked against _SHAPE: a layout repeats its shape.
_forms: dict[bytes, tuple[int, int] | None] = {}
_MAX_FORMS = 256
_VERSIONS = (Version.V2005, Version.V2017, Version.V2025)
_HEADER_POS = ("QN", "ST", "CN", "PW", "MN", "Flag")
# Flag values of unsplit frames of a known version (V = 0, 1, 2; D = 0), with or without A.
_PLAIN_FLAGS = {str(v): v for v in (0, 1, 4, 5, 8, 9)}


def _swap(const: object, real: Mapping[str, str]) -> object:
    if isinstance(const, str):
        return real.get(const, const)
    if isinstance(const, tuple):
        return tuple(real.get(c, c) if isinstance(c, str) else c for c in const)
    return const


def _compile(keys: Sequence[str], h: int) -> _Layout | None:
    """Generate the builder for a layout (`keys[h]` is CP); None for repeated or empty names (lenient path)."""
    head_keys, body_keys = keys[:h], keys[h + 1 :]
    if len(set(head_keys)) != len(head_keys) or len(set(body_keys)) != len(body_keys):
        return None
    if "" in head_keys or "" in body_keys:
        return None
    # The template names every key by a placeholder of ours ("\x00<n>"); after compiling, the placeholders in
    # the code's constants are swapped for the real names. Peer text is never parsed as code, and the dict
    # displays get constant keys (one BUILD_CONST_KEY_MAP each).
    real: dict[str, str] = {}

    def const(text: str) -> str:
        placeholder = f"\x00{len(real)}"
        real[placeholder] = text
        return repr(placeholder)

    head = ", ".join(f"{const(k)}: a{i}" for i, k in enumerate(head_keys))
    scalars: list[str] = []
    groups: dict[str, list[str]] = {}
    for j, key in enumerate(body_keys, h + 1):
        code, dash, field = key.partition("-")
        if dash:
            groups.setdefault(code, []).append(f"{const(field)}: a{j}")
        else:
            scalars.append(f"{const(key)}: a{j}")
    items = ", ".join(f"{const(code)}: {{{', '.join(fields)}}}" for code, fields in groups.items())
    unpack = ", ".join(f"a{i}" for i in range(len(keys)))
    source = f"def plan(v):\n    {unpack}, = v\n    return {{{head}}}, {{{', '.join(scalars)}}}, {{{items}}}\n"
    module = compile(source, "<hj212 plan>", "exec")
    template = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    code_obj = template.replace(co_consts=tuple(_swap(c, real) for c in template.co_consts))
    plan = cast(_Plan, types.FunctionType(code_obj, {}))
    where = [head_keys.index(k) if k in head_keys else -1 for k in _HEADER_POS]
    if where[2] < 0:
        return None  # no CN: the lenient path reports it
    quirks = {q for q, i in zip(("missing_qn", "missing_st"), where[:2], strict=True) if i < 0}
    if where[5] < 0:
        quirks.add("missing_flag")
    split = "PNUM" in head_keys or "PNO" in head_keys
    return (plan, *where, frozenset(quirks), split)  # type: ignore[return-value]


def _form(shape: bytes) -> tuple[int, int] | None:
    """Check a shape against the pattern once and remember it: (header fields before CP, end of the data area
    counted from the end: a trailing `;` or `,` before the closing `&&` is left out), or None."""
    form = None
    if _SHAPE.fullmatch(shape) is not None:
        form = (shape.index(b"=&&") >> 1, -3 if shape[-3] in _SEPARATORS else -2)
    if len(_forms) >= _MAX_FORMS:
        _forms.clear()  # bounded like the plans; a terminal's few shapes come back at once
    _forms[shape] = form
    return form


def _layout(raw: bytes) -> tuple[_Layout, list[str]] | None:
    """The compiled layout of a well-formed segment and its values; None for the lenient path."""
    shape = raw.translate(None, _NOT_SHAPE)
    form = _forms.get(shape)
    if form is None:
        if shape in _forms:
            return None
        form = _form(shape)
        if form is None:
            return None
    # One `=&&` (the pattern) and one `CP=`, which `;CP=&&` shows to be that one (three finds beat a count).
    i = raw.find(b";CP=&&")
    if i < 0 or raw.find(b"CP=") != i + 1 or raw.find(b"CP=", i + 4) >= 0 or not raw.endswith(b"&&"):
        return None
    h, body_end = form
    # Map '=' and ',' to ';' and drop the `&&` of `CP=&&` in one C pass (ASCII bytes never split a UTF-8
    # character), then give CP its empty value so that names and values alternate.
    try:
        flat = raw[:body_end].translate(_TO_SEMI, b"&").decode("utf-8").split(";")
    except UnicodeDecodeError:
        return None  # not UTF-8 (e.g. GBK text): the general path decodes it and records the quirk
    if len(flat) > 2 * h + 2:  # a data area follows: `CP;K;v…` lacks the value of CP
        flat.insert(2 * h + 1, "")
    keys = flat[0::2]
    name = ";".join(keys)  # names hold no ';', so this names the layout exactly, and hashes fast
    layout = _plans.get(name)
    if layout is None and name not in _plans:
        seen = _seen.get(name, 0)
        if seen == 0:
            if len(_seen) >= _MAX_SEEN:
                _seen.clear()
            _seen[name] = 1
            return None
        if len(_plans) >= _MAX_PLANS:
            _plans.clear()  # bounded; the layouts in use are compiled again on their next two sightings
        layout = _plans[name] = _compile(keys, h)
        _seen.pop(name, None)
    if layout is None:
        return None
    return layout, flat[1::2]


def split_fast(text: str, raw: bytes | None = None) -> _Built | None:
    """(header, scalars, items) of a well-formed segment, or None to use the lenient parser.

    `raw`, when given, must be `text` encoded as UTF-8 (the stream decoder has those bytes already).
    """
    found = _layout(text.encode("utf-8") if raw is None else raw)
    return None if found is None else found[0][0](found[1])


def fast_frame(raw: bytes, seg: bytes, crc: str) -> Frame | None:
    """The whole Frame for a well-formed, unsplit segment with a plain Flag; None for the general path.

    The layout fixes where every header field sits, so only the Flag's value is looked at per frame.
    """
    found = _layout(seg)
    if found is None:
        return None
    (plan, iqn, ist, icn, ipw, imn, iflag, quirks, split), values = found
    if split:
        return None
    flag = None
    version = Version.V2005
    if iflag >= 0:
        flag = _PLAIN_FLAGS.get(values[iflag])
        if flag is None:
            return None  # odd Flag text, unknown version or split bit: the lenient path records it
        version = _VERSIONS[flag >> 2]
    header, scalars, items = plan(values)
    return new_frame(
        raw,
        seg.decode("utf-8"),
        version,
        values[iqn] if iqn >= 0 else None,
        values[ist] if ist >= 0 else None,
        values[icn],
        values[ipw] if ipw >= 0 else None,
        values[imn] if imn >= 0 else None,
        flag,
        None,
        None,
        new_cp(scalars, items),
        header,
        crc,
        flag is not None and flag & 1 == 1,
        quirks,
    )
