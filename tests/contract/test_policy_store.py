"""Contract of the shop-policy storage (issue 13): removing users and customers, customer
numbers that are never given out twice, and the new fields (a user's phone, a customer's
VAT id and addresses, a group's assortment, custom role names), with one meaning on every
store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accountkit.domain import Address, Customer, Event, EventKind, Membership, Role, User
from accountkit.domain.validation import email_key
from accountkit.errors import (
    ConflictError,
    CustomerNotFound,
    CustomerNumberTaken,
    ReadOnlyUnit,
    UserNotFound,
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
from tests.contract.test_signin_store import make_code, make_session

ADDRESS = Address(
    name="Grete Groß",
    street="Hauptstraße 1",
    postal_code="10115",
    city="Berlin",
    country="DE",
    company="Müller & Söhne GmbH",
    extra="Hinterhof, 3. OG",
)


def _user(store: Store, user_id: str) -> User | None:
    with store.transaction(readonly=True) as tx:
        return tx.users.get(user_id)


def _customer(store: Store, customer_id: str) -> Customer | None:
    with store.transaction(readonly=True) as tx:
        return tx.customers.get(customer_id)


def _by_number(store: Store, number: str) -> Customer | None:
    with store.transaction(readonly=True) as tx:
        return tx.customers.get_by_number(number)


@attrs.frozen
class _World:
    """A user with a session, a login code, an issued token, an event and memberships at
    two customers; and a third customer, with a number and no members."""

    user: User
    member_of: tuple[Customer, Customer]
    loner: Customer
    event: Event


def _world(store: Store) -> _World:
    user = add_user(store)
    first, second, loner = add_customer(store), add_customer(store), add_customer(store)
    add_membership(store, user.id, first.id)
    add_membership(store, user.id, second.id, active=False, assigned_at=at(11))
    event = make_event(kind=EventKind.USER_CREATED, user_id=user.id, customer_id=first.id)
    with store.transaction() as tx:
        tx.sessions.add(make_session(user.id))
        tx.login_codes.put(make_code(user.id))
        tx.tokens.issue(uid("tok"), user_id=user.id, purpose="invitation", at=at(1))
        tx.events.append(event)
    return _World(user, (first, second), loner, event)


def _snapshot(store: Store, w: _World) -> tuple[object, ...]:
    """Everything the removals and renumberings below could change."""
    assert w.user.email is not None and w.loner.number is not None
    with store.transaction(readonly=True) as tx:
        return (
            tx.users.get(w.user.id),
            tx.users.get_by_email(email_key(w.user.email)),
            tx.users.count(),
            list(tx.sessions.for_user(w.user.id)),
            tx.login_codes.get(w.user.id),
            tx.tokens.current(w.user.id, "invitation"),
            list(tx.memberships.for_user(w.user.id)),
            [list(tx.memberships.for_customer(c.id)) for c in w.member_of],
            list(tx.events.for_user(w.user.id)),
            tx.customers.get(w.loner.id),
            tx.customers.get_by_number(w.loner.number),
            tx.customers.get_by_number("NEW-1"),
        )


# --- users.remove --------------------------------------------------------------------------


def test_remove_user_deletes_the_user_and_everything_that_points_at_them(store: Store) -> None:
    """After removal the user, their sessions, login code, issued tokens and memberships are
    gone; the customers stay; history events are kept."""
    w = _world(store)
    in_tx(store, lambda tx: tx.users.remove(w.user.id))
    with store.transaction(readonly=True) as tx:
        assert tx.users.get(w.user.id) is None
        assert list(tx.sessions.for_user(w.user.id)) == []
        assert tx.login_codes.get(w.user.id) is None
        assert tx.tokens.current(w.user.id, "invitation") is None
        assert list(tx.memberships.for_user(w.user.id)) == []
        for customer in w.member_of:
            assert list(tx.memberships.for_customer(customer.id)) == []
            assert tx.customers.get(customer.id) == customer
        assert list(tx.events.for_user(w.user.id)) == [w.event]


def test_remove_user_frees_the_email_address_at_once(store: Store) -> None:
    """Another user may register the removed user's address right after, in the same unit."""
    user = add_user(store)
    assert user.email is not None
    newcomer = make_user(email=user.email)
    with store.transaction() as tx:
        tx.users.remove(user.id)
        assert tx.users.get_by_email(email_key(user.email)) is None
        tx.users.add(newcomer)
    with store.transaction(readonly=True) as tx:
        assert tx.users.get_by_email(email_key(user.email)) == newcomer


