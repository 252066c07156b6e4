"""Races of removals between processes: a customer removed while users are assigned to it,
and a user removed while they are assigned to companies. Either the removal or the
assignment wins, whole; no membership points at a removed row, and no driver error leaks.
Four processes each, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import pytest

from accountkit.domain import Customer, User
from tests.concurrency._workers import Database, Job, rounds, run_workers
from tests.contract.factories import add_customer, add_user

pytestmark = pytest.mark.slow

RACE_ROUNDS = 6
MISSED = {"CustomerNotFound", "NotFoundError"}
"""An assignment that comes after the removal: CustomerNotFound when the service's own read
sees the customer gone; NotFoundError when it saw the customer, and the membership's foreign
key refused the row once the removal committed (PostgreSQL: the insert waits for it)."""


def _customer(database: Database, customer_id: str) -> Customer | None:
    with database.store.transaction(readonly=True) as tx:
        return tx.customers.get(customer_id)


def _user(database: Database, user_id: str) -> User | None:
    with database.store.transaction(readonly=True) as tx:
        return tx.users.get(user_id)


def test_a_customer_removed_while_users_join_it(database: Database) -> None:
    """One process removes a customer while three assign a user each to it: either the
    removal wins (every assignment finds no customer) or at least one assignment does
    (the removal is refused, and the customer has exactly the users whose assignment
    succeeded)."""
    customers = [add_customer(database.store, number=None) for _ in range(RACE_ROUNDS)]
    users = [[add_user(database.store) for _ in range(3)] for _ in range(RACE_ROUNDS)]
    jobs = [Job(tuple(c.id for c in customers), action="remove_customer")] + [
        Job(
            tuple(f"{users[r][w].id} {customers[r].id}" for r in range(RACE_ROUNDS)),
            action="assign",
        )
        for w in range(3)
    ]

    results = run_workers("assign", database.target, jobs)

    for customer, joined, outcomes in zip(customers, users, rounds(results), strict=True):
        removal, *assigns = outcomes
        with database.store.transaction(readonly=True) as tx:
            members = sorted(m.user_id for m in tx.memberships.for_customer(customer.id))
        if removal.kind == "ok":
            assert {a.kind for a in assigns} <= MISSED, outcomes
            assert _customer(database, customer.id) is None
            assert members == []
        else:
            assert removal.kind == "ConflictError", outcomes
            assert {a.kind for a in assigns} <= {"ok"} | MISSED, outcomes
            won = sorted(u.id for u, a in zip(joined, assigns, strict=True) if a.kind == "ok")
            assert won and members == won, outcomes
            assert _customer(database, customer.id) == customer


def test_a_user_removed_while_companies_take_them_on(database: Database) -> None:
    """One process removes a user while three assign them to a company each: the removal
    always wins in the end (it deletes memberships made before it), an assignment after it
    finds no user, and nothing of the user is left."""
    users = [add_user(database.store) for _ in range(RACE_ROUNDS)]
    companies = [[add_customer(database.store, number=None) for _ in range(3)] for _ in users]
    jobs = [Job(tuple(u.id for u in users), action="remove_user")] + [
        Job(tuple(f"{users[r].id} {companies[r][w].id}" for r in range(RACE_ROUNDS)), action="join")
        for w in range(3)
    ]

    results = run_workers("join", database.target, jobs)

    for user, theirs, outcomes in zip(users, companies, rounds(results), strict=True):
        removal, *joins = outcomes
        assert removal.kind == "ok", outcomes
        assert {j.kind for j in joins} <= {"ok", "UserNotFound"}, outcomes
        assert _user(database, user.id) is None
        with database.store.transaction(readonly=True) as tx:
            assert list(tx.memberships.for_user(user.id)) == []
            for company in theirs:
                assert list(tx.memberships.for_customer(company.id)) == []
