"""Contract of ConsentLog: append-only entries per user, in append order, checked alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
import pytest

from accountkit.domain import Consent, ContactPurpose
from accountkit.domain._ids import new_id
from accountkit.errors import ConflictError, InvalidValue, ReadOnlyUnit, UserNotFound
from accountkit.storage import Store
from tests.contract.factories import add_user, at, in_tx, uid


def make_consent(user_id: str, **changes: Any) -> Consent:
    """A grant of the newsletter at T0 with a fresh time-ordered id."""
    consent = Consent(
        id=new_id("cns"),
        user_id=user_id,
        purpose=ContactPurpose.NEWSLETTER,
        granted=True,
        at=at(0),
        source="checkout",
        wording_version="nl-2025-01",
    )
    return attrs.evolve(consent, **changes)


def _for_user(store: Store, user_id: str) -> list[Consent]:
    return list(in_tx(store, lambda tx: tx.consents.for_user(user_id)))


def _append(store: Store, *consents: Consent) -> None:
    with store.transaction() as tx:
        for consent in consents:
            tx.consents.append(consent)


@pytest.mark.parametrize("purpose", list(ContactPurpose))
def test_consent_round_trips(store: Store, purpose: ContactPurpose) -> None:
    """An entry of every purpose, granted or withdrawn, comes back equal."""
    user = add_user(store)
    grant = make_consent(user.id, purpose=purpose, source="ä" * 64, wording_version="v" * 64)
    withdrawal = make_consent(user.id, purpose=purpose, granted=False, at=at(1))
    _append(store, grant, withdrawal)
    stored = _for_user(store, user.id)
    assert stored == [grant, withdrawal]
    assert isinstance(stored[0].at, datetime) and stored[0].at.utcoffset() is not None


def test_consents_come_in_time_order_then_by_id(store: Store) -> None:
    """Entries come back by time, and entries of one time in the order of their ids."""
    user = add_user(store)
    first, second, third = sorted(
        (make_consent(user.id, at=at(5)) for _ in range(3)), key=lambda c: c.id
    )
    earlier = make_consent(user.id, at=at(1), purpose=ContactPurpose.POST)
    _append(store, third, earlier)
    _append(store, second, first)
    assert _for_user(store, user.id) == [earlier, first, second, third]


def test_consents_are_per_user(store: Store) -> None:
    """A user's log holds their own entries only; an unknown user has none."""
    ada, bob = add_user(store), add_user(store)
    mine = make_consent(ada.id)
    _append(store, mine, make_consent(bob.id))
    assert _for_user(store, ada.id) == [mine]
    assert _for_user(store, uid("usr")) == []
    assert _for_user(store, "bad\x00id") == []


def test_consent_of_unknown_user_is_refused(store: Store) -> None:
    """An entry for no user raises UserNotFound and stores nothing."""
    ghost = uid("usr")
    with pytest.raises(UserNotFound):
        _append(store, make_consent(ghost))
    with pytest.raises(UserNotFound):
        _append(store, make_consent("u" * 65))
    assert _for_user(store, ghost) == []


def test_consent_with_taken_id_is_refused(store: Store) -> None:
    """A second entry with an existing id raises ConflictError; the first stays alone."""
    user = add_user(store)
    first = make_consent(user.id)
    _append(store, first)
    with pytest.raises(ConflictError):
        _append(store, attrs.evolve(first, granted=False))
    assert _for_user(store, user.id) == [first]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source", ""),
        ("source", "s" * 65),
        ("source", "a\nb"),
        ("source", "a\x00b"),
        ("source", "\ud800"),
        ("wording_version", ""),
        ("wording_version", "v" * 65),
        ("wording_version", "v\u200b1"),
        ("purpose", "newsletter"),
        ("id", ""),
        ("id", "i" * 65),
        ("at", datetime(2025, 1, 1)),
    ],
    ids=lambda v: repr(v)[:12],
)
def test_unstorable_consent_is_refused_alike(store: Store, field: str, value: object) -> None:
    """An entry no store can keep raises InvalidValue naming the field, on every store."""
    user = add_user(store)
    bad = make_consent(user.id, **{field: value})
    with pytest.raises(InvalidValue) as info:
        _append(store, bad)
    assert info.value.field == field
    assert _for_user(store, user.id) == []


def test_read_only_unit_refuses_consent(store: Store) -> None:
    """A read-only unit refuses an append with ReadOnlyUnit; nothing is stored."""
    user = add_user(store)
    with pytest.raises(ReadOnlyUnit), store.transaction(readonly=True) as tx:
        tx.consents.append(make_consent(user.id))
    assert _for_user(store, user.id) == []


def test_consent_rolls_back_with_its_unit(store: Store) -> None:
    """An entry appended in a unit that fails is gone afterwards."""
    user = add_user(store)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.consents.append(make_consent(user.id))
        raise RuntimeError
    assert _for_user(store, user.id) == []


def test_removing_a_user_removes_their_consent_log(store: Store) -> None:
    """A removed user (a rejected request) leaves no consent entry; a rollback keeps both."""
    user = add_user(store)
    entry = make_consent(user.id)
    _append(store, entry)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.users.remove(user.id)
        raise RuntimeError
    assert _for_user(store, user.id) == [entry]
    in_tx(store, lambda tx: tx.users.remove(user.id))
    assert in_tx(store, lambda tx: tx.users.get(user.id)) is None
    assert _for_user(store, user.id) == []
