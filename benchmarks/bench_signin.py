"""Sign-in benchmark: ``kit.auth`` next to the bare libraries and queries it is built on.

Usage (from the repository root, with the project's virtual environment)::

    python benchmarks/bench_signin.py                      # SQLite file, 1,000,000 users
    python benchmarks/bench_signin.py --scale 0.01         # SQLite file, 10,000 users
    python benchmarks/bench_signin.py --scale 0.01 --profile  # and where authenticate's time goes
    python benchmarks/bench_signin.py --scale 0.1 \\
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test

Every figure is measured next to its baseline in the same run, on one SqlStore SQLite file
(or, with ``--url``, PostgreSQL tables in a fresh schema, dropped at the end), with the
kit's default ``Argon2Hasher()`` (``CheapPasswordHasher`` is used nowhere here):

1. Login token: ``TokenCodec.issue(user, "login")`` then ``TokenCodec.inspect(token,
   "login", user_lookup=user)`` against bare itsdangerous, ``URLSafeTimedSerializer(key,
   salt=...)`` with its defaults: ``.dumps(payload)`` and ``.loads(token, max_age=900)`` of a
   payload of the same shape (a list of four short strings). Median per pair over
   ``--rounds`` rounds of ``--tokens`` pairs.
2. Password sign-in: ``kit.auth.login_with_password(email, password)`` against one bare
   ``argon2.PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).verify(hash,
   password)`` of a hash at the same parameters. Median of ``--rounds`` x ``--logins``
   single calls, the two taking turns call by call.
3. ``kit.auth.authenticate(session_token)``, at 10,000 users and again at the full size,
   against two reads of the session's users row by primary key: the ``sqlite3`` module
   (``SELECT * FROM accountkit_users WHERE id = ?`` on one connection to the same file, with
   the pragmas accountkit gives its own connections, read from them; with ``--url``, plain
   psycopg on one autocommit connection) and SQLAlchemy Core
   (``conn.execute(select(users).where(users.c.id == user_id)).first()``, one ``with
   engine.connect()`` per read, on a plain engine with the table reflected). The users are
   filled with ``tx.users.add_many`` in chunks of ``--chunk`` per transaction (one
   precomputed hash for every user); at each size ``--sessions`` random users of the filled
   set sign in through ``kit.auth.login_with_token``. Median per call over ``--rounds``
   rounds of ``--lookups`` random sessions, after a warm-up round.
4. QR code: ``kit.auth.login_qr(user_id, format="png")`` and ``format="svg"`` against
   segno's own ``segno.make(url, error="m").save(buffer, kind=..., scale=4)`` of a login link
   of the same length. Median per code over ``--rounds`` rounds of ``--codes`` codes.

Method: ``time.perf_counter``; round 0 is a warm-up and not counted; within a round the
contenders take turns in an order that flips every round. The table gives each figure, its
baseline, their ratio (accountkit's time divided by the baseline's), the target and whether
it is met. Nothing here asserts on time; see docs/performance.md for results and analysis.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

import argon2
import segno
import sqlalchemy as sa
from bench_storage import SECRET, _machine, address, make_users, per_op
from itsdangerous import URLSafeTimedSerializer

from accountkit import AccountKit, SalesChannel, ShopPolicy, User, UserTier
from accountkit.domain._ids import new_id
from accountkit.security import Argon2Hasher
from accountkit.security.tokens import TokenCodec, new_token_id
from accountkit.storage import SqlStore

FULL_SIZE = 1_000_000
SMALL_SIZE = 10_000
PASSWORD = "correct horse battery staple"
SIGNIN_EMAIL = "signin.bench@example.com"
BASE_URL = "https://shop.example/login"
USERS_TABLE = "accountkit_users"
LIBRARIES = ("argon2-cffi", "argon2-cffi-bindings", "itsdangerous", "segno")

TARGET_TOKEN = 3.0  # accountkit time / itsdangerous time
TARGET_PASSWORD = 1.05  # accountkit time / one argon2 verify
TARGET_AUTHENTICATE = 3.0  # accountkit time / sqlite3 primary-key SELECT
TARGET_GROWTH = 1.5  # authenticate time at full size / at 10,000 (as bench_storage.py)
TARGET_QR = 1.1  # accountkit time / segno make + save

Run = Callable[[Sequence[str]], None]


class Row(NamedTuple):
    """One line of the result table."""

    name: str
    accountkit: str
    baseline: str
    baseline_time: str
    ratio: str
    target: str
    met: str


HEADER = Row("measure", "accountkit", "baseline", "baseline time", "ratio", "target", "met")


def print_table(rows: Sequence[Row]) -> None:
    """Print the rows as a Markdown table (readable as it is, and pasteable)."""
    table = [HEADER, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(line(HEADER))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} us"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.4f} ms"


def _ratio_row(
    name: str,
    seconds: float,
    baseline: str,
    baseline_s: float,
    target: float | None,
    unit: Callable[[float], str],
) -> Row:
    """A row comparing ``seconds`` with ``baseline_s``; ``target`` None: for information."""
    ratio = seconds / baseline_s
    return Row(
        name,
        unit(seconds),
        baseline,
        unit(baseline_s),
        f"{ratio:.2f}x",
        "-" if target is None else f"<= {target:g}x",
        "-" if target is None else ("yes" if ratio <= target else "no"),
    )


def _items(count: int) -> list[str]:
    """A batch of ``count`` items for contenders that need no input per call."""
    return [""] * count


# --- the benchmark --------------------------------------------------------------------------


class Database(NamedTuple):
    """Where the benchmark runs: the store, and how the baselines reach the same tables."""

    store: SqlStore
    where: str
    raw_label: str
    raw_reader: Callable[[], AbstractContextManager[Callable[[str], object]]]
    core_url: str
    schema: str | None
    settle: Callable[[], None]


class Bench:
    """One SqlStore with a kit on it, and the baselines on the same database."""

    def __init__(self, args: argparse.Namespace, db: Database) -> None:
        self.args = args
        self.db = db
        self.store = db.store
        self.kit = AccountKit(
            store=db.store,
            secret_keys=[SECRET],
            channels=[SalesChannel("web", ShopPolicy.b2c_open(), base_url=BASE_URL)],
        )
        self.tokens = TokenCodec([SECRET])
        self.rng = random.Random(args.seed)
        self.filled = 0
        self.fill_seconds = 0.0
        self.growth: list[list[float]] = []  # per size: [authenticate, raw, SQLAlchemy]

    # filling

    def fill_to(self, size: int) -> None:
        """Import users with ``tx.users.add_many`` until the store holds ``size``."""
        started = time.perf_counter()
        for lo in range(self.filled, size, self.args.chunk):
            hi = min(lo + self.args.chunk, size)
            users = make_users(range(lo, hi), address)
            with self.store.transaction() as tx:
                tx.users.add_many(users)
            self.filled = hi
        self.db.settle()
        self.fill_seconds += time.perf_counter() - started
        print(f"  filled {self.filled:,} users", file=sys.stderr, flush=True)

    # 1. login tokens

    def token_row(self) -> Row:
        """Login-token issue+check against bare itsdangerous dumps+loads."""
        codec = self.tokens
        user = make_users([0], address)[0]
        bare = URLSafeTimedSerializer(SECRET, salt="accountkit.token.login")
        # The shape of accountkit's payload: token id, user id, purpose code, fingerprint.
        payload = [new_token_id(), user.id, "l", "AbCdEfGhIjKlMnOp"]

        def kit_tokens(batch: Sequence[str]) -> None:
            for _ in batch:
                codec.inspect(codec.issue(user, "login"), "login", user_lookup=user)

        def bare_tokens(batch: Sequence[str]) -> None:
            for _ in batch:
                bare.loads(bare.dumps(payload), max_age=900)

        count = self.args.tokens
        batches = [[_items(count)] * 2 for _ in range(self.args.rounds + 1)]
        kit_s, bare_s = per_op([kit_tokens, bare_tokens], batches)
        return _ratio_row(
            "login token issue+inspect (per pair)",
            kit_s,
            "itsdangerous dumps+loads",
            bare_s,
            TARGET_TOKEN,
            _us,
        )

    # 2. password sign-in

    def password_row(self) -> Row:
        """kit.auth.login_with_password against one bare argon2 verify."""
        hasher = Argon2Hasher()
        password_hash = hasher.hash(PASSWORD)
        now = datetime.now(UTC)
        with self.store.transaction() as tx:
            tx.users.add(
                User(
                    id=new_id("usr"),
                    tier=UserTier.FULL,
                    email=SIGNIN_EMAIL,
                    given_name="Sign",
                    family_name="In",
                    password_hash=password_hash,
                    created_at=now,
                    updated_at=now,
                )
            )
        bare = argon2.PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)
        if not bare.verify(password_hash, PASSWORD):
            raise RuntimeError("argon2 does not verify accountkit's hash")
        login = self.kit.auth.login_with_password

        def kit_login(batch: Sequence[str]) -> None:
            for _ in batch:
                login(SIGNIN_EMAIL, PASSWORD)

        def bare_verify(batch: Sequence[str]) -> None:
            for _ in batch:
                bare.verify(password_hash, PASSWORD)

        # One sign-in per turn: a slow outlier (the host's neighbours) then spoils one
        # sample of the median, not a whole round's mean.
        turns = self.args.rounds * self.args.logins
        batches = [[_items(1)] * 2 for _ in range(turns + 1)]
        kit_s, bare_s = per_op([kit_login, bare_verify], batches)
        return _ratio_row(
            "kit.auth.login_with_password (per sign-in)",
            kit_s,
            "argon2 PasswordHasher.verify",
            bare_s,
            TARGET_PASSWORD,
            _ms,
        )

    # 3. authenticate

    def _sessions(self) -> list[tuple[str, str]]:
        """Sign in ``--sessions`` random users of the filled set through a login token;
        return their (session token, user id)."""
        sessions = []
        count = min(self.args.sessions, self.filled)
        for i in self.rng.sample(range(self.filled), count):
            user = self.kit.users.find_by_email(address(i))
            if user is None:
                raise RuntimeError(f"filled user {i} was not found; the fill went wrong")
            signed = self.kit.auth.login_with_token(self.tokens.issue(user, "login"))
            sessions.append((signed.session_token, user.id))
        return sessions

    def authenticate_rows(self) -> list[Row]:
        """authenticate at the current size against the driver's and SQLAlchemy Core's
        primary-key reads of the users row."""
        sessions = self._sessions()
        authenticate = self.kit.auth.authenticate
        token, user_id = sessions[0]
        if authenticate(token).id != user_id:
            raise RuntimeError("authenticate returned another user")
        engine = sa.create_engine(self.db.core_url)
        users = sa.Table(USERS_TABLE, sa.MetaData(), schema=self.db.schema, autoload_with=engine)
        with self.db.raw_reader() as read:
            if read(user_id) is None:
                raise RuntimeError("the raw read found no user")

            def kit_auth(batch: Sequence[str]) -> None:
                for session_token in batch:
                    authenticate(session_token)

            def raw_read(batch: Sequence[str]) -> None:
                for uid in batch:
                    read(uid)

            def core_read(batch: Sequence[str]) -> None:
                for uid in batch:
                    with engine.connect() as conn:
                        conn.execute(sa.select(users).where(users.c.id == uid)).first()

            batches = []
            for _ in range(self.args.rounds + 1):
                picked = [self.rng.choice(sessions) for _ in range(self.args.lookups)]
                ids = [uid for _, uid in picked]
                batches.append([[t for t, _ in picked], ids, ids])
            figures = per_op([kit_auth, raw_read, core_read], batches)
            if self.args.profile:
                self._profile(kit_auth, batches[-1][0])
        engine.dispose()
        self.growth.append(figures)
        kit_s, raw_s, core_s = figures
        name = f"kit.auth.authenticate @{self.filled:,} (per call)"
        raw = f"{self.db.raw_label} SELECT by id"
        return [
            _ratio_row(name, kit_s, raw, raw_s, TARGET_AUTHENTICATE, _ms),
            _ratio_row(name, kit_s, "SQLAlchemy Core select", core_s, None, _ms),
        ]

    def _profile(self, run: Run, batch: Sequence[str]) -> None:
        """Print cProfile's view of one batch of ``run`` to stderr."""
        profiler = cProfile.Profile()
        profiler.runcall(run, batch)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(25)
        print(f"cProfile of {len(batch):,} authenticate calls @{self.filled:,}:", file=sys.stderr)
        print(out.getvalue(), file=sys.stderr, flush=True)

    def growth_row(self, small: int) -> Row:
        """The authenticate time at the full size divided by the time at 10,000 users."""
        (kit_small, sqlite_small, _), (kit_full, sqlite_full, _) = self.growth
        kit, raw = kit_full / kit_small, sqlite_full / sqlite_small
        return Row(
            f"authenticate @{self.filled:,} / @{small:,} (time)",
            f"{kit:.2f}x",
            f"{self.db.raw_label} SELECT by id",
            f"{raw:.2f}x",
            "-",
            f"<= {TARGET_GROWTH:g}x",
            "yes" if kit <= TARGET_GROWTH else "no",
        )

    # 4. QR codes

    def qr_rows(self) -> list[Row]:
        """kit.auth.login_qr in PNG and SVG against segno's make + save of the same URL."""
        user = self.kit.users.find_by_email(address(0))
        if user is None:
            raise RuntimeError("filled user 0 was not found; the fill went wrong")
        user_id = user.id
        url = self.kit.auth.login_link(user_id)
        login_qr = self.kit.auth.login_qr
        rows = []
        for kind in ("png", "svg"):

            def kit_qr(batch: Sequence[str], kind: Any = kind) -> None:
                for _ in batch:
                    login_qr(user_id, format=kind)

            def segno_qr(batch: Sequence[str], kind: str = kind) -> None:
                for _ in batch:
                    buffer = io.BytesIO()
                    segno.make(url, error="m").save(buffer, kind=kind, scale=4)

            count = self.args.codes
            batches = [[_items(count)] * 2 for _ in range(self.args.rounds + 1)]
            kit_s, segno_s = per_op([kit_qr, segno_qr], batches)
            rows.append(
                _ratio_row(
                    f'kit.auth.login_qr format="{kind}" (per code)',
                    kit_s,
                    f"segno make+save {kind}",
                    segno_s,
                    TARGET_QR,
                    _ms,
                )
            )
        return rows

    def run(self, size: int) -> list[Row]:
        """Fill to 10,000, measure everything, fill to ``size``, measure authenticate again."""
        small = min(SMALL_SIZE, size)
        self.fill_to(small)
        rows = [self.token_row(), self.password_row()]
        rows += self.authenticate_rows()
        self.fill_to(size)
        rows += self.authenticate_rows()
        rows.append(self.growth_row(small))
        rows += self.qr_rows()
        return rows


