"""MemoryStore: the whole contract in process memory, for tests, examples and prototypes.

One lock serialises transactions, and every write is recorded in an undo log, so a
transaction that raises leaves no trace, as on a database. Indexes mirror the SQL
unique constraints, so the same conflicts surface in the same places.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

import attrs

from accountkit.domain import (
    Address,
    AttemptWindow,
    Consent,
    Customer,
    CustomerGroup,
    CustomerKind,
    Event,
    IssuedToken,
    LoginCode,
    Membership,
    Session,
    User,
    UserStatus,
    UserTier,
)
from accountkit.domain.orders import AddressRole, Order, sort_key
from accountkit.domain.validation import email_key
from accountkit.errors import (
    AlreadyMember,
    ConcurrentUpdate,
    ConflictError,
    CustomerNotFound,
    CustomerNumberTaken,
    EmailTaken,
    GroupNotFound,
    MembershipConflict,
    MembershipNotFound,
    NotFoundError,
    OrderNotFound,
    OrderNumberTaken,
    ReadOnlyUnit,
    StoreClosed,
    UserNotFound,
)
from accountkit.storage._checks import (
    MAX_CODE_HASH_LENGTH,
    MAX_PURPOSE_LENGTH,
    MAX_SIGNIN_ID_LENGTH,
    MAX_TOKEN_ID_LENGTH,
    address_rows,
    check_attempt_key,
    check_consent,
    check_order,
    check_stored_text,
    customer_matches,
    searchable,
    user_matches,
    window_cutoff,
)
from accountkit.storage._protocols import CurrencyTotal, OverviewEntry, OverviewKey

__all__ = ["MemoryStore"]


K = TypeVar("K")
V = TypeVar("V")


class _Journal:
    """Undo log of one unit of work: each write registers how to take it back.

    A nested unit shares its outer unit's log and remembers where it began, so that its
    failure takes back exactly its own writes (a savepoint). A read-only unit's log refuses
    every write before anything changes.
    """

    def __init__(self, undo: list[Callable[[], None]] | None = None, *, readonly: bool) -> None:
        self.undo: list[Callable[[], None]] = [] if undo is None else undo
        self.readonly = readonly

    def _check(self) -> None:
        if self.readonly:
            raise ReadOnlyUnit()

    def put(self, table: dict[K, V], key: K, value: V) -> None:
        self._check()
        if key in table:
            old = table[key]
            self.undo.append(lambda: table.__setitem__(key, old))
        else:
            self.undo.append(lambda: table.__delitem__(key))
        table[key] = value

    def delete(self, table: dict[K, V], key: K) -> None:
        self._check()
        old = table.pop(key)
        self.undo.append(lambda: table.__setitem__(key, old))

    def append(self, items: list[V], item: V) -> None:
        self._check()
        items.append(item)
        self.undo.append(lambda: items.__delitem__(-1))

    def rollback(self, to: int = 0) -> None:
        """Undo the writes made after the log had ``to`` entries."""
        while len(self.undo) > to:
            self.undo.pop()()


@attrs.define
class _Data:
    users: dict[str, User] = attrs.Factory(dict)
    users_by_email: dict[str, str] = attrs.Factory(dict)
    customers: dict[str, Customer] = attrs.Factory(dict)
    customers_by_number: dict[str, str] = attrs.Factory(dict)
    # Numbers given up (changed or removed), and the customer that held them: never given
    # to another customer.
    retired_numbers: dict[str, str] = attrs.Factory(dict)
    # The overview's sort key of every customer, as SQL keeps customers.sort_key.
    customer_sort_keys: dict[str, str] = attrs.Factory(dict)
    memberships: dict[tuple[str, str], Membership] = attrs.Factory(dict)
    exclusive: dict[tuple[str, str], bool] = attrs.Factory(dict)
    by_user: dict[str, dict[str, Membership]] = attrs.Factory(dict)
    by_customer: dict[str, dict[str, Membership]] = attrs.Factory(dict)
    groups: dict[str, CustomerGroup] = attrs.Factory(dict)
    events: list[Event] = attrs.Factory(list)
    events_by_user: dict[str, list[Event]] = attrs.Factory(dict)
    events_by_customer: dict[str, list[Event]] = attrs.Factory(dict)
    # Each event's position in ``events``: where a history page starts again.
    event_positions: dict[str, int] = attrs.Factory(dict)
    consents: dict[str, list[Consent]] = attrs.Factory(dict)
    consent_ids: dict[str, str] = attrs.Factory(dict)
    sequences: dict[str, int] = attrs.Factory(dict)
    used_tokens: dict[str, tuple[str, str, datetime]] = attrs.Factory(dict)
    issued_tokens: dict[tuple[str, str], IssuedToken] = attrs.Factory(dict)
    sessions: dict[str, Session] = attrs.Factory(dict)
    login_codes: dict[str, LoginCode] = attrs.Factory(dict)
    attempts: dict[str, AttemptWindow] = attrs.Factory(dict)
    # Orders (issue 14): the orders by id and number, their address rows by order id, and
    # per customer what SQL keeps on its row (customers.last_order_at, .has_test_order).
    orders: dict[str, Order] = attrs.Factory(dict)
    orders_by_number: dict[str, str] = attrs.Factory(dict)
    order_addresses: dict[str, tuple[_AddressRow, ...]] = attrs.Factory(dict)
    last_order_at: dict[str, datetime] = attrs.Factory(dict)
    has_test_order: set[str] = attrs.Factory(set)


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


class _Customers:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def get(self, customer_id: str) -> Customer | None:
        return self._d.customers.get(customer_id)

    def get_by_number(self, number: str) -> Customer | None:
        customer_id = self._d.customers_by_number.get(number)
        return None if customer_id is None else self._d.customers[customer_id]

    def search(
        self,
        *,
        text: str | None = None,
        group_id: str | None = None,
        kind: CustomerKind | None = None,
        after: str | None = None,
        limit: int,
    ) -> Sequence[Customer]:
        if any(v is not None and not searchable(v) for v in (text, group_id, after)):
            return []
        found: list[Customer] = []
        for customer_id in sorted(self._d.customers):
            customer = self._d.customers[customer_id]
            if after is not None and customer_id <= after:
                continue
            if group_id is not None and customer.group_id != group_id:
                continue
            if kind is not None and customer.kind is not kind:
                continue
            if text is not None and not customer_matches(customer, text):
                continue
            found.append(customer)
            if len(found) >= limit:
                break
        return found

    def _claim_number(self, customer: Customer, previous: Customer | None) -> None:
        old = previous.number if previous else None
        if customer.number == old:
            return
        if customer.number is not None:
            if not self._number_free(customer.number, customer.id):
                raise CustomerNumberTaken()
            self._j.put(self._d.customers_by_number, customer.number, customer.id)
        if old is not None:
            self._j.delete(self._d.customers_by_number, old)
            self._j.put(self._d.retired_numbers, old, customer.id)

    def _number_free(self, number: str, customer_id: str) -> bool:
        if number in self._d.customers_by_number:
            return False
        holder = self._d.retired_numbers.get(number)
        return holder is None or holder == customer_id

    def _check_group(self, customer: Customer) -> None:
        if customer.group_id is not None and customer.group_id not in self._d.groups:
            raise GroupNotFound()

    def add(self, customer: Customer) -> Customer:
        self._j._check()
        if customer.id in self._d.customers:
            raise ConflictError("A customer with this id exists already.")
        self._check_group(customer)
        self._claim_number(customer, None)
        self._j.put(self._d.customers, customer.id, customer)
        self._j.put(self._d.customer_sort_keys, customer.id, customer.sort_key)
        return customer

    def add_if_number_free(self, customer: Customer) -> Customer | None:
        self._j._check()
        if customer.number is not None and not self._number_free(customer.number, customer.id):
            return None
        return self.add(customer)

    def update(self, customer: Customer) -> Customer:
        self._j._check()
        stored = self._d.customers.get(customer.id)
        if stored is None:
            raise CustomerNotFound()
        if stored.version != customer.version:
            raise ConcurrentUpdate()
        self._check_group(customer)
        new = attrs.evolve(customer, version=customer.version + 1)
        self._claim_number(new, stored)
        self._j.put(self._d.customers, new.id, new)
        self._j.put(self._d.customer_sort_keys, new.id, new.sort_key)
        return new

    def remove(self, customer_id: str) -> None:
        self._j._check()
        stored = self._d.customers.get(customer_id)
        if stored is None:
            raise CustomerNotFound()
        if self._d.by_customer.get(customer_id):
            raise ConflictError("The customer still has members; remove them first.")
        _refuse_if_ordered(self._d, customer_id=customer_id)
        if stored.number is not None:
            self._j.delete(self._d.customers_by_number, stored.number)
            self._j.put(self._d.retired_numbers, stored.number, customer_id)
        self._j.delete(self._d.customers, customer_id)
        self._j.delete(self._d.customer_sort_keys, customer_id)


def _oldest_first(memberships: Iterable[Membership], *, by: str) -> list[Membership]:
    # Ties in time are broken by the other id, exactly as the SQL store orders them.
    if by == "customer":
        return sorted(memberships, key=lambda m: (m.assigned_at, m.customer_id))
    return sorted(memberships, key=lambda m: (m.assigned_at, m.user_id))


class _Memberships:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def for_user(self, user_id: str) -> Sequence[Membership]:
        return _oldest_first(self._d.by_user.get(user_id, {}).values(), by="customer")

    def for_customer(self, customer_id: str) -> Sequence[Membership]:
        return _oldest_first(self._d.by_customer.get(customer_id, {}).values(), by="user")

    def get(self, user_id: str, customer_id: str) -> Membership | None:
        return self._d.memberships.get((user_id, customer_id))

    def _check_active(self, membership: Membership) -> None:
        if not membership.active:
            return
        for other in self._d.by_user.get(membership.user_id, {}).values():
            if other.active and other.customer_id != membership.customer_id:
                raise ConflictError(
                    "The user already has an active company; switch instead of adding a "
                    "second active membership."
                )

    def _write(self, membership: Membership) -> None:
        key = (membership.user_id, membership.customer_id)
        self._j.put(self._d.memberships, key, membership)
        self._j.put(self._d.by_user.setdefault(membership.user_id, {}), key[1], membership)
        self._j.put(self._d.by_customer.setdefault(membership.customer_id, {}), key[0], membership)

    def add(self, membership: Membership, *, exclusive: bool) -> Membership:
        self._j._check()
        key = (membership.user_id, membership.customer_id)
        if membership.user_id not in self._d.users or membership.customer_id not in (
            self._d.customers
        ):
            raise NotFoundError("The user or the customer does not exist.")
        current = self._d.by_user.get(membership.user_id, {})
        if key in self._d.memberships:
            raise AlreadyMember(customer_id=membership.customer_id)
        if current and (exclusive or any(self._d.exclusive[key[0], c] for c in current)):
            raise MembershipConflict(customer_id=next(iter(current)))
        self._check_active(membership)
        self._write(membership)
        self._j.put(self._d.exclusive, key, exclusive)
        return membership

    def update(self, membership: Membership) -> Membership:
        self._j._check()
        stored = self._d.memberships.get((membership.user_id, membership.customer_id))
        if stored is None:
            raise MembershipNotFound()
        if stored.version != membership.version:
            raise ConcurrentUpdate()
        self._check_active(membership)
        # Only what may change after the assignment: the role and the active flag.
        new = attrs.evolve(
            stored, role=membership.role, active=membership.active, version=stored.version + 1
        )
        self._write(new)
        return new

    def remove(self, user_id: str, customer_id: str) -> None:
        self._j._check()
        key = (user_id, customer_id)
        if key not in self._d.memberships:
            raise MembershipNotFound()
        self._j.delete(self._d.memberships, key)
        self._j.delete(self._d.exclusive, key)
        self._j.delete(self._d.by_user[user_id], customer_id)
        self._j.delete(self._d.by_customer[customer_id], user_id)


class _Groups:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def get(self, group_id: str) -> CustomerGroup | None:
        return self._d.groups.get(group_id)

    def add(self, group: CustomerGroup) -> CustomerGroup:
        self._j._check()
        if group.id in self._d.groups:
            raise ConflictError("A group with this id exists already.")
        self._j.put(self._d.groups, group.id, group)
        return group

    def list(self) -> Sequence[CustomerGroup]:
        return sorted(self._d.groups.values(), key=lambda g: (g.name, g.id))


class _Events:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def append(self, event: Event) -> None:
        self._j._check()
        self._j.append(self._d.events, event)
        if event.user_id is not None:
            self._j.append(self._d.events_by_user.setdefault(event.user_id, []), event)
        if event.customer_id is not None:
            self._j.append(self._d.events_by_customer.setdefault(event.customer_id, []), event)

    def for_customer(self, customer_id: str) -> Sequence[Event]:
        return list(self._d.events_by_customer.get(customer_id, ()))

    def for_user(self, user_id: str) -> Sequence[Event]:
        return list(self._d.events_by_user.get(user_id, ()))


class _Consents:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def append(self, consent: Consent) -> None:
        self._j._check()
        check_consent(consent)
        _require_user(self._d, consent.user_id)
        if consent.id in self._d.consent_ids:
            raise ConflictError("A consent entry with this id exists.")
        self._j.put(self._d.consent_ids, consent.id, consent.user_id)
        self._j.append(self._d.consents.setdefault(consent.user_id, []), consent)

    def for_user(self, user_id: str) -> Sequence[Consent]:
        # As SQL orders them: by time, then by id (not by the order of the appends).
        mine = self._d.consents.get(user_id, []) if isinstance(user_id, str) else []
        return sorted(mine, key=lambda c: (c.at, c.id))


class _Sequences:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def next_value(self, name: str, *, start: int) -> int:
        self._j._check()
        current = self._d.sequences.get(name)
        value = start if current is None else max(current + 1, start)
        self._j.put(self._d.sequences, name, value)
        return value


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


# --- orders (issue 14) ---


@attrs.frozen
class _AddressRow:
    """One row of SQL's ``addresses`` table."""

    id: str
    order_id: str
    user_id: str | None
    role: AddressRole
    address: Address
    created_at: datetime


