"""The data segment: header fields `KEY=value;` and the data area `CP=&&...&&` (HJ 212-2017 §6.3.2–§6.3.3)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .errors import BadFrameError, UsageError
from .fastpath import LayoutCache
from .messages import CP, CPGroup, Version

__all__ = ["ParsedSegment", "encode_cp", "parse_cp", "parse_segment"]

# Parsing is lenient and records what it tolerated (quirks): header fields in any order, `,` instead of `;`
# (表C.22 typo), missing QN/Flag (2005 uploads), `Flag=5CP=&&` (表C.19 typo), spaces, trailing separators,
# unknown fields and codes (kept as given). Info values `//…//` (表C.40) are taken out before splitting, since
# they may contain `;` and `,`. It raises `BadFrameError("malformed")` only when there is no CN.

_VERSIONS = (Version.V2005, Version.V2017, Version.V2025)
_WS = (" ", "\t", "\r", "\n")
_WS_CHARS = " \t\r\n"  # what "spaces tolerated" strips (exactly these; the fast path relies on it)
# An item `key=//info//`, the Info ending at `//` followed by a separator or the end (表C.40); or `key=value`.
_ITEM_RE = re.compile(r"([^;,=]*)=(?://(.*?)//(?=\s*(?:[;,]|$))|([^;,]*))", re.S)
_EMPTY: frozenset[str] = frozenset()
# Characters that would break the framing if put into a header value or a CP value (§6.3.3).
_FORBIDDEN_VALUE = re.compile(r"[;,=&\r\n]")
_INFO_CLOSE = re.compile(r"//\s*[;,]")
_FORBIDDEN_KEY = re.compile(r"[;,=&\-\r\n]|^$")

# A parsed data segment: (header, qn, st, cn, pw, mn, flag, pnum, pno, version, cp, quirks).
ParsedSegment = tuple[
    dict[str, str],
    str | None,
    str | None,
    str,
    str | None,
    str | None,
    int | None,
    int | None,
    int | None,
    Version,
    CP,
    frozenset[str],
]


def parse_cp(body: str, quirks: set[str]) -> CP:
    """Parse the text between `CP=&&` and `&&` into scalars, per-code items and repeated groups."""
    if not body:
        return CP({}, {})
    return _build_cp(_cp_pairs_info(body, quirks) if "//" in body else _cp_pairs(body, quirks))


def _cp_pairs(body: str, quirks: set[str]) -> list[tuple[str, str]]:
    """The data area's `key=value` pairs in order (`,` and `;` both separate them)."""
    pairs: list[tuple[str, str]] = []
    strip = any(w in body for w in _WS)
    for part in body.replace(",", ";").split(";"):
        key, eq, value = part.partition("=")
        if strip:
            key = key.strip(_WS_CHARS)
            value = value.strip(_WS_CHARS)
        if not eq or not key:
            if part.strip(_WS_CHARS):
                quirks.add("cp_junk")
            continue
        pairs.append((key, value))
    return pairs


def _cp_pairs_info(body: str, quirks: set[str]) -> list[tuple[str, str]]:
    """The same for data areas holding Info values `//…//`, which may contain separators."""
    pairs: list[tuple[str, str]] = []
    pos = 0
    for match in _ITEM_RE.finditer(body):
        if body[pos : match.start()].strip(" \t\r\n;,"):
            quirks.add("cp_junk")
        pos = match.end()
        key = match.group(1).strip(_WS_CHARS)
        info = match.group(2)
        value = info if info is not None else match.group(3).strip(_WS_CHARS)
        if info is None and value.startswith("//"):
            # `//` opened but never closed before a separator: keep the rest of the data area as the value.
            quirks.add("info_unterminated")
            value = body[match.start(3) :].strip(_WS_CHARS)[2:]
            pos = len(body)
        if not key:
            quirks.add("cp_junk")
        else:
            pairs.append((key, value))
        if pos == len(body):
            break
    if body[pos:].strip(" \t\r\n;,"):
        quirks.add("cp_junk")
    return pairs


def _build_cp(pairs: list[tuple[str, str]]) -> CP:
    """Scalars and items from the pairs; when a scalar name repeats, each of its occurrences starts a group."""
    head = _group_head(pairs)
    scalars: dict[str, str] = {}
    items: dict[str, dict[str, str]] = {}
    top = CP(scalars, items)  # what precedes the first group (filled in place)
    groups: list[CPGroup] = []
    for key, value in pairs:
        if key == head:
            scalars, items = {}, {}
            groups.append(CPGroup(scalars, items))
        code, dash, name = key.partition("-")
        if dash:
            fields = items.get(code)
            if fields is None:
                items[code] = {name: value}
            else:
                fields[name] = value
        else:
            scalars[key] = value
    return CP(top.scalars, top.items, tuple(groups)) if groups else top


