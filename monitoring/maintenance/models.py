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


@dataclass(frozen=True, slots=True)
class ReadingSeen:
    """A value the inspector read on site next to the platform's latest reading of that point and quantity."""

    point_id: str
    code: str  # the platform's quantity name (monitoring.readings QUANTITY_INFO), e.g. "p" (active power)
    seen: float
    platform: float | None = None  # the platform's latest value when recorded; None: none known
    platform_at: datetime | None = None  # its data time (UTC)

    def __post_init__(self) -> None:
        check_id(self.point_id, "point_id")
        check_text(self.code, "读数项目", max_len=16)
        if self.seen != self.seen or abs(self.seen) > 1e9:  # NaN or absurd
            raise InvalidInputError("现场读数无效")
        if self.platform_at is not None:
            object.__setattr__(self, "platform_at", require_utc(self.platform_at, "platform_at"))


@dataclass(frozen=True, slots=True)
class ServiceProvider:
    """The service provider (运维单位) of an enterprise: an organisation and its installer accounts."""

    enterprise_id: str
    name: str
    account_ids: tuple[str, ...]
    set_by: str
    set_at: datetime
    phone: str = ""

    def __post_init__(self) -> None:
        check_id(self.enterprise_id, "enterprise_id")
        check_text(self.name, "运维单位名称", max_len=60)
        if not 1 <= len(self.account_ids) <= 20:
            raise InvalidInputError("运维单位须有 1–20 个运维人员账号")
        for a in self.account_ids:
            check_id(a, "account_ids")
        check_id(self.set_by, "set_by")
        object.__setattr__(self, "set_at", require_utc(self.set_at, "set_at"))
        if self.phone and (len(self.phone) > 20 or not all(c.isdigit() or c in "+- " for c in self.phone)):
            raise InvalidInputError("运维单位电话格式不正确")


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
    checklist: Mapping[str, bool] = field(default_factory=dict)  # inspection: checklist key → 正常 (True) / 异常
    readings: tuple[ReadingSeen, ...] = ()  # inspection: values read on site vs the platform's
    obligation: str = ""  # repair: the obligation met ("fault:<report id>" or "alarm:<alarm id>")
    parts: tuple[str, ...] = ()  # repair: parts replaced
    back_online: bool | None = None  # repair: the terminal was sending data again when the repair was recorded

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
        if len(self.readings) > MAX_ITEMS or len(self.parts) > MAX_ITEMS or len(self.checklist) > MAX_ITEMS:
            raise InvalidInputError(f"读数、配件、检查项最多各 {MAX_ITEMS} 项")
        for part in self.parts:
            check_text(part, "更换配件", max_len=40)
        if self.obligation and (self.kind is not MaintenanceKind.REPAIR or len(self.obligation) > 80):
            raise InvalidInputError("只有维修记录可以关联故障或报警")
        if (self.kind is MaintenanceKind.COMMISSIONING) != bool(self.checks):
            raise InvalidInputError("只有调试记录带检查结果，且调试记录必须带检查结果")
