"""Customers, customer numbers and sequences, memberships and groups: statements and
repositories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlalchemy import bindparam

from accountkit.errors import (
    AccountKitError,
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
from accountkit.storage._sql.errors import _bindable, _cause, _constraint, _is_foreign_key
from accountkit.storage._sql.execute import _Repo
from accountkit.storage._sql.rows import (
    CUSTOMER_COLUMNS,
    GROUP_COLUMNS,
    MEMBERSHIP_COLUMNS,
    _customer,
    _customer_values,
    _group,
    _group_values,
    _membership,
    _membership_values,
)
from accountkit.storage._sql.statements import _select, insert_for, search_arg, search_has

if TYPE_CHECKING:
    from accountkit.domain import Customer, CustomerGroup, CustomerKind, Membership
    from accountkit.storage._schema import Tables

READS = (
    "customer_by_id",
    "customer_by_number",
    "customer_search",
    "memberships_of_user",
    "memberships_of_customer",
    "membership",
    "group_by_id",
    "groups_all",
)
"""The statements of this module that only read (a read-only unit runs only these)."""


def build(q: Any, t: Tables, dialect: str) -> None:
    """Build this aggregate's statements onto ``q`` (a ``statements._Statements``)."""
    insert = insert_for(dialect)
    c, m = t.customers, t.memberships
    q.customer_by_id = _select(c, CUSTOMER_COLUMNS).where(c.c.id == bindparam("id"))
    q.customer_by_number = _select(c, CUSTOMER_COLUMNS).where(c.c.number == bindparam("number"))
    q.customer_exists = sa.select(c.c.id).where(c.c.id == bindparam("id"))
    q.customer_search = (
        _select(c, CUSTOMER_COLUMNS)
        .where(
            sa.or_(search_arg("after").is_(None), c.c.id > search_arg("after")),
            sa.or_(search_arg("group").is_(None), c.c.group_id == search_arg("group")),
            sa.or_(search_arg("kind").is_(None), c.c.kind == search_arg("kind")),
            sa.or_(
                search_arg("t").is_(None),
                search_has(dialect, c.c.name, "t"),
                search_has(dialect, c.c.number, "t"),
            ),
        )
        .order_by(c.c.id)
        .limit(bindparam("n"))
        .offset(bindparam("skip"))
    )
    q.customer_insert = sa.insert(c)
    # A clash on the number inserts nothing and returns no row, without aborting the
    # transaction (PostgreSQL aborts it on a unique violation).
    q.customer_insert_if_number_free = (
        insert(c).on_conflict_do_nothing(index_elements=[c.c.number]).returning(c.c.id)
    )
    q.customer_update = (
        sa.update(c)
        .where(c.c.id == bindparam("b_id"), c.c.version == bindparam("b_version"))
        .values({name: bindparam(name) for name in (*CUSTOMER_COLUMNS, "sort_key") if name != "id"})
    )
    order = (m.c.assigned_at, m.c.customer_id)
    q.memberships_of_user = (
        _select(m, MEMBERSHIP_COLUMNS).where(m.c.user_id == bindparam("u")).order_by(*order)
    )
    q.memberships_of_customer = (
        _select(m, MEMBERSHIP_COLUMNS)
        .where(m.c.customer_id == bindparam("c"))
        .order_by(m.c.assigned_at, m.c.user_id)
    )
    q.membership = _select(m, MEMBERSHIP_COLUMNS).where(
        m.c.user_id == bindparam("u"), m.c.customer_id == bindparam("c")
    )
    q.membership_insert = sa.insert(m)
    # Only the role and the active flag change after an assignment; the version check
    # turns a concurrent change into ConcurrentUpdate instead of a silent overwrite.
    q.membership_update = (
        sa.update(m)
        .where(
            m.c.user_id == bindparam("u"),
            m.c.customer_id == bindparam("c"),
            m.c.version == bindparam("b_version"),
        )
        .values(
            role=bindparam("role"),
            is_active=bindparam("is_active"),
            version=bindparam("version"),
        )
    )
    q.membership_delete = sa.delete(m).where(
        m.c.user_id == bindparam("u"), m.c.customer_id == bindparam("c")
    )
    g = t.groups
    q.group_by_id = _select(g, GROUP_COLUMNS).where(g.c.id == bindparam("id"))
    q.group_insert = sa.insert(g)
    # Sorted in Python (code point order), not by the database's collation.
    q.groups_all = _select(g, GROUP_COLUMNS)
    s = t.sequences
    q.sequence_next = (
        sa.update(s)
        .where(s.c.name == bindparam("b_name"))
        .values(
            value=sa.case(
                (s.c.value + 1 > bindparam("b_start"), s.c.value + 1),
                else_=bindparam("b_start"),
            )
        )
        .returning(s.c.value)
    )
    q.sequence_create = insert(s).on_conflict_do_nothing(index_elements=[s.c.name])
    # FOR UPDATE: a customer's update or removal reads the number it gives up and
    # writes in one go on PostgreSQL too (SQLite's write unit holds the lock already).
    q.customer_lock = q.customer_by_id.with_for_update()
    q.customer_delete = sa.delete(c).where(c.c.id == bindparam("id"))
    q.customer_has_members = (
        sa.select(m.c.user_id).where(m.c.customer_id == bindparam("c")).limit(1)
    )
    n = t.customer_numbers
    # One namespace for live and retired numbers: a claim inserts the number's row, or
    # takes back a number this customer gave up; any other holder, live or retired,
    # leaves the row as it is and the statement returns no row. A primary key rather
    # than a check before the write, so concurrent claims and retirements of one
    # number meet on one row (the later one waits for the earlier to commit).
    claim = insert(n)
    q.number_claim = claim.on_conflict_do_update(
        index_elements=[n.c.number],
        set_={"live": True, "retired_at": None},
        where=sa.and_(n.c.customer_id == claim.excluded.customer_id, sa.not_(n.c.live)),
    ).returning(n.c.number)
    # Giving a number up keeps its row, marked retired: never deleted.
    q.number_retire = (
        sa.update(n)
        .where(n.c.number == bindparam("b_number"), n.c.customer_id == bindparam("b_customer"))
        .values(live=False, retired_at=bindparam("at"))
    )


