"""Contract of MembershipRepository: round trip, order, exclusive and active rules, update,
remove."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pytest

from accountkit.domain import Actor, Customer, Membership, Role, User
from accountkit.errors import (
    ConcurrentUpdate,
    ConflictError,
    MembershipConflict,
    MembershipNotFound,
)
from accountkit.storage import Store
from tests.contract.factories import (
    add_customer,
    add_membership,
    add_user,
    at,
    in_tx,
    make_membership,
    uid,
)


def _for_user(store: Store, user_id: str) -> list[Membership]:
    return list(in_tx(store, lambda tx: tx.memberships.for_user(user_id)))


def _for_customer(store: Store, customer_id: str) -> list[Membership]:
    return list(in_tx(store, lambda tx: tx.memberships.for_customer(customer_id)))


def _get(store: Store, user_id: str, customer_id: str) -> Membership | None:
    return in_tx(store, lambda tx: tx.memberships.get(user_id, customer_id))


def _user_and_customers(store: Store, n: int) -> tuple[User, Sequence[Customer]]:
    return add_user(store), [add_customer(store) for _ in range(n)]


# --- round trip and reads ------------------------------------------------------------------


@pytest.mark.parametrize(
    "actor",
    [Actor.operator("staff-7"), Actor.system(), Actor.user("usr_self")],
    ids=["operator", "system", "user"],
)
@pytest.mark.parametrize("role", list(Role))
def test_membership_round_trips(store: Store, actor: Actor, role: Role) -> None:
    """Role, active flag, assigned_by (kind and id) and assigned_at come back equal."""
    user, (customer,) = _user_and_customers(store, 1)
    membership = make_membership(
        user.id, customer.id, role=role, assigned_by=actor, assigned_at=at(0.654321)
    )
    with store.transaction() as tx:
        assert tx.memberships.add(membership, exclusive=True) == membership
    assert _get(store, user.id, customer.id) == membership
    assert _for_user(store, user.id) == [membership]
    assert _for_customer(store, customer.id) == [membership]


def test_inactive_membership_round_trips(store: Store) -> None:
    """A membership stored inactive comes back inactive."""
    user, (customer,) = _user_and_customers(store, 1)
    membership = add_membership(store, user.id, customer.id, active=False)
    assert _get(store, user.id, customer.id) == membership


def test_reads_of_unknown_pairs_are_empty(store: Store) -> None:
    """get answers None, for_user and for_customer answer empty sequences."""
    user, (customer, other) = _user_and_customers(store, 2)
    add_membership(store, user.id, customer.id)
    assert _get(store, user.id, other.id) is None
    assert _get(store, uid("usr"), customer.id) is None
    assert _for_user(store, uid("usr")) == []
    assert _for_customer(store, other.id) == []


def test_for_user_returns_oldest_first(store: Store) -> None:
    """A user's memberships come oldest first by assigned_at, not in insertion order."""
    user, customers = _user_and_customers(store, 3)
    seconds = [30, 10, 20]
    added = [
        add_membership(store, user.id, c.id, active=i == 0, assigned_at=at(s))
        for i, (c, s) in enumerate(zip(customers, seconds, strict=True))
    ]
    assert _for_user(store, user.id) == [added[1], added[2], added[0]]


def test_for_customer_returns_oldest_first(store: Store) -> None:
    """A customer's memberships come oldest first by assigned_at, not in insertion order."""
    customer = add_customer(store)
    users = [add_user(store) for _ in range(3)]
    seconds = [5, 50, 0.5]
    added = [
        add_membership(store, u.id, customer.id, exclusive=True, assigned_at=at(s))
        for u, s in zip(users, seconds, strict=True)
    ]
    assert _for_customer(store, customer.id) == [added[2], added[0], added[1]]


# --- exclusive memberships (ONE_CUSTOMER_PER_USER) -----------------------------------------


@pytest.mark.parametrize("first_exclusive", [True, False], ids=["after-exclusive", "after-any"])
def test_exclusive_add_next_to_any_membership_raises(store: Store, first_exclusive: bool) -> None:
    """An exclusive add when the user has any membership raises, naming that customer."""
    user, (first, second) = _user_and_customers(store, 2)
    existing = add_membership(store, user.id, first.id, exclusive=first_exclusive, active=False)
    with pytest.raises(MembershipConflict) as caught, store.transaction() as tx:
        tx.memberships.add(make_membership(user.id, second.id, active=False), exclusive=True)
    assert caught.value.customer_id == first.id
    assert _for_user(store, user.id) == [existing]
    assert _for_customer(store, second.id) == []