def _refuse_if_ordered(
    data: _Data, *, user_id: str | None = None, customer_id: str | None = None
) -> None:
    """What the SQL foreign keys from orders do: a user or customer with orders stays."""
    for order in data.orders.values():
        if user_id is not None and order.user_id == user_id:
            raise ConflictError("The user still has orders on record; they cannot be removed.")
        if customer_id is not None and order.customer_id == customer_id:
            raise ConflictError("The customer still has members; remove them first.")


def _newest_first(rows: Iterable[_AddressRow]) -> list[Address]:
    ordered = sorted(rows, key=lambda r: (r.created_at, r.order_id, r.id), reverse=True)
    return [row.address for row in ordered]


class _Orders:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self._d, self._j = data, journal

    def _put_addresses(self, order: Order) -> None:
        rows = tuple(
            _AddressRow(
                id=row_id,
                order_id=order.id,
                user_id=order.user_id,
                role=role,
                address=address,
                created_at=order.placed_at,
            )
            for row_id, role, address in address_rows(order)
        )
        if rows:
            self._j.put(self._d.order_addresses, order.id, rows)
        elif order.id in self._d.order_addresses:
            self._j.delete(self._d.order_addresses, order.id)

    def _customer_ordered(self, order: Order) -> None:
        customer_id = order.customer_id
        if not order.signed_in or customer_id is None:
            return
        last = self._d.last_order_at.get(customer_id)
        if last is None or last < order.placed_at:
            self._j.put(self._d.last_order_at, customer_id, order.placed_at)
        if order.test_order and customer_id not in self._d.has_test_order:
            self._j._check()
            flagged = self._d.has_test_order
            flagged.add(customer_id)
            self._j.undo.append(lambda: flagged.discard(customer_id))

    def add(self, order: Order) -> Order:
        self._j._check()
        order = check_order(order)
        if order.user_id is not None and order.user_id not in self._d.users:
            raise UserNotFound()
        if order.customer_id is not None and order.customer_id not in self._d.customers:
            raise CustomerNotFound()
        if order.id in self._d.orders or order.number in self._d.orders_by_number:
            raise OrderNumberTaken()
        self._j.put(self._d.orders, order.id, order)
        self._j.put(self._d.orders_by_number, order.number, order.id)
        self._put_addresses(order)
        self._customer_ordered(order)
        return order

    def get(self, order_id: str) -> Order | None:
        return self._d.orders.get(order_id) if isinstance(order_id, str) else None

    def get_by_number(self, number: str) -> Order | None:
        order_id = self._d.orders_by_number.get(number) if isinstance(number, str) else None
        return None if order_id is None else self._d.orders[order_id]

    def update(self, order: Order) -> Order:
        self._j._check()
        order = check_order(order)
        stored = self._d.orders.get(order.id)
        if stored is None:
            raise OrderNotFound()
        if stored.version != order.version:
            raise ConcurrentUpdate()
        new = attrs.evolve(
            stored,
            status=order.status,
            guest=order.guest,
            billing=order.billing,
            shipping=order.shipping,
            erased=order.erased,
            updated_at=order.updated_at,
            version=stored.version + 1,
        )
        self._j.put(self._d.orders, new.id, new)
        if (new.billing, new.shipping) != (stored.billing, stored.shipping):
            self._put_addresses(new)
        return new

    def for_user(self, user_id: str) -> Sequence[Order]:
        mine = [o for o in self._d.orders.values() if o.user_id == user_id]
        return sorted(mine, key=lambda o: (o.placed_at, o.id))

    def addresses_for_user(self, user_id: str) -> Sequence[Address]:
        return _newest_first(
            row
            for rows in self._d.order_addresses.values()
            for row in rows
            if row.user_id == user_id
        )


