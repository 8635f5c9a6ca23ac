"""Fast path for well-formed data segments: one compiled "plan" per field layout (the decoder's hot path).

A terminal sends the same layout every minute; only the values change. For a segment that is exactly
`K=v;K=v;…;CP=&&K=v,K=v;K=v…&&` (no spaces, no Info `//`, no junk, no repeated names), the keys and values
are pulled out by one regex each at C speed, and the layout (the tuple of keys) selects a small function,
generated once, that builds the header dict, the scalars and the per-code items with dict displays. The
generated code holds only indices; the key strings are passed in as constants, never written into code.

Anything else returns None and is parsed by the lenient path in segment.py, which gives identical results
for the segments accepted here (a property test checks this). Plans are compiled only for a layout seen
twice, and at most `_MAX_PLANS` are kept, so hostile input cannot make this path slow or large.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["split_fast"]

_TO_SEMI = bytes.maketrans(b",", b";")
_NOT_DELIM = bytes(c for c in range(256) if c not in b";,=")
_MAX_PLANS = 256
_MAX_SEEN = 4096
_Plan = Callable[[Sequence[str]], tuple[dict[str, str], dict[str, str], dict[str, dict[str, str]]]]
_plans: dict[str, _Plan | None] = {}  # None: this layout always takes the lenient path
_MISSING: _Plan | None = lambda v: ({}, {}, {})  # noqa: E731 - a sentinel distinct from None
_seen: dict[str, int] = {}


def _compile(head_keys: Sequence[str], body_keys: Sequence[str]) -> _Plan | None:
    """Generate the builder for one layout; None for repeated or empty names (left to the lenient path)."""
    if len(set(head_keys)) != len(head_keys) or len(set(body_keys)) != len(body_keys):
        return None
    if "" in head_keys or "" in body_keys:
        return None
    consts: dict[str, object] = {}
    names: dict[str, str] = {}

    def const(text: str) -> str:
        name = names.get(text)
        if name is None:
            name = names[text] = f"k{len(names)}"
            consts[name] = text
        return name

    head = ", ".join(f"{const(k)}: v[{i}]" for i, k in enumerate(head_keys))
    offset = len(head_keys)
    scalars: list[str] = []
    groups: dict[str, list[str]] = {}
    for j, key in enumerate(body_keys, offset):
        code, dash, field = key.partition("-")
        if dash:
            groups.setdefault(code, []).append(f"{const(field)}: v[{j}]")
        else:
            scalars.append(f"{const(key)}: v[{j}]")
    items = ", ".join(f"{const(code)}: {{{', '.join(fields)}}}" for code, fields in groups.items())
    source = f"def plan(v):\n    return {{{head}}}, {{{', '.join(scalars)}}}, {{{items}}}\n"
    namespace: dict[str, object] = dict(consts)
    exec(compile(source, "<hj212 plan>", "exec"), namespace)  # noqa: S102 - code holds indices only
    plan: _Plan = namespace["plan"]  # type: ignore[assignment]
    return plan


def _well_formed(raw: bytes) -> bool:
    """Is `raw` exactly `K=v` parts separated by `;` or `,` (one '=' per part)? Checked at C speed."""
    delims = raw.translate(_TO_SEMI, _NOT_DELIM)  # keeps only '=', ';' (',' mapped to ';')
    k = (len(delims) + 1) >> 1
    return k > 0 and delims == b"=;" * (k - 1) + b"="


def split_fast(
    text: str, raw: bytes | None = None
) -> tuple[dict[str, str], dict[str, str], dict[str, dict[str, str]]] | None:
    """(header, scalars, items) of a well-formed segment, or None to use the lenient parser.

    `raw` is the segment's UTF-8 bytes when the caller has them (the stream decoder does).
    """
    if raw is None:
        raw = text.encode("utf-8")
    ci = raw.find(b";CP=&&")
    if ci <= 0 or not raw.endswith(b"&&") or len(raw) < ci + 8:
        return None
    # Anything the lenient path treats differently: Info `//`, the whitespace it strips, "CP=&&" twice.
    if b"//" in raw or b" " in raw or b"\t" in raw or b"\r" in raw or b"\n" in raw or b"CP=&&" in raw[:ci]:
        return None
    head = raw[:ci]
    body = raw[ci + 6 : -2]
    end = -2
    if body.endswith(b";") or body.endswith(b","):
        body = body[:-1]  # a trailing separator (`…Flag=N;&&`) carries nothing
        end = -3
    if b"," in head or b"&&" in body or not _well_formed(head) or (body and not _well_formed(body)):
        return None
    tci = text.find(";CP=&&")
    hflat = text[:tci].replace("=", ";").split(";")
    # The layout is named by one string (keys cannot hold ';' or a line break): cheaper to hash than a tuple.
    if body:
        bflat = text[tci + 6 : end].replace(",", ";").replace("=", ";").split(";")
        layout = ";".join(hflat[0::2]) + "\n" + ";".join(bflat[0::2])
        values = hflat[1::2] + bflat[1::2]
    else:
        bflat = []
        layout = ";".join(hflat[0::2]) + "\r"  # distinct from a data area holding one empty name
        values = hflat[1::2]
    plan = _plans.get(layout, _MISSING)
    if plan is _MISSING:
        seen = _seen.get(layout, 0)
        if seen == 0 or len(_plans) >= _MAX_PLANS:
            if len(_seen) >= _MAX_SEEN:
                _seen.clear()
            _seen[layout] = seen + 1
            return None
        plan = _plans[layout] = _compile(hflat[0::2], bflat[0::2])
        _seen.pop(layout, None)
    if plan is None:
        return None
    return plan(values)
