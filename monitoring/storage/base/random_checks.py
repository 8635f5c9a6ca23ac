"""Random-inspection storage logic: records as versioned JSON documents of three kinds (pool, draw, check), each
under a key and listed by a group (pools and draws by county, checks by draw); the adapter stores documents."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import TypeVar

from monitoring.errors import ConflictError, NotFoundError
from monitoring.random_checks.models import Check, Draw, InspectorPool
from monitoring.registry.models import check_id
from monitoring.storage import codec

R = TypeVar("R", InspectorPool, Draw, Check)


class RandomChecksRepositoryBase(ABC):
    """Implements `monitoring.random_checks.ports.RandomChecksRepository` over document primitives."""

    @abstractmethod
    def _put_doc(self, kind: str, key: str, group: str, body: str, version: int, expected: int) -> None:
        """Store the document if the stored version is `expected` (0: absent), else ConflictError."""

    @abstractmethod
    def _get_doc(self, kind: str, key: str) -> str | None: ...

    @abstractmethod
    def _list_docs(self, kind: str, group: str) -> list[str]: ...

    def _put(self, kind: str, key: str, group: str, record: R) -> R:
        stored = dataclasses.replace(record, version=record.version + 1)
        self._put_doc(kind, key, group, codec.dumps(stored), stored.version, record.version)
        return stored

    # ---- pools -------------------------------------------------------------------------------------------------
    def put_pool(self, pool: InspectorPool) -> InspectorPool:
        return self._put("pool", f"{pool.county_id}#{pool.branch_id}", pool.county_id, pool)

    def get_pool(self, county_id: str, branch_id: str) -> InspectorPool | None:
        body = self._get_doc("pool", f"{check_id(county_id, 'county_id')}#{check_id(branch_id, 'branch_id')}")
        return None if body is None else codec.loads(InspectorPool, body)

    # ---- draws -------------------------------------------------------------------------------------------------
    def put_draw(self, draw: Draw) -> Draw:
        return self._put("draw", draw.draw_id, draw.county_id, draw)

    def get_draw(self, draw_id: str) -> Draw:
        body = self._get_doc("draw", check_id(draw_id, "draw_id"))
        if body is None:
            raise NotFoundError(f"抽查批次 {draw_id} 不存在")
        return codec.loads(Draw, body)

    def list_draws(self, county_id: str, *, branch_id: str | None = None, period: str | None = None) -> list[Draw]:
        draws = [codec.loads(Draw, b) for b in self._list_docs("draw", check_id(county_id, "county_id"))]
        draws = [d for d in draws if branch_id in (None, d.branch_id) and period in (None, d.period)]
        return sorted(draws, key=lambda d: (d.branch_id, d.period, d.generation))

    # ---- checks ------------------------------------------------------------------------------------------------
    def put_check(self, check: Check) -> Check:
        if check.version == 0:
            self.get_draw(check.draw_id)  # a check belongs to a stored draw
        return self._put("check", check.check_id, check.draw_id, check)

    def get_check(self, check_id_: str) -> Check:
        body = self._get_doc("check", check_id(check_id_, "check_id"))
        if body is None:
            raise NotFoundError(f"抽查任务 {check_id_} 不存在")
        return codec.loads(Check, body)

    def checks_of(self, draw_id: str) -> list[Check]:
        checks = [codec.loads(Check, b) for b in self._list_docs("check", check_id(draw_id, "draw_id"))]
        return sorted(checks, key=lambda c: c.check_id)


def version_conflict(kind: str, key: str) -> ConflictError:
    return ConflictError(f"{kind} {key}: stored version differs (changed meanwhile, or exists already)")