def test_remove_user_without_any_rows_elsewhere(store: Store) -> None:
    """A user with no sessions, code, tokens or memberships is removed as well, and the
    count drops by one."""
    user = add_user(store)
    before = in_tx(store, lambda tx: tx.users.count())
    in_tx(store, lambda tx: tx.users.remove(user.id))
    assert _user(store, user.id) is None
    assert in_tx(store, lambda tx: tx.users.count()) == before - 1


def test_remove_user_twice_is_an_unknown_user(store: Store) -> None:
    """A second removal raises UserNotFound."""
    user = add_user(store)
    in_tx(store, lambda tx: tx.users.remove(user.id))
    with pytest.raises(UserNotFound), store.transaction() as tx:
        tx.users.remove(user.id)


def test_remove_user_leaves_other_users_alone(store: Store) -> None:
    """Removing one user keeps another user's sessions and memberships at the same customer."""
    w = _world(store)
    other = add_user(store)
    kept = add_membership(store, other.id, w.member_of[0].id)
    session = make_session(other.id)
    in_tx(store, lambda tx: tx.sessions.add(session))
    in_tx(store, lambda tx: tx.users.remove(w.user.id))
    with store.transaction(readonly=True) as tx:
        assert list(tx.memberships.for_customer(w.member_of[0].id)) == [kept]
        assert list(tx.sessions.for_user(other.id)) == [session]


# --- customers.remove ---------------------------------------------------------------------


def test_remove_customer_deletes_it_and_retires_its_number(store: Store) -> None:
    """A removed customer is gone; its number finds no one, and no other customer can take
    it: add and update raise CustomerNumberTaken, add_if_number_free returns None."""
    customer = add_customer(store)
    number = customer.number
    assert number is not None
    in_tx(store, lambda tx: tx.customers.remove(customer.id))
    assert _customer(store, customer.id) is None
    assert _by_number(store, number) is None
    with pytest.raises(CustomerNumberTaken):
        add_customer(store, number=number)
    candidate = make_customer(number=number)
    assert in_tx(store, lambda tx: tx.customers.add_if_number_free(candidate)) is None
    assert _by_number(store, number) is None
    other = add_customer(store)
    with pytest.raises(CustomerNumberTaken), store.transaction() as tx:
        tx.customers.update(attrs.evolve(other, number=number))
    assert _customer(store, other.id) == other


def test_add_if_number_free_returns_none_for_a_retired_number(store: Store) -> None:
    """add_if_number_free of a removed customer's number stores nothing and returns None."""
    customer = add_customer(store)
    assert customer.number is not None
    in_tx(store, lambda tx: tx.customers.remove(customer.id))
    candidate = make_customer(number=customer.number)
    assert in_tx(store, lambda tx: tx.customers.add_if_number_free(candidate)) is None
    assert _customer(store, candidate.id) is None


def test_remove_customer_with_members_is_refused_and_changes_nothing(store: Store) -> None:
    """A customer that still has a member cannot be removed (ConflictError); it keeps its
    number and its member."""
    w = _world(store)
    customer = w.member_of[0]
    assert customer.number is not None
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.customers.remove(customer.id)
    assert _customer(store, customer.id) == customer
    assert _by_number(store, customer.number) == customer
    with store.transaction(readonly=True) as tx:
        assert [m.user_id for m in tx.memberships.for_customer(customer.id)] == [w.user.id]


def test_remove_customer_after_its_last_member_left(store: Store) -> None:
    """Once its memberships are removed, the customer can be removed."""
    user = add_user(store)
    customer = add_customer(store)
    add_membership(store, user.id, customer.id)
    with store.transaction() as tx:
        tx.memberships.remove(user.id, customer.id)
        tx.customers.remove(customer.id)
    assert _customer(store, customer.id) is None


