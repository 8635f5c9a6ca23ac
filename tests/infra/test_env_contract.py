"""Each function's environment == the settings functions/_wiring.py reads (plus Powertools' own variables)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from infra.stacks.platform import POWERTOOLS_ENVIRONMENT, WIRING_VARIABLES_NOT_SET
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra
WIRING = Path(__file__).resolve().parents[2] / "functions" / "_wiring.py"


def variables_read(path: Path) -> set[str]:
    """String literals used as keys of env.get(...), env[...], os.environ/.getenv in the module."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        key = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "getenv"):
            key = node.args[0] if node.args else None
        elif isinstance(node, ast.Subscript):
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.isupper():
            names.add(key.value)
    return names


def test_wiring_module_exists() -> None:
    assert WIRING.is_file(), "functions/_wiring.py is where the handlers read their environment"


def test_variable_reader_sees_all_access_forms(tmp_path: Path) -> None:
    f = tmp_path / "w.py"
    f.write_text('import os\nenv = {}\nenv.get("A_B")\nos.environ["C"]\nos.getenv("D", "x")\nd.get("lower")\n')
    assert variables_read(f) == {"A_B", "C", "D"}


def test_function_environment_matches_the_wiring_settings(synthesized: Synthesized) -> None:
    read = variables_read(WIRING)
    for stage in ("dev", "prod"):
        for resource in synthesized.resources(stage, "AWS::Lambda::Function").values():
            props = resource["Properties"]
            if not props["Handler"].startswith("functions."):
                continue
            env = set(props["Environment"]["Variables"])
            # Everything set is read by the wiring or by Powertools ...
            assert env - read - set(POWERTOOLS_ENVIRONMENT) == set(), props["Handler"]
            # ... and everything the wiring reads is set, or deliberately left unset with a reason.
            assert read - env == set(WIRING_VARIABLES_NOT_SET), props["Handler"]
