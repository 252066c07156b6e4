"""Worker processes for the concurrency tests, and the parent's side that runs them.

Workers are started with the ``spawn`` method, so they share nothing with the parent but
what is pickled to them: a :class:`Target` (where the database is), a :class:`Job` (what to
do) and a barrier and a queue. Each opens its own SqlStore and AccountKit, waits at the
barrier so that all of them act at the same moment, and puts its outcomes on the queue.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
import traceback
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import NamedTuple

import attrs
import sqlalchemy as sa

from accountkit import (
    AccountKit,
    AccountKitError,
    Actor,
    CustomerNumbering,
    MembershipRule,
    Role,
    SalesChannel,
    ShopPolicy,
)
from accountkit.storage import SqlStore
from accountkit.testing import CheapPasswordHasher
from tests.contract.factories import make_user
from tests.helpers import BASE_URL, made

SECRET = "test-secret-key-0123456789abcdef"
PASSWORD = "correct horse battery staple"
TIMEOUT = 120.0
"""Seconds the parent waits for all workers; only a hung worker ever reaches it."""


class Target(NamedTuple):
    """Where the workers find the database: a URL, and a PostgreSQL schema or ``None``."""

    url: str
    schema: str | None


class Database(NamedTuple):
    """The database under test: where workers find it, and the parent's own store."""

    target: Target
    store: SqlStore


def drop_schema(url: str, schema: str) -> None:
    """Drop a PostgreSQL schema that a test made, with everything in it."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        engine.dispose()


class Job(NamedTuple):
    """One worker's work: an action per argument, all workers in step at the barrier.

    With ``in_step`` every argument is a round that all workers start together; without
    it only the first one is, and the rest follow as fast as the worker can go. Workers of
    one run may do different actions (``action``), to race different operations.
    """

    args: tuple[str, ...]
    in_step: bool = True
    action: str | None = None
    """The action of this worker; ``None`` runs the one named to :func:`run_workers`."""


class Outcome(NamedTuple):
    """What one action ended in: ``"ok"`` or the error's class name, and a detail."""

    kind: str
    detail: str


class Report(NamedTuple):
    """A worker's answer: its index, its outcomes, and a traceback if it crashed."""

    worker_index: int
    outcomes: list[Outcome]
    crash: str | None


def numbered_policy() -> ShopPolicy:
    """The open B2C policy with automatic customer numbers K-000001, K-000002, ..."""
    return attrs.evolve(
        ShopPolicy.b2c_open(), numbering=CustomerNumbering.AUTOMATIC("K-{n:06d}", 1)
    )


def manual_policy() -> ShopPolicy:
    """The open B2C policy with customer numbers given by hand (MANUAL)."""
    return attrs.evolve(ShopPolicy.b2c_open(), numbering=CustomerNumbering.MANUAL)


def companies_policy() -> ShopPolicy:
    """The open B2C policy, but users may belong to several customers (MANY_COMPANIES)."""
    return attrs.evolve(ShopPolicy.b2c_open(), membership=MembershipRule.MANY_COMPANIES)


def open_kit(store: SqlStore, policy: ShopPolicy) -> AccountKit:
    """An AccountKit on ``store`` with one channel "web" under ``policy``."""
    return AccountKit(
        store=store,
        secret_keys=[SECRET],
        channels=[SalesChannel("web", policy, base_url=BASE_URL)],
        password_hasher=CheapPasswordHasher(),
    )


# --- the actions, run in the workers ------------------------------------------------------


def _assign(kit: AccountKit, index: int, arg: str) -> str:
    user_id, customer_id = arg.split(" ")
    return kit.customers.assign_user(Actor.operator("op"), user_id, customer_id).customer_id


def _create_customer(kit: AccountKit, index: int, arg: str) -> str:
    number = kit.customers.create(Actor.operator("op"), name=arg).number
    assert number is not None
    return number


def _register(kit: AccountKit, index: int, arg: str) -> str:
    return made(
        kit.registration.register(
            email=arg,
            password=PASSWORD,
            birth_date=date(1990, 5, 17),
            given_name="Worker",
            family_name=f"No {index}",
        )
    ).id


