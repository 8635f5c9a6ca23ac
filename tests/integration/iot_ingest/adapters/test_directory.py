"""The listener's cached registry directory on DynamoDB Local: frames cost no request, unknown MNs a bounded few."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from iot_ingest.adapters.directory import CachedRegistryDirectory, LookupBudgetSpent
from iot_ingest.ports import AuthStatus, NotServedHere
from monitoring.registry.terminal import hash_password
from monitoring.storage.dynamodb.adapter import DynamoDBBackend
from monitoring.storage.ports import Store
from tests.contract.storage import builders as b
from tests.integration.iot_ingest.harness import frame, running
from tests.support.dynamodb_tables import backend_fixture

pytestmark = pytest.mark.integration
PW = "123456"
TERMINALS = [f"010000A890001600000000{i:02d}" for i in range(20)]


class Mono:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


backend = backend_fixture("dir")


@pytest.fixture
def store(backend: DynamoDBBackend) -> Store:
    made = backend.store()
    b.seed_jurisdictions(made.registry)
    digest = hash_password(PW, n=2)
    for mn in TERMINALS:
        made.registry.put_terminal(b.terminal(mn, password_hash=digest, modbus_crc=mn.endswith("00")))
    return made


def test_frames_of_short_connections_cost_no_registry_request_after_the_county_load(
    backend: DynamoDBBackend, store: Store
) -> None:
    async def scenario() -> tuple[int, int]:
        directory = CachedRegistryDirectory(store, counties=["rugao"])
        async with running(terminals={}) as h:
            h.server.state.directory = directory
            # Given the county loaded by the first frame
            t = await h.connect()
            await t.send(frame(TERMINALS[1], i=0))
            assert await t.recv_n(1)
            await t.close()
            backend.meter.reset()
            # When 20 terminals each send 3 frames, one connection per frame (the worst case for a cache per session)
            for i in range(3):
                for mn in TERMINALS:
                    t = await h.connect()
                    await t.send(frame(mn, i=i + 1))
                    assert await t.recv_n(1)
                    await t.close()
            frames = len([r for r in h.sink.records if r["auth"] == "ok"])
        return frames, backend.meter.total().requests

    frames, requests = asyncio.run(scenario())
    # Then every frame was authenticated from the local copy: 0 requests for 60 frames
    assert frames == 61 and requests == 0


def test_unknown_mn_is_looked_up_at_a_bounded_rate_and_registered_later_is_accepted(store: Store) -> None:
    mono = Mono()
    directory = CachedRegistryDirectory(store, counties=["rugao"], negative_s=60, lookup_rate=1, lookup_burst=2,
                                        monotonic=mono)  # fmt: skip
    newcomer = "010000A89000160000009999"

    async def scenario() -> list[AuthStatus]:
        out = [await directory.check(TERMINALS[0], PW), await directory.check(TERMINALS[0], "wrong")]
        assert await directory.uses_modbus_crc(TERMINALS[0]) and not await directory.uses_modbus_crc(TERMINALS[1])
        # An unknown MN: one lookup, then its negative answer for 60 s, however often it sends
        for _ in range(50):
            out.append(await directory.check(newcomer, PW))
        assert directory.lookups == 1
        # Many distinct unknown MNs: lookups stop at the budget (burst 2, 1 per second); past it an MN with no
        # answer yet gets none (its frames stay unacknowledged), never a wrong "unregistered"
        out.append(await directory.check("010000000000000000000000", PW))
        for i in range(1, 30):
            with pytest.raises(LookupBudgetSpent):
                await directory.check(f"0100000000000000000{i:05d}", PW)
        assert directory.lookups == 2
        mono.t += 1  # a second later the budget has one lookup again
        out.append(await directory.check("010000000000000000000001", PW))
        assert directory.lookups == 3
        # The installer registers the newcomer; a minute later it is accepted
        store.registry.put_terminal(b.terminal(newcomer, password_hash=hash_password(PW, n=2)))
        mono.t += 60
        out.append(await directory.check(newcomer, PW))
        return out

    got = asyncio.run(scenario())
    assert got[:2] == [AuthStatus.OK, AuthStatus.AUTH_FAILED]
    assert set(got[2:-1]) == {AuthStatus.UNREGISTERED} and got[-1] is AuthStatus.OK


def test_password_change_and_removal_reach_the_copy_at_the_next_reload(store: Store) -> None:
    mono = Mono()
    directory = CachedRegistryDirectory(store, counties=["rugao"], refresh_s=300, monotonic=mono)
    first, second = TERMINALS[2], TERMINALS[3]

    async def scenario() -> list[AuthStatus]:
        out = [await directory.check(first, PW)]
        changed = store.registry.get_terminal(first).with_password("654321")
        store.registry.put_terminal(changed)
        moved = dataclasses.replace(store.registry.get_terminal(second), county_id="rugao2")
        store.registry.put_terminal(moved)
        out.append(await directory.check(first, PW))  # still the copy: reloaded in the background after 300 s
        mono.t += 301
        out.append(await directory.check(first, PW))  # starts the reload, answers from the copy
        while directory.reloads < 2:
            await asyncio.sleep(0.01)
        out += [await directory.check(first, PW), await directory.check(first, "654321")]
        # The terminal moved to another county left the copy: it is looked up alone (once) and still known
        lookups = directory.lookups
        out += [await directory.check(second, PW), await directory.check(second, PW)]
        assert directory.lookups == lookups + 1
        return out

    got = asyncio.run(scenario())
    assert got == [AuthStatus.OK, AuthStatus.OK, AuthStatus.OK, AuthStatus.AUTH_FAILED, AuthStatus.OK,
                   AuthStatus.OK, AuthStatus.OK]  # fmt: skip
    assert directory.reloads == 2


def test_a_refused_password_re_reads_the_terminal_once_a_minute_so_a_changed_password_works_at_once(
    store: Store,
) -> None:
    mono = Mono()
    directory = CachedRegistryDirectory(store, counties=["rugao"], refresh_s=900, monotonic=mono)
    mn = TERMINALS[4]

    async def scenario() -> tuple[list[AuthStatus], list[int]]:
        out = [await directory.check(mn, PW)]
        # An installer's 1072 changed the password in the registry; the task's copy is minutes old
        store.registry.put_terminal(store.registry.get_terminal(mn).with_password("654321"))
        mono.t += 120
        lookups = [directory.lookups]
        out.append(await directory.check(mn, "654321"))  # refused by the copy → re-read → accepted
        lookups.append(directory.lookups)
        # A wrong password is re-checked at most once a minute per MN (no request per frame)
        out += [await directory.check(mn, "000000") for _ in range(5)]
        lookups.append(directory.lookups)
        mono.t += 61
        out.append(await directory.check(mn, "000000"))
        lookups.append(directory.lookups)
        return out, lookups

    got, lookups = asyncio.run(scenario())
    assert got == [AuthStatus.OK, AuthStatus.OK] + [AuthStatus.AUTH_FAILED] * 6
    assert lookups[1] - lookups[0] == 1  # the one re-read that let the new password in
    assert lookups[2] - lookups[1] == 0  # the refused password was re-read less than a minute ago
    assert lookups[3] - lookups[2] == 1


def test_a_password_change_announced_by_the_command_queue_is_re_read_at_the_next_check(store: Store) -> None:
    # The copy is seconds old, so a refused password would not be re-read for a minute: the announcement of the
    # 1072 (handed out, then settled) is what makes the new password work at once and the old one stop.
    mono = Mono()
    directory = CachedRegistryDirectory(store, counties=["rugao"], refresh_s=900, monotonic=mono)
    mn = TERMINALS[5]

    async def scenario() -> list[AuthStatus]:
        out = [await directory.check(mn, PW), await directory.check(mn, "654321")]  # the new one: not yet
        under_way = dataclasses.replace(store.registry.get_terminal(mn), next_password_hash=hash_password("654321"))
        stored = store.registry.put_terminal(under_way)  # the API queued a 1072
        directory.refresh(mn)  # the command queue hands it out
        out += [await directory.check(mn, "654321"), await directory.check(mn, PW)]  # both, while under way
        store.registry.put_terminal(
            dataclasses.replace(stored, password_hash=stored.next_password_hash, next_password_hash=None)
        )  # the terminal answered: settled
        out.append(await directory.check(mn, PW))  # not announced yet: the copy still takes the old one
        directory.refresh(mn)
        out += [await directory.check(mn, PW), await directory.check(mn, "654321")]
        return out

    lookups = directory.lookups
    got = asyncio.run(scenario())
    ok, refused = AuthStatus.OK, AuthStatus.AUTH_FAILED
    assert got == [ok, refused, ok, ok, ok, refused, ok]
    assert directory.lookups - lookups == 2  # one re-read per announcement, none per frame


class _SlowRegistry:
    """The real registry on DynamoDB Local, each single-MN read delayed as in a login storm's queue."""

    def __init__(self, registry: object, delay: float) -> None:
        self.inner, self.delay, self.reads = registry, delay, 0

    def find_terminal(self, mn: str) -> object:
        import time

        self.reads += 1
        time.sleep(self.delay)
        return self.inner.find_terminal(mn)  # type: ignore[attr-defined]


