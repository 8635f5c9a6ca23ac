"""Contract suite of the accounts repository on every store: versions, uniqueness claims (also under
concurrency), lookups by user name, phone and openid, refresh families and tokens, invitations, SMS codes."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.accounts.errors import DuplicateError
from monitoring.accounts.models import Account, Invitation, RefreshFamily, RefreshToken, Role, SmsCode
from monitoring.errors import ConflictError, NotFoundError
from monitoring.storage.dynamodb.accounts import DynamoDBAccountsRepository
from monitoring.storage.ports import Store

pytestmark = pytest.mark.contract
T = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _account(aid: str = "u1", username: str = "Zhang.San", phone: str = "13800000001", **kw: object) -> Account:
    fields: dict[str, object] = {
        "id": aid,
        "username": username,
        "display_name": "张三",
        "role": Role.TOWN,
        "county_id": "320682",
        "phone": phone,
        "town_id": "T01",
        "created_at": T,
        "updated_at": T,
    }
    fields.update(kw)
    return Account(**fields)  # type: ignore[arg-type]


def test_put_get_roundtrip_and_versions(store: Store) -> None:
    repo = store.accounts
    stored = repo.put_account(_account())
    assert stored.version == 1 and repo.get_account("u1") == stored
    updated = repo.put_account(dataclasses.replace(stored, display_name="张三丰", locked_until=T))
    assert updated.version == 2 and repo.get_account("u1") == updated
    with pytest.raises(ConflictError):
        repo.put_account(dataclasses.replace(stored, display_name="旧版本"))  # version 1 is stale
    with pytest.raises(ConflictError):
        repo.put_account(_account())  # version 0: must not exist
    assert repo.get_account("u1").display_name == "张三丰"
    with pytest.raises(NotFoundError):
        repo.get_account("nobody")
    assert repo.find_account("nobody") is None


def test_lookups_by_username_phone_openid(store: Store) -> None:
    repo = store.accounts
    stored = repo.put_account(_account(wechat_openid="oX1"))
    assert repo.find_by_username("zhang.san") == stored  # case-insensitive
    assert repo.find_by_username("ZHANG.SAN") == stored
    assert repo.find_by_phone("13800000001") == stored
    assert repo.find_by_openid("oX1") == stored
    assert repo.find_by_phone("") is None and repo.find_by_openid("") is None
    assert repo.find_by_username("li.si") is None and repo.find_by_phone("13900000000") is None


def test_changing_a_unique_field_moves_its_claim(store: Store) -> None:
    repo = store.accounts
    stored = repo.put_account(_account(wechat_openid="oX1"))
    moved = repo.put_account(dataclasses.replace(stored, username="zs.new", phone="", wechat_openid=None))
    assert repo.find_by_username("zhang.san") is None and repo.find_by_username("zs.new") == moved
    assert repo.find_by_phone("13800000001") is None and repo.find_by_openid("oX1") is None
    # The released values are free for another account.
    other = repo.put_account(_account("u2", username="Zhang.San", phone="13800000001", wechat_openid="oX1"))
    assert repo.find_by_username("zhang.san") == other and repo.find_by_openid("oX1") == other


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": "ZHANG.san"}, "username"),
        ({"phone": "13800000001"}, "phone"),
        ({"wechat_openid": "oX1"}, "openid"),
    ],
)
def test_unique_fields_refuse_a_second_account(store: Store, change: dict[str, object], field: str) -> None:
    repo = store.accounts
    repo.put_account(_account(wechat_openid="oX1"))
    fields: dict[str, object] = {"username": "li.si", "phone": "13900000002", "wechat_openid": "oY"} | change
    with pytest.raises(DuplicateError) as caught:
        repo.put_account(_account("u2", **fields))  # type: ignore[arg-type]
    assert caught.value.field == field
    assert repo.find_account("u2") is None  # nothing half-written
    assert repo.find_by_username("li.si") is None and repo.find_by_phone("13900000002") is None
    # and an update of another account into the taken value is refused the same way
    second = repo.put_account(_account("u3", username="wang.wu", phone="13900000003"))
    with pytest.raises(DuplicateError):
        repo.put_account(dataclasses.replace(second, **{k: v for k, v in fields.items() if k in change}))  # type: ignore[arg-type]
    assert repo.get_account("u3") == second


def test_uniqueness_holds_under_concurrency(store: Store) -> None:
    repo = store.accounts
    results: list[str] = []
    barrier = threading.Barrier(6)

    def create(i: int) -> None:
        barrier.wait()
        try:
            repo.put_account(_account(f"c{i}", username="same.name", phone=f"1380000010{i}"))
            results.append("ok")
        except ConflictError:
            results.append("conflict")

    threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["conflict"] * 5 + ["ok"]
    winner = repo.find_by_username("same.name")
    assert winner is not None
    # Only the winner's phone claim exists: the losers left nothing behind.
    assert [repo.find_by_phone(f"1380000010{i}") is not None for i in range(6)].count(True) == 1


def test_list_accounts_by_county_and_role(store: Store) -> None:
    repo = store.accounts
    repo.put_account(_account("u1", username="b.user", phone=""))
    repo.put_account(_account("u2", username="a.user", phone="", role=Role.VIEWER, town_id=None))
    repo.put_account(_account("u3", username="c.user", phone="", county_id="320000"))
    assert [a.username for a in repo.list_accounts("320682")] == ["a.user", "b.user"]
    assert [a.id for a in repo.list_accounts("320682", Role.VIEWER)] == ["u2"]
    assert repo.list_accounts("999999") == []


def test_refresh_families_and_tokens(store: Store) -> None:
    repo = store.accounts
    family = repo.put_refresh_family(RefreshFamily("f1", "u1", "web", T))
    assert repo.get_refresh_family("f1") == family and family.version == 1
    repo.put_refresh_family(RefreshFamily("f2", "u1", "miniprogram", T + timedelta(seconds=1)))
    repo.put_refresh_family(RefreshFamily("f3", "u2", "web", T))
    assert [f.family_id for f in repo.families_of("u1")] == ["f1", "f2"]
    revoked = repo.put_refresh_family(dataclasses.replace(family, revoked_at=T))
    with pytest.raises(ConflictError):
        repo.put_refresh_family(dataclasses.replace(family, revoked_at=None))  # stale
    assert repo.get_refresh_family("f1") == revoked
    token = repo.put_refresh_token(RefreshToken("h" * 64, "f1", "u1", "web", T, T + timedelta(days=30)))
    assert repo.get_refresh_token("h" * 64) == token and repo.get_refresh_token("x" * 64) is None
    used = repo.put_refresh_token(dataclasses.replace(token, used_at=T))
    with pytest.raises(ConflictError):  # a second "mark used" from the same read loses
        repo.put_refresh_token(dataclasses.replace(token, used_at=T + timedelta(seconds=1)))
    assert repo.get_refresh_token("h" * 64) == used


def test_invitations_and_sms_codes(store: Store) -> None:
    repo = store.accounts
    inv = repo.put_invitation(Invitation("c" * 64, "u1", T, T + timedelta(hours=72)))
    assert repo.get_invitation("c" * 64) == inv and repo.get_invitation("d" * 64) is None
    repo.put_invitation(dataclasses.replace(inv, used_at=T))
    with pytest.raises(ConflictError):
        repo.put_invitation(dataclasses.replace(inv, used_at=T))
    code = repo.put_sms_code(
        SmsCode("13800000001", "s" * 64, T, T + timedelta(minutes=5), day="2026-12-01", sent_today=1)
    )
    assert repo.get_sms_code("13800000001") == code and repo.get_sms_code("13800000002") is None
    with pytest.raises(ConflictError):
        repo.put_sms_code(SmsCode("13800000001", "t" * 64, T, T + timedelta(minutes=5)))


def test_invitations_of_an_account(store: Store) -> None:
    repo = store.accounts
    repo.put_invitation(Invitation("b" * 64, "u1", T + timedelta(minutes=1), T + timedelta(hours=72)))
    repo.put_invitation(Invitation("a" * 64, "u1", T, T + timedelta(hours=72)))
    repo.put_invitation(Invitation("c" * 64, "u2", T, T + timedelta(hours=72)))
    assert [i.code_hash[0] for i in repo.invitations_of("u1")] == ["a", "b"]
    assert repo.invitations_of("u3") == []


def test_purge_expired_removes_documents_past_use(store: Store) -> None:
    repo = store.accounts
    account = repo.put_account(_account())
    family = repo.put_refresh_family(RefreshFamily("f1", "u1", "web", T))
    repo.put_refresh_token(RefreshToken("h" * 64, "f1", "u1", "web", T, T + timedelta(days=30)))
    repo.put_refresh_token(RefreshToken("k" * 64, "f1", "u1", "web", T, T + timedelta(days=60)))
    repo.put_invitation(Invitation("c" * 64, "u1", T, T + timedelta(hours=72)))
    repo.put_sms_code(SmsCode("13800000001", "s" * 64, T, T + timedelta(minutes=5)))
    if isinstance(repo, DynamoDBAccountsRepository):
        # DynamoDB's TTL deletes them: each carries the TTL attribute, a day after its own expiry
        item = repo._model.get("acct#refresh#" + "h" * 64, "doc", consistent_read=True)
        assert item.expires_at == T + timedelta(days=31)
        assert repo.purge_expired(T + timedelta(days=90)) == 0
        return
    assert repo.purge_expired(T + timedelta(days=2)) == 0  # nothing past use yet (the invitation: a day after)
    assert repo.purge_expired(T + timedelta(days=4, seconds=1)) == 2  # invitation, SMS record
    assert repo.get_invitation("c" * 64) is None and repo.get_sms_code("13800000001") is None
    assert repo.get_refresh_token("h" * 64) is not None
    assert repo.purge_expired(T + timedelta(days=32)) == 1
    assert repo.get_refresh_token("h" * 64) is None and repo.get_refresh_token("k" * 64) is not None
    # accounts and families are never purged
    assert repo.get_account("u1") == account and repo.get_refresh_family("f1") == family
