"""Races of the sign-in storage between processes: one redemption of a login code wins, and
no failure count (of a code, or of an attempt window) is lost, also when the first failures
of a key race to insert it. Four processes each, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from accountkit.domain import LoginCode
from tests.concurrency._workers import ATTEMPT_AT, Database, Job, rounds, run_workers
from tests.contract.factories import make_user, uid

pytestmark = pytest.mark.slow

WORKERS = 4
TRIES = 25
"""Failures each worker counts in the many-failures races."""


def _user_with_code(database: Database) -> LoginCode:
    user = make_user()
    code = LoginCode(
        id=uid("lc"),
        user_id=user.id,
        code_hash=uid("hash"),
        created_at=ATTEMPT_AT,
        expires_at=ATTEMPT_AT,
    )
    with database.store.transaction() as tx:
        tx.users.add(user)
        tx.login_codes.put(code)
    return code


def test_concurrent_takes_of_one_login_code_have_one_winner(database: Database) -> None:
    """Four processes take the same code at the same moment; exactly one gets True, and the
    code is gone. Every round is a new code of a new user."""
    race_rounds = 8
    codes = [_user_with_code(database) for _ in range(race_rounds)]
    args = tuple(f"{c.user_id} {c.id}" for c in codes)

    results = run_workers("take_code", database.target, [Job(args)] * WORKERS)

    for code, outcomes in zip(codes, rounds(results), strict=True):
        assert sorted(o.detail for o in outcomes if o.kind == "ok") == [
            "False",
            "False",
            "False",
            "True",
        ], outcomes
        with database.store.transaction(readonly=True) as tx:
            assert tx.login_codes.get(code.user_id) is None


def test_concurrent_failures_of_one_login_code_all_count(database: Database) -> None:
    """Four processes each count 25 wrong tries against one code as fast as they can: the
    count ends at 100, and the counts they were told are 1 to 100, each once."""
    code = _user_with_code(database)
    job = Job((f"{code.user_id} {code.id}",) * TRIES, in_step=False)

    results = run_workers("code_failure", database.target, [job] * WORKERS)

    told = sorted(int(o.detail) for outcomes in results for o in outcomes if o.kind == "ok")
    assert told == list(range(1, WORKERS * TRIES + 1))
    with database.store.transaction(readonly=True) as tx:
        stored = tx.login_codes.get(code.user_id)
    assert stored is not None and stored.failures == WORKERS * TRIES


def test_concurrent_failures_of_one_attempt_key_all_count(database: Database) -> None:
    """Four processes count 25 failures each under one key that does not exist yet (their
    first failures race to insert it): the window ends at 100, and the counts they were told
    are 1 to 100, each once."""
    key = f"race-{uuid.uuid4().hex}"
    job = Job((key,) * TRIES, in_step=False)

    results = run_workers("attempt_failure", database.target, [job] * WORKERS)

    told = sorted(int(o.detail) for outcomes in results for o in outcomes if o.kind == "ok")
    assert told == list(range(1, WORKERS * TRIES + 1))
    with database.store.transaction(readonly=True) as tx:
        window = tx.attempts.get(key)
    assert window is not None
    assert (window.failures, window.started_at) == (WORKERS * TRIES, ATTEMPT_AT)


def test_first_failures_of_new_attempt_keys_racing_to_insert_all_count(
    database: Database,
) -> None:
    """In each round four processes count the first failure of a new key at the same
    moment: one inserts the window, the others count in it; the counts told are 1 to 4."""
    keys = tuple(f"race-{uuid.uuid4().hex}" for _ in range(10))

    results = run_workers("attempt_failure", database.target, [Job(keys)] * WORKERS)

    for key, outcomes in zip(keys, rounds(results), strict=True):
        assert sorted(o.detail for o in outcomes if o.kind == "ok") == ["1", "2", "3", "4"]
        with database.store.transaction(readonly=True) as tx:
            window = tx.attempts.get(key)
        assert window is not None and window.failures == WORKERS
