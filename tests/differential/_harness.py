"""What the differential tests share: the stores, a clock that can answer in any zone, and
how the outcome of one call is captured, normalised and compared across stores.

Every store gets its own :class:`~accountkit.AccountKit`, all on one :class:`ShiftingClock`
and one cheap hasher. :meth:`Kits.each` runs one call on every kit, each time with the id
counter reset to the same value (``accountkit.domain._ids.sequence``), so every store makes
the same ids for the same call and results can be compared as they are.
"""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, cast

import attrs

from accountkit import AccountKit, FrozenClock, SalesChannel
from accountkit.domain import _ids
from accountkit.errors import AccountKitError
from accountkit.serialization import make_converter
from accountkit.storage import MemoryStore, Store
from accountkit.testing import CheapPasswordHasher
from tests.conftest import POSTGRES_URL, SECRET

STORE_KINDS: tuple[str, ...] = ("memory", "sqlite_file", "sqlite_memory") + (
    ("postgres",) if POSTGRES_URL else ()
)
"""The stores every call runs on; PostgreSQL joins when ACCOUNTKIT_TEST_POSTGRES is set."""

START = datetime(2026, 1, 1, 12, tzinfo=UTC)
IDS_PER_CALL = 1 << 20
"""How far the id counter moves between two calls: more ids than any one call makes."""

Outcome = tuple[str, ...]
"""``("ok", normalised result)`` or ``("error", code, error class name)``."""

_CONVERTER = make_converter()


class ShiftingClock:
    """The shared :class:`~accountkit.FrozenClock`, answered in a zone the test picks.

    ``zone`` is UTC by default; another ``tzinfo`` gives the same moment with that offset,
    and ``None`` gives a naive time (UTC wall time without a zone), which no store may keep.
    """

    def __init__(self, base: FrozenClock) -> None:
        self.base = base
        self.zone: tzinfo | None = UTC

    def now(self) -> datetime:
        """Return the frozen moment in ``zone`` (naive when ``zone`` is None)."""
        moment = self.base.now()
        if self.zone is None:
            return moment.replace(tzinfo=None)
        return moment.astimezone(self.zone)

    def advance(self, seconds: int) -> None:
        """Move the shared clock on by ``seconds`` (0 keeps the time, so ties happen)."""
        self.base.advance(timedelta(seconds=seconds))


def _drop_schema(schema: str) -> None:
    import sqlalchemy as sa

    assert POSTGRES_URL is not None
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        engine.dispose()


def open_store(kind: str, folder: Path) -> tuple[Store, Callable[[], None]]:
    """Open a fresh store of ``kind`` and return it with the function that disposes of it.

    A PostgreSQL store lives in a schema of its own with a random name, dropped on cleanup.
    With ACCOUNTKIT_TEST_POSTGRES set and the server down this raises; it never skips.
    """
    if kind == "memory":
        memory = MemoryStore()
        return memory, memory.close
    from accountkit.storage import SqlStore

    if kind == "sqlite_file":
        sqlite = SqlStore(f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}")
        return sqlite, sqlite.close
    if kind == "sqlite_memory":
        in_memory = SqlStore("sqlite://")
        return in_memory, in_memory.close
    if kind == "postgres":
        assert POSTGRES_URL is not None
        schema = f"t_diff_{uuid.uuid4().hex[:12]}"
        try:
            postgres = SqlStore(POSTGRES_URL, schema=schema)
        except BaseException:
            _drop_schema(schema)
            raise

        def cleanup() -> None:
            try:
                postgres.close()
            finally:
                _drop_schema(schema)

        return postgres, cleanup
    if kind == "postgres_icu":
        return _icu_store()
    raise AssertionError(f"unknown store kind {kind!r}")


def _icu_store() -> tuple[Store, Callable[[], None]]:
    """A SqlStore in a database of its own whose default collation is ICU English, as many
    servers have: SQL's ORDER BY there is not code-point order. Dropped on cleanup."""
    import sqlalchemy as sa

    from accountkit.storage import SqlStore

    assert POSTGRES_URL is not None
    name = f"t_diff_icu_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")

    def drop() -> None:
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.dispose()

    with admin.connect() as conn:
        conn.exec_driver_sql(
            f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu '
            "ICU_LOCALE 'en' LOCALE 'C.UTF-8'"
        )
    try:
        store = SqlStore(sa.make_url(POSTGRES_URL).set(database=name).render_as_string(False))
    except BaseException:
        drop()
        raise

    def cleanup() -> None:
        try:
            store.close()
        finally:
            drop()

    return store, cleanup


