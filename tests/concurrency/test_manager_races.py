"""A company never loses its last manager, also when managers and the operator take
managers away at the same moment: four processes, on a SQLite file and on PostgreSQL.

The changes that could take a company's last manager away raise the customer's version in
their unit; a unit that loses that race runs again and then counts the managers the winner
left, so no outcome is ConcurrentUpdate here.
"""

from __future__ import annotations

import pytest

from accountkit import AccountKit, Actor, CustomerKind, Role
from tests.concurrency._workers import (
    Database,
    Job,
    companies_policy,
    kinds,
    open_kit,
    rounds,
    run_workers,
)

pytestmark = pytest.mark.slow

WORKERS = 4
ROUNDS = 4
OPERATOR = Actor.operator("op")


def _companies(kit: AccountKit, managers: int, buyers: int = 0) -> list[tuple[str, list[str]]]:
    """ROUNDS business customers, each with its own managers, then buyers."""
    made = []
    for n in range(ROUNDS):
        company = kit.customers.create(OPERATOR, name=f"Race {n}", kind=CustomerKind.BUSINESS).id
        users = [kit.registration.create_blank(OPERATOR).id for _ in range(managers + buyers)]
        for i, user in enumerate(users):
            role = Role.COMPANY_MANAGER if i < managers else Role.BUYER
            kit.customers.assign_user(OPERATOR, user, company, role)
        made.append((company, users))
    return made


def _managers(kit: AccountKit, company: str) -> list[str]:
    return [m.user_id for m in kit.customers.members(company) if m.role is Role.COMPANY_MANAGER]


def test_the_operator_removing_every_manager_at_once_keeps_one(database: Database) -> None:
    """Four processes each remove another of a company's four managers at the same moment
    (a buyer stays, so the company is not emptied): exactly three succeed, one gets
    LastCompanyManager, and one manager is left."""
    kit = open_kit(database.store, companies_policy())
    companies = _companies(kit, managers=WORKERS, buyers=1)
    jobs = [
        Job(tuple(f"op {users[i]} {company}" for company, users in companies), action="remove_as")
        for i in range(WORKERS)
    ]

    results = run_workers("remove_as", database.target, jobs)

    for (company, users), outcomes in zip(companies, rounds(results), strict=True):
        assert kinds(outcomes) == ["LastCompanyManager", "ok", "ok", "ok"], outcomes
        kept = [u for u, o in zip(users[:WORKERS], outcomes, strict=True) if o.kind != "ok"]
        assert len(kept) == 1
        assert _managers(kit, company) == kept


def test_managers_removing_each_other_keep_one(database: Database) -> None:
    """Managers remove each other in a ring at the same moment (each the next): the company
    keeps at least one manager, and each refusal is a rule's own answer."""
    kit = open_kit(database.store, companies_policy())
    companies = _companies(kit, managers=WORKERS)
    jobs = [
        Job(
            tuple(
                f"{users[i]} {users[(i + 1) % WORKERS]} {company}" for company, users in companies
            ),
            action="remove_as",
        )
        for i in range(WORKERS)
    ]

    results = run_workers("remove_as", database.target, jobs)

    for (company, _), outcomes in zip(companies, rounds(results), strict=True):
        assert set(kinds(outcomes)) <= {"ok", "NotYourCompany", "LastCompanyManager"}, outcomes
        left = _managers(kit, company)
        assert len(left) >= 1
        assert len(left) == WORKERS - kinds(outcomes).count("ok")


def test_two_managers_and_the_operator_racing_keep_exactly_one(database: Database) -> None:
    """Of a company's two managers each removes the other while the operator demotes both,
    all at the same moment: exactly one manager is left, the buyers stay."""
    kit = open_kit(database.store, companies_policy())
    companies = _companies(kit, managers=2, buyers=2)

    def job(make: str, action: str) -> Job:
        return Job(
            tuple(make.format(a=users[0], b=users[1], c=company) for company, users in companies),
            action=action,
        )

    jobs = [
        job("{a} {b} {c}", "remove_as"),
        job("{b} {a} {c}", "remove_as"),
        job("op {a} {c}", "demote_as"),
        job("op {b} {c}", "demote_as"),
    ]

    run_workers("remove_as", database.target, jobs)

    for company, users in companies:
        assert len(_managers(kit, company)) == 1
        members = {m.user_id for m in kit.customers.members(company)}
        assert set(users[2:]) <= members
