"""Module docstrings stay short (1–5 lines): the why and the figures live in docs/*.md ("Module notes")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hj212", "monitoring", "iot_ingest", "functions", "miniprogram_api", "local", "simulator", "infra", "bench")
MAX_LINES = 5


def _too_long(root: Path = ROOT) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel.startswith("infra/cdk.out/"):
                continue
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=False)
            if doc is not None and len(doc.strip("\n").splitlines()) > MAX_LINES:
                found.append(f"{rel}: {len(doc.strip().splitlines())} lines")
    return found


def test_every_module_docstring_has_at_most_five_lines() -> None:
    assert _too_long() == []


def test_a_six_line_docstring_is_found(tmp_path: Path) -> None:
    (tmp_path / "hj212").mkdir()
    (tmp_path / "hj212" / "long.py").write_text('"""One.\n\n3\n4\n5\n6\n"""\n', encoding="utf-8")
    (tmp_path / "hj212" / "short.py").write_text('"""One.\n\nTwo.\n"""\n', encoding="utf-8")
    assert _too_long(tmp_path) == ["hj212/long.py: 6 lines"]
