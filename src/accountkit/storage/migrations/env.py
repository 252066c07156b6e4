"""Alembic environment: always run from Python with a connection (see storage/_migrate.py)."""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes["connection"]
prefix: str = config.attributes["prefix"]
schema: str | None = config.attributes.get("schema")

context.configure(
    connection=connection,
    version_table=f"{prefix}alembic_version",
    version_table_schema=schema,
    transactional_ddl=True,
)

with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Two processes opening a new database at once: the second waits, then finds the
        # schema up to date. (On SQLite, BEGIN IMMEDIATE does the same.)
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7426730001)")
    context.run_migrations()
