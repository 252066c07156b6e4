"""Contract of Store.transaction: a unit of work commits whole or rolls back whole."""

from __future__ import annotations

import attrs
import pytest

from accountkit.domain import Role
from accountkit.domain.validation import email_key
from accountkit.errors import (
    ConcurrentUpdate,
    CustomerNumberTaken,
    EmailTaken,
    MembershipConflict,
    MembershipNotFound,
)
from accountkit.storage import Store, Transaction
from tests.contract.factories import (
    Boom,
    add_customer,
    add_membership,
    add_user,
    at,
    in_tx,
    make_customer,
    make_event,
    make_group,
    make_membership,
    make_user,
    run_then_fail,
    uid,
)


def test_committed_writes_are_visible_in_the_next_transaction(store: Store) -> None:
    """Everything written in a block that ends normally is read back in the next one."""
    user, customer, group = make_user(), make_customer(), make_group()
    membership = make_membership(user.id, customer.id)
    event = make_event(user_id=user.id, customer_id=customer.id)
    token = uid("tok")
    with store.transaction() as tx:
        tx.groups.add(group)
        tx.users.add(user)
        tx.customers.add(customer)
        tx.memberships.add(membership, exclusive=True)
        tx.events.append(event)
        tx.tokens.mark_used(token, user_id=user.id, purpose="login", at=at(0))
        tx.sequences.next_value("contract", start=1)
    with store.transaction() as tx:
        assert tx.groups.get(group.id) == group
        assert tx.users.get(user.id) == user
        assert tx.customers.get(customer.id) == customer
        assert tx.memberships.get(user.id, customer.id) == membership
        assert list(tx.events.for_customer(customer.id)) == [event]
        assert tx.tokens.is_used(token) is True
        assert tx.sequences.next_value("contract", start=1) == 2


def test_writes_are_visible_later_in_the_same_transaction(store: Store) -> None:
    """A transaction reads its own uncommitted writes."""
    user, customer = make_user(), make_customer()
    assert user.email is not None
    assert customer.number is not None
    with store.transaction() as tx:
        tx.users.add(user)
        tx.customers.add(customer)
        assert tx.users.get(user.id) == user
        assert tx.users.get_by_email(email_key(user.email)) == user
        assert tx.users.count() == 1
        assert tx.customers.get_by_number(customer.number) == customer
        membership = tx.memberships.add(make_membership(user.id, customer.id), exclusive=True)
        assert list(tx.memberships.for_user(user.id)) == [membership]
        updated = tx.users.update(attrs.evolve(user, given_name="Augusta"))
        assert tx.users.get(user.id) == updated


def test_exception_rolls_back_new_records_of_every_kind(store: Store) -> None:
    """Users, customers, groups, memberships, events and token marks made in a failed block
    are all gone."""
    user, customer, group = make_user(), make_customer(), make_group()
    event = make_event(user_id=user.id, customer_id=customer.id)
    token = uid("tok")
    assert user.email is not None
    assert customer.number is not None

    def work(tx: Transaction) -> None:
        tx.groups.add(group)
        tx.users.add(user)
        tx.users.add_many([make_user(), make_user()])
        tx.customers.add(customer)
        tx.memberships.add(make_membership(user.id, customer.id), exclusive=True)
        tx.events.append(event)
        tx.tokens.mark_used(token, user_id=user.id, purpose="login", at=at(0))

    with pytest.raises(Boom):
        run_then_fail(store, work)
    with store.transaction() as tx:
        assert tx.users.count() == 0
        assert tx.users.get(user.id) is None
        assert tx.users.get_by_email(email_key(user.email)) is None
        assert tx.customers.get(customer.id) is None
        assert tx.customers.get_by_number(customer.number) is None
        assert tx.groups.get(group.id) is None
        assert list(tx.groups.list()) == []
        assert tx.memberships.get(user.id, customer.id) is None
        assert list(tx.memberships.for_user(user.id)) == []
        assert list(tx.memberships.for_customer(customer.id)) == []
        assert list(tx.events.for_user(user.id)) == []
        assert list(tx.events.for_customer(customer.id)) == []
        assert tx.tokens.is_used(token) is False


def test_exception_rolls_back_changes_to_stored_records(store: Store) -> None:
    """Updates and removals made in a failed block are undone; the old records are back."""
    user = add_user(store)
    customer = add_customer(store)
    other = add_customer(store)
    membership = add_membership(store, user.id, customer.id, active=True, assigned_at=at(1))
    second = add_membership(store, user.id, other.id, active=False, assigned_at=at(2))
    event = make_event(customer_id=customer.id)
    in_tx(store, lambda tx: tx.events.append(event))
    assert user.email is not None
    assert customer.number is not None

    def work(tx: Transaction) -> None:
        tx.users.update(attrs.evolve(user, email="renamed@example.com", given_name="X"))
        tx.customers.update(attrs.evolve(customer, number="CHANGED", note="changed"))
        tx.memberships.update(attrs.evolve(membership, role=Role.BUYER, active=False))
        tx.memberships.update(attrs.evolve(second, active=True))
        tx.memberships.remove(user.id, customer.id)
        tx.events.append(make_event(customer_id=customer.id))

    with pytest.raises(Boom):
        run_then_fail(store, work)
    with store.transaction() as tx:
        assert tx.users.get(user.id) == user
        assert tx.users.get_by_email(email_key(user.email)) == user
        assert tx.users.get_by_email("renamed@example.com") is None
        assert tx.customers.get(customer.id) == customer
        assert tx.customers.get_by_number(customer.number) == customer
        assert tx.customers.get_by_number("CHANGED") is None
        assert list(tx.memberships.for_user(user.id)) == [membership, second]
        assert list(tx.events.for_customer(customer.id)) == [event]