class _Customers(_Repo):
    def get(self, customer_id: str) -> Customer | None:
        if not _bindable(customer_id):
            return None
        row = self._x.first("customer_by_id", {"id": customer_id})
        return None if row is None else _customer(row)

    def get_by_number(self, number: str) -> Customer | None:
        if not _bindable(number):
            return None
        row = self._x.first("customer_by_number", {"number": number})
        return None if row is None else _customer(row)

    def search(
        self,
        *,
        text: str | None = None,
        group_id: str | None = None,
        kind: CustomerKind | None = None,
        after: str | None = None,
        limit: int,
    ) -> Sequence[Customer]:
        if any(v is not None and not _bindable(v) for v in (text, group_id, after)):
            return []
        params = {
            "t": text,
            "group": group_id,
            "kind": None if kind is None else kind.value,
            "after": after,
            "n": limit,
            "skip": 0,
        }
        return [_customer(row) for row in self._x.all("customer_search", params)]

    def _integrity(self, exc: sa.exc.IntegrityError) -> AccountKitError:
        if _is_foreign_key(exc):
            return GroupNotFound()
        if "number" in _constraint(exc):
            return CustomerNumberTaken()
        return ConflictError("A customer with this id exists already.")

    def _claim(self, number: str, customer_id: str) -> bool:
        """Make ``number`` live for ``customer_id`` in the number namespace; False when
        another customer holds it or held it before (nothing is written then)."""
        params = {"number": number, "customer_id": customer_id, "live": True, "retired_at": None}
        return self._x.scalar("number_claim", params) is not None

    def _retire(self, number: str, customer_id: str) -> None:
        params = {"b_number": number, "b_customer": customer_id, "at": datetime.now(UTC)}
        self._x.run("number_retire", params)

    def add(self, customer: Customer) -> Customer:
        self._writing()
        try:
            self._x.run("customer_insert", _customer_values(customer))
        except sa.exc.IntegrityError as exc:
            raise self._integrity(exc) from _cause(exc)
        # The row first (see update): a live clash, an unknown group or id ends there
        # with nothing written; a retired number is found by the claim, and the row is
        # taken back.
        if customer.number is not None and not self._claim(customer.number, customer.id):
            self._x.run("customer_delete", {"id": customer.id})
            raise CustomerNumberTaken()
        return customer

    def add_if_number_free(self, customer: Customer) -> Customer | None:
        self._writing()
        try:
            row = self._x.first("customer_insert_if_number_free", _customer_values(customer))
        except sa.exc.IntegrityError as exc:
            raise self._integrity(exc) from _cause(exc)
        if row is None:
            return None
        if customer.number is not None and not self._claim(customer.number, customer.id):
            self._x.run("customer_delete", {"id": customer.id})
            return None
        return customer

    def update(self, customer: Customer) -> Customer:
        self._writing()
        row = (
            self._x.first("customer_lock", {"id": customer.id}) if _bindable(customer.id) else None
        )
        if row is None:
            raise CustomerNotFound()
        stored = _customer(row)
        if stored.version != customer.version:
            raise ConcurrentUpdate()
        # The row first, the number namespace second, in every write (add, update,
        # remove): two units that meet on one number then wait for each other in one
        # order, instead of deadlocking on PostgreSQL. A live clash ends at the row's
        # unique index; a retired number is found by the claim, and the row is put back.
        values = _customer_values(customer)
        self._update("customer", values, customer.version, self._integrity, CustomerNotFound)
        if customer.number == stored.number:
            return attrs.evolve(customer, version=customer.version + 1)
        if customer.number is not None and not self._claim(customer.number, customer.id):
            restore = _customer_values(stored)
            restore.pop("id")
            self._x.run(
                "customer_update",
                {**restore, "b_id": stored.id, "b_version": stored.version + 1},
            )
            raise CustomerNumberTaken()
        if stored.number is not None:
            self._retire(stored.number, customer.id)
        return attrs.evolve(customer, version=customer.version + 1)

    def remove(self, customer_id: str) -> None:
        self._writing()
        row = (
            self._x.first("customer_lock", {"id": customer_id}) if _bindable(customer_id) else None
        )
        if row is None:
            raise CustomerNotFound()
        if self._x.first("customer_has_members", {"c": customer_id}) is not None:
            raise ConflictError(_STILL_MEMBERS)
        try:
            self._x.run("customer_delete", {"id": customer_id})
        except sa.exc.IntegrityError as exc:
            # A membership added meanwhile, or an order of the customer's.
            raise ConflictError(_STILL_MEMBERS) from _cause(exc)
        number = row[CUSTOMER_COLUMNS.index("number")]
        if number is not None:
            self._retire(number, customer_id)


