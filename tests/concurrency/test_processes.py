"""Races between real processes on one database: SQLite files and PostgreSQL schemas.

Every test creates the store (running the migrations) once in the parent, then spawns
WORKERS processes that each open their own SqlStore and AccountKit and act at the same
moment (a barrier). The workers send their outcomes back; the tests assert on those and on
what the database holds afterwards. Nothing here asserts on time.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from accountkit import Actor, MembershipRule, ShopPolicy
from accountkit.storage import SqlStore
from tests.concurrency._workers import (
    PASSWORD,
    Database,
    Job,
    Outcome,
    kinds,
    numbered_policy,
    open_kit,
    rounds,
    run_workers,
)
from tests.helpers import made

pytestmark = pytest.mark.slow

WORKERS = 4
ROUNDS = 5
"""Races per test where each round is one race (all workers start each round together)."""
OPERATOR = Actor.operator("op")


def _column(store: SqlStore, column: sa.Column[str]) -> list[str]:
    with store.engine.connect() as conn:
        return [str(value) for value in conn.execute(sa.select(column)).scalars()]


def _single_winner(outcomes: list[Outcome], loser: str) -> Outcome:
    """Assert one "ok" and ``loser`` for every other worker; return the winner's outcome."""
    assert kinds(outcomes) == sorted(["ok", *[loser] * (WORKERS - 1)]), outcomes
    (winner,) = [o for o in outcomes if o.kind == "ok"]
    return winner


def test_one_user_assigned_to_many_customers_at_once(database: Database) -> None:
    """Under ONE_CUSTOMER_PER_USER one assignment wins; the rest get MembershipConflict."""
    policy = ShopPolicy.b2c_open()
    assert policy.membership is MembershipRule.ONE_CUSTOMER_PER_USER
    kit = open_kit(database.store, policy)
    users = [
        made(
            kit.registration.register(
                email=f"member.{r}@example.com",
                password=PASSWORD,
                birth_date=date(1990, 5, 17),
                given_name="Member",
                family_name=f"No {r}",
            )
        ).id
        for r in range(ROUNDS)
    ]
    customers = [
        [kit.customers.create(OPERATOR, name=f"Customer {r}.{w}").id for w in range(WORKERS)]
        for r in range(ROUNDS)
    ]
    jobs = [
        Job(tuple(f"{users[r]} {customers[r][w]}" for r in range(ROUNDS))) for w in range(WORKERS)
    ]

    results = run_workers("assign", database.target, jobs)

    for r, outcomes in enumerate(rounds(results)):
        winner = _single_winner(outcomes, "MembershipConflict")
        assert winner.detail in customers[r]
        # Each MembershipConflict names the customer the user already belongs to.
        assert {o.detail for o in outcomes} == {winner.detail}, outcomes
        memberships = kit.customers.memberships(users[r])
        assert [(m.customer_id, m.active) for m in memberships] == [(winner.detail, True)]
        members = [m for c in customers[r] for m in kit.customers.members(c)]
        assert [m.user_id for m in members] == [users[r]]


def test_automatic_customer_numbers_from_many_processes(database: Database) -> None:
    """1,000 customers created by four processes at once get 1,000 distinct numbers."""
    per_worker = 250
    jobs = [
        Job(tuple(f"Worker {w} customer {i}" for i in range(per_worker)), in_step=False)
        for w in range(WORKERS)
    ]

    results = run_workers("create_customer", database.target, jobs)

    outcomes = [o for worker_outcomes in results for o in worker_outcomes]
    assert {o.kind for o in outcomes} == {"ok"}
    numbers = [o.detail for o in outcomes]
    assert len(numbers) == WORKERS * per_worker == 1000
    assert len(set(numbers)) == 1000
    # No creation rolled back, so the sequence left no gap either.
    assert sorted(numbers) == [f"K-{n:06d}" for n in range(1, 1001)]
    customers = database.store.tables.customers
    assert sorted(_column(database.store, customers.c.number)) == sorted(numbers)
    assert len(_column(database.store, customers.c.id)) == 1000
    kit = open_kit(database.store, numbered_policy())
    assert kit.customers.find_by_number("K-000500") is not None


def _spelling(r: int, w: int) -> str:
    """The same address, spelt differently by each worker (the key is case-folded)."""
    local = f"race.{r}"
    spellings = [
        f"{local}@example.com",
        f"{local.upper()}@EXAMPLE.com",
        f"{local.title()}@Example.Com",
        f"  {local.capitalize()}@example.COM ",
    ]
    return spellings[w % len(spellings)]


def test_one_email_registered_by_many_processes_at_once(database: Database) -> None:
    """Registering one e-mail from four processes at once makes one user; the rest EmailTaken."""
    jobs = [Job(tuple(_spelling(r, w) for r in range(ROUNDS))) for w in range(WORKERS)]

    results = run_workers("register", database.target, jobs)

    kit = open_kit(database.store, ShopPolicy.b2c_open())
    for r, outcomes in enumerate(rounds(results)):
        winner = _single_winner(outcomes, "EmailTaken")
        found = kit.users.find_by_email(f"RACE.{r}@example.com")
        assert found is not None
        assert found.id == winner.detail
    with database.store.transaction(readonly=True) as tx:
        assert tx.users.count() == ROUNDS


def test_one_time_token_redeemed_by_many_processes_at_once(database: Database) -> None:
    """Four processes redeeming one token at once: exactly one mark_used returns True."""
    tokens = [f"tok_{uuid.uuid4().hex}" for _ in range(ROUNDS)]
    jobs = [Job(tuple(tokens)) for _ in range(WORKERS)]

    results = run_workers("redeem", database.target, jobs)

    ledger = database.store.tables.used_tokens
    with database.store.engine.connect() as conn:
        query = sa.select(ledger.c.token_id, ledger.c.user_id)
        rows: dict[str, str] = dict(conn.execute(query).all())
    assert sorted(rows) == sorted(tokens)
    for r, outcomes in enumerate(rounds(results)):
        assert {o.kind for o in outcomes} == {"ok"}, outcomes
        answers = [o.detail for o in outcomes]
        assert sorted(answers) == ["False"] * (WORKERS - 1) + ["True"], outcomes
        # The ledger keeps the winner's redemption; no loser overwrote it.
        assert rows[tokens[r]] == f"usr_worker{answers.index('True')}"
    with database.store.transaction(readonly=True) as tx:
        assert all(tx.tokens.is_used(token) for token in tokens)