def _redeem(kit: AccountKit, index: int, arg: str) -> str:
    store = kit.store
    with store.transaction() as tx:
        used = tx.tokens.mark_used(
            arg, user_id=f"usr_worker{index}", purpose="password_reset", at=datetime.now(UTC)
        )
    return str(used)


def _reset_password(kit: AccountKit, index: int, arg: str) -> str:
    """Redeem one PASSWORD_RESET token through the service, with this worker's password."""
    return kit.auth.reset_password(arg, f"worker {index} new passphrase").user.id


def _upgrade_guest(kit: AccountKit, index: int, arg: str) -> str:
    return kit.registration.upgrade_guest(
        arg, password=f"worker {index} new passphrase", birth_date=date(1990, 5, 17)
    ).user.tier.value


def _confirm_email_change(kit: AccountKit, index: int, arg: str) -> str:
    return str(kit.auth.confirm_email_change(arg).user.email)


def _join(kit: AccountKit, index: int, arg: str) -> str:
    user_id, customer_id = arg.split(" ")
    membership = kit.customers.assign_user(Actor.operator("op"), user_id, customer_id)
    return f"{membership.customer_id} {'active' if membership.active else 'inactive'}"


def _remove(kit: AccountKit, index: int, arg: str) -> str:
    user_id, customer_id = arg.split(" ")
    kit.customers.remove_user(Actor.operator("op"), user_id, customer_id)
    return customer_id


def _switch(kit: AccountKit, index: int, arg: str) -> str:
    user_id, customer_id = arg.split(" ")
    return kit.customers.switch_company(Actor.operator("op"), user_id, customer_id).customer_id


def _set_role(kit: AccountKit, index: int, arg: str) -> str:
    user_id, customer_id, role = arg.split(" ")
    changed = kit.customers.set_role(Actor.operator("op"), user_id, customer_id, Role(role))
    return str(changed.role)


def sequence_value(store: SqlStore, name: str = "customer_number") -> int:
    """The last value the sequence ``name`` handed out; 0 before its first use."""
    sequences = store.tables.sequences
    query = sa.select(sequences.c.value).where(sequences.c.name == name)
    with store.engine.connect() as conn:
        value = conn.execute(query).scalar()
    return 0 if value is None else int(value)


def _claim_number(kit: AccountKit, index: int, arg: str) -> str:
    """Give by hand the number the automatic sequence hands out ``+k`` values from now:
    ``"+k"`` creates a customer with it, ``"+k customer_id"`` renumbers that customer."""
    offset, *customer = arg.split(" ")
    store = kit.store
    assert isinstance(store, SqlStore)
    number = numbered_policy().numbering.format(sequence_value(store) + int(offset))
    if customer:
        kit.customers.set_customer_number(Actor.operator("op"), customer[0], number)
    else:
        kit.customers.create(Actor.operator("op"), name="By hand", number=number)
    return number


def _open_new(kit: AccountKit, index: int, arg: str) -> str:
    """Open (and so create and migrate) a new database: a PostgreSQL schema named ``arg``
    on the worker's server, or a SQLite file at path ``arg``."""
    own = kit.store
    assert isinstance(own, SqlStore)
    if own.dialect == "sqlite":
        store = SqlStore(f"sqlite:///{arg}")
    else:
        store = SqlStore(own.engine.url.render_as_string(hide_password=False), schema=arg)
    try:
        return str(store.schema_revision())
    finally:
        store.close()


def _add_user(kit: AccountKit, index: int, arg: str) -> str:
    """Store level, no service check first: only the database's unique index can refuse."""
    with kit.store.transaction() as tx:
        return tx.users.add(make_user(email=arg)).id


def _draw(kit: AccountKit, index: int, arg: str) -> str:
    with kit.store.transaction() as tx:
        return str(tx.sequences.next_value(arg, start=1))


def _take_code(kit: AccountKit, index: int, arg: str) -> str:
    user_id, code_id = arg.split(" ")
    with kit.store.transaction() as tx:
        return str(tx.login_codes.take(user_id, code_id))


def _code_failure(kit: AccountKit, index: int, arg: str) -> str:
    user_id, code_id = arg.split(" ")
    with kit.store.transaction() as tx:
        return str(tx.login_codes.add_failure(user_id, code_id))


