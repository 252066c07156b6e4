"""Privacy benchmark: ``kit.privacy.export`` and ``kit.privacy.erase`` of a customer with 100
orders, next to hand-written raw SQL doing the same reads and writes, in one run.

Usage (from the repository root, with the project's virtual environment)::

    python benchmarks/bench_privacy.py                     # SQLite file, 100,000 users
    python benchmarks/bench_privacy.py --scale 0.1         # 10,000 users
    python benchmarks/bench_privacy.py --scale 0.2 \\
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test

The background is written with raw INSERTs through the store's own engine (``COPY`` on
PostgreSQL), in chunks of ``--chunk`` users: per user a FULL active user row, a PERSONAL
customer with the user as its member, two signed-in orders each with a billing and a
shipping address row, one consent, one history entry and, for every second user, a session;
so the indexes the export and the erasure read (users, memberships, orders by user,
addresses by order and by user, events by user and by customer, sessions) are not trivially
small.

The measured people are made through the kit, as a shop would make them: each one
``kit.registration.register`` (a FULL user, signed in: a session), a PERSONAL customer
(``kit.customers.create`` and ``assign_user``), ``--orders`` orders (100 by default)
through ``kit.orders.record_order`` with a billing and a shipping address, and two consents
(``kit.privacy.grant_consent``). ``--people`` people per contender per round (20 by
default): every round makes twice that many, since each person is erased once.

1. ``kit.privacy.export(staff, user_id)`` for every person of the round, against the same
   reads by hand on a raw driver connection (the user row, memberships, their customers,
   orders with their two address joins, the user's address rows, consents, history,
   sessions) and ``json.dumps`` of the rows. Median time per export over the rounds.
2. ``kit.privacy.erase(staff, user_id)`` for half the people, against the same writes by
   hand in one transaction for the other half (lock and read the user; delete the
   memberships; blank the personal customer; update the orders and their address rows;
   read the history of the user and the customer and rewrite each entry's data to the
   safe keys; delete sessions, login codes and token records; clear the failed sign-in
   count; write the tombstone and a USER_ERASED entry; commit; on SQLite, checkpoint the
   log as the store does after an erasure). Median time per erasure over the rounds.

Nothing here asserts on time; see docs/performance.md ("Privacy") for results and analysis.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from bench_reports import ORDER_COLUMNS, Row, _ms, _yes, print_table
from bench_storage import SECRET, _machine, per_op

from accountkit import (
    AccountKit,
    Actor,
    Address,
    ContactPurpose,
    CustomerKind,
    SalesChannel,
    ShopPolicy,
)
from accountkit.domain import EventKind
from accountkit.domain._ids import new_id
from accountkit.services.privacy import SAFE_EVENT_DATA
from accountkit.storage import SqlStore
from accountkit.testing import CheapPasswordHasher

FULL_SIZE = 100_000
BASE = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = int(timedelta(days=730) / timedelta(microseconds=1))
STAFF = Actor.operator("bench")
PASSWORD = "correct horse battery staple"

TARGET_EXPORT = 20e-3  # s, one customer with 100 orders
TARGET_ERASE = 50e-3  # s, the same

USER_COLUMNS = (
    "id", "tier", "status", "email", "email_key", "given_name", "family_name", "birth_date",
    "phone", "password_hash", "email_verified_at", "must_complete_profile", "profile",
    "security_version", "version", "created_at", "updated_at",
)  # fmt: skip
CUSTOMER_COLUMNS = (
    "id", "kind", "name", "number", "discount", "document_contacts", "note", "channel",
    "version", "created_at", "updated_at", "last_order_at", "surname", "sort_key",
    "has_test_order",
)  # fmt: skip
MEMBERSHIP_COLUMNS = (
    "user_id", "customer_id", "role", "is_active", "is_exclusive", "assigned_by_kind",
    "assigned_by_id", "assigned_at", "version",
)  # fmt: skip
ADDRESS_COLUMNS = (
    "id", "order_id", "customer_id", "user_id", "role", "name", "company", "street", "extra",
    "postal_code", "city", "country", "address_key", "created_at",
)  # fmt: skip
LINE_COLUMNS = ("name", "company", "street", "extra", "postal_code", "city", "country")
CONSENT_COLUMNS = ("id", "user_id", "purpose", "granted", "at", "source", "wording_version")
EVENT_COLUMNS = ("id", "at", "actor_kind", "actor_id", "kind", "user_id", "customer_id", "data")
SESSION_COLUMNS = ("id", "user_id", "method", "security_version", "created_at", "last_seen_at")


# --- the database ---------------------------------------------------------------------------


class Database(NamedTuple):
    """Where the benchmark runs: the store, how raw rows are written into it, and a raw
    driver connection for the baselines."""

    store: SqlStore
    where: str
    label: str
    pg: bool
    stamp: Callable[[datetime], Any]
    load: Callable[[str, Sequence[str], list[tuple[Any, ...]]], None]
    raw: Callable[[], AbstractContextManager[Any]]
    settle: Callable[[], None]


@contextmanager
def sqlite_database(directory: Path) -> Iterator[Database]:
    """A fresh SqlStore SQLite file; the raw baselines use the sqlite3 module on it, with
    the pragmas accountkit gives its own connections (read from one of them)."""
    path = directory / "privacy.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = SqlStore(f"sqlite:///{path}")
    with store.engine.connect() as conn:
        pragmas = [
            f"{name} = {conn.exec_driver_sql(f'PRAGMA {name}').scalar()}"
            for name in (
                "journal_mode", "synchronous", "busy_timeout", "cache_size", "mmap_size",
                "secure_delete", "foreign_keys",
            )
        ]  # fmt: skip

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
            pg=False,
            stamp=lambda moment: moment.isoformat(timespec="microseconds"),
            load=load,
            raw=raw,
            settle=settle,
        )
    finally:
        store.close()


@contextmanager
def postgres_database(url: str) -> Iterator[Database]:
    """accountkit's tables in a fresh schema (dropped at the end), filled with COPY; the
    raw baselines use plain psycopg on one connection."""
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
            for table in (
                "users", "customers", "memberships", "orders", "addresses", "consents",
                "events", "sessions",
            ):  # fmt: skip
                conn.execute(f'VACUUM ANALYZE "{schema}".accountkit_{table}')

    try:
        yield Database(
            store=store,
            where=f"PostgreSQL {parsed.render_as_string(hide_password=True)}, schema {schema}",
            label="raw psycopg",
            pg=True,
            stamp=lambda moment: moment,
            load=load,
            raw=raw,
            settle=settle,
        )
    finally:
        store.close()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# --- the background -------------------------------------------------------------------------


class Filler:
    """Writes the background: users with a personal customer, orders and their addresses,
    a consent, a history entry and (every second user) a session."""

    def __init__(self, db: Database, seed: int, chunk: int) -> None:
        self.db = db
        self.rng = random.Random(seed)
        self.chunk = chunk
        self.users = 0
        self.orders = 0
        self.addresses = 0
        self.seconds = 0.0
        self._true: Any = True if db.pg else 1
        self._false: Any = False if db.pg else 0

    def _moment(self) -> Any:
        return self.db.stamp(BASE + timedelta(microseconds=self.rng.randrange(SPAN)))

    def fill_to(self, size: int) -> None:
        """Add users (with everything above) up to ``size``."""
        t, f = self._true, self._false
        while self.users < size:
            lo, hi = self.users, min(self.users + self.chunk, size)
            rows: dict[str, list[tuple[Any, ...]]] = {
                name: []
                for name in (
                    "users", "customers", "memberships", "orders", "addresses", "consents",
                    "events", "sessions",
                )
            }  # fmt: skip
            for i in range(lo, hi):
                uid, cid = new_id("usr"), new_id("cus")
                made = self._moment()
                email = f"person{i}@example.com"
                family = f"Nachname{(i * 7919) % 5000:04d}"
                user = (
                    uid, "full", "active", email, email, "Vorname", family, None, None, None,
                    made, f, "{}", 0, 0, made, made,
                )  # fmt: skip
                customer = (
                    cid, "personal", f"Vorname {family}", f"K-{i:08d}", "0", "[]", "", "web",
                    0, made, made, None, family, family.lower(), f,
                )  # fmt: skip
                rows["users"].append(user)
                rows["customers"].append(customer)
                rows["memberships"].append((uid, cid, "member", t, f, "operator", "bench", made, 0))
                for n in range(2):
                    self.orders += 1
                    oid = f"ord_{self.orders:012d}"
                    at = self._moment()
                    cents = self.rng.randrange(100, 50_000)
                    order = (
                        oid, f"B-{self.orders:010d}", "web", at, str(Decimal(cents).scaleb(-2)),
                        "EUR", "placed", f, t, uid, cid, None, None, None, None, cents, f, 0,
                        at,
                    )  # fmt: skip
                    rows["orders"].append(order)
                    for role in ("billing", "shipping"):
                        street = f"Hauptstrasse {i % 200 + n}"
                        key = f"vorname {family.lower()}|{street.lower()}|10115|berlin|de"
                        address = (
                            new_id("adr"), oid, None, uid, role, f"Vorname {family}", None,
                            street, None, "10115", "Berlin", "DE", key, at,
                        )  # fmt: skip
                        rows["addresses"].append(address)
                        self.addresses += 1
                rows["consents"].append(
                    (new_id("cns"), uid, "newsletter", t, made, "checkout", "v1")
                )
                data = json.dumps({"channel": "web", "email": email})
                event = (new_id("evt"), made, "user", uid, "user_registered", uid, None, data)
                rows["events"].append(event)
                if i % 2 == 0:
                    rows["sessions"].append((new_id("ses"), uid, "password", 0, made, made))
            started = time.perf_counter()
            self.db.load("users", USER_COLUMNS, rows["users"])
            self.db.load("customers", CUSTOMER_COLUMNS, rows["customers"])
            self.db.load("memberships", MEMBERSHIP_COLUMNS, rows["memberships"])
            self.db.load("orders", ORDER_COLUMNS, rows["orders"])
            self.db.load("addresses", ADDRESS_COLUMNS, rows["addresses"])
            self.db.load("consents", CONSENT_COLUMNS, rows["consents"])
            self.db.load("events", EVENT_COLUMNS, rows["events"])
            self.db.load("sessions", SESSION_COLUMNS, rows["sessions"])
            self.seconds += time.perf_counter() - started
            self.users = hi
        self.db.settle()
        print(
            f"  filled {self.users:,} users, {self.orders:,} orders, "
            f"{self.addresses:,} address rows",
            file=sys.stderr,
            flush=True,
        )


# --- the raw baselines ----------------------------------------------------------------------


class RawSql:
    """The hand-written statements of the export and the erasure, in the driver's
    parameter style."""

    def __init__(self, db: Database) -> None:
        self.pg = db.pg

        def m(name: str) -> str:
            return f"%({name})s" if db.pg else f":{name}"

        lines = ", ".join(f"{{a}}.{c}" for c in LINE_COLUMNS)
        on = "{a}.order_id = o.id AND {a}.role = '{role}'"
        self.user = f"SELECT * FROM accountkit_users WHERE id = {m('u')}"
        self.lock = self.user + (" FOR UPDATE" if db.pg else "")
        self.memberships = f"SELECT * FROM accountkit_memberships WHERE user_id = {m('u')}"
        self.customers = (
            "SELECT c.* FROM accountkit_customers c JOIN accountkit_memberships m "
            f"ON m.customer_id = c.id WHERE m.user_id = {m('u')}"
        )
        self.orders = (
            f"SELECT o.*, {lines.format(a='b')}, {lines.format(a='s')} FROM accountkit_orders o "
            f"LEFT JOIN accountkit_addresses b ON {on.format(a='b', role='billing')} "
            f"LEFT JOIN accountkit_addresses s ON {on.format(a='s', role='shipping')} "
            f"WHERE o.user_id = {m('u')}"
        )
        self.addresses = (
            f"SELECT {', '.join(LINE_COLUMNS)}, created_at, order_id, id "
            f"FROM accountkit_addresses WHERE user_id = {m('u')}"
        )
        self.consents = f"SELECT * FROM accountkit_consents WHERE user_id = {m('u')}"
        self.events = f"SELECT * FROM accountkit_events WHERE user_id = {m('u')} ORDER BY seq"
        self.sessions = (
            "SELECT id, method, created_at, last_seen_at FROM accountkit_sessions "
            f"WHERE user_id = {m('u')}"
        )
        self.export = (
            self.user, self.memberships, self.customers, self.orders, self.addresses,
            self.consents, self.events, self.sessions,
        )  # fmt: skip
        true, false = ("true", "false") if db.pg else ("1", "0")
        self.delete_memberships = (
            f"DELETE FROM accountkit_memberships WHERE user_id = {m('u')} RETURNING customer_id"
        )
        self.blank_customer = (
            "UPDATE accountkit_customers SET name = 'erased', surname = NULL, "
            "document_contacts = '[]', note = '', vat_id = NULL, bill_to = NULL, "
            f"ship_to = NULL, version = version + 1, updated_at = {m('now')} "
            f"WHERE id = {m('c')} AND kind = 'personal' AND NOT EXISTS "
            "(SELECT 1 FROM accountkit_memberships WHERE customer_id = accountkit_customers.id)"
        )
        self.erase_orders = (
            "UPDATE accountkit_orders SET guest_email = CASE WHEN guest_email IS NULL THEN NULL "
            "ELSE 'erased' END, guest_name = CASE WHEN guest_name IS NULL THEN NULL ELSE "
            "'erased' END, guest_family_name = CASE WHEN guest_family_name IS NULL THEN NULL "
            f"ELSE 'erased' END, erased = {true}, version = version + 1, "
            f"updated_at = {m('now')} WHERE user_id = {m('u')} AND erased = {false}"
        )
        self.erase_addresses = (
            "UPDATE accountkit_addresses SET name = 'erased', company = NULL, "
            "street = 'erased', extra = NULL, postal_code = 'erased', city = 'erased', "
            "address_key = 'erased|erased|erased|erased' WHERE order_id IN "
            f"(SELECT id FROM accountkit_orders WHERE user_id = {m('u')})"
        )
        self.event_data = (
            "SELECT id, kind, data FROM accountkit_events WHERE user_id = {u} OR customer_id = {c}"
        ).format(u=m("u"), c=m("c"))
        self.set_event_data = f"UPDATE accountkit_events SET data = {m('d')} WHERE id = {m('e')}"
        self.end_signin = tuple(
            f"DELETE FROM accountkit_{table} WHERE user_id = {m('u')}"
            for table in ("sessions", "login_codes", "issued_tokens", "used_tokens")
        )
        self.clear_attempts = f"DELETE FROM accountkit_attempts WHERE key = {m('k')}"
        self.tombstone = (
            "UPDATE accountkit_users SET tier = 'blank', status = 'erased', email = NULL, "
            "email_key = NULL, given_name = NULL, family_name = NULL, birth_date = NULL, "
            "phone = NULL, password_hash = NULL, email_verified_at = NULL, "
            f"must_complete_profile = {false}, profile = '{{}}', version = version + 1, "
            f"updated_at = {m('now')} WHERE id = {m('u')}"
        )
        self.event = (
            "INSERT INTO accountkit_events (id, at, actor_kind, actor_id, kind, user_id, "
            f"customer_id, data) VALUES ({m('e')}, {m('now')}, 'operator', 'bench', "
            f"'user_erased', {m('u')}, NULL, {m('d')})"
        )


def _rows(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def raw_export(conn: Any, sql: RawSql, user_id: str) -> str:
    """The export's reads by hand, and the rows as JSON."""
    params = {"u": user_id}
    if sql.pg:
        conn.execute("BEGIN READ ONLY")
    else:
        conn.execute("BEGIN")
    parts = {f"part{i}": _rows(conn.execute(s, params)) for i, s in enumerate(sql.export)}
    conn.execute("COMMIT")
    return json.dumps(parts, default=str, ensure_ascii=False, separators=(",", ":"))


