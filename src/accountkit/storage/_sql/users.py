"""Users: their statements and repository."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlalchemy import bindparam

from accountkit.domain.validation import _ASCII_LOWER
from accountkit.errors import AccountKitError, ConflictError, EmailTaken, UserNotFound
from accountkit.storage._sql.errors import _bindable, _cause, _constraint
from accountkit.storage._sql.execute import _BULK_CHUNK, _Repo
from accountkit.storage._sql.rows import USER_COLUMNS, _user, _user_values
from accountkit.storage._sql.statements import _select, search_arg, search_has

if TYPE_CHECKING:
    from accountkit.domain import User, UserStatus, UserTier
    from accountkit.storage._schema import Tables

READS = (
    "user_by_id",
    "user_by_email",
    "user_count",
    "user_search",
)
"""The statements of this module that only read (a read-only unit runs only these)."""


def build(q: Any, t: Tables, dialect: str) -> None:
    """Build this aggregate's statements onto ``q`` (a ``statements._Statements``)."""
    u, m = t.users, t.memberships
    lc, it, co = t.login_codes, t.issued_tokens, t.consents
    q.user_by_id = _select(u, USER_COLUMNS).where(u.c.id == bindparam("id"))
    q.user_by_email = _select(u, USER_COLUMNS).where(u.c.email_key == bindparam("key"))
    q.user_exists = sa.select(u.c.id).where(u.c.id == bindparam("id"))
    # FOR UPDATE serialises a user's membership changes on PostgreSQL; SQLite renders
    # none, since its write units hold the database's one write lock already.
    q.user_lock = q.user_by_id.with_for_update()
    q.user_insert = sa.insert(u)
    q.user_update = (
        sa.update(u)
        .where(u.c.id == bindparam("b_id"), u.c.version == bindparam("b_version"))
        .values({name: bindparam(name) for name in USER_COLUMNS if name != "id"})
    )
    q.user_count = sa.select(sa.func.count()).select_from(u)
    # Search: one statement per kind, a NULL parameter switching its filter off.
    # search_has: instr()/strpos() match the exact characters (LIKE would need escaping, and
    # SQLite's LIKE folds ASCII case); ids are one prefix and lower-case hex of one
    # length, so every collation orders them as Python does.
    q.user_search = (
        _select(u, USER_COLUMNS)
        .where(
            sa.or_(search_arg("after").is_(None), u.c.id > search_arg("after")),
            sa.or_(search_arg("tier").is_(None), u.c.tier == search_arg("tier")),
            sa.or_(search_arg("status").is_(None), u.c.status == search_arg("status")),
            sa.or_(
                search_arg("t").is_(None),
                search_has(dialect, u.c.email_key, "tl"),
                search_has(dialect, u.c.given_name, "t"),
                search_has(dialect, u.c.family_name, "t"),
            ),
        )
        .order_by(u.c.id)
        # SQLite renders LIMIT with an OFFSET; both named, for the raw read path.
        .limit(bindparam("n"))
        .offset(bindparam("skip"))
    )
    # Removal of a user (a rejected request): their rows in the tables whose foreign
    # keys point at users (none cascades), then the user.
    q.user_delete = sa.delete(u).where(u.c.id == bindparam("id"))
    q.memberships_delete_of_user = sa.delete(m).where(m.c.user_id == bindparam("u"))
    q.login_code_delete_of_user = sa.delete(lc).where(lc.c.user_id == bindparam("u"))
    q.tokens_delete_of_user = sa.delete(it).where(it.c.user_id == bindparam("u"))
    q.consents_delete_of_user = sa.delete(co).where(co.c.user_id == bindparam("u"))


class _Users(_Repo):
    def get(self, user_id: str) -> User | None:
        if not _bindable(user_id):
            return None
        row = self._x.first("user_by_id", {"id": user_id})
        return None if row is None else _user(row)

    def get_by_email(self, email_key: str) -> User | None:
        if not _bindable(email_key):
            return None
        row = self._x.first("user_by_email", {"key": email_key})
        return None if row is None else _user(row)

    def lock(self, user_id: str) -> User | None:
        self._writing()
        if not _bindable(user_id):
            return None
        row = self._x.first("user_lock", {"id": user_id})
        return None if row is None else _user(row)

    def _integrity(self, exc: sa.exc.IntegrityError) -> AccountKitError:
        if "email_key" in _constraint(exc):
            return EmailTaken()
        return ConflictError("A user with this id exists already; ids are made by accountkit.")

    def add(self, user: User) -> User:
        self._writing()
        try:
            self._x.run("user_insert", _user_values(user))
        except sa.exc.IntegrityError as exc:
            raise self._integrity(exc) from _cause(exc)
        return user

    def add_many(self, users: Iterable[User]) -> int:
        self._writing()
        count = 0
        batch: list[dict[str, Any]] = []
        try:
            for user in users:
                batch.append(_user_values(user))
                if len(batch) == _BULK_CHUNK:
                    self._x.run("user_insert", batch)
                    count += len(batch)
                    batch = []
            if batch:
                self._x.run("user_insert", batch)
                count += len(batch)
        except sa.exc.IntegrityError as exc:
            raise self._integrity(exc) from _cause(exc)
        return count

    def update(self, user: User) -> User:
        self._writing()
        self._update("user", _user_values(user), user.version, self._integrity, UserNotFound)
        return attrs.evolve(user, version=user.version + 1)

    def count(self) -> int:
        return int(self._x.scalar("user_count", {}))

    def search(
        self,
        *,
        text: str | None = None,
        tier: UserTier | None = None,
        status: UserStatus | None = None,
        after: str | None = None,
        limit: int,
    ) -> Sequence[User]:
        if any(v is not None and not _bindable(v) for v in (text, after)):
            return []
        params = {
            "t": text,
            "tl": None if text is None else text.translate(_ASCII_LOWER),
            "tier": None if tier is None else tier.value,
            "status": None if status is None else status.value,
            "after": after,
            "n": limit,
            "skip": 0,
        }
        return [_user(row) for row in self._x.all("user_search", params)]

    def remove(self, user_id: str) -> None:
        self._writing()
        # Locked first: a membership change or a new session of this user, running at the
        # same time, waits for the removal and then finds no user.
        if not _bindable(user_id) or self._x.first("user_lock", {"id": user_id}) is None:
            raise UserNotFound()
        try:
            self._x.run("sessions_delete_of_user", {"u": user_id})
            self._x.run("login_code_delete_of_user", {"u": user_id})
            self._x.run("tokens_delete_of_user", {"u": user_id})
            self._x.run("memberships_delete_of_user", {"u": user_id})
            self._x.run("consents_delete_of_user", {"u": user_id})
            self._x.run("user_delete", {"id": user_id})
        except sa.exc.IntegrityError as exc:
            raise ConflictError(
                "The user still has orders on record; they cannot be removed."
            ) from _cause(exc)