def _group_head(pairs: list[tuple[str, str]]) -> str | None:
    """The first scalar name, in order, that occurs more than once (None: the data area is not grouped)."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for key, _ in pairs:
        if "-" not in key:
            if key in seen:
                repeated.add(key)
            seen.add(key)
    if not repeated:
        return None
    return next(key for key, _ in pairs if key in repeated)


def _int_field(value: str | None, quirk: str, quirks: set[str]) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if value.isdigit() and value.isascii():
        return int(value)
    quirks.add(quirk)
    return None


def _split_lenient(seg: str, quirks: set[str]) -> tuple[dict[str, str], CP]:
    """Header dict and data area of any segment, recording every deviation in `quirks`."""
    ci = seg.find("CP=&&")
    if ci < 0:
        quirks.add("missing_cp")
        head, body = seg, ""
    else:
        head = seg[:ci]
        end = seg.rfind("&&")
        if end >= ci + 5:
            body = seg[ci + 5 : end]
            if seg[end + 2 :].strip(_WS_CHARS):
                quirks.add("cp_junk")
        else:
            body = seg[ci + 5 :]
            quirks.add("cp_unterminated")
    if "," in head:
        quirks.add("comma_in_header")
        head = head.replace(",", ";")
    header: dict[str, str] = {}
    for part in head.split(";"):
        key, eq, value = part.partition("=")
        if not eq:
            if part.strip(_WS_CHARS):
                quirks.add("header_junk")
            continue
        key = key.strip(_WS_CHARS)
        if key in header:
            quirks.add("duplicate_field")
        header[key] = value.strip(_WS_CHARS)
    return header, parse_cp(body, quirks)


def parse_segment(seg: str, raw: bytes | None = None, layouts: LayoutCache | None = None) -> ParsedSegment:
    """Split a data segment into its header fields and its data area; raise BadFrameError if it has no CN.

    With `layouts` (a decoder's), a well-formed segment takes the fast path; `raw`, the segment's UTF-8
    bytes, then spares it re-encoding them.
    """
    quirks: set[str] = set()
    fast = None if layouts is None else layouts.split(seg, raw)
    if fast is not None:
        header, scalars, items = fast
        cp = CP(scalars, items)
    else:
        header, cp = _split_lenient(seg, quirks)
    get = header.get
    cn = get("CN")
    if not cn:
        raise BadFrameError("malformed", "no CN in the data segment", seg.encode("utf-8", "replace")[:64])
    qn = get("QN")
    st = get("ST")
    text = get("Flag")
    flag = int(text) if text is not None and text.isdigit() and text.isascii() else _int_field(text, "bad_flag", quirks)
    text = get("PNUM")
    pnum = None if text is None else _int_field(text, "bad_pnum", quirks)
    text = get("PNO")
    pno = None if text is None else _int_field(text, "bad_pno", quirks)
    if qn is None:
        quirks.add("missing_qn")
    if st is None:
        quirks.add("missing_st")
    if flag is None:
        if "Flag" not in header:
            quirks.add("missing_flag")
        version = Version.V2005
    else:
        vbits = flag >> 2
        if vbits < 3:
            version = _VERSIONS[vbits]
        else:
            quirks.add("unknown_version")
            version = Version.V2025
        if flag & 2 and pnum is None:
            quirks.add("split_flag_without_pnum")
    if pnum is not None and (flag is None or not flag & 2):
        quirks.add("pnum_without_split_flag")
    return (
        header,
        qn,
        st,
        cn,
        get("PW"),
        get("MN"),
        flag,
        pnum,
        pno,
        version,
        cp,
        frozenset(quirks) if quirks else _EMPTY,
    )


def check_value(name: str, value: str) -> str:
    """Refuse a value that would break the framing (UsageError); return it unchanged otherwise."""
    if _FORBIDDEN_VALUE.search(value):
        raise UsageError(f"{name}={value!r}: values may not contain ; , = & or line breaks")
    if value != value.strip(_WS_CHARS):
        raise UsageError(f"{name}={value!r}: readers strip leading and trailing spaces")
    return value


def _check_key(key: str) -> str:
    if _FORBIDDEN_KEY.search(key):
        raise UsageError(f"field name {key!r} is empty or contains ; , = & - or line breaks")
    return key


def _encode_value(name: str, field_name: str, value: object) -> str:
    text = str(value)
    if text.startswith("//") or (field_name == "Info" and (not text.isascii() or _FORBIDDEN_VALUE.search(text))):
        # Written `//…//` (表C.40), the text may hold separators and Chinese; a value that itself starts with
        # `//` must be wrapped too, or it would read as an unterminated Info. Only `//` followed by a
        # separator would end it early.
        if _INFO_CLOSE.search(text) or "&&" in text or "\r" in text or "\n" in text:
            raise UsageError(f"{name}: Info text may not contain '//' before a separator, '&&' or line breaks")
        return f"//{text}//"
    return check_value(name, text)


def encode_cp(cp: CP | Mapping[str, object] | str) -> str:
    """The text between `CP=&&` and `&&`: scalars first (`;`), then one item per code (fields joined by `,`),
    then the groups, each one part: heading, its other scalars and its items joined by `,`.

    A Mapping may mix all three: `{"DataTime": "20260101000000", "Ia": {"Rtd": "1.2", "Flag": "N"},
    "PolId": [{"PolId": "w01019", "i12001": {"Info": "1"}}, …]}` (a list holds the groups headed by its key,
    as `CP.to_dict` writes them). A str is taken as already encoded (it is only checked not to contain `&&`).
    """
    if isinstance(cp, str):
        if "&&" in cp or "\r" in cp or "\n" in cp:
            raise UsageError("an encoded data area may not contain '&&' or line breaks")
        return cp
    if isinstance(cp, CP):
        scalars: Mapping[str, object] = cp.scalars
        items: Mapping[str, Mapping[str, object]] = cp.items
        groups: list[tuple[Mapping[str, object], Mapping[str, Mapping[str, object]]]] = [
            (g.scalars, g.items) for g in cp.groups
        ]
    else:
        scalars = {k: v for k, v in cp.items() if not isinstance(v, Mapping | list)}
        items = {k: v for k, v in cp.items() if isinstance(v, Mapping)}
        groups = [_group_of(k, g) for k, v in cp.items() if isinstance(v, list) for g in v]
    _check_groups(scalars, [group_scalars for group_scalars, _ in groups])
    parts = [f"{_check_key(k)}={_encode_value(k, k, v)}" for k, v in scalars.items()]
    parts += [_encode_item(code, fields) for code, fields in items.items()]
    for group_scalars, group_items in groups:
        fields = [f"{_check_key(k)}={_encode_value(k, k, v)}" for k, v in group_scalars.items()]
        parts.append(",".join(fields + [_encode_item(code, f) for code, f in group_items.items()]))
    return ";".join(parts)


def _encode_item(code: str, fields: Mapping[str, object]) -> str:
    _check_key(code)
    if not fields:
        raise UsageError(f"code {code!r} has no fields")
    return ",".join(f"{code}-{_check_key(f)}={_encode_value(f'{code}-{f}', f, v)}" for f, v in fields.items())


def _group_of(head: str, group: object) -> tuple[Mapping[str, object], Mapping[str, Mapping[str, object]]]:
    """A group given as a Mapping (`{"PolId": "w01019", "i12001": {"Info": "1"}}`): scalars, heading first."""
    if not isinstance(group, Mapping) or isinstance(group.get(head), Mapping | list | None):
        raise UsageError(f"each group under {head!r} must be a mapping holding a {head!r} value")
    scalars = {head: group[head]} | {k: v for k, v in group.items() if not isinstance(v, Mapping)}
    if any(isinstance(v, list) for v in scalars.values()):
        raise UsageError(f"groups under {head!r} may not hold groups")
    return scalars, {k: v for k, v in group.items() if isinstance(v, Mapping)}


def _check_groups(scalars: Mapping[str, object], heads: list[Mapping[str, object]]) -> None:
    """Groups must read back as written: two or more, all headed by one name, and no plain scalar's name used
    in a group (it would repeat before the heading and head the groups itself)."""
    if not heads:
        return
    names = {next(iter(h), "") for h in heads}
    if len(heads) < 2 or len(names) != 1 or "" in names or any(scalars.keys() & h.keys() for h in heads):
        raise UsageError("groups read back only as two or more, headed by one name, using no plain scalar's name")