def raw_erase(conn: Any, sql: RawSql, user_id: str, now: Any) -> int:
    """The erasure's writes by hand, in one transaction; return the entries redacted."""
    u = {"u": user_id}
    conn.execute("BEGIN" if sql.pg else "BEGIN IMMEDIATE")
    user = conn.execute(sql.lock, u).fetchone()
    if user is None:
        raise RuntimeError("no such user")
    customers = [row[0] for row in conn.execute(sql.delete_memberships, u).fetchall()]
    blanked = []
    for customer_id in customers:
        if conn.execute(sql.blank_customer, {"c": customer_id, "now": now}).rowcount:
            blanked.append(customer_id)
    orders = conn.execute(sql.erase_orders, {**u, "now": now}).rowcount
    addresses = conn.execute(sql.erase_addresses, u).rowcount
    changes, seen = [], set()
    for customer_id in blanked or [None]:
        entries = conn.execute(sql.event_data, {**u, "c": customer_id}).fetchall()
        for event_id, kind, text in entries:
            if event_id in seen:
                continue
            seen.add(event_id)
            data = json.loads(text)
            keep = SAFE_EVENT_DATA[EventKind(kind)]
            kept = {k: v for k, v in data.items() if k in keep}
            if len(kept) != len(data):
                changes.append({"e": event_id, "d": json.dumps(kept, sort_keys=True)})
    if changes:
        cursor = conn.cursor()
        cursor.executemany(sql.set_event_data, changes)
    signin = sum(conn.execute(s, u).rowcount for s in sql.end_signin)
    conn.execute(sql.clear_attempts, {"k": f"a:{user_id}"})
    conn.execute(sql.tombstone, {**u, "now": now})
    counts = {"orders": orders, "addresses": addresses, "signin": signin}
    data = json.dumps({k: str(v) for k, v in counts.items()}, sort_keys=True)
    conn.execute(sql.event, {"e": new_id("evt"), "now": now, "u": user_id, "d": data})
    conn.execute("COMMIT")
    if not sql.pg:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    return len(changes)


