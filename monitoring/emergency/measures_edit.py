"""One enterprise's emergency measures edited as a whole (the API's PUT), checked like the 应急减排清单 sheet:
must-stop points are the enterprise's own producing points, shares within [0, 1], whole local hours."""

from __future__ import annotations

from collections.abc import Mapping

from monitoring.emergency.measures_sheet import PRODUCING_KINDS
from monitoring.emergency.models import LEVEL_NAMES, EnterpriseMeasures, Level, LevelMeasures
from monitoring.emergency.ports import EmergencyRepository
from monitoring.errors import InvalidInputError
from monitoring.storage.ports import RegistryRepository


def _check(registry: RegistryRepository, enterprise_id: str, level: Level, m: LevelMeasures) -> LevelMeasures:
    name = LEVEL_NAMES[level]
    points = {p.point_id: p for p in registry.list_points(enterprise_id)}
    for pid in m.stop_points:
        point = points.get(pid)
        if point is None:
            raise InvalidInputError(f"{name}预警：点位 {pid} 不属于该企业")
        if point.role not in PRODUCING_KINDS:
            raise InvalidInputError(f"{name}预警：点位 {pid} 不是产污（或产治一体）点位，不能列为停产点位")
    if m.energy_share is not None and not 0.0 <= m.energy_share <= 1.0:
        raise InvalidInputError(f"{name}预警：用电量占基线比例应在 0 到 1 之间")
    for a, b in m.forbidden_hours:
        if not 0 <= a < b <= 24:
            raise InvalidInputError(f"{name}预警：错峰时段起点须早于终点，且在 0 到 24 时之间")
    if not m.stop_points and m.energy_share is None and not m.forbidden_hours:
        raise InvalidInputError(f"{name}预警：停产点位、用电量占基线比例、错峰停产时段至少填写一项")
    return LevelMeasures(
        tuple(dict.fromkeys(m.stop_points)),
        None if m.energy_share is None else round(m.energy_share, 4),
        tuple(sorted(set(m.forbidden_hours))),
    )


def set_measures(
    registry: RegistryRepository,
    emergency: EmergencyRepository,
    enterprise_id: str,
    levels: Mapping[Level, LevelMeasures],
) -> EnterpriseMeasures:
    """Replace the enterprise's measures (an empty mapping clears them); NotFoundError for an unknown enterprise."""
    registry.get_enterprise(enterprise_id)
    checked = {level: _check(registry, enterprise_id, level, m) for level, m in sorted(levels.items())}
    measures = EnterpriseMeasures(enterprise_id, checked)
    emergency.put_measures(measures)
    return measures