def test_readonly_transaction_reads_committed_writes(store: Store) -> None:
    """A unit opened with readonly=True sees what earlier units committed."""
    user = add_user(store)
    customer = add_customer(store)
    with store.transaction(readonly=True) as tx:
        assert tx.users.get(user.id) == user
        assert tx.customers.get(customer.id) == customer
        assert tx.users.count() == 1


def test_exception_propagates_unchanged(store: Store) -> None:
    """The error raised in the block leaves the block as itself, not wrapped."""
    error = Boom("mine")
    with pytest.raises(Boom) as caught, store.transaction():
        raise error
    assert caught.value is error


def test_rollback_keeps_earlier_committed_writes(store: Store) -> None:
    """A failed block undoes only its own writes; what earlier blocks committed stays."""
    kept = add_user(store)

    def work(tx: Transaction) -> None:
        tx.users.add(make_user())

    with pytest.raises(Boom):
        run_then_fail(store, work)
    with store.transaction() as tx:
        assert tx.users.count() == 1
        assert tx.users.get(kept.id) == kept


def test_store_is_usable_after_a_rollback(store: Store) -> None:
    """After a failed block the next block writes and commits normally."""
    user = make_user()

    def work(tx: Transaction) -> None:
        tx.users.add(user)

    with pytest.raises(Boom):
        run_then_fail(store, work)
    in_tx(store, lambda tx: tx.users.add(user))
    assert in_tx(store, lambda tx: tx.users.get(user.id)) == user


def _assert_empty(tx: Transaction, user_id: str, customer_id: str) -> None:
    assert tx.users.get(user_id) is None
    assert tx.customers.get(customer_id) is None
    assert list(tx.events.for_customer(customer_id)) == []


def test_email_taken_rolls_back_earlier_writes_of_the_block(store: Store) -> None:
    """EmailTaken raised mid-block leaves none of the block's earlier writes once it propagates."""
    existing = add_user(store)
    assert existing.email is not None
    clash = make_user(email=existing.email.upper())
    user, customer = make_user(), make_customer()

    def work(tx: Transaction) -> None:
        tx.users.add(user)
        tx.customers.add(customer)
        tx.events.append(make_event(customer_id=customer.id))
        tx.users.add(clash)

    with pytest.raises(EmailTaken):
        in_tx(store, work)
    with store.transaction() as tx:
        _assert_empty(tx, user.id, customer.id)
        assert tx.users.count() == 1


def test_number_taken_rolls_back_earlier_writes_of_the_block(store: Store) -> None:
    """CustomerNumberTaken raised mid-block leaves none of the block's earlier writes."""
    existing = add_customer(store)
    user, customer = make_user(), make_customer()

    def work(tx: Transaction) -> None:
        tx.users.add(user)
        tx.customers.add(customer)
        tx.events.append(make_event(customer_id=customer.id))
        tx.customers.add(make_customer(number=existing.number))

    with pytest.raises(CustomerNumberTaken):
        in_tx(store, work)
    with store.transaction() as tx:
        _assert_empty(tx, user.id, customer.id)


def test_membership_conflict_rolls_back_earlier_writes_of_the_block(store: Store) -> None:
    """MembershipConflict raised mid-block undoes the customer and user made before it."""
    member = add_user(store)
    home = add_customer(store)
    add_membership(store, member.id, home.id, exclusive=True)
    user, customer = make_user(), make_customer()

    def work(tx: Transaction) -> None:
        tx.users.add(user)
        tx.customers.add(customer)
        tx.events.append(make_event(customer_id=customer.id))
        tx.memberships.add(make_membership(member.id, customer.id), exclusive=True)

    with pytest.raises(MembershipConflict):
        in_tx(store, work)
    with store.transaction() as tx:
        _assert_empty(tx, user.id, customer.id)
        assert list(tx.memberships.for_customer(customer.id)) == []


def test_concurrent_update_rolls_back_earlier_writes_of_the_block(store: Store) -> None:
    """ConcurrentUpdate raised mid-block undoes the block's earlier update and insert."""
    first = add_user(store)
    second = add_user(store, version=2)
    newcomer = make_user()

    def work(tx: Transaction) -> None:
        tx.users.update(attrs.evolve(first, given_name="Changed"))
        tx.users.add(newcomer)
        tx.users.update(attrs.evolve(second, given_name="Stale", version=1))

    with pytest.raises(ConcurrentUpdate):
        in_tx(store, work)
    with store.transaction() as tx:
        assert tx.users.get(first.id) == first
        assert tx.users.get(second.id) == second
        assert tx.users.get(newcomer.id) is None


def test_not_found_rolls_back_earlier_writes_of_the_block(store: Store) -> None:
    """MembershipNotFound raised mid-block undoes the block's earlier writes."""
    user, customer = make_user(), make_customer()

    def work(tx: Transaction) -> None:
        tx.users.add(user)
        tx.customers.add(customer)
        tx.events.append(make_event(customer_id=customer.id))
        tx.memberships.remove(user.id, customer.id)

    with pytest.raises(MembershipNotFound):
        in_tx(store, work)
    with store.transaction() as tx:
        _assert_empty(tx, user.id, customer.id)
