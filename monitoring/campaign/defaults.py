"""The bundled default campaign (如皋 2022, the notice's 三) and reading a campaign from a JSON file."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from monitoring.campaign.models import Campaign, Deadlines, TownDeadlines
from monitoring.errors import InvalidInputError

DEFAULT_FILE = "rugao_2022.json"


def _deadlines(raw: Any, where: str) -> Deadlines:
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{where}: 须为对象（survey、network、filing）")
    try:
        return Deadlines(
            survey=date.fromisoformat(raw["survey"]),
            network=date.fromisoformat(raw["network"]),
            filing=date.fromisoformat(raw["filing"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"{where}: 期限须为 YYYY-MM-DD（survey、network、filing）: {exc}") from exc


def campaign_from_json(text: str, *, county_id: str | None = None) -> Campaign:
    """Parse a campaign file; `county_id` overrides the file's (one file serves a renamed county)."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise InvalidInputError(f"活动文件不是有效的 JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidInputError("活动文件须为 JSON 对象")
    towns = raw.get("town_deadlines", {})
    if not isinstance(towns, dict):
        raise InvalidInputError("town_deadlines 须为对象（镇街编号 → 期限）")
    try:
        return Campaign(
            campaign_id=str(raw["campaign_id"]),
            county_id=county_id or str(raw["county_id"]),
            name=str(raw["name"]),
            deadlines=_deadlines(raw.get("deadlines"), "deadlines"),
            town_deadlines=tuple(
                TownDeadlines(town_id, _deadlines(d, f"town_deadlines.{town_id}")) for town_id, d in towns.items()
            ),
            trial_workdays=int(raw.get("trial_workdays", 7)),
            trial_threshold=float(raw.get("trial_threshold", 0.9)),
            filing_workdays=int(raw.get("filing_workdays", 5)),
        )
    except KeyError as exc:
        raise InvalidInputError(f"活动文件缺少字段 {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"活动文件字段有误: {exc}") from exc


def default_campaign(county_id: str | None = None) -> Campaign:
    text = resources.files("monitoring.campaign").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    return campaign_from_json(text, county_id=county_id)


def load_campaign(path: Path, *, county_id: str | None = None) -> Campaign:
    if path.stat().st_size > 1_000_000:
        raise InvalidInputError("活动文件过大")
    return campaign_from_json(path.read_text(encoding="utf-8"), county_id=county_id)
