"""Reports benchmark: the customer overview, the order summary and record_order next to
hand-written raw SQL for the same rows, in one run.

Usage (from the repository root, with the project's virtual environment)::

    python benchmarks/bench_reports.py                     # SQLite file, 1,000,000 customers
    python benchmarks/bench_reports.py --scale 0.1         # 100,000 customers, 300,000 orders
    python benchmarks/bench_reports.py --scale 0.1 \\
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test

The store is filled with raw INSERTs through the store's own engine (``COPY`` on
PostgreSQL), in chunks of ``--chunk`` customers, with exactly what ``kit.orders.
record_order`` would leave: per customer its ``last_order_at`` (the newest signed-in order),
``has_test_order``, ``surname`` and ``sort_key``; per order ``total_minor`` and, for orders
placed without signing in, the guest's family name's ``sort_key``. About one customer in ten
has no order; the others have one to four signed-in orders; for every five customers there
are three orders placed without signing in, so there are about three orders per customer.
Times spread over two years (one in twenty on a whole second, so equal dates happen),
surnames over 5,000 family names (equal sort keys are common). One more customer has 3,000
orders. The orders have no address rows (an order may have none; the reports do not read
them except for the three newest orders of a summary).

1. ``kit.reports.overview(staff)``: the first page and page ``--deep`` (1,000 by default, or
   the last page of a smaller store), 50 rows each, against one hand-written keyset query
   for the same rows (the two row kinds' keyset queries, each ``LIMIT 51``, in one ``UNION
   ALL`` ordered and limited again) on a raw driver connection to the same database. Median
   per page over ``--rounds`` rounds of ``--pages`` pages, after a warm-up round.
   For information, one run of the query that computes every customer's last order at query
   time (``MAX(placed_at) ... GROUP BY``) instead of reading the maintained column.
2. The first page at 10,000 customers and again at the full size: their ratio.
3. ``kit.reports.order_summary(customer_id)`` for random customers with three orders and for
   the customer with 3,000, against the raw ``SUM(total_minor) ... GROUP BY currency`` plus
   the three newest orders.
4. ``kit.orders.record_order`` one at a time, each its own unit (a signed-in order of an
   active member), against a raw ``BEGIN; INSERT order; UPDATE customer; INSERT 2 events;
   COMMIT``. Median rate over the rounds.
5. Peak memory (``tracemalloc``) while paging through every customer
   (``status=REGISTERED``, 500 per page) at 10,000 customers and at the full size.

Nothing here asserts on time; see docs/performance.md ("Reports") for results and analysis.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from bench_storage import SECRET, _machine, per_op
from itsdangerous import URLSafeSerializer

from accountkit import (
    AccountKit,
    Actor,
    CustomerStatus,
    Role,
    SalesChannel,
    ShopPolicy,
    User,
    UserTier,
)
from accountkit.domain._ids import new_id
from accountkit.domain.orders import sort_key
from accountkit.services.reports import _OVERVIEW_SALT
from accountkit.storage import SqlStore
from accountkit.testing import CheapPasswordHasher

FULL_SIZE = 1_000_000
SMALL_SIZE = 10_000
PAGE = 50
HEAVY_ORDERS = 3_000
BASE = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = int(timedelta(days=730) / timedelta(microseconds=1))
STAFF = Actor.operator("bench")

TARGET_PAGE = 1e-3  # s per overview page, at any depth
TARGET_PAGE_RATIO = 3.0  # accountkit time / the raw keyset query's
TARGET_GROWTH = 1.5  # first page at full size / at 10,000
TARGET_SUMMARY = 1e-3  # s, a typical customer
TARGET_SUMMARY_HEAVY = 10e-3  # s, a customer with 3,000 orders
TARGET_RECORD = 2_000.0  # orders/s, each its own unit
TARGET_MEMORY = 1.5  # peak at full size / at 10,000

CUSTOMER_COLUMNS = (
    "id", "kind", "name", "number", "discount", "document_contacts", "note", "channel",
    "version", "created_at", "updated_at", "last_order_at", "surname", "sort_key",
    "has_test_order",
)  # fmt: skip
ORDER_COLUMNS = (
    "id", "number", "channel", "placed_at", "total", "currency", "status", "test_order",
    "signed_in", "user_id", "customer_id", "guest_email", "guest_name", "guest_family_name",
    "sort_key", "total_minor", "erased", "version", "updated_at",
)  # fmt: skip
NUMBER_COLUMNS = ("number", "customer_id", "live")
_GIVEN = ("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hans", "Ida", "Jonas")


class Row(NamedTuple):
    """One line of the result table."""

    name: str
    accountkit: str
    raw: str
    ratio: str
    target: str
    met: str


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


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.4f} ms"


def _yes(ok: bool) -> str:
    return "yes" if ok else "no"


def _met(*checks: bool) -> str:
    if all(checks):
        return "yes"
    return "partly" if any(checks) else "no"


def surname(i: int) -> str:
    """One of 5,000 family names, scattered over the customers."""
    return f"Nachname{(i * 7919) % 5000:04d}"


# --- the database ---------------------------------------------------------------------------


class Database(NamedTuple):
    """Where the benchmark runs: the store, how raw rows are written into it, and a raw
    driver connection for the baselines."""

    store: SqlStore
    where: str
    label: str
    stamp: Callable[[datetime], Any]
    load: Callable[[str, Sequence[str], list[tuple[Any, ...]]], None]
    raw: Callable[[], AbstractContextManager[Any]]
    marks: Callable[[str], str]
    settle: Callable[[], None]


@contextmanager
def sqlite_database(directory: Path) -> Iterator[Database]:
    """A fresh SqlStore SQLite file; the raw baselines use the sqlite3 module on it, with
    the pragmas accountkit gives its own connections (read from one of them)."""
    path = directory / "reports.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = SqlStore(f"sqlite:///{path}")
    with store.engine.connect() as conn:
        pragmas = [
            f"{name} = {conn.exec_driver_sql(f'PRAGMA {name}').scalar()}"
            for name in ("journal_mode", "synchronous", "busy_timeout", "cache_size", "mmap_size")
        ]

    def load(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO accountkit_{table} ({', '.join(columns)}) VALUES ({marks})"
        with store.engine.begin() as conn:
            conn.exec_driver_sql(sql, rows)

    @contextmanager
    def raw() -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(path, isolation_level=None)) as conn:
            for pragma in pragmas:
                conn.execute(f"PRAGMA {pragma}")
            yield conn

    def settle() -> None:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("ANALYZE")

    try:
        yield Database(
            store=store,
            where=f"SQLite file {path}",
            label="raw sqlite3",
            stamp=lambda moment: moment.isoformat(timespec="microseconds"),
            load=load,
            raw=raw,
            marks=lambda name: f":{name}",
            settle=settle,
        )
    finally:
        store.close()


@contextmanager
def postgres_database(url: str) -> Iterator[Database]:
    """accountkit's tables in a fresh schema (dropped at the end), filled with COPY; the
    raw baselines use plain psycopg on one autocommit connection."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    parsed = sa.make_url(url)
    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    store = SqlStore(url, schema=schema)

    def load(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        with store.engine.begin() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            with driver.cursor() as cursor:
                copy = f'COPY "{schema}".accountkit_{table} ({", ".join(columns)}) FROM STDIN'
                with cursor.copy(copy) as sink:
                    for row in rows:
                        sink.write_row(row)

    @contextmanager
    def raw() -> Iterator[Any]:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{schema}"')
            yield conn

    def settle() -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for table in ("customers", "orders", "customer_numbers", "events"):
                conn.execute(f'VACUUM ANALYZE "{schema}".accountkit_{table}')

    try:
        yield Database(
            store=store,
            where=f"PostgreSQL {parsed.render_as_string(hide_password=True)}, schema {schema}",
            label="raw psycopg",
            stamp=lambda moment: moment,
            load=load,
            raw=raw,
            marks=lambda name: f"%({name})s",
            settle=settle,
        )
    finally:
        store.close()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# --- filling --------------------------------------------------------------------------------


class Filler:
    """Writes customers and orders as record_order would have left them."""

    def __init__(self, db: Database, seed: int, chunk: int) -> None:
        self.db = db
        self.rng = random.Random(seed)
        self.chunk = chunk
        self.customers = 0
        self.orders = 0
        self.guest_orders = 0
        self.serial = 0
        self.seconds = 0.0
        self.typical: list[str] = []  # customers with exactly three orders
        self.buyers: list[str] = []
        pg = db.label == "raw psycopg"
        self._true: Any = True if pg else 1
        self._false: Any = False if pg else 0

    def _moment(self) -> datetime:
        moment = BASE + timedelta(microseconds=self.rng.randrange(SPAN))
        return moment.replace(microsecond=0) if self.rng.random() < 0.05 else moment

    def _order(
        self, placed: datetime, customer_id: str | None, family: str | None, test: bool
    ) -> tuple[Any, ...]:
        self.serial += 1
        order_id = f"ord_{self.serial:012d}"
        cents = self.rng.randrange(100, 50_000)
        currency = "SEK" if self.rng.random() < 0.05 else "EUR"
        stamp = self.db.stamp(placed)
        signed_in = customer_id is not None
        guest = None if signed_in else (f"g{self.serial}@example.com", "Gast", family)
        return (
            order_id, f"B-{self.serial:010d}", "web", stamp, str(Decimal(cents).scaleb(-2)),
            currency, "placed", self._true if test else self._false,
            self._true if signed_in else self._false,
            self.rng.choice(self.buyers) if signed_in else None, customer_id,
            *(guest or (None, None, None)),
            None if family is None else sort_key(family), cents, self._false, 0, stamp,
        )  # fmt: skip

    def _customer(
        self, i: int, last: datetime | None, test: bool, customer_id: str | None = None
    ) -> tuple[Any, ...]:
        name, family = f"Familie {surname(i)}", surname(i)
        now = self.db.stamp(BASE)
        return (
            customer_id or new_id("cus"), "personal", name, f"K-{i:08d}", "0", "[]", "", "web",
            0, now, now, None if last is None else self.db.stamp(last), family,
            sort_key(family), self._true if test else self._false,
        )  # fmt: skip

    def buyers_pool(self, store: SqlStore, count: int = 100) -> None:
        """Users that the signed-in orders name as their buyer (record_order needs one)."""
        now = datetime.now(UTC)
        users = [
            User(
                id=new_id("usr"),
                tier=UserTier.GUEST,
                email=f"buyer{n}@example.com",
                given_name="Buyer",
                created_at=now,
                updated_at=now,
            )
            for n in range(count)
        ]
        with store.transaction() as tx:
            tx.users.add_many(users)
        self.buyers = [u.id for u in users]

    def heavy(self) -> str:
        """The customer with 3,000 signed-in orders."""
        customer_id = new_id("cus")
        orders = [
            self._order(self._moment(), customer_id, None, False) for _ in range(HEAVY_ORDERS)
        ]
        last = max(self._parse(o[3]) for o in orders)
        started = time.perf_counter()
        self.db.load("customers", CUSTOMER_COLUMNS, [self._customer(-1, last, False, customer_id)])
        self.db.load("customer_numbers", NUMBER_COLUMNS, [("K--0000001", customer_id, self._true)])
        self.db.load("orders", ORDER_COLUMNS, orders)
        self.seconds += time.perf_counter() - started
        self.orders += len(orders)
        return customer_id

    def _parse(self, stamp: Any) -> datetime:
        return stamp if isinstance(stamp, datetime) else datetime.fromisoformat(stamp)

    def fill_to(self, size: int) -> None:
        """Add customers (and their orders, and orders without sign-in) up to ``size``."""
        while self.customers < size:
            lo, hi = self.customers, min(self.customers + self.chunk, size)
            customers, orders, numbers = [], [], []
            for i in range(lo, hi):
                customer_id = new_id("cus")
                count = 0 if self.rng.random() < 0.1 else self.rng.choice((1, 2, 2, 3, 3, 4, 4))
                mine = [
                    self._order(self._moment(), customer_id, None, self.rng.random() < 0.01)
                    for _ in range(count)
                ]
                last = max((self._parse(o[3]) for o in mine), default=None)
                test = any(o[7] for o in mine)
                customers.append(self._customer(i, last, test, customer_id))
                numbers.append((f"K-{i:08d}", customer_id, self._true))
                orders += mine
                if count == 3 and len(self.typical) < 1000:
                    self.typical.append(customer_id)
            guests = round((hi - lo) * 0.6)
            orders += [
                self._order(self._moment(), None, surname(self.rng.randrange(10**6)), False)
                for _ in range(guests)
            ]
            started = time.perf_counter()
            self.db.load("customers", CUSTOMER_COLUMNS, customers)
            self.db.load("customer_numbers", NUMBER_COLUMNS, numbers)
            self.db.load("orders", ORDER_COLUMNS, orders)
            self.seconds += time.perf_counter() - started
            self.customers = hi
            self.orders += len(orders)
            self.guest_orders += guests
        self.db.settle()
        print(
            f"  filled {self.customers:,} customers, {self.orders:,} orders "
            f"({self.guest_orders:,} without sign-in)",
            file=sys.stderr,
            flush=True,
        )


# --- the raw baselines ----------------------------------------------------------------------


def overview_sql(db: Database, *, position: dict[str, Any] | None, undated: bool) -> str:
    """The hand-written keyset query of one overview page: the customers with orders and the
    orders placed without signing in after ``position``, and (``undated``: when the page
    reaches them) the customers without orders, in one UNION ALL."""
    m = db.marks
    pg = db.label == "raw psycopg"
    oid = 'id COLLATE "C"' if pg else "id"
    limit = f"LIMIT {PAGE + 1}"
    empty = "SELECT NULL AS d, sort_key, id, 0 AS kind, number, name, NULL AS email, "
    empty += "has_test_order FROM accountkit_customers WHERE last_order_at IS NULL"
    if position is not None and position["d"] is None:
        return (
            f"{empty} AND sort_key >= {m('s')} AND (sort_key > {m('s')} OR id > {m('i')}) "
            f"ORDER BY sort_key, id {limit}"
        )
    after = position is not None
    customer_after = (
        f"AND last_order_at <= {m('d')} AND (last_order_at < {m('d')} OR sort_key > {m('s')} "
        f"OR (sort_key = {m('s')} AND id > {m('i')}))"
        if after
        else ""
    )
    same = ">=" if position is not None and position["kind"] == "customer" else ">"
    order_after = (
        f"AND placed_at <= {m('d')} AND (placed_at < {m('d')} OR sort_key > {m('s')} "
        f"OR (sort_key = {m('s')} AND {oid} {same} {m('i')}))"
        if after
        else ""
    )
    signed_out = "signed_in IS false" if pg else "signed_in IS 0"
    concat = "guest_name || ' ' || guest_family_name"
    rest = (
        f" UNION ALL SELECT * FROM ({empty} ORDER BY sort_key, id {limit}) AS e" if undated else ""
    )
    return (
        "SELECT * FROM (SELECT * FROM (SELECT last_order_at AS d, sort_key, id, 0 AS kind, "
        "number, name, "
        "NULL AS email, has_test_order FROM accountkit_customers "
        f"WHERE last_order_at IS NOT NULL {customer_after} "
        f"ORDER BY last_order_at DESC, sort_key, id {limit}) AS c "
        "UNION ALL "
        f"SELECT * FROM (SELECT placed_at, sort_key, {oid}, 1, number, {concat}, guest_email, "
        f"test_order FROM accountkit_orders WHERE {signed_out} {order_after} "
        f"ORDER BY placed_at DESC, sort_key, {oid} {limit}) AS g{rest}) AS u "
        f"ORDER BY d IS NULL, d DESC, sort_key, id, kind {limit}"
    )


def query_time_sql(db: Database) -> str:
    """The overview's first page with each customer's last order computed at query time."""
    signed_in = "o.signed_in IS true" if db.label == "raw psycopg" else "o.signed_in IS 1"
    return (
        "SELECT c.id, c.sort_key, MAX(o.placed_at) AS d FROM accountkit_customers c "
        f"LEFT JOIN accountkit_orders o ON o.customer_id = c.id AND {signed_in} "
        f"GROUP BY c.id, c.sort_key ORDER BY d DESC, c.sort_key, c.id LIMIT {PAGE + 1}"
    )


def summary_sql(db: Database) -> tuple[str, str]:
    """The raw order summary: sums per currency, and the three newest orders."""
    m = db.marks
    signed_in = "signed_in IS true" if db.label == "raw psycopg" else "signed_in IS 1"
    return (
        "SELECT currency, SUM(total_minor), COUNT(*) FROM accountkit_orders "
        f"WHERE customer_id = {m('c')} AND {signed_in} GROUP BY currency",
        f"SELECT {', '.join(ORDER_COLUMNS)} FROM accountkit_orders "
        f"WHERE customer_id = {m('c')} AND {signed_in} "
        "ORDER BY placed_at DESC, id DESC LIMIT 3",
    )


# --- the benchmark --------------------------------------------------------------------------


class Bench:
    """The filled store, a kit on it, and the raw baselines on the same database."""

    def __init__(self, args: argparse.Namespace, db: Database) -> None:
        self.args = args
        self.db = db
        self.kit = AccountKit(
            store=db.store,
            secret_keys=[SECRET],
            channels=[SalesChannel("web", ShopPolicy.b2c_open())],
            password_hasher=CheapPasswordHasher(),
        )
        self.filler = Filler(db, args.seed, args.chunk)
        self.rng = random.Random(args.seed + 1)
        self.first_pages: list[float] = []
        self.peaks: list[int] = []
        self.heavy = ""

    # 1, 2. overview pages

    def _cursor_at(self, page: int) -> tuple[str | None, int]:
        """The cursor of overview page ``page`` (or of the last page), and its number."""
        cursor: str | None = None
        number = 1
        while number < page:
            result = self.kit.reports.overview(STAFF, page_size=PAGE, cursor=cursor)
            if result.next_cursor is None:
                break
            cursor, number = result.next_cursor, number + 1
        return cursor, number

    def _position(self, cursor: str | None) -> dict[str, Any] | None:
        """The raw query's parameters for the page after ``cursor``: the position the
        cursor holds (the previous page's last row), read with the kit's key."""
        if cursor is None:
            return None
        reader = URLSafeSerializer(
            [SECRET], salt=_OVERVIEW_SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )
        when, key, kind, id_ = reader.loads(cursor)["after"]
        moment = None if when is None else self.db.stamp(datetime.fromisoformat(when))
        return {"d": moment, "s": key, "i": id_, "kind": kind}

    def page_row(self, page: int) -> tuple[Row, float]:
        """Overview page ``page`` against the raw keyset query for the same rows."""
        cursor, number = (None, 1) if page == 1 else self._cursor_at(page)
        position = self._position(cursor)
        overview = self.kit.reports.overview
        page_rows = overview(STAFF, cursor=cursor).items
        undated = any(r.date is None for r in page_rows)
        sql = overview_sql(self.db, position=position, undated=undated)
        params = {} if position is None else {k: position[k] for k in ("d", "s", "i")}
        with self.db.raw() as raw:
            kit_rows = [r.customer_id or r.order_id for r in page_rows]
            raw_rows = [r[2] for r in raw.execute(sql, params).fetchall()][:PAGE]
            if kit_rows != raw_rows:
                raise RuntimeError(f"page {number}: the raw query reads other rows")

            def kit_page(batch: Sequence[str]) -> None:
                for _ in batch:
                    overview(STAFF, page_size=PAGE, cursor=cursor)

            def raw_page(batch: Sequence[str]) -> None:
                for _ in batch:
                    raw.execute(sql, params).fetchall()

            items = [""] * self.args.pages
            batches = [[items, items] for _ in range(self.args.rounds + 1)]
            kit_s, raw_s = per_op([kit_page, raw_page], batches)
        ratio = kit_s / raw_s
        name = f"overview page {number:,} @{self.filler.customers:,} (per page)"
        return (
            Row(
                name,
                _ms(kit_s),
                _ms(raw_s),
                f"{ratio:.2f}x",
                f"< {TARGET_PAGE * 1e3:g} ms, <= {TARGET_PAGE_RATIO:g}x",
                _met(kit_s < TARGET_PAGE, ratio <= TARGET_PAGE_RATIO),
            ),
            kit_s,
        )

    def query_time_row(self, first_page: float) -> Row:
        """For information: the first page with last orders computed at query time."""
        with self.db.raw() as raw:
            started = time.perf_counter()
            raw.execute(query_time_sql(self.db)).fetchall()
            seconds = time.perf_counter() - started
        return Row(
            "overview first page, last order computed at query time (1 run)",
            _ms(first_page),
            _ms(seconds),
            f"{first_page / seconds:.4f}x",
            "-",
            "-",
        )

    def growth_row(self, small: int) -> Row:
        """The first page at the full size divided by the first page at 10,000."""
        first_small, first_full = self.first_pages
        ratio = first_full / first_small
        return Row(
            f"overview first page @{self.filler.customers:,} / @{small:,} (time)",
            f"{ratio:.2f}x",
            "-",
            "-",
            f"<= {TARGET_GROWTH:g}x",
            _yes(ratio <= TARGET_GROWTH),
        )

    # 3. order summary

    def summary_rows(self) -> list[Row]:
        """order_summary of typical customers and of the one with 3,000 orders."""
        totals_sql, latest_sql = summary_sql(self.db)
        summary = self.kit.reports.order_summary
        rows = []
        cases = [
            ("typical customer (3 orders)", self.filler.typical, 3, TARGET_SUMMARY),
            (
                f"customer with {HEAVY_ORDERS:,} orders",
                [self.heavy],
                HEAVY_ORDERS,
                TARGET_SUMMARY_HEAVY,
            ),
        ]
        with self.db.raw() as raw:
            for label, pool, orders, target in cases:
                if summary(pool[0]).count != orders:
                    raise RuntimeError(f"{label}: the summary counts other orders")

                def kit_summary(batch: Sequence[str]) -> None:
                    for customer_id in batch:
                        summary(customer_id)

                def raw_summary(batch: Sequence[str]) -> None:
                    for customer_id in batch:
                        raw.execute(totals_sql, {"c": customer_id}).fetchall()
                        raw.execute(latest_sql, {"c": customer_id}).fetchall()

                count = self.args.summaries if orders == 3 else max(1, self.args.summaries // 20)
                batches = []
                for _ in range(self.args.rounds + 1):
                    picked = [self.rng.choice(pool) for _ in range(count)]
                    batches.append([picked, picked])
                kit_s, raw_s = per_op([kit_summary, raw_summary], batches)
                rows.append(
                    Row(
                        f"order_summary, {label}",
                        _ms(kit_s),
                        _ms(raw_s),
                        f"{kit_s / raw_s:.2f}x",
                        f"< {target * 1e3:g} ms",
                        _yes(kit_s < target),
                    )
                )
        return rows

    # 4. record_order

    def record_row(self) -> Row:
        """record_order one at a time against the raw writes of one signed-in order."""
        kit = self.kit
        customer = kit.customers.create(STAFF, name="Bench Kunde", surname="Bench")
        registered = kit.registration.register(
            email="bench.buyer@example.com",
            password="correct horse battery staple",
            birth_date=date(1990, 5, 17),
            given_name="Bench",
            family_name="Buyer",
        )
        assert registered.user is not None
        user_id = registered.user.id
        kit.customers.assign_user(STAFF, user_id, customer.id, Role.MEMBER)
        serial = iter(range(10**9))
        m = self.db.marks
        insert = (
            f"INSERT INTO accountkit_orders ({', '.join(ORDER_COLUMNS)}) VALUES "
            f"({', '.join(m(f'p{n}') for n in range(len(ORDER_COLUMNS)))})"
        )
        update = (
            f"UPDATE accountkit_customers SET last_order_at = CASE WHEN last_order_at IS NULL "
            f"OR last_order_at < {m('at')} THEN {m('at')} ELSE last_order_at END "
            f"WHERE id = {m('c')}"
        )
        event = (
            "INSERT INTO accountkit_events (id, at, actor_kind, actor_id, kind, user_id, "
            f"customer_id, data) VALUES ({m('e')}, {m('at')}, 'system', NULL, 'order_placed', "
            f"{m('u')}, {m('c2')}, '{{}}')"
        )
        pg = self.db.label == "raw psycopg"
        true, false = (True, False) if pg else (1, 0)

        def kit_record(batch: Sequence[str]) -> None:
            for _ in batch:
                n = next(serial)
                kit.orders.record_order(
                    order_id=f"rec_{n:09d}",
                    number=f"R-{n:09d}",
                    channel="web",
                    placed_at=datetime.now(UTC),
                    total=Decimal("19.90"),
                    currency="EUR",
                    user_id=user_id,
                )

        with self.db.raw() as raw:

            def raw_record(batch: Sequence[str]) -> None:
                for _ in batch:
                    n = next(serial)
                    now = self.db.stamp(datetime.now(UTC))
                    values = (
                        f"raw_{n:09d}", f"W-{n:09d}", "web", now, "19.90", "EUR", "placed",
                        false, true, user_id, customer.id, None, None, None, None, 1990, false,
                        0, now,
                    )  # fmt: skip
                    params = {f"p{i}": v for i, v in enumerate(values)}
                    raw.execute("BEGIN IMMEDIATE" if not pg else "BEGIN")
                    raw.execute(insert, params)
                    raw.execute(update, {"at": now, "c": customer.id})
                    for owner in (customer.id, None):
                        raw.execute(
                            event, {"e": new_id("evt"), "at": now, "u": user_id, "c2": owner}
                        )
                    raw.execute("COMMIT")

            items = [""] * self.args.orders
            batches = [[items, items] for _ in range(self.args.rounds + 1)]
            kit_s, raw_s = per_op([kit_record, raw_record], batches)
        return Row(
            "kit.orders.record_order, one per unit (orders/s)",
            f"{1 / kit_s:,.0f}/s",
            f"{1 / raw_s:,.0f}/s",
            f"{kit_s / raw_s:.2f}x",
            f">= {TARGET_RECORD:,.0f}/s",
            _yes(1 / kit_s >= TARGET_RECORD),
        )

    # 5. memory

    def memory_peak(self) -> int:
        """Peak traced memory while paging through every customer; return it in bytes."""
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        cursor: str | None = None
        seen = 0
        while True:
            page = self.kit.reports.overview(
                STAFF, status=CustomerStatus.REGISTERED, page_size=500, cursor=cursor
            )
            seen += len(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        if seen < self.filler.customers:
            raise RuntimeError(f"paged through {seen:,} customers, not all")
        self.peaks.append(peak)
        return peak

    def memory_row(self, small: int) -> Row:
        """Peak memory while paging through every customer, at 10,000 and the full size."""
        peak_small, peak_full = self.peaks
        ratio = peak_full / peak_small
        return Row(
            f"peak memory paging every customer @{small:,} and @{self.filler.customers:,}",
            f"{peak_small / 1024:,.0f} KiB, {peak_full / 1024:,.0f} KiB",
            "-",
            f"{ratio:.2f}x",
            f"<= {TARGET_MEMORY:g}x (flat)",
            _yes(ratio <= TARGET_MEMORY),
        )

    def run(self, size: int) -> list[Row]:
        """Fill to 10,000, measure the first page and memory; fill to ``size``, measure all."""
        small = min(SMALL_SIZE, size)
        self.filler.buyers_pool(self.db.store)
        self.heavy = self.filler.heavy()
        self.filler.fill_to(small)
        first_small, seconds = self.page_row(1)
        self.first_pages.append(seconds)
        self.memory_peak()
        self.filler.fill_to(size)
        first, seconds = self.page_row(1)
        self.first_pages.append(seconds)
        deep, _ = self.page_row(self.args.deep)
        rows = [first_small, first, deep, self.growth_row(small), self.query_time_row(seconds)]
        rows += self.summary_rows()
        self.memory_peak()
        rows.append(self.memory_row(small))
        rows.append(self.record_row())
        return rows


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="fraction of 1,000,000 customers (and 3,000,000 orders) to fill (default 1)",
    )
    parser.add_argument(
        "--url", help="a PostgreSQL URL to run against instead of a SQLite file (fresh schema)"
    )
    parser.add_argument("--dir", type=Path, help="where the SQLite file goes (default: a temp dir)")
    parser.add_argument("--chunk", type=int, default=10_000, help="customers per fill transaction")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (plus a warm-up)")
    parser.add_argument("--pages", type=int, default=200, help="overview pages per round")
    parser.add_argument("--deep", type=int, default=1_000, help="the deep page to measure")
    parser.add_argument("--summaries", type=int, default=200, help="summaries per round")
    parser.add_argument("--orders", type=int, default=300, help="record_order calls per round")
    parser.add_argument("--seed", type=int, default=2026, help="seed for the generated data")
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.chunk < 1 or args.rounds < 1 or args.deep < 1:
        parser.error("--scale, --chunk, --rounds and --deep must be positive")
    if min(args.pages, args.summaries, args.orders) < 1:
        parser.error("--pages, --summaries and --orders must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    args = parse_args(argv)
    size = max(1, round(FULL_SIZE * args.scale))
    with tempfile.TemporaryDirectory(prefix="accountkit-bench-") as tmp:
        if args.url:
            database = postgres_database(args.url)
        else:
            directory = args.dir or Path(tmp)
            directory.mkdir(parents=True, exist_ok=True)
            database = sqlite_database(directory)
        with database as db:
            print(f"accountkit reports benchmark: {size:,} customers on {db.where}")
            print(f"machine: {_machine()}")
            print(
                f"rounds: {args.rounds} (+1 warm-up); per round {args.pages:,} overview pages, "
                f"{args.summaries:,} summaries, {args.orders:,} record_order calls",
                flush=True,
            )
            bench = Bench(args, db)
            started = time.perf_counter()
            rows = bench.run(size)
            print()
            print_table(rows, db.label)
            print()
            filler = bench.filler
            print(
                f"fill: {filler.customers + 1:,} customers, {filler.orders:,} orders "
                f"({filler.guest_orders:,} without sign-in) in {filler.seconds:.1f} s; "
                f"whole run {time.perf_counter() - started:.0f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
