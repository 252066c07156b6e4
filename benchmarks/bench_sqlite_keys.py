"""Where the SQLite bulk-import time goes at a million users: the e-mail index.

An experiment behind docs/performance.md, not a benchmark of the API. It works on the two
files that ``bench_storage.py --dir DIR`` leaves behind (accountkit's ``accountkit.db`` and the
raw twin ``raw.db``, both already filled) and inserts more chunks of users into each
(``--size`` users per chunk, default 10,000), in variants that differ in one thing each:

- who inserts: the sqlite3 module (``executemany``) or accountkit (``tx.users.add_many``);
- the e-mail addresses: at random places in the e-mail index, as real addresses are, or in
  the index's order (all after every filled one), which no real import has but which shows
  what the random inserts into that index cost.

The ids come from ``new_id`` in every variant: they are time-ordered, so they land at the
end of the primary-key index whatever the variant.

Each variant keeps one connection open, with the pragmas accountkit sets on its own
connections; after a warm-up chunk each, the variants take turns, in an order that flips
every round, so that the growing tables and the machine's drift hit them alike. Usage::

    python benchmarks/bench_storage.py --dir /tmp/bench-full     # fill first
    python benchmarks/bench_sqlite_keys.py --dir /tmp/bench-full
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench_storage import (
    PASSWORD_HASH,
    USER_COLUMNS,
    address,
    family_name,
    given_name,
    make_users,
)

from accountkit.domain._ids import new_id
from accountkit.domain.validation import email_key
from accountkit.storage import SqlStore

EmailMaker = Callable[[int], str]
Insert = Callable[[range, EmailMaker], float]
"""Insert the users with these numbers in one transaction; return the seconds it took."""


def ordered_address(i: int) -> str:
    """An address after every filled one in the index (the filled ones start with a name)."""
    return f"zz.{i:08x}@example.com"


@contextmanager
def raw_inserter(path: Path, pragmas: Sequence[str]) -> Iterator[Insert]:
    """Insert with the sqlite3 module, on one connection kept open."""
    marks = ", ".join("?" * 15)
    statement = f"INSERT INTO accountkit_users ({USER_COLUMNS}) VALUES ({marks})"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for pragma in pragmas:
            conn.execute(f"PRAGMA {pragma}")

        def insert(numbers: range, email: EmailMaker) -> float:
            started = time.perf_counter()
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
            rows = [
                (
                    new_id("usr"), "full", "active", email(i), email_key(email(i)), given_name(i),
                    family_name(i), "1990-05-17", PASSWORD_HASH, 0, "{}", 0, 0, stamp, stamp,
                )
                for i in numbers
            ]  # fmt: skip
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(statement, rows)
            conn.execute("COMMIT")
            return time.perf_counter() - started

        yield insert


@contextmanager
def kit_inserter(path: Path, pragmas: Sequence[str]) -> Iterator[Insert]:
    """Insert with ``tx.users.add_many`` on one SqlStore (which sets its own pragmas)."""
    store = SqlStore(f"sqlite:///{path}")

    def insert(numbers: range, email: EmailMaker) -> float:
        started = time.perf_counter()
        users = make_users(numbers, email)
        with store.transaction() as tx:
            tx.users.add_many(users)
        return time.perf_counter() - started

    try:
        yield insert
    finally:
        store.close()


def accountkit_pragmas(path: Path) -> list[str]:
    """The settings accountkit gives its connections to this file, as PRAGMA assignments."""
    store = SqlStore(f"sqlite:///{path}")
    try:
        with store.engine.connect() as conn:
            return [
                f"{name} = {conn.exec_driver_sql(f'PRAGMA {name}').scalar()}"
                for name in ("synchronous", "busy_timeout", "cache_size", "mmap_size")
            ]
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Insert ``--chunks`` chunks per variant, taking turns; print the rates of each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--dir", type=Path, required=True, help="bench_storage.py's --dir")
    parser.add_argument(
        "--chunks", type=int, default=9, help="measured chunks per variant (+1 warm-up)"
    )
    parser.add_argument("--size", type=int, default=10_000, help="users per chunk")
    args = parser.parse_args(argv)
    if args.chunks < 1 or args.size < 1:
        parser.error("--chunks and --size must be positive")
    raw_db, kit_db = args.dir / "raw.db", args.dir / "accountkit.db"
    if not (raw_db.exists() and kit_db.exists()):
        parser.error(f"run bench_storage.py --dir {args.dir} first")
    with closing(sqlite3.connect(raw_db)) as conn:
        (filled,) = conn.execute("SELECT count(*) FROM accountkit_users").fetchone()
    pragmas = accountkit_pragmas(kit_db)
    print(
        f"inserting chunks of {args.size:,} into tables that hold {filled:,} users "
        f"({', '.join(pragmas)}; 1 warm-up chunk, then {args.chunks} rounds taking turns)"
    )
    plan = [
        (f"{who}, {email_name} e-mails", inserter, path, email)
        for who, inserter, path in (
            ("raw sqlite3", raw_inserter, raw_db),
            ("accountkit add_many", kit_inserter, kit_db),
        )
        for email_name, email in (("random", address), ("in-order", ordered_address))
    ]
    rates: dict[str, list[float]] = {name: [] for name, *_ in plan}
    next_user = 10 * filled + 10_000_000  # addresses no filled user has
    with ExitStack() as stack:
        variants = [
            (name, stack.enter_context(inserter(path, pragmas)), email)
            for name, inserter, path, email in plan
        ]
        for round_ in range(args.chunks + 1):
            order = variants if round_ % 2 else variants[::-1]
            for name, insert, email in order:
                numbers = range(next_user, next_user + args.size)
                next_user = numbers.stop
                seconds = insert(numbers, email)
                if round_:  # round 0 warms the connections up
                    rates[name].append(len(numbers) / seconds)
    width = max(len(name) for name in rates)
    print(f"| {'variant'.ljust(width)} | median users/s | slowest - fastest chunk |")
    print(f"|{'-' * (width + 2)}|----------------|-------------------------|")
    for name, values in rates.items():
        spread = f"{min(values):,.0f} - {max(values):,.0f}"
        print(f"| {name.ljust(width)} | {statistics.median(values):>14,.0f} | {spread:>23} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
