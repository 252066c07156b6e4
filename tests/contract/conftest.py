"""The contract suite's one fixture: ``store``, once per kind of store.

A new store joins the suite by adding one branch here. ``kit`` builds an AccountKit on the
same store, for contract tests that go through the services.

- memory: MemoryStore.
- sqlite: a SqlStore on a file in a temporary folder.
- postgres: a SqlStore on ACCOUNTKIT_TEST_POSTGRES, each test in its own schema, dropped
  afterwards. Without the variable these are skipped with a reason; with it, a server that
  cannot be reached fails the run (CI must not pass with them silently skipped).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from accountkit import AccountKit, ShopPolicy
from accountkit.storage import MemoryStore, Store
from tests.conftest import POSTGRES_URL, KitFactory
from tests.contract.factories import PERSONAL_VALUES

STORES = ["memory", "sqlite", "postgres"]


def _sql_store(kind: str, tmp_path: Path) -> Iterator[Store]:
    from accountkit.storage import SqlStore

    if kind == "sqlite":
        store = SqlStore(f"sqlite:///{tmp_path / 'contract.db'}")
        yield store
        store.close()
        return
    if POSTGRES_URL is None:
        pytest.skip("ACCOUNTKIT_TEST_POSTGRES is not set; PostgreSQL contract tests skipped")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    store = SqlStore(POSTGRES_URL, schema=schema)
    try:
        yield store
    finally:
        store.close()
        import sqlalchemy as sa

        engine = sa.create_engine(POSTGRES_URL)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Every kind of store, one after the other."""
    kind: str = request.param
    if kind == "memory":
        yield MemoryStore()
        return
    yield from _sql_store(kind, tmp_path)


@pytest.fixture
def kit(make_kit: KitFactory, store: Store) -> AccountKit:
    """An AccountKit with one open B2C channel on the store under test."""
    return make_kit(ShopPolicy.b2c_open(), store=store)


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


def personal_data_in(text: str) -> list[str]:
    """The personal values (and any e-mail address) that ``text`` holds."""
    found = [value for value in PERSONAL_VALUES if value in text]
    return found + _EMAIL.findall(text)


@pytest.fixture(autouse=True)
def _no_personal_data_in_logs() -> Iterator[None]:
    """Every contract test runs with every logger at DEBUG, SQLAlchemy's statement log
    included; afterwards no record (message or traceback) may hold personal data."""
    collector = _Collector()
    root = logging.getLogger()
    engine_log = logging.getLogger("sqlalchemy.engine")
    old_levels = root.level, engine_log.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    engine_log.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(collector)
        root.setLevel(old_levels[0])
        engine_log.setLevel(old_levels[1])
    leaked = [text for text in collector.texts if personal_data_in(text)]
    assert leaked == [], "personal data in the log: " + repr(leaked[:3])
