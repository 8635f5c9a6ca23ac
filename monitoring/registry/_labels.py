"""Enums whose stored value is an English code and whose user-facing label is Chinese."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from monitoring.errors import InvalidInputError


class LabelledEnum(StrEnum):
    """A StrEnum member is declared as ``NAME = ("code", "中文")``; `parse` accepts the code or the label."""

    label: str

    def __new__(cls, value: str, label: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member

    @classmethod
    def parse(cls, text: str) -> Self:
        """Return the member whose code or Chinese label equals `text` (stripped); InvalidInputError otherwise."""
        key = (text or "").strip()
        for member in cls:
            if key in (member.value, member.label):
                return member
        choices = "、".join(m.label for m in cls)
        raise InvalidInputError(f"无效的取值 {key!r}（可选：{choices}）")
