"""Sign-in in memory: token ledger, sessions, login codes and attempt windows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from accountkit.domain import AttemptWindow, IssuedToken, LoginCode, Session, User
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

if TYPE_CHECKING:
    from accountkit.storage._memory.state import _Data, _Journal


class _Tokens:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def mark_used(self, token_id: str, *, user_id: str, purpose: str, at: datetime) -> bool:
        self._j._check()
        if token_id in self._d.used_tokens:
            return False
        self._j.put(self._d.used_tokens, token_id, (user_id, purpose, at))
        return True

    def is_used(self, token_id: str) -> bool:
        return token_id in self._d.used_tokens

    def issue(
        self,
        token_id: str,
        *,
        user_id: str,
        purpose: str,
        at: datetime,
        note: str | None = None,
    ) -> None:
        self._j._check()
        check_stored_text(token_id, field="token_id", limit=MAX_TOKEN_ID_LENGTH)
        check_stored_text(purpose, field="purpose", limit=MAX_PURPOSE_LENGTH)
        if note is not None:
            check_stored_text(note, field="note", limit=None)
        _require_user(self._d, user_id)
        record = IssuedToken(
            token_id=token_id, user_id=user_id, purpose=purpose, issued_at=at, note=note
        )
        self._j.put(self._d.issued_tokens, (user_id, purpose), record)

    def current(self, user_id: str, purpose: str) -> IssuedToken | None:
        return self._d.issued_tokens.get((user_id, purpose))


def _require_user(data: _Data, user_id: str) -> None:
    """What the SQL foreign key to users does."""
    if user_id not in data.users:
        raise UserNotFound()


class _Sessions:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def add(self, session: Session) -> Session:
        self._j._check()
        check_stored_text(session.id, field="session_id", limit=MAX_SIGNIN_ID_LENGTH)
        _require_user(self._d, session.user_id)
        if session.id in self._d.sessions:
            raise ConflictError("A session with this id exists.")
        self._j.put(self._d.sessions, session.id, session)
        return session

    def get(self, session_id: str) -> tuple[Session, User] | None:
        session = self._d.sessions.get(session_id)
        return None if session is None else (session, self._d.users[session.user_id])

    def touch(self, session_id: str, at: datetime) -> None:
        self._j._check()
        session = self._d.sessions.get(session_id)
        if session is not None:
            self._j.put(self._d.sessions, session_id, attrs.evolve(session, last_seen_at=at))

    def remove(self, session_id: str) -> bool:
        self._j._check()
        if session_id not in self._d.sessions:
            return False
        self._j.delete(self._d.sessions, session_id)
        return True

    def remove_for_user(self, user_id: str) -> int:
        self._j._check()
        ids = [s.id for s in self._d.sessions.values() if s.user_id == user_id]
        for session_id in ids:
            self._j.delete(self._d.sessions, session_id)
        return len(ids)

    def for_user(self, user_id: str) -> Sequence[Session]:
        mine = [s for s in self._d.sessions.values() if s.user_id == user_id]
        return sorted(mine, key=lambda s: (s.created_at, s.id))


class _LoginCodes:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def put(self, code: LoginCode) -> None:
        self._j._check()
        check_stored_text(code.id, field="code_id", limit=MAX_SIGNIN_ID_LENGTH)
        check_stored_text(code.code_hash, field="code_hash", limit=MAX_CODE_HASH_LENGTH)
        _require_user(self._d, code.user_id)
        self._j.put(self._d.login_codes, code.user_id, code)

    def get(self, user_id: str) -> LoginCode | None:
        return self._d.login_codes.get(user_id)

    def add_failure(self, user_id: str, code_id: str) -> int | None:
        self._j._check()
        code = self._d.login_codes.get(user_id)
        if code is None or code.id != code_id:
            return None
        self._j.put(self._d.login_codes, user_id, attrs.evolve(code, failures=code.failures + 1))
        return code.failures + 1

    def take(self, user_id: str, code_id: str) -> bool:
        self._j._check()
        code = self._d.login_codes.get(user_id)
        if code is None or code.id != code_id:
            return False
        self._j.delete(self._d.login_codes, user_id)
        return True


class _Attempts:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def get(self, key: str) -> AttemptWindow | None:
        return self._d.attempts.get(key) if isinstance(key, str) else None

    def add_failure(self, key: str, *, at: datetime, window: timedelta) -> AttemptWindow:
        self._j._check()
        check_attempt_key(key)
        current = self._d.attempts.get(key)
        cutoff = window_cutoff(at, window)
        if current is None or (cutoff is not None and current.started_at <= cutoff):
            new = AttemptWindow(key=key, started_at=at, failures=1)
        else:
            new = attrs.evolve(current, failures=current.failures + 1)
        self._j.put(self._d.attempts, key, new)
        return new

    def clear(self, key: str) -> None:
        self._j._check()
        if isinstance(key, str) and key in self._d.attempts:
            self._j.delete(self._d.attempts, key)
