"""Races of the customer-number namespace between processes: a number is never held by two
customers, and never handed to a second customer after its holder gave it up (removed, or
renumbered). Four processes each, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from accountkit.domain import Customer
from tests.concurrency._workers import Database, Job, Outcome, rounds, run_workers
from tests.contract.factories import add_customer

pytestmark = pytest.mark.slow

RACE_ROUNDS = 8


def _number() -> str:
    return f"N-{uuid.uuid4().hex[:12]}"


def _holders(database: Database, number: str) -> list[tuple[str, bool]]:
    """Every row of the number namespace for ``number``: (customer id, live)."""
    table = database.store.tables.customer_numbers
    query = sa.select(table.c.customer_id, table.c.live).where(table.c.number == number)
    with database.store.engine.connect() as conn:
        return [(str(r[0]), bool(r[1])) for r in conn.execute(query)]


def _customers_with(database: Database, number: str) -> list[str]:
    table = database.store.tables.customers
    query = sa.select(table.c.id).where(table.c.number == number)
    with database.store.engine.connect() as conn:
        return [str(r[0]) for r in conn.execute(query)]


def _by_number(database: Database, number: str) -> Customer | None:
    with database.store.transaction(readonly=True) as tx:
        return tx.customers.get_by_number(number)


def test_claims_of_a_number_that_its_holder_gives_up_meanwhile_all_fail(
    database: Database,
) -> None:
    """One process removes the customer holding a number while two create customers with
    that number and a third gives it to another customer: every claim is refused, whether
    it comes before or after the removal, and the number stays retired for its holder."""
    holders = [add_customer(database.store, number=_number()) for _ in range(RACE_ROUNDS)]
    others = [add_customer(database.store, number=None) for _ in range(RACE_ROUNDS)]
    numbers = [str(h.number) for h in holders]
    jobs = [
        Job(tuple(h.id for h in holders), action="remove_customer"),
        Job(tuple(numbers), action="create_numbered"),
        Job(tuple(numbers), action="create_numbered"),
        Job(tuple(f"{o.id} {n}" for o, n in zip(others, numbers, strict=True)), action="renumber"),
    ]

    results = run_workers("create_numbered", database.target, jobs)

    for holder, other, number, outcomes in zip(
        holders, others, numbers, rounds(results), strict=True
    ):
        assert outcomes[0] == Outcome("ok", holder.id), outcomes
        assert [o.kind for o in outcomes[1:]] == ["CustomerNumberTaken"] * 3, outcomes
        assert _by_number(database, number) is None
        assert _customers_with(database, number) == []
        assert _holders(database, number) == [(holder.id, False)]
        with database.store.transaction(readonly=True) as tx:
            assert tx.customers.get(other.id) == other


def test_a_renumbering_and_claims_of_both_numbers_never_share_one(database: Database) -> None:
    """One process moves a customer from its number to a new one while another claims the
    old number and two claim the new one: the old number goes to nobody else, and the new
    one to exactly one customer (the renumbered one, or one of the claimants if it came
    first, and then the customer keeps its old number)."""
    holders = [add_customer(database.store, number=_number()) for _ in range(RACE_ROUNDS)]
    old = [str(h.number) for h in holders]
    new = [_number() for _ in range(RACE_ROUNDS)]
    jobs = [
        Job(tuple(f"{h.id} {n}" for h, n in zip(holders, new, strict=True)), action="renumber"),
        Job(tuple(old), action="create_numbered"),
        Job(tuple(new), action="create_numbered"),
        Job(tuple(new), action="create_numbered"),
    ]

    results = run_workers("create_numbered", database.target, jobs)

    for holder, was, now, outcomes in zip(holders, old, new, rounds(results), strict=True):
        renumber, claim_old, *claims_new = outcomes
        assert claim_old.kind == "CustomerNumberTaken", outcomes
        claimants = [o.detail for o in [renumber, *claims_new] if o.kind == "ok"]
        assert len(claimants) == 1, outcomes
        assert {o.kind for o in [renumber, *claims_new]} == {"ok", "CustomerNumberTaken"}
        assert len(_customers_with(database, now)) == 1
        winner = _by_number(database, now)
        assert winner is not None
        if renumber.kind == "ok":
            assert renumber.detail == now and winner.id == holder.id
            assert _customers_with(database, was) == []
            assert sorted(_holders(database, was)) == [(holder.id, False)]
        else:
            assert winner.id == claimants[0]
            assert _customers_with(database, was) == [holder.id]
            assert _holders(database, was) == [(holder.id, True)]
        assert _holders(database, now) == [(winner.id, True)]
