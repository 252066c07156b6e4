"""Contract of units of work beyond commit and rollback: nested units are savepoints,
read-only units refuse writes, a closed store refuses everything, and the operations that
keep concurrent changes apart (lock, add_if_number_free) mean the same on every store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import attrs
import pytest

from accountkit import AccountKit, Actor, CustomerKind
from accountkit.errors import (
    ConcurrentUpdate,
    EmailTaken,
    GroupNotFound,
    ReadOnlyUnit,
    StoreClosed,
)
from accountkit.storage import Store, Transaction
from tests.contract.factories import (
    Boom,
    add_customer,
    add_membership,
    add_user,
    at,
    fresh_email,
    in_tx,
    make_customer,
    make_event,
    make_group,
    make_membership,
    make_user,
    uid,
)
from tests.helpers import made

STAFF = Actor.operator("staff-7")


# --- nested units are savepoints ---------------------------------------------------------


def test_a_failed_nested_unit_undoes_only_its_own_writes(store: Store) -> None:
    """Writes before and after a nested unit that raised commit; the nested unit's do not."""
    before, inside, after = make_user(), make_user(), make_user()
    with store.transaction() as tx:
        tx.users.add(before)
        with pytest.raises(Boom), store.transaction() as inner:
            inner.users.add(inside)
            inner.events.append(make_event(user_id=inside.id))
            raise Boom
        tx.users.add(after)
    with store.transaction() as tx:
        assert tx.users.get(before.id) == before
        assert tx.users.get(inside.id) is None
        assert list(tx.events.for_user(inside.id)) == []
        assert tx.users.get(after.id) == after


def test_a_store_error_in_a_nested_unit_leaves_the_outer_unit_usable(store: Store) -> None:
    """A unique violation inside a nested unit (which aborts a PostgreSQL transaction without
    a savepoint) is caught, and the outer unit still writes and commits."""
    existing = add_user(store)
    clash = make_user(email=existing.email)
    kept = make_user()
    with store.transaction() as tx:
        with pytest.raises(EmailTaken), store.transaction() as inner:
            inner.users.add(clash)
        tx.users.add(kept)
        assert tx.users.get(kept.id) == kept
    assert in_tx(store, lambda tx: tx.users.get(kept.id)) == kept
    assert in_tx(store, lambda tx: tx.users.get(clash.id)) is None


def test_a_block_that_catches_a_failed_nested_unit_and_ends_commits(store: Store) -> None:
    """A block whose last act is a caught failure still commits what it did before."""
    existing = add_customer(store)
    kept = make_customer()
    with store.transaction() as tx:
        tx.customers.add(kept)
        with pytest.raises(Exception, match="number"), store.transaction() as inner:
            inner.customers.add(make_customer(number=existing.number))
    assert in_tx(store, lambda tx: tx.customers.get(kept.id)) == kept


def test_a_nested_unit_that_succeeds_rolls_back_with_its_outer_unit(store: Store) -> None:
    """Nested writes belong to the outer unit: when it raises, they go too."""
    user = make_user()
    with pytest.raises(Boom), store.transaction():
        with store.transaction() as inner:
            inner.users.add(user)
        raise Boom
    assert in_tx(store, lambda tx: tx.users.get(user.id)) is None


def test_units_nest_several_levels_deep(store: Store) -> None:
    """Each level of nesting is its own savepoint."""
    a, b, c = make_user(), make_user(), make_user()
    with store.transaction() as tx:
        tx.users.add(a)
        with store.transaction() as middle:
            middle.users.add(b)
            with pytest.raises(Boom), store.transaction() as inner:
                inner.users.add(c)
                raise Boom
    with store.transaction(readonly=True) as tx:
        assert [tx.users.get(u.id) for u in (a, b, c)] == [a, b, None]


# --- read-only units refuse writes -------------------------------------------------------

WRITES: dict[str, Callable[[Transaction], object]] = {
    "users.add": lambda tx: tx.users.add(make_user()),
    "users.add_many": lambda tx: tx.users.add_many([make_user()]),
    "users.lock": lambda tx: tx.users.lock(uid("usr")),
    "customers.add": lambda tx: tx.customers.add(make_customer()),
    "customers.add_if_number_free": lambda tx: tx.customers.add_if_number_free(make_customer()),
    "groups.add": lambda tx: tx.groups.add(make_group()),
    "events.append": lambda tx: tx.events.append(make_event()),
    "sequences.next_value": lambda tx: tx.sequences.next_value("readonly", start=1),
    "tokens.mark_used": lambda tx: tx.tokens.mark_used(
        uid("tok"), user_id=uid("usr"), purpose="login", at=at(0)
    ),
}


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_a_readonly_unit_refuses_every_write(store: Store, write: str) -> None:
    """Each kind of write in a read-only unit raises ReadOnlyUnit."""
    with pytest.raises(ReadOnlyUnit), store.transaction(readonly=True) as tx:
        WRITES[write](tx)


