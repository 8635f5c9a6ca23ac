"""A maintenance log entry: one visit or job on an enterprise's monitoring equipment, by whom, when, what was
checked, photos cited; a commissioning entry also carries each server-side check with its verdict."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from monitoring._time import require_utc
from monitoring.errors import InvalidInputError
from monitoring.registry._labels import LabelledEnum
from monitoring.registry.models import check_id, check_mn, check_text

MAX_ITEMS = 30
MAX_PHOTOS = 9


class MaintenanceKind(LabelledEnum):
    INSPECTION = ("inspection", "巡检")
    REPAIR = ("repair", "维修")
    COMMISSIONING = ("commissioning", "调试")  # written by the commissioning check, never posted by hand
    OTHER = ("other", "其他")


class Verdict(LabelledEnum):
    PASS = ("pass", "通过")
    FAIL = ("fail", "不通过")
    UNKNOWN = ("unknown", "无法判断")  # never counts as a pass


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One commissioning check: its key, title and verdict, the detail in words and the values it judged."""

    key: str
    title: str
    verdict: Verdict
    detail: str
    values: Mapping[str, float] = field(default_factory=dict)


def new_entry_id() -> str:
    return "mt-" + secrets.token_hex(12)


@dataclass(frozen=True, slots=True)
class MaintenanceEntry:
    entry_id: str
    enterprise_id: str
    kind: MaintenanceKind
    at: datetime  # when the work was done (UTC)
    by: str  # account id
    recorded_at: datetime  # when the platform stored it (UTC)
    mn: str = ""  # the terminal worked on, if any
    point_id: str = ""
    items: tuple[str, ...] = ()  # what was checked, short phrases ("接线紧固", "CT 外观")
    text: str = ""
    photo_ids: tuple[str, ...] = ()
    checks: tuple[CheckResult, ...] = ()  # commissioning only
    passed: bool | None = None  # commissioning: every check passed

    def __post_init__(self) -> None:
        check_id(self.entry_id, "entry_id")
        check_id(self.enterprise_id, "enterprise_id")
        check_id(self.by, "by")
        object.__setattr__(self, "at", require_utc(self.at, "at"))
        object.__setattr__(self, "recorded_at", require_utc(self.recorded_at, "recorded_at"))
        if self.mn:
            check_mn(self.mn)
        if self.point_id:
            check_id(self.point_id, "point_id")
        if len(self.items) > MAX_ITEMS:
            raise InvalidInputError(f"检查项目最多 {MAX_ITEMS} 项")
        for item in self.items:
            check_text(item, "检查项目", max_len=40)
        if len(self.text) > 1000 or any(ord(c) < 32 and c not in "\n\t" for c in self.text):
            raise InvalidInputError("说明：最多 1000 字，不能含控制字符")
        if len(self.photo_ids) > MAX_PHOTOS:
            raise InvalidInputError(f"照片最多 {MAX_PHOTOS} 张")
        if (self.kind is MaintenanceKind.COMMISSIONING) != bool(self.checks):
            raise InvalidInputError("只有调试记录带检查结果，且调试记录必须带检查结果")
