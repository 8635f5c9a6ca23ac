"""Each function's environment == the settings functions/_wiring.py reads (plus Powertools' own variables).

What the wiring reads is observed, not guessed: `settings_from_env` is called with a mapping that records every
key it is asked for, so helper functions and defaults cannot hide a variable.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from infra.stacks.platform import (
    FUNCTION_OWN_ENVIRONMENT,
    POWERTOOLS_ENVIRONMENT,
    WIRING_VARIABLES_NOT_SET,
    WIRING_VARIABLES_OF,
)
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra
WIRING = Path(__file__).resolve().parents[2] / "functions" / "_wiring.py"


class RecordingEnv(Mapping[str, str]):
    """A read-only environment that remembers every variable name looked up in it."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return self.values[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return key in self.values

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def variables_read(values: Mapping[str, str] | None = None) -> set[str]:
    from functions import _wiring

    env = RecordingEnv(values or {})
    _wiring.settings_from_env(env)
    return env.read


def test_wiring_reads_the_environment_only_through_settings_from_env() -> None:
    # Given the module's source, Then os.environ / os.getenv appear only where settings_from_env is called
    tree = ast.parse(WIRING.read_text(encoding="utf-8"))
    uses = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in ("environ", "getenv")
        and getattr(node.value, "id", "") == "os"
    ]
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "settings_from_env"
    ]
    assert uses and set(uses) <= set(calls)


def test_recording_env_sees_every_access_form() -> None:
    env = RecordingEnv({"A": "1"})
    env.get("B", "x"), "C" in env, env["A"]
    assert env.read == {"A", "B", "C"}


def _is_one_of(logical: str, construct_ids: tuple[str, ...]) -> bool:
    return any(logical.startswith(f"Functions{name}") and not logical[len(f"Functions{name}")].islower()
               for name in construct_ids)  # fmt: skip


def test_function_environment_matches_the_wiring_settings(synthesized: Synthesized) -> None:
    read = variables_read()
    assert read, "settings_from_env read nothing"
    for stage in ("dev", "prod"):
        for logical, resource in synthesized.resources(stage, "AWS::Lambda::Function").items():
            props = resource["Properties"]
            if not props["Handler"].startswith("functions."):
                continue
            own = set(FUNCTION_OWN_ENVIRONMENT.get(props["Handler"], ()))
            env = {k: v for k, v in props["Environment"]["Variables"].items() if k not in own}
            assert own <= set(props["Environment"]["Variables"]), props["Handler"]  # its own are set too
            # Everything else set is read by the wiring or by Powertools ...
            assert set(env) - read - set(POWERTOOLS_ENVIRONMENT) == set(), props["Handler"]
            # ... everything the wiring reads is set, or deliberately left unset with a reason (some variables
            # only where they are used) ...
            elsewhere = {v for v, names in WIRING_VARIABLES_OF.items() if not _is_one_of(logical, names)}
            assert read - set(env) == set(WIRING_VARIABLES_NOT_SET) | elsewhere, props["Handler"]
            # ... and the values pass the wiring's own validation.
            from functions import _wiring

            settings = _wiring.settings_from_env({k: v for k, v in env.items() if isinstance(v, str)})
            assert settings.store_backend == "dynamodb"
            assert settings.dynamodb_table_prefix == f"gk-{stage}"
