"""The fixed inspection checklist, kept as data (data/maintenance_checklist.json): key → Chinese title."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

from monitoring.errors import InvalidInputError

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "maintenance_checklist.json"


@cache
def checklist(path: Path = DEFAULT_PATH) -> Mapping[str, str]:
    """The checklist's items in order: key → title."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    items = {str(i["key"]): str(i["title"]) for i in raw["items"]}
    if not items or len(items) != len(raw["items"]):
        raise InvalidInputError(f"maintenance checklist {path}: empty or duplicate keys")
    return MappingProxyType(items)


def check_marks(marks: Mapping[str, bool]) -> dict[str, bool]:
    """An inspection's marks: every checklist item marked 正常/异常, nothing else."""
    items = checklist()
    unknown = sorted(set(marks) - set(items))
    if unknown:
        raise InvalidInputError(f"未知的检查项：{'、'.join(unknown)}")
    missing = [items[k] for k in items if k not in marks]
    if missing:
        raise InvalidInputError(f"巡检须逐项检查，缺少：{'、'.join(missing)}")
    return {k: bool(marks[k]) for k in items}
