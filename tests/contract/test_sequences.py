"""Contract of SequenceRepository: start, +1, skip ahead, independence, no repeats."""

from __future__ import annotations

import threading
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accountkit.storage import Store
from tests.contract.factories import Boom, in_tx, run_then_fail


def _name() -> str:
    return f"seq-{uuid.uuid4().hex[:12]}"


def _next(store: Store, name: str, start: int) -> int:
    return in_tx(store, lambda tx: tx.sequences.next_value(name, start=start))


def _next_rolled_back(store: Store, name: str, start: int) -> int:
    """Draw a value in a transaction that then raises; return the value it saw."""
    drawn: list[int] = []
    with pytest.raises(Boom):
        run_then_fail(store, lambda tx: drawn.append(tx.sequences.next_value(name, start=start)))
    (value,) = drawn
    return value


@pytest.mark.parametrize("start", [0, 1, 10000])
def test_first_value_is_start_then_one_more_each_call(store: Store, start: int) -> None:
    """The first call returns start; each later call returns one more."""
    name = _name()
    assert [_next(store, name, start) for _ in range(4)] == [start + i for i in range(4)]


def test_calls_in_one_transaction_advance(store: Store) -> None:
    """Several calls in one transaction return consecutive values."""
    name = _name()
    with store.transaction() as tx:
        values = [tx.sequences.next_value(name, start=5) for _ in range(3)]
    assert values == [5, 6, 7]
    assert _next(store, name, 5) == 8


def test_larger_start_skips_ahead(store: Store) -> None:
    """A start larger than the next value is returned; counting goes on from there."""
    name = _name()
    assert _next(store, name, 1) == 1
    assert _next(store, name, 1) == 2
    assert _next(store, name, 1000) == 1000
    assert _next(store, name, 1000) == 1001


def test_smaller_start_does_not_go_back(store: Store) -> None:
    """A start below the current value is ignored: the sequence never goes back."""
    name = _name()
    assert _next(store, name, 50) == 50
    assert _next(store, name, 1) == 51
    assert _next(store, name, 51) == 52


def test_sequences_of_different_names_are_independent(store: Store) -> None:
    """Advancing one name does not move another."""
    first, second = _name(), _name()
    assert _next(store, first, 1) == 1
    assert _next(store, first, 1) == 2
    assert _next(store, second, 1) == 1
    assert _next(store, first, 1) == 3
    assert _next(store, second, 100) == 100
    assert _next(store, first, 1) == 4


def test_rolled_back_allocation_never_causes_a_repeat(store: Store) -> None:
    """After a rolled-back call the next value may skip (a gap) but exceeds every committed one."""
    name = _name()
    committed = [_next(store, name, 1) for _ in range(3)]
    lost = _next_rolled_back(store, name, 1)
    assert lost == 4
    after = _next(store, name, 1)
    assert after > max(committed)
    assert after >= lost
    assert _next(store, name, 1) == after + 1


@settings(max_examples=25)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2),
            st.integers(min_value=0, max_value=40),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_values_follow_the_rule_and_never_repeat(
    store: Store, steps: list[tuple[int, int, bool]]
) -> None:
    """For any calls (three names, any starts, some rolled back) the committed values of a
    name rise strictly, and equal max(previous + 1, start) unless a rollback left a gap."""
    names = [_name() for _ in range(3)]
    last: dict[str, int] = {}
    gap_allowed: dict[str, bool] = {}
    for index, start, roll_back in steps:
        name = names[index]
        floor = start if name not in last else max(last[name] + 1, start)
        if roll_back:
            assert _next_rolled_back(store, name, start) >= floor
            gap_allowed[name] = True
            continue
        value = _next(store, name, start)
        if gap_allowed.get(name):
            assert value >= floor
        else:
            assert value == floor
        last[name] = value
        gap_allowed[name] = False


def test_concurrent_transactions_never_get_the_same_value(store: Store) -> None:
    """Four threads drawing from one sequence in their own transactions get distinct values."""
    name = _name()
    drawn: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def draw() -> None:
        barrier.wait()
        for _ in range(5):
            value = _next(store, name, 1)
            with lock:
                drawn.append(value)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(drawn) == 20
    assert len(set(drawn)) == 20
    assert min(drawn) >= 1
