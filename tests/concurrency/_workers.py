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
from datetime import UTC, date, datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import NamedTuple

import attrs

from accountkit import (
    AccountKit,
    AccountKitError,
    Actor,
    CustomerNumbering,
    SalesChannel,
    ShopPolicy,
)
from accountkit.storage import SqlStore
from accountkit.testing import CheapPasswordHasher

SECRET = "test-secret-key-0123456789abcdef"
PASSWORD = "correct horse battery staple"
TIMEOUT = 120.0
"""Seconds the parent waits for all workers; only a hung worker ever reaches it."""


class Target(NamedTuple):
    """Where the workers find the database: a URL, and a PostgreSQL schema or ``None``."""

    url: str
    schema: str | None


class Job(NamedTuple):
    """One worker's work: an action per argument, all workers in step at the barrier.

    With ``in_step`` every argument is a round that all workers start together; without
    it only the first one is, and the rest follow as fast as the worker can go.
    """

    args: tuple[str, ...]
    in_step: bool = True


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


def open_kit(store: SqlStore, policy: ShopPolicy) -> AccountKit:
    """An AccountKit on ``store`` with one channel "web" under ``policy``."""
    return AccountKit(
        store=store,
        secret_keys=[SECRET],
        channels=[SalesChannel("web", policy)],
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
    return kit.registration.register(
        email=arg,
        password=PASSWORD,
        birth_date=date(1990, 5, 17),
        given_name="Worker",
        family_name=f"No {index}",
    ).id


def _redeem(kit: AccountKit, index: int, arg: str) -> str:
    store = kit.store
    with store.transaction() as tx:
        used = tx.tokens.mark_used(
            arg, user_id=f"usr_worker{index}", purpose="password_reset", at=datetime.now(UTC)
        )
    return str(used)


ACTIONS: dict[str, tuple[Callable[[AccountKit, int, str], str], Callable[[], ShopPolicy]]] = {
    "assign": (_assign, ShopPolicy.b2c_open),
    "create_customer": (_create_customer, numbered_policy),
    "register": (_register, ShopPolicy.b2c_open),
    "redeem": (_redeem, ShopPolicy.b2c_open),
}


def _act(
    action: Callable[[AccountKit, int, str], str], kit: AccountKit, i: int, arg: str
) -> Outcome:
    try:
        return Outcome("ok", action(kit, i, arg))
    except AccountKitError as exc:
        return Outcome(type(exc).__name__, str(getattr(exc, "customer_id", None) or ""))


def worker(
    name: str, target: Target, index: int, job: Job, barrier: Barrier, out: Queue[Report]
) -> None:
    """Open a store and a kit of this process's own, then run ``job`` in step with the rest."""
    outcomes: list[Outcome] = []
    try:
        action, policy = ACTIONS[name]
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
    "PASSWORD",
    "SECRET",
    "Job",
    "Outcome",
    "Target",
    "kinds",
    "numbered_policy",
    "open_kit",
    "rounds",
    "run_workers",
    "worker",
]
