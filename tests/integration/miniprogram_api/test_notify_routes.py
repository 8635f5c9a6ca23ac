"""Notifications in the API: the alarm detail says who was told, when, by which channel and with what outcome
(addresses masked, names in Chinese); the bureau lists the people no channel reaches."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from miniprogram_api.chalicelib.pagination import encode_cursor
from monitoring.accounts.models import Role
from monitoring.notify.models import Status
from monitoring.notify.ports import ChannelKind
from monitoring.notify.routing import RoutingTable
from monitoring.notify.sender import Sender
from monitoring.notify.service import NotifyService
from monitoring.notify.templates import TemplateBook
from monitoring.registry.models import Contact, ContactRole
from tests.integration.miniprogram_api.conftest import Api
from tests.integration.miniprogram_api.world import COUNTY
from tests.support.notify_loopback import LoopbackChannel, LoopbackProvider


def test_the_bureau_lists_people_no_channel_reaches_and_others_may_not(api: Api) -> None:
    reply = api.client.get("/notify/unreachable", token=api.token(Role.AIR))
    assert reply.status == 200, reply
    names = {(i["kind_name"], i["name"], i["role"]) for i in reply.json["items"]}
    # the test county's role accounts have neither phone nor openid
    assert ("平台账号", "branch 测试", "执法分局") in names and ("平台账号", "enterprise 测试", "企业") in names
    assert not any(i["name"] == "admin 测试" for i in reply.json["items"])  # admins are not told anything
    first = api.client.get("/notify/unreachable", token=api.token(Role.AIR), query={"limit": "1"})
    assert len(first.json["items"]) == 1 and first.json["next_cursor"]
    for role in (Role.BRANCH, Role.ENTERPRISE, Role.TOWN):
        denied = api.client.get("/notify/unreachable", token=api.token(role))
        assert denied.status == 403 and set(denied.json) == {"code", "message", "field"}


def test_alarm_detail_shows_who_was_told_when_how_and_the_outcome(api: Api) -> None:
    store, alarm_id = api.store, api.world.inside["alarm_id"]
    enterprise = store.registry.get_enterprise("ent-in")
    contacts = (Contact("王经理", ContactRole.ENVIRONMENT_MANAGER, phone="13800000001"),)
    store.registry.put_enterprise(dataclasses.replace(enterprise, contacts=contacts))
    alarm = store.alarms.get(alarm_id)
    now = datetime.now(UTC)
    decided = NotifyService(store, COUNTY).decide_alarms([alarm], now)
    assert decided
    provider = LoopbackProvider("aliyun")
    try:
        channels = {ChannelKind.SMS: [LoopbackChannel(provider.url, "aliyun_sms")]}
        settings = dataclasses.replace(RoutingTable.load().settings, coalesce_window=now - now)
        later = max(n.not_before for n in decided)
        Sender(store.outbox, channels, TemplateBook.load(), settings, lambda: later, owner="t").run_once()
    finally:
        provider.close()
    reply = api.client.get(f"/alarms/{alarm_id}", token=api.token(Role.ENTERPRISE))
    assert reply.status == 200, reply
    told = reply.json["notifications"]
    sms = next(n for n in told if n["recipient"] == "王经理")
    assert sms["channel"] == "sms" and sms["channel_name"] == "短信" and sms["address"] == "138****0001"
    assert sms["status"] == "sent" and sms["status_name"] == "已发送" and sms["provider"] == "aliyun_sms"
    assert sms["event_name"] == "报警" and sms["decided_at"].endswith("+08:00") and sms["sent_at"].endswith("+08:00")
    unreachable = [n for n in told if n["status"] == "unreachable"]
    assert unreachable and all(n["status_name"] == "无可用渠道" and n["address"] == "" for n in unreachable)
    assert b"13800000001" not in reply.body


def _bind_enterprise_account(api: Api, openid: str) -> None:
    account = next(a for a in api.store.accounts.list_accounts(COUNTY, Role.ENTERPRISE) if "ent-in" in a.enterprise_ids)
    api.store.accounts.put_account(dataclasses.replace(account, wechat_openid=openid))


def test_subscription_grants_are_counted_and_refused_without_wechat(api: Api) -> None:
    body = {"results": {"T1": "accept"}}
    unbound = api.client.post("/notify/subscriptions", token=api.token(Role.BRANCH), json_body=body)
    assert unbound.status == 409 and unbound.json["code"] == "wechat_not_bound"
    _bind_enterprise_account(api, "oENT-grants")
    token = api.token(Role.ENTERPRISE)
    answers = {"T-RAISED": "accept", "T-DISPATCH": "accept", "T-OFF": "reject"}
    first = api.client.post("/notify/subscriptions", token=token, json_body={"results": answers})
    assert first.status == 200, first
    assert first.json["grants"] == {"T-RAISED": 1, "T-DISPATCH": 1}
    again = api.client.post("/notify/subscriptions", token=token, json_body={"results": {"T-RAISED": "accept"}})
    assert again.json["grants"] == {"T-RAISED": 2, "T-DISPATCH": 1}
    banned = api.client.post("/notify/subscriptions", token=token, json_body={"results": {"T-DISPATCH": "ban"}})
    assert banned.json["grants"] == {"T-RAISED": 2}
    for bad in ({"results": {}}, {"results": {"a b": "accept"}}, {"results": {"T1": "yes"}}, {"T1": "accept"}):
        refused = api.client.post("/notify/subscriptions", token=token, json_body=bad)
        assert refused.status in (400, 422) and set(refused.json) == {"code", "message", "field"}, (bad, refused)


def test_a_subscribe_message_is_decided_only_with_a_grant_and_sending_uses_it(api: Api) -> None:
    store, alarm_id = api.store, api.world.inside["alarm_id"]
    _bind_enterprise_account(api, "oENT-decide")
    ids = {"alarm_raised": "T-RAISED"}
    alarm = store.alarms.get(alarm_id)
    now = datetime.now(UTC)
    wechat = [n for n in NotifyService(store, COUNTY, wechat_templates=ids).decide_alarms([alarm], now)]
    assert not [n for n in wechat if n.kind is ChannelKind.WECHAT_SUBSCRIBE]  # no grant: not decided
    assert store.outbox.change_subscription_grants("oENT-decide", {"T-RAISED": 1}) == {"T-RAISED": 1}
    # a new event (another alarm version would do; a fresh service with a new alarm id is simplest)
    other = dataclasses.replace(alarm, id=alarm.id + "-2")
    decided = NotifyService(store, COUNTY, wechat_templates=ids).decide_alarms([other], now)
    sub = [n for n in decided if n.kind is ChannelKind.WECHAT_SUBSCRIBE]
    assert [n.address for n in sub] == ["oENT-decide"] and sub[0].page.startswith("pages/enterprise/respond/respond")
    provider = LoopbackProvider("wechat")
    try:
        channels = {
            ChannelKind.WECHAT_SUBSCRIBE: [LoopbackChannel(provider.url, "wechat", ChannelKind.WECHAT_SUBSCRIBE)]
        }
        settings = dataclasses.replace(RoutingTable.load().settings, coalesce_window=now - now)
        later = max(n.not_before for n in decided)
        sender = Sender(
            store.outbox, channels, TemplateBook.load(), settings, lambda: later, owner="t", wechat_templates=ids
        )
        assert sender.run_once().sent >= 1
    finally:
        provider.close()
    assert store.outbox.find(sub[0].key).status.value == "sent"  # type: ignore[union-attr]
    assert store.outbox.subscription_grants("oENT-decide") == {}  # the one grant was used


def test_the_enterprise_sees_only_its_own_people_and_a_merged_entry_shows_the_outcome(api: Api) -> None:
    store, alarm_id = api.store, api.world.inside["alarm_id"]
    alarm = store.alarms.get(alarm_id)
    now = datetime.now(UTC)
    dispatched = dataclasses.replace(alarm, dispatched_to="branch-in", dispatched_at=now)
    decided = NotifyService(store, COUNTY).decide_alarms([dispatched], now)
    assert {n.audience for n in decided} >= {"enterprise_accounts", "branch_staff"}
    by_air = api.client.get(f"/alarms/{alarm_id}", token=api.token(Role.AIR)).json["notifications"]
    by_ent = api.client.get(f"/alarms/{alarm_id}", token=api.token(Role.ENTERPRISE)).json["notifications"]
    assert "branch_staff" in {n["audience"] for n in by_air}
    assert by_ent and {n["audience"] for n in by_ent} <= {"enterprise_contacts", "enterprise_accounts", "installer"}
    first, second = store.outbox.get(decided[0].key), store.outbox.get(decided[1].key)
    sent_at = now.replace(microsecond=0)
    store.outbox.replace(
        dataclasses.replace(first, status=Status.SENT, provider="aliyun_sms", provider_id="BIZ-1", sent_at=sent_at)
    )
    store.outbox.replace(dataclasses.replace(second, status=Status.MERGED, merged_into=first.key, finished_at=now))
    told = api.client.get(f"/alarms/{alarm_id}", token=api.token(Role.AIR)).json["notifications"]
    merged = [n for n in told if n["merged"]]
    assert len(merged) == 1 and merged[0]["status"] == "sent" and merged[0]["provider"] == "aliyun_sms"
    assert merged[0]["sent_at"] is not None
    # the provider's id of the message (BizId), to trace it with the provider; empty for what was not sent
    assert merged[0]["provider_id"] == "BIZ-1"
    assert all(n["provider_id"] for n in told if n["status"] == "sent")
    assert all(n["provider_id"] == "" for n in told if n["status"] == "queued")


def test_the_bureau_reads_the_outbox_newest_first_masked_filtered_and_paged(api: Api) -> None:
    store, alarm_id = api.store, api.world.inside["alarm_id"]
    enterprise = store.registry.get_enterprise("ent-in")
    contacts = (Contact("王经理", ContactRole.ENVIRONMENT_MANAGER, phone="13800000001"),)
    store.registry.put_enterprise(dataclasses.replace(enterprise, contacts=contacts))
    now = datetime.now(UTC)
    NotifyService(store, COUNTY).decide_alarms([store.alarms.get(alarm_id)], now)
    decided = store.outbox.recent(now - timedelta(days=1), now + timedelta(days=1), limit=200)[0]
    sms_key = next(n.key for n in decided if n.kind is ChannelKind.SMS and n.recipient_name == "王经理")
    failed = store.outbox.get(sms_key)
    store.outbox.replace(
        dataclasses.replace(failed, status=Status.FAILED, provider="aliyun_sms", error="isv.MOBILE_NUMBER_ILLEGAL")
    )
    token = api.token(Role.ADMIN)
    reply = api.client.get("/notify/outbox", token=token)
    assert reply.status == 200, reply
    items = reply.json["items"]
    assert len(items) == len(decided)
    sms = next(i for i in items if i["status"] == "failed")
    assert sms["address"] == "138****0001" and sms["recipient"] == "王经理" and sms["status_name"] == "发送失败"
    assert sms["error"] == "isv.MOBILE_NUMBER_ILLEGAL" and sms["provider"] == "aliyun_sms"
    assert sms["alarm_id"] == failed.alarm_id and sms["enterprise_id"] == "ent-in" and sms["enterprise_name"]
    assert sms["decided_at"].endswith("+08:00") and sms["template"]
    assert b"13800000001" not in reply.body
    only = api.client.get("/notify/outbox", token=token, query={"status": "failed"})
    assert [(i["channel"], i["status"]) for i in only.json["items"]] == [("sms", "failed")]
    none = api.client.get("/notify/outbox", token=token, query={"channel": "wecom_robot"})
    assert none.status == 200 and none.json["items"] == []
    # paging: one at a time, every entry exactly once, newest first
    seen, cursor = [], None
    while True:
        page = api.client.get(
            "/notify/outbox", token=token, query={"limit": "1", **({"cursor": cursor} if cursor else {})}
        )
        assert page.status == 200, page
        seen += [(i["decided_at"], i["recipient"], i["channel"]) for i in page.json["items"]]
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == len(decided)
    assert [s[0] for s in seen] == sorted((s[0] for s in seen), reverse=True)
    old = api.client.get("/notify/outbox", token=token, query={"decided_to": "2020-01-01T00:00:00+08:00"})
    assert old.status == 422 or old.json["items"] == []
    ancient = api.client.get("/notify/outbox", token=token, query={"decided_to": "0001-01-02T00:00:00+08:00"})
    assert ancient.status == 422 and set(ancient.json) == {"code", "message", "field"}
    bad = api.client.get("/notify/outbox", token=token, query={"cursor": "bm90LWEtY3Vyc29y"})
    assert bad.status == 422 and bad.json["field"] == "cursor"
    # a well-formed cursor far outside the window would make the store scan every month down to it: refused
    far = encode_cursor({"p": "9999-12-31T00:00:00+00:00#k"})
    refused = api.client.get("/notify/outbox", token=token, query={"cursor": far})
    assert refused.status == 422 and refused.json["code"] == "invalid_cursor"
    wide = api.client.get(
        "/notify/outbox",
        token=token,
        query={"decided_from": "2026-01-01T00:00:00+08:00", "decided_to": "2026-12-01T00:00:00+08:00"},
    )
    assert wide.status == 422 and wide.json["field"] == "decided_from" and wide.json["message"]
    for role in (Role.BRANCH, Role.ENTERPRISE, Role.TOWN, Role.EMERGENCY):
        denied = api.client.get("/notify/outbox", token=api.token(role))
        assert denied.status == 403 and set(denied.json) == {"code", "message", "field"}
