"""The tick's write-behind rule state: reads see buffered writes, nothing reaches the store before flush."""

from __future__ import annotations

from contextlib import nullcontext

import pytest

from monitoring.rules.state_buffer import BufferedRuleState
from monitoring.storage.rules_memory import MemoryRuleState

pytestmark = pytest.mark.unit


def test_writes_stay_in_memory_until_flush_and_reads_see_them() -> None:
    store = MemoryRuleState()
    store.put("a", {"v": 1})
    store.put("gone", {"v": 0})
    tick = BufferedRuleState(store)
    doc = {"v": 2}
    tick.put("a", doc)
    doc["v"] = 99  # a caller changing its dict after put does not change what is written
    tick.put("b", {"v": 3})
    tick.delete("gone")
    assert tick.get("a") == {"v": 2} and tick.get("b") == {"v": 3} and tick.get("gone") is None
    assert tick.keys("") == ["a", "b"]
    assert store.get("a") == {"v": 1} and store.get("b") is None and store.get("gone") == {"v": 0}
    assert tick.flush(nullcontext()) == 3
    assert store.get("a") == {"v": 2} and store.get("b") == {"v": 3} and store.get("gone") is None


def test_documents_by_prefix_see_the_buffered_writes() -> None:
    store = MemoryRuleState()
    store.put("n:a", {"v": 1})
    store.put("n:gone", {"v": 0})
    tick = BufferedRuleState(store)
    own = BufferedRuleState(tick)
    own.put("n:b", {"v": 2})
    own.delete("n:gone")
    assert own.documents("n:") == {"n:a": {"v": 1}, "n:b": {"v": 2}}
    own.merge()
    tick.put("n:a", {"v": 1})  # what the store held when read: not written again
    assert tick.documents("n:") == {"n:a": {"v": 1}, "n:b": {"v": 2}}
    assert tick.flush(nullcontext()) == 2 and store.documents("n:") == {"n:a": {"v": 1}, "n:b": {"v": 2}}


def test_a_nested_buffer_reaches_its_parent_only_when_merged() -> None:
    store = MemoryRuleState()
    tick = BufferedRuleState(store)
    kept, dropped = BufferedRuleState(tick), BufferedRuleState(tick)
    kept.put("e1", {"ok": True})
    dropped.put("e2", {"ok": False})
    kept.merge()  # e2's buffer is simply never merged (its enterprise failed)
    assert tick.get("e1") == {"ok": True} and tick.get("e2") is None
    tick.flush(nullcontext())
    assert store.keys("") == ["e1"]
    with pytest.raises(TypeError):
        tick.merge()
    with pytest.raises(TypeError):
        kept.flush(nullcontext())


def test_a_failed_flush_keeps_the_writes() -> None:
    class Broken:
        def __enter__(self) -> None:
            return None

        def __exit__(self, *exc: object) -> bool:
            return False

    store = MemoryRuleState()
    tick = BufferedRuleState(store)
    tick.put("a", {"v": 1})
    real_put = store.put

    def fail(key: str, value: dict[str, object]) -> None:
        raise OSError("disk full")

    store.put = fail  # type: ignore[method-assign]
    with pytest.raises(OSError):
        tick.flush(Broken())
    store.put = real_put  # type: ignore[method-assign]
    assert tick.get("a") == {"v": 1}


class CountingState(MemoryRuleState):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def put(self, key: str, value: dict[str, object]) -> None:
        self.writes.append(key)
        super().put(key, value)

    def delete(self, key: str) -> None:
        self.writes.append(key)
        super().delete(key)


def test_a_document_equal_to_what_was_read_is_not_written_again() -> None:
    # Given stored documents the tick reads, through a nested (enterprise) buffer
    store = CountingState()
    store.put("same", {"v": 1, "w": [1, 2]})
    store.put("changed", {"v": 1})
    store.writes.clear()
    tick = BufferedRuleState(store)
    own = BufferedRuleState(tick)
    assert own.get("same") == {"v": 1, "w": [1, 2]} and own.get("changed") == {"v": 1} and own.get("new") is None
    # When it puts them back (one unchanged, key order aside), changes one, adds one and deletes an absent one
    own.put("same", {"w": [1, 2], "v": 1})
    own.put("changed", {"v": 2})
    own.put("new", {"v": 3})
    own.delete("absent")
    own.merge()
    # Then only the changed, new and not-read documents are written
    assert tick.flush(nullcontext()) == 3
    assert sorted(store.writes) == ["absent", "changed", "new"]
    assert store.get("changed") == {"v": 2} and store.get("same") == {"v": 1, "w": [1, 2]}


def test_a_document_not_read_first_is_always_written() -> None:
    store = CountingState()
    store.put("k", {"v": 1})
    store.writes.clear()
    tick = BufferedRuleState(store)
    tick.put("k", {"v": 1})  # unknown to the buffer: written (it cannot tell without a read)
    assert tick.flush(nullcontext()) == 1 and store.writes == ["k"]
