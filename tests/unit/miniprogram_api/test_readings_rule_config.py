"""The timeline's rule parameters come from the same files as the platform's (settings rules_defaults/overrides)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from miniprogram_api.chalicelib.routes.readings import _rule_config
from monitoring.evaluation.config import DEFAULTS_PATH


@pytest.mark.unit
def test_packaged_defaults_then_a_deployments_files(tmp_path: Path) -> None:
    packaged = _rule_config("", "")
    assert packaged.params("running_state")["on_min_kw"] == 0.5
    raw = json.loads(DEFAULTS_PATH.read_text(encoding="utf-8"))
    raw["running_state"]["on_min_kw"] = 2.0
    (tmp_path / "defaults.json").write_text(json.dumps(raw), encoding="utf-8")
    overrides = {"enterprise": {"ent-1": {"running_state": {"on_min_kw": 200.0}}}}
    (tmp_path / "overrides.json").write_text(json.dumps(overrides), encoding="utf-8")
    config = _rule_config(str(tmp_path / "defaults.json"), str(tmp_path / "overrides.json"))
    assert config.params("running_state")["on_min_kw"] == 2.0
    assert config.params("running_state", enterprise="ent-1")["on_min_kw"] == 200.0
