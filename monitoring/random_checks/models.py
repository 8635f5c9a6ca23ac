"""Records of the random inspections: a branch's inspector pool, a draw with every input it was made from, a
check per drawn enterprise with its two inspectors, and the inspection record written after the visit."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from monitoring._time import CHINA, require_utc
from monitoring.errors import InvalidInputError
from monitoring.registry._labels import LabelledEnum
from monitoring.registry.models import check_id, check_text

INSPECTORS_PER_CHECK = 2  # 行政处罚法 第四十二条: at least two enforcement officers on site
MAX_PER_DRAW = 200
MAX_POOL = 100
MAX_PHOTOS = 9
MAX_ALARMS = 50
ALGORITHM = "sha256-rank-v1"  # docs/monitoring.md "Random inspections": the draw, step by step

_PERIOD = re.compile(r"(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))")
_SEED = re.compile(r"[0-9A-Za-z_-]{8,64}")


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day (Beijing calendar) of a month "2026-12" or a quarter "2026-Q4"."""
    m = _PERIOD.fullmatch(period or "")
    if m is None:
        raise InvalidInputError(f"周期格式应为 2026-12（月）或 2026-Q4（季度），而不是 {period!r}")
    year = int(m.group(1))
    first_month = int(m.group(2)) if m.group(2) else (int(m.group(3)) - 1) * 3 + 1
    months = 1 if m.group(2) else 3
    first = date(year, first_month, 1)
    after = date(year + (first_month + months - 1) // 12, (first_month + months - 1) % 12 + 1, 1)
    return first, after - timedelta(days=1)


def period_end_utc(period: str) -> datetime:
    """The instant the period is over: midnight Beijing time after its last day."""
    last = period_bounds(period)[1]
    return datetime.combine(last + timedelta(days=1), datetime.min.time(), CHINA).astimezone(UTC)


def check_seed(seed: str) -> str:
    if not _SEED.fullmatch(seed or ""):
        raise InvalidInputError("随机种子须为 8–64 位字母、数字、下划线或连字符")
    return seed


class Conclusion(LabelledEnum):
    COMPLIANT = ("compliant", "合规")
    ISSUES = ("issues", "存在问题")
    NOT_OPERATING = ("not_operating", "停产/未生产")
    UNABLE = ("unable", "无法检查")


class CheckStatus(LabelledEnum):
    PENDING = ("pending", "待检查")
    DONE = ("done", "已检查")
    OVERDUE = ("overdue", "逾期")
    VOID = ("void", "已作废")  # its draw was redone


class FindingItem(LabelledEnum):
    """What an on-site check looks at (管理办法 第九条)."""

    CONSTRUCTION = ("construction", "现场端建设规范化情况")
    CHANGES = ("changes", "用电工况监控变更情况")
    OPERATION = ("operation", "用电工况监控运行状况")
    MAINTENANCE_RECORDS = ("maintenance_records", "运行、维护、检修记录")
    CORRELATION = ("correlation", "生产工况、治理设施运行与监控数据的相关性")
    OTHER = ("other", "其他")


@dataclass(frozen=True, slots=True)
class Finding:
    item: FindingItem
    ok: bool
    note: str = ""

    def __post_init__(self) -> None:
        check_text(self.note, "检查意见", max_len=200, required=False)


@dataclass(frozen=True, slots=True)
class InspectorPool:
    """The branch's inspectors (branch accounts) a draw assigns from; versioned (0 = not stored yet)."""

    county_id: str
    branch_id: str
    account_ids: tuple[str, ...]
    updated_at: datetime
    updated_by: str
    version: int = 0

    def __post_init__(self) -> None:
        check_id(self.county_id, "county_id")
        check_id(self.branch_id, "branch_id")
        object.__setattr__(self, "updated_at", require_utc(self.updated_at, "updated_at"))
        if len(self.account_ids) > MAX_POOL:
            raise InvalidInputError(f"检查人员库最多 {MAX_POOL} 人")
        if len(set(self.account_ids)) != len(self.account_ids):
            raise InvalidInputError("检查人员库有重复的账号")
        for account_id in self.account_ids:
            check_id(account_id, "account_id")


@dataclass(frozen=True, slots=True)
class Exclusion:
    enterprise_id: str
    reason: str


def draw_id_of(branch_id: str, period: str, generation: int) -> str:
    """One id per (branch, period, generation): a second draw of the same slot cannot be stored."""
    return f"rcd.{branch_id}.{period}.{generation}"


@dataclass(frozen=True, slots=True)
class Draw:
    """A draw and every input it was made from: the seed, the sorted candidates, the exclusions and the pool, so
    anyone can recompute it (`monitoring.random_checks.drawing.redo_from`). `generation` > 1 is a redo of the
    draw `supersedes`, with its `reason`; a redone draw names its successor in `superseded_by`."""

    draw_id: str
    county_id: str
    branch_id: str
    period: str
    generation: int
    n: int
    seed: str
    algorithm: str
    candidates: tuple[str, ...]
    excluded: tuple[Exclusion, ...]
    pool: tuple[str, ...]
    drawn: tuple[str, ...]  # the enterprises in draw order
    drawn_at: datetime
    drawn_by: str
    reason: str = ""
    supersedes: str = ""
    superseded_by: str = ""
    version: int = 0

    def __post_init__(self) -> None:
        period_bounds(self.period)
        check_seed(self.seed)
        object.__setattr__(self, "drawn_at", require_utc(self.drawn_at, "drawn_at"))
        if self.draw_id != draw_id_of(self.branch_id, self.period, self.generation):
            raise InvalidInputError(f"draw id {self.draw_id!r} does not name its branch, period and generation")
        if not 1 <= self.n <= MAX_PER_DRAW:
            raise InvalidInputError(f"抽取数量须在 1–{MAX_PER_DRAW} 之间")
        if list(self.candidates) != sorted(set(self.candidates)):
            raise InvalidInputError("candidates must be sorted and unique")
        if not set(self.drawn) <= set(self.candidates) or len(set(self.drawn)) != len(self.drawn):
            raise InvalidInputError("drawn enterprises must be distinct candidates")
        if (self.generation > 1) != bool(self.supersedes) or (self.generation > 1 and not self.reason.strip()):
            raise InvalidInputError("重新抽取必须注明原抽取和理由")
        check_text(self.reason, "重新抽取理由", max_len=200, required=self.generation > 1)


def check_id_of(draw_id: str, enterprise_id: str) -> str:
    """`<draw>.<enterprise>`; past the 128 characters of an id, the enterprise's SHA-256 prefix stands for it."""
    plain = f"{draw_id}.{enterprise_id}"
    return plain if len(plain) <= 128 else f"{draw_id}.{hashlib.sha256(enterprise_id.encode()).hexdigest()[:24]}"


@dataclass(frozen=True, slots=True)
class InspectionRecord:
    """What the inspectors found on site. Written once; `inspected_at` is the visit, `recorded_at` the entry."""

    conclusion: Conclusion
    findings: tuple[Finding, ...]
    text: str
    photo_ids: tuple[str, ...]
    alarm_ids: tuple[str, ...]  # the enterprise's alarms the inspectors looked at
    inspectors: tuple[str, ...]  # who was on site (the assigned two)
    inspected_at: datetime
    recorded_by: str
    recorded_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "inspected_at", require_utc(self.inspected_at, "inspected_at"))
        object.__setattr__(self, "recorded_at", require_utc(self.recorded_at, "recorded_at"))
        if len(self.findings) > len(FindingItem) * 3:
            raise InvalidInputError("检查项目过多")
        if len(self.text) > 2000 or any(ord(c) < 32 and c not in "\n\t" for c in self.text):
            raise InvalidInputError("检查情况：最多 2000 字，不能含控制字符")
        if len(self.photo_ids) > MAX_PHOTOS:
            raise InvalidInputError(f"照片最多 {MAX_PHOTOS} 张")
        if len(self.alarm_ids) > MAX_ALARMS:
            raise InvalidInputError(f"关联报警最多 {MAX_ALARMS} 条")
        if self.conclusion is Conclusion.ISSUES and all(f.ok for f in self.findings) and not self.text.strip():
            raise InvalidInputError("结论为存在问题时，请标出有问题的检查项目或写明情况")