def _create_numbered(kit: AccountKit, index: int, arg: str) -> str:
    """Create a customer with the hand-given number ``arg``; the new customer's id."""
    return kit.customers.create(Actor.operator("op"), name=f"Worker {index}", number=arg).id


def _renumber(kit: AccountKit, index: int, arg: str) -> str:
    """``"customer_id number"``: give that customer the number by hand."""
    customer_id, number = arg.split(" ")
    changed = kit.customers.set_customer_number(Actor.operator("op"), customer_id, number)
    return str(changed.number)


def _remove_customer(kit: AccountKit, index: int, arg: str) -> str:
    """Store level (no service removes a customer yet): remove the customer ``arg``."""
    with kit.store.transaction() as tx:
        tx.customers.remove(arg)
    return arg


def _remove_user(kit: AccountKit, index: int, arg: str) -> str:
    """Store level (what rejecting a request does): remove the user ``arg``."""
    with kit.store.transaction() as tx:
        tx.users.remove(arg)
    return arg


ATTEMPT_AT = datetime(2026, 1, 1, 12, tzinfo=UTC)
"""When the racing attempt failures happen: one moment, so no window ends during a race."""


def _attempt_failure(kit: AccountKit, index: int, arg: str) -> str:
    with kit.store.transaction() as tx:
        window = tx.attempts.add_failure(arg, at=ATTEMPT_AT, window=timedelta(hours=1))
    return str(window.failures)


def _as(actor_id: str) -> Actor:
    """``op`` is the operator; anything else is the user of that id."""
    return Actor.operator("op") if actor_id == "op" else Actor.user(actor_id)


def _remove_as(kit: AccountKit, index: int, arg: str) -> str:
    """``actor user customer``: the actor (``op`` or a user id) removes the membership."""
    actor, user_id, customer_id = arg.split(" ")
    kit.customers.remove_user(_as(actor), user_id, customer_id)
    return user_id


def _demote_as(kit: AccountKit, index: int, arg: str) -> str:
    """``actor user customer``: the actor makes the member a BUYER."""
    actor, user_id, customer_id = arg.split(" ")
    return str(kit.customers.set_role(_as(actor), user_id, customer_id, Role.BUYER).role)


# --- orders (issue 14) ---

ORDER_AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
"""The base time of the orders the workers record."""


def _record_order(kit: AccountKit, index: int, arg: str) -> str:
    """``user number minutes``: the signed-in user records an order with this number, at
    ORDER_AT plus ``minutes``; its id is this worker's own. The order's id."""
    user_id, number, minutes = arg.split(" ")
    order = kit.orders.record_order(
        order_id=f"{number}-w{index}",
        number=number,
        channel="web",
        placed_at=ORDER_AT + timedelta(minutes=int(minutes)),
        total=Decimal("10.00"),
        currency="EUR",
        user_id=user_id,
    )
    return order.id


def _erase(kit: AccountKit, index: int, arg: str) -> str:
    """``user``: the operator erases the user. How many orders it replaced."""
    return str(kit.privacy.erase(Actor.operator("op"), arg).orders)


ACTIONS: dict[str, tuple[Callable[[AccountKit, int, str], str], Callable[[], ShopPolicy]]] = {
    "record_order": (_record_order, ShopPolicy.b2c_open),
    "erase": (_erase, ShopPolicy.b2c_open),
    "add_user": (_add_user, ShopPolicy.b2c_open),
    "attempt_failure": (_attempt_failure, ShopPolicy.b2c_open),
    "code_failure": (_code_failure, ShopPolicy.b2c_open),
    "take_code": (_take_code, ShopPolicy.b2c_open),
    "reset_password": (_reset_password, ShopPolicy.b2c_open),
    "upgrade_guest": (_upgrade_guest, ShopPolicy.b2c_open),
    "confirm_email_change": (_confirm_email_change, ShopPolicy.b2c_open),
    "assign": (_assign, ShopPolicy.b2c_open),
    "create_customer": (_create_customer, numbered_policy),
    "create_numbered": (_create_numbered, manual_policy),
    "renumber": (_renumber, manual_policy),
    "remove_customer": (_remove_customer, manual_policy),
    "remove_user": (_remove_user, companies_policy),
    "claim_number": (_claim_number, numbered_policy),
    "draw": (_draw, ShopPolicy.b2c_open),
    "join": (_join, companies_policy),
    "open_new": (_open_new, ShopPolicy.b2c_open),
    "redeem": (_redeem, ShopPolicy.b2c_open),
    "register": (_register, ShopPolicy.b2c_open),
    "remove": (_remove, companies_policy),
    "set_role": (_set_role, companies_policy),
    "switch": (_switch, companies_policy),
    "remove_as": (_remove_as, companies_policy),
    "demote_as": (_demote_as, companies_policy),
}


