"""Users in memory."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from accountkit.domain.validation import email_key
from accountkit.errors import ConcurrentUpdate, ConflictError, EmailTaken, UserNotFound
from accountkit.storage._checks import searchable, user_matches
from accountkit.storage._memory.orders import _refuse_if_ordered

if TYPE_CHECKING:
    from accountkit.domain import User, UserStatus, UserTier
    from accountkit.storage._memory.state import _Data, _Journal


class _Users:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def get(self, user_id: str) -> User | None:
        return self._d.users.get(user_id)

    def get_by_email(self, email_key: str) -> User | None:
        user_id = self._d.users_by_email.get(email_key)
        return None if user_id is None else self._d.users[user_id]

    def lock(self, user_id: str) -> User | None:
        # One lock serialises every unit already; only a read-only unit refuses.
        self._j._check()
        return self._d.users.get(user_id)

    def _claim_email(self, user: User, previous: User | None) -> None:
        old_key = email_key(previous.email) if previous and previous.email else None
        new_key = email_key(user.email) if user.email else None
        if new_key == old_key:
            return
        if new_key is not None:
            holder = self._d.users_by_email.get(new_key)
            if holder is not None and holder != user.id:
                raise EmailTaken()
            self._j.put(self._d.users_by_email, new_key, user.id)
        if old_key is not None:
            self._j.delete(self._d.users_by_email, old_key)

    def add(self, user: User) -> User:
        self._j._check()
        if user.id in self._d.users:
            raise ConflictError("A user with this id exists already; ids are made by accountkit.")
        self._claim_email(user, None)
        self._j.put(self._d.users, user.id, user)
        return user

    def add_many(self, users: Iterable[User]) -> int:
        self._j._check()
        count = 0
        for user in users:
            self.add(user)
            count += 1
        return count

    def update(self, user: User) -> User:
        self._j._check()
        stored = self._d.users.get(user.id)
        if stored is None:
            raise UserNotFound()
        if stored.version != user.version:
            raise ConcurrentUpdate()
        new = attrs.evolve(user, version=user.version + 1)
        self._claim_email(new, stored)
        self._j.put(self._d.users, new.id, new)
        return new

    def count(self) -> int:
        return len(self._d.users)

    def search(
        self,
        *,
        text: str | None = None,
        tier: UserTier | None = None,
        status: UserStatus | None = None,
        after: str | None = None,
        limit: int,
    ) -> Sequence[User]:
        if (text is not None and not searchable(text)) or (
            after is not None and not searchable(after)
        ):
            return []
        found: list[User] = []
        for user_id in sorted(self._d.users):
            user = self._d.users[user_id]
            if after is not None and user_id <= after:
                continue
            if tier is not None and user.tier is not tier:
                continue
            if status is not None and user.status is not status:
                continue
            if text is not None and not user_matches(user, text):
                continue
            found.append(user)
            if len(found) >= limit:
                break
        return found

    def remove(self, user_id: str) -> None:
        self._j._check()
        user = self._d.users.get(user_id) if isinstance(user_id, str) else None
        if user is None:
            raise UserNotFound()
        d, j = self._d, self._j
        _refuse_if_ordered(d, user_id=user_id)
        for consent in d.consents.get(user_id, []):
            j.delete(d.consent_ids, consent.id)
        if user_id in d.consents:
            j.delete(d.consents, user_id)
        for session_id in [s.id for s in d.sessions.values() if s.user_id == user_id]:
            j.delete(d.sessions, session_id)
        if user_id in d.login_codes:
            j.delete(d.login_codes, user_id)
        for key in [k for k in d.issued_tokens if k[0] == user_id]:
            j.delete(d.issued_tokens, key)
        for customer_id in list(d.by_user.get(user_id, {})):
            key = (user_id, customer_id)
            j.delete(d.memberships, key)
            j.delete(d.exclusive, key)
            j.delete(d.by_user[user_id], customer_id)
            j.delete(d.by_customer[customer_id], user_id)
        if user.email:
            j.delete(d.users_by_email, email_key(user.email))
        j.delete(d.users, user_id)
