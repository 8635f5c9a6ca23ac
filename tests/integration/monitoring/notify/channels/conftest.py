"""The provider stub fleet on loopback, one per test module, with its scripts and records cleared per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.provider_stubs.fleet import ProviderStubs
from monitoring.notify.ports import ChannelKind, OutgoingMessage
from monitoring.notify.templates import TemplateBook

BOOK = TemplateBook.load()
VALUES = {"enterprise": "如皋市某某化工有限公司", "rule": "治污设施停运", "time": "2026-12-06 10:00", "alarm_id": "A-1"}


@pytest.fixture
def stubs() -> Iterator[ProviderStubs]:
    with ProviderStubs() as fleet:
        yield fleet


def message(kind: ChannelKind, address: str, template: str = "alarm_raised", key: str = "k-1") -> OutgoingMessage:
    """The project's own template rendered for `kind`, as the sender hands it to a channel."""
    r = BOOK.render(template, kind, VALUES, "enterprise_contacts")
    return OutgoingMessage(key, kind, address, template, r.params, r.text, r.page)
