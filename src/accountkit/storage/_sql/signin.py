"""Sign-in: token ledger, sessions, login codes and attempt windows; statements and repositories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import bindparam

from accountkit.errors import ConflictError, UserNotFound
from accountkit.storage._checks import (
    MAX_CODE_HASH_LENGTH,
    MAX_PURPOSE_LENGTH,
    MAX_SIGNIN_ID_LENGTH,
    MAX_TOKEN_ID_LENGTH,
    check_attempt_key,
    check_stored_text,
    window_cutoff,
)
from accountkit.storage._sql.errors import _bindable, _cause, _is_foreign_key
from accountkit.storage._sql.execute import _Repo
from accountkit.storage._sql.rows import (
    _SESSION_WIDTH,
    ATTEMPT_COLUMNS,
    ISSUED_TOKEN_COLUMNS,
    LOGIN_CODE_COLUMNS,
    SESSION_COLUMNS,
    USER_COLUMNS,
    _attempt,
    _issued_token,
    _login_code,
    _session,
    _session_values,
    _user,
)
from accountkit.storage._sql.statements import _select, insert_for
from accountkit.storage._sqltypes import UtcDateTime

if TYPE_CHECKING:
    from accountkit.domain import AttemptWindow, IssuedToken, LoginCode, Session, User
    from accountkit.storage._schema import Tables

READS = (
    "token_used",
    "token_current",
    "session_with_user",
    "sessions_of_user",
    "login_code",
    "attempt",
)
"""The statements of this module that only read (a read-only unit runs only these)."""


def build(q: Any, t: Tables, dialect: str) -> None:
    """Build this aggregate's statements onto ``q`` (a ``statements._Statements``)."""
    insert = insert_for(dialect)
    u = t.users
    k = t.used_tokens
    # RETURNING tells whether the row went in: psycopg reports no row count for
    # INSERT ... ON CONFLICT DO NOTHING.
    q.token_use = (
        insert(k).on_conflict_do_nothing(index_elements=[k.c.token_id]).returning(k.c.token_id)
    )
    q.token_used = sa.select(k.c.token_id).where(k.c.token_id == bindparam("id"))
    it = t.issued_tokens
    q.token_current = _select(it, ISSUED_TOKEN_COLUMNS).where(
        it.c.user_id == bindparam("u"), it.c.purpose == bindparam("purpose")
    )
    # A new token of a purpose takes the old one's place, in one statement.
    token_issue = insert(it)
    q.token_issue = token_issue.on_conflict_do_update(
        index_elements=[it.c.user_id, it.c.purpose],
        set_={name: token_issue.excluded[name] for name in ("token_id", "issued_at", "note")},
    )
    se = t.sessions
    # The per-request read: the session and its user by the session's primary key,
    # in one statement (one round trip, one index probe on each table).
    q.session_with_user = (
        sa.select(*(se.c[n] for n in SESSION_COLUMNS), *(u.c[n] for n in USER_COLUMNS))
        .select_from(se.join(u, se.c.user_id == u.c.id))
        .where(se.c.id == bindparam("id"))
    )
    # Ordered in Python (code point order of ids), not by the database's collation.
    q.sessions_of_user = _select(se, SESSION_COLUMNS).where(se.c.user_id == bindparam("u"))
    q.session_insert = sa.insert(se)
    q.session_touch = (
        sa.update(se).where(se.c.id == bindparam("b_id")).values(last_seen_at=bindparam("at"))
    )
    q.session_delete = sa.delete(se).where(se.c.id == bindparam("id"))
    q.sessions_delete_of_user = sa.delete(se).where(se.c.user_id == bindparam("u"))
    lc = t.login_codes
    q.login_code = _select(lc, LOGIN_CODE_COLUMNS).where(lc.c.user_id == bindparam("u"))
    code_put = insert(lc)
    q.login_code_put = code_put.on_conflict_do_update(
        index_elements=[lc.c.user_id],
        set_={name: code_put.excluded[name] for name in LOGIN_CODE_COLUMNS if name != "user_id"},
    )
    # One statement: concurrent failures each add one under the row lock (no lost update).
    q.login_code_failure = (
        sa.update(lc)
        .where(lc.c.user_id == bindparam("u"), lc.c.id == bindparam("c"))
        .values(failures=lc.c.failures + 1)
        .returning(lc.c.failures)
    )
    q.login_code_take = sa.delete(lc).where(
        lc.c.user_id == bindparam("u"), lc.c.id == bindparam("c")
    )
    a = t.attempts
    q.attempt = _select(a, ATTEMPT_COLUMNS).where(a.c.key == bindparam("b_key"))
    # One statement, so that concurrent failures (also the first ones, racing to insert
    # the key) each count. A window that ended (its start at or before ``at - window``;
    # NULL, so never, when that is before the first representable time) starts again at
    # ``at`` with one failure; SET reads the row as it was, in both databases, so both
    # CASEs test the old start.
    attempt_insert = insert(a)
    ended = a.c.started_at <= bindparam("b_ended", type_=UtcDateTime)
    q.attempt_failure = attempt_insert.on_conflict_do_update(
        index_elements=[a.c.key],
        set_={
            "started_at": sa.case(
                (ended, attempt_insert.excluded.started_at), else_=a.c.started_at
            ),
            "failures": sa.case((ended, 1), else_=a.c.failures + 1),
        },
    ).returning(*(a.c[n] for n in ATTEMPT_COLUMNS))
    q.attempt_clear = sa.delete(a).where(a.c.key == bindparam("b_key"))


