"""Contract of CustomerRepository: round trip, number lookup and uniqueness, optimistic update."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import attrs
import pytest

from accountkit.domain import (
    Customer,
    CustomerKind,
    DocumentContact,
    DocumentKind,
    PurchaseConditions,
)
from accountkit.errors import ConcurrentUpdate, CustomerNotFound, CustomerNumberTaken
from accountkit.storage import Store
from tests.contract.factories import add_customer, in_tx, make_customer, make_group, uid


def _stored(store: Store, customer_id: str) -> Customer | None:
    return in_tx(store, lambda tx: tx.customers.get(customer_id))


def _by_number(store: Store, number: str) -> Customer | None:
    return in_tx(store, lambda tx: tx.customers.get_by_number(number))


# --- round trip ----------------------------------------------------------------------------


def test_customer_round_trips_every_field(store: Store) -> None:
    """Kind, number, group, conditions, contacts, note, channel, version, times come back."""
    group = make_group()
    customer = make_customer(group_id=group.id, version=2)
    with store.transaction() as tx:
        tx.groups.add(group)
        assert tx.customers.add(customer) == customer
    got = _stored(store, customer.id)
    assert got == customer
    assert got is not None
    assert type(got) is Customer
    assert type(got.document_contacts) is tuple
    assert got.document_contacts == customer.document_contacts
    assert got.note == "Zahlt pünktlich.\nRabatt gilt bis Jahresende."
    assert got.created_at.utcoffset() == timedelta(0)
    assert got.updated_at.microsecond == customer.updated_at.microsecond


def test_discount_comes_back_as_the_exact_decimal(store: Store) -> None:
    """Decimal("7.25") comes back as Decimal("7.25"), not a float or a rounded value."""
    customer = add_customer(store)
    got = _stored(store, customer.id)
    assert got is not None
    assert type(got.conditions.discount) is Decimal
    assert got.conditions.discount == Decimal("7.25")
    assert str(got.conditions.discount) == "7.25"


@pytest.mark.parametrize("discount", ["0", "100", "0.5", "12.5", "33.333", "99.99"])
def test_discounts_round_trip_by_value(store: Store, discount: str) -> None:
    """Any discount from 0 to 100 comes back equal as a Decimal."""
    value = Decimal(discount)
    customer = add_customer(store, conditions=PurchaseConditions(discount=value))
    got = _stored(store, customer.id)
    assert got is not None
    assert type(got.conditions.discount) is Decimal
    assert got.conditions.discount == value
    assert got == customer


def test_minimal_personal_customer_round_trips(store: Store) -> None:
    """No number, no group, default conditions, no contacts, empty note: all come back."""
    customer = make_customer(
        kind=CustomerKind.PERSONAL,
        name="Familie Jensen",
        number=None,
        conditions=PurchaseConditions(),
        document_contacts=(),
        note="",
    )
    with store.transaction() as tx:
        tx.customers.add(customer)
    got = _stored(store, customer.id)
    assert got == customer
    assert got is not None
    assert got.number is None
    assert got.document_contacts == ()
    assert got.conditions == PurchaseConditions()


def test_every_document_kind_round_trips(store: Store) -> None:
    """One contact per DocumentKind, in kind order, comes back as the same tuple."""
    contacts = tuple(
        DocumentContact(
            kind=kind,
            email=f"{kind.value}@firma.example",
            contact_person=None if i % 2 else f"Person {i}",
        )
        for i, kind in enumerate(DocumentKind)
    )
    customer = add_customer(store, document_contacts=contacts)
    got = _stored(store, customer.id)
    assert got is not None
    assert got.document_contacts == contacts


def test_get_unknown_customer_returns_none(store: Store) -> None:
    """get and get_by_number answer None for what is not stored."""
    add_customer(store)
    assert _stored(store, uid("cus")) is None
    assert _by_number(store, "no-such-number") is None


# --- customer numbers ----------------------------------------------------------------------


def test_get_by_number_finds_the_holder(store: Store) -> None:
    """get_by_number returns the customer holding that number."""
    first = add_customer(store)
    second = add_customer(store)
    assert first.number is not None
    assert second.number is not None
    assert _by_number(store, first.number) == first
    assert _by_number(store, second.number) == second


def test_many_customers_without_number_may_be_stored(store: Store) -> None:
    """Numbers are unique only where there is one: several customers have none."""
    customers = [make_customer(number=None) for _ in range(3)]
    with store.transaction() as tx:
        for customer in customers:
            tx.customers.add(customer)
    assert [_stored(store, c.id) for c in customers] == customers


def test_add_with_taken_number_raises(store: Store) -> None:
    """A second customer with a stored number raises CustomerNumberTaken; it is not stored."""
    first = add_customer(store)
    clash = make_customer(number=first.number)
    with pytest.raises(CustomerNumberTaken), store.transaction() as tx:
        tx.customers.add(clash)
    assert _stored(store, clash.id) is None
    assert first.number is not None
    assert _by_number(store, first.number) == first


def test_update_to_taken_number_raises_and_changes_nothing(store: Store) -> None:
    """Changing to another customer's number raises CustomerNumberTaken; both stay."""
    first = add_customer(store)
    second = add_customer(store)
    with pytest.raises(CustomerNumberTaken), store.transaction() as tx:
        tx.customers.update(attrs.evolve(second, number=first.number))
    assert _stored(store, first.id) == first
    assert _stored(store, second.id) == second


