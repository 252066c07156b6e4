"""SqlStore's parts: the storage contract on SQLAlchemy 2 Core, for SQLite and PostgreSQL.

One implementation serves both databases. The database enforces the invariants itself
(unique constraints and partial unique indexes, see ``_schema.py``); this module turns
their violations into accountkit's errors, and every other database error into a
:class:`~accountkit.errors.StorageError` subclass, with ``raise ... from``.

SQLite: WAL journal, foreign keys on, a busy timeout; write transactions start with
``BEGIN IMMEDIATE`` so that two writers queue for the lock instead of deadlocking on the
upgrade from a read lock (which SQLite reports at once as "database is locked").
PostgreSQL: psycopg 3, READ COMMITTED; races end in a unique violation or in an
optimistic-version mismatch, never in a silent overwrite.

Where things live:

- ``engine``: URL and identifier checks, engines, SQLite pragmas and WAL, fork safety.
- ``errors``: database errors to accountkit's errors.
- ``rows``: the columns each read selects, and records to bound values and back.
- ``statements``: the container of a store's statements and the builders' shared helpers.
- ``execute``: the executors (SQLAlchemy, and raw sqlite3 for read-only units) and the
  repositories' base.
- one module per aggregate, each with its ``READS``, its ``build`` and its repositories:
  ``users``, ``customers`` (customers, numbers, sequences, memberships, groups), ``history``
  (events, consents), ``signin`` (tokens, sessions, login codes, attempts), ``orders`` and
  ``reports``.
- ``store``: SqlTransaction, SqlStore and migrate.

The public names are re-exported by :mod:`accountkit.storage.sql`.
"""