_STILL_MEMBERS = "The customer still has members; remove them first."


_SECOND_ACTIVE = (
    "The user already has an active company; switch instead of adding a second active membership."
)


class _Memberships(_Repo):
    def for_user(self, user_id: str) -> Sequence[Membership]:
        if not _bindable(user_id):
            return []
        return [_membership(r) for r in self._x.all("memberships_of_user", {"u": user_id})]

    def for_customer(self, customer_id: str) -> Sequence[Membership]:
        if not _bindable(customer_id):
            return []
        rows = self._x.all("memberships_of_customer", {"c": customer_id})
        return [_membership(r) for r in rows]

    def get(self, user_id: str, customer_id: str) -> Membership | None:
        if not (_bindable(user_id) and _bindable(customer_id)):
            return None
        row = self._x.first("membership", {"u": user_id, "c": customer_id})
        return None if row is None else _membership(row)

    def add(self, membership: Membership, *, exclusive: bool) -> Membership:
        self._writing()
        # Checked here for a clear error in the common case; the partial unique indexes
        # decide the races between concurrent transactions.
        current = self._x.all("memberships_of_user", {"u": membership.user_id})
        active_at = MEMBERSHIP_COLUMNS.index("is_active")
        exclusive_at = MEMBERSHIP_COLUMNS.index("is_exclusive")
        if any(r[1] == membership.customer_id for r in current):
            raise AlreadyMember(customer_id=membership.customer_id)
        if current and (exclusive or any(r[exclusive_at] for r in current)):
            raise MembershipConflict(customer_id=current[0][1])
        if membership.active and any(r[active_at] for r in current):
            raise ConflictError(_SECOND_ACTIVE)
        try:
            self._x.run("membership_insert", _membership_values(membership, exclusive))
        except sa.exc.IntegrityError as exc:
            raise self._integrity(exc, membership) from _cause(exc)
        return membership

    def _integrity(self, exc: sa.exc.IntegrityError, membership: Membership) -> AccountKitError:
        name = _constraint(exc)
        if _is_foreign_key(exc):
            return NotFoundError("The user or the customer does not exist.")
        if "is_active" in name or "uq_memberships_active" in name:
            return ConflictError(_SECOND_ACTIVE)
        if "customer_id" in name or "pkey" in name:
            return AlreadyMember(customer_id=membership.customer_id)
        # A concurrent transaction placed the user first; look up where, outside this
        # (possibly aborted) transaction.
        return MembershipConflict(customer_id=self._store._customer_of(membership.user_id))

    def update(self, membership: Membership) -> Membership:
        self._writing()
        params = {
            "u": membership.user_id,
            "c": membership.customer_id,
            "b_version": membership.version,
            "role": str(membership.role),
            "is_active": membership.active,
            "version": membership.version + 1,
        }
        try:
            changed = self._x.run("membership_update", params)
        except sa.exc.IntegrityError as exc:
            raise ConflictError(_SECOND_ACTIVE) from _cause(exc)
        if changed != 1:
            stored = self.get(membership.user_id, membership.customer_id)
            if stored is None:
                raise MembershipNotFound()
            raise ConcurrentUpdate()
        return attrs.evolve(membership, version=membership.version + 1)

    def remove(self, user_id: str, customer_id: str) -> None:
        self._writing()
        if self._x.run("membership_delete", {"u": user_id, "c": customer_id}) != 1:
            raise MembershipNotFound()


class _Groups(_Repo):
    def get(self, group_id: str) -> CustomerGroup | None:
        if not _bindable(group_id):
            return None
        row = self._x.first("group_by_id", {"id": group_id})
        return None if row is None else _group(row)

    def add(self, group: CustomerGroup) -> CustomerGroup:
        self._writing()
        try:
            self._x.run("group_insert", _group_values(group))
        except sa.exc.IntegrityError as exc:
            raise ConflictError("A group with this id exists already.") from _cause(exc)
        return group

    def list(self) -> Sequence[CustomerGroup]:
        groups = [_group(r) for r in self._x.all("groups_all", {})]
        return sorted(groups, key=lambda g: (g.name, g.id))


class _Sequences(_Repo):
    def next_value(self, name: str, *, start: int) -> int:
        self._writing()
        params = {"b_name": name, "b_start": start}
        value = self._x.scalar("sequence_next", params)
        if value is None:
            self._x.run("sequence_create", {"name": name, "value": start - 1})
            value = self._x.scalar("sequence_next", params)
        return int(value)
