"""Protocol-profile model: which (ST, CN) means what, and which factor code is which quantity.

A profile is data (data/profiles/*.json, parsed by loader.py); these frozen classes are its validated
form. Matching is pure: `Profile.message_for(st, cn)` and `Profile.factor_for(code, field)`.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

# What a (ST, CN) pair is used for. The first four produce readings of that kind.
READING_KINDS: Final = ("realtime", "minute", "hour", "day")
# "info" (e.g. 3020) may carry both values (real-time readings) and SOE items (events).
MESSAGE_KINDS: Final = (*READING_KINDS, "event", "info", "restart", "time", "ignore")

# CP item fields that carry a value, and the statistic each one is (HJ 212-2017 表4).
VALUE_FIELDS: Final[Mapping[str, str]] = {
    "Rtd": "value",
    "Avg": "avg",
    "Min": "min",
    "Max": "max",
    "Cou": "cou",
    "Info": "value",
    "Data": "value",
    "RS": "value",
    "RT": "value",
}
# CP item fields that describe a value rather than carry one.
META_FIELDS: Final = frozenset({"Flag", "EFlag", "SampleTime"})

_MEMO_LIMIT: Final = 20_000

# Terminal SOE kinds of the Event model (monitoring.events.models.EventKind, terminal source).
EVENT_TYPES: Final = ("power_loss", "power_restore", "over_limit", "param_change")


@dataclass(frozen=True, slots=True)
class MessageRule:
    """(ST, CN) → what the frame is. st "*" matches every system code."""

    st: str
    cn: str
    kind: str


@dataclass(frozen=True, slots=True)
class FactorRule:
    """A factor code (exact or with one {ch} suffix) and the CP fields mapped to one quantity."""

    code: str  # as written in the profile, e.g. "Ua{ch}" or "g208{ch:2}"
    quantity: str
    scale: float  # unit conversion × extra profile scale: stored = raw × scale
    fields: frozenset[str]
    channel: str | None  # fixed channel or a template with {ch} (the suffix as sent); None → suffix or default
    regex: re.Pattern[str] | None = field(default=None, compare=False)  # None for exact codes

    def match(self, code: str) -> str | None | bool:
        """False if `code` is not this rule's; else the channel suffix it carries (None if none)."""
        if self.regex is None:
            return None if code == self.code else False
        m = self.regex.fullmatch(code)
        return m.group("ch") if m else False


@dataclass(frozen=True, slots=True)
class EventSpec:
    """How a terminal reports SOE: scalars naming the event, its millisecond time, its channel."""

    type_field: str
    time_field: str
    channel_field: str  # holds a channel, or a factor code whose digit suffix is the channel
    detail_fields: tuple[str, ...]
    types: Mapping[str, str]  # terminal code → EVENT_TYPES member


class LruCache:
    """A map of at most `limit` entries, the least recently used dropped first (a hostile terminal may invent
    endless layouts). Threads may share it: a lost race costs a recomputation, never a wrong value."""

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        """The value kept for `key` (now the most recently used), or None."""
        value = self._entries.get(key)
        if value is not None:
            try:
                self._entries.move_to_end(key)
            except KeyError:  # dropped meanwhile by another thread: the value is still right
                pass
        return value

    def put(self, key: Hashable, value: Any, limit: int) -> None:
        """Keep `value` for `key`, dropping the least recently used beyond `limit`."""
        self._entries[key] = value
        while len(self._entries) > limit:
            try:
                self._entries.popitem(last=False)
            except KeyError:
                break

    def keys(self) -> list[Hashable]:
        """The keys, least recently used first."""
        return list(self._entries)


@dataclass(frozen=True, slots=True)
class Profile:
    """A validated protocol profile."""

    id: str
    name: str
    source: str  # file it was loaded from, for error messages and provenance
    assumptions: tuple[str, ...]
    default_channel: str
    messages: tuple[MessageRule, ...]
    factors: tuple[FactorRule, ...]
    events: EventSpec | None
    gps: Mapping[str, str] = field(default_factory=dict)  # "lat"/"lon" → factor code carrying it
    secondary_values: bool = False  # the terminal reports CT/PT secondary values: decode applies the point's ratios
    # Caches bound to this object (init=False: `dataclasses.replace` gives the changed profile empty ones, so it
    # never uses an answer computed from the old rules). Compiled mappings per frame layout, see
    # monitoring.profiles.mapping.compiled_plan.
    _memo: dict[tuple[str, str], tuple[FactorRule, str] | None] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    plans: LruCache = field(default_factory=LruCache, init=False, compare=False, repr=False)

    def message_for(self, st: str | None, cn: str | None) -> MessageRule | None:
        """The rule for this (ST, CN): an exact ST beats "*"; None when the profile does not know it."""
        fallback = None
        for rule in self.messages:
            if rule.cn != cn:
                continue
            if rule.st == st:
                return rule
            if rule.st == "*" and fallback is None:
                fallback = rule
        return fallback

    def factor_for(self, code: str, field_name: str) -> tuple[FactorRule, str] | None:
        """The rule mapping this CP item field, and its channel; exact codes beat suffix patterns."""
        key = (code, field_name)
        if key in self._memo:
            return self._memo[key]
        found = self._factor_for(code, field_name)
        if len(self._memo) < _MEMO_LIMIT:  # bounded: a hostile terminal may invent endless codes
            self._memo[key] = found
        return found

    def _factor_for(self, code: str, field_name: str) -> tuple[FactorRule, str] | None:
        best: tuple[FactorRule, str] | None = None
        for rule in self.factors:
            if field_name not in rule.fields:
                continue
            suffix = rule.match(code)
            if suffix is False:
                continue
            number = suffix if isinstance(suffix, str) and suffix else None
            if rule.channel:
                channel = rule.channel.replace("{ch}", number or "")
            else:
                channel = number if number is not None else self.default_channel
            if rule.regex is None:
                return rule, channel
            if best is None:
                best = (rule, channel)
        return best


def channel_key(channel: str) -> str:
    """Channels are compared with leading zeros ignored ("01" and "1" name one channel; "" stays "")."""
    if channel.isdigit():
        return channel.lstrip("0") or "0"
    return channel
