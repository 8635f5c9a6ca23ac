"""Accounts administration over HTTP: create, edit with its version, paging, and what /me tells a client."""

from __future__ import annotations

import pytest

from monitoring.accounts.models import Role
from tests.integration.miniprogram_api.conftest import Api

pytestmark = pytest.mark.integration


def test_create_edit_with_version_and_a_stale_version_is_409(api: Api) -> None:
    admin = api.token(Role.ADMIN)
    made = api.client.post(
        "/accounts",
        token=admin,
        json_body={
            "username": "new_installer",
            "display_name": "安装单位甲",
            "role": "installer",
            "enterprise_ids": ["ent-in"],
        },
    )
    assert made.status == 201, made
    account = made.json
    assert account["created_at"].endswith("+08:00") and account["role_name"] == "安装/运维单位"
    edit = {"version": account["version"], "terminal_mns": ["88888880000001"], "display_name": "安装单位乙"}
    edited = api.client.request("PATCH", f"/accounts/{account['id']}", token=admin, json_body=edit)
    assert edited.status == 200 and edited.json["terminal_mns"] == ["88888880000001"]
    assert edited.json["enterprise_ids"] == ["ent-in"] and edited.json["version"] == account["version"] + 1
    stale = api.client.request("PATCH", f"/accounts/{account['id']}", token=admin, json_body=edit)
    assert (stale.status, stale.json["code"]) == (409, "conflict")
    broken = {"version": edited.json["version"], "enterprise_ids": [], "terminal_mns": []}
    refused = api.client.request("PATCH", f"/accounts/{account['id']}", token=admin, json_body=broken)
    assert (refused.status, refused.json["field"]) == (422, "enterprise_ids")
    duplicate = api.client.post(
        "/accounts", token=admin, json_body={"username": "new_installer", "display_name": "重名", "role": "viewer"}
    )
    assert (duplicate.status, duplicate.json["code"], duplicate.json["field"]) == (409, "duplicate", "username")
    weak = api.client.post(
        "/accounts",
        token=admin,
        json_body={"username": "weak_pw", "display_name": "弱密码", "role": "viewer", "password": "12345678"},
    )
    assert (weak.status, weak.json["field"]) == (422, "password")


def test_account_list_pages_through_everyone_once(api: Api) -> None:
    admin, seen, cursor = api.token(Role.ADMIN), [], None
    while True:
        page = api.client.get("/accounts", token=admin, query={"limit": 3, **({"cursor": cursor} if cursor else {})})
        assert page.status == 200
        seen += [a["username"] for a in page.json["items"]]
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) >= len(Role) and "other_county" not in seen  # another county: not listed
    branch_only = api.client.get("/accounts", token=admin, query={"role": "branch"}).json["items"]
    # the world's branch accounts (the matrix's and the 双随机 inspectors), and only they
    assert {a["role"] for a in branch_only} == {"branch"} and api.world.accounts[Role.BRANCH].username in {
        a["username"] for a in branch_only
    }


def test_me_lists_what_the_role_may_do(api: Api) -> None:
    admin = api.client.get("/me", token=api.token(Role.ADMIN)).json["actions"]
    viewer = api.client.get("/me", token=api.token(Role.VIEWER)).json["actions"]
    assert "accounts.create" in admin and "accounts.create" not in viewer and "me.read" in viewer


def test_inviting_a_disabled_account_is_a_conflict_not_a_sign_in_failure(api: Api) -> None:
    admin = api.token(Role.ADMIN)
    made = api.client.post(
        "/accounts", token=admin, json_body={"username": "gone_soon", "display_name": "停用", "role": "viewer"}
    )
    assert api.client.post(f"/accounts/{made.json['id']}/disable", token=admin).status == 200
    reply = api.client.post(f"/accounts/{made.json['id']}/invite", token=admin)
    assert (reply.status, reply.json["code"]) == (409, "account_disabled")
