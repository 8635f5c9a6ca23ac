"""`python -m monitoring users add|list|disable|enable|invite|passwd`: accounts for the bureau's administrator.
Every change is written to the audit trail with channel "cli". Bad input: a Chinese message and exit code 2."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TextIO

from monitoring._time import CHINA
from monitoring.accounts import binding, service
from monitoring.accounts.errors import AuthError, DuplicateError
from monitoring.accounts.models import ROLE_NAMES, Account, Role
from monitoring.accounts.passwords import check_policy
from monitoring.audit.models import AuditRecord
from monitoring.clock import Clock
from monitoring.errors import ConflictError, InvalidInputError, NotFoundError
from monitoring.storage.ports import Store

Prompt = Callable[[str], str]


def add_parser(sub: Any) -> None:
    """Register `users` on the monitoring CLI."""
    area = sub.add_parser("users", help="账号管理").add_subparsers(dest="action", required=True)
    add = area.add_parser("add", help="新建账号（默认交互输入密码）")
    add.add_argument("--username", required=True, help="用户名：3–32 位字母、数字、_ . -")
    add.add_argument("--name", required=True, help="姓名或单位名称")
    add.add_argument(
        "--role", required=True, help="角色：" + "、".join(f"{r.value}（{n}）" for r, n in ROLE_NAMES.items())
    )
    add.add_argument("--phone", default="", help="手机号（可用于登录和短信验证）")
    add.add_argument("--branch", help="执法分局（标识或名称），branch 角色必填")
    add.add_argument("--town", help="镇（街道）（标识或名称），town 角色必填")
    add.add_argument("--enterprise", action="append", default=[], help="企业（标识或名称，可重复）")
    add.add_argument("--terminal", action="append", default=[], help="终端 MN（可重复，安装/运维单位）")
    how = add.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")
    how.add_argument("--no-password", action="store_true", help="不设密码：只能用微信邀请码或短信验证码登录")
    lst = area.add_parser("list", help="列出账号")
    lst.add_argument("--role", help="只列某一角色")
    lst.add_argument("--json", action="store_true", help="输出 JSON")
    area.add_parser("disable", help="停用账号（并注销其全部登录）").add_argument("username")
    area.add_parser("enable", help="启用账号").add_argument("username")
    inv = area.add_parser("invite", help="生成微信绑定邀请码（一次有效）")
    inv.add_argument("username")
    inv.add_argument("--hours", type=int, default=72, help="有效小时数（默认 72）")
    pw = area.add_parser("passwd", help="重设密码（并注销其全部登录）")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")


def run_cli(args: argparse.Namespace, store: Store, out: TextIO, clock: Clock, *, prompt: Prompt | None = None) -> int:
    """Execute one `users` command; exit code 0, or 2 with a Chinese message on bad input. `prompt` asks for
    a password without echo (getpass, looked up when called)."""
    try:
        return _COMMANDS[args.action](args, store, out, clock, prompt or getpass.getpass)
    except (InvalidInputError, NotFoundError, ConflictError) as exc:
        print(f"错误：{getattr(exc, 'message', exc)}", file=out)
        return 2
    except AuthError as exc:
        print(f"错误：{exc.message}", file=out)
        return 2


def _add(args: argparse.Namespace, store: Store, out: TextIO, clock: Clock, prompt: Prompt) -> int:
    registry, county = store.registry, args.county_id
    branch = _pick("执法分局", args.branch, {b.branch_id: b.name for b in registry.list_branches(county)})
    town = _pick("镇（街道）", args.town, {t.town_id: t.name for t in registry.list_towns(county)})
    names = {e.enterprise_id: e.name for e in registry.list_enterprises(county)}
    enterprises = [_pick("企业", e, names) for e in args.enterprise]
    for mn in args.terminal:
        if registry.find_terminal(mn) is None:
            raise InvalidInputError(f"终端 {mn} 未登记")
    fields: dict[str, Any] = {
        "username": args.username,
        "display_name": args.name,
        "role": args.role,
        "county_id": county,
        "phone": args.phone,
        "branch_id": branch,
        "town_id": town,
        "enterprise_ids": tuple(e for e in enterprises if e),
        "terminal_mns": tuple(args.terminal),
    }
    Account(id="-", **fields)  # every field checked before a password is asked for
    if store.accounts.find_by_username(args.username) is not None:
        raise DuplicateError("username", f"用户名 {args.username} 已被其他账号使用")
    password = None if args.no_password else _password(args, prompt)
    account = service.create_account(store.accounts, clock.now(), password=password, **fields)
    _audit(store, clock, "account.create", account, {"username": account.username, "role": account.role.value})
    print(f"已创建账号 {account.username}（{account.display_name}，{account.role_name}）", file=out)
    return 0


def _list(args: argparse.Namespace, store: Store, out: TextIO, clock: Clock, prompt: Prompt) -> int:
    role = None if args.role is None else _role(args.role)
    accounts = store.accounts.list_accounts(args.county_id, role)
    if args.json:
        rows = [_json_row(a) for a in accounts]
        print(json.dumps(rows, ensure_ascii=False, indent=2), file=out)
        return 0
    from monitoring.cli_views import _table  # the CLI's one table printer

    registry, county = store.registry, args.county_id
    names = {b.branch_id: b.name for b in registry.list_branches(county)}
    names |= {t.town_id: t.name for t in registry.list_towns(county)}
    names |= {e.enterprise_id: e.name for e in registry.list_enterprises(county)}
    table = [["用户名", "姓名", "角色", "手机", "范围", "微信", "状态"]]
    for a in accounts:
        wechat = "已绑定" if a.wechat_openid else "-"
        scope = _scope(a, names)
        table.append([a.username, a.display_name, a.role_name, a.phone or "-", scope, wechat, _state(a, clock)])
    _table(table, out)
    print(f"共 {len(accounts)} 个账号", file=out)
    return 0


def _disable(args: argparse.Namespace, store: Store, out: TextIO, clock: Clock, prompt: Prompt) -> int:
    account = service.disable_account(store.accounts, _find(store, args.username).id, clock.now())
    _audit(store, clock, "account.disable", account, {"username": account.username})
    print(f"已停用账号 {account.username}，其全部登录已注销", file=out)
    return 0


def _enable(args: argparse.Namespace, store: Store, out: TextIO, clock: Clock, prompt: Prompt) -> int:
    account = service.enable_account(store.accounts, _find(store, args.username).id, clock.now())
    _audit(store, clock, "account.enable", account, {"username": account.username})
    print(f"已启用账号 {account.username}", file=out)
    return 0


def _invite(args: argparse.Namespace, store: Store, out: TextIO, clock: Clock, prompt: Prompt) -> int:
    account = _find(store, args.username)
    if not 1 <= args.hours <= 720:
        raise InvalidInputError("有效小时数须在 1 到 720 之间")
    now, ttl = clock.now(), timedelta(hours=args.hours)
    code = binding.create_invitation(store.accounts, account.id, now, ttl)
    expires = now + ttl
    _audit(store, clock, "account.invite", account, {"username": account.username, "hours": args.hours})
    print(f"邀请码：{code}", file=out)
    print(f"有效期至：{_local(expires)}（北京时间），仅可使用一次", file=out)
    return 0


def _passwd(args: argparse.Namespace, store: Store, out: TextIO, clock: Clock, prompt: Prompt) -> int:
    account = _find(store, args.username)
    password = _password(args, prompt)
    account = service.set_password(store.accounts, account.id, password, clock.now())
    _audit(store, clock, "account.password", account, {"username": account.username})
    print(f"已重设 {account.username} 的密码，其全部登录已注销", file=out)
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace, Store, TextIO, Clock, Prompt], int]] = {
    "add": _add,
    "list": _list,
    "disable": _disable,
    "enable": _enable,
    "invite": _invite,
    "passwd": _passwd,
}


def _password(args: argparse.Namespace, prompt: Prompt) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        check_policy(password.removesuffix("\r"))
        return password.removesuffix("\r")
    first = prompt("密码：")
    check_policy(first)
    if prompt("再次输入密码：") != first:
        raise InvalidInputError("两次输入的密码不一致")
    return first


def _pick(what: str, given: str | None, names: dict[str, str]) -> str | None:
    """The id for `given`, an id or an exact name; InvalidInputError when unknown or ambiguous."""
    if not given:
        return None
    if given in names:
        return given
    matches = [k for k, v in names.items() if v == given]
    if len(matches) != 1:
        raise InvalidInputError(f"{what} {given!r} 未登记" if not matches else f"{what}名称 {given!r} 不唯一，请用标识")
    return matches[0]


def _role(text: str) -> Role:
    for role, name in ROLE_NAMES.items():
        if text in (role.value, name):
            return role
    raise InvalidInputError(f"未知角色 {text!r}，可选：{'、'.join(r.value for r in Role)}")


def _find(store: Store, username: str) -> Account:
    account = store.accounts.find_by_username(username)
    if account is None:
        raise NotFoundError(f"账号 {username} 不存在")
    return account


def _audit(store: Store, clock: Clock, action: str, account: Account, detail: dict[str, Any]) -> None:
    store.audit_trail.append(
        AuditRecord(
            at=clock.now(),
            actor_id=f"cli:{_os_user()}",
            actor_role="cli",
            source_ip="",
            channel="cli",
            action=action,
            object_type="account",
            object_id=account.id,
            detail=detail,
        )
    )


def _os_user() -> str:
    try:
        return getpass.getuser()[:64] or "unknown"
    except (OSError, KeyError):  # no user name in the environment or the password database
        return "unknown"


def _scope(a: Account, names: dict[str, str]) -> str:
    """Branch, town and enterprises by name, terminals by MN; the county roles see the whole county."""
    parts = [names.get(p, p) for p in (a.branch_id, a.town_id, *a.enterprise_ids) if p] + list(a.terminal_mns)
    return "、".join(parts) if parts else "全县"


def _state(a: Account, clock: Clock) -> str:
    if a.disabled:
        return "已停用"
    if a.locked_until is not None and a.locked_until > clock.now():
        return f"锁定至 {_local(a.locked_until)}"
    return "正常"


def _local(t: datetime) -> str:
    return t.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _json_row(a: Account) -> dict[str, Any]:
    return {
        "id": a.id,
        "username": a.username,
        "display_name": a.display_name,
        "role": a.role.value,
        "phone": a.phone,
        "branch_id": a.branch_id,
        "town_id": a.town_id,
        "enterprise_ids": list(a.enterprise_ids),
        "terminal_mns": list(a.terminal_mns),
        "disabled": a.disabled,
        "wechat_bound": a.wechat_openid is not None,
        "created_at": a.created_at.astimezone(CHINA).isoformat(),
    }
