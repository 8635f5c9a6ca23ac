"""Rule state logic: opaque JSON documents by key, copied in and out, keys listed by prefix in order."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from monitoring.errors import InvalidInputError


class RuleStateRepositoryBase(ABC):
    """Implements `monitoring.rules.ports.RuleStateRepository` over storage primitives. The documents are the
    rule engine's (watermarks, daily figures, baselines); the store never looks inside them."""

    @abstractmethod
    def _get_doc(self, key: str) -> dict[str, Any] | None:
        """A fresh copy of the stored document (callers may change what they get)."""

    @abstractmethod
    def _put_doc(self, key: str, doc: dict[str, Any]) -> None:
        """Insert or replace, keeping a copy (later changes to `doc` do not reach the store)."""

    @abstractmethod
    def _delete_doc(self, key: str) -> None:
        """Remove the document; an absent key is fine."""

    @abstractmethod
    def _keys(self, prefix: str) -> list[str]:
        """Keys starting with `prefix`, any order."""

    def _documents(self, prefix: str, start: str) -> dict[str, dict[str, Any]]:
        """Documents under keys starting with `prefix`, from `prefix + start` on, any order; a backend that reads
        them in one request overrides this (the keys, then each document)."""
        found = {key: self._get_doc(key) for key in self._keys(prefix) if key >= prefix + start}
        return {key: doc for key, doc in found.items() if doc is not None}

    def get(self, key: str) -> dict[str, Any] | None:
        return self._get_doc(key)

    def put(self, key: str, value: dict[str, Any]) -> None:
        if not key:
            raise InvalidInputError("rule state key must not be empty")
        if not isinstance(value, dict):
            raise InvalidInputError(f"rule state {key!r}: a document is a dict, not {type(value).__name__}")
        self._put_doc(key, value)

    def delete(self, key: str) -> None:
        self._delete_doc(key)

    def keys(self, prefix: str) -> list[str]:
        return sorted(self._keys(prefix))

    def documents(self, prefix: str, start: str = "") -> dict[str, dict[str, Any]]:
        return dict(sorted(self._documents(prefix, start).items()))
