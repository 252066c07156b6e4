"""Customers, memberships, groups and sequences in memory."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from accountkit.errors import (
    AlreadyMember,
    ConcurrentUpdate,
    ConflictError,
    CustomerNotFound,
    CustomerNumberTaken,
    GroupNotFound,
    MembershipConflict,
    MembershipNotFound,
    NotFoundError,
)
from accountkit.storage._checks import customer_matches, searchable
from accountkit.storage._memory.orders import _refuse_if_ordered

if TYPE_CHECKING:
    from accountkit.domain import Customer, CustomerGroup, CustomerKind, Membership
    from accountkit.storage._memory.state import _Data, _Journal


class _Customers:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def get(self, customer_id: str) -> Customer | None:
        return self._d.customers.get(customer_id)

    def get_by_number(self, number: str) -> Customer | None:
        customer_id = self._d.customers_by_number.get(number)
        return None if customer_id is None else self._d.customers[customer_id]

    def search(
        self,
        *,
        text: str | None = None,
        group_id: str | None = None,
        kind: CustomerKind | None = None,
        after: str | None = None,
        limit: int,
    ) -> Sequence[Customer]:
        if any(v is not None and not searchable(v) for v in (text, group_id, after)):
            return []
        found: list[Customer] = []
        for customer_id in sorted(self._d.customers):
            customer = self._d.customers[customer_id]
            if after is not None and customer_id <= after:
                continue
            if group_id is not None and customer.group_id != group_id:
                continue
            if kind is not None and customer.kind is not kind:
                continue
            if text is not None and not customer_matches(customer, text):
                continue
            found.append(customer)
            if len(found) >= limit:
                break
        return found

    def _claim_number(self, customer: Customer, previous: Customer | None) -> None:
        old = previous.number if previous else None
        if customer.number == old:
            return
        if customer.number is not None:
            if not self._number_free(customer.number, customer.id):
                raise CustomerNumberTaken()
            self._j.put(self._d.customers_by_number, customer.number, customer.id)
        if old is not None:
            self._j.delete(self._d.customers_by_number, old)
            self._j.put(self._d.retired_numbers, old, customer.id)

    def _number_free(self, number: str, customer_id: str) -> bool:
        if number in self._d.customers_by_number:
            return False
        holder = self._d.retired_numbers.get(number)
        return holder is None or holder == customer_id

    def _check_group(self, customer: Customer) -> None:
        if customer.group_id is not None and customer.group_id not in self._d.groups:
            raise GroupNotFound()

    def add(self, customer: Customer) -> Customer:
        self._j._check()
        if customer.id in self._d.customers:
            raise ConflictError("A customer with this id exists already.")
        self._check_group(customer)
        self._claim_number(customer, None)
        self._j.put(self._d.customers, customer.id, customer)
        self._j.put(self._d.customer_sort_keys, customer.id, customer.sort_key)
        return customer

    def add_if_number_free(self, customer: Customer) -> Customer | None:
        self._j._check()
        if customer.number is not None and not self._number_free(customer.number, customer.id):
            return None
        return self.add(customer)

    def update(self, customer: Customer) -> Customer:
        self._j._check()
        stored = self._d.customers.get(customer.id)
        if stored is None:
            raise CustomerNotFound()
        if stored.version != customer.version:
            raise ConcurrentUpdate()
        self._check_group(customer)
        new = attrs.evolve(customer, version=customer.version + 1)
        self._claim_number(new, stored)
        self._j.put(self._d.customers, new.id, new)
        self._j.put(self._d.customer_sort_keys, new.id, new.sort_key)
        return new

    def remove(self, customer_id: str) -> None:
        self._j._check()
        stored = self._d.customers.get(customer_id)
        if stored is None:
            raise CustomerNotFound()
        if self._d.by_customer.get(customer_id):
            raise ConflictError("The customer still has members; remove them first.")
        _refuse_if_ordered(self._d, customer_id=customer_id)
        if stored.number is not None:
            self._j.delete(self._d.customers_by_number, stored.number)
            self._j.put(self._d.retired_numbers, stored.number, customer_id)
        self._j.delete(self._d.customers, customer_id)
        self._j.delete(self._d.customer_sort_keys, customer_id)


def _oldest_first(memberships: Iterable[Membership], *, by: str) -> list[Membership]:
    # Ties in time are broken by the other id, exactly as the SQL store orders them.
    if by == "customer":
        return sorted(memberships, key=lambda m: (m.assigned_at, m.customer_id))
    return sorted(memberships, key=lambda m: (m.assigned_at, m.user_id))


class _Memberships:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def for_user(self, user_id: str) -> Sequence[Membership]:
        return _oldest_first(self._d.by_user.get(user_id, {}).values(), by="customer")

    def for_customer(self, customer_id: str) -> Sequence[Membership]:
        return _oldest_first(self._d.by_customer.get(customer_id, {}).values(), by="user")

    def get(self, user_id: str, customer_id: str) -> Membership | None:
        return self._d.memberships.get((user_id, customer_id))

    def _check_active(self, membership: Membership) -> None:
        if not membership.active:
            return
        for other in self._d.by_user.get(membership.user_id, {}).values():
            if other.active and other.customer_id != membership.customer_id:
                raise ConflictError(
                    "The user already has an active company; switch instead of adding a "
                    "second active membership."
                )

    def _write(self, membership: Membership) -> None:
        key = (membership.user_id, membership.customer_id)
        self._j.put(self._d.memberships, key, membership)
        self._j.put(self._d.by_user.setdefault(membership.user_id, {}), key[1], membership)
        self._j.put(self._d.by_customer.setdefault(membership.customer_id, {}), key[0], membership)

    def add(self, membership: Membership, *, exclusive: bool) -> Membership:
        self._j._check()
        key = (membership.user_id, membership.customer_id)
        if membership.user_id not in self._d.users or membership.customer_id not in (
            self._d.customers
        ):
            raise NotFoundError("The user or the customer does not exist.")
        current = self._d.by_user.get(membership.user_id, {})
        if key in self._d.memberships:
            raise AlreadyMember(customer_id=membership.customer_id)
        if current and (exclusive or any(self._d.exclusive[key[0], c] for c in current)):
            raise MembershipConflict(customer_id=next(iter(current)))
        self._check_active(membership)
        self._write(membership)
        self._j.put(self._d.exclusive, key, exclusive)
        return membership

    def update(self, membership: Membership) -> Membership:
        self._j._check()
        stored = self._d.memberships.get((membership.user_id, membership.customer_id))
        if stored is None:
            raise MembershipNotFound()
        if stored.version != membership.version:
            raise ConcurrentUpdate()
        self._check_active(membership)
        # Only what may change after the assignment: the role and the active flag.
        new = attrs.evolve(
            stored, role=membership.role, active=membership.active, version=stored.version + 1
        )
        self._write(new)
        return new

    def remove(self, user_id: str, customer_id: str) -> None:
        self._j._check()
        key = (user_id, customer_id)
        if key not in self._d.memberships:
            raise MembershipNotFound()
        self._j.delete(self._d.memberships, key)
        self._j.delete(self._d.exclusive, key)
        self._j.delete(self._d.by_user[user_id], customer_id)
        self._j.delete(self._d.by_customer[customer_id], user_id)


class _Groups:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def get(self, group_id: str) -> CustomerGroup | None:
        return self._d.groups.get(group_id)

    def add(self, group: CustomerGroup) -> CustomerGroup:
        self._j._check()
        if group.id in self._d.groups:
            raise ConflictError("A group with this id exists already.")
        self._j.put(self._d.groups, group.id, group)
        return group

    def list(self) -> Sequence[CustomerGroup]:
        return sorted(self._d.groups.values(), key=lambda g: (g.name, g.id))


class _Sequences:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def next_value(self, name: str, *, start: int) -> int:
        self._j._check()
        current = self._d.sequences.get(name)
        value = start if current is None else max(current + 1, start)
        self._j.put(self._d.sequences, name, value)
        return value
