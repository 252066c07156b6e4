"""Contract of EventLog: round trip of events, lookup by user and customer, oldest first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accountkit.domain import Actor, Event, EventKind
from accountkit.storage import Store
from tests.contract.factories import add_customer, add_user, at, in_tx, make_event, uid


def _for_user(store: Store, user_id: str) -> list[Event]:
    return list(in_tx(store, lambda tx: tx.events.for_user(user_id)))


def _for_customer(store: Store, customer_id: str) -> list[Event]:
    return list(in_tx(store, lambda tx: tx.events.for_customer(customer_id)))


def _append(store: Store, *events: Event) -> None:
    with store.transaction() as tx:
        for event in events:
            tx.events.append(event)


@pytest.mark.parametrize(
    "actor",
    [Actor.operator("staff-7"), Actor.system(), Actor.user("usr_self")],
    ids=["operator", "system", "user"],
)
def test_event_round_trips_to_user_and_customer(store: Store, actor: Actor) -> None:
    """An event about a user and a customer comes back equal, data mapping and all, from both."""
    user = add_user(store)
    customer = add_customer(store)
    event = make_event(
        actor=actor,
        kind=EventKind.ROLE_CHANGED,
        user_id=user.id,
        customer_id=customer.id,
        at=at(0.000001),
        data={"from": "viewer", "to": "buyer", "note": 'Grüße, 東京 — "quoted"'},
    )
    _append(store, event)
    assert _for_user(store, user.id) == [event]
    assert _for_customer(store, customer.id) == [event]
    got = _for_customer(store, customer.id)[0]
    assert type(got) is Event
    assert dict(got.data) == dict(event.data)
    assert got.at.utcoffset() == timedelta(0)
    assert got.at.microsecond == event.at.microsecond == 123457


def test_event_with_empty_data_round_trips(store: Store) -> None:
    """An event without data comes back with an empty mapping."""
    customer = add_customer(store)
    event = make_event(kind=EventKind.CUSTOMER_CREATED, customer_id=customer.id, data={})
    _append(store, event)
    assert _for_customer(store, customer.id) == [event]
    assert dict(_for_customer(store, customer.id)[0].data) == {}


def test_event_reaches_only_the_subjects_it_names(store: Store) -> None:
    """A user-only event is not in any customer's history, and the other way round."""
    user = add_user(store)
    customer = add_customer(store)
    about_user = make_event(kind=EventKind.TIER_CHANGED, user_id=user.id)
    about_customer = make_event(kind=EventKind.GROUP_CHANGED, customer_id=customer.id)
    _append(store, about_user, about_customer)
    assert _for_user(store, user.id) == [about_user]
    assert _for_customer(store, customer.id) == [about_customer]


def test_unknown_subjects_have_no_events(store: Store) -> None:
    """for_user and for_customer answer empty sequences for ids without events."""
    customer = add_customer(store)
    _append(store, make_event(customer_id=customer.id))
    assert _for_user(store, uid("usr")) == []
    assert _for_customer(store, uid("cus")) == []


def test_events_come_oldest_first(store: Store) -> None:
    """A customer's and a user's events come oldest first, across transactions."""
    user = add_user(store)
    customer = add_customer(store)
    events = [
        make_event(user_id=user.id, customer_id=customer.id, at=at(i * 0.5), data={"n": str(i)})
        for i in range(6)
    ]
    _append(store, *events[:3])
    _append(store, *events[3:])
    assert _for_customer(store, customer.id) == events
    assert _for_user(store, user.id) == events


def test_events_at_one_instant_keep_the_order_appended(store: Store) -> None:
    """Events stamped with the same time (a frozen clock) come back in the order appended."""
    customer = add_customer(store)
    kinds = [
        EventKind.CUSTOMER_CREATED,
        EventKind.NOTE_CHANGED,
        EventKind.GROUP_CHANGED,
        EventKind.MEMBERSHIP_ADDED,
        EventKind.ROLE_CHANGED,
    ]
    events = [make_event(kind=k, customer_id=customer.id, at=at(7)) for k in kinds]
    _append(store, *events[:2])
    _append(store, *events[2:])
    assert [e.kind for e in _for_customer(store, customer.id)] == kinds
    assert _for_customer(store, customer.id) == events


def test_histories_of_customers_are_separate(store: Store) -> None:
    """Interleaved events of two customers come back split, each in its own order."""
    first = add_customer(store)
    second = add_customer(store)
    events = [make_event(customer_id=(first if i % 2 else second).id, at=at(i)) for i in range(6)]
    _append(store, *events)
    assert _for_customer(store, first.id) == events[1::2]
    assert _for_customer(store, second.id) == events[0::2]
