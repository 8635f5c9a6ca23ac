"""Chain links logic: the global chain over delivered objects' manifests, one link per object, conditional on its
seq (a lost race raises ConflictError and the caller rebuilds on the new head, so two objects never fork it)."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod

from monitoring.archive.manifest import ChainLink
from monitoring.errors import InvalidInputError


def link_body(link: ChainLink) -> str:
    """A link's stored form (the key column holds its seq)."""
    body: dict[str, object] = {"o": link.object_key, "p": link.prev_hash, "h": link.hash, "r": link.records}
    body["n"] = link.mns
    if link.received is not None:
        body["f"], body["l"] = link.received
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def link_from(seq: int, body: str) -> ChainLink:
    d = json.loads(body)
    received = (int(d["f"]), int(d["l"])) if "f" in d and "l" in d else None
    return ChainLink(seq, str(d["o"]), str(d["p"]), str(d["h"]), int(d["r"]), int(d["n"]), received)


class ChainHeadsRepositoryBase(ABC):
    """Implements `ChainHeadsRepository` over storage primitives."""

    @abstractmethod
    def _insert(self, link: ChainLink) -> None:
        """Insert; raise ConflictError if its seq is taken."""

    @abstractmethod
    def _recent(self, limit: int) -> list[ChainLink]:
        """The newest links, newest first."""

    @abstractmethod
    def _links(self, from_seq: int, limit: int) -> list[ChainLink]:
        """Links with seq ≥ from_seq, ascending, at most `limit`."""

    def append(self, link: ChainLink) -> None:
        self._insert(link)

    def recent(self, limit: int = 8) -> list[ChainLink]:
        if not (1 <= limit <= 1_000):
            raise InvalidInputError("limit must be within 1..1000")
        return self._recent(limit)

    def head(self) -> ChainLink | None:
        recent = self._recent(1)
        return recent[0] if recent else None

    def at(self, seq: int) -> ChainLink | None:
        found = self._links(seq, 1) if seq >= 1 else []
        return found[0] if found and found[0].seq == seq else None

    def links(self, *, from_seq: int = 1, limit: int = 1_000) -> list[ChainLink]:
        if not (1 <= limit <= 10_000):
            raise InvalidInputError("limit must be within 1..10000")
        return self._links(max(1, from_seq), limit)