# --- reports (issue 14) ---------------------------------------------------------------------
# The read models' operations, with the meaning the SQL store gives them: pages of the
# history in append order, the customer overview per row kind, a customer's orders.


class _ReportEvents(_Events):
    def _page(self, events: Sequence[Event], after: str | None, limit: int) -> Sequence[Event]:
        start = 0
        if after is not None:
            position = self._d.event_positions.get(after) if isinstance(after, str) else None
            if position is None:
                return []
            # Events of one owner are in append order, so their global positions grow.
            positions = self._d.event_positions
            start = bisect.bisect_right(events, position, key=lambda e: positions[e.id])
            if start == 0 or events[start - 1].id != after:
                return []
        return list(events[start : start + limit])

    def append(self, event: Event) -> None:
        super().append(event)
        self._j.put(self._d.event_positions, event.id, len(self._d.events) - 1)

    def page_for_customer(
        self, customer_id: str, *, after: str | None, limit: int
    ) -> Sequence[Event]:
        mine = (
            self._d.events_by_customer.get(customer_id, []) if isinstance(customer_id, str) else []
        )
        return self._page(mine, after, limit)

    def page_for_user(self, user_id: str, *, after: str | None, limit: int) -> Sequence[Event]:
        mine = self._d.events_by_user.get(user_id, []) if isinstance(user_id, str) else []
        return self._page(mine, after, limit)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _overview_rank(date: datetime | None, key: str, id_: str) -> tuple[int, int, str, str]:
    """A row's place in the customer overview: dated rows newest first, then undated ones;
    then the sort key and the id in code point order (as SQL compares them)."""
    if date is None:
        return (1, 0, key, id_)
    return (0, -((date - _EPOCH) // timedelta(microseconds=1)), key, id_)


def _after(
    entries: Iterable[OverviewEntry], after: OverviewKey | None, *, or_equal: bool = False
) -> list[OverviewEntry]:
    ranked = sorted(entries, key=lambda e: _overview_rank(e.date, e.sort_key, e.id))
    if after is None:
        return ranked
    bound = _overview_rank(after.date, after.sort_key, after.id)
    return [
        e
        for e in ranked
        if (rank := _overview_rank(e.date, e.sort_key, e.id)) > bound
        or (or_equal and rank == bound)
    ]


class _ReportCustomers(_Customers):
    def overview(
        self,
        *,
        after: OverviewKey | None,
        text: str | None = None,
        group_id: str | None = None,
        limit: int,
    ) -> Sequence[OverviewEntry]:
        if any(v is not None and not searchable(v) for v in (text, group_id)):
            return []
        d = self._d
        entries = (
            OverviewEntry(
                d.last_order_at.get(c.id),
                d.customer_sort_keys[c.id],
                c.id,
                c.number,
                c.name,
                None,
                c.id in d.has_test_order,
            )
            for c in d.customers.values()
            if (group_id is None or c.group_id == group_id)
            and (text is None or customer_matches(c, text))
        )
        return _after(entries, after)[:limit]


def _guest_entry(order: Order) -> OverviewEntry:
    guest = order.guest
    given, family, email = (
        ("", "", None) if guest is None else (guest.given_name, guest.family_name, guest.email)
    )
    name = " ".join(part for part in (given, family) if part)
    return OverviewEntry(
        order.placed_at, sort_key(family), order.id, order.number, name, email, order.test_order
    )


def _guest_matches(order: Order, text: str) -> bool:
    guest = order.guest
    return guest is not None and any(
        text in value for value in (guest.given_name, guest.family_name, guest.email)
    )


class _ReportOrders(_Orders):
    def guest_overview(
        self,
        *,
        after: OverviewKey | None,
        or_equal: bool = False,
        text: str | None = None,
        limit: int,
    ) -> Sequence[OverviewEntry]:
        if text is not None and not searchable(text):
            return []
        entries = (
            _guest_entry(o)
            for o in self._d.orders.values()
            if not o.signed_in and (text is None or _guest_matches(o, text))
        )
        return _after(entries, after, or_equal=or_equal)[:limit]

    def _signed_in(self, customer_id: str) -> list[Order]:
        return [o for o in self._d.orders.values() if o.customer_id == customer_id and o.signed_in]

    def totals_for_customer(self, customer_id: str) -> Sequence[CurrencyTotal]:
        sums: dict[str, tuple[Decimal, int]] = {}
        for order in self._signed_in(customer_id):
            total, count = sums.get(order.currency, (Decimal(0), 0))
            sums[order.currency] = (total + order.total, count + 1)
        return [CurrencyTotal(code, *sums[code]) for code in sorted(sums)]

    def page_for_customer(
        self, customer_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Order]:
        newest = sorted(
            self._signed_in(customer_id), key=lambda o: (o.placed_at, o.id), reverse=True
        )
        if after is not None:
            newest = [o for o in newest if (o.placed_at, o.id) < after]
        return newest[:limit]

    def latest(self, customer_id: str, n: int) -> Sequence[Order]:
        return self.page_for_customer(customer_id, after=None, limit=n)


class _MemoryTransaction:
    def __init__(self, data: _Data, journal: _Journal) -> None:
        self.journal = journal
        self.readonly = journal.readonly
        self.users = _Users(data, journal)
        self.customers = _ReportCustomers(data, journal)
        self.memberships = _Memberships(data, journal)
        self.groups = _Groups(data, journal)
        self.events = _ReportEvents(data, journal)
        self.consents = _Consents(data, journal)
        self.orders = _ReportOrders(data, journal)
        self.sequences = _Sequences(data, journal)
        self.tokens = _Tokens(data, journal)
        self.sessions = _Sessions(data, journal)
        self.login_codes = _LoginCodes(data, journal)
        self.attempts = _Attempts(data, journal)


class MemoryStore:
    """A store in process memory, with the same meaning as :class:`SqlStore`.

    Transactions are serialised by one lock, so it is safe across threads (not across
    processes). A transaction that raises is undone completely; a unit nested inside
    another is undone alone when it raises (a savepoint), and the outer one goes on.

    Example:
        >>> from accountkit import AccountKit
        >>> kit = AccountKit(store=MemoryStore(), secret_keys=["k" * 32])
    """

    def __init__(self) -> None:
        self._data = _Data()
        self._lock = threading.RLock()
        self._active: _MemoryTransaction | None = None
        self._closed = False

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[_MemoryTransaction]:
        """Open a unit of work; see :meth:`accountkit.storage.Store.transaction`.

        A unit opened inside another on the same thread joins the outer one; when it
        raises, only its own writes are undone. A read-only unit refuses every write.

        Raises:
            StoreClosed: The store was closed.
            ReadOnlyUnit: A write unit opened inside a read-only one, or a write made in a
                read-only unit.
        """
        with self._lock:
            if self._closed:
                raise StoreClosed()
            outer = self._active
            if outer is not None:
                if outer.readonly and not readonly:
                    raise ReadOnlyUnit(
                        "A write was started inside a read-only unit of work; open the outer "
                        "unit without readonly=True."
                    )
                journal = _Journal(outer.journal.undo, readonly=outer.readonly or readonly)
                mark = len(journal.undo)
                self._active = _MemoryTransaction(self._data, journal)
                try:
                    yield self._active
                except BaseException:
                    journal.rollback(mark)
                    raise
                finally:
                    self._active = outer
                return
            journal = _Journal(readonly=readonly)
            self._active = _MemoryTransaction(self._data, journal)
            try:
                yield self._active
            except BaseException:
                journal.rollback()
                raise
            finally:
                self._active = None

    def close(self) -> None:
        """Drop the data; afterwards every unit of work raises :class:`StoreClosed`."""
        with self._lock:
            self._closed = True
            self._data = _Data()