# --- the benchmark --------------------------------------------------------------------------


class Bench:
    """The filled store, a kit on it, the measured people, and the raw baselines."""

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
        self.sql = RawSql(db)
        self.people = 0
        self.serial = 0
        self.setup_seconds = 0.0

    def person(self) -> str:
        """A customer as a shop makes one: registered (with a session), a personal
        customer, ``--orders`` orders with two addresses each, two consents."""
        kit, n = self.kit, self.people
        self.people += 1
        done = kit.registration.register(
            email=f"measured{n}@example.com",
            password=PASSWORD,
            birth_date=date(1980, 1, 1) + timedelta(days=n % 10_000),
            given_name="Erika",
            family_name=f"Muster{n}",
            phone="+4915112345678",
        )
        assert done.user is not None
        uid = done.user.id
        customer = kit.customers.create(
            STAFF, name=f"Erika Muster{n}", kind=CustomerKind.PERSONAL, surname=f"Muster{n}"
        )
        kit.customers.assign_user(STAFF, uid, customer.id)
        for k in range(self.args.orders):
            self.serial += 1
            address = Address(
                name=f"Erika Muster{n}",
                street=f"Musterweg {k + 1}",
                postal_code="10115",
                city="Berlin",
                country="DE",
            )
            kit.orders.record_order(
                order_id=f"prv_{self.serial:010d}",
                number=f"P-{self.serial:010d}",
                channel="web",
                placed_at=BASE + timedelta(hours=self.serial),
                total=Decimal("49.90"),
                currency="EUR",
                user_id=uid,
                customer_id=customer.id,
                billing=address,
                shipping=address,
            )
        for source in ("checkout", "account"):
            kit.privacy.grant_consent(
                Actor.user(uid), uid, ContactPurpose.NEWSLETTER, source=source,
                wording_version="v1",
            )  # fmt: skip
        return uid

    def make_round(self) -> tuple[list[str], list[str]]:
        """People for one round: one half for the kit's erasure, one for the raw one."""
        started = time.perf_counter()
        count = self.args.people
        people = [self.person() for _ in range(2 * count)]
        self.setup_seconds += time.perf_counter() - started
        return people[:count], people[count:]

    def run(self, size: int) -> list[Row]:
        """Fill the background, make the people, measure export and erasure."""
        self.filler.fill_to(size)
        rounds = [self.make_round() for _ in range(self.args.rounds + 1)]
        print(f"  made {self.people:,} people in {self.setup_seconds:.1f} s", file=sys.stderr)
        self.db.settle()
        lengths: list[int] = []
        with self.db.raw() as conn:

            def kit_export(batch: Sequence[str]) -> None:
                for uid in batch:
                    lengths.append(len(self.kit.privacy.export(STAFF, uid)))

            def raw_exports(batch: Sequence[str]) -> None:
                for uid in batch:
                    raw_export(conn, self.sql, uid)

            both = [[*a, *b] for a, b in rounds]
            export_kit, export_raw = per_op([kit_export, raw_exports], [[p, p] for p in both])
            sample = json.loads(self.kit.privacy.export(STAFF, rounds[1][0][0]))
            if len(sample["orders"]) != self.args.orders:
                raise RuntimeError(f"export holds {len(sample['orders'])} orders")
            reports = []

            def kit_erase(batch: Sequence[str]) -> None:
                for uid in batch:
                    reports.append(self.kit.privacy.erase(STAFF, uid))

            def raw_erases(batch: Sequence[str]) -> None:
                for uid in batch:
                    raw_erase(conn, self.sql, uid, self.db.stamp(datetime.now(UTC)))

            erase_kit, erase_raw = per_op([kit_erase, raw_erases], [[a, b] for a, b in rounds])
        report = reports[-1]
        if report.orders != self.args.orders or report.addresses != 2 * self.args.orders:
            raise RuntimeError(f"erasure report {report}")
        self.report = report
        self.export_bytes = sorted(lengths)[len(lengths) // 2]
        orders = self.args.orders
        return [
            Row(
                f"kit.privacy.export, {orders} orders (per export)",
                _ms(export_kit),
                _ms(export_raw),
                f"{export_kit / export_raw:.2f}x",
                f"< {TARGET_EXPORT * 1e3:g} ms",
                _yes(export_kit < TARGET_EXPORT),
            ),
            Row(
                f"kit.privacy.erase, {orders} orders (per erasure)",
                _ms(erase_kit),
                _ms(erase_raw),
                f"{erase_kit / erase_raw:.2f}x",
                f"< {TARGET_ERASE * 1e3:g} ms",
                _yes(erase_kit < TARGET_ERASE),
            ),
        ]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="fraction of 100,000 background users (and 200,000 orders) to fill (default 1)",
    )
    parser.add_argument(
        "--url", help="a PostgreSQL URL to run against instead of a SQLite file (fresh schema)"
    )
    parser.add_argument("--dir", type=Path, help="where the SQLite file goes (default: a temp dir)")
    parser.add_argument("--chunk", type=int, default=10_000, help="users per fill transaction")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (plus a warm-up)")
    parser.add_argument(
        "--people", type=int, default=20, help="people per contender per round (default 20)"
    )
    parser.add_argument("--orders", type=int, default=100, help="orders per person (default 100)")
    parser.add_argument("--seed", type=int, default=2026, help="seed for the generated data")
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.chunk < 1 or args.rounds < 1:
        parser.error("--scale, --chunk and --rounds must be positive")
    if args.people < 1 or args.orders < 1:
        parser.error("--people and --orders must be positive")
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
            print(f"accountkit privacy benchmark: {size:,} users on {db.where}")
            print(f"machine: {_machine()}")
            print(
                f"rounds: {args.rounds} (+1 warm-up); per round {2 * args.people} exports and "
                f"{args.people} erasures per contender, {args.orders} orders per person",
                flush=True,
            )
            bench = Bench(args, db)
            started = time.perf_counter()
            rows = bench.run(size)
            print()
            print_table(rows, db.label)
            print()
            filler, report = bench.filler, bench.report
            print(
                f"fill: {filler.users:,} users, {filler.orders:,} orders, "
                f"{filler.addresses:,} address rows in {filler.seconds:.1f} s; "
                f"{bench.people:,} people made through the kit in {bench.setup_seconds:.1f} s; "
                f"whole run {time.perf_counter() - started:.0f} s"
            )
            print(
                f"per person: export {bench.export_bytes:,} bytes of JSON; erasure changed "
                f"{report.orders} orders, {report.addresses} addresses, "
                f"{report.memberships} membership, {report.customers} customer, "
                f"{report.events} history entries, {report.signin} sign-in records"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