def test_exclusive_conflict_names_one_of_the_users_customers(store: Store) -> None:
    """With two memberships already, the conflict names one of those two customers."""
    user, (first, second, third) = _user_and_customers(store, 3)
    add_membership(store, user.id, first.id, assigned_at=at(1))
    add_membership(store, user.id, second.id, active=False, assigned_at=at(2))
    with pytest.raises(MembershipConflict) as caught, store.transaction() as tx:
        tx.memberships.add(make_membership(user.id, third.id, active=False), exclusive=True)
    assert caught.value.customer_id in {first.id, second.id}
    assert _get(store, user.id, third.id) is None


def test_exclusive_add_after_removal_succeeds(store: Store) -> None:
    """Once the only membership is removed, an exclusive add elsewhere succeeds."""
    user, (first, second) = _user_and_customers(store, 2)
    add_membership(store, user.id, first.id, exclusive=True)
    in_tx(store, lambda tx: tx.memberships.remove(user.id, first.id))
    moved = add_membership(store, user.id, second.id, exclusive=True)
    assert _for_user(store, user.id) == [moved]


@pytest.mark.parametrize("exclusive", [True, False], ids=["exclusive", "shared"])
def test_duplicate_pair_raises_membership_conflict(store: Store, exclusive: bool) -> None:
    """Adding a pair that exists raises MembershipConflict naming that customer."""
    user, (customer,) = _user_and_customers(store, 1)
    existing = add_membership(store, user.id, customer.id, exclusive=exclusive)
    again = make_membership(user.id, customer.id, role=Role.BUYER, active=False)
    with pytest.raises(MembershipConflict) as caught, store.transaction() as tx:
        tx.memberships.add(again, exclusive=exclusive)
    assert caught.value.customer_id == customer.id
    assert _get(store, user.id, customer.id) == existing


# --- active memberships (MANY_COMPANIES) ---------------------------------------------------


def test_many_shared_memberships_with_one_active(store: Store) -> None:
    """Without exclusive, a user may have several memberships, one of them active."""
    user, customers = _user_and_customers(store, 3)
    added = [
        add_membership(store, user.id, c.id, active=i == 1, assigned_at=at(i))
        for i, c in enumerate(customers)
    ]
    assert _for_user(store, user.id) == added
    assert [m.active for m in _for_user(store, user.id)] == [False, True, False]


def test_second_active_membership_is_refused(store: Store) -> None:
    """Adding an active membership next to an active one raises ConflictError; nothing added."""
    user, (first, second) = _user_and_customers(store, 2)
    existing = add_membership(store, user.id, first.id, active=True)
    with pytest.raises(ConflictError) as caught, store.transaction() as tx:
        tx.memberships.add(make_membership(user.id, second.id, active=True), exclusive=False)
    assert not isinstance(caught.value, MembershipConflict)
    assert _for_user(store, user.id) == [existing]


def test_active_memberships_of_different_users_coexist(store: Store) -> None:
    """The one-active rule is per user: two users may each be active at one customer."""
    customer = add_customer(store)
    users = [add_user(store) for _ in range(2)]
    added = [
        add_membership(store, u.id, customer.id, active=True, assigned_at=at(i))
        for i, u in enumerate(users)
    ]
    assert _for_customer(store, customer.id) == added


# --- update and remove ----------------------------------------------------------------------


def test_update_replaces_role_and_active_flag(store: Store) -> None:
    """update stores the new role and active flag of the pair and returns the record with
    its version raised by one."""
    user, (customer,) = _user_and_customers(store, 1)
    membership = add_membership(store, user.id, customer.id)
    changed = attrs.evolve(membership, role=Role.COMPANY_MANAGER, active=False)
    with store.transaction() as tx:
        returned = tx.memberships.update(changed)
    assert returned == attrs.evolve(changed, version=membership.version + 1)
    assert _get(store, user.id, customer.id) == returned
    assert _for_customer(store, customer.id) == [returned]