class _Tokens(_Repo):
    def mark_used(self, token_id: str, *, user_id: str, purpose: str, at: datetime) -> bool:
        self._writing()
        params = {"token_id": token_id, "user_id": user_id, "purpose": purpose, "used_at": at}
        return self._x.scalar("token_use", params) is not None

    def is_used(self, token_id: str) -> bool:
        if not _bindable(token_id):
            return False
        return self._x.first("token_used", {"id": token_id}) is not None

    def issue(
        self,
        token_id: str,
        *,
        user_id: str,
        purpose: str,
        at: datetime,
        note: str | None = None,
    ) -> None:
        self._writing()
        check_stored_text(token_id, field="token_id", limit=MAX_TOKEN_ID_LENGTH)
        check_stored_text(purpose, field="purpose", limit=MAX_PURPOSE_LENGTH)
        if note is not None:
            check_stored_text(note, field="note", limit=None)
        _require_storable_user(user_id)
        values = {
            "token_id": token_id,
            "user_id": user_id,
            "purpose": purpose,
            "issued_at": at,
            "note": note,
        }
        try:
            self._x.run("token_issue", values)
        except sa.exc.IntegrityError as exc:
            raise UserNotFound() from _cause(exc)

    def current(self, user_id: str, purpose: str) -> IssuedToken | None:
        if not (_bindable(user_id) and _bindable(purpose)):
            return None
        row = self._x.first("token_current", {"u": user_id, "purpose": purpose})
        return None if row is None else _issued_token(row)


_USER_ID_LENGTH = 64
"""``users.id``: a longer id names no user (PostgreSQL would refuse to bind it)."""


def _require_storable_user(user_id: object) -> None:
    """An id that no users row can hold names no user, as in MemoryStore: UserNotFound."""
    if not _bindable(user_id) or len(str(user_id)) > _USER_ID_LENGTH:
        raise UserNotFound()


class _Sessions(_Repo):
    def add(self, session: Session) -> Session:
        self._writing()
        check_stored_text(session.id, field="session_id", limit=MAX_SIGNIN_ID_LENGTH)
        _require_storable_user(session.user_id)
        try:
            self._x.run("session_insert", _session_values(session))
        except sa.exc.IntegrityError as exc:
            if _is_foreign_key(exc):
                raise UserNotFound() from _cause(exc)
            raise ConflictError("A session with this id exists.") from _cause(exc)
        return session

    def get(self, session_id: str) -> tuple[Session, User] | None:
        if not _bindable(session_id):
            return None
        row = self._x.first("session_with_user", {"id": session_id})
        if row is None:
            return None
        return _session(row[:_SESSION_WIDTH]), _user(row[_SESSION_WIDTH:])

    def touch(self, session_id: str, at: datetime) -> None:
        self._writing()
        if _bindable(session_id):
            self._x.run("session_touch", {"b_id": session_id, "at": at})

    def remove(self, session_id: str) -> bool:
        self._writing()
        if not _bindable(session_id):
            return False
        return self._x.run("session_delete", {"id": session_id}) == 1

    def remove_for_user(self, user_id: str) -> int:
        self._writing()
        if not _bindable(user_id):
            return 0
        return self._x.run("sessions_delete_of_user", {"u": user_id})

    def for_user(self, user_id: str) -> Sequence[Session]:
        if not _bindable(user_id):
            return []
        sessions = [_session(r) for r in self._x.all("sessions_of_user", {"u": user_id})]
        return sorted(sessions, key=lambda s: (s.created_at, s.id))


class _LoginCodes(_Repo):
    def put(self, code: LoginCode) -> None:
        self._writing()
        check_stored_text(code.id, field="code_id", limit=MAX_SIGNIN_ID_LENGTH)
        check_stored_text(code.code_hash, field="code_hash", limit=MAX_CODE_HASH_LENGTH)
        _require_storable_user(code.user_id)
        values = {
            "id": code.id,
            "user_id": code.user_id,
            "code_hash": code.code_hash,
            "created_at": code.created_at,
            "expires_at": code.expires_at,
            "failures": code.failures,
        }
        try:
            self._x.run("login_code_put", values)
        except sa.exc.IntegrityError as exc:
            raise UserNotFound() from _cause(exc)

    def get(self, user_id: str) -> LoginCode | None:
        if not _bindable(user_id):
            return None
        row = self._x.first("login_code", {"u": user_id})
        return None if row is None else _login_code(row)

    def add_failure(self, user_id: str, code_id: str) -> int | None:
        self._writing()
        if not (_bindable(user_id) and _bindable(code_id)):
            return None
        failures = self._x.scalar("login_code_failure", {"u": user_id, "c": code_id})
        return None if failures is None else int(failures)

    def take(self, user_id: str, code_id: str) -> bool:
        self._writing()
        if not (_bindable(user_id) and _bindable(code_id)):
            return False
        return self._x.run("login_code_take", {"u": user_id, "c": code_id}) == 1


class _Attempts(_Repo):
    def get(self, key: str) -> AttemptWindow | None:
        if not _bindable(key):
            return None
        row = self._x.first("attempt", {"b_key": key})
        return None if row is None else _attempt(row)

    def add_failure(self, key: str, *, at: datetime, window: timedelta) -> AttemptWindow:
        self._writing()
        check_attempt_key(key)
        cutoff = window_cutoff(at, window)
        params = {"key": key, "started_at": at, "failures": 1, "b_ended": cutoff}
        row = self._x.first("attempt_failure", params)
        assert row is not None  # an upsert with RETURNING always returns its row
        return _attempt(row)

    def clear(self, key: str) -> None:
        self._writing()
        if _bindable(key):
            self._x.run("attempt_clear", {"b_key": key})
