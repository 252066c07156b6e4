"""Races of orders between processes (issue 14): of four processes recording one order
number exactly one wins, and orders of one customer recorded at once leave the customer's
last order time at the latest of them; an erasure racing orders of its user leaves no order
with the person's data. Four processes each, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from accountkit import Actor, CustomerKind, ShopPolicy
from tests.concurrency._workers import ORDER_AT, Database, Job, open_kit, rounds, run_workers
from tests.contract.factories import make_user

pytestmark = pytest.mark.slow

WORKERS = 4
ROUNDS = 6


def _member(database: Database) -> tuple[str, str]:
    """A FULL user who is the member of a new customer: (user id, customer id)."""
    user = make_user()
    with database.store.transaction() as tx:
        tx.users.add(user)
    kit = open_kit(database.store, ShopPolicy.b2c_open())
    customer = kit.customers.create(
        Actor.operator("op"), name="Race Ltd", kind=CustomerKind.BUSINESS
    )
    kit.customers.assign_user(Actor.operator("op"), user.id, customer.id)
    return user.id, customer.id


def _last_order_at(database: Database, customer_id: str) -> object:
    customers = database.store.tables.customers
    with database.store.engine.connect() as conn:
        return conn.execute(
            sa.select(customers.c.last_order_at).where(customers.c.id == customer_id)
        ).scalar_one()


def test_one_order_number_recorded_by_four_processes_has_one_winner(database: Database) -> None:
    """Four processes record an order of one number at the same moment (each with its own
    order id): exactly one is recorded, the others get OrderNumberTaken. A new number per
    round."""
    user_id, _ = _member(database)
    numbers = [f"N-{uuid.uuid4().hex[:10]}" for _ in range(ROUNDS)]
    job = Job(tuple(f"{user_id} {number} 0" for number in numbers))

    results = run_workers("record_order", database.target, [job] * WORKERS)

    for number, outcomes in zip(numbers, rounds(results), strict=True):
        assert sorted(o.kind for o in outcomes) == ["OrderNumberTaken"] * 3 + ["ok"], outcomes
        (winner,) = (o.detail for o in outcomes if o.kind == "ok")
        with database.store.transaction(readonly=True) as tx:
            stored = tx.orders.get_by_number(number)
        assert stored is not None and stored.id == winner


def test_orders_of_one_customer_at_once_keep_the_latest_time(database: Database) -> None:
    """Four processes record orders of one customer in step, each round's times in another
    order across the workers (the latest is not always committed last): afterwards the
    customer's last order time is the latest placed_at of all, and every order is kept."""
    user_id, customer_id = _member(database)
    run = uuid.uuid4().hex[:8]
    # Worker i's order in round r is placed (r * 7 + i * 5) % 23 minutes after ORDER_AT.
    minutes = [[(r * 7 + i * 5) % 23 for r in range(ROUNDS)] for i in range(WORKERS)]
    jobs = [
        Job(tuple(f"{user_id} {run}-{i}-{r} {minutes[i][r]}" for r in range(ROUNDS)))
        for i in range(WORKERS)
    ]

    results = run_workers("record_order", database.target, jobs)

    assert all(o.kind == "ok" for outcomes in results for o in outcomes), results
    latest = ORDER_AT + timedelta(minutes=max(max(row) for row in minutes))
    assert _last_order_at(database, customer_id) == latest
    with database.store.transaction(readonly=True) as tx:
        assert len(tx.orders.for_user(user_id)) == WORKERS * ROUNDS


def test_erasure_racing_orders_leaves_no_unerased_order(database: Database) -> None:
    """Three processes record orders of a user while a fourth erases the user, a new user
    each round: every order either was recorded before the erasure (and is erased with it)
    or was refused with UserErased; none of the user's orders keeps its addresses."""
    members = [_member(database)[0] for _ in range(ROUNDS)]
    run = uuid.uuid4().hex[:8]
    jobs = [
        Job(tuple(f"{user} {run}-{i}-{r} 0" for r, user in enumerate(members)))
        for i in range(WORKERS - 1)
    ] + [Job(tuple(members), action="erase")]

    results = run_workers("record_order", database.target, jobs)

    for user_id, outcomes in zip(members, rounds(results), strict=True):
        *orders, erasure = outcomes
        assert erasure.kind == "ok", outcomes
        assert {o.kind for o in orders} <= {"ok", "UserErased"}, outcomes
        with database.store.transaction(readonly=True) as tx:
            stored = tx.orders.for_user(user_id)
        assert len(stored) == sum(o.kind == "ok" for o in orders)
        assert int(erasure.detail) == len(stored)
        assert all(order.erased for order in stored)
