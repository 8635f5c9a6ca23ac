"""Rule parameters: defaults from data/rules_defaults.json, overridable per enterprise, association and point.

Precedence: point > association > enterprise > default. Files are validated when loaded: unknown sections or
keys, and values whose type differs from the default's, are rejected with InvalidInputError, so a typo in an
override never silently falls back to the default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitoring.errors import InvalidInputError

DEFAULTS_PATH = Path(__file__).resolve().parents[2] / "data" / "rules_defaults.json"
_SCOPES = ("enterprise", "association", "point")

Params = Mapping[str, float]


def _validate_section(section: str, values: Any, defaults: Mapping[str, Any], where: str) -> dict[str, float]:
    if section not in defaults:
        raise InvalidInputError(f"{where}: unknown rule or section {section!r}")
    if not isinstance(values, dict):
        raise InvalidInputError(f"{where}.{section}: expected an object")
    out: dict[str, float] = {}
    for key, value in values.items():
        if key not in defaults[section]:
            raise InvalidInputError(f"{where}.{section}: unknown parameter {key!r}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInputError(f"{where}.{section}.{key}: expected a number, got {value!r}")
        if value < 0:
            raise InvalidInputError(f"{where}.{section}.{key}: must not be negative")
        out[key] = float(value)
    return out


@dataclass(frozen=True)
class RuleConfig:
    """Resolved parameters. Build with `load_defaults()` and `with_overrides()`."""

    defaults: Mapping[str, Mapping[str, float]]
    overrides: Mapping[str, Mapping[str, Mapping[str, Mapping[str, float]]]] = field(default_factory=dict)
    _cache: dict[tuple[str, str | None, str | None, str | None], dict[str, float]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def params(
        self,
        section: str,
        *,
        enterprise: str | None = None,
        association: str | None = None,
        point: str | None = None,
    ) -> dict[str, float]:
        """The parameters of one section for one subject, most specific override winning."""
        key = (section, enterprise, association, point)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if section not in self.defaults:
            raise InvalidInputError(f"unknown rule or section {section!r}")
        merged = dict(self.defaults[section])
        for scope, ident in (("enterprise", enterprise), ("association", association), ("point", point)):
            if ident is not None:
                merged.update(self.overrides.get(scope, {}).get(ident, {}).get(section, {}))
        self._cache[key] = merged
        return merged

    def with_overrides(self, raw: Any) -> RuleConfig:
        """A copy with overrides {"enterprise"|"association"|"point": {id: {section: {param: value}}}}."""
        if not isinstance(raw, dict):
            raise InvalidInputError("overrides: expected an object")
        merged: dict[str, dict[str, dict[str, dict[str, float]]]] = {
            s: {i: {k: dict(v) for k, v in secs.items()} for i, secs in self.overrides.get(s, {}).items()}
            for s in _SCOPES
        }
        for scope, by_id in raw.items():
            if scope not in _SCOPES:
                raise InvalidInputError(f"overrides: unknown scope {scope!r} (expected one of {_SCOPES})")
            if not isinstance(by_id, dict):
                raise InvalidInputError(f"overrides.{scope}: expected an object")
            for ident, sections in by_id.items():
                if not isinstance(sections, dict):
                    raise InvalidInputError(f"overrides.{scope}.{ident}: expected an object")
                target = merged[scope].setdefault(str(ident), {})
                for section, values in sections.items():
                    where = f"overrides.{scope}.{ident}"
                    target.setdefault(section, {}).update(_validate_section(section, values, self.defaults, where))
        return RuleConfig(defaults=self.defaults, overrides=merged)


def parse_defaults(raw: Any) -> RuleConfig:
    """Validate a defaults document (every value numeric and non-negative)."""
    if not isinstance(raw, dict):
        raise InvalidInputError("rule defaults: expected an object")
    defaults: dict[str, dict[str, float]] = {}
    for section, values in raw.items():
        if section.startswith("_"):
            continue
        if not isinstance(values, dict):
            raise InvalidInputError(f"rule defaults.{section}: expected an object")
        defaults[section] = _validate_section(section, values, {section: values}, "rule defaults")
    return RuleConfig(defaults=defaults)


def load_defaults(path: Path | None = None) -> RuleConfig:
    """Read and validate the defaults file."""
    target = path or DEFAULTS_PATH
    try:
        raw = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"cannot read rule defaults {target}: {exc}") from exc
    return parse_defaults(raw)
