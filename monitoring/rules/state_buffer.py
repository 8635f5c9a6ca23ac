"""Rule-state writes of one evaluation tick, kept in memory and written together at its end.

More: docs/rules.md, "Module notes".
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import Any

from monitoring.rules.ports import RuleStateRepository

_DELETED = None


def _text(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class BufferedRuleState:
    """A RuleStateRepository view whose writes stay in memory until `flush` (or `merge` into a parent buffer)."""

    def __init__(self, inner: RuleStateRepository | BufferedRuleState) -> None:
        self.inner = inner
        self.pending: dict[str, str | None] = {}  # key → JSON text, or None for a delete
        # What the repository held when read (outermost buffer): a put of the same document is not written again.
        self._stored: dict[str, str | None] = {}

    def get(self, key: str) -> dict[str, Any] | None:
        if key in self.pending:
            text = self.pending[key]
            return None if text is _DELETED else dict(json.loads(text))
        found = self.inner.get(key)
        if not isinstance(self.inner, BufferedRuleState):
            self._stored[key] = None if found is None else _text(found)
        return found

    def put(self, key: str, value: dict[str, Any]) -> None:
        # Serialised now, as a store would: later changes to `value` by the caller are not written.
        self.pending[key] = _text(value)

    def delete(self, key: str) -> None:
        self.pending[key] = _DELETED

    def keys(self, prefix: str) -> list[str]:
        found = {k for k in self.inner.keys(prefix)}
        for key, text in self.pending.items():
            if key.startswith(prefix):
                (found.discard if text is _DELETED else found.add)(key)
        return sorted(found)

    def documents(self, prefix: str, start: str = "") -> dict[str, dict[str, Any]]:
        found = self.inner.documents(prefix, start)
        if not isinstance(self.inner, BufferedRuleState):
            self._stored.update((key, _text(doc)) for key, doc in found.items() if key not in self.pending)
        for key, text in self.pending.items():
            if key.startswith(prefix) and key >= prefix + start:
                if text is _DELETED:
                    found.pop(key, None)
                else:
                    found[key] = dict(json.loads(text))
        return dict(sorted(found.items()))

    def merge(self) -> None:
        """Hand the writes to the parent buffer (an enterprise that finished into the tick)."""
        if not isinstance(self.inner, BufferedRuleState):
            raise TypeError("merge() needs a parent buffer; use flush() on the outermost one")
        self.inner.pending.update(self.pending)
        self.pending.clear()

    def flush(self, transaction: AbstractContextManager[Any]) -> int:
        """Write what changed to the repository inside `transaction`; returns how many documents were written.
        A document equal to what the repository held when read is skipped: writes cost more than reads."""
        if isinstance(self.inner, BufferedRuleState):
            raise TypeError("flush() is for the outermost buffer; use merge() on a nested one")
        items = [(k, t) for k, t in self.pending.items() if k not in self._stored or self._stored[k] != t]
        with transaction:
            for key, text in items:
                if text is _DELETED:
                    self.inner.delete(key)
                else:
                    self.inner.put(key, json.loads(text))
        self.pending.clear()
        self._stored.clear()
        return len(items)
