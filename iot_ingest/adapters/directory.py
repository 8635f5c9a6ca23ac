"""TerminalDirectory for listener tasks on a remote registry (DynamoDB): a local copy, so frames cost no request.

More: docs/iot_ingest.md, "Wiring (composition root)".
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from iot_ingest.adapters.store import run_blocking
from iot_ingest.ports import AuthStatus, NotServedHere
from monitoring.registry.terminal import Terminal, verify_password
from monitoring.storage.ports import Store

log = logging.getLogger(__name__)
OTHER_COUNTY = "terminal of another county; not registered on this host"  # an installer's misrouted terminal
MAX_VERIFIED = 100_000  # (MN, password digest) answers kept; scrypt costs milliseconds, so each is verified once


class LookupBudgetSpent(RuntimeError):
    """No answer for this MN yet and no lookup left this second: its frames stay unacknowledged (resent later)."""


@dataclass(frozen=True, slots=True)
class _Entry:
    terminal: Terminal | None  # None: not registered (a negative entry)
    fetched: float  # monotonic time of the registry answer


def _later(held: Terminal | None, loaded: _Entry | None) -> bool:
    """Whether the held copy is a later version of the terminal than the one a reload listed."""
    listed = loaded.terminal if loaded is not None else None
    return held is not None and listed is not None and held.version > listed.version


class CachedRegistryDirectory:
    """The counties' terminals loaded at the first lookup and reloaded in the background every `refresh_s`;
    an MN not among them is looked up alone, at most once per `negative_s`, and at most `lookup_rate` lookups
    per second in all. Without counties every MN is looked up alone and its answer kept for `refresh_s`. A
    failed or refused lookup keeps the last answer; with none, it raises (frames unacknowledged, resent later),
    so a registered terminal is never tagged `unregistered` for want of a lookup.

    `only_counties` (a host of a province's tier, local/app.py): for a terminal registered in another county `check`
    raises NotServedHere (its frames belong to its own county's host: not acknowledged here, so the terminal keeps
    them) and `on_foreign(terminal)` is called, at most once per MN per `negative_s`. Its registry answer is kept
    like any other MN's until the next reload of the counties, so a terminal reconnecting in a loop costs no read."""

    def __init__(
        self,
        store: Store,
        *,
        counties: Sequence[str] = (),
        refresh_s: float = 900.0,
        negative_s: float = 60.0,
        lookup_rate: float = 50.0,
        lookup_burst: int = 100,
        monotonic: Callable[[], float] = time.monotonic,
        only_counties: bool = False,
        on_foreign: Callable[[Terminal], None] | None = None,
    ) -> None:
        if only_counties and not counties:
            raise ValueError("only_counties needs the counties")
        self.store = store
        self.counties = tuple(counties)
        self.only_counties, self.on_foreign = only_counties, on_foreign
        self._foreign_told: dict[str, float] = {}  # MN -> monotonic time on_foreign was last called for it
        self.foreign = 0  # checks answered unregistered for a terminal of another county
        self.refresh_s, self.negative_s = refresh_s, negative_s
        self.lookup_rate, self.lookup_burst = lookup_rate, lookup_burst
        self.monotonic = monotonic
        self._entries: dict[str, _Entry] = {}
        # (MN, PW digest) -> (the hashes it was verified against, matched)
        self._verified: dict[tuple[str, str], tuple[tuple[str, str | None], bool]] = {}
        self._refresh: set[str] = set()  # MNs re-read at their next check (a password change under way)
        # MN -> refreshes asked for; gone once a read begun after the last of them answers. Until then every check of
        # that MN waits for such a read, so one check taking the refresh does not leave the others the old copy.
        self._asked: dict[str, int] = {}
        self._asked_lock = threading.Lock()  # refresh() runs on the ports' threads, the rest on the loop
        self._loaded: float | None = None
        self._loading: asyncio.Task[None] | None = None
        self._tokens = float(lookup_burst)
        self._tokens_at = monotonic()
        self._rechecked: dict[str, float] = {}  # MN -> monotonic time of its last re-read after a refused password
        # Registry reads and password checks under way, shared by every check that needs them and finished even when
        # the check waiting on them timed out: a login storm's resends find the answers instead of queueing new work
        # behind the abandoned (the ports' two threads cannot cancel what they started).
        self._reading: dict[str, asyncio.Task[Terminal | None]] = {}
        self._reads_started = 0
        self._read_started: dict[str, int] = {}  # MN -> the order of the read whose answer the copy holds
        self._verifying: dict[tuple[str, str, tuple[str, str | None]], asyncio.Task[bool]] = {}
        self.lookups = 0  # single-MN registry lookups made (tests and the requests-per-frame figure)
        self.reloads = 0

    def refresh(self, mn: str) -> None:
        """Re-read `mn` at its next check (its password is changing: 1072 handed out or settled), within the
        lookup budget; until then and if that read fails, the copy answers. Safe from any thread."""
        with self._asked_lock:
            self._asked[mn] = self._asked.get(mn, 0) + 1
            self._refresh.add(mn)

    # ---- the whole counties ------------------------------------------------------------------------------
    def _load_counties(self) -> dict[str, _Entry]:
        now = self.monotonic()
        entries: dict[str, _Entry] = {}
        for county in self.counties:
            for t in self.store.registry.list_terminals(county):
                entries[t.mn] = _Entry(t, now)
        return entries

    async def _reload(self) -> None:
        began = self._reads_started
        try:
            loaded = await run_blocking(self._load_counties)
        except Exception as exc:  # the registry being down: keep answering from the copy we have
            log.error("terminal directory reload failed", extra={"fields": {"error": repr(exc)}})
            if self._loaded is None:
                raise
            return
        finally:
            self._loading = None
        # Terminals gone from the counties go (one of another county is then looked up alone again); unknown
        # MNs keep their negative answers until `negative_s`, unless they were registered meanwhile.
        unknown = {mn: e for mn, e in self._entries.items() if e.terminal is None and mn not in loaded}
        # An MN read alone after this load began (a password change announced meanwhile) keeps that newer answer, and
        # so does a copy of a later version than the load's (its listing reads eventually consistent).
        newer = {
            mn: e
            for mn, e in self._entries.items()
            if self._read_started.get(mn, 0) > began or _later(e.terminal, loaded.get(mn))
        }
        self._entries = {**unknown, **loaded, **newer}
        self._loaded = self.monotonic()
        self.reloads += 1

    async def _ensure_loaded(self) -> None:
        if not self.counties:
            return
        if self._loaded is None:
            if self._loading is None:
                self._loading = asyncio.get_running_loop().create_task(self._reload())
            await asyncio.shield(self._loading)
        elif self.monotonic() - self._loaded > self.refresh_s and self._loading is None:
            self._loading = asyncio.get_running_loop().create_task(self._reload())  # answers stay from the copy

    # ---- one MN --------------------------------------------------------------------------------------------
    def _take_token(self) -> bool:
        now = self.monotonic()
        self._tokens = min(float(self.lookup_burst), self._tokens + (now - self._tokens_at) * self.lookup_rate)
        self._tokens_at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    async def _entry(self, mn: str) -> _Entry | None:
        await self._ensure_loaded()
        entry = self._entries.get(mn)
        now = self.monotonic()
        if entry is not None and mn not in self._refresh and mn not in self._asked:
            ttl = self.negative_s if entry.terminal is None else self.refresh_s
            if now - entry.fetched < ttl or (entry.terminal is not None and self.counties):
                return entry  # fresh, or kept fresh by the counties' reload
        reading = self._reading.get(mn)
        # a refresh asked for after that read began (a password change) needs a read of its own
        if reading is None or mn in self._refresh:
            if not self._take_token():
                if entry is None:
                    raise LookupBudgetSpent(f"no registry lookup left for {mn} this second")
                return entry  # over the lookup budget: the last answer
            self.lookups += 1
            with self._asked_lock:
                refreshing = mn in self._refresh
                asked = self._asked.get(mn, 0)
                self._refresh.discard(mn)
            self._reads_started += 1
            started = self._reads_started
            reading = self._reading[mn] = asyncio.get_running_loop().create_task(
                run_blocking(self.store.registry.find_terminal, mn)
            )
            reading.add_done_callback(lambda done: self._read(mn, done, started, refreshing, asked))
        try:
            answer = await asyncio.shield(reading)
        except Exception as exc:
            log.error("terminal lookup failed", extra={"fields": {"mn": mn, "error": repr(exc)}})
            if entry is None:
                raise  # no answer at all: the frames stay unacknowledged and the terminal resends
            return entry
        return self._entries.get(mn) or _Entry(answer, self.monotonic())

    def _read(
        self, mn: str, reading: asyncio.Task[Terminal | None], started: int, refreshing: bool, asked: int
    ) -> None:
        """Keep a finished registry read's answer, whether or not a check still waits for it, unless a read begun
        later already answered; a failed refresh is asked for again. `asked`: the refreshes asked for when it began."""
        if self._reading.get(mn) is reading:
            del self._reading[mn]
        if reading.cancelled() or reading.exception() is not None:
            if refreshing:
                self._refresh.add(mn)
            return
        if started < self._read_started.get(mn, 0):
            return
        if len(self._entries) > 4 * MAX_VERIFIED:
            self._entries = {k: v for k, v in self._entries.items() if v.terminal is not None}
            self._read_started = {k: v for k, v in self._read_started.items() if k in self._entries}
        self._read_started[mn] = started
        self._entries[mn] = _Entry(reading.result(), self.monotonic())
        with self._asked_lock:
            if asked and self._asked.get(mn) == asked:
                del self._asked[mn]  # no refresh asked for since this read began: the copy is current again

    def owns(self, mn: str) -> bool:
        """Whether `mn` is a terminal of this directory's counties as its copy last saw it (commands for it are this
        listener's to deliver and expire). Safe from any thread."""
        entry = self._entries.get(mn)
        return entry is not None and entry.terminal is not None and self._ours(entry.terminal)

    def _ours(self, terminal: Terminal) -> bool:
        return not self.only_counties or terminal.county_id in self.counties

    def _tell_foreign(self, terminal: Terminal) -> None:
        self.foreign += 1
        now = self.monotonic()
        if now - self._foreign_told.get(terminal.mn, -1e18) < self.negative_s:
            return
        if len(self._foreign_told) >= MAX_VERIFIED:
            self._foreign_told.clear()
        self._foreign_told[terminal.mn] = now
        fields = {"mn": terminal.mn, "county": terminal.county_id, "host_counties": list(self.counties)}
        log.warning(OTHER_COUNTY, extra={"fields": fields})
        if self.on_foreign is not None:
            try:
                self.on_foreign(terminal)
            except Exception as exc:  # a report; its failure must not turn into the terminal's
                log.warning("other-county report failed", extra={"fields": {"mn": terminal.mn, "error": repr(exc)}})

    async def check(self, mn: str, pw: str | None) -> AuthStatus:
        entry = await self._entry(mn)
        if entry is None or entry.terminal is None:
            return AuthStatus.UNREGISTERED
        if not self._ours(entry.terminal):
            self._tell_foreign(entry.terminal)
            raise NotServedHere(f"{mn} is a terminal of county {entry.terminal.county_id}")
        status = await self._verify(mn, entry.terminal, pw)
        if status is AuthStatus.AUTH_FAILED and self._may_recheck(mn, entry):
            # The copy may predate a password change (a 1072 queued by an installer accepts both passwords from
            # then on): re-read this terminal once, at most every `negative_s` per MN, before refusing it.
            fresh = await self._refetch(mn)
            if fresh is not None and fresh.terminal is not None:
                status = await self._verify(mn, fresh.terminal, pw)
        return status

    def _may_recheck(self, mn: str, entry: _Entry) -> bool:
        now = self.monotonic()
        if now - entry.fetched < self.negative_s or now - self._rechecked.get(mn, -1e18) < self.negative_s:
            return False
        if len(self._rechecked) >= MAX_VERIFIED:
            self._rechecked.clear()
        self._rechecked[mn] = now
        return self._take_token()

    async def _refetch(self, mn: str) -> _Entry | None:
        self.lookups += 1
        try:
            terminal: Terminal | None = await run_blocking(self.store.registry.find_terminal, mn)
        except Exception as exc:
            log.error("terminal lookup failed", extra={"fields": {"mn": mn, "error": repr(exc)}})
            return None
        entry = self._entries[mn] = _Entry(terminal, self.monotonic())
        return entry

    async def _verify(self, mn: str, terminal: Terminal, pw: str | None) -> AuthStatus:
        key = (mn, hashlib.sha256((pw or "").encode("utf-8", "replace")).hexdigest())
        known = self._verified.get(key)
        hashes = (terminal.password_hash, terminal.next_password_hash)
        if known is None or known[0] != hashes:  # first time, or the password (or one under way) changed since
            verifying = self._verifying.get((*key, hashes))
            if verifying is None:
                verifying = self._verifying[(*key, hashes)] = asyncio.get_running_loop().create_task(
                    run_blocking(verify_password, terminal, pw)
                )
                verifying.add_done_callback(lambda done: self._verified_by(key, hashes, done))
            matched = await asyncio.shield(verifying)
            self._verified_by(key, hashes, verifying)
            known = (hashes, matched)
        return AuthStatus.OK if known[1] else AuthStatus.AUTH_FAILED

    def _verified_by(self, key: tuple[str, str], hashes: tuple[str, str | None], done: asyncio.Task[bool]) -> None:
        """Keep a finished password check (scrypt: milliseconds of CPU) even if its login timed out meanwhile."""
        if self._verifying.get((*key, hashes)) is done:
            del self._verifying[(*key, hashes)]
        if done.cancelled() or done.exception() is not None:
            return
        if len(self._verified) >= MAX_VERIFIED:
            self._verified.clear()
        self._verified[key] = (hashes, done.result())

    async def uses_modbus_crc(self, mn: str) -> bool:
        entry = await self._entry(mn)
        return bool(entry and entry.terminal and entry.terminal.modbus_crc)