def test_a_login_that_timed_out_leaves_its_answer_for_the_resend_and_logins_share_one_read(store: Store) -> None:
    slow = _SlowRegistry(store.registry, 0.3)
    slow_store = dataclasses.replace(store, registry=slow)  # type: ignore[arg-type]
    directory = CachedRegistryDirectory(slow_store, counties=[])  # the province shape: every MN read alone

    async def scenario() -> tuple[list[AuthStatus], AuthStatus]:
        # Given a login whose check times out before the registry answers (the listener drops its frame unacked)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(directory.check(TERMINALS[3], PW), 0.05)
        # When the terminal resends, twice at once, while that read is still under way, and again later
        joined = list(await asyncio.gather(*(directory.check(TERMINALS[3], PW) for _ in range(2))))
        return joined, await directory.check(TERMINALS[3], PW)

    joined, later = asyncio.run(scenario())
    # Then every check got the one read's answer: no read queued behind the abandoned one, none repeated
    assert joined == [AuthStatus.OK, AuthStatus.OK] and later is AuthStatus.OK
    assert (slow.reads, directory.lookups) == (1, 1)


def test_a_refresh_asked_for_while_a_read_is_under_way_gets_a_read_of_its_own(store: Store) -> None:
    slow = _SlowRegistry(store.registry, 0.3)
    directory = CachedRegistryDirectory(dataclasses.replace(store, registry=slow), counties=[])  # type: ignore[arg-type]

    async def scenario() -> None:
        first = asyncio.ensure_future(directory.check(TERMINALS[4], PW))
        await asyncio.sleep(0.05)  # that read is under way when a password change is announced
        directory.refresh(TERMINALS[4])
        assert await directory.check(TERMINALS[4], PW) is AuthStatus.OK
        assert await first is AuthStatus.OK

    asyncio.run(scenario())
    # the announced change is read after it was announced, not answered by the read begun before it
    assert slow.reads == 2


