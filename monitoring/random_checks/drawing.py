"""The draw itself, pure and reproducible (algorithm "sha256-rank-v1"): every candidate is ranked by
SHA-256(seed "|" enterprise id), the N lowest are drawn; each drawn enterprise's two inspectors are the two pool
accounts ranked lowest by SHA-256(seed "|" enterprise id "|" account id). Input order never matters."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from monitoring.errors import InvalidInputError
from monitoring.random_checks.models import ALGORITHM, INSPECTORS_PER_CHECK, Draw, Exclusion
from monitoring.registry.models import Enterprise


def rank_key(*parts: str) -> str:
    """The hex SHA-256 of the parts joined by "|" (ids never hold "|"): a uniform, reproducible rank."""
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def split_candidates(enterprises: Iterable[Enterprise]) -> tuple[tuple[str, ...], tuple[Exclusion, ...]]:
    """The candidates (sorted ids) and the excluded with their reason: an enterprise exempted in the registry
    (豁免/免装) is not inspected for its terminal."""
    candidates: list[str] = []
    excluded: list[Exclusion] = []
    for e in enterprises:
        if e.exemption is not None:
            excluded.append(Exclusion(e.enterprise_id, f"豁免：{e.exemption.reason.label}"))
        else:
            candidates.append(e.enterprise_id)
    return tuple(sorted(candidates)), tuple(sorted(excluded, key=lambda x: x.enterprise_id))


def draw_enterprises(seed: str, candidates: Sequence[str], n: int) -> tuple[str, ...]:
    """The min(n, len(candidates)) candidates of lowest rank, in rank order."""
    ranked = sorted(set(candidates), key=lambda eid: (rank_key(seed, eid), eid))
    return tuple(ranked[:n])


def assign_inspectors(seed: str, enterprise_id: str, pool: Sequence[str]) -> tuple[str, ...]:
    """The two pool accounts of lowest rank for this enterprise (a fresh pair per enterprise)."""
    if len(set(pool)) < INSPECTORS_PER_CHECK:
        raise InvalidInputError(f"检查人员库不足 {INSPECTORS_PER_CHECK} 人，不能抽取")
    ranked = sorted(set(pool), key=lambda a: (rank_key(seed, enterprise_id, a), a))
    return tuple(ranked[:INSPECTORS_PER_CHECK])


def recompute(draw: Draw) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """The draw and the inspector pairs its recorded inputs give (to verify a stored draw)."""
    if draw.algorithm != ALGORITHM:
        raise InvalidInputError(f"未知的抽取算法 {draw.algorithm!r}")
    drawn = draw_enterprises(draw.seed, draw.candidates, draw.n)
    return drawn, {eid: assign_inspectors(draw.seed, eid, draw.pool) for eid in drawn}