def _check_times(value: object, where: str) -> None:
    """Every time a store hands back must be aware and in UTC, whatever the clock said."""
    if isinstance(value, datetime):
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0), (
            f"{where}: a time came back as {value.isoformat()}; every store must return "
            "aware UTC times"
        )
    elif attrs.has(type(value)):
        for field in attrs.fields(cast(Any, type(value))):
            _check_times(getattr(value, field.name), where)
    elif isinstance(value, Mapping):
        for item in value.values():
            _check_times(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_times(item, where)


_RANDOM_FIELDS = frozenset({"password_hash", "session_token", "token_id"})
"""Salted hashes, session tokens and token ids are random per store: only whether one is
there is compared."""


def _without_hashes(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (v is not None if k in _RANDOM_FIELDS else _without_hashes(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_without_hashes(v) for v in value]
    return value


def normalise(value: object, where: str = "result") -> str:
    """Return ``value`` as JSON text through accountkit's converter.

    Key order is kept (a profile must come back in the order it was given, on every store);
    password hashes become whether there is one. Times that are not aware UTC fail.
    """
    _check_times(value, where)
    plain = _without_hashes(_CONVERTER.unstructure(value))
    return json.dumps(plain, ensure_ascii=True)


def capture(where: str, call: Callable[[], object]) -> tuple[Outcome, object]:
    """Run ``call`` and return its outcome and its raw result (None after an error).

    Raises:
        AssertionError: The call raised something that is not an AccountKitError.
    """
    try:
        result = call()
    except AccountKitError as exc:
        return ("error", exc.code, type(exc).__name__), None
    except Exception as exc:
        raise AssertionError(
            f"{where}: raised {type(exc).__name__}, not an AccountKitError: {exc!r}"[:600]
        ) from exc
    return ("ok", normalise(result, where)), result


def _short(outcome: Outcome, reference: Outcome) -> str:
    """The outcome, or for a long one the part where it first differs from the reference."""
    text, base = repr(outcome), repr(reference)
    if len(text) <= 400:
        return text
    at = next((i for i, (a, b) in enumerate(zip(text, base, strict=False)) if a != b), None)
    if at is None or text == base:
        return f"{text[:300]}... ({len(text)} characters)"
    return f"...{text[max(0, at - 200) : at + 150]}... (differs at character {at})"


class Kits:
    """One AccountKit per store kind, all on the same clock, channels and hasher.

    Args:
        channels: The sales channels every kit gets.
        clock: The shared clock.
        kinds: Which stores; defaults to :data:`STORE_KINDS`.
    """

    def __init__(
        self,
        channels: Sequence[SalesChannel],
        clock: ShiftingClock,
        kinds: Iterable[str] = STORE_KINDS,
    ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="accountkit-diff-"))
        self.kits: dict[str, AccountKit] = {}
        self._cleanups: list[Callable[[], None]] = []
        self._next_id = 0
        hasher = CheapPasswordHasher()
        try:
            for kind in kinds:
                store, cleanup = open_store(kind, self.folder)
                self._cleanups.append(cleanup)
                self.kits[kind] = AccountKit(
                    store=store,
                    secret_keys=[SECRET],
                    channels=channels,
                    clock=clock,
                    password_hasher=hasher,
                )
        except BaseException:
            self.close()
            raise

    def each(self, label: str, call: Callable[[AccountKit], object]) -> tuple[Outcome, object]:
        """Run ``call`` on every kit with the same ids; require the same outcome everywhere.

        Returns:
            The common outcome and the first store's raw result.

        Raises:
            AssertionError: The stores disagree, or one raised a non-accountkit error.
        """
        start = self._next_id
        self._next_id += IDS_PER_CALL
        outcomes: dict[str, Outcome] = {}
        first: object = None
        for kind, kit in self.kits.items():
            with _ids.sequence(start):
                outcome, result = capture(f"{label} on {kind}", functools.partial(call, kit))
            if not outcomes:
                first = result
            outcomes[kind] = outcome
        reference = next(iter(outcomes.values()))
        if any(outcome != reference for outcome in outcomes.values()):
            others = [o for o in outcomes.values() if o != reference]
            lines = "\n".join(
                f"  {kind}: {_short(o, others[0] if o == reference else reference)}"
                for kind, o in outcomes.items()
            )
            raise AssertionError(f"the stores disagree on {label}:\n{lines}")
        return reference, first

    def close(self) -> None:
        """Close every store, drop the PostgreSQL schema and remove the SQLite files."""
        failure: BaseException | None = None
        for cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except BaseException as exc:  # close the others, then report the first
                failure = failure or exc
        self._cleanups.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
        if failure is not None:
            raise failure