@contextmanager
def sqlite_database(directory: Path) -> Iterator[Database]:
    """A fresh SqlStore SQLite file; the sqlite3 baseline reads it with the pragmas
    accountkit gives its own connections (read from one of them)."""
    path = directory / "signin.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = SqlStore(f"sqlite:///{path}")
    try:
        with store.engine.connect() as conn:
            pragmas = [
                f"{name} = {conn.exec_driver_sql(f'PRAGMA {name}').scalar()}"
                for name in (
                    "journal_mode", "synchronous", "busy_timeout", "cache_size", "mmap_size",
                )
            ]  # fmt: skip

        @contextmanager
        def raw_reader() -> Iterator[Callable[[str], object]]:
            select = f"SELECT * FROM {USERS_TABLE} WHERE id = ?"
            with closing(sqlite3.connect(path, isolation_level=None)) as raw:
                for pragma in pragmas:
                    raw.execute(f"PRAGMA {pragma}")
                execute = raw.execute

                def read(user_id: str) -> object:
                    return execute(select, (user_id,)).fetchone()

                yield read

        def settle() -> None:
            with store.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

        yield Database(
            store=store,
            where=f"SQLite file {path} (sqlite3 baseline with {', '.join(pragmas)})",
            raw_label="sqlite3",
            raw_reader=raw_reader,
            core_url=f"sqlite:///{path}",
            schema=None,
            settle=settle,
        )
    finally:
        store.close()


