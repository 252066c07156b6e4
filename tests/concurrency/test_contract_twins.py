"""Process-level twins of the thread races in tests/contract, on a SQLite file and on
PostgreSQL.

The contract's thread races share one SqlStore in one process; these run four processes,
each with a store of its own, so that the database alone (its locks and constraints) has
to keep them apart. The twin of ``test_concurrent_redemptions_give_true_exactly_once`` is
``test_one_time_token_redeemed_by_many_processes_at_once`` in test_processes.py.
"""

from __future__ import annotations

import uuid

import pytest

from accountkit.domain.validation import email_key
from tests.concurrency._workers import Database, Job, kinds, rounds, run_workers, sequence_value

pytestmark = pytest.mark.slow

WORKERS = 4
ROUNDS = 5


def test_concurrent_adds_of_one_email_from_processes_store_exactly_one(
    database: Database,
) -> None:
    """Twin of test_concurrent_adds_of_one_email_store_exactly_one: four processes add a
    user with one address (in two spellings) at once; the database's unique index lets
    one in and refuses the rest with EmailTaken."""
    emails = [f"Twin.{uuid.uuid4().hex[:8]}@example.com" for _ in range(ROUNDS)]
    jobs = [
        Job(tuple(e if w % 2 else e.upper() for e in emails), action="add_user")
        for w in range(WORKERS)
    ]

    results = run_workers("add_user", database.target, jobs)

    for email, outcomes in zip(emails, rounds(results), strict=True):
        assert kinds(outcomes) == ["EmailTaken"] * (WORKERS - 1) + ["ok"], outcomes
        # Nothing checked first: each loser was refused by the database's constraint.
        losers = [o.detail for o in outcomes if o.kind == "EmailTaken"]
        assert len(losers) == WORKERS - 1, outcomes
        assert all(_refused_by_a_constraint(detail) for detail in losers), outcomes
        (winner,) = [o.detail for o in outcomes if o.kind == "ok"]
        with database.store.transaction(readonly=True) as tx:
            stored = tx.users.get_by_email(email_key(email))
        assert stored is not None
        assert stored.id == winner
    with database.store.transaction(readonly=True) as tx:
        assert tx.users.count() == ROUNDS


def test_processes_drawing_from_one_sequence_never_get_the_same_value(
    database: Database,
) -> None:
    """Twin of test_concurrent_transactions_never_get_the_same_value: four processes draw
    25 values each from one sequence as fast as they can; all 100 values are distinct, and
    with nothing rolled back they are exactly 1 to 100."""
    name = f"twin_{uuid.uuid4().hex[:8]}"
    per_worker = 25
    jobs = [Job((name,) * per_worker, in_step=False, action="draw") for _ in range(WORKERS)]

    results = run_workers("draw", database.target, jobs)

    outcomes = [o for worker in results for o in worker]
    assert {o.kind for o in outcomes} == {"ok"}, outcomes
    values = sorted(int(o.detail) for o in outcomes)
    assert values == list(range(1, WORKERS * per_worker + 1))
    # Each process saw its own values rise: a sequence never goes back.
    for worker in results:
        drawn = [int(o.detail) for o in worker]
        assert drawn == sorted(drawn)
    assert sequence_value(database.store, name) == WORKERS * per_worker


def _refused_by_a_constraint(cause: str) -> bool:
    """Whether a translated error's cause is a unique violation: sqlite3's IntegrityError,
    or SQLSTATE class 23 (integrity constraint violation) on PostgreSQL."""
    return "IntegrityError" in cause or "sqlstate 23" in cause