def _settle_new_password(store: Store, mn: str, new: str) -> None:
    """The registry as a settled 1072 leaves it: the new password the only one."""
    settled = dataclasses.replace(store.registry.get_terminal(mn), password_hash=hash_password(new, n=2))
    store.registry.put_terminal(settled)


def test_checks_arriving_while_an_announced_change_is_being_read_wait_for_that_read(store: Store) -> None:
    # (CI saw the old password taken just after the settle: another check had taken the refresh, its read not back)
    slow = _SlowRegistry(store.registry, 0.3)
    directory = CachedRegistryDirectory(dataclasses.replace(store, registry=slow), counties=[])  # type: ignore[arg-type]
    mn = TERMINALS[6]

    async def scenario() -> list[AuthStatus]:
        out = [await directory.check(mn, PW)]
        _settle_new_password(store, mn, "654321")
        directory.refresh(mn)  # the command queue saw it settle
        # When a frame's check takes the refresh (its read under way) and another check comes meanwhile
        taking = asyncio.ensure_future(directory.check(mn, "654321"))
        await asyncio.sleep(0.05)
        out.append(await directory.check(mn, PW))
        out.append(await taking)
        out.append(await directory.check(mn, PW))  # and from then on the copy answers
        return out

    got = asyncio.run(scenario())
    # Then the second check waited for that read: the old password is refused from the announcement on
    assert got == [AuthStatus.OK, AuthStatus.AUTH_FAILED, AuthStatus.OK, AuthStatus.AUTH_FAILED]
    assert slow.reads == 2  # the first answer and the one announced re-read, shared


class _SlowListing:
    """The real registry; the counties' listing read at once and handed back late (a reload under way)."""

    def __init__(self, registry: object, delay: float) -> None:
        self.inner, self.delay = registry, delay

    def list_terminals(self, county: str) -> object:
        import time

        listed = self.inner.list_terminals(county)  # type: ignore[attr-defined]
        time.sleep(self.delay)
        return listed

    def find_terminal(self, mn: str) -> object:
        return self.inner.find_terminal(mn)  # type: ignore[attr-defined]


