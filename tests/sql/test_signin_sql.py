"""SqlStore's own promises for sign-in: revision 0005 upgrades a database with data, and
``sessions.get`` (the read behind every authenticated request) is one statement, on the
raw SQLite read path too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from accountkit.domain import LoginCode, Session, SignInMethod
from accountkit.storage import SqlStore
from accountkit.storage._migrate import head_revision
from accountkit.storage.sql import migrate
from tests.contract.factories import add_user

STAMP = datetime(2026, 1, 1, 12, tzinfo=UTC)


def _insert_0004_user(url: str, schema: str | None) -> None:
    """A guest as revision 0004 stored it: no email_verified_at column yet."""
    table = f'"{schema}".accountkit_users' if schema else "accountkit_users"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    f"INSERT INTO {table} (id, tier, status, email, email_key, given_name, "
                    "family_name, birth_date, password_hash, must_complete_profile, profile, "
                    "security_version, version, created_at, updated_at) VALUES ('usr_old', "
                    "'guest', 'active', 'old@example.com', 'old@example.com', 'Gus', NULL, "
                    "NULL, NULL, false, '{}', 0, 4, :at, :at)"
                ),
                {"at": STAMP.isoformat(timespec="microseconds") if schema is None else STAMP},
            )
    finally:
        engine.dispose()


def _check_upgrade_from_0004(url: str, schema: str | None) -> None:
    migrate(url, schema=schema, revision="0004")
    _insert_0004_user(url, schema)
    store = SqlStore(url, schema=schema)
    try:
        assert store.schema_revision() == head_revision() == "0005"
        session = Session(
            id="ses_old",
            user_id="usr_old",
            method=SignInMethod.CODE,
            security_version=0,
            created_at=STAMP,
            last_seen_at=STAMP,
        )
        code = LoginCode(
            id="lc_old", user_id="usr_old", code_hash="h", created_at=STAMP, expires_at=STAMP
        )
        with store.transaction() as tx:
            user = tx.users.get_by_email("old@example.com")
            assert user is not None
            assert (user.id, user.version, user.email_verified_at) == ("usr_old", 4, None)
            tx.sessions.add(session)
            tx.login_codes.put(code)
            tx.tokens.issue("tok_old", user_id=user.id, purpose="verify_email", at=STAMP)
            tx.attempts.add_failure("digest", at=STAMP, window=timedelta(minutes=15))
        with store.transaction(readonly=True) as tx:
            assert tx.sessions.get("ses_old") == (session, user)
            assert tx.login_codes.get("usr_old") == code
            current = tx.tokens.current("usr_old", "verify_email")
            assert current is not None and current.token_id == "tok_old"
            assert tx.attempts.get("digest") is not None
    finally:
        store.close()


def test_upgrade_from_0004_keeps_users_and_adds_the_signin_tables(sqlite_url: str) -> None:
    """A SQLite file at 0004 with a user upgrades: the user reads back unverified, and the
    sign-in tables take rows for them."""
    _check_upgrade_from_0004(sqlite_url, None)


def test_upgrade_from_0004_on_postgres(pg_schema: tuple[str, str]) -> None:
    """The same upgrade of a PostgreSQL schema at 0004."""
    _check_upgrade_from_0004(*pg_schema)


@pytest.fixture(params=["sqlite", "postgres"])
def signed_in(
    request: pytest.FixtureRequest, sqlite_url: str
) -> Iterator[tuple[SqlStore, Session]]:
    """A store with one user and one session of theirs."""
    if request.param == "sqlite":
        store = SqlStore(sqlite_url)
    else:
        url, schema = request.getfixturevalue("pg_schema")
        store = SqlStore(url, schema=schema)
    try:
        user = add_user(store)
        session = Session(
            id="ses_1",
            user_id=user.id,
            method=SignInMethod.PASSWORD,
            security_version=user.security_version,
            created_at=STAMP,
            last_seen_at=STAMP,
        )
        with store.transaction() as tx:
            tx.sessions.add(session)
        yield store, session
    finally:
        store.close()


def _statements_of(store: SqlStore, work: Any) -> list[str]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    return seen


def test_sessions_get_is_one_statement_in_a_write_unit(
    signed_in: tuple[SqlStore, Session],
) -> None:
    """Inside a write unit, reading a session and its user runs exactly one statement."""
    store, session = signed_in
    with store.transaction() as tx:
        tx.users.count()  # the unit's BEGIN has run before counting starts
        seen = _statements_of(store, lambda: tx.sessions.get(session.id))
    assert len(seen) == 1, seen
    assert "JOIN" in seen[0].upper()


def test_sessions_get_is_one_statement_on_the_raw_sqlite_read_path(sqlite_url: str) -> None:
    """A read-only unit on a SQLite file reads a session and its user in one SELECT on the
    raw sqlite3 connection, as users.get does."""
    store = SqlStore(sqlite_url)
    try:
        user = add_user(store)
        session = Session(
            id="ses_raw",
            user_id=user.id,
            method=SignInMethod.LOGIN_LINK,
            security_version=0,
            created_at=STAMP,
            last_seen_at=STAMP,
        )
        with store.transaction() as tx:
            tx.sessions.add(session)
        with store.transaction(readonly=True) as tx:
            assert tx.users.get(user.id) == user
        raw = store._raw_idle[-1]
        traced: list[str] = []
        raw.set_trace_callback(traced.append)
        engine_statements = _statements_of(store, lambda: _read_session(store, session.id, traced))
        raw.set_trace_callback(None)
        assert engine_statements == []
        selects = [s for s in traced if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 1, traced
        assert "JOIN" in selects[0].upper()
    finally:
        store.close()


def _read_session(store: SqlStore, session_id: str, traced: list[str]) -> None:
    with store.transaction(readonly=True) as tx:
        got = tx.sessions.get(session_id)
    assert got is not None and got[0].id == session_id
