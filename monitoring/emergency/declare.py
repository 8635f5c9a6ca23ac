"""Declaring emergency alerts the way the bureau words them: level 黄/橙/红, Beijing times, scope by names.

The names (enterprises, towns) are resolved against the registry here, so the stored alert holds ids and a
misspelt name is an error rather than an alert that silently covers nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from monitoring.emergency.models import EmergencyAlert, Level
from monitoring.emergency.ports import EmergencyRepository
from monitoring.errors import InvalidInputError, NotFoundError
from monitoring.registry import ids
from monitoring.registry.models import check_id, check_text
from monitoring.reports.workdays import CHINA
from monitoring.storage.ports import RegistryRepository

MAX_SPAN = timedelta(days=31)  # heavy-pollution alerts last days; a longer one is a typing error


def parse_time(text: str) -> datetime:
    """ISO date/time; Beijing time when no offset is given; whole minutes."""
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInputError(f"时间格式不正确：{text!r}（示例 2026-12-06T08:00）") from exc
    t = t.replace(tzinfo=CHINA) if t.tzinfo is None else t
    return t.replace(second=0, microsecond=0)


def resolve_enterprises(registry: RegistryRepository, county_id: str, names: Sequence[str]) -> frozenset[str]:
    """Enterprise names (or ids) → ids; every one must be registered."""
    out: set[str] = set()
    for name in names:
        for candidate in (name.strip(), ids.enterprise_id(county_id, name)):
            try:
                found = registry.find_enterprise(candidate)
            except InvalidInputError:
                found = None
            if found is not None and found.county_id == county_id:
                out.add(found.enterprise_id)
                break
        else:
            raise InvalidInputError(f"企业「{name}」不在名单中")
    return frozenset(out)


def resolve_towns(registry: RegistryRepository, county_id: str, names: Sequence[str]) -> frozenset[str]:
    towns = {t.name: t.town_id for t in registry.list_towns(county_id)}
    missing = [n for n in names if n.strip() not in towns]
    if missing:
        raise InvalidInputError(f"镇（街道）「{'、'.join(missing)}」不存在")
    return frozenset(towns[n.strip()] for n in names)


def default_alert_id(level: Level, start: datetime) -> str:
    return f"YJ-{start.astimezone(CHINA):%Y%m%d%H%M}-{level.value}"


def new_alert(
    level: Level,
    start: datetime,
    end: datetime,
    *,
    alert_id: str | None = None,
    title: str = "",
    enterprises: frozenset[str] | None = None,
    towns: frozenset[str] | None = None,
    declared_by: str = "",
    county_id: str = "",
) -> EmergencyAlert:
    """A validated alert; scope None (no enterprises, no towns) means the whole county."""
    if end <= start:
        raise InvalidInputError("结束时间须晚于开始时间")
    if end - start > MAX_SPAN:
        raise InvalidInputError(f"预警持续超过 {MAX_SPAN.days} 天，请核对结束时间")
    return EmergencyAlert(
        check_id(alert_id or default_alert_id(level, start), "预警编号"),
        level,
        start.astimezone(UTC),
        end.astimezone(UTC),
        check_text(title, "标题", required=False),
        enterprises or None,
        towns or None,
        check_text(declared_by, "发布人", max_len=64, required=False),
        county_id,
    )


def add_alert(repo: EmergencyRepository, alert: EmergencyAlert) -> bool:
    """Store a new alert; False when the same alert is already stored (re-running a command changes nothing)."""
    try:
        existing = repo.get_alert(alert.id)
    except NotFoundError:
        repo.put_alert(alert)
        return True
    if existing == alert:
        return False
    raise InvalidInputError(f"预警编号 {alert.id} 已存在且内容不同（调整结束时间请用 alert end）")


def end_alert(repo: EmergencyRepository, alert_id: str, at: datetime) -> EmergencyAlert:
    """Lift an alert at `at` (or move its end there): after its start, within MAX_SPAN of it."""
    alert = repo.get_alert(alert_id)
    ended = new_alert(
        alert.level,
        alert.start,
        at,
        alert_id=alert.id,
        title=alert.title,
        enterprises=alert.enterprises,
        towns=alert.towns,
        declared_by=alert.declared_by,
        county_id=alert.county_id,
    )
    if ended != alert:
        repo.put_alert(ended)
    return ended
