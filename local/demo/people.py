"""The demo's people at work: enterprises respond, branch staff dispatch, verify and close, the 应急科 publishes and
ends an alert — all through the HTTP API, when the plan (local.demo.people_plan) says, on platform time."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path as FsPath
from typing import Any
from urllib.parse import quote

from local.clock import PlatformClock, load_timeline
from local.demo.api_client import ApiClient, ApiFailure
from local.demo.people_plan import RESPONDS, WORKED, Behaviour, Path, PeoplePlan, branch_username, password_for

log = logging.getLogger("local.demo.people")
OPEN_STATES = ("pending", "responded", "dispatched", "verified")
INVESTIGATION = timedelta(hours=24)  # the notice's limit: dispatched_at = investigation_due − 24 h
GIVE_UP_AFTER = 3  # failed attempts of one step on one alarm (conflicts are re-read and do not count)


class People:
    """One pass (`step`) does every action due at the platform's time; `start` runs passes on a thread."""

    def __init__(
        self,
        api_url: str,
        data_dir: FsPath,
        plan: PeoplePlan,
        *,
        admin: tuple[str, str],
        emergency: tuple[str, str],
        every_s: float = 2.0,
    ) -> None:
        self.api = ApiClient(api_url)
        self.data_dir, self.plan, self.every_s = data_dir, plan, every_s
        self.admin, self.emergency = admin, emergency
        self.behaviour = plan.by_enterprise_id()
        self.done: Counter[str] = Counter()  # action → times it succeeded
        self.failed: Counter[str] = Counter()  # "action:code" → times the API refused or failed
        self.published = self.ended = False
        self._tries: Counter[tuple[str, str]] = Counter()
        # When each alarm was verified (platform time): the close is timed from it. The alarm's `updated_at` will
        # not do: the rules engine rewrites an alarm whose condition still holds, so it keeps moving.
        self._verified_at: dict[str, datetime] = {}
        self._branch: dict[str, str] = {}  # enterprise id → branch id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- running -------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="demo-people", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        self.api.close()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            now = self.platform_now()
            if now is None or not self._api_up():
                continue
            try:
                self.step(now)
            except Exception:  # a bug here must not end the demo; it is logged and the next pass tries again
                log.exception("demo people: pass failed")

    def _api_up(self) -> bool:
        """Until the first sign-in: whether the platform's API answers yet (its start is not a failure)."""
        if self.api.sessions:
            return True
        try:
            self.api.request("GET", "/health")
        except ApiFailure:
            return False
        return True

    def platform_now(self) -> datetime | None:
        try:
            timeline = load_timeline(self.data_dir, accel=1.0, sim_start=None)
        except ValueError:
            return None
        return PlatformClock(timeline).now() if timeline is not None else None

    def summary(self) -> str:
        """One console line (Chinese, for the people watching)."""
        done = "，".join(f"{name} {self.done[k]}" for k, name in ACTION_NAMES.items() if self.done[k]) or "暂无"
        failed = sum(self.failed.values())
        return f"  演示人员操作: {done}" + (f"；接口拒绝 {failed} 次（见 people.log）" if failed else "")

    # ---- one pass ------------------------------------------------------------------------------------------
    def step(self, now: datetime) -> None:
        self._alert(now)
        if not self.behaviour:
            return
        for alarm in self._open_alarms():
            try:
                behaviour = self.behaviour.get(alarm["enterprise_id"])
                if behaviour is not None:
                    self._work(alarm, behaviour, now)
            except (KeyError, TypeError, ValueError) as exc:  # an item without the fields AlarmOut promises
                self.failed["alarm:bad_answer"] += 1
                log.warning("demo people: an alarm of the list is malformed (%r): %.200s", exc, alarm)
        self._prepare_accounts()

    def _prepare_accounts(self, per_pass: int = 3) -> None:
        """Make and sign in a few of the accounts the plan will need, ahead of its steps: each costs the API a
        password hash and a check, which a pass full of first responses would otherwise pay all at once."""
        made = 0
        for b in self.plan.behaviours:
            if made >= per_pass:
                return
            if b.path in RESPONDS and self._missing(b.username):
                made += 1
                self._enterprise_account(b)
            if b.path in WORKED and made < per_pass:
                branch = self._branch_of(b.enterprise_id)
                if branch and self._missing(branch_username(branch)):
                    made += 1
                    self._branch_account(branch)

    def _alert(self, now: datetime) -> None:
        plan = self.plan.alert
        if not self.published and now >= plan.publish_at:
            body = {
                "alert_id": plan.alert_id,
                "level": plan.level,
                "title": plan.title,
                "start": _iso(plan.publish_at),
                "end": _iso(plan.planned_end),
            }
            if self._act("publish_alert", plan.alert_id, self.emergency, "POST", "/emergency/alerts", body):
                self.published = True
        if self.published and not self.ended and now >= plan.end_at:
            path = f"/emergency/alerts/{plan.alert_id}/end"
            if self._act("end_alert", plan.alert_id, self.emergency, "POST", path, {"at": _iso(plan.end_at)}):
                self.ended = True

    def _open_alarms(self) -> Iterator[dict[str, Any]]:
        ids = sorted(self.behaviour)
        for i in range(0, len(ids), 200):  # the list takes up to 200 enterprises per request
            cursor = None
            while True:
                page = self._as(self.admin, "GET", "/alarms", None, state=list(OPEN_STATES),
                                enterprise_id=ids[i : i + 200], limit=100, cursor=cursor)  # fmt: skip
                if page is None:
                    return
                yield from page["items"]
                cursor = page.get("next_cursor")
                if not cursor:
                    break

    def _work(self, alarm: dict[str, Any], b: Behaviour, now: datetime) -> None:
        """At most one step per alarm and pass (each step changes its version; the next pass reads it anew)."""
        state, created = alarm["state"], datetime.fromisoformat(alarm["created_at"])
        version, aid = alarm["version"], alarm["id"]
        path = "/alarms/" + quote(aid, safe="")  # alarm ids hold "|" (rule|subject|start)
        respond_at, dispatch_at = b.respond_at(created), b.dispatch_at(created)
        if state == "pending" and b.path in RESPONDS and respond_at is not None and now >= respond_at:
            if self._enterprise_account(b):
                body = {"version": version, "cause": b.cause, "text": b.text, "photos": []}
                self._act("respond", aid, (b.username, password_for(b.username, self.plan.seed)),
                          "POST", f"{path}/respond", body)  # fmt: skip
        elif state in ("pending", "responded") and dispatch_at is not None and now >= dispatch_at:
            # BRANCH_TAKES acts on a pending alarm; RESPOND_WORKED's dispatch time is after its response
            if b.path is Path.BRANCH_TAKES or state == "responded":
                branch = self._branch_of(b.enterprise_id)
                account = self._branch_account(branch) if branch else None
                if account is not None:
                    body = {"version": version, "branch_id": branch}
                    self._act("dispatch", aid, account, "POST", f"{path}/dispatch", body)
        elif state == "dispatched" and b.path in WORKED and alarm.get("investigation_due") and alarm["dispatched_to"]:
            dispatched_at = datetime.fromisoformat(alarm["investigation_due"]) - INVESTIGATION
            if now >= dispatched_at + timedelta(minutes=b.verify_after_min):
                account = self._branch_account(alarm["dispatched_to"])
                if account is not None:
                    body = {"version": version, "result": b.result, "photos": []}
                    if self._act("verify", aid, account, "POST", f"{path}/verify", body):
                        self._verified_at[aid] = now
        elif state == "verified" and b.path in WORKED and alarm["dispatched_to"]:
            verified = self._verified_at.get(aid) or datetime.fromisoformat(alarm["updated_at"])
            if now >= verified + timedelta(minutes=b.close_after_min):
                account = self._branch_account(alarm["dispatched_to"])
                if account is not None:
                    body = {"version": version, "note": b.close_note}
                    self._act("close", aid, account, "POST", f"{path}/close", body)

    # ---- accounts (made by the admin through the API, signed in on first use) -----------------------------
    def _missing(self, username: str) -> bool:
        """Not signed in yet, and not given up on."""
        return username not in self.api.sessions and self._tries[("account", username)] < GIVE_UP_AFTER

    def _enterprise_account(self, b: Behaviour) -> bool:
        body: dict[str, Any] = {"display_name": f"演示企业人员 {b.enterprise}", "role": "enterprise"}
        body["enterprise_ids"] = [b.enterprise_id]
        return self._ensure_account(b.username, body) is not None

    def _branch_account(self, branch_id: str) -> tuple[str, str] | None:
        username = branch_username(branch_id)
        body = {"display_name": "演示分局执法人员", "role": "branch", "branch_id": branch_id}
        return self._ensure_account(username, body)

    def _ensure_account(self, username: str, body: dict[str, Any]) -> tuple[str, str] | None:
        """The account, made where missing (409 duplicate: a re-run with --keep made it) and signed in; None after
        a failure (logged, tried again at most GIVE_UP_AFTER times)."""
        password = password_for(username, self.plan.seed)
        if username in self.api.sessions:
            return username, password
        if self._tries[("account", username)] >= GIVE_UP_AFTER:
            return None
        self._as(self.admin, "POST", "/accounts", {**body, "username": username, "password": password}, quiet={409})
        if self._signed_in((username, password)):
            return username, password
        self._tries[("account", username)] += 1
        return None

    def _branch_of(self, enterprise_id: str) -> str | None:
        if enterprise_id not in self._branch:
            doc = self._as(self.admin, "GET", f"/enterprises/{enterprise_id}", None)
            if doc is None:
                return None
            self._branch[enterprise_id] = str(doc["branch_id"])
        return self._branch[enterprise_id]

    # ---- requests --------------------------------------------------------------------------------------------
    def _signed_in(self, account: tuple[str, str]) -> bool:
        if account[0] in self.api.sessions:
            return True
        try:
            self.api.sign_in(*account)
        except ApiFailure as exc:
            self._failure("sign_in", account[0], exc)
            return False
        return True

    def _as(
        self, account: tuple[str, str], method: str, path: str, body: Any, *, quiet: set[int] | None = None, **q: Any
    ) -> Any:
        """A request as `account`; a failure is logged and counted and answers None."""
        if not self._signed_in(account):
            return None
        try:
            return self.api.call(account[0], method, path, body, **q)
        except ApiFailure as exc:
            if quiet and exc.status in quiet:
                return None
            self._failure(f"{method} {path.split('?')[0]}", account[0], exc)
            return None

    def _act(self, action: str, obj: str, account: tuple[str, str], method: str, path: str, body: Any) -> bool:
        """One planned step; True when the API did it. A step refused GIVE_UP_AFTER times (other than a version
        conflict, which the next pass re-reads) is left alone."""
        if self._tries[(action, obj)] >= GIVE_UP_AFTER or not self._signed_in(account):
            return False
        try:
            self.api.call(account[0], method, path, body)
        except ApiFailure as exc:
            if exc.status != 409 or exc.code == "alert_exists":
                self._tries[(action, obj)] += 1
            self._failure(action, obj, exc)
            return False
        self.done[action] += 1
        log.info("demo people: %s %s as %s", action, obj, account[0])
        return True

    def _failure(self, action: str, obj: str, exc: ApiFailure) -> None:
        self.failed[f"{action}:{exc.code}"] += 1
        log.warning("demo people: %s %s refused: %s %s %s", action, obj, exc.status, exc.code, exc.message)


ACTION_NAMES = {
    "respond": "企业响应",
    "dispatch": "分局派发",
    "verify": "分局核查",
    "close": "办结",
    "publish_alert": "发布预警",
    "end_alert": "解除预警",
}


def _iso(at: datetime) -> str:
    from monitoring._time import CHINA

    return at.astimezone(CHINA).isoformat()
