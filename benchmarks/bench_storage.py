"""Storage benchmark: accountkit's SqlStore next to hand-written raw SQL, in one run.

Usage (from the repository root, with the project's virtual environment)::

    python benchmarks/bench_storage.py                     # SQLite file, 1,000,000 users
    python benchmarks/bench_storage.py --scale 0.01        # SQLite file, 10,000 users
    python benchmarks/bench_storage.py --scale 0.1 \\
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test

Every figure is measured next to a raw equivalent in the same run, on a table of the same
shape (same DDL) holding the same kind of rows (ids from the same ``new_id``): the
``sqlite3`` module on a second SQLite file with the pragmas accountkit's own connections
have (read from them), or for ``--url`` plain psycopg on tables made ``LIKE`` accountkit's in
the same fresh schema (dropped at the end).

1. Bulk import: accountkit builds ``User`` records (tier FULL, one precomputed password
   hash) and inserts them with ``tx.users.add_many`` in chunks of ``--chunk`` per
   transaction; raw builds tuples and runs ``executemany(INSERT ...)`` per chunk. The
   figure is the median over the chunks (the first one is a warm-up when there are more).
2. The sign-in lookup, at 10,000 users and again at the full size: ``kit.users.
   find_by_email(address)`` and ``store.transaction(readonly=True)`` +
   ``tx.users.get_by_email(key)`` against a raw ``SELECT ... WHERE email_key = ?``, for
   random addresses of the filled set. Median per lookup over ``--rounds`` rounds of
   ``--lookups`` lookups, after a warm-up round; the contenders take turns within a round.
3. Registration, one user per transaction, with ``CheapPasswordHasher``:
   ``kit.registration.register`` against a raw ``BEGIN IMMEDIATE; INSERT user; INSERT
   event; COMMIT`` that hashes the password with the same hasher.

The table gives each figure, the raw figure, their ratio (how many times accountkit's time
is the raw time), the target and whether it is met. Nothing here asserts on time; see
docs/performance.md for results and analysis.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa

import accountkit
from accountkit import AccountKit, SalesChannel, ShopPolicy, User, UserTier
from accountkit.domain._ids import new_id
from accountkit.storage import SqlStore
from accountkit.testing import CheapPasswordHasher

FULL_SIZE = 1_000_000
SMALL_SIZE = 10_000
SECRET = "bench-secret-key-0123456789abcdef"
PASSWORD = "correct horse battery staple"
BIRTH = date(1990, 5, 17)
# An argon2id hash as Argon2Hasher makes them: the import brings hashes, it does not make them.
PASSWORD_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA"
    "$RdescudvJCsgt3ub+b+dWRWJTmaaJObG9Kzhc1Ot9f0"
)

USER_COLUMNS = (
    "id, tier, status, email, email_key, given_name, family_name, birth_date, password_hash, "
    "must_complete_profile, profile, security_version, version, created_at, updated_at"
)
EVENT_COLUMNS = "id, at, actor_kind, actor_id, kind, user_id, customer_id, data"

TARGET_IMPORT = 20_000.0  # users/s
TARGET_LOOKUP = 0.1e-3  # s per lookup
TARGET_LOOKUP_RATIO = 5.0  # accountkit time / raw time
TARGET_GROWTH = 1.5  # lookup time at full size / at 10,000
TARGET_REGISTER = 1_000.0  # registrations/s

_NAMES = (
    "anna", "ben", "clara", "david", "emma", "felix", "greta", "hans",
    "ida", "jonas", "karla", "lars", "mia", "nils", "olga", "paul",
)  # fmt: skip
_DOMAINS = ("example.com", "example.org", "shop.example.net", "mail.example.de")


def _mix(i: int) -> int:
    """A bijection on 32-bit numbers that scatters consecutive ``i`` (Knuth's hash)."""
    return (i * 0x9E3779B1) & 0xFFFFFFFF


def address(i: int) -> str:
    """The normalised e-mail address of filled user ``i``: unique, and in no relation to
    ``i``'s order, as the addresses of a real import are (so the e-mail index takes its
    inserts at random places, not at the end)."""
    return f"{_NAMES[i % 16]}.{_mix(i):08x}@{_DOMAINS[i % 4]}"


def new_address(n: int) -> str:
    """The address of the ``n``-th registration: unique, never one of the filled ones."""
    return f"new.{_mix(n + 2**31):08x}@example.com"


def make_users(numbers: Iterable[int], email: Callable[[int], str]) -> list[User]:
    """FULL users numbered ``numbers``, with ``email(i)`` and a hash given beforehand."""
    now = datetime.now(UTC)
    return [
        User(
            id=new_id("usr"),
            tier=UserTier.FULL,
            email=email(i),
            given_name=given_name(i),
            family_name=family_name(i),
            birth_date=BIRTH,
            password_hash=PASSWORD_HASH,
            created_at=now,
            updated_at=now,
        )
        for i in numbers
    ]


def given_name(i: int) -> str:
    """The given name of filled user ``i``."""
    return _NAMES[i % 16].title()


def family_name(i: int) -> str:
    """The family name of filled user ``i``."""
    return f"Family{i % 997}"


# --- raw equivalents ------------------------------------------------------------------------


class Raw(Protocol):
    """A hand-written equivalent of the store, on tables of the same shape."""

    label: str

    def user_row(self, i: int, user_id: str, email: str, stamp: Any) -> tuple[Any, ...]:
        """The users row for filled user ``i`` (or a registration), in USER_COLUMNS order."""
        ...

    def stamp(self, moment: datetime) -> Any:
        """A time as this driver binds it."""
        ...

    def insert_many(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert the rows in one transaction."""
        ...

    def lookup(self, key: str) -> tuple[Any, ...] | None:
        """The sign-in query: the user row with this e-mail key."""
        ...

    def register(self, user: tuple[Any, ...], event: tuple[Any, ...]) -> None:
        """Insert one user and its event in one write transaction."""
        ...

    def settle(self) -> None:
        """After a fill, let both databases settle as they would by themselves soon: SQLite
        checkpoints its WAL, PostgreSQL runs VACUUM ANALYZE (which autovacuum would do).
        Both sides alike, so the lookups do not time the aftermath of the import."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


_SQLITE_TIME = "%Y-%m-%dT%H:%M:%S.%f+00:00"  # how accountkit keeps times in SQLite


class RawSqlite:
    """The sqlite3 module on a second file, with the tables copied from accountkit's DDL."""

    label = "raw sqlite3"

    def __init__(self, path: Path, ddl: Sequence[str], pragmas: Sequence[str], twin: Path) -> None:
        self._twin = twin
        self._conn = sqlite3.connect(path, isolation_level=None)
        for pragma in pragmas:
            self._conn.execute(f"PRAGMA {pragma}")
        for statement in ddl:
            self._conn.execute(statement)
        marks = ", ".join("?" * 15)
        self._insert_user = f"INSERT INTO accountkit_users ({USER_COLUMNS}) VALUES ({marks})"
        self._insert_event = (
            f"INSERT INTO accountkit_events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        )
        self._select = f"SELECT {USER_COLUMNS} FROM accountkit_users WHERE email_key = ?"

    def stamp(self, moment: datetime) -> Any:
        return moment.strftime(_SQLITE_TIME)

    def user_row(self, i: int, user_id: str, email: str, stamp: Any) -> tuple[Any, ...]:
        return (
            user_id, "full", "active", email, email.casefold(), given_name(i), family_name(i),
            "1990-05-17", PASSWORD_HASH, 0, "{}", 0, 0, stamp, stamp,
        )  # fmt: skip

    def insert_many(self, rows: list[tuple[Any, ...]]) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        self._conn.executemany(self._insert_user, rows)
        self._conn.execute("COMMIT")

    def lookup(self, key: str) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._conn.execute(self._select, (key,)).fetchone()
        return row

    def register(self, user: tuple[Any, ...], event: tuple[Any, ...]) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.execute(self._insert_user, user)
            self._conn.execute(self._insert_event, event)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def settle(self) -> None:
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with closing(sqlite3.connect(self._twin, isolation_level=None)) as twin:
            twin.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self._conn.close()


class RawPostgres:
    """Plain psycopg (autocommit, explicit transactions) on tables LIKE accountkit's."""

    label = "raw psycopg"

    def __init__(self, conninfo: str, schema: str) -> None:
        import psycopg

        self._conn = psycopg.connect(conninfo, autocommit=True)
        for name in ("users", "events"):
            self._conn.execute(
                f'CREATE TABLE "{schema}".raw_{name} '
                f'(LIKE "{schema}".accountkit_{name} INCLUDING ALL)'
            )
        marks = ", ".join(["%s"] * 15)
        users, events = f'"{schema}".raw_users', f'"{schema}".raw_events'
        self._insert_user = f"INSERT INTO {users} ({USER_COLUMNS}) VALUES ({marks})"
        self._insert_event = (
            f"INSERT INTO {events} ({EVENT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self._select = f"SELECT {USER_COLUMNS} FROM {users} WHERE email_key = %s"
        self._tables = (f'"{schema}".accountkit_users', users)

    def stamp(self, moment: datetime) -> Any:
        return moment

    def user_row(self, i: int, user_id: str, email: str, stamp: Any) -> tuple[Any, ...]:
        return (
            user_id, "full", "active", email, email.casefold(), given_name(i), family_name(i),
            BIRTH, PASSWORD_HASH, False, "{}", 0, 0, stamp, stamp,
        )  # fmt: skip

    def insert_many(self, rows: list[tuple[Any, ...]]) -> None:
        with self._conn.transaction(), self._conn.cursor() as cur:
            cur.executemany(self._insert_user, rows)

    def lookup(self, key: str) -> tuple[Any, ...] | None:
        return self._conn.execute(self._select, (key,)).fetchone()

    def register(self, user: tuple[Any, ...], event: tuple[Any, ...]) -> None:
        with self._conn.transaction():
            self._conn.execute(self._insert_user, user)
            self._conn.execute(self._insert_event, event)

    def settle(self) -> None:
        for table in self._tables:
            self._conn.execute(f"VACUUM ANALYZE {table}")

    def close(self) -> None:
        self._conn.close()


# --- measuring ------------------------------------------------------------------------------

Run = Callable[[Sequence[str]], None]


def per_op(contenders: Sequence[Run], batches: Sequence[Sequence[Sequence[str]]]) -> list[float]:
    """Median seconds per item for each contender.

    ``batches[r][c]`` is what contender ``c`` works through in round ``r``; round 0 is a
    warm-up and not counted. Within a round the contenders take turns, in an order that
    flips every round, so that drift (caches, the file growing) hits them alike.
    """
    samples: list[list[float]] = [[] for _ in contenders]
    for r, round_batches in enumerate(batches):
        order = list(range(len(contenders)))
        if r % 2:
            order.reverse()
        for c in order:
            batch = round_batches[c]
            started = time.perf_counter()
            contenders[c](batch)
            elapsed = time.perf_counter() - started
            if r:
                samples[c].append(elapsed / len(batch))
    return [statistics.median(s) for s in samples]


class Row(NamedTuple):
    """One line of the result table."""

    name: str
    accountkit: str
    raw: str
    ratio: str
    target: str
    met: str


def _rate(seconds_per_item: float) -> str:
    return f"{1 / seconds_per_item:,.0f}/s"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.4f} ms"


def _yes(ok: bool) -> str:
    return "yes" if ok else "no"


def _met(*checks: bool) -> str:
    if all(checks):
        return "yes"
    return "partly" if any(checks) else "no"


def print_table(rows: Sequence[Row], raw_label: str) -> None:
    """Print the rows as a Markdown table (readable as it is, and pasteable)."""
    header = Row("measure", "accountkit", raw_label, "ratio", "target", "met")
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


# --- the benchmark --------------------------------------------------------------------------


class Bench:
    """One accountkit store and its raw twin, filled and measured side by side."""

    def __init__(self, args: argparse.Namespace, store: SqlStore, raw: Raw) -> None:
        self.args = args
        self.store = store
        self.raw = raw
        self.hasher = CheapPasswordHasher()
        self.kit = AccountKit(
            store=store,
            secret_keys=[SECRET],
            channels=[SalesChannel("web", ShopPolicy.b2c_open())],
            password_hasher=self.hasher,
        )
        self.filled = 0
        self.import_rates: tuple[list[float], list[float]] = ([], [])
        self.import_totals = [0.0, 0.0]
        self.rng = random.Random(args.seed)
        self.registered = 0

    # bulk import

    def _import_accountkit(self, lo: int, hi: int) -> None:
        users = make_users(range(lo, hi), address)
        with self.store.transaction() as tx:
            tx.users.add_many(users)

    def _import_raw(self, lo: int, hi: int) -> None:
        stamp = self.raw.stamp(datetime.now(UTC))
        row = self.raw.user_row
        self.raw.insert_many([row(i, new_id("usr"), address(i), stamp) for i in range(lo, hi)])

    def fill_to(self, size: int) -> None:
        """Import users until both stores hold ``size`` (taking turns chunk by chunk)."""
        chunk = self.args.chunk
        sides = (self._import_accountkit, self._import_raw)
        for lo in range(self.filled, size, chunk):
            hi = min(lo + chunk, size)
            order = (0, 1) if (lo // chunk) % 2 == 0 else (1, 0)
            for side in order:
                started = time.perf_counter()
                sides[side](lo, hi)
                elapsed = time.perf_counter() - started
                self.import_rates[side].append((hi - lo) / elapsed)
                self.import_totals[side] += elapsed
            self.filled = hi
        self.raw.settle()
        print(f"  filled {self.filled:,} users", file=sys.stderr, flush=True)

    def import_row(self) -> Row:
        """The bulk-import line: median rate over the chunks after the first."""
        ak_rates, raw_rates = (r[1:] if len(r) > 2 else r for r in self.import_rates)
        ak, raw = statistics.median(ak_rates), statistics.median(raw_rates)
        return Row(
            f"bulk import, {self.args.chunk:,} per tx (users/s)",
            f"{ak:,.0f}/s",
            f"{raw:,.0f}/s",
            f"{raw / ak:.2f}x",
            f">= {TARGET_IMPORT:,.0f}/s",
            _yes(ak >= TARGET_IMPORT),
        )

    def import_by_size(self, raw_label: str) -> str:
        """How the import rate changed as the table grew: the median chunk rate of the first
        and the last tenth of the chunks."""
        ak_rates, raw_rates = self.import_rates
        tenth = max(1, len(ak_rates) // 10)
        parts = []
        for label, part in (("first", slice(0, tenth)), ("last", slice(-tenth, None))):
            ak = statistics.median(ak_rates[part])
            raw = statistics.median(raw_rates[part])
            parts.append(f"{label} tenth: accountkit {ak:,.0f}/s, {raw_label} {raw:,.0f}/s")
        chunks = f"{tenth} chunk{'s' if tenth > 1 else ''}"
        summary = "; ".join(parts)
        return f"import rate as the table grows (median over a tenth = {chunks}): {summary}"

    # lookups

    def _addresses(self) -> list[str]:
        return [address(self.rng.randrange(self.filled)) for _ in range(self.args.lookups)]

    def _check_lookups(self) -> None:
        probe = address(self.rng.randrange(self.filled))
        if self.kit.users.find_by_email(probe) is None or self.raw.lookup(probe.casefold()) is None:
            raise RuntimeError(f"{probe} was not found; the fill went wrong")

    def lookups(self) -> tuple[list[float], Row, Row]:
        """Measure the lookups at the current size; return [kit, store, raw] seconds."""
        self._check_lookups()
        find = self.kit.users.find_by_email
        store, raw = self.store, self.raw

        def kit_find(batch: Sequence[str]) -> None:
            for email in batch:
                find(email)

        def store_get(batch: Sequence[str]) -> None:
            for email in batch:
                with store.transaction(readonly=True) as tx:
                    tx.users.get_by_email(email.casefold())

        def raw_get(batch: Sequence[str]) -> None:
            for email in batch:
                raw.lookup(email.casefold())

        batches = [[self._addresses() for _ in range(3)] for _ in range(self.args.rounds + 1)]
        kit_s, store_s, raw_s = per_op([kit_find, store_get, raw_get], batches)
        at = f"@{self.filled:,}"
        rows = tuple(
            Row(
                f"{name} {at} (per lookup)",
                _ms(seconds),
                _ms(raw_s),
                f"{seconds / raw_s:.2f}x",
                f"< {TARGET_LOOKUP * 1e3:g} ms, <= {TARGET_LOOKUP_RATIO:g}x raw",
                _met(seconds < TARGET_LOOKUP, seconds / raw_s <= TARGET_LOOKUP_RATIO),
            )
            for name, seconds in (
                ("kit.users.find_by_email", kit_s),
                ("tx.users.get_by_email", store_s),
            )
        )
        return [kit_s, store_s, raw_s], rows[0], rows[1]

    # registration

    def registrations(self) -> Row:
        """Measure one registration per transaction, accountkit against raw."""
        kit, raw, hasher = self.kit, self.raw, self.hasher

        def kit_register(batch: Sequence[str]) -> None:
            for email in batch:
                kit.registration.register(
                    email=email,
                    password=PASSWORD,
                    birth_date=BIRTH,
                    given_name="Reg",
                    family_name="Istration",
                )

        def raw_register(batch: Sequence[str]) -> None:
            for email in batch:
                hasher.hash(PASSWORD)  # the same work on the password as the kit's
                user_id = new_id("usr")
                stamp = raw.stamp(datetime.now(UTC))
                data = json.dumps(
                    {"channel": "web", "source": "registration", "tier": "full"}, sort_keys=True
                )
                raw.register(
                    raw.user_row(0, user_id, email, stamp),
                    (new_id("evt"), stamp, "user", user_id, "user_created",
                     user_id, None, data),
                )  # fmt: skip

        def emails(count: int) -> list[str]:
            self.registered += count
            return [new_address(n) for n in range(self.registered - count, self.registered)]

        count = self.args.registrations
        batches = [[emails(count), emails(count)] for _ in range(self.args.rounds + 1)]
        kit_s, raw_s = per_op([kit_register, raw_register], batches)
        return Row(
            "kit.registration.register, 1 per tx (users/s)",
            _rate(kit_s),
            _rate(raw_s),
            f"{kit_s / raw_s:.2f}x",
            f">= {TARGET_REGISTER:,.0f}/s",
            _yes(1 / kit_s >= TARGET_REGISTER),
        )

    def run(self, size: int) -> list[Row]:
        """Fill, measure at 10,000 and at ``size``, register; return the table rows."""
        small = min(SMALL_SIZE, size)
        self.fill_to(small)
        small_s, small_find, small_get = self.lookups()
        self.fill_to(size)
        full_s, full_find, full_get = self.lookups()
        growth = Row(
            f"find_by_email @{size:,} / @{small:,} (time)",
            f"{full_s[0] / small_s[0]:.2f}x",
            f"{full_s[2] / small_s[2]:.2f}x",
            "-",
            f"<= {TARGET_GROWTH:g}x",
            _yes(full_s[0] / small_s[0] <= TARGET_GROWTH),
        )
        register = self.registrations()
        return [self.import_row(), small_find, small_get, full_find, full_get, growth, register]


# --- setting up the two databases -------------------------------------------------------------


@contextmanager
def sqlite_pair(directory: Path) -> Iterator[tuple[SqlStore, Raw, str]]:
    """accountkit's SQLite file and a raw file with the same users and events tables."""
    ak_path, raw_path = directory / "accountkit.db", directory / "raw.db"
    for path in (ak_path, raw_path):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = SqlStore(f"sqlite:///{ak_path}")
    with closing(sqlite3.connect(ak_path)) as conn:
        ddl = [
            str(sql)
            for (sql,) in conn.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name IN "
                "('accountkit_users', 'accountkit_events') AND sql IS NOT NULL "
                "ORDER BY type = 'index', name"
            )
        ]
    # The raw twin runs with the settings accountkit gives its connections.
    with store.engine.connect() as conn:
        pragmas = [
            f"{name} = {conn.exec_driver_sql(f'PRAGMA {name}').scalar()}"
            for name in ("journal_mode", "synchronous", "busy_timeout", "cache_size", "mmap_size")
        ]
    raw = RawSqlite(raw_path, ddl, pragmas, twin=ak_path)
    try:
        where = f"SQLite file {ak_path} (raw twin: {raw_path.name}; both: {', '.join(pragmas)})"
        yield store, raw, where
    finally:
        raw.close()
        store.close()


@contextmanager
def postgres_pair(url: str) -> Iterator[tuple[SqlStore, Raw, str]]:
    """accountkit's tables in a fresh schema, and raw_* tables LIKE them; dropped at the end."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    parsed = sa.make_url(url)
    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    store = SqlStore(url, schema=schema)
    try:
        raw = RawPostgres(conninfo, schema)
        try:
            where = parsed.render_as_string(hide_password=True)
            yield store, raw, f"PostgreSQL {where}, schema {schema} (raw twin: raw_* tables)"
        finally:
            raw.close()
    finally:
        store.close()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _commit() -> str:
    """The git commit of the checkout the script runs in, if there is one."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return ""
    return f" (git {done.stdout.strip()})" if done.returncode == 0 else ""


def _machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{platform.machine()}, {cpus} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, SQLAlchemy {sa.__version__}, "
        f"accountkit {accountkit.__version__}{_commit()}"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="fraction of 1,000,000 users to fill (default 1; 0.01 for 10,000)",
    )
    parser.add_argument(
        "--url", help="a PostgreSQL URL to run against instead of a SQLite file (fresh schema)"
    )
    parser.add_argument("--dir", type=Path, help="where the SQLite files go (default: a temp dir)")
    parser.add_argument("--chunk", type=int, default=10_000, help="users per import transaction")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (plus a warm-up)")
    parser.add_argument("--lookups", type=int, default=2_000, help="lookups per round")
    parser.add_argument("--registrations", type=int, default=300, help="registrations per round")
    parser.add_argument("--seed", type=int, default=2026, help="seed for the random addresses")
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.chunk < 1 or args.rounds < 1:
        parser.error("--scale, --chunk and --rounds must be positive")
    if args.lookups < 1 or args.registrations < 1:
        parser.error("--lookups and --registrations must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    args = parse_args(argv)
    size = max(1, round(FULL_SIZE * args.scale))
    with tempfile.TemporaryDirectory(prefix="accountkit-bench-") as tmp:
        if args.url:
            pair = postgres_pair(args.url)
        else:
            directory = args.dir or Path(tmp)
            directory.mkdir(parents=True, exist_ok=True)
            pair = sqlite_pair(directory)
        with pair as (store, raw, where):
            print(f"accountkit storage benchmark: {size:,} users on {where}")
            print(f"machine: {_machine()}")
            print(
                f"rounds: {args.rounds} (+1 warm-up), {args.lookups:,} lookups and "
                f"{args.registrations:,} registrations per round, import chunks of "
                f"{args.chunk:,}",
                flush=True,
            )
            bench = Bench(args, store, raw)
            started = time.perf_counter()
            rows = bench.run(size)
            print()
            print_table(rows, raw.label)
            print()
            ak_total, raw_total = bench.import_totals
            print(
                f"import totals: accountkit {size:,} users in {ak_total:.1f} s "
                f"({size / ak_total:,.0f}/s), {raw.label} in {raw_total:.1f} s "
                f"({size / raw_total:,.0f}/s); whole run {time.perf_counter() - started:.0f} s"
            )
            print(bench.import_by_size(raw.label))
    return 0


if __name__ == "__main__":
    sys.exit(main())
