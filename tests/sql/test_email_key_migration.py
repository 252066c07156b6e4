"""Revision 0004 recomputes every stored e-mail key with the rule of ``email_key``: a
database at 0002 (keys made by ``casefold()``) upgrades to keys that the lookups find."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from accountkit.domain.validation import email_key
from accountkit.storage import SqlStore
from accountkit.storage._migrate import head_revision
from accountkit.storage.sql import migrate
from tests.contract.factories import make_user

ADDRESSES = [
    "Ada@example.com",
    "Straße@example.com",
    "anna@straße.de",
    "ﬁle@bücher.de",
    "İpek@example.org",
    "ÅSA@example.net",
]
"""Stored (normalised) addresses; revision 0002 stored ``casefold()`` as the key, which
differs from the new key for all but the first."""

FILLER = 2_345
"""Plain users beyond the migration's batch size of 1,000, so several batches run."""


def _fill(engine: sa.Engine, schema: str | None) -> dict[str, str | None]:
    """Insert users as revision 0002 stored them; return id -> e-mail."""
    table = f'"{schema}".accountkit_users' if schema else "accountkit_users"
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[dict[str, object]] = [
        {"id": f"usr_a{i}", "email": email, "key": email.casefold()}
        for i, email in enumerate(ADDRESSES)
    ]
    rows.append({"id": "usr_none", "email": None, "key": None})
    rows += [
        {
            "id": f"usr_f{i:05d}",
            "email": f"Filler.{i}@Example.com",
            "key": f"filler.{i}@example.com",
        }
        for i in range(FILLER)
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"INSERT INTO {table} (id, tier, status, email, email_key, given_name, "
                "family_name, birth_date, password_hash, must_complete_profile, profile, "
                "security_version, version, created_at, updated_at) VALUES (:id, 'guest', "
                "'active', :email, :key, 'Gus', NULL, NULL, NULL, false, '{}', 0, 0, :at, :at)"
            ),
            [{**row, "at": stamp} for row in rows],
        )
    return {str(row["id"]): row["email"] for row in rows}  # type: ignore[misc]


def _keys(engine: sa.Engine, schema: str | None) -> dict[str, str | None]:
    table = f'"{schema}".accountkit_users' if schema else "accountkit_users"
    with engine.connect() as conn:
        return {
            row[0]: row[1] for row in conn.execute(sa.text(f"SELECT id, email_key FROM {table}"))
        }


def _check_upgrade(url: str, schema: str | None) -> None:
    migrate(url, schema=schema, revision="0002")
    engine = sa.create_engine(url)
    try:
        emails = _fill(engine, schema)
        old = _keys(engine, schema)
        assert sum(old[f"usr_a{i}"] != email_key(e) for i, e in enumerate(ADDRESSES)) == 5
        store = SqlStore(url, schema=schema)
        try:
            assert store.schema_revision() == head_revision()
            keys = _keys(engine, schema)
            assert keys == {
                user_id: None if email is None else email_key(email)
                for user_id, email in emails.items()
            }
            with store.transaction() as tx:
                for i, address in enumerate(ADDRESSES):
                    found = tx.users.get_by_email(email_key(address))
                    assert found is not None and found.id == f"usr_a{i}"
                assert tx.users.get_by_email("strasse@example.com") is None
                # The finer key lets the person at strasse@ have an account of their own.
                tx.users.add(make_user(email="strasse@example.com"))
        finally:
            store.close()
    finally:
        engine.dispose()


def test_upgrade_recomputes_email_keys_on_sqlite(sqlite_url: str) -> None:
    """On SQLite every user's key becomes email_key(email); NULL stays NULL."""
    _check_upgrade(sqlite_url, None)


def test_upgrade_recomputes_email_keys_on_postgres(pg_schema: tuple[str, str]) -> None:
    """On PostgreSQL every user's key becomes email_key(email); NULL stays NULL."""
    url, schema = pg_schema
    _check_upgrade(url, schema)
