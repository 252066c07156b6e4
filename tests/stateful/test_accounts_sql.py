"""The account state machine of test_accounts.py, on SqlStore: a SQLite file per example, so
that the database's own constraints and the raw read path are driven at random too."""

from __future__ import annotations

import itertools
import tempfile

from hypothesis import settings

from accountkit import ShopPolicy
from accountkit.storage import SqlStore, Store
from tests.stateful.test_accounts import build_machine

_FOLDER = tempfile.TemporaryDirectory(prefix="accountkit-stateful-")
_COUNTER = itertools.count()
_OPEN: list[SqlStore] = []


def sqlite_file_store() -> Store:
    """A SqlStore on a new SQLite file; the previous example's store is closed first."""
    while _OPEN:
        _OPEN.pop().close()
    store = SqlStore(f"sqlite:///{_FOLDER.name}/machine-{next(_COUNTER)}.db")
    _OPEN.append(store)
    return store


_SQL_SETTINGS = settings(max_examples=15, stateful_step_count=25, deadline=None)

SqlOneCustomerPerUser = build_machine(ShopPolicy.b2c_open(), sqlite_file_store)
SqlOneCustomerPerUser.TestCase.settings = _SQL_SETTINGS
TestSqlOneCustomerPerUser = SqlOneCustomerPerUser.TestCase

SqlManyCompanies = build_machine(ShopPolicy.b2b_approval(), sqlite_file_store)
SqlManyCompanies.TestCase.settings = _SQL_SETTINGS
TestSqlManyCompanies = SqlManyCompanies.TestCase