def _act(
    action: Callable[[AccountKit, int, str], str], kit: AccountKit, i: int, arg: str
) -> Outcome:
    try:
        return Outcome("ok", action(kit, i, arg))
    except AccountKitError as exc:
        # The detail names the customer a membership error points to, else what the store
        # says of the database error it was translated from (its driver class and SQLSTATE).
        cause = "" if exc.__cause__ is None else str(exc.__cause__)
        return Outcome(type(exc).__name__, str(getattr(exc, "customer_id", None) or cause))


def worker(
    name: str, target: Target, index: int, job: Job, barrier: Barrier, out: Queue[Report]
) -> None:
    """Open a store and a kit of this process's own, then run ``job`` in step with the rest."""
    outcomes: list[Outcome] = []
    try:
        action, policy = ACTIONS[job.action or name]
        store = SqlStore(target.url, schema=target.schema, migrate=False)
        try:
            kit = open_kit(store, policy())
            for n, arg in enumerate(job.args):
                if n == 0 or job.in_step:
                    barrier.wait(TIMEOUT / 2)
                outcomes.append(_act(action, kit, index, arg))
        finally:
            store.close()
    except BaseException:
        barrier.abort()  # the others must not wait for this one
        out.put(Report(index, outcomes, traceback.format_exc()))
        return
    out.put(Report(index, outcomes, None))


# --- the parent's side --------------------------------------------------------------------


def run_workers(name: str, target: Target, jobs: list[Job]) -> list[list[Outcome]]:
    """Run one spawned worker per job, all starting together; return their outcomes in
    job order. A worker that crashed or hung fails the calling test with its traceback."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(jobs))
    out: Queue[Report] = ctx.Queue()
    processes = [
        ctx.Process(target=worker, args=(name, target, i, job, barrier, out), daemon=True)
        for i, job in enumerate(jobs)
    ]
    reports: dict[int, Report] = {}
    try:
        for process in processes:
            process.start()
        deadline = time.monotonic() + TIMEOUT
        while len(reports) < len(jobs):
            try:
                report = out.get(timeout=max(deadline - time.monotonic(), 0.1))
            except queue.Empty:
                raise AssertionError(
                    f"workers {sorted(set(range(len(jobs))) - set(reports))} did not report "
                    f"within {TIMEOUT:.0f} s"
                ) from None
            reports[report.worker_index] = report
        for process in processes:
            process.join(TIMEOUT)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
    crashes = [f"worker {r.worker_index}:\n{r.crash}" for r in reports.values() if r.crash]
    assert not crashes, "\n".join(crashes)
    assert [p.exitcode for p in processes] == [0] * len(processes)
    return [reports[i].outcomes for i in range(len(jobs))]


def kinds(outcomes: list[Outcome]) -> list[str]:
    """The kinds of ``outcomes``, sorted: for comparing a round's results as a multiset."""
    return sorted(o.kind for o in outcomes)


def rounds(results: list[list[Outcome]]) -> list[list[Outcome]]:
    """Turn per-worker outcome lists into per-round lists (round r = everyone's r-th)."""
    return [list(row) for row in zip(*results, strict=True)]


__all__ = [
    "ACTIONS",
    "ATTEMPT_AT",
    "ORDER_AT",
    "PASSWORD",
    "SECRET",
    "Database",
    "Job",
    "Outcome",
    "Target",
    "companies_policy",
    "drop_schema",
    "kinds",
    "manual_policy",
    "numbered_policy",
    "open_kit",
    "rounds",
    "run_workers",
    "sequence_value",
    "worker",
]