def test_remove_customer_without_a_number(store: Store) -> None:
    """A customer without a number is removed too; numberless customers stay possible."""
    customer = add_customer(store, number=None)
    in_tx(store, lambda tx: tx.customers.remove(customer.id))
    assert _customer(store, customer.id) is None
    add_customer(store, number=None)


def test_remove_unknown_customer_is_customer_not_found(store: Store) -> None:
    """Removing a customer that does not exist, or twice, raises CustomerNotFound."""
    customer = add_customer(store)
    in_tx(store, lambda tx: tx.customers.remove(customer.id))
    with pytest.raises(CustomerNotFound), store.transaction() as tx:
        tx.customers.remove(customer.id)
    with pytest.raises(CustomerNotFound), store.transaction() as tx:
        tx.customers.remove(uid("cus"))


# --- numbers given up by a change ------------------------------------------------------------


def test_a_customer_may_take_back_its_own_old_number(store: Store) -> None:
    """A customer that changed its number may change back to it; the number it held in
    between is then reserved for it in turn."""
    customer = add_customer(store)
    old = customer.number
    assert old is not None
    changed = in_tx(store, lambda tx: tx.customers.update(attrs.evolve(customer, number="NEW-1")))
    back = in_tx(store, lambda tx: tx.customers.update(attrs.evolve(changed, number=old)))
    assert _by_number(store, old) == back
    assert _by_number(store, "NEW-1") is None
    with pytest.raises(CustomerNumberTaken):
        add_customer(store, number="NEW-1")
    again = in_tx(store, lambda tx: tx.customers.update(attrs.evolve(back, number="NEW-1")))
    assert _by_number(store, "NEW-1") == again


def test_a_number_dropped_and_taken_back_in_one_unit(store: Store) -> None:
    """Dropping the number and taking it back within one unit leaves the customer holding
    it, and the number still refused to others."""
    customer = add_customer(store)
    assert customer.number is not None
    with store.transaction() as tx:
        none = tx.customers.update(attrs.evolve(customer, number=None))
        back = tx.customers.update(attrs.evolve(none, number=customer.number))
    assert _by_number(store, customer.number) == back
    with pytest.raises(CustomerNumberTaken):
        add_customer(store, number=customer.number)


def test_a_number_given_up_is_refused_to_others_in_the_same_unit(store: Store) -> None:
    """A number given up earlier in the same unit is refused to another customer by update
    and by add_if_number_free."""
    first = add_customer(store)
    second = add_customer(store)
    assert first.number is not None
    with store.transaction() as tx:
        tx.customers.update(attrs.evolve(first, number="MOVED-1"))
        with pytest.raises(CustomerNumberTaken), store.transaction() as inner:
            inner.customers.update(attrs.evolve(second, number=first.number))
        assert tx.customers.add_if_number_free(make_customer(number=first.number)) is None
    assert _customer(store, second.id) == second


def test_update_keeping_the_number_changes_nothing_about_it(store: Store) -> None:
    """An update that keeps the number (a new name) keeps it found and refused to others."""
    customer = add_customer(store)
    assert customer.number is not None
    renamed = in_tx(store, lambda tx: tx.customers.update(attrs.evolve(customer, name="Neu")))
    assert _by_number(store, customer.number) == renamed
    with pytest.raises(CustomerNumberTaken):
        add_customer(store, number=customer.number)


# --- units of work ---------------------------------------------------------------------------


WRITES: dict[str, Callable[[Transaction, _World], object]] = {
    "users.remove": lambda tx, w: tx.users.remove(w.user.id),
    "customers.remove": lambda tx, w: tx.customers.remove(w.loner.id),
    "customers.update number": lambda tx, w: tx.customers.update(
        attrs.evolve(w.loner, number="NEW-1")
    ),
    "users.remove unknown": lambda tx, w: tx.users.remove(uid("usr")),
    "customers.remove unknown": lambda tx, w: tx.customers.remove(uid("cus")),
    "customers.remove with members": lambda tx, w: tx.customers.remove(w.member_of[0].id),
}
CHANGING = [name for name in WRITES if not name.endswith(("unknown", "members"))]


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_a_readonly_unit_refuses_the_new_writes(store: Store, write: str) -> None:
    """Each new write in a read-only unit raises ReadOnlyUnit before any check, and nothing
    changes."""
    w = _world(store)
    before = _snapshot(store, w)
    with store.transaction(readonly=True) as tx:
        with pytest.raises(ReadOnlyUnit):
            WRITES[write](tx, w)
        assert tx.users.get(w.user.id) == w.user
    assert _snapshot(store, w) == before


