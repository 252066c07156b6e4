"""Fixtures for SQL-only tests: a SQLite file URL and, when configured, a PostgreSQL schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL for a new SQLite file in a temporary folder."""
    return f"sqlite:///{tmp_path / 'shop.db'}"


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    """(url, schema): a fresh PostgreSQL schema name, dropped afterwards."""
    if POSTGRES_URL is None:
        pytest.skip("ACCOUNTKIT_TEST_POSTGRES is not set; PostgreSQL tests skipped")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield POSTGRES_URL, schema
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()