@dataclass(frozen=True, slots=True)
class Check:
    """One drawn enterprise of a draw, its two inspectors, and the record once inspected (versioned)."""

    check_id: str
    draw_id: str
    county_id: str
    branch_id: str
    period: str
    enterprise_id: str
    inspectors: tuple[str, ...]
    record: InspectionRecord | None = None
    version: int = 0

    def __post_init__(self) -> None:
        check_id(self.enterprise_id, "enterprise_id")
        if self.check_id != check_id_of(self.draw_id, self.enterprise_id):
            raise InvalidInputError(f"check id {self.check_id!r} does not name its draw and enterprise")
        if len(self.inspectors) != INSPECTORS_PER_CHECK or len(set(self.inspectors)) != INSPECTORS_PER_CHECK:
            raise InvalidInputError(f"每家企业须指派 {INSPECTORS_PER_CHECK} 名不同的检查人员")

    def status(self, now: datetime, draw: Draw) -> CheckStatus:
        """已检查 once recorded (even late); 已作废 when its draw was redone; 逾期 after the period; else 待检查."""
        if self.record is not None:
            return CheckStatus.DONE
        if draw.superseded_by:
            return CheckStatus.VOID
        return CheckStatus.OVERDUE if now >= period_end_utc(self.period) else CheckStatus.PENDING

    def late(self) -> bool:
        """Recorded after its period was over."""
        return self.record is not None and self.record.inspected_at >= period_end_utc(self.period)
