"""Fast path for well-formed data segments: a plan per field layout, kept by each decoder (the hot path)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from .builders import Built, builder
from .messages import Frame, Version, checked_frame

__all__ = ["LayoutCache"]

# A terminal sends the same layout every minute; only the values change. For a segment that is exactly
# `K=v;…;K=v;CP=&&K=v,K=v;K=v…&&` (no spaces, no `/` or `&` in values, no junk), one byte translation and
# one small regex check the structure at C speed; `translate`/`split` then yield names and values; and the
# layout (the names joined) selects a plan, made on its second sighting: the names in the order the builder
# (builders.py) takes them, and that builder, which puts each value under its name.
#
# Anything else returns None and is parsed by the lenient path in segment.py, which gives identical results
# for the segments accepted here (property tests check this). All of it is the decoder's own (a LayoutCache),
# bounded: at most `_MAX_PLANS` plans, `_MAX_SEEN` layouts seen once and `_MAX_SHAPES` shape verdicts, each
# table emptied when full; so hostile input cannot make it large, nor cost more than one plan per two frames.

# Keep only the bytes that shape a segment; anything the lenient path would treat specially (whitespace it
# strips, `//` Info values, stray `&`) stays too, so that it breaks the pattern below.
_NOT_SHAPE = bytes(c for c in range(256) if c not in b";,=&/ \t\r\n")
# header `K=v;` (no commas: that is a quirk), `CP=&&`, data area `K=v` joined by `;`/`,` (one trailing allowed), `&&`.
_SHAPE = re.compile(rb"(?:=;)+=&&(?:(?:=[;,])*=[;,]?)?&&")
_TO_SEMI = bytes.maketrans(b"=,", b";;")
_SEPARATORS = (0x3B, 0x2C)
_MAX_PLANS = 1024
_MAX_SHAPES = 256
_MAX_SEEN = 4096
_VERSIONS = (Version.V2005, Version.V2017, Version.V2025)
# Flag values of unsplit frames of a known version (V = 0, 1, 2; D = 0), with or without A; and of split ones (D = 1).
_PLAIN_FLAGS = {str(v): v for v in (0, 1, 4, 5, 8, 9)}
_SPLIT_FLAGS = {str(v | 2): v | 2 for v in _PLAIN_FLAGS.values()}


class _Plan(NamedTuple):
    """One layout: its names (header, scalars, item codes, fields), how to build its dicts, what it implies."""

    names: tuple[str, ...]
    build: Callable[[Sequence[str], Sequence[str]], Built]  # (names, values) -> (header, scalars, items)
    quirks: frozenset[str]  # what the layout itself implies (no QN, ST or Flag)
    split: bool  # PNUM or PNO present: a packet of a split upload


def _plan(names: list[str], h: int) -> _Plan | None:
    """The plan of a layout (`names[h]` is CP); None for repeated or empty names and for no CN (lenient path)."""
    head, body = names[:h], names[h + 1 :]
    if len(set(head)) != h or len(set(body)) != len(body) or "" in head or "" in body or "CN" not in head:
        return None
    # The one `=&&` must be CP's, and no other name may end in "CP" (a `CP=` the lenient path could take for
    # it). Values hold no `=`, so the names alone decide where `CP=` occurs.
    if names[h] != "CP" or sum(name.endswith("CP") for name in names) != 1:
        return None
    # Values sit as names do (CP's is empty); a value of the data area is at its name's index + h + 1.
    scalars = [i for i, name in enumerate(body) if "-" not in name]
    by_code: dict[str, list[int]] = {}
    for i, name in enumerate(body):
        if "-" in name:
            by_code.setdefault(name.partition("-")[0], []).append(i)
    fields = [body[i].partition("-")[2] for positions in by_code.values() for i in positions]
    structure = (
        tuple(range(h)),
        tuple(h + 1 + i for i in scalars),
        tuple(tuple(h + 1 + i for i in positions) for positions in by_code.values()),
    )
    missing = (("missing_qn", "QN"), ("missing_st", "ST"), ("missing_flag", "Flag"))
    return _Plan(
        (*head, *(body[i] for i in scalars), *by_code, *fields),
        builder(structure),
        frozenset(quirk for quirk, name in missing if name not in head),
        "PNUM" in head or "PNO" in head,
    )


class LayoutCache:
    """What one decoder learns of the layouts it sees: a verdict per segment shape, a plan per layout.

    A `StreamDecoder` makes its own; pass one to several decoders (or to `decode_frame`) to share it. Bounded.
    """

    __slots__ = ("_plans", "_seen", "_shapes")

    def __init__(self) -> None:
        self._shapes: dict[bytes, tuple[int, int] | None] = {}
        self._plans: dict[str, _Plan | None] = {}  # None: this layout always takes the lenient path
        self._seen: dict[str, bool] = {}  # layouts seen once

    def split(self, text: str, raw: bytes | None = None) -> Built | None:
        """(header, scalars, items) of a well-formed segment, or None to use the lenient parser.

        `raw`, when given, must be `text` encoded as UTF-8 (the stream decoder has those bytes already).
        """
        found = self._layout(text.encode("utf-8") if raw is None else raw)
        return None if found is None else found[0].build(found[0].names, found[1])

    def frame(self, raw: bytes, seg: bytes, crc: str) -> Frame | None:
        """The whole Frame for a well-formed segment with a plain Flag (a packet of a split upload: with the D bit,
        and PNUM and PNO in plain digits); None for the general path."""
        found = self._layout(seg)
        if found is None:
            return None
        plan, values = found
        header, scalars, items = plan.build(plan.names, values)
        if not header["CN"]:
            return None  # empty: the general path reports the frame malformed
        flag_text = header.get("Flag")
        flag = pnum = pno = None
        version = Version.V2005
        if plan.split:
            flag = _SPLIT_FLAGS.get(flag_text or "")
            pnum_text, pno_text = header.get("PNUM", ""), header.get("PNO", "")
            if flag is None or not (pnum_text.isdigit() and pno_text.isdigit() and (pnum_text + pno_text).isascii()):
                return None  # no D bit, PNUM or PNO missing or not plain digits: the lenient path records it
            pnum, pno = int(pnum_text), int(pno_text)
            version = _VERSIONS[flag >> 2]
        elif flag_text is not None:
            flag = _PLAIN_FLAGS.get(flag_text)
            if flag is None:
                return None  # odd Flag text, unknown version or split bit: the lenient path records it
            version = _VERSIONS[flag >> 2]
        text = seg.decode("utf-8")
        return checked_frame(raw, text, version, header, flag, pnum, pno, scalars, items, crc, plan.quirks)

    def _layout(self, raw: bytes) -> tuple[_Plan, list[str]] | None:
        """The plan of a well-formed segment and its values; None for the lenient path."""
        shape = raw.translate(None, _NOT_SHAPE)
        form = self._shapes.get(shape)
        if form is None:
            if shape in self._shapes:
                return None
            form = self._check(shape)
            if form is None:
                return None
        # The shape keeps separators only: junk after the closing `&&`, or between `CP=` and `&&`, is seen here.
        # (Only CP's name may end in "CP", which its plan checks, so `CP=&&` can be nowhere else.)
        if not raw.endswith(b"&&") or b"CP=&&" not in raw:
            return None
        h, body_end = form
        if body_end == -3 and raw[-3] not in _SEPARATORS:  # `…,junk&&`: the shape shows `…,&&`
            return None
        # Map '=' and ',' to ';' and drop the `&&` of `CP=&&` in one C pass (ASCII bytes never split a UTF-8
        # character), then give CP its empty value so that names and values alternate.
        try:
            flat = raw[:body_end].translate(_TO_SEMI, b"&").decode("utf-8").split(";")
        except UnicodeDecodeError:
            return None  # not UTF-8 (e.g. GBK text): the general path decodes it and records the quirk
        if len(flat) > 2 * h + 2:  # a data area follows: `CP;K;v…` lacks the value of CP
            flat.insert(2 * h + 1, "")
        elif flat[-1]:  # `CP=&&text&&`: text without `=` (junk the shape cannot show; the lenient path records it)
            return None
        names = flat[0::2]
        layout = ";".join(names)  # names hold no ';', so this names the layout exactly, and hashes fast
        plan = self._plans.get(layout)
        if plan is None:
            if layout in self._plans or self._first_sight(layout):
                return None
            if len(self._plans) >= _MAX_PLANS:
                self._plans.clear()  # bounded; the layouts in use are planned again on their next sightings
            plan = self._plans[layout] = _plan(names, h)
            if plan is None:
                return None
        return plan, flat[1::2]

    def _first_sight(self, layout: str) -> bool:
        """Count a layout not planned yet: only its second sighting is planned (which may compile a builder)."""
        if self._seen.pop(layout, False):
            return False
        if len(self._seen) >= _MAX_SEEN:
            self._seen.clear()
        self._seen[layout] = True
        return True

    def _check(self, shape: bytes) -> tuple[int, int] | None:
        """Check a shape against the pattern once and remember it: (header fields before CP, end of the data area
        counted from the end: a trailing `;` or `,` before the closing `&&` is left out), or None."""
        form = None
        if _SHAPE.fullmatch(shape) is not None:
            form = (shape.index(b"=&&") >> 1, -3 if shape[-3] in _SEPARATORS else -2)
        if len(self._shapes) >= _MAX_SHAPES:
            self._shapes.clear()  # bounded like the plans; a terminal's few shapes come back at once
        self._shapes[shape] = form
        return form