@contextmanager
def postgres_database(url: str) -> Iterator[Database]:
    """accountkit's tables in a fresh schema, dropped at the end; the psycopg baseline reads
    them on one autocommit connection."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    parsed = sa.make_url(url)
    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    store = SqlStore(url, schema=schema)
    tables = [f'"{schema}".accountkit_{name}' for name in ("users", "sessions")]

    @contextmanager
    def raw_reader() -> Iterator[Callable[[str], object]]:
        select = f'SELECT * FROM "{schema}".{USERS_TABLE} WHERE id = %s'
        with psycopg.connect(conninfo, autocommit=True) as raw:

            def read(user_id: str) -> object:
                return raw.execute(select, (user_id,)).fetchone()

            yield read

    def settle() -> None:
        # What autovacuum would soon do after a bulk import.
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for table in tables:
                conn.execute(f"VACUUM ANALYZE {table}")

    try:
        yield Database(
            store=store,
            where=f"PostgreSQL {parsed.render_as_string(hide_password=True)}, schema {schema}",
            raw_label="psycopg",
            raw_reader=raw_reader,
            core_url=url,
            schema=schema,
            settle=settle,
        )
    finally:
        store.close()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


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
    parser.add_argument("--dir", type=Path, help="where the SQLite file goes (default: a temp dir)")
    parser.add_argument("--chunk", type=int, default=10_000, help="users per import transaction")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (plus a warm-up)")
    parser.add_argument("--tokens", type=int, default=2_000, help="token pairs per round")
    parser.add_argument("--logins", type=int, default=4, help="password sign-ins per round")
    parser.add_argument("--sessions", type=int, default=2_000, help="sessions made per size")
    parser.add_argument("--lookups", type=int, default=2_000, help="authenticate calls per round")
    parser.add_argument("--codes", type=int, default=20, help="QR codes per round and format")
    parser.add_argument("--seed", type=int, default=2026, help="seed for the random choices")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print cProfile's view of authenticate at each size to stderr",
    )
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.chunk < 1 or args.rounds < 1:
        parser.error("--scale, --chunk and --rounds must be positive")
    counts = (args.tokens, args.logins, args.sessions, args.lookups, args.codes)
    if min(counts) < 1:
        parser.error("--tokens, --logins, --sessions, --lookups and --codes must be positive")
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
            print(f"accountkit sign-in benchmark: {size:,} users on {db.where}")
            libraries = ", ".join(f"{name} {version(name)}" for name in LIBRARIES)
            print(f"machine: {_machine()}; {libraries}")
            print(
                f"rounds: {args.rounds} (+1 warm-up); per round {args.tokens:,} token pairs, "
                f"{args.logins} password sign-ins, {args.lookups:,} authenticate calls "
                f"(over {args.sessions:,} sessions per size), {args.codes} QR codes per format",
                flush=True,
            )
            bench = Bench(args, db)
            started = time.perf_counter()
            rows = bench.run(size)
            print()
            print_table(rows)
            print()
            print(
                f"fill: {size:,} users in {bench.fill_seconds:.1f} s; "
                f"whole run {time.perf_counter() - started:.0f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