def _county_directory(store: Store, registry: object, mono: Mono) -> CachedRegistryDirectory:
    """Rugao's directory over `store` with its registry wrapped, reloaded every 300 s of `mono`."""
    shown = dataclasses.replace(store, registry=registry)  # type: ignore[arg-type]
    return CachedRegistryDirectory(shown, counties=["rugao"], refresh_s=300, monotonic=mono)


def test_a_reload_begun_before_an_announced_change_does_not_bring_the_old_password_back(store: Store) -> None:
    mono = Mono()
    directory = _county_directory(store, _SlowListing(store.registry, 0.5), mono)
    mn = TERMINALS[7]

    async def scenario() -> list[AuthStatus]:
        out = [await directory.check(mn, PW)]  # the first load (0.5 s)
        mono.t += 301
        out.append(await directory.check(mn, PW))  # the copy answers; a reload starts, listing the old password
        await asyncio.sleep(0.1)
        _settle_new_password(store, mn, "654321")
        directory.refresh(mn)
        out.append(await directory.check(mn, "654321"))  # read alone, after the reload's listing
        await asyncio.sleep(0.8)  # the reload lands
        out.append(await directory.check(mn, PW))
        return out

    got = asyncio.run(scenario())
    assert got == [AuthStatus.OK, AuthStatus.OK, AuthStatus.OK, AuthStatus.AUTH_FAILED]
    assert directory.reloads == 2


class _StaleListing:
    """The real registry, its counties' listing answered from a copy taken earlier (an eventually consistent read)."""

    def __init__(self, registry: object) -> None:
        self.inner = registry
        self.stale: object | None = None

    def list_terminals(self, county: str) -> object:
        return self.stale if self.stale is not None else self.inner.list_terminals(county)  # type: ignore[attr-defined]

    def find_terminal(self, mn: str) -> object:
        return self.inner.find_terminal(mn)  # type: ignore[attr-defined]


def test_a_reload_listing_an_older_version_does_not_replace_a_newer_copy(store: Store) -> None:
    mono = Mono()
    listing = _StaleListing(store.registry)
    directory = _county_directory(store, listing, mono)
    mn = TERMINALS[8]

    async def scenario() -> list[AuthStatus]:
        out = [await directory.check(mn, PW)]
        listing.stale = store.registry.list_terminals("rugao")  # what a lagging replica will still answer
        _settle_new_password(store, mn, "654321")
        directory.refresh(mn)
        out.append(await directory.check(mn, "654321"))  # the new copy, read consistently
        mono.t += 301
        await directory.check(mn, "654321")  # a reload starts after that read, and lists the old version
        await asyncio.sleep(0.2)
        out.append(await directory.check(mn, PW))
        return out

    got = asyncio.run(scenario())
    assert got == [AuthStatus.OK, AuthStatus.OK, AuthStatus.AUTH_FAILED]
    assert directory.reloads == 2


def test_with_only_counties_a_terminal_of_another_county_is_not_served_here_and_reported(store: Store) -> None:
    # Given a host serving rugao and a terminal registered in another county
    mono = Mono()
    told: list[tuple[str, str]] = []
    directory = CachedRegistryDirectory(store, counties=["rugao"], only_counties=True, negative_s=60, monotonic=mono,
                                        on_foreign=lambda t: told.append((t.mn, t.county_id)))  # fmt: skip
    stranger = "010000A89000160000008888"
    store.registry.put_terminal(b.terminal(stranger, county_id="haian", password_hash=hash_password(PW, n=2)))

    async def check(mn: str) -> AuthStatus | str:
        try:
            return await directory.check(mn, PW)
        except NotServedHere:
            return "not served"

    async def scenario() -> tuple[list[AuthStatus | str], int]:
        out = [await check(TERMINALS[0])]
        lookups = directory.lookups
        # When the other county's terminal connects, with its right password, again and again
        for _ in range(5):
            out.append(await check(stranger))
        mono.t += 61  # a minute later it is reported again
        out.append(await check(stranger))
        return out, directory.lookups - lookups

    out, lookups = asyncio.run(scenario())
    # Then it is not served here (its frames belong to its own county's host), reported once a minute at most, and
    # its registry answer was read once: a terminal reconnecting in a loop costs no further reads
    assert out == [AuthStatus.OK] + ["not served"] * 6
    assert told == [(stranger, "haian")] * 2 and directory.foreign == 6 and lookups == 1
    # And only the host's own terminals are its to deliver commands to
    assert directory.owns(TERMINALS[0]) and not directory.owns(stranger)
    assert not directory.owns("010000000000000000000000")  # never looked up: not known to be ours
