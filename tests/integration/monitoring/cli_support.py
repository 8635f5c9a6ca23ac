"""Running `python -m monitoring` in-process for the CLI tests: its exit code and everything it printed."""

from __future__ import annotations

import io

from monitoring.cli import run


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(list(argv), out)
    return code, out.getvalue()