def test_a_readonly_unit_refuses_updates_and_removals(store: Store) -> None:
    """Updates of stored records and removals are refused and change nothing."""
    user = add_user(store)
    customer = add_customer(store)
    membership = add_membership(store, user.id, customer.id)
    changes: list[Callable[[Transaction], object]] = [
        lambda tx: tx.users.update(attrs.evolve(user, given_name="Changed")),
        lambda tx: tx.customers.update(attrs.evolve(customer, note="changed")),
        lambda tx: tx.memberships.update(attrs.evolve(membership, active=False)),
        lambda tx: tx.memberships.remove(user.id, customer.id),
        lambda tx: tx.memberships.add(make_membership(user.id, uid("cus")), exclusive=False),
    ]
    for change in changes:
        with pytest.raises(ReadOnlyUnit), store.transaction(readonly=True) as tx:
            change(tx)
    with store.transaction(readonly=True) as tx:
        assert tx.users.get(user.id) == user
        assert tx.customers.get(customer.id) == customer
        assert list(tx.memberships.for_user(user.id)) == [membership]


def test_a_refused_write_caught_in_a_readonly_unit_stores_nothing(store: Store) -> None:
    """A block that catches ReadOnlyUnit and then fails or ends leaves no trace."""
    token = uid("tok")
    with store.transaction(readonly=True) as tx:
        with pytest.raises(ReadOnlyUnit):
            tx.tokens.mark_used(token, user_id=uid("usr"), purpose="login", at=at(0))
        assert tx.tokens.is_used(token) is False
    with pytest.raises(Boom), store.transaction(readonly=True) as tx:
        with pytest.raises(ReadOnlyUnit):
            tx.users.add(make_user())
        raise Boom
    with store.transaction(readonly=True) as tx:
        assert tx.tokens.is_used(token) is False
        assert tx.users.count() == 0


def test_a_write_unit_cannot_open_inside_a_readonly_unit(store: Store) -> None:
    """Opening a write unit inside a read-only one raises ReadOnlyUnit."""
    with (
        store.transaction(readonly=True),
        pytest.raises(ReadOnlyUnit),
        store.transaction() as inner,
    ):
        inner.users.add(make_user())
    assert in_tx(store, lambda tx: tx.users.count()) == 0


def test_a_readonly_unit_inside_a_write_unit_refuses_writes(store: Store) -> None:
    """A read-only unit nested in a write unit reads the outer unit's writes, writes nothing."""
    user = make_user()
    with store.transaction() as tx:
        tx.users.add(user)
        with store.transaction(readonly=True) as inner:
            assert inner.users.get(user.id) == user
            with pytest.raises(ReadOnlyUnit):
                inner.users.add(make_user())
        tx.users.add(make_user())
    assert in_tx(store, lambda tx: tx.users.count()) == 2


def test_a_kit_write_inside_a_readonly_unit_is_refused(kit: AccountKit, store: Store) -> None:
    """A kit call that writes, made inside the shop's read-only unit, raises ReadOnlyUnit and
    stores nothing, also when the shop's block raises afterwards."""
    email = fresh_email("guest")
    with pytest.raises(ReadOnlyUnit), store.transaction(readonly=True):
        kit.registration.register_guest(email=email, given_name="Tom")
    with pytest.raises(Boom), store.transaction(readonly=True):
        with pytest.raises(ReadOnlyUnit):
            kit.registration.register_guest(email=email, given_name="Tom")
        raise Boom
    assert kit.users.find_by_email(email) is None


# --- kit calls inside a shop's unit ------------------------------------------------------


def _register(kit: AccountKit, email: str) -> None:
    made(
        kit.registration.register(
            email=email,
            password="correct horse battery",
            birth_date=date(1990, 5, 17),
            given_name="Ada",
            family_name="Lovelace",
        )
    )


def test_a_kit_call_that_fails_inside_a_shops_unit_rolls_back_alone(
    kit: AccountKit, store: Store
) -> None:
    """The shop catches EmailTaken from one kit call; the calls before and after commit."""
    taken = fresh_email("taken")
    _register(kit, taken)
    guest_email = fresh_email("guest")
    with store.transaction():
        guest = kit.registration.register_guest(email=guest_email, given_name="Tom")
        with pytest.raises(EmailTaken):
            _register(kit, taken)
        family = kit.customers.create(STAFF, name="The Smiths", kind=CustomerKind.PERSONAL)
    assert guest is not None
    assert kit.users.find_by_email(guest_email) == guest
    assert kit.customers.get(family.id) == family


def test_a_shops_unit_ending_on_a_caught_kit_error_keeps_the_earlier_calls(
    kit: AccountKit, store: Store
) -> None:
    """A block whose last kit call failed (and was caught) commits the calls before it."""
    taken = fresh_email("taken")
    _register(kit, taken)
    guest_email = fresh_email("guest")
    with store.transaction():
        kit.registration.register_guest(email=guest_email, given_name="Tom")
        with pytest.raises(GroupNotFound):
            kit.customers.create(STAFF, name="Club", group_id=uid("grp"))
    assert kit.users.find_by_email(guest_email) is not None