@pytest.mark.parametrize("write", CHANGING, ids=CHANGING)
def test_a_new_write_rolls_back_with_its_unit(store: Store, write: str) -> None:
    """A removal or renumbering is undone whole when its unit raises afterwards: the rows
    are back, and a number is neither retired nor claimed."""
    w = _world(store)
    before = _snapshot(store, w)
    with pytest.raises(Boom):
        run_then_fail(store, lambda tx: WRITES[write](tx, w))
    assert _snapshot(store, w) == before
    add_customer(store, number="NEW-1")


@pytest.mark.parametrize("write", CHANGING, ids=CHANGING)
def test_a_new_write_in_a_failed_nested_unit_is_undone_alone(store: Store, write: str) -> None:
    """A nested unit that removes or renumbers and raises undoes only that; the outer unit's
    writes before and after it commit."""
    w = _world(store)
    before = _snapshot(store, w)
    kept_before, kept_after = make_customer(), make_customer()
    with store.transaction() as tx:
        tx.customers.add(kept_before)
        with pytest.raises(Boom), store.transaction() as inner:
            WRITES[write](inner, w)
            raise Boom
        tx.customers.add(kept_after)
    assert _snapshot(store, w) == before
    assert _customer(store, kept_before.id) == kept_before
    assert _customer(store, kept_after.id) == kept_after
    add_customer(store, number="NEW-1")


@pytest.mark.parametrize("write", ["users.remove unknown", "customers.remove with members"])
def test_a_refused_removal_in_a_nested_unit_leaves_the_outer_unit_usable(
    store: Store, write: str
) -> None:
    """A removal refused inside a nested unit leaves the outer unit able to go on and commit."""
    w = _world(store)
    kept = make_customer()
    with store.transaction() as tx:
        with pytest.raises((UserNotFound, ConflictError)), store.transaction() as inner:
            WRITES[write](inner, w)
        tx.customers.add(kept)
    assert _customer(store, kept.id) == kept


def test_a_refused_claim_in_a_nested_unit_leaves_the_outer_unit_usable(store: Store) -> None:
    """A second customer refused a retired number inside a nested unit: the outer unit goes
    on and commits, and the number stays retired."""
    gone = add_customer(store)
    assert gone.number is not None
    in_tx(store, lambda tx: tx.customers.remove(gone.id))
    kept = make_customer()
    with store.transaction() as tx:
        with pytest.raises(CustomerNumberTaken), store.transaction() as inner:
            inner.customers.add(make_customer(number=gone.number))
        tx.customers.add(kept)
    assert _customer(store, kept.id) == kept
    assert _by_number(store, gone.number) is None


# --- lookups by keys no store can hold ----------------------------------------------------------


UNBINDABLE: list[object] = ["\x00", "usr_\x00", "\ud800", "cus_\udfff", 42, b"cus_1", ""]


@pytest.mark.parametrize("key", UNBINDABLE, ids=repr)
def test_removals_by_keys_that_cannot_be_stored_name_nothing(store: Store, key: Any) -> None:
    """An id that no row can have is an unknown user or customer, never a driver error."""
    with pytest.raises(UserNotFound), store.transaction() as tx:
        tx.users.remove(key)
    with pytest.raises(CustomerNotFound), store.transaction() as tx:
        tx.customers.remove(key)


# --- the new fields round-trip ---------------------------------------------------------------

TEXT = st.text(min_size=1, max_size=40)
ADDRESSES = st.builds(
    Address,
    name=TEXT,
    street=TEXT,
    postal_code=TEXT,
    city=TEXT,
    country=st.sampled_from(["DE", "AT", "SE"]),
    company=st.none() | TEXT,
    extra=st.none() | TEXT,
)


