"""The terminal directory's answers for one connection, per (MN, PW) pair, so each pair is looked up once.

A connection holds its own pair in two slots (no dict for the common case); further pairs (a data logger
relaying other instruments) go to a dict, up to MAX_IDENTITIES pairs in all.
"""

from __future__ import annotations

from iot_ingest.ports import AuthStatus

MAX_IDENTITIES = 16  # distinct MN/PW pairs one connection may use (a data logger relaying a few instruments)

Identity = tuple[str, str | None]  # (MN, PW)
Answer = tuple[AuthStatus, bool]  # (status, uses CRC-16/MODBUS)


class AuthCache:
    """Directory answers of one connection; `full` once MAX_IDENTITIES pairs are known."""

    __slots__ = ("_key", "_answer", "_more")

    def __init__(self) -> None:
        self._key: Identity | None = None
        self._answer: Answer | None = None
        self._more: dict[Identity, Answer] | None = None

    def get(self, key: Identity) -> Answer | None:
        if key == self._key:
            return self._answer
        return self._more.get(key) if self._more is not None else None

    def put(self, key: Identity, answer: Answer) -> None:
        if self._key is None or key == self._key:
            self._key, self._answer = key, answer
        else:
            if self._more is None:
                self._more = {}
            self._more[key] = answer

    def __len__(self) -> int:
        return (self._key is not None) + len(self._more or ())

    @property
    def full(self) -> bool:
        """A new pair would cost another registry lookup: a peer cycling through pairs is cut off here."""
        return len(self) >= MAX_IDENTITIES