def test_update_keeps_who_assigned_and_when(store: Store) -> None:
    """update writes only the role and the active flag; assigned_by and assigned_at stay."""
    user, (customer,) = _user_and_customers(store, 1)
    membership = add_membership(store, user.id, customer.id)
    changed = attrs.evolve(
        membership,
        role=Role.BUYER,
        assigned_by=Actor.system(),
        assigned_at=at(99.000001),
    )
    with store.transaction() as tx:
        returned = tx.memberships.update(changed)
    expected = attrs.evolve(membership, role=Role.BUYER, version=membership.version + 1)
    assert _get(store, user.id, customer.id) == expected
    assert returned.role is Role.BUYER
    assert returned.version == expected.version


def test_update_with_a_stale_version_raises_and_changes_nothing(store: Store) -> None:
    """An update from a membership read before someone else's update is ConcurrentUpdate."""
    user, (customer,) = _user_and_customers(store, 1)
    membership = add_membership(store, user.id, customer.id)
    with store.transaction() as tx:
        first = tx.memberships.update(attrs.evolve(membership, role=Role.BUYER))
    with pytest.raises(ConcurrentUpdate), store.transaction() as tx:
        tx.memberships.update(attrs.evolve(membership, role=Role.VIEWER))
    assert _get(store, user.id, customer.id) == first


def test_update_to_second_active_membership_raises(store: Store) -> None:
    """Activating a second membership while one is active raises ConflictError; none changes."""
    user, (first, second) = _user_and_customers(store, 2)
    active = add_membership(store, user.id, first.id, active=True, assigned_at=at(1))
    idle = add_membership(store, user.id, second.id, active=False, assigned_at=at(2))
    with pytest.raises(ConflictError) as caught, store.transaction() as tx:
        tx.memberships.update(attrs.evolve(idle, active=True))
    assert not isinstance(caught.value, MembershipConflict)
    assert _for_user(store, user.id) == [active, idle]


def test_switch_active_membership_in_one_transaction(store: Store) -> None:
    """Deactivating one membership and then activating another in one transaction works."""
    user, (first, second) = _user_and_customers(store, 2)
    active = add_membership(store, user.id, first.id, active=True, assigned_at=at(1))
    idle = add_membership(store, user.id, second.id, active=False, assigned_at=at(2))
    with store.transaction() as tx:
        tx.memberships.update(attrs.evolve(active, active=False))
        tx.memberships.update(attrs.evolve(idle, active=True))
    assert [m.active for m in _for_user(store, user.id)] == [False, True]


def test_update_missing_membership_raises(store: Store) -> None:
    """update of a pair that is not stored raises MembershipNotFound and stores nothing."""
    user, (customer,) = _user_and_customers(store, 1)
    with pytest.raises(MembershipNotFound), store.transaction() as tx:
        tx.memberships.update(make_membership(user.id, customer.id))
    assert _get(store, user.id, customer.id) is None


def test_remove_deletes_only_that_membership(store: Store) -> None:
    """remove deletes the pair; the user's other memberships stay."""
    user, (first, second) = _user_and_customers(store, 2)
    add_membership(store, user.id, first.id, active=True, assigned_at=at(1))
    kept = add_membership(store, user.id, second.id, active=False, assigned_at=at(2))
    in_tx(store, lambda tx: tx.memberships.remove(user.id, first.id))
    assert _get(store, user.id, first.id) is None
    assert _for_user(store, user.id) == [kept]
    assert _for_customer(store, first.id) == []


def test_remove_missing_membership_raises(store: Store) -> None:
    """remove of a pair that is not stored raises MembershipNotFound."""
    user, (first, second) = _user_and_customers(store, 2)
    kept = add_membership(store, user.id, first.id)
    with pytest.raises(MembershipNotFound), store.transaction() as tx:
        tx.memberships.remove(user.id, second.id)
    assert _for_user(store, user.id) == [kept]


def test_remove_twice_raises(store: Store) -> None:
    """A removed membership is gone: removing it again raises MembershipNotFound."""
    user, (customer,) = _user_and_customers(store, 1)
    add_membership(store, user.id, customer.id)
    in_tx(store, lambda tx: tx.memberships.remove(user.id, customer.id))
    with pytest.raises(MembershipNotFound), store.transaction() as tx:
        tx.memberships.remove(user.id, customer.id)