def test_a_concurrent_update_inside_a_shops_unit_is_caught_and_the_unit_goes_on(
    kit: AccountKit, store: Store
) -> None:
    """ConcurrentUpdate from a kit call leaves the shop's unit usable."""
    customer = kit.customers.create(STAFF, name="Club")
    kit.customers.set_note(STAFF, customer.id, "first")
    with store.transaction():
        with pytest.raises(ConcurrentUpdate):
            kit.customers.set_note(STAFF, customer.id, "stale", expected_version=customer.version)
        kit.customers.set_note(STAFF, customer.id, "second")
    assert kit.customers.get(customer.id).note == "second"


# --- close ---------------------------------------------------------------------------------


def test_a_closed_store_refuses_every_unit(store: Store) -> None:
    """After close, read and write units raise StoreClosed; closing again is harmless."""
    add_user(store)
    store.close()
    with pytest.raises(StoreClosed), store.transaction():
        pass
    with pytest.raises(StoreClosed), store.transaction(readonly=True):
        pass
    store.close()


def test_kit_calls_on_a_closed_kit_raise_store_closed(kit: AccountKit) -> None:
    """AccountKit.close closes the store; every later call raises StoreClosed."""
    with kit:
        customer = kit.customers.create(STAFF, name="Club")
    with pytest.raises(StoreClosed):
        kit.customers.get(customer.id)
    with pytest.raises(StoreClosed):
        kit.customers.create(STAFF, name="Club")


# --- lock and add_if_number_free -----------------------------------------------------------


def test_lock_returns_the_user_or_none(store: Store) -> None:
    """lock reads the user like get, and None for an unknown id."""
    user = add_user(store)
    with store.transaction() as tx:
        assert tx.users.lock(user.id) == user
        assert tx.users.lock(uid("usr")) is None


def test_add_if_number_free_inserts_a_customer_with_a_free_number(store: Store) -> None:
    """With a free number the customer is stored and returned."""
    customer = make_customer()
    with store.transaction() as tx:
        assert tx.customers.add_if_number_free(customer) == customer
    assert in_tx(store, lambda tx: tx.customers.get(customer.id)) == customer


def test_add_if_number_free_skips_a_taken_number_and_the_unit_goes_on(store: Store) -> None:
    """A taken number returns None, writes nothing, and the unit can still write and commit."""
    holder = add_customer(store)
    clash = make_customer(number=holder.number)
    other = make_customer()
    with store.transaction() as tx:
        assert tx.customers.add_if_number_free(clash) is None
        assert tx.customers.add_if_number_free(other) == other
    with store.transaction(readonly=True) as tx:
        assert tx.customers.get(clash.id) is None
        assert tx.customers.get(other.id) == other
        assert tx.customers.get_by_number(str(holder.number)) == holder


def test_add_if_number_free_still_checks_the_group(store: Store) -> None:
    """An unknown group raises GroupNotFound, as add does."""
    with pytest.raises(GroupNotFound), store.transaction() as tx:
        tx.customers.add_if_number_free(make_customer(group_id=uid("grp")))


# --- keys that cannot be stored, and orders --------------------------------------------------

HOSTILE_KEYS = ["", "x" * 10_000, "\x00", "usr_\x00", "\ud800", "usr_\udfff", "ü" * 300]


@pytest.mark.parametrize("key", HOSTILE_KEYS, ids=repr)
def test_lookups_by_keys_that_cannot_be_stored_find_nothing(store: Store, key: str) -> None:
    """Every lookup answers "not found" for such a key, on every store, without an error."""
    with store.transaction(readonly=True) as tx:
        assert tx.users.get(key) is None
        assert tx.users.get_by_email(key) is None
        assert tx.customers.get(key) is None
        assert tx.customers.get_by_number(key) is None
        assert tx.groups.get(key) is None
        assert tx.memberships.get(key, key) is None
        assert list(tx.memberships.for_user(key)) == []
        assert list(tx.memberships.for_customer(key)) == []
        assert list(tx.events.for_user(key)) == []
        assert list(tx.events.for_customer(key)) == []
        assert tx.tokens.is_used(key) is False
    with store.transaction() as tx:
        assert tx.users.lock(key) is None


def test_groups_are_listed_by_name_in_code_point_order(store: Store) -> None:
    """list sorts by name as Python compares strings (then by id), whatever the collation."""
    names = ["b", "B", "a", "Á", "é", "e", "Z", "ä", "a b", "ab", "_x"]
    groups = [make_group(name=name) for name in names]
    with store.transaction() as tx:
        for group in groups:
            tx.groups.add(group)
    with store.transaction(readonly=True) as tx:
        listed = list(tx.groups.list())
    assert listed == sorted(groups, key=lambda g: (g.name, g.id))