def test_a_customers_vat_id_and_addresses_round_trip(store: Store) -> None:
    """VAT id, bill-to and ship-to come back equal through add, update and both gets."""
    customer = add_customer(store, vat_id="DE123456789", bill_to=ADDRESS, ship_to=None)
    assert _customer(store, customer.id) == customer
    changed = attrs.evolve(
        customer, vat_id="SE556677889901", bill_to=None, ship_to=attrs.evolve(ADDRESS, extra=None)
    )
    updated = in_tx(store, lambda tx: tx.customers.update(changed))
    assert _customer(store, customer.id) == updated
    assert customer.number is not None
    assert _by_number(store, customer.number) == updated


@settings(max_examples=25)
@given(bill_to=st.none() | ADDRESSES, ship_to=st.none() | ADDRESSES)
def test_any_addresses_round_trip_exactly(
    store: Store, bill_to: Address | None, ship_to: Address | None
) -> None:
    """Any text in any address line, None lines included, comes back exactly."""
    customer = add_customer(store, bill_to=bill_to, ship_to=ship_to)
    with store.transaction(readonly=True) as tx:
        assert tx.customers.get(customer.id) == customer


def test_a_users_phone_round_trips(store: Store) -> None:
    """A phone number of the longest form (+ and 15 digits) and None come back equal."""
    user = add_user(store, phone="+" + "4" * 15)
    assert _user(store, user.id) == user
    updated = in_tx(store, lambda tx: tx.users.update(attrs.evolve(user, phone=None)))
    with store.transaction(readonly=True) as tx:
        assert tx.users.get(user.id) == updated
        assert user.email is not None
        assert tx.users.get_by_email(email_key(user.email)) == updated
    session = make_session(user.id)
    in_tx(store, lambda tx: tx.sessions.add(session))
    with store.transaction(readonly=True) as tx:
        assert tx.sessions.get(session.id) == (session, updated)


@settings(max_examples=25)
@given(assortment=st.none() | st.frozensets(st.text(max_size=20), max_size=6))
def test_a_groups_assortment_round_trips(store: Store, assortment: frozenset[str] | None) -> None:
    """A group's assortment (any category ids, none, or None for the whole) comes back
    equal, through get and list."""
    group = make_group(assortment=assortment)
    in_tx(store, lambda tx: tx.groups.add(group))
    with store.transaction(readonly=True) as tx:
        assert tx.groups.get(group.id) == group
        assert group in tx.groups.list()


@pytest.mark.parametrize(
    "role", [Role.COMPANY_MANAGER, Role.BUYER, "purchaser", "Einkäufer", "x" * 64], ids=repr
)
def test_membership_roles_round_trip_built_in_or_custom(store: Store, role: Role | str) -> None:
    """A built-in role comes back as the Role, a custom role's name as the same text,
    through add and update."""
    user, customer = add_user(store), add_customer(store)
    membership = make_membership(user.id, customer.id, role=role)
    in_tx(store, lambda tx: tx.memberships.add(membership, exclusive=False))
    with store.transaction(readonly=True) as tx:
        stored = tx.memberships.get(user.id, customer.id)
    assert stored == membership
    assert type(stored.role) is type(membership.role)
    changed = in_tx(store, lambda tx: tx.memberships.update(attrs.evolve(stored, role=Role.VIEWER)))
    back = in_tx(store, lambda tx: tx.memberships.update(attrs.evolve(changed, role=role)))
    with store.transaction(readonly=True) as tx:
        assert list(tx.memberships.for_user(user.id)) == [back]
        assert list(tx.memberships.for_customer(customer.id)) == [back]


def test_custom_and_built_in_roles_side_by_side(store: Store) -> None:
    """A custom-role membership added beside a built-in one keeps each its own role."""
    user = add_user(store)
    first, second = add_customer(store), add_customer(store)
    a = add_membership(store, user.id, first.id, role="purchaser")
    b = add_membership(store, user.id, second.id, role=Role.BUYER, active=False, assigned_at=at(11))
    with store.transaction(readonly=True) as tx:
        roles: list[Membership] = list(tx.memberships.for_user(user.id))
    assert roles == [a, b]
