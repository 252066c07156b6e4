"""The ``database`` fixture of the concurrency tests: a SQLite file or a PostgreSQL schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from accountkit.storage import SqlStore
from tests.concurrency._workers import Database, Target, drop_schema
from tests.conftest import POSTGRES_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database: a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        target = Target(f"sqlite:///{tmp_path / 'race.db'}", None)
        store = SqlStore(target.url)
        yield Database(target, store)
        store.close()
        return
    if POSTGRES_URL is None:
        pytest.skip("ACCOUNTKIT_TEST_POSTGRES is not set; PostgreSQL concurrency tests skipped")
    schema = f"race_{uuid.uuid4().hex[:12]}"
    target = Target(POSTGRES_URL, schema)
    # An unreachable server raises here (DatabaseUnavailable): the test fails, not skips.
    store = SqlStore(target.url, schema=target.schema)
    try:
        yield Database(target, store)
    finally:
        store.close()
        drop_schema(POSTGRES_URL, schema)
