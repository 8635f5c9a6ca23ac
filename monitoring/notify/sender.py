"""The sender: claims due outbox entries under a lease, merges one group's entries to one address, holds SMS back
within the per-number limits (urgent first), sends with failover (past providers whose circuit is open), and
records each outcome with back-off for retryable failures. A send whose outcome is unknown (crash, timeout) is
first looked up at providers that can tell (SendLookup), so a message they already took is not sent again.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitoring.errors import ConflictError
from monitoring.notify.breaker import CircuitBreakers
from monitoring.notify.decide import MANY_TEMPLATES, local_text
from monitoring.notify.masking import mask
from monitoring.notify.models import Attempt, Notification, Status
from monitoring.notify.ports import (
    Channel,
    ChannelKind,
    OutboxRepository,
    OutgoingMessage,
    SendLookup,
    SendResult,
    SendStatus,
)
from monitoring.notify.routing import SendSettings
from monitoring.notify.templates import TemplateBook

log = logging.getLogger("monitoring.notify.sender")
_SMS_KINDS = frozenset({ChannelKind.SMS, ChannelKind.SNS_SMS})
NO_PROVIDER_WAIT = timedelta(minutes=5)
NO_PROVIDER_GIVE_UP = timedelta(hours=1)
IN_FLIGHT = "in_flight"  # Attempt.outcome written just before a send that a provider could later be asked about
LOOKUP_SLACK = timedelta(minutes=5)  # look from a little before the unknown attempt (clocks differ)
SEND_THREADS = 8  # addresses a sender sends to at once (the providers' APIs take far more: Aliyun 5000 QPS)
FOLD_AFTER = timedelta(minutes=1)  # a per-number hold longer than this folds the held entries into one summary
FOLD = "fold"  # Attempt.code of a "quota" hold whose entries go out folded into PENDING_MANY
PENDING_MANY = "pending_many"  # data/notify_templates.json: ${count}, ${latest}


def unknown_send(n: Notification) -> tuple[str, datetime] | None:
    """(key of the message, when it started) of the last send of `n` whose outcome nobody knows: a sender died
    after writing IN_FLIGHT (its code is the message's key), or the provider did not answer in time after it
    (it may have taken the message). None if the last outcome is known."""
    h = n.history
    if h and h[-1].outcome == IN_FLIGHT:
        return h[-1].code, h[-1].at
    if len(h) >= 2 and h[-1].code == "timeout" and h[-2].outcome == IN_FLIGHT:
        return h[-2].code, h[-2].at
    return None


def _merge_key(n: Notification) -> str:
    """Entries with one merge key to one address go as one message: only one group's (one enterprise's alarms
    raised together, or one kind of reminder); an emergency notice never merges (each enterprise's measures must
    arrive whole), nor does a subscribe message (each uses the grant of its own template: a merged one's may have
    none)."""
    mergeable = n.kind is not ChannelKind.WECHAT_SUBSCRIBE and not n.event_kind.startswith("emergency_")
    return n.group if n.group and mergeable else f"key:{n.key}"


def priority(items: Sequence[Notification]) -> tuple[int, int, datetime]:
    """Emergency notices first, then high severity, then the oldest: what goes before a per-number cap closes."""
    emergency = any(n.event_kind.startswith("emergency_") for n in items)
    high = any(n.severity == "high" for n in items)
    return (0 if emergency else 1, 0 if high else 1, min(n.created_at for n in items))


def is_emergency(n: Notification) -> bool:
    return n.event_kind.startswith("emergency_")


def folded(n: Notification) -> bool:
    """Held by a per-number limit for longer than FOLD_AFTER: it goes out in a PENDING_MANY summary."""
    return any(a.outcome == "quota" and a.code == FOLD for a in n.history)  # kept through retries and lookups


def batches(claimed: Sequence[Notification]) -> list[list[Notification]]:
    """Claimed entries as the messages they become, the most urgent first. Entries folded by a long per-number
    hold go as one message per address (the newest first: the summary names it); emergency notices stay whole."""
    found: dict[tuple[ChannelKind, str, str], list[Notification]] = {}
    for n in claimed:
        merge = f"fold:{n.address}" if folded(n) and not is_emergency(n) else _merge_key(n)
        found.setdefault((n.kind, n.address, merge), []).append(n)
    for (_, _, merge), items in found.items():
        if merge.startswith("fold:"):
            items.sort(key=lambda n: n.created_at, reverse=True)
    return sorted(found.values(), key=priority)


@dataclass
class SendReport:
    sent: int = 0
    merged: int = 0
    failed: int = 0
    retried: int = 0
    held: int = 0  # held back by a per-number limit
    released: int = 0  # claimed but not tried before the deadline: queued again, due at once
    accepted_at: list[tuple[Notification, datetime]] = field(default_factory=list)

    def absorb(self, other: SendReport) -> None:
        for name in ("sent", "merged", "failed", "retried", "held", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.accepted_at += other.accepted_at


def _per_template(address: str, template: str) -> str:
    return f"{address}#{template}"  # Aliyun counts notification SMS per (signature, template, number)


def _opens(times: Sequence[datetime], now: datetime, window: timedelta, cap: int) -> datetime | None:
    """When the rolling `window` has room again for one more under `cap` (0: no cap), None if it has now."""
    inside = sorted(t for t in times if t > now - window)
    return inside[len(inside) - cap] + window if cap > 0 and len(inside) >= cap else None


class Sender:
    """One sender; several may run at once (each claim is exclusive). `channels` lists each kind's providers in
    the order to try them (SMS: Aliyun, then Tencent)."""

    def __init__(
        self,
        outbox: OutboxRepository,
        channels: Mapping[ChannelKind, Sequence[Channel]],
        templates: TemplateBook,
        settings: SendSettings,
        clock: Callable[[], datetime],
        *,
        owner: str,
        receipt_providers: frozenset[str] = frozenset(),
        wechat_templates: Mapping[str, str] | None = None,
        breakers: CircuitBreakers | None = None,
        threads: int = SEND_THREADS,
    ) -> None:
        self.threads = max(1, threads)  # addresses sent to at once (one number's messages stay in order)
        self.breakers = breakers or CircuitBreakers()  # shared by the senders of one process (functions/_notify.py)
        self.wechat_templates = wechat_templates  # logical → subscribe template id: each accepted send uses a grant
        self.outbox = outbox
        self.channels = channels
        self.templates = templates
        self.settings = settings
        self.clock = clock
        self.owner = owner
        self.receipt_providers = receipt_providers  # providers whose delivery reports the receipt poller asks for

    def run_once(self, limit: int = 50, *, deadline: float | None = None) -> SendReport:
        """Send what is due (at most `limit` entries). `deadline` (time.monotonic()): no send starts after it, and
        what was claimed but not tried is released at once rather than left to its lease (a slow provider then
        delays the rest by one pass, not by the lease)."""
        report = SendReport()
        claimed = self.outbox.claim(self.clock(), owner=self.owner, lease_s=self.settings.lease_s, limit=limit)
        # One lane per address, in the order of its most urgent message: lanes go concurrently (an emergency's
        # fan-out to hundreds of numbers within a minute), one address's messages in turn (its per-number limits).
        lanes: dict[tuple[ChannelKind, str], list[list[Notification]]] = {}
        for items in batches(claimed):
            lanes.setdefault((items[0].kind, items[0].address), []).append(items)
        lock = threading.Lock()

        def lane(pending: list[list[Notification]]) -> None:
            mine = SendReport()
            while pending:
                if deadline is not None and time.monotonic() >= deadline:
                    for n in (n for items in pending for n in items):
                        self._save(n, status=Status.QUEUED, lease_owner="", lease_until=None)
                        mine.released += 1
                    break
                items = pending.pop(0)
                self._deliver(items[0].kind, items[0].address, items, mine)
            with lock:
                report.absorb(mine)

        if self.threads == 1 or len(lanes) <= 1:
            for pending in lanes.values():
                lane(pending)
        else:
            with ThreadPoolExecutor(min(self.threads, len(lanes)), thread_name_prefix="notify-send") as pool:
                list(pool.map(lane, lanes.values()))  # re-raises a lane's exception here
        return report

    # ---- one address ------------------------------------------------------------------------------------
    def _deliver(self, kind: ChannelKind, address: str, items: list[Notification], report: SendReport) -> None:
        now = self.clock()
        if not self.channels.get(kind):
            # no provider configured for this channel here: wait (not an attempt) in case one is being set up, and
            # fail `no_provider` after NO_PROVIDER_GIVE_UP so the alarm detail says so instead of "queued" forever
            for n in items:
                if now - n.created_at >= NO_PROVIDER_GIVE_UP:
                    self._save(n, status=Status.FAILED, error="no_provider", finished_at=now, lease_owner="")
                    report.failed += 1
                else:
                    again = now + NO_PROVIDER_WAIT
                    self._save(n, status=Status.QUEUED, not_before=again, lease_owner="", lease_until=None)
                    report.held += 1
            return
        lookups = [c for c in self.channels.get(kind, ()) if isinstance(c, SendLookup)]
        if lookups:
            items = self._settle_unknown(kind, address, items, lookups, report)
            if not items:
                return
        message = self._message(kind, address, items)
        if kind in _SMS_KINDS:
            wait_until = self._quota_opens(address, message.template, now)
            if wait_until is not None:
                # A long hold folds: what waits for this number goes as one summary once the limits allow it
                # (its own template's per-template count does not apply); an emergency notice is held whole.
                fold = wait_until - now > FOLD_AFTER and not any(map(is_emergency, items))
                if fold:
                    wait_until = self._quota_opens(address, PENDING_MANY, now) or now
                for n in items:
                    self._save(
                        n,
                        status=Status.QUEUED,
                        not_before=wait_until,
                        lease_owner="",
                        lease_until=None,
                        history=(*n.history, Attempt(now, "", "quota", FOLD if fold else "")),
                    )
                report.held += len(items)
                log.info("SMS to %s held until %s by the per-number limit%s", mask(address), wait_until.isoformat(),
                         " (folded)" if fold else "")  # fmt: skip
                return
        if lookups:
            # Say which message each entry is going out in, so that if this process dies before recording the
            # outcome the next sender asks the providers first instead of sending again (only where one can tell).
            marked = [self._save(n, history=(*n.history, Attempt(now, "", IN_FLIGHT, message.key))) for n in items]
            if marked[0] is None:
                return  # another sender took the primary (our lease ran out): it finishes the batch
            items = [n for n in marked if n is not None]
        result = self._send(kind, message)
        now = self.clock()
        if result.accepted:
            self._accepted(kind, address, message.template, items, result, report)
            return
        attempt = Attempt(now, result.provider, result.status.value, result.code)
        if result.status is SendStatus.PERMANENT and result.code == "43101":
            self._use_grant(kind, address, message.template, None)  # WeChat says no grant is left: believe it
        for n in items:
            attempts = n.attempts + 1
            final = result.status is SendStatus.PERMANENT or attempts >= self.settings.max_attempts
            if final and result.status is SendStatus.PERMANENT:
                info = {"name": n.recipient_name, "channel": kind.value, "code": result.code, "at": now.isoformat()}
                self.outbox.mark_undeliverable(n.recipient_id, info)
            if final:
                self._save(
                    n,
                    status=Status.FAILED,
                    attempts=attempts,
                    provider=result.provider,
                    error=result.code,
                    finished_at=now,
                    history=(*n.history, attempt),
                )
            else:
                wait = self.settings.backoff(attempts)
                if result.retry_after_s is not None:
                    wait = max(wait, timedelta(seconds=result.retry_after_s))
                self._save(
                    n,
                    status=Status.QUEUED,
                    attempts=attempts,
                    provider=result.provider,
                    error=result.code,
                    not_before=now + wait,
                    lease_owner="",
                    lease_until=None,
                    history=(*n.history, attempt),
                )
        if result.status is SendStatus.PERMANENT or all(n.attempts + 1 >= self.settings.max_attempts for n in items):
            report.failed += len(items)
        else:
            report.retried += len(items)
        log.warning("%s to %s not sent: %s %s", kind.value, mask(address), result.provider, result.code)

    def _accepted(
        self,
        kind: ChannelKind,
        address: str,
        template: str,
        items: list[Notification],
        result: SendResult,
        report: SendReport,
    ) -> None:
        """The provider took the message of `items` (the first is its primary): record it on all of them."""
        now = self.clock()
        attempt = Attempt(now, result.provider, result.status.value, result.code)
        primary, rest = items[0], items[1:]
        if kind in _SMS_KINDS:
            self.outbox.record_sent(address, now)
            self.outbox.record_sent(_per_template(address, template), now)
        self._use_grant(kind, address, template, -1)
        common = {"provider": result.provider, "provider_id": result.provider_id, "sent_at": now, "error": ""}
        stored = self._save(
            primary,
            status=Status.SENT,
            attempts=primary.attempts + 1,
            history=(*primary.history, attempt),
            awaiting_receipt=result.provider in self.receipt_providers and bool(result.provider_id),
            **common,
        )
        if stored is not None:
            report.accepted_at.append((stored, now))
        for n in items:
            self.outbox.mark_undeliverable(n.recipient_id, None)
        for n in rest:  # their history says how the message went, not "in flight"
            history = (*n.history, attempt)
            self._save(n, status=Status.MERGED, merged_into=primary.key, finished_at=now, history=history, **common)
        report.sent += 1
        report.merged += len(rest)
        log.info("%s to %s accepted by %s (%d merged)", kind.value, mask(address), result.provider, len(rest))

    def _settle_unknown(
        self,
        kind: ChannelKind,
        address: str,
        items: list[Notification],
        lookups: Sequence[Channel],
        report: SendReport,
    ) -> list[Notification]:
        """Entries whose last send's outcome is unknown: where a provider says it took that message, record them
        as sent in it (the entry whose key it carried as the primary, the others merged) and leave them out."""
        unknown: dict[str, list[tuple[Notification, datetime]]] = {}
        for n in items:
            found = unknown_send(n)
            if found is not None:
                unknown.setdefault(found[0], []).append((n, found[1]))
        settled: set[str] = set()
        for key, pairs in unknown.items():
            since = min(at for _, at in pairs) - LOOKUP_SLACK
            result = self._already_sent(lookups, OutgoingMessage(key, kind, address, "", {}, ""), since)
            if result is None:
                continue  # not taken, or the provider cannot tell (yet): sent again below (at least once)
            members = sorted((n for n, _ in pairs), key=lambda n: n.key != key)  # its own entry first
            if members[0].key == key:
                self._accepted(kind, address, members[0].template, members, result, report)
            else:  # the entry whose key it carried is not in this claim: settled when it comes up
                now = self.clock()
                common = {"provider": result.provider, "provider_id": result.provider_id, "error": ""}
                attempt = Attempt(now, result.provider, result.status.value, result.code)
                for n in members:
                    history = (*n.history, attempt)
                    self._save(n, status=Status.MERGED, merged_into=key, finished_at=now, sent_at=now,
                               history=history, **common)  # fmt: skip
                report.merged += len(members)
            settled.update(n.key for n in members)
        return [n for n in items if n.key not in settled]

    def _already_sent(self, lookups: Sequence[Channel], message: OutgoingMessage, since: datetime) -> SendResult | None:
        """The first provider's word that it already took `message` (by its key) since `since`."""
        for channel in lookups:
            assert isinstance(channel, SendLookup)
            found = channel.find_sent(message, since)
            if found is not None and found.accepted:
                log.info("%s already took %s: recorded as sent, not sent again", channel.provider, message.key)
                return SendResult(SendStatus.ACCEPTED, found.provider, found.provider_id, code="found_by_query")
        return None

    def _use_grant(self, kind: ChannelKind, address: str, template: str, change: int | None) -> None:
        template_id = (self.wechat_templates or {}).get(template)
        if kind is ChannelKind.WECHAT_SUBSCRIBE and template_id:
            self.outbox.change_subscription_grants(address, {template_id: change})

    def _quota_opens(self, address: str, template: str, now: datetime) -> datetime | None:
        """None if an SMS of `template` to `address` may go now; else when the per-number limits allow it."""
        s = self.settings
        day = timedelta(days=1)
        waits = []
        times = self.outbox.sent_times(address, now - day)
        for window, cap in (
            (timedelta(minutes=1), s.sms_per_minute),
            (timedelta(hours=1), s.sms_per_hour),
            (day, s.sms_per_day),
        ):
            waits.append(_opens(times, now, window, cap))
        if s.sms_per_template_day > 0:
            same = self.outbox.sent_times(_per_template(address, template), now - day)
            waits.append(_opens(same, now, day, s.sms_per_template_day))
        found = [w for w in waits if w is not None]
        return max(found) if found else None

    def _message(self, kind: ChannelKind, address: str, items: list[Notification]) -> OutgoingMessage:
        primary = items[0]
        if len(items) == 1 and not folded(primary):
            return OutgoingMessage(
                primary.key,
                kind,
                address,
                primary.template,
                primary.params,
                primary.text,
                primary.page,
                attempt=primary.attempts + 1,
            )
        if folded(primary):  # held long by a per-number limit: how many wait, and the newest (the primary)
            p = primary.params
            what = p.get("rule") or p.get("what") or p.get("measures") or p.get("thing2", "")
            latest = "：".join(x for x in (p.get("enterprise") or p.get("thing1", ""), what) if x)
            values = {"count": str(len(items)), "latest": latest, "time": local_text(primary.created_at)}
            rendered = self.templates.render(PENDING_MANY, kind, values, primary.audience)
            return OutgoingMessage(
                primary.key, kind, address, PENDING_MANY, rendered.params, rendered.text, rendered.page,
                primary.attempts + 1,
            )  # fmt: skip
        # Several to one address share one group (batches): one enterprise's alarms raised together → one summary.
        template = MANY_TEMPLATES.get(primary.event_kind, "alarms_raised_many")
        first_params = dict(primary.params)
        values = {
            "count": str(len(items)),
            "enterprise": first_params.get("enterprise", first_params.get("thing1", "")),
            "rule": first_params.get("rule", first_params.get("thing2", "")),
            "time": first_params.get("time", local_text(primary.created_at)),
            "alarm_id": primary.alarm_id or "",
        }
        rendered = self.templates.render(template, kind, values, primary.audience)
        return OutgoingMessage(
            primary.key, kind, address, template, rendered.params, rendered.text, rendered.page, primary.attempts + 1
        )

    def _send(self, kind: ChannelKind, message: OutgoingMessage) -> SendResult:
        """Each provider of the kind in turn until one accepts or one says no provider can (failover)."""
        last = SendResult(SendStatus.RETRYABLE, "", code="no_provider")
        for channel in self.channels.get(kind, ()):
            if not self.breakers.allows(channel.provider):
                last = SendResult(SendStatus.RETRYABLE, channel.provider, code="circuit_open")
                continue  # it timed out again and again: the next provider, without waiting for it
            try:
                result = channel.send(message)
            except Exception as exc:  # a client bug must not stall the outbox: retry later, say what broke
                log.exception("%s client raised on a send to %s", channel.provider, mask(message.address))
                result = SendResult(SendStatus.RETRYABLE, channel.provider, code=type(exc).__name__)
            self.breakers.record(channel.provider, result)
            if result.status in (SendStatus.ACCEPTED, SendStatus.PERMANENT):
                return result
            last = result
        return last

    def _save(self, n: Notification, **changes: object) -> Notification | None:
        try:
            return self.outbox.replace(dataclasses.replace(n, **changes))  # type: ignore[arg-type]
        except ConflictError:
            # our lease ran out and another sender took it: it will finish the work (at most one repeat)
            log.warning("notification %s changed under us (lease expired?)", n.key)
            return None
