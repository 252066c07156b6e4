"""Races of the services that must neither lose an update nor break an invariant: memberships
under MANY_COMPANIES, automatic against hand-given customer numbers, and opening a new
database. Four processes each, on a SQLite file and on PostgreSQL (``database`` fixture).

An operation of a race may end in ConcurrentUpdate only where a test says why that is a
correct answer; every other outcome is asserted exactly.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from accountkit import Actor, EventKind, Membership, Role
from accountkit.storage import SqlStore
from accountkit.storage._migrate import head_revision
from tests.concurrency._workers import (
    Database,
    Job,
    Outcome,
    companies_policy,
    drop_schema,
    numbered_policy,
    open_kit,
    rounds,
    run_workers,
    sequence_value,
)

pytestmark = pytest.mark.slow

WORKERS = 4
OPERATOR = Actor.operator("op")


def _pairs(memberships: list[Membership]) -> dict[str, bool]:
    return {m.customer_id: m.active for m in memberships}


def test_switching_company_never_undoes_a_role_change(database: Database) -> None:
    """Two processes switch a user's active company back and forth while two set the roles
    of both memberships: each role ends as history's last ROLE_CHANGED says, and exactly
    one membership is active."""
    race_rounds = 8
    kit = open_kit(database.store, companies_policy())
    first = kit.customers.create(OPERATOR, name="First").id
    second = kit.customers.create(OPERATOR, name="Second").id
    users = [kit.registration.create_blank(OPERATOR).id for _ in range(race_rounds)]
    for user_id in users:
        kit.customers.assign_user(OPERATOR, user_id, first, Role.MEMBER)
        kit.customers.assign_user(OPERATOR, user_id, second, Role.MEMBER)
    roles = {first: Role.BUYER, second: Role.VIEWER}
    jobs = [
        Job(tuple(f"{u} {second}" for u in users), action="switch"),
        Job(tuple(f"{u} {first}" for u in users), action="switch"),
        Job(tuple(f"{u} {first} {roles[first].value}" for u in users), action="set_role"),
        Job(tuple(f"{u} {second} {roles[second].value}" for u in users), action="set_role"),
    ]

    results = run_workers("switch", database.target, jobs)

    histories = {c: kit.reports.history(c).items for c in (first, second)}
    for user_id, outcomes in zip(users, rounds(results), strict=True):
        # ConcurrentUpdate is a correct answer: the unit saw that another one changed the
        # same membership first, wrote nothing, and says so (the caller reads and retries).
        assert {o.kind for o in outcomes} <= {"ok", "ConcurrentUpdate"}, outcomes
        stored = {m.customer_id: m for m in kit.customers.memberships(user_id)}
        assert sorted(stored) == sorted([first, second])
        assert [m.active for m in stored.values()].count(True) == 1, stored
        for customer_id, outcome in zip((first, second), outcomes[2:], strict=True):
            changes = [
                e
                for e in histories[customer_id]
                if e.kind is EventKind.ROLE_CHANGED and e.user_id == user_id
            ]
            assert [(e.data["from"], e.data["to"]) for e in changes] == (
                [(Role.MEMBER.value, roles[customer_id].value)] if outcome.kind == "ok" else []
            ), outcomes
            last = changes[-1].data["to"] if changes else Role.MEMBER.value
            assert str(stored[customer_id].role) == last, (customer_id, outcomes)
        switches = [
            e.customer_id
            for e in kit.reports.user_history(user_id).items
            if e.kind is EventKind.COMPANY_SWITCHED
        ]
        active = next(c for c, m in stored.items() if m.active)
        assert active == (switches[-1] if switches else first), (switches, outcomes)


def test_assign_remove_and_switch_of_one_user_leave_one_active_company(
    database: Database,
) -> None:
    """Under MANY_COMPANIES, removing a user's active company while two others are added
    and the user switches leaves exactly one active membership, every time."""
    race_rounds = 8
    kit = open_kit(database.store, companies_policy())
    a, b, c, d = (kit.customers.create(OPERATOR, name=f"Company {n}").id for n in "ABCD")
    users = [kit.registration.create_blank(OPERATOR).id for _ in range(race_rounds)]
    for r, user_id in enumerate(users):
        kit.customers.assign_user(OPERATOR, user_id, a)
        if r % 2 == 0:
            kit.customers.assign_user(OPERATOR, user_id, b)
    # Even rounds: the user has A (active) and B, and switches to B. Odd rounds: A only,
    # the case, and the user switches to C, which is being added at that moment.
    targets = [b if r % 2 == 0 else c for r in range(race_rounds)]
    jobs = [
        Job(tuple(f"{u} {a}" for u in users), action="remove"),
        Job(tuple(f"{u} {c}" for u in users), action="join"),
        Job(tuple(f"{u} {t}" for u, t in zip(users, targets, strict=True)), action="switch"),
        Job(tuple(f"{u} {d}" for u in users), action="join"),
    ]

    results = run_workers("join", database.target, jobs)

    for r, (user_id, outcomes) in enumerate(zip(users, rounds(results), strict=True)):
        removed, joined_c, switched, joined_d = outcomes
        # Adding a company only adds a row: nothing another unit does here may refuse it.
        assert (joined_c.kind, joined_d.kind) == ("ok", "ok"), outcomes
        # remove_user and switch_company change the active flag that the others read and
        # change too; ConcurrentUpdate (nothing written, retry) is a correct answer there.
        assert removed.kind in ("ok", "ConcurrentUpdate"), outcomes
        # Switching to C before C's membership is committed is NotAMember: true then.
        allowed = {"ok", "ConcurrentUpdate"} | ({"NotAMember"} if r % 2 else set())
        assert switched.kind in allowed, outcomes
        expected = {c, d} | ({b} if r % 2 == 0 else set())
        if removed.kind != "ok":
            expected.add(a)
        stored = _pairs(list(kit.customers.memberships(user_id)))
        assert set(stored) == expected, outcomes
        assert list(stored.values()).count(True) == 1, (stored, outcomes)
        context = kit.customers.context_for(user_id)
        assert context.customer is not None
        assert stored[context.customer.id] is True


def test_a_fresh_user_assigned_to_four_companies_at_once_joins_all(database: Database) -> None:
    """Four processes assign one new user to four companies at the same moment: all four
    succeed (strictly), the user has four memberships and exactly one is active."""
    race_rounds = 5
    kit = open_kit(database.store, companies_policy())
    companies = [kit.customers.create(OPERATOR, name=f"Company {w}").id for w in range(WORKERS)]
    users = [kit.registration.create_blank(OPERATOR).id for _ in range(race_rounds)]
    jobs = [Job(tuple(f"{u} {companies[w]}" for u in users)) for w in range(WORKERS)]

    results = run_workers("join", database.target, jobs)

    for user_id, outcomes in zip(users, rounds(results), strict=True):
        assert [o.kind for o in outcomes] == ["ok"] * WORKERS, outcomes
        # Each call says whether it made the membership active: exactly one did.
        assert sorted(o.detail.split(" ")[1] for o in outcomes) == ["active"] + ["inactive"] * (
            WORKERS - 1
        ), outcomes
        stored = _pairs(list(kit.customers.memberships(user_id)))
        assert sorted(stored) == sorted(companies)
        assert list(stored.values()).count(True) == 1, stored
        (active,) = [o.detail.split(" ")[0] for o in outcomes if o.detail.endswith(" active")]
        assert stored[active] is True


def test_a_hand_given_number_never_makes_an_automatic_one_fail(database: Database) -> None:
    """While two processes create customers with automatic numbers, two give by hand
    exactly the numbers the sequence hands out next: no automatic creation fails with
    CustomerNumberTaken, and all numbers are distinct."""
    race_rounds = 12
    policy = numbered_policy()
    kit = open_kit(database.store, policy)
    # Made with hand-given numbers, so the sequence is not touched before the race.
    renumbered = [
        kit.customers.create(OPERATOR, name=f"Renumbered {r}", number=f"M-{r}").id
        for r in range(race_rounds)
    ]
    jobs = [
        Job(tuple(f"Automatic {w}.{r}" for r in range(race_rounds)), action="create_customer")
        for w in range(2)
    ]
    # Each manual worker reads the sequence at the barrier and claims the next value
    # (worker 2) or the one after it (worker 3), where the automatic creations land.
    jobs.append(Job(tuple("+1" for _ in range(race_rounds)), action="claim_number"))
    jobs.append(Job(tuple(f"+2 {cid}" for cid in renumbered), action="claim_number"))

    results = run_workers("create_customer", database.target, jobs)

    automatic = [o for worker in results[:2] for o in worker]
    assert [o.kind for o in automatic] == ["ok"] * (2 * race_rounds), automatic
    manual = [o for worker in results[2:] for o in worker]
    # A hand-given number that an automatic creation took first is refused: correct.
    assert {o.kind for o in manual} <= {"ok", "CustomerNumberTaken"}, manual
    numbers = [o.detail for o in automatic] + [o.detail for o in manual if o.kind == "ok"]
    assert len(numbers) == len(set(numbers)), numbers
    for number in numbers:
        assert kit.customers.find_by_number(number) is not None, number
    assert sequence_value(database.store) >= 2 * race_rounds


def test_many_processes_opening_one_new_database_all_succeed(
    database: Database, tmp_path: Path
) -> None:
    """Four processes open one new PostgreSQL schema (or SQLite file) at once: all
    succeed, and the database is at the newest revision."""
    race_rounds = 3
    postgres = database.target.schema is not None
    names = [
        f"race_new_{uuid.uuid4().hex[:12]}" if postgres else str(tmp_path / f"new-{r}.db")
        for r in range(race_rounds)
    ]
    try:
        results = run_workers("open_new", database.target, [Job(tuple(names))] * WORKERS)
        for name, outcomes in zip(names, rounds(results), strict=True):
            assert outcomes == [Outcome("ok", head_revision())] * WORKERS, outcomes
            store = (
                SqlStore(database.target.url, schema=name, migrate=False)
                if postgres
                else SqlStore(f"sqlite:///{name}", migrate=False)
            )
            try:
                assert store.schema_revision() == head_revision()
                with store.transaction(readonly=True) as tx:
                    assert tx.users.count() == 0
            finally:
                store.close()
    finally:
        if postgres:
            for name in names:
                drop_schema(database.target.url, name)
