"""The account state machine of test_accounts.py, on SqlStore: a SQLite file per example and,
when ACCOUNTKIT_TEST_POSTGRES is set, a PostgreSQL schema per example, so that the
database's own constraints and the raw read path are driven at random too."""

from __future__ import annotations

import itertools
import tempfile
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from hypothesis import settings

from accountkit import ShopPolicy
from accountkit.storage import SqlStore, Store
from tests.conftest import POSTGRES_URL
from tests.stateful.test_accounts import build_machine

_FOLDER = tempfile.TemporaryDirectory(prefix="accountkit-stateful-")
_COUNTER = itertools.count()
_OPEN: list[SqlStore] = []
_SCHEMAS: list[str] = []
"""PostgreSQL schemas made for examples and not dropped yet."""


def _drop_schemas() -> None:
    """Close the open stores, then drop every schema the PostgreSQL examples made."""
    while _OPEN:
        _OPEN.pop().close()
    if not _SCHEMAS or POSTGRES_URL is None:
        return
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            while _SCHEMAS:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{_SCHEMAS.pop()}" CASCADE')
    finally:
        engine.dispose()


@pytest.fixture(autouse=True, scope="module")
def _drop_the_last_schemas() -> Iterator[None]:
    """Drop the schemas of the module's last PostgreSQL examples when the module ends."""
    yield
    _drop_schemas()


def sqlite_file_store() -> Store:
    """A SqlStore on a new SQLite file; the previous example's store is closed first."""
    while _OPEN:
        _OPEN.pop().close()
    store = SqlStore(f"sqlite:///{_FOLDER.name}/machine-{next(_COUNTER)}.db")
    _OPEN.append(store)
    return store


def postgres_store() -> Store:
    """A SqlStore in a new PostgreSQL schema; the previous example's schema is dropped."""
    assert POSTGRES_URL is not None
    _drop_schemas()
    schema = f"machine_{uuid.uuid4().hex[:12]}"
    _SCHEMAS.append(schema)
    store = SqlStore(POSTGRES_URL, schema=schema)
    _OPEN.append(store)
    return store


_SQL_SETTINGS = settings(max_examples=15, stateful_step_count=25, deadline=None)
# Each example migrates a new schema over the network: fewer, for CI.
_POSTGRES_SETTINGS = settings(max_examples=5, stateful_step_count=20, deadline=None)
_NEEDS_POSTGRES = pytest.mark.skipif(
    POSTGRES_URL is None, reason="ACCOUNTKIT_TEST_POSTGRES is not set; PostgreSQL machine skipped"
)

SqlOneCustomerPerUser = build_machine(ShopPolicy.b2c_open(), sqlite_file_store)
SqlOneCustomerPerUser.TestCase.settings = _SQL_SETTINGS
TestSqlOneCustomerPerUser = SqlOneCustomerPerUser.TestCase

SqlManyCompanies = build_machine(ShopPolicy.b2b_approval(), sqlite_file_store)
SqlManyCompanies.TestCase.settings = _SQL_SETTINGS
TestSqlManyCompanies = SqlManyCompanies.TestCase

PgOneCustomerPerUser = build_machine(ShopPolicy.b2c_open(), postgres_store)
PgOneCustomerPerUser.TestCase.settings = _POSTGRES_SETTINGS
TestPgOneCustomerPerUser = pytest.mark.postgres(_NEEDS_POSTGRES(PgOneCustomerPerUser.TestCase))

PgManyCompanies = build_machine(ShopPolicy.b2b_approval(), postgres_store)
PgManyCompanies.TestCase.settings = _POSTGRES_SETTINGS
TestPgManyCompanies = pytest.mark.postgres(_NEEDS_POSTGRES(PgManyCompanies.TestCase))
