"""Migrations that cannot run say why, each with its own StorageError subclass: an unknown
target, a damaged version table, a shop table with one of accountkit's names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from accountkit.errors import DamagedSchema, TableConflict, UnknownRevision
from accountkit.storage import SqlStore, migrate


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(url, schema): a new SQLite file, or a fresh PostgreSQL schema (made here, dropped
    afterwards, so that the tests can put tables in it before accountkit does)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}", None
        return
    url, schema = request.getfixturevalue("pg_schema")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    yield url, schema


def _run(url: str, schema: str | None, sql: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            if schema is not None:
                conn.exec_driver_sql(f'SET search_path TO "{schema}"')
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


@pytest.mark.parametrize("revision", ["9999", "nope", "", "0001; DROP TABLE x"])
def test_an_unknown_target_revision_is_unknown_revision(
    database: tuple[str, str | None], revision: str
) -> None:
    """migrate() to a revision the package does not ship raises UnknownRevision."""
    url, schema = database
    with pytest.raises(UnknownRevision):
        migrate(url, schema=schema, revision=revision)


def test_a_version_table_without_its_column_is_damaged_schema(
    database: tuple[str, str | None],
) -> None:
    """A version table that lost its column raises DamagedSchema on open."""
    url, schema = database
    _run(url, schema, "CREATE TABLE accountkit_alembic_version (something INTEGER)")
    with pytest.raises(DamagedSchema):
        SqlStore(url, schema=schema)


def test_a_version_table_with_two_rows_is_damaged_schema(database: tuple[str, str | None]) -> None:
    """Two revisions in the version table raise DamagedSchema, on open and when asked."""
    url, schema = database
    SqlStore(url, schema=schema).close()
    _run(url, schema, "INSERT INTO accountkit_alembic_version (version_num) VALUES ('0001')")
    with pytest.raises(DamagedSchema):
        SqlStore(url, schema=schema)


def test_an_empty_revision_is_damaged_schema(database: tuple[str, str | None]) -> None:
    """A blank revision string raises DamagedSchema."""
    url, schema = database
    SqlStore(url, schema=schema).close()
    _run(url, schema, "UPDATE accountkit_alembic_version SET version_num = ' '")
    with pytest.raises(DamagedSchema):
        SqlStore(url, schema=schema)


def test_a_shop_table_with_an_accountkit_name_is_table_conflict(
    database: tuple[str, str | None],
) -> None:
    """A table of the shop's own named like one of accountkit's raises TableConflict, and the
    shop's table is left as it was."""
    url, schema = database
    _run(url, schema, "CREATE TABLE accountkit_users (id INTEGER PRIMARY KEY, shop_data TEXT)")
    _run(url, schema, "INSERT INTO accountkit_users (id, shop_data) VALUES (1, 'kept')")
    with pytest.raises(TableConflict):
        SqlStore(url, schema=schema)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            table = f'"{schema}".accountkit_users' if schema else "accountkit_users"
            assert conn.exec_driver_sql(f"SELECT shop_data FROM {table}").scalar() == "kept"
    finally:
        engine.dispose()
    store = SqlStore(url, schema=schema, prefix="ak_")
    store.close()