def test_update_retires_the_old_number(store: Store) -> None:
    """After a change of number the old one finds no one, and no other customer may take it
    (numbers are never given out twice)."""
    customer = add_customer(store)
    assert customer.number is not None
    old = customer.number
    with store.transaction() as tx:
        updated = tx.customers.update(attrs.evolve(customer, number="NEW-1"))
    assert _by_number(store, old) is None
    assert _by_number(store, "NEW-1") == updated
    with pytest.raises(CustomerNumberTaken):
        add_customer(store, number=old)
    assert _by_number(store, old) is None


def test_update_to_no_number_retires_it(store: Store) -> None:
    """Dropping the number finds no one by it, and no other customer may take it."""
    customer = add_customer(store)
    assert customer.number is not None
    with store.transaction() as tx:
        tx.customers.update(attrs.evolve(customer, number=None))
    assert _by_number(store, customer.number) is None
    with pytest.raises(CustomerNumberTaken):
        add_customer(store, number=customer.number)


# --- update ----------------------------------------------------------------------------------


def test_update_stores_record_and_raises_version_by_one(store: Store) -> None:
    """update returns the record with version + 1, and that is what is stored."""
    group = make_group()
    in_tx(store, lambda tx: tx.groups.add(group))
    customer = add_customer(store, version=1)
    changed = attrs.evolve(
        customer,
        name="Müller AG",
        group_id=group.id,
        note="Neuer Vermerk",
        conditions=PurchaseConditions(price_list_id=None, discount=Decimal("3.5")),
        document_contacts=customer.document_contacts[:1],
        updated_at=customer.updated_at + timedelta(days=1, microseconds=7),
    )
    with store.transaction() as tx:
        returned = tx.customers.update(changed)
    assert returned == attrs.evolve(changed, version=2)
    assert _stored(store, customer.id) == returned


@pytest.mark.parametrize("offset", [-1, 1], ids=["stale", "ahead"])
def test_update_with_other_version_raises_and_changes_nothing(store: Store, offset: int) -> None:
    """A version other than the stored one raises ConcurrentUpdate; the stored customer stays."""
    customer = add_customer(store, version=5)
    stale = attrs.evolve(customer, note="lost update", version=customer.version + offset)
    with pytest.raises(ConcurrentUpdate), store.transaction() as tx:
        tx.customers.update(stale)
    assert _stored(store, customer.id) == customer


def test_update_missing_customer_raises_customer_not_found(store: Store) -> None:
    """update of an id that is not stored raises CustomerNotFound and stores nothing."""
    ghost = make_customer()
    with pytest.raises(CustomerNotFound), store.transaction() as tx:
        tx.customers.update(ghost)
    assert _stored(store, ghost.id) is None
