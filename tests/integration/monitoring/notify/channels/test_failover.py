"""The sender (notify-core) with the real SMS clients against their stubs: Aliyun throttled, down or misconfigured
→ the same message goes through Tencent; an invalid number is not tried on the second provider; both refusing
leaves it queued with back-off; each outcome recorded on the outbox entry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from local.provider_stubs.fleet import ProviderStubs
from monitoring.notify.channels.wiring import build_channels
from monitoring.notify.models import Notification, Status, outbox_key
from monitoring.notify.ports import ChannelKind
from monitoring.notify.routing import SendSettings
from monitoring.notify.sender import Sender
from monitoring.storage.memory import memory_store
from monitoring.storage.ports import Store
from tests.integration.monitoring.notify.channels.conftest import BOOK, VALUES

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
PHONE = "13812341234"


def _queued(store: Store, address: str = PHONE) -> Notification:
    r = BOOK.render("alarm_raised", ChannelKind.SMS, VALUES)
    n = Notification(
        key=outbox_key("alarm:A-1:raised", "contact:E1:0", ChannelKind.SMS),
        event_id="alarm:A-1:raised",
        event_kind="alarm_raised",
        kind=ChannelKind.SMS,
        recipient_id="contact:E1:0",
        recipient_name="张三",
        audience="enterprise_contacts",
        address=address,
        template="alarm_raised",
        params=r.params,
        text=r.text,
        created_at=NOW,
        not_before=NOW,
        alarm_id="A-1",
        enterprise_id="E1",
    )
    store.outbox.add([n])
    return n


def _run(stubs: ProviderStubs, store: Store) -> Notification:
    sender = Sender(
        store.outbox, build_channels(stubs.settings), BOOK, SendSettings(), lambda: NOW, owner="test-sender"
    )
    sender.run_once()
    (n,) = store.outbox.for_alarm("A-1")
    return n


@pytest.mark.parametrize("failure", ["throttle", "api_throttle", "5xx", "timeout", "amount", "invalid_template"])
def test_aliyun_failing_fails_over_to_tencent(stubs: ProviderStubs, failure: str) -> None:
    store = memory_store()
    _queued(store)
    stubs.aliyun.fail_next(failure)
    n = _run(stubs, store)
    assert (n.status, n.provider) == (Status.SENT, "tencent_sms")
    assert stubs.aliyun.accepted() == [] and [r.address for r in stubs.tencent.accepted()] == [PHONE]
    assert n.provider_id == stubs.tencent.accepted()[0].provider_id


def test_aliyun_accepting_leaves_tencent_alone(stubs: ProviderStubs) -> None:
    store = memory_store()
    _queued(store)
    n = _run(stubs, store)
    assert (n.status, n.provider) == (Status.SENT, "aliyun_sms") and stubs.tencent.calls == 0
    assert stubs.aliyun.accepted()[0].key == n.key  # the outbox key travels as Aliyun's OutId


def test_an_invalid_number_is_final_and_not_tried_elsewhere(stubs: ProviderStubs) -> None:
    store = memory_store()
    _queued(store, address="1381234")
    n = _run(stubs, store)
    assert (n.status, n.error, n.provider) == (Status.FAILED, "isv.MOBILE_NUMBER_ILLEGAL", "aliyun_sms")
    assert stubs.tencent.calls == 0


def test_both_providers_refusing_queues_it_again_with_back_off(stubs: ProviderStubs) -> None:
    store = memory_store()
    _queued(store)
    stubs.aliyun.fail_next("5xx")
    stubs.tencent.fail_next("daily_limit")
    n = _run(stubs, store)
    assert (n.status, n.attempts, n.error) == (Status.QUEUED, 1, "LimitExceeded.PhoneNumberDailyLimit")
    assert n.not_before > NOW
    assert stubs.aliyun.accepted() == [] and stubs.tencent.accepted() == []
