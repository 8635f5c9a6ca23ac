"""The one generated function of hj212: a layout's dict displays, from value positions only (the hot path).

Plain Python cannot build a frame's dicts fast enough for `make bench-hj212` (docs/hj212.md, "Speed").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

__all__ = ["Built", "Structure", "builder"]

Built = tuple[dict[str, str], dict[str, str], dict[str, dict[str, str]]]
# Where a layout's values sit: the header's, the scalars', and per item code its fields'. Names are not part
# of it: the builder takes them as its first argument, in the same order (header, scalars, codes, fields).
Structure = tuple[tuple[int, ...], tuple[int, ...], tuple[tuple[int, ...], ...]]


@lru_cache(maxsize=1024)
def builder(structure: Structure) -> Callable[[Sequence[str], Sequence[str]], Built]:
    """`build(names, values)` -> (header, scalars, items), written as dict displays for this structure.

    The source holds nothing but integers of ours (peer text never becomes code), so many layouts share one
    builder; being a pure function of its argument, it is cached once per process.
    """
    head, scalars, items = structure
    names = iter(range(len(head) + len(scalars) + len(items) + sum(map(len, items))))
    header = ", ".join(f"n[{next(names)}]: v[{i}]" for i in head)
    plain = ", ".join(f"n[{next(names)}]: v[{i}]" for i in scalars)
    codes = [next(names) for _ in items]
    fields = [", ".join(f"n[{next(names)}]: v[{i}]" for i in item) for item in items]
    per_code = ", ".join(f"n[{code}]: {{{inner}}}" for code, inner in zip(codes, fields, strict=True))
    source = f"def build(n, v):\n    return {{{header}}}, {{{plain}}}, {{{per_code}}}\n"
    namespace: dict[str, Callable[[Sequence[str], Sequence[str]], Built]] = {}
    exec(compile(source, "<hj212 builder>", "exec"), namespace)  # integers of ours only
    return namespace["build"]
