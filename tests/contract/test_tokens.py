"""Contract of TokenLedger: a one-time token is marked used once, and remembered."""

from __future__ import annotations

import threading

import pytest

from accountkit.storage import Store, Transaction
from tests.contract.factories import Boom, at, in_tx, run_then_fail, uid


def _mark(store: Store, token_id: str, user_id: str = "usr_1", purpose: str = "login") -> bool:
    return in_tx(
        store, lambda tx: tx.tokens.mark_used(token_id, user_id=user_id, purpose=purpose, at=at(0))
    )


def _is_used(store: Store, token_id: str) -> bool:
    return in_tx(store, lambda tx: tx.tokens.is_used(token_id))


def test_unknown_token_is_not_used(store: Store) -> None:
    """A token never marked is not used."""
    assert _is_used(store, uid("tok")) is False


def test_mark_used_is_true_once_then_false(store: Store) -> None:
    """The first mark returns True, every later one False, also in later transactions."""
    token = uid("tok")
    assert _mark(store, token) is True
    assert _is_used(store, token) is True
    assert _mark(store, token) is False
    assert _mark(store, token, user_id="usr_2", purpose="password_reset") is False
    assert _is_used(store, token) is True


def test_mark_used_twice_in_one_transaction(store: Store) -> None:
    """Within one transaction the second mark already sees the first."""
    token = uid("tok")
    with store.transaction() as tx:
        first = tx.tokens.mark_used(token, user_id="usr_1", purpose="login", at=at(0))
        second = tx.tokens.mark_used(token, user_id="usr_1", purpose="login", at=at(1))
        used = tx.tokens.is_used(token)
    assert (first, second, used) == (True, False, True)


def test_tokens_are_independent(store: Store) -> None:
    """Marking one token leaves others unused."""
    used, other = uid("tok"), uid("tok")
    assert _mark(store, used) is True
    assert _is_used(store, other) is False
    assert _mark(store, other) is True


def test_rolled_back_mark_leaves_token_unused(store: Store) -> None:
    """A mark in a transaction that raises is undone: the token can still be redeemed."""
    token = uid("tok")
    marked: list[bool] = []

    def mark(tx: Transaction) -> None:
        marked.append(tx.tokens.mark_used(token, user_id="usr_1", purpose="login", at=at(0)))

    with pytest.raises(Boom):
        run_then_fail(store, mark)
    assert marked == [True]
    assert _is_used(store, token) is False
    assert _mark(store, token) is True


def test_concurrent_redemptions_give_true_exactly_once(store: Store) -> None:
    """Four transactions on four threads race to mark one token; exactly one gets True."""
    token = uid("tok")
    results: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def redeem(n: int) -> None:
        barrier.wait()
        result = _mark(store, token, user_id=f"usr_{n}")
        with lock:
            results.append(result)

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [False, False, False, True]
    assert _is_used(store, token) is True
