"""SqlStore: the storage contract on SQLAlchemy 2 Core, for SQLite and PostgreSQL.

One implementation serves both databases. The database enforces the invariants itself
(unique constraints and partial unique indexes, see ``_schema.py``); this module turns
their violations into accountkit's errors, and every other database error into a
:class:`~accountkit.errors.StorageError` subclass, with ``raise ... from``.

SQLite: WAL journal, foreign keys on, a busy timeout; write transactions start with
``BEGIN IMMEDIATE`` so that two writers queue for the lock instead of deadlocking on the
upgrade from a read lock (which SQLite reports at once as "database is locked").
PostgreSQL: psycopg 3, READ COMMITTED; races end in a unique violation or in an
optimistic-version mismatch, never in a silent overwrite.
"""

from __future__ import annotations

import collections
import contextlib
import json
import math
import os
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy import bindparam, event
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.pool import StaticPool

from accountkit.domain import (
    Actor,
    Address,
    AttemptWindow,
    Consent,
    ContactPurpose,
    Customer,
    CustomerGroup,
    CustomerKind,
    DocumentContact,
    DocumentKind,
    Event,
    EventKind,
    IssuedToken,
    LoginCode,
    Membership,
    PurchaseConditions,
    Session,
    SignInMethod,
    User,
    UserStatus,
    UserTier,
)
from accountkit.domain.customers import role_value
from accountkit.domain.money import CURRENCY_MINOR_UNITS
from accountkit.domain.orders import GuestContact, Order, OrderStatus, sort_key
from accountkit.domain.validation import _ASCII_LOWER, email_key
from accountkit.errors import (
    AccountKitError,
    AlreadyMember,
    CannotOpenDatabase,
    ConcurrentUpdate,
    ConflictError,
    CustomerNotFound,
    CustomerNumberTaken,
    DamagedSchema,
    DatabaseBusy,
    DatabaseCorrupt,
    DatabaseUnavailable,
    EmailTaken,
    GroupNotFound,
    InvalidValue,
    MembershipConflict,
    MembershipNotFound,
    NotFoundError,
    OrderNotFound,
    OrderNumberTaken,
    ReadOnlyUnit,
    SchemaTooNew,
    StorageError,
    StoreClosed,
    TableConflict,
    UnitAborted,
    UnknownRevision,
    UnsupportedDatabase,
    UserNotFound,
)
from accountkit.storage import _migrate
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
    minor_units,
    window_cutoff,
)
from accountkit.storage._protocols import CurrencyTotal, OverviewEntry, OverviewKey
from accountkit.storage._schema import HEAD_REVISION, Tables, build_tables
from accountkit.storage._sqltypes import UtcDateTime

__all__ = ["SqlStore", "SqlTransaction", "migrate"]

_BEGIN_KEY = "accountkit_begin"
_BULK_CHUNK = 1000

# A larger page cache than SQLite's 2 MiB default, and reads through a memory map: with a
# million users the e-mail index no longer fits the default cache, and every lookup and
# insert then pays for page reads (docs/performance.md).
_SQLITE_FILE_PRAGMAS = ("PRAGMA cache_size = -32768", "PRAGMA mmap_size = 268435456")


# --- errors -------------------------------------------------------------------------------


class _DriverError(Exception):
    """What a database error was, without its statement's parameters or the row's values.

    Translated errors carry this as ``__cause__`` instead of the driver's exception: that one
    quotes the bound parameters (SQLAlchemy) and the clashing key (PostgreSQL's ``DETAIL:
    Key (email_key)=(...)``), which are personal data, and a ``logger.exception()`` of the
    translated error prints its whole chain.
    """


def _cause(exc: BaseException) -> _DriverError:
    orig = getattr(exc, "orig", None) or exc
    kind = type(orig)
    parts = [f"{kind.__module__}.{kind.__qualname__}"]
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        parts.append(f"sqlstate {sqlstate}")
    constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
    if constraint:
        parts.append(f"constraint {constraint}")
    if isinstance(orig, sqlite3.Error):
        # SQLite's messages name tables, columns and constraints, never bound values.
        parts.append(str(orig))
    return _DriverError(", ".join(parts))


# PostgreSQL's serialization failure and deadlock: another writer won; nothing was written.
_LOST_RACE = frozenset({"40001", "40P01"})


def _translate(exc: BaseException) -> AccountKitError:
    """Map a database error to accountkit's; the message never quotes data."""
    orig = getattr(exc, "orig", exc)
    text = str(orig or exc).lower()
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return DatabaseUnavailable()
    if getattr(orig, "sqlstate", None) in _LOST_RACE:
        return ConcurrentUpdate()
    if "database is locked" in text or "database table is locked" in text:
        return DatabaseBusy()
    if "file is not a database" in text or "malformed" in text or "not a database" in text:
        return DatabaseCorrupt()
    if "unable to open database file" in text:
        return CannotOpenDatabase()
    if getattr(orig, "sqlstate", None) in ("42P07", "42710") or (
        isinstance(orig, sqlite3.Error) and "already exists" in text
    ):
        return TableConflict()
    if isinstance(exc, sa.exc.NoSuchModuleError | sa.exc.ArgumentError):
        return UnsupportedDatabase()
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return DatabaseUnavailable()
    if isinstance(exc, sqlite3.OperationalError):
        return DatabaseUnavailable()
    return StorageError()


@contextlib.contextmanager
def _translating() -> Iterator[None]:
    try:
        yield
    except AccountKitError:
        raise
    except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:
        raise _translate(exc) from _cause(exc)
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("psycopg", "psycopg_binary"):
            raise _translate(exc) from _cause(exc)
        raise


def _bindable(value: object) -> bool:
    """Whether a looked-up key can reach the database: text without NUL, valid UTF-8.

    A key that cannot (a NUL, a lone surrogate, not text) names nothing, so lookups answer
    "not found" for it, as MemoryStore does, instead of a driver error.
    """
    if type(value) is not str:
        return False
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _constraint(exc: sa.exc.IntegrityError) -> str:
    """Name the violated constraint: PostgreSQL names it; SQLite lists its columns."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return str(name if name else exc.orig).lower()


def _is_foreign_key(exc: sa.exc.IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "foreign key" in text or "_fkey" in _constraint(exc)


# --- row <-> record -------------------------------------------------------------------------
# Reads select explicit column lists, and the mappers unpack rows in that order, so a raw
# DBAPI tuple and a SQLAlchemy Row map the same way (see _RawReader).

USER_COLUMNS = (
    "id",
    "tier",
    "status",
    "email",
    "email_key",
    "given_name",
    "family_name",
    "birth_date",
    "phone",
    "password_hash",
    "email_verified_at",
    "must_complete_profile",
    "profile",
    "security_version",
    "version",
    "created_at",
    "updated_at",
)
CUSTOMER_COLUMNS = (
    "id",
    "kind",
    "name",
    "number",
    "group_id",
    "price_list_id",
    "discount",
    "document_contacts",
    "note",
    "channel",
    "vat_id",
    "bill_to",
    "ship_to",
    "surname",
    "version",
    "created_at",
    "updated_at",
)
MEMBERSHIP_COLUMNS = (
    "user_id",
    "customer_id",
    "role",
    "is_active",
    "is_exclusive",
    "assigned_by_kind",
    "assigned_by_id",
    "assigned_at",
    "version",
)
GROUP_COLUMNS = ("id", "name", "price_list_id", "assortment", "created_at")
CONSENT_COLUMNS = ("id", "user_id", "purpose", "granted", "at", "source", "wording_version")
EVENT_COLUMNS = ("id", "at", "actor_kind", "actor_id", "kind", "user_id", "customer_id", "data")
ISSUED_TOKEN_COLUMNS = ("token_id", "user_id", "purpose", "issued_at", "note")
SESSION_COLUMNS = ("id", "user_id", "method", "security_version", "created_at", "last_seen_at")
LOGIN_CODE_COLUMNS = ("id", "user_id", "code_hash", "created_at", "expires_at", "failures")
ATTEMPT_COLUMNS = ("key", "started_at", "failures")


def _user_values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "tier": user.tier.value,
        "status": user.status.value,
        "email": user.email,
        "email_key": email_key(user.email) if user.email else None,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "birth_date": user.birth_date,
        "phone": user.phone,
        "password_hash": user.password_hash,
        "email_verified_at": user.email_verified_at,
        "must_complete_profile": user.must_complete_profile,
        "profile": (
            json.dumps(dict(user.profile), sort_keys=True, ensure_ascii=False)
            if user.profile
            else "{}"
        ),
        "security_version": user.security_version,
        "version": user.version,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def _user(row: Sequence[Any]) -> User:
    (
        id_,
        tier,
        status,
        email,
        _key,
        given_name,
        family_name,
        birth_date,
        phone,
        password_hash,
        email_verified_at,
        must_complete,
        profile,
        security_version,
        version,
        created_at,
        updated_at,
    ) = row
    return User(
        id=id_,
        tier=UserTier(tier),
        status=UserStatus(status),
        email=email,
        given_name=given_name,
        family_name=family_name,
        birth_date=birth_date,
        phone=phone,
        password_hash=password_hash,
        email_verified_at=email_verified_at,
        must_complete_profile=bool(must_complete),
        profile=json.loads(profile),
        security_version=security_version,
        version=version,
        created_at=created_at,
        updated_at=updated_at,
    )


def _customer_values(customer: Customer) -> dict[str, Any]:
    contacts = [
        {"kind": c.kind.value, "email": c.email, "contact_person": c.contact_person}
        for c in customer.document_contacts
    ]
    return {
        "id": customer.id,
        "kind": customer.kind.value,
        "name": customer.name,
        "number": customer.number,
        "group_id": customer.group_id,
        "price_list_id": customer.conditions.price_list_id,
        "discount": str(customer.conditions.discount),
        "document_contacts": json.dumps(contacts, ensure_ascii=False),
        "note": customer.note,
        "channel": customer.channel,
        "vat_id": customer.vat_id,
        "bill_to": _address_json(customer.bill_to),
        "ship_to": _address_json(customer.ship_to),
        "surname": customer.surname,
        # Not read back (the record computes it); kept for the overview's index.
        "sort_key": customer.sort_key,
        "version": customer.version,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }


_ADDRESS_FIELDS = tuple(field.name for field in attrs.fields(Address))


def _json_text(value: object) -> str:
    # ASCII escapes: any Python text comes back exactly, as from MemoryStore, also a NUL or
    # a lone surrogate that neither database could hold as it is. Sorted keys: one text for
    # one value.
    return json.dumps(value, sort_keys=True, ensure_ascii=True)


def _address_json(address: Address | None) -> str | None:
    if address is None:
        return None
    return _json_text({name: getattr(address, name) for name in _ADDRESS_FIELDS})


def _address(text: str | None) -> Address | None:
    return None if text is None else Address(**json.loads(text))


def _customer(row: Sequence[Any]) -> Customer:
    (
        id_,
        kind,
        name,
        number,
        group_id,
        price_list_id,
        discount,
        contacts,
        note,
        channel,
        vat_id,
        bill_to,
        ship_to,
        surname,
        version,
        created_at,
        updated_at,
    ) = row
    return Customer(
        id=id_,
        kind=CustomerKind(kind),
        name=name,
        number=number,
        group_id=group_id,
        conditions=PurchaseConditions(price_list_id=price_list_id, discount=Decimal(discount)),
        document_contacts=tuple(
            DocumentContact(
                kind=DocumentKind(c["kind"]), email=c["email"], contact_person=c["contact_person"]
            )
            for c in json.loads(contacts)
        ),
        note=note,
        channel=channel,
        vat_id=vat_id,
        bill_to=_address(bill_to),
        ship_to=_address(ship_to),
        surname=surname,
        version=version,
        created_at=created_at,
        updated_at=updated_at,
    )


def _membership_values(membership: Membership, exclusive: bool) -> dict[str, Any]:
    return {
        "user_id": membership.user_id,
        "customer_id": membership.customer_id,
        "role": str(membership.role),
        "is_active": membership.active,
        "is_exclusive": exclusive,
        "assigned_by_kind": membership.assigned_by.kind.value,
        "assigned_by_id": membership.assigned_by.id,
        "assigned_at": membership.assigned_at,
        "version": membership.version,
    }


def _membership(row: Sequence[Any]) -> Membership:
    user_id, customer_id, role, active, _exclusive, by_kind, by_id, assigned_at, version = row
    return Membership(
        user_id=user_id,
        customer_id=customer_id,
        role=role_value(role),
        active=bool(active),
        assigned_by=Actor._restore(by_kind, by_id),
        assigned_at=assigned_at,
        version=version,
    )


def _group_values(group: CustomerGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "price_list_id": group.price_list_id,
        "assortment": None if group.assortment is None else _json_text(sorted(group.assortment)),
        "created_at": group.created_at,
    }


def _group(row: Sequence[Any]) -> CustomerGroup:
    id_, name, price_list_id, assortment, created_at = row
    return CustomerGroup(
        id=id_,
        name=name,
        price_list_id=price_list_id,
        assortment=None if assortment is None else json.loads(assortment),
        created_at=created_at,
    )


def _event_values(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at,
        "actor_kind": event.actor.kind.value,
        "actor_id": event.actor.id,
        "kind": event.kind.value,
        "user_id": event.user_id,
        "customer_id": event.customer_id,
        "data": json.dumps(dict(event.data), sort_keys=True, ensure_ascii=False),
    }


def _event(row: Sequence[Any]) -> Event:
    id_, at, actor_kind, actor_id, kind, user_id, customer_id, data = row
    return Event(
        id=id_,
        at=at,
        actor=Actor._restore(actor_kind, actor_id),
        kind=EventKind(kind),
        user_id=user_id,
        customer_id=customer_id,
        data=json.loads(data),
    )


def _consent_values(consent: Consent) -> dict[str, Any]:
    return {
        "id": consent.id,
        "user_id": consent.user_id,
        "purpose": consent.purpose.value,
        "granted": consent.granted,
        "at": consent.at,
        "source": consent.source,
        "wording_version": consent.wording_version,
    }


def _consent(row: Sequence[Any]) -> Consent:
    id_, user_id, purpose, granted, at, source, wording_version = row
    return Consent(
        id=id_,
        user_id=user_id,
        purpose=ContactPurpose(purpose),
        granted=bool(granted),
        at=at,
        source=source,
        wording_version=wording_version,
    )


def _issued_token(row: Sequence[Any]) -> IssuedToken:
    token_id, user_id, purpose, issued_at, note = row
    return IssuedToken(
        token_id=token_id, user_id=user_id, purpose=purpose, issued_at=issued_at, note=note
    )


def _session_values(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "user_id": session.user_id,
        "method": session.method.value,
        "security_version": session.security_version,
        "created_at": session.created_at,
        "last_seen_at": session.last_seen_at,
    }


def _session(row: Sequence[Any]) -> Session:
    id_, user_id, method, security_version, created_at, last_seen_at = row
    return Session(
        id=id_,
        user_id=user_id,
        method=SignInMethod(method),
        security_version=security_version,
        created_at=created_at,
        last_seen_at=last_seen_at,
    )


def _login_code(row: Sequence[Any]) -> LoginCode:
    id_, user_id, code_hash, created_at, expires_at, failures = row
    return LoginCode(
        id=id_,
        user_id=user_id,
        code_hash=code_hash,
        created_at=created_at,
        expires_at=expires_at,
        failures=failures,
    )


def _attempt(row: Sequence[Any]) -> AttemptWindow:
    key, started_at, failures = row
    return AttemptWindow(key=key, started_at=started_at, failures=failures)


# --- statements, built once per store -------------------------------------------------------


def _select(table: sa.Table, columns: Sequence[str]) -> sa.Select[Any]:
    return sa.select(*(table.c[name] for name in columns))


class _Statements:
    """Every statement the repositories run, built once so that calls only bind values.

    Reads are named in READS; :class:`_RawReader` compiles exactly those to SQL text once.
    """

    READS = (
        "user_by_id",
        "user_by_email",
        "user_count",
        "user_search",
        "customer_by_id",
        "customer_by_number",
        "customer_search",
        "memberships_of_user",
        "memberships_of_customer",
        "membership",
        "group_by_id",
        "groups_all",
        "events_of_user",
        "events_of_customer",
        "consents_of_user",
        "token_used",
        "token_current",
        "session_with_user",
        "sessions_of_user",
        "login_code",
        "attempt",
        # orders (issue 14): built by _order_statements
        "order_by_id",
        "order_by_number",
        "orders_of_user",
        "addresses_of_user",
        # The reports (issue 14): see _report_statements.
        "events_page_of_customer",
        "events_page_of_customer_after",
        "events_page_of_user",
        "events_page_of_user_after",
        "overview_customers_dated",
        "overview_customers_dated_after",
        "overview_customers_undated",
        "overview_customers_undated_after",
        "overview_guest_orders",
        "overview_guest_orders_after",
        "overview_guest_orders_from",
        "order_totals_of_customer",
        "orders_page_of_customer",
        "orders_page_of_customer_after",
    )

    def __init__(self, t: Tables, dialect: str) -> None:
        insert = sqlite_dialect.insert if dialect == "sqlite" else pg_dialect.insert
        u, c, m = t.users, t.customers, t.memberships
        self.user_by_id = _select(u, USER_COLUMNS).where(u.c.id == bindparam("id"))
        self.user_by_email = _select(u, USER_COLUMNS).where(u.c.email_key == bindparam("key"))
        self.user_exists = sa.select(u.c.id).where(u.c.id == bindparam("id"))
        # FOR UPDATE serialises a user's membership changes on PostgreSQL; SQLite renders
        # none, since its write units hold the database's one write lock already.
        self.user_lock = self.user_by_id.with_for_update()
        self.user_insert = sa.insert(u)
        self.user_update = (
            sa.update(u)
            .where(u.c.id == bindparam("b_id"), u.c.version == bindparam("b_version"))
            .values({name: bindparam(name) for name in USER_COLUMNS if name != "id"})
        )
        self.user_count = sa.select(sa.func.count()).select_from(u)
        # Search: one statement per kind, a NULL parameter switching its filter off.
        # instr()/strpos() match the exact characters (LIKE would need escaping, and
        # SQLite's LIKE folds ASCII case); ids are one prefix and lower-case hex of one
        # length, so every collation orders them as Python does.
        find = sa.func.instr if dialect == "sqlite" else sa.func.strpos

        def arg(name: str) -> sa.Cast[str]:
            return sa.cast(bindparam(name), sa.String)

        def has(column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
            # A literal 0, not a bound one: the raw read path binds only named parameters.
            return find(column, arg(name)) > sa.literal_column("0")

        self.user_search = (
            _select(u, USER_COLUMNS)
            .where(
                sa.or_(arg("after").is_(None), u.c.id > arg("after")),
                sa.or_(arg("tier").is_(None), u.c.tier == arg("tier")),
                sa.or_(arg("status").is_(None), u.c.status == arg("status")),
                sa.or_(
                    arg("t").is_(None),
                    has(u.c.email_key, "tl"),
                    has(u.c.given_name, "t"),
                    has(u.c.family_name, "t"),
                ),
            )
            .order_by(u.c.id)
            # SQLite renders LIMIT with an OFFSET; both named, for the raw read path.
            .limit(bindparam("n"))
            .offset(bindparam("skip"))
        )
        self.customer_by_id = _select(c, CUSTOMER_COLUMNS).where(c.c.id == bindparam("id"))
        self.customer_by_number = _select(c, CUSTOMER_COLUMNS).where(
            c.c.number == bindparam("number")
        )
        self.customer_exists = sa.select(c.c.id).where(c.c.id == bindparam("id"))
        self.customer_search = (
            _select(c, CUSTOMER_COLUMNS)
            .where(
                sa.or_(arg("after").is_(None), c.c.id > arg("after")),
                sa.or_(arg("group").is_(None), c.c.group_id == arg("group")),
                sa.or_(arg("kind").is_(None), c.c.kind == arg("kind")),
                sa.or_(arg("t").is_(None), has(c.c.name, "t"), has(c.c.number, "t")),
            )
            .order_by(c.c.id)
            .limit(bindparam("n"))
            .offset(bindparam("skip"))
        )
        self.customer_insert = sa.insert(c)
        # A clash on the number inserts nothing and returns no row, without aborting the
        # transaction (PostgreSQL aborts it on a unique violation).
        self.customer_insert_if_number_free = (
            insert(c).on_conflict_do_nothing(index_elements=[c.c.number]).returning(c.c.id)
        )
        self.customer_update = (
            sa.update(c)
            .where(c.c.id == bindparam("b_id"), c.c.version == bindparam("b_version"))
            .values(
                {name: bindparam(name) for name in (*CUSTOMER_COLUMNS, "sort_key") if name != "id"}
            )
        )
        order = (m.c.assigned_at, m.c.customer_id)
        self.memberships_of_user = (
            _select(m, MEMBERSHIP_COLUMNS).where(m.c.user_id == bindparam("u")).order_by(*order)
        )
        self.memberships_of_customer = (
            _select(m, MEMBERSHIP_COLUMNS)
            .where(m.c.customer_id == bindparam("c"))
            .order_by(m.c.assigned_at, m.c.user_id)
        )
        self.membership = _select(m, MEMBERSHIP_COLUMNS).where(
            m.c.user_id == bindparam("u"), m.c.customer_id == bindparam("c")
        )
        self.membership_insert = sa.insert(m)
        # Only the role and the active flag change after an assignment; the version check
        # turns a concurrent change into ConcurrentUpdate instead of a silent overwrite.
        self.membership_update = (
            sa.update(m)
            .where(
                m.c.user_id == bindparam("u"),
                m.c.customer_id == bindparam("c"),
                m.c.version == bindparam("b_version"),
            )
            .values(
                role=bindparam("role"),
                is_active=bindparam("is_active"),
                version=bindparam("version"),
            )
        )
        self.membership_delete = sa.delete(m).where(
            m.c.user_id == bindparam("u"), m.c.customer_id == bindparam("c")
        )
        g = t.groups
        self.group_by_id = _select(g, GROUP_COLUMNS).where(g.c.id == bindparam("id"))
        self.group_insert = sa.insert(g)
        # Sorted in Python (code point order), not by the database's collation.
        self.groups_all = _select(g, GROUP_COLUMNS)
        e = t.events
        self.event_insert = sa.insert(e)
        self.events_of_user = (
            _select(e, EVENT_COLUMNS).where(e.c.user_id == bindparam("u")).order_by(e.c.seq)
        )
        self.events_of_customer = (
            _select(e, EVENT_COLUMNS).where(e.c.customer_id == bindparam("c")).order_by(e.c.seq)
        )
        co = t.consents
        self.consent_insert = sa.insert(co)
        # Ordered in Python by (at, id), ids in code point order, not the database's collation.
        self.consents_of_user = _select(co, CONSENT_COLUMNS).where(co.c.user_id == bindparam("u"))
        s = t.sequences
        self.sequence_next = (
            sa.update(s)
            .where(s.c.name == bindparam("b_name"))
            .values(
                value=sa.case(
                    (s.c.value + 1 > bindparam("b_start"), s.c.value + 1),
                    else_=bindparam("b_start"),
                )
            )
            .returning(s.c.value)
        )
        self.sequence_create = insert(s).on_conflict_do_nothing(index_elements=[s.c.name])
        k = t.used_tokens
        # RETURNING tells whether the row went in: psycopg reports no row count for
        # INSERT ... ON CONFLICT DO NOTHING.
        self.token_use = (
            insert(k).on_conflict_do_nothing(index_elements=[k.c.token_id]).returning(k.c.token_id)
        )
        self.token_used = sa.select(k.c.token_id).where(k.c.token_id == bindparam("id"))
        it = t.issued_tokens
        self.token_current = _select(it, ISSUED_TOKEN_COLUMNS).where(
            it.c.user_id == bindparam("u"), it.c.purpose == bindparam("purpose")
        )
        # A new token of a purpose takes the old one's place, in one statement.
        token_issue = insert(it)
        self.token_issue = token_issue.on_conflict_do_update(
            index_elements=[it.c.user_id, it.c.purpose],
            set_={name: token_issue.excluded[name] for name in ("token_id", "issued_at", "note")},
        )
        se = t.sessions
        # The per-request read: the session and its user by the session's primary key,
        # in one statement (one round trip, one index probe on each table).
        self.session_with_user = (
            sa.select(*(se.c[n] for n in SESSION_COLUMNS), *(u.c[n] for n in USER_COLUMNS))
            .select_from(se.join(u, se.c.user_id == u.c.id))
            .where(se.c.id == bindparam("id"))
        )
        # Ordered in Python (code point order of ids), not by the database's collation.
        self.sessions_of_user = _select(se, SESSION_COLUMNS).where(se.c.user_id == bindparam("u"))
        self.session_insert = sa.insert(se)
        self.session_touch = (
            sa.update(se).where(se.c.id == bindparam("b_id")).values(last_seen_at=bindparam("at"))
        )
        self.session_delete = sa.delete(se).where(se.c.id == bindparam("id"))
        self.sessions_delete_of_user = sa.delete(se).where(se.c.user_id == bindparam("u"))
        lc = t.login_codes
        self.login_code = _select(lc, LOGIN_CODE_COLUMNS).where(lc.c.user_id == bindparam("u"))
        code_put = insert(lc)
        self.login_code_put = code_put.on_conflict_do_update(
            index_elements=[lc.c.user_id],
            set_={
                name: code_put.excluded[name] for name in LOGIN_CODE_COLUMNS if name != "user_id"
            },
        )
        # One statement: concurrent failures each add one under the row lock (no lost update).
        self.login_code_failure = (
            sa.update(lc)
            .where(lc.c.user_id == bindparam("u"), lc.c.id == bindparam("c"))
            .values(failures=lc.c.failures + 1)
            .returning(lc.c.failures)
        )
        self.login_code_take = sa.delete(lc).where(
            lc.c.user_id == bindparam("u"), lc.c.id == bindparam("c")
        )
        a = t.attempts
        self.attempt = _select(a, ATTEMPT_COLUMNS).where(a.c.key == bindparam("b_key"))
        # One statement, so that concurrent failures (also the first ones, racing to insert
        # the key) each count. A window that ended (its start at or before ``at - window``;
        # NULL, so never, when that is before the first representable time) starts again at
        # ``at`` with one failure; SET reads the row as it was, in both databases, so both
        # CASEs test the old start.
        attempt_insert = insert(a)
        ended = a.c.started_at <= bindparam("b_ended", type_=UtcDateTime)
        self.attempt_failure = attempt_insert.on_conflict_do_update(
            index_elements=[a.c.key],
            set_={
                "started_at": sa.case(
                    (ended, attempt_insert.excluded.started_at), else_=a.c.started_at
                ),
                "failures": sa.case((ended, 1), else_=a.c.failures + 1),
            },
        ).returning(*(a.c[n] for n in ATTEMPT_COLUMNS))
        self.attempt_clear = sa.delete(a).where(a.c.key == bindparam("b_key"))
        # Removal of a user (a rejected request): their rows in the tables whose foreign
        # keys point at users (none cascades), then the user.
        self.user_delete = sa.delete(u).where(u.c.id == bindparam("id"))
        self.memberships_delete_of_user = sa.delete(m).where(m.c.user_id == bindparam("u"))
        self.login_code_delete_of_user = sa.delete(lc).where(lc.c.user_id == bindparam("u"))
        self.tokens_delete_of_user = sa.delete(it).where(it.c.user_id == bindparam("u"))
        self.consents_delete_of_user = sa.delete(co).where(co.c.user_id == bindparam("u"))
        # FOR UPDATE: a customer's update or removal reads the number it gives up and
        # writes in one go on PostgreSQL too (SQLite's write unit holds the lock already).
        self.customer_lock = self.customer_by_id.with_for_update()
        self.customer_delete = sa.delete(c).where(c.c.id == bindparam("id"))
        self.customer_has_members = (
            sa.select(m.c.user_id).where(m.c.customer_id == bindparam("c")).limit(1)
        )
        n = t.customer_numbers
        # One namespace for live and retired numbers: a claim inserts the number's row, or
        # takes back a number this customer gave up; any other holder, live or retired,
        # leaves the row as it is and the statement returns no row. A primary key rather
        # than a check before the write, so concurrent claims and retirements of one
        # number meet on one row (the later one waits for the earlier to commit).
        claim = insert(n)
        self.number_claim = claim.on_conflict_do_update(
            index_elements=[n.c.number],
            set_={"live": True, "retired_at": None},
            where=sa.and_(n.c.customer_id == claim.excluded.customer_id, sa.not_(n.c.live)),
        ).returning(n.c.number)
        # Giving a number up keeps its row, marked retired: never deleted.
        self.number_retire = (
            sa.update(n)
            .where(n.c.number == bindparam("b_number"), n.c.customer_id == bindparam("b_customer"))
            .values(live=False, retired_at=bindparam("at"))
        )
        self.__dict__.update(_order_statements(t, insert))
        for name, statement in _report_statements(t, dialect).items():
            setattr(self, name, statement)


# --- executors: how a unit of work runs its statements ----------------------------------------


_READS = frozenset(_Statements.READS)


class _Executor:
    """Runs named statements on a SQLAlchemy connection (every write, and reads elsewhere).

    A read-only executor runs only the statements named in ``_Statements.READS``. A nested
    unit gets its own executor on the same connection; ``root`` is the outermost one, which
    keeps whether anything reached the database.
    """

    def __init__(
        self,
        conn: sa.Connection,
        stmts: _Statements,
        *,
        readonly: bool,
        root: _Executor | None = None,
    ) -> None:
        self.conn = conn
        self._q = stmts
        self.readonly = readonly
        self._root = self if root is None else root
        self.reached = False
        """Whether a statement of this unit has reached the database."""

    def _execute(self, name: str, params: Any) -> sa.CursorResult[Any]:
        if self.readonly and name not in _READS:
            raise ReadOnlyUnit()
        result = self.conn.execute(getattr(self._q, name), params)
        self._root.reached = True
        return result

    def first(self, name: str, params: dict[str, Any]) -> Sequence[Any] | None:
        return self._execute(name, params).first()

    def all(self, name: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return self._execute(name, params).all()

    def scalar(self, name: str, params: dict[str, Any]) -> Any:
        return self._execute(name, params).scalar()

    def run(self, name: str, params: dict[str, Any] | list[dict[str, Any]]) -> int:
        return self._execute(name, params).rowcount


class _RawReader:
    """The read path of SQLite read-only units: the same Core statements, compiled to SQL
    text once, run on a per-thread sqlite3 connection with SQLAlchemy's own result
    processors. The SQLAlchemy connection machinery costs several times the query itself
    on the sign-in lookup; this keeps that lookup close to a raw query (docs/performance.md).
    """

    def __init__(self, stmts: _Statements, dialect: sa.Dialect) -> None:
        self.compiled: dict[str, tuple[str, tuple[str, ...], list[Any]]] = {}
        for name in _Statements.READS:
            stmt = getattr(stmts, name)
            compiled = stmt.compile(dialect=dialect)
            order = tuple(compiled.positiontup or ())
            processors = [
                col.type.dialect_impl(dialect).result_processor(dialect, None)
                for col in stmt.selected_columns
            ]
            self.compiled[name] = (str(compiled), order, processors)


class _RawExecutor:
    """An executor over one raw sqlite3 connection inside a read-only unit."""

    readonly = True

    def __init__(self, raw: sqlite3.Connection, reader: _RawReader) -> None:
        self._raw = raw
        self._reader = reader

    def _execute(self, name: str, params: dict[str, Any]) -> tuple[sqlite3.Cursor, list[Any]]:
        compiled = self._reader.compiled.get(name)
        if compiled is None:
            raise ReadOnlyUnit()
        sql, order, processors = compiled
        return self._raw.execute(sql, [params[key] for key in order]), processors

    def _process(self, row: Sequence[Any], processors: list[Any]) -> Sequence[Any]:
        return [v if p is None or v is None else p(v) for v, p in zip(row, processors, strict=True)]

    def first(self, name: str, params: dict[str, Any]) -> Sequence[Any] | None:
        cursor, processors = self._execute(name, params)
        row = cursor.fetchone()
        return None if row is None else self._process(row, processors)

    def all(self, name: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        cursor, processors = self._execute(name, params)
        return [self._process(row, processors) for row in cursor.fetchall()]

    def scalar(self, name: str, params: dict[str, Any]) -> Any:
        row = self.first(name, params)
        return None if row is None else row[0]

    def run(self, name: str, params: dict[str, Any] | list[dict[str, Any]]) -> int:
        raise ReadOnlyUnit()


Executor = _Executor | _RawExecutor


# --- repositories ---------------------------------------------------------------------------


class _Repo:
    def __init__(self, x: Executor, store: SqlStore) -> None:
        self._x = x
        self._store = store

    def _writing(self) -> None:
        """Refuse a write in a read-only unit before any check or statement runs."""
        if self._x.readonly:
            raise ReadOnlyUnit()

    def _update(
        self,
        kind: str,
        values: dict[str, Any],
        version: int,
        integrity: Callable[[sa.exc.IntegrityError], AccountKitError],
        not_found: type[AccountKitError],
    ) -> None:
        """Optimistic update: write only if the stored version is still ``version``."""
        record_id = values.pop("id")
        params = {**values, "version": version + 1, "b_id": record_id, "b_version": version}
        try:
            changed = self._x.run(f"{kind}_update", params)
        except sa.exc.IntegrityError as exc:
            raise integrity(exc) from _cause(exc)
        if changed != 1:
            if self._x.first(f"{kind}_exists", {"id": record_id}) is None:
                raise not_found()
            raise ConcurrentUpdate()


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


class _Customers(_Repo):
    def get(self, customer_id: str) -> Customer | None:
        if not _bindable(customer_id):
            return None
        row = self._x.first("customer_by_id", {"id": customer_id})
        return None if row is None else _customer(row)

    def get_by_number(self, number: str) -> Customer | None:
        if not _bindable(number):
            return None
        row = self._x.first("customer_by_number", {"number": number})
        return None if row is None else _customer(row)

    def search(
        self,
        *,
        text: str | None = None,
        group_id: str | None = None,
        kind: CustomerKind | None = None,
        after: str | None = None,
        limit: int,
    ) -> Sequence[Customer]:
        if any(v is not None and not _bindable(v) for v in (text, group_id, after)):
            return []
        params = {
            "t": text,
            "group": group_id,
            "kind": None if kind is None else kind.value,
            "after": after,
            "n": limit,
            "skip": 0,
        }
        return [_customer(row) for row in self._x.all("customer_search", params)]

    def _integrity(self, exc: sa.exc.IntegrityError) -> AccountKitError:
        if _is_foreign_key(exc):
            return GroupNotFound()
        if "number" in _constraint(exc):
            return CustomerNumberTaken()
        return ConflictError("A customer with this id exists already.")

    def _claim(self, number: str, customer_id: str) -> bool:
        """Make ``number`` live for ``customer_id`` in the number namespace; False when
        another customer holds it or held it before (nothing is written then)."""
        params = {"number": number, "customer_id": customer_id, "live": True, "retired_at": None}
        return self._x.scalar("number_claim", params) is not None

    def _retire(self, number: str, customer_id: str) -> None:
        params = {"b_number": number, "b_customer": customer_id, "at": datetime.now(UTC)}
        self._x.run("number_retire", params)

    def add(self, customer: Customer) -> Customer:
        self._writing()
        try:
            self._x.run("customer_insert", _customer_values(customer))
        except sa.exc.IntegrityError as exc:
            raise self._integrity(exc) from _cause(exc)
        # The row first (see update): a live clash, an unknown group or id ends there
        # with nothing written; a retired number is found by the claim, and the row is
        # taken back.
        if customer.number is not None and not self._claim(customer.number, customer.id):
            self._x.run("customer_delete", {"id": customer.id})
            raise CustomerNumberTaken()
        return customer

    def add_if_number_free(self, customer: Customer) -> Customer | None:
        self._writing()
        try:
            row = self._x.first("customer_insert_if_number_free", _customer_values(customer))
        except sa.exc.IntegrityError as exc:
            raise self._integrity(exc) from _cause(exc)
        if row is None:
            return None
        if customer.number is not None and not self._claim(customer.number, customer.id):
            self._x.run("customer_delete", {"id": customer.id})
            return None
        return customer

    def update(self, customer: Customer) -> Customer:
        self._writing()
        row = (
            self._x.first("customer_lock", {"id": customer.id}) if _bindable(customer.id) else None
        )
        if row is None:
            raise CustomerNotFound()
        stored = _customer(row)
        if stored.version != customer.version:
            raise ConcurrentUpdate()
        # The row first, the number namespace second, in every write (add, update,
        # remove): two units that meet on one number then wait for each other in one
        # order, instead of deadlocking on PostgreSQL. A live clash ends at the row's
        # unique index; a retired number is found by the claim, and the row is put back.
        values = _customer_values(customer)
        self._update("customer", values, customer.version, self._integrity, CustomerNotFound)
        if customer.number == stored.number:
            return attrs.evolve(customer, version=customer.version + 1)
        if customer.number is not None and not self._claim(customer.number, customer.id):
            restore = _customer_values(stored)
            restore.pop("id")
            self._x.run(
                "customer_update",
                {**restore, "b_id": stored.id, "b_version": stored.version + 1},
            )
            raise CustomerNumberTaken()
        if stored.number is not None:
            self._retire(stored.number, customer.id)
        return attrs.evolve(customer, version=customer.version + 1)

    def remove(self, customer_id: str) -> None:
        self._writing()
        row = (
            self._x.first("customer_lock", {"id": customer_id}) if _bindable(customer_id) else None
        )
        if row is None:
            raise CustomerNotFound()
        if self._x.first("customer_has_members", {"c": customer_id}) is not None:
            raise ConflictError(_STILL_MEMBERS)
        try:
            self._x.run("customer_delete", {"id": customer_id})
        except sa.exc.IntegrityError as exc:
            # A membership added meanwhile, or an order of the customer's.
            raise ConflictError(_STILL_MEMBERS) from _cause(exc)
        number = row[CUSTOMER_COLUMNS.index("number")]
        if number is not None:
            self._retire(number, customer_id)


_STILL_MEMBERS = "The customer still has members; remove them first."


_SECOND_ACTIVE = (
    "The user already has an active company; switch instead of adding a second active membership."
)


class _Memberships(_Repo):
    def for_user(self, user_id: str) -> Sequence[Membership]:
        if not _bindable(user_id):
            return []
        return [_membership(r) for r in self._x.all("memberships_of_user", {"u": user_id})]

    def for_customer(self, customer_id: str) -> Sequence[Membership]:
        if not _bindable(customer_id):
            return []
        rows = self._x.all("memberships_of_customer", {"c": customer_id})
        return [_membership(r) for r in rows]

    def get(self, user_id: str, customer_id: str) -> Membership | None:
        if not (_bindable(user_id) and _bindable(customer_id)):
            return None
        row = self._x.first("membership", {"u": user_id, "c": customer_id})
        return None if row is None else _membership(row)

    def add(self, membership: Membership, *, exclusive: bool) -> Membership:
        self._writing()
        # Checked here for a clear error in the common case; the partial unique indexes
        # decide the races between concurrent transactions.
        current = self._x.all("memberships_of_user", {"u": membership.user_id})
        active_at = MEMBERSHIP_COLUMNS.index("is_active")
        exclusive_at = MEMBERSHIP_COLUMNS.index("is_exclusive")
        if any(r[1] == membership.customer_id for r in current):
            raise AlreadyMember(customer_id=membership.customer_id)
        if current and (exclusive or any(r[exclusive_at] for r in current)):
            raise MembershipConflict(customer_id=current[0][1])
        if membership.active and any(r[active_at] for r in current):
            raise ConflictError(_SECOND_ACTIVE)
        try:
            self._x.run("membership_insert", _membership_values(membership, exclusive))
        except sa.exc.IntegrityError as exc:
            raise self._integrity(exc, membership) from _cause(exc)
        return membership

    def _integrity(self, exc: sa.exc.IntegrityError, membership: Membership) -> AccountKitError:
        name = _constraint(exc)
        if _is_foreign_key(exc):
            return NotFoundError("The user or the customer does not exist.")
        if "is_active" in name or "uq_memberships_active" in name:
            return ConflictError(_SECOND_ACTIVE)
        if "customer_id" in name or "pkey" in name:
            return AlreadyMember(customer_id=membership.customer_id)
        # A concurrent transaction placed the user first; look up where, outside this
        # (possibly aborted) transaction.
        return MembershipConflict(customer_id=self._store._customer_of(membership.user_id))

    def update(self, membership: Membership) -> Membership:
        self._writing()
        params = {
            "u": membership.user_id,
            "c": membership.customer_id,
            "b_version": membership.version,
            "role": str(membership.role),
            "is_active": membership.active,
            "version": membership.version + 1,
        }
        try:
            changed = self._x.run("membership_update", params)
        except sa.exc.IntegrityError as exc:
            raise ConflictError(_SECOND_ACTIVE) from _cause(exc)
        if changed != 1:
            stored = self.get(membership.user_id, membership.customer_id)
            if stored is None:
                raise MembershipNotFound()
            raise ConcurrentUpdate()
        return attrs.evolve(membership, version=membership.version + 1)

    def remove(self, user_id: str, customer_id: str) -> None:
        self._writing()
        if self._x.run("membership_delete", {"u": user_id, "c": customer_id}) != 1:
            raise MembershipNotFound()


class _Groups(_Repo):
    def get(self, group_id: str) -> CustomerGroup | None:
        if not _bindable(group_id):
            return None
        row = self._x.first("group_by_id", {"id": group_id})
        return None if row is None else _group(row)

    def add(self, group: CustomerGroup) -> CustomerGroup:
        self._writing()
        try:
            self._x.run("group_insert", _group_values(group))
        except sa.exc.IntegrityError as exc:
            raise ConflictError("A group with this id exists already.") from _cause(exc)
        return group

    def list(self) -> Sequence[CustomerGroup]:
        groups = [_group(r) for r in self._x.all("groups_all", {})]
        return sorted(groups, key=lambda g: (g.name, g.id))


class _Events(_Repo):
    def append(self, event: Event) -> None:
        self._writing()
        self._x.run("event_insert", _event_values(event))

    def for_customer(self, customer_id: str) -> Sequence[Event]:
        if not _bindable(customer_id):
            return []
        return [_event(r) for r in self._x.all("events_of_customer", {"c": customer_id})]

    def for_user(self, user_id: str) -> Sequence[Event]:
        if not _bindable(user_id):
            return []
        return [_event(r) for r in self._x.all("events_of_user", {"u": user_id})]


class _Consents(_Repo):
    def append(self, consent: Consent) -> None:
        self._writing()
        check_consent(consent)
        _require_storable_user(consent.user_id)
        try:
            self._x.run("consent_insert", _consent_values(consent))
        except sa.exc.IntegrityError as exc:
            if _is_foreign_key(exc):
                raise UserNotFound() from _cause(exc)
            raise ConflictError("A consent entry with this id exists.") from _cause(exc)

    def for_user(self, user_id: str) -> Sequence[Consent]:
        if not _bindable(user_id):
            return []
        consents = [_consent(r) for r in self._x.all("consents_of_user", {"u": user_id})]
        return sorted(consents, key=lambda c: (c.at, c.id))


class _Sequences(_Repo):
    def next_value(self, name: str, *, start: int) -> int:
        self._writing()
        params = {"b_name": name, "b_start": start}
        value = self._x.scalar("sequence_next", params)
        if value is None:
            self._x.run("sequence_create", {"name": name, "value": start - 1})
            value = self._x.scalar("sequence_next", params)
        return int(value)


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


_SESSION_WIDTH = len(SESSION_COLUMNS)
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


# --- orders (issue 14) ---

ORDER_COLUMNS = (
    "id",
    "number",
    "channel",
    "placed_at",
    "total",
    "currency",
    "status",
    "test_order",
    "signed_in",
    "user_id",
    "customer_id",
    "guest_email",
    "guest_name",
    "guest_family_name",
    "erased",
    "version",
    "updated_at",
)
ADDRESS_LINE_COLUMNS = ("name", "company", "street", "extra", "postal_code", "city", "country")
"""An address's columns in ``addresses``; reads of orders join its billing and shipping row."""

_ORDER_COLUMNS_CHANGED = (
    "status",
    "guest_email",
    "guest_name",
    "guest_family_name",
    "sort_key",
    "erased",
    "updated_at",
)
"""The columns ``OrderRepository.update`` writes (with ``version``)."""

_ORDER_WIDTH = len(ORDER_COLUMNS)
_LINES_WIDTH = len(ADDRESS_LINE_COLUMNS)


def _order_values(order: Order) -> dict[str, Any]:
    guest = order.guest
    return {
        "id": order.id,
        "number": order.number,
        "channel": order.channel,
        "placed_at": order.placed_at,
        "total": str(order.total),
        "currency": order.currency,
        "status": order.status.value,
        "test_order": order.test_order,
        "signed_in": order.signed_in,
        "user_id": order.user_id,
        "customer_id": order.customer_id,
        "guest_email": None if guest is None else guest.email,
        "guest_name": None if guest is None else guest.given_name,
        "guest_family_name": None if guest is None else guest.family_name,
        "sort_key": None if guest is None else sort_key(guest.family_name),
        "total_minor": minor_units(order.total, order.currency),
        "erased": order.erased,
        "version": order.version,
        "updated_at": order.updated_at,
    }


def _address_values(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "id": row_id,
            "order_id": order.id,
            "customer_id": order.customer_id,
            "user_id": order.user_id,
            "role": role.value,
            **{name: getattr(address, name) for name in ADDRESS_LINE_COLUMNS},
            "address_key": address.key(),
            "created_at": order.placed_at,
        }
        for row_id, role, address in address_rows(order)
    ]


def _address_lines(lines: Sequence[Any]) -> Address | None:
    """The address of a joined row, or ``None`` when none was joined (``name`` is NOT NULL
    in every row)."""
    return None if lines[0] is None else _stored_address(lines)


def _stored_address(lines: Sequence[Any]) -> Address:
    name, company, street, extra, postal_code, city, country = lines
    return Address(
        name=name,
        street=street,
        postal_code=postal_code,
        city=city,
        country=country,
        company=company,
        extra=extra,
    )


def _order(row: Sequence[Any]) -> Order:
    (
        id_,
        number,
        channel,
        placed_at,
        total,
        currency,
        status,
        test_order,
        signed_in,
        user_id,
        customer_id,
        guest_email,
        guest_name,
        guest_family_name,
        erased,
        version,
        updated_at,
    ) = row[:_ORDER_WIDTH]
    billing = row[_ORDER_WIDTH : _ORDER_WIDTH + _LINES_WIDTH]
    shipping = row[_ORDER_WIDTH + _LINES_WIDTH :]
    return Order(
        id=id_,
        number=number,
        channel=channel,
        placed_at=placed_at,
        total=Decimal(total),
        currency=currency,
        status=OrderStatus(status),
        test_order=bool(test_order),
        signed_in=bool(signed_in),
        user_id=user_id,
        customer_id=customer_id,
        guest=(
            None
            if guest_email is None
            else GuestContact(
                email=guest_email, given_name=guest_name, family_name=guest_family_name
            )
        ),
        billing=_address_lines(billing),
        shipping=_address_lines(shipping),
        erased=bool(erased),
        version=version,
        updated_at=updated_at,
    )


def _order_statements(t: Tables, insert: Any) -> dict[str, Any]:
    """The statements of ``_Orders``, by name, for ``_Statements``."""
    o, a, c = t.orders, t.addresses, t.customers

    def joined(role: str, alias: Any) -> sa.ColumnElement[bool]:
        # A literal, not a bound value: the raw read path binds only named parameters.
        return sa.and_(alias.c.order_id == o.c.id, alias.c.role == sa.literal_column(f"'{role}'"))

    billing, shipping = a.alias("billing"), a.alias("shipping")
    # One statement per read: the order with its billing and its shipping row.
    order_select = sa.select(
        *(o.c[n] for n in ORDER_COLUMNS),
        *(billing.c[n] for n in ADDRESS_LINE_COLUMNS),
        *(shipping.c[n] for n in ADDRESS_LINE_COLUMNS),
    ).select_from(
        o.outerjoin(billing, joined("billing", billing)).outerjoin(
            shipping, joined("shipping", shipping)
        )
    )
    moment = bindparam("b_at", type_=UtcDateTime)
    return {
        "order_by_id": order_select.where(o.c.id == bindparam("id")),
        "order_by_number": order_select.where(o.c.number == bindparam("number")),
        # Ordered in Python: order ids are the shop's, and collations differ.
        "orders_of_user": order_select.where(o.c.user_id == bindparam("u")),
        "addresses_of_user": sa.select(
            *(a.c[n] for n in ADDRESS_LINE_COLUMNS), a.c.created_at, a.c.order_id, a.c.id
        ).where(a.c.user_id == bindparam("u")),
        "order_exists": sa.select(o.c.id).where(o.c.id == bindparam("id")),
        # A taken id or number inserts nothing and returns no row, without aborting the
        # unit on PostgreSQL; of concurrent inserts of one number the first to commit wins.
        "order_insert": insert(o).on_conflict_do_nothing().returning(o.c.id),
        "order_update": (
            sa.update(o)
            .where(o.c.id == bindparam("b_id"), o.c.version == bindparam("b_version"))
            .values({name: bindparam(name) for name in (*_ORDER_COLUMNS_CHANGED, "version")})
        ),
        "address_insert": sa.insert(a),
        "addresses_delete_of_order": sa.delete(a).where(a.c.order_id == bindparam("o")),
        # One statement under the row lock, so concurrent orders never lower the time.
        "customer_ordered": (
            sa.update(c)
            .where(c.c.id == bindparam("b_customer"))
            .values(
                last_order_at=sa.case(
                    (sa.or_(c.c.last_order_at.is_(None), c.c.last_order_at < moment), moment),
                    else_=c.c.last_order_at,
                ),
                has_test_order=sa.case(
                    (bindparam("b_test", type_=sa.Boolean), sa.true()),
                    else_=c.c.has_test_order,
                ),
            )
        ),
    }


_ORDER_CHANGES = ("status", "guest", "billing", "shipping", "erased", "updated_at")
"""What ``OrderRepository.update`` changes; the rest stays as recorded."""


class _Orders(_Repo):
    def _integrity(self, exc: sa.exc.IntegrityError) -> AccountKitError:
        # A user or customer removed after the check (the foreign keys decide).
        if "customer" in _constraint(exc):
            return CustomerNotFound()
        return UserNotFound()

    def add(self, order: Order) -> Order:
        self._writing()
        order = check_order(order)
        if (
            order.user_id is not None
            and self._x.first("user_exists", {"id": order.user_id}) is None
        ):
            raise UserNotFound()
        if (
            order.customer_id is not None
            and self._x.first("customer_exists", {"id": order.customer_id}) is None
        ):
            raise CustomerNotFound()
        try:
            inserted = self._x.first("order_insert", _order_values(order))
            if inserted is None:
                raise OrderNumberTaken()
            rows = _address_values(order)
            if rows:
                self._x.run("address_insert", rows)
        except sa.exc.IntegrityError as exc:
            raise self._integrity(exc) from _cause(exc)
        if order.signed_in and order.customer_id is not None:
            params = {"b_customer": order.customer_id, "b_at": order.placed_at}
            self._x.run("customer_ordered", {**params, "b_test": order.test_order})
        return order

    def get(self, order_id: str) -> Order | None:
        if not _bindable(order_id):
            return None
        row = self._x.first("order_by_id", {"id": order_id})
        return None if row is None else _order(row)

    def get_by_number(self, number: str) -> Order | None:
        if not _bindable(number):
            return None
        row = self._x.first("order_by_number", {"number": number})
        return None if row is None else _order(row)

    def update(self, order: Order) -> Order:
        self._writing()
        order = check_order(order)
        row = self._x.first("order_by_id", {"id": order.id})
        if row is None:
            raise OrderNotFound()
        stored = _order(row)
        if stored.version != order.version:
            raise ConcurrentUpdate()
        new = attrs.evolve(
            stored,
            **{name: getattr(order, name) for name in _ORDER_CHANGES},
            version=stored.version + 1,
        )
        values = _order_values(new)
        changes = {name: values[name] for name in ("id", *_ORDER_COLUMNS_CHANGED)}
        self._update("order", changes, stored.version, self._integrity, OrderNotFound)
        if (new.billing, new.shipping) != (stored.billing, stored.shipping):
            self._x.run("addresses_delete_of_order", {"o": new.id})
            rows = _address_values(new)
            if rows:
                self._x.run("address_insert", rows)
        return new

    def for_user(self, user_id: str) -> Sequence[Order]:
        if not _bindable(user_id):
            return []
        orders = [_order(r) for r in self._x.all("orders_of_user", {"u": user_id})]
        return sorted(orders, key=lambda o: (o.placed_at, o.id))

    def addresses_for_user(self, user_id: str) -> Sequence[Address]:
        if not _bindable(user_id):
            return []
        rows = self._x.all("addresses_of_user", {"u": user_id})
        # (created_at, order_id, id), newest first, in code point order on every database.
        ordered = sorted(rows, key=lambda r: tuple(r[_LINES_WIDTH:]), reverse=True)
        return [_stored_address(r[:_LINES_WIDTH]) for r in ordered]


# --- reports (issue 14) ---------------------------------------------------------------------
# The read models' statements and repositories: history pages, the customer overview per row
# kind, a customer's orders and totals. Every page is a bounded range of one index
# (migration 0008): a statement for the first page and one after a position, so that the
# planner can seek to the position (``:d IS NULL OR ...`` would make it scan from the start).
# Orders and customers with a date and those without one are separate statements, so NULL
# ordering (first on SQLite, last on PostgreSQL) never matters. Sort keys compare by code point
# (BINARY on SQLite, a "C" column on PostgreSQL); order ids, which the shop chooses, are
# compared under "C" on PostgreSQL too.

OVERVIEW_CUSTOMER_COLUMNS = ("last_order_at", "sort_key", "id", "number", "name", "has_test_order")
OVERVIEW_GUEST_COLUMNS = (
    "placed_at",
    "sort_key",
    "id",
    "number",
    "guest_name",
    "guest_family_name",
    "guest_email",
    "test_order",
)


def _report_statements(t: Tables, dialect: str) -> dict[str, Any]:
    """Build the reports' statements (``_Statements`` takes them on as attributes)."""
    find = sa.func.instr if dialect == "sqlite" else sa.func.strpos

    def text_param(name: str) -> sa.BindParameter[str]:
        return bindparam(name, type_=sa.String())

    def has(column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
        # A literal 0, not a bound one: the raw read path binds only named parameters.
        return find(column, sa.cast(text_param(name), sa.String)) > sa.literal_column("0")

    def when(name: str, condition: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        # A filter that a NULL parameter switches off; never on an index's leading column.
        return sa.or_(sa.cast(text_param(name), sa.String).is_(None), condition)

    # SQLite keeps times as fixed-width ISO text: the repositories pass the text (the raw
    # read path binds values as they are); PostgreSQL takes the datetime.
    date = (
        bindparam("d", type_=sa.String())
        if dialect == "sqlite"
        else bindparam("d", type_=UtcDateTime())
    )
    key, last = text_param("s"), text_param("i")

    def paged(select: sa.Select[Any]) -> sa.Select[Any]:
        # SQLite renders LIMIT with an OFFSET; both named, for the raw read path.
        return select.limit(bindparam("n")).offset(bindparam("skip"))

    q: dict[str, Any] = {}
    e = t.events
    for kind, column, param in (("customer", e.c.customer_id, "c"), ("user", e.c.user_id, "u")):
        mine = _select(e, EVENT_COLUMNS).where(column == bindparam(param)).order_by(e.c.seq)
        # The position is the previous page's last event, which must be one of this
        # customer's (user's): any other id gives NULL, and so nothing.
        position = (
            sa.select(e.c.seq)
            .where(e.c.id == text_param("after"), column == bindparam(param))
            .scalar_subquery()
        )
        q[f"events_page_of_{kind}"] = paged(mine)
        q[f"events_page_of_{kind}_after"] = paged(mine.where(e.c.seq > position))

    c = t.customers
    filters = (
        when("group", c.c.group_id == sa.cast(text_param("group"), sa.String)),
        when("t", sa.or_(has(c.c.name, "t"), has(c.c.number, "t"))),
    )
    rows = _select(c, OVERVIEW_CUSTOMER_COLUMNS).where(*filters)
    dated = rows.where(c.c.last_order_at.is_not(None)).order_by(
        c.c.last_order_at.desc(), c.c.sort_key, c.c.id
    )
    q["overview_customers_dated"] = paged(dated)
    q["overview_customers_dated_after"] = paged(
        dated.where(_after_position(c.c.last_order_at, c.c.sort_key, c.c.id, date, key, last))
    )
    undated = rows.where(c.c.last_order_at.is_(None)).order_by(c.c.sort_key, c.c.id)
    q["overview_customers_undated"] = paged(undated)
    q["overview_customers_undated_after"] = paged(
        undated.where(
            c.c.sort_key >= key,
            sa.or_(c.c.sort_key > key, sa.and_(c.c.sort_key == key, c.c.id > last)),
        )
    )

    o = t.orders
    # Order ids are the shop's: compared by code point, whatever PostgreSQL's collation.
    order_id = o.c.id.collate("C") if dialect == "postgresql" else o.c.id
    guests = (
        sa.select(*(o.c[n] for n in OVERVIEW_GUEST_COLUMNS))
        .where(
            # As the partial index says it, so that SQLite uses the index.
            o.c.signed_in.is_(sa.false()),
            when(
                "t",
                sa.or_(
                    has(o.c.guest_name, "t"),
                    has(o.c.guest_family_name, "t"),
                    has(o.c.guest_email, "t"),
                ),
            ),
        )
        .order_by(o.c.placed_at.desc(), o.c.sort_key, order_id)
    )
    q["overview_guest_orders"] = paged(guests)
    for suffix, or_equal in (("after", False), ("from", True)):
        q[f"overview_guest_orders_{suffix}"] = paged(
            guests.where(
                _after_position(
                    o.c.placed_at, o.c.sort_key, order_id, date, key, last, or_equal=or_equal
                )
            )
        )
    signed_in = sa.and_(o.c.customer_id == bindparam("c"), o.c.signed_in.is_(sa.true()))
    # Exact sums of minor units in two halves: SQLite's SUM raises on a 64-bit overflow
    # (eleven totals of 10**18 - 1), and 10**9 per order keeps each half far below it.
    half = sa.literal_column("1000000000", sa.BigInteger)
    q["order_totals_of_customer"] = (
        sa.select(
            o.c.currency,
            sa.func.sum(o.c.total_minor // half),
            sa.func.sum(o.c.total_minor % half),
            sa.func.count(),
        )
        .where(signed_in)
        .group_by(o.c.currency)
    )
    # The order with its billing and shipping rows, as _Orders reads it.
    insert = sqlite_dialect.insert if dialect == "sqlite" else pg_dialect.insert
    base = _order_statements(t, insert)["order_by_id"]
    orders = (
        sa.select(*base.selected_columns)
        .select_from(*base.get_final_froms())
        .where(signed_in)
        .order_by(o.c.placed_at.desc(), order_id.desc())
    )
    q["orders_page_of_customer"] = paged(orders)
    q["orders_page_of_customer_after"] = paged(
        orders.where(
            o.c.placed_at <= date,
            sa.or_(o.c.placed_at < date, sa.and_(o.c.placed_at == date, order_id < last)),
        )
    )
    return q


def _after_position(
    date: sa.ColumnElement[Any],
    key: sa.ColumnElement[Any],
    id_: sa.ColumnElement[Any],
    d: sa.BindParameter[Any],
    s: sa.BindParameter[str],
    i: sa.BindParameter[str],
    *,
    or_equal: bool = False,
) -> sa.ColumnElement[bool]:
    """Rows after (d, s, i) in the order date descending, key and id ascending. The first
    term repeats what the rest implies, so that the planner seeks the index to ``d``."""
    last = id_ >= i if or_equal else id_ > i
    return sa.and_(date <= d, sa.or_(date < d, key > s, sa.and_(key == s, last)))


def _time_param(store: SqlStore, moment: datetime) -> Any:
    """A time as the reports' statements bind it (see _report_statements)."""
    if store.dialect == "sqlite":
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    return moment


def _overview_customer(row: Sequence[Any]) -> OverviewEntry:
    date, key, id_, number, name, test = row
    return OverviewEntry(date, key, id_, number, name, None, bool(test))


def _overview_guest(row: Sequence[Any]) -> OverviewEntry:
    date, key, id_, number, given, family, email, test = row
    name = " ".join(part for part in (given, family) if part)
    return OverviewEntry(date, key or "", id_, number, name, email, bool(test))


class _ReportEvents(_Events):
    def _page(self, kind: str, owner: str, after: str | None, limit: int) -> Sequence[Event]:
        if not _bindable(owner) or (after is not None and not _bindable(after)):
            return []
        param = "c" if kind == "customer" else "u"
        name = f"events_page_of_{kind}" if after is None else f"events_page_of_{kind}_after"
        params = {param: owner, "after": after, "n": limit, "skip": 0}
        return [_event(r) for r in self._x.all(name, params)]

    def page_for_customer(
        self, customer_id: str, *, after: str | None, limit: int
    ) -> Sequence[Event]:
        return self._page("customer", customer_id, after, limit)

    def page_for_user(self, user_id: str, *, after: str | None, limit: int) -> Sequence[Event]:
        return self._page("user", user_id, after, limit)


class _ReportCustomers(_Customers):
    def overview(
        self,
        *,
        after: OverviewKey | None,
        text: str | None = None,
        group_id: str | None = None,
        limit: int,
    ) -> Sequence[OverviewEntry]:
        if any(v is not None and not _bindable(v) for v in (text, group_id)):
            return []
        params: dict[str, Any] = {"t": text, "group": group_id, "n": limit, "skip": 0}
        found: list[OverviewEntry] = []
        if after is None or after.date is not None:
            if after is None:
                name = "overview_customers_dated"
            else:
                assert after.date is not None
                name = "overview_customers_dated_after"
                params |= {
                    "d": _time_param(self._store, after.date),
                    "s": after.sort_key,
                    "i": after.id,
                }
            found = [_overview_customer(r) for r in self._x.all(name, params)]
            if len(found) >= limit:
                return found
            params = {**params, "n": limit - len(found)}
            name = "overview_customers_undated"
        else:
            name = "overview_customers_undated_after"
            params |= {"s": after.sort_key, "i": after.id}
        return found + [_overview_customer(r) for r in self._x.all(name, params)]


class _ReportOrders(_Orders):
    def guest_overview(
        self,
        *,
        after: OverviewKey | None,
        or_equal: bool = False,
        text: str | None = None,
        limit: int,
    ) -> Sequence[OverviewEntry]:
        if text is not None and not _bindable(text):
            return []
        params: dict[str, Any] = {"t": text, "n": limit, "skip": 0}
        if after is None:
            name = "overview_guest_orders"
        elif after.date is None:
            return []  # every order has a date: none comes after the undated customers
        else:
            name = "overview_guest_orders_from" if or_equal else "overview_guest_orders_after"
            params |= {
                "d": _time_param(self._store, after.date),
                "s": after.sort_key,
                "i": after.id,
            }
        return [_overview_guest(r) for r in self._x.all(name, params)]

    def totals_for_customer(self, customer_id: str) -> Sequence[CurrencyTotal]:
        if not _bindable(customer_id):
            return []
        rows = self._x.all("order_totals_of_customer", {"c": customer_id})
        totals = [
            CurrencyTotal(
                currency,
                Decimal(int(high) * 1_000_000_000 + int(low)).scaleb(
                    -CURRENCY_MINOR_UNITS[currency]
                ),
                int(count),
            )
            for currency, high, low, count in rows
        ]
        return sorted(totals, key=lambda t: t.currency)

    def page_for_customer(
        self, customer_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Order]:
        if not _bindable(customer_id) or (after is not None and not _bindable(after[1])):
            return []
        params: dict[str, Any] = {"c": customer_id, "n": limit, "skip": 0}
        name = "orders_page_of_customer"
        if after is not None:
            name = "orders_page_of_customer_after"
            params |= {"d": _time_param(self._store, after[0]), "i": after[1]}
        return [_order(r) for r in self._x.all(name, params)]

    def latest(self, customer_id: str, n: int) -> Sequence[Order]:
        return self.page_for_customer(customer_id, after=None, limit=n)


class SqlTransaction:
    """A unit of work on one database connection; see :class:`accountkit.storage.Transaction`.

    Attributes:
        connection: The SQLAlchemy connection, inside the transaction, so a shop can run
            its own statements that commit or roll back with accountkit's. ``None`` in a
            read-only unit, on every database: such a unit refuses writes, the shop's too.
        readonly: Whether the unit refuses writes.
    """

    def __init__(
        self,
        x: Executor,
        store: SqlStore,
        connection: sa.Connection | None,
        *,
        readonly: bool,
    ) -> None:
        self.connection = connection
        self.readonly = readonly
        self._x = x
        self.users = _Users(x, store)
        self.customers = _ReportCustomers(x, store)
        self.memberships = _Memberships(x, store)
        self.groups = _Groups(x, store)
        self.events = _ReportEvents(x, store)
        self.consents = _Consents(x, store)
        self.orders = _ReportOrders(x, store)
        self.sequences = _Sequences(x, store)
        self.tokens = _Tokens(x, store)
        self.sessions = _Sessions(x, store)
        self.login_codes = _LoginCodes(x, store)
        self.attempts = _Attempts(x, store)


# --- engines --------------------------------------------------------------------------------

_PG_IDENTIFIER_BYTES = 63
"""PostgreSQL cuts longer identifiers silently, which would make two names one."""


def _check_identifier(value: object, what: str, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        rule = (
            "lower-case letters, digits and underscores, starting with a letter or underscore"
            if what == "prefix"
            else "letters, digits and underscores, starting with a letter or underscore"
        )
        raise InvalidValue(f"A {what} is {rule}.", field=what)
    return value


# Upper case is refused in a prefix: SQLite's table names ignore case, so "Shop_" and
# "shop_" would name the same tables there and different ones on PostgreSQL.
_PREFIX = re.compile(r"[a-z_][a-z0-9_]*")
_SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _check_prefix(prefix: object) -> str:
    """Refuse a prefix that breaks a table or index name on either database.

    Besides the explicit names, PostgreSQL makes ``<table>_pkey``, ``<table>_<column>_fkey``
    and ``<table>_<column>_key``; the store tells constraint violations apart by those
    names, so none of them may be cut at 63 bytes.
    """
    checked = _check_identifier(prefix, "prefix", _PREFIX)
    longest = max(_identifier_lengths(checked))
    if longest > _PG_IDENTIFIER_BYTES:
        room = len(checked) - (longest - _PG_IDENTIFIER_BYTES)
        raise InvalidValue(
            f"The prefix makes a table or index name longer than PostgreSQL's "
            f"{_PG_IDENTIFIER_BYTES} bytes; use at most {max(room, 0)} characters.",
            field="prefix",
        )
    return checked


def _identifier_lengths(prefix: str) -> Iterator[int]:
    tables = build_tables(sa.MetaData(), prefix)
    yield len(f"{prefix}alembic_version_pkc")
    for table in attrs.astuple(tables, recurse=False):
        yield len(f"{table.name}_pkey")
        for index in table.indexes:
            yield len(str(index.name))
        for constraint in table.constraints:
            if constraint.name is not None:
                yield len(str(constraint.name))
        for column in table.columns:
            if column.foreign_keys:
                yield len(f"{table.name}_{column.name}_fkey")
            if column.unique:
                yield len(f"{table.name}_{column.name}_key")


def _check_busy_timeout(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= 86_400
    ):
        raise InvalidValue(
            "busy_timeout is a number of seconds from 0 to 86400, for example 5.0.",
            field="busy_timeout",
        )
    return float(value)


def _engine_from_url(url: str, busy_timeout: float) -> sa.Engine:
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise UnsupportedDatabase(
            "The database URL could not be read; use sqlite:///path.db or "
            "postgresql+psycopg://user@host/dbname."
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername not in ("sqlite", "sqlite+pysqlite"):
            raise UnsupportedDatabase("For SQLite use the built-in driver: sqlite:///path.db.")
        args = {"timeout": busy_timeout, "check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            return sa.create_engine(
                parsed, poolclass=StaticPool, connect_args=args, hide_parameters=True
            )
        return sa.create_engine(parsed, connect_args=args, hide_parameters=True)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.drivername != "postgresql+psycopg":
            raise UnsupportedDatabase(
                "For PostgreSQL use psycopg 3: postgresql+psycopg://user@host/dbname."
            )
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise UnsupportedDatabase(
                "PostgreSQL needs psycopg 3: pip install 'accountkit[postgres]'."
            ) from exc
        # No pool_pre_ping: it costs a round trip on every unit of work. A pooled
        # connection the server has closed fails on the unit's first statement instead;
        # that unit is reported as retryable and the kit runs it again once.
        return sa.create_engine(parsed, hide_parameters=True)
    raise UnsupportedDatabase(
        f"accountkit supports SQLite and PostgreSQL, not {backend!r}; use sqlite:///path.db "
        "or postgresql+psycopg://user@host/dbname."
    )


_CONFIGURED: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def _open_engine(url: str | sa.Engine, busy_timeout: float) -> tuple[sa.Engine, bool]:
    """Return a configured engine for ``url`` and whether the caller owns (disposes) it."""
    if isinstance(url, sa.Engine):
        engine, owned = url, False
    elif isinstance(url, str):
        engine, owned = _engine_from_url(url, busy_timeout), True
    else:
        raise InvalidValue(
            "Pass a database URL such as 'sqlite:///shop.db' or a SQLAlchemy Engine.",
            field="url",
        )
    if engine.dialect.name not in ("sqlite", "postgresql"):
        raise UnsupportedDatabase(
            f"accountkit supports SQLite and PostgreSQL, not {engine.dialect.name!r}."
        )
    if engine.dialect.name == "sqlite" and engine not in _CONFIGURED:
        _configure_sqlite(engine, busy_timeout)
        _CONFIGURED.add(engine)
    return engine, owned


def _switch_to_wal(cursor: Any, busy_timeout: float) -> None:
    """Put a SQLite file in WAL mode, waiting up to ``busy_timeout`` for other writers.

    On a file not yet in WAL mode (a new one) the switch reads, then upgrades its read
    lock to a write lock; while another connection holds the write lock SQLite refuses
    that upgrade at once, without calling its busy handler (it would deadlock). Several
    processes opening one new file meet this, so the switch is retried here.
    """
    deadline = time.monotonic() + busy_timeout
    pause = 0.002
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _configure_sqlite(engine: sa.Engine, busy_timeout: float) -> None:
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # accountkit issues BEGIN itself (the driver's implicit transactions start too
        # late for SQLite's locks); this is SQLAlchemy's documented pysqlite recipe.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            if not in_memory:
                _switch_to_wal(cursor, busy_timeout)
                cursor.execute("PRAGMA synchronous = NORMAL")
                for pragma in _SQLITE_FILE_PRAGMAS:
                    cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql(connection.info.pop(_BEGIN_KEY, "BEGIN"))


# --- fork safety ----------------------------------------------------------------------------

_forks = 0
"""How many times this process is a fork's child: a store made before a fork sees the change
and lets go of its parent's connections (SQLAlchemy's pattern: ``dispose(close=False)``)."""


def _after_fork_in_child() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_after_fork_in_child)

_RAW_IDLE = 8
"""Idle raw SQLite read connections kept per store; more are closed when returned."""


# --- the store ------------------------------------------------------------------------------


class SqlStore:
    """The storage contract on a SQL database: SQLite (a file, or memory) or PostgreSQL.

    Args:
        url: A database URL (``"sqlite:///shop.db"``, ``"sqlite://"`` for memory,
            ``"postgresql+psycopg://user@host/db"``) or an existing SQLAlchemy ``Engine``
            (the shop's own pool; SqlStore does not dispose it on close). For a SQLite
            engine, pass a fresh one: SqlStore installs its connection settings on it.
        schema: PostgreSQL only: the schema to keep the tables in (made when missing).
        prefix: Put before every table name, so the tables can share a database with the
            shop's own; default ``"accountkit_"``. Lower-case letters, digits and
            underscores, short enough that every table and index name fits 63 bytes.
        metadata: The shop's own ``MetaData`` to define the tables in (so its queries and
            tools see them); default a new one. Its ``schema`` must be ``schema``.
        migrate: Bring the schema to the newest revision on open (default). With
            ``False`` the store refuses a database that is not up to date.
        busy_timeout: SQLite only: seconds to wait for another writer's lock before the
            operation is retried, then fails with DatabaseBusy.

    Raises:
        InvalidValue: A bad prefix, schema, metadata, busy_timeout or url argument.
        UnsupportedDatabase: Another kind of database, or a driver that is not installed.
        SchemaTooNew: The database was made by a newer accountkit.
        DamagedSchema: accountkit's version table is damaged.
        TableConflict: A table with one of accountkit's names is not accountkit's.
        CannotOpenDatabase: The SQLite file cannot be opened or made.
        DatabaseCorrupt: The SQLite file is not a database.
        DatabaseUnavailable: The server cannot be reached.
        StorageError: ``migrate=False`` and the schema is not up to date.

    Example:
        >>> store = SqlStore("sqlite://")
        >>> with store.transaction() as tx:
        ...     tx.users.count()
        0
    """

    def __init__(
        self,
        url: str | sa.Engine,
        *,
        schema: str | None = None,
        prefix: str = "accountkit_",
        metadata: sa.MetaData | None = None,
        migrate: bool = True,
        busy_timeout: float = 5.0,
    ) -> None:
        self._closed = True  # until open: close() and __del__ paths see a consistent state
        self._prefix = _check_prefix(prefix)
        self._busy_timeout = _check_busy_timeout(busy_timeout)
        if metadata is not None and not isinstance(metadata, sa.MetaData):
            raise InvalidValue("metadata is a sqlalchemy.MetaData.", field="metadata")
        if metadata is not None:
            if schema is None:
                schema = metadata.schema
            elif metadata.schema != schema:
                raise InvalidValue(
                    "metadata= has another schema than schema=; give one of them, or the "
                    "same schema to both.",
                    field="schema",
                )
        self._schema = None if schema is None else _check_identifier(schema, "schema", _SCHEMA)
        with _translating():
            self._engine, self._owns_engine = _open_engine(url, self._busy_timeout)
            self.dialect = self._engine.dialect.name
            if self.dialect == "sqlite" and self._schema is not None:
                if self._owns_engine:
                    self._engine.dispose()
                raise InvalidValue(
                    "SQLite has no schemas; use prefix= to keep tables apart.", field="schema"
                )
            self._in_memory = self.dialect == "sqlite" and self._engine.url.database in (
                None,
                "",
                ":memory:",
            )
            # One shared connection in memory: every use of it, units of work and the
            # schema queries alike, must hold this lock, or one thread would roll back
            # another's open unit.
            self._lock: contextlib.AbstractContextManager[Any] = (
                threading.RLock() if self._in_memory else contextlib.nullcontext()
            )
            self.metadata = metadata if metadata is not None else sa.MetaData(schema=self._schema)
            self.tables = build_tables(self.metadata, self._prefix)
            self._q = _Statements(self.tables, self.dialect)
            self._raw_reader = (
                _RawReader(self._q, self._engine.dialect)
                if self.dialect == "sqlite" and not self._in_memory
                else None
            )
            self._tx_local = threading.local()
            self._raw_idle: collections.deque[sqlite3.Connection] = collections.deque()
            self._raw_abandoned: list[sqlite3.Connection] = []
            self._forks = _forks
            try:
                self._prepare(migrate)
            except BaseException:
                if self._owns_engine:
                    self._engine.dispose()
                raise
        self._closed = False

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine."""
        return self._engine

    def _prepare(self, migrate: bool) -> None:
        _run_migrations(self._engine, self._prefix, self._schema, "head" if migrate else None)

    def _check_usable(self) -> None:
        if self._closed:
            raise StoreClosed()
        if self._forks != _forks:
            self._after_fork()

    def _after_fork(self) -> None:
        """In a forked child: never touch the parent's connections, open new ones."""
        self._forks = _forks
        if not self._in_memory:
            # The child's copy of an in-memory database lives in its one connection.
            self._engine.dispose(close=False)
        # Kept, not closed: closing a sqlite3 connection inherited across a fork is unsafe.
        self._raw_abandoned.extend(self._raw_idle)
        self._raw_idle.clear()
        if self._in_memory:
            self._lock = threading.RLock()
        self._tx_local = threading.local()

    def schema_revision(self) -> str | None:
        """Return the schema revision the database is at.

        Raises:
            StoreClosed: The store was closed.
            DamagedSchema: The version table is damaged.
        """
        self._check_usable()
        with self._lock, _translating(), self._engine.connect() as conn:
            return _read_revision(conn, self._prefix, self._schema)

    @contextlib.contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[SqlTransaction]:
        """Open a unit of work on one connection; commit at the end, roll back on error.

        Args:
            readonly: The unit only reads, and refuses every write (``ReadOnlyUnit``);
                ``tx.connection`` is then ``None``. On SQLite a write unit takes the write
                lock at once (``BEGIN IMMEDIATE``); a read unit on a file reads through a
                pooled driver connection.

        A unit opened inside another on the same thread joins the outer one, so a shop can
        wrap several kit calls (and its own statements on ``tx.connection``) in one
        transaction. The inner unit runs in a SAVEPOINT: when it raises, only its own
        writes are undone, and the outer unit can go on and commit.

        Raises:
            StoreClosed: The store was closed.
            ReadOnlyUnit: A write unit inside a read-only one, or a write in a read-only unit.
            UnitAborted: A statement failed inside the unit and PostgreSQL gave it up.
            DatabaseBusy: SQLite stayed locked beyond the busy timeout.
            DatabaseUnavailable: The connection failed or dropped; nothing was written.
            StorageError: Any other database failure; nothing was written.
        """
        self._check_usable()
        outer: SqlTransaction | None = getattr(self._tx_local, "tx", None)
        if outer is not None:
            with self._nested(outer, readonly) as inner:
                yield inner
            return
        if readonly and self._raw_reader is not None:
            # Inlined rather than a second context manager: this is the sign-in lookup's
            # path, and each generator layer costs about a microsecond.
            with _translating():
                raw = self._raw_checkout()
                try:
                    raw.execute("BEGIN")
                    self._tx_local.tx = SqlTransaction(
                        _RawExecutor(raw, self._raw_reader), self, None, readonly=True
                    )
                    try:
                        yield self._tx_local.tx
                    finally:
                        self._tx_local.tx = None
                finally:
                    try:
                        raw.execute("ROLLBACK")  # it only read: nothing to commit
                    except sqlite3.Error:
                        raw.close()  # a broken connection is not pooled again
                    else:
                        self._raw_checkin(raw)
            return
        with self._lock, _translating():
            conn = self._engine.connect()
            try:
                if self.dialect == "sqlite":
                    conn.info[_BEGIN_KEY] = "BEGIN" if readonly else "BEGIN IMMEDIATE"
                else:
                    # Set on every unit, so that a shop's engine made AUTOCOMMIT or
                    # REPEATABLE READ does not change what a unit means. psycopg keeps the
                    # level locally and sends it with BEGIN: no extra round trip. A read
                    # unit runs without BEGIN and COMMIT: under READ COMMITTED each
                    # statement sees its own snapshot anyway, and the sign-in lookup is one
                    # round trip. It cannot write: its executor runs only reads, and it
                    # hands out no connection.
                    conn.execution_options(
                        isolation_level="AUTOCOMMIT" if readonly else "READ COMMITTED"
                    )
                root = conn.begin()
                executor = _Executor(conn, self._q, readonly=readonly)
                self._tx_local.tx = SqlTransaction(
                    executor, self, None if readonly else conn, readonly=readonly
                )
                try:
                    yield self._tx_local.tx
                    if not readonly:
                        _refuse_aborted(conn)
                except BaseException as exc:
                    with contextlib.suppress(sa.exc.SQLAlchemyError, sqlite3.Error):
                        root.rollback()
                    if (
                        isinstance(exc, sa.exc.DBAPIError)
                        and exc.connection_invalidated
                        and not executor.reached
                    ):
                        raise DatabaseUnavailable(retryable=True) from _cause(exc)
                    raise
                finally:
                    self._tx_local.tx = None
                root.commit()
            finally:
                with contextlib.suppress(sa.exc.SQLAlchemyError, sqlite3.Error):
                    conn.close()

    @contextlib.contextmanager
    def _nested(self, outer: SqlTransaction, readonly: bool) -> Iterator[SqlTransaction]:
        """A unit inside ``outer``: a SAVEPOINT when the outer unit writes."""
        if outer.readonly and not readonly:
            raise ReadOnlyUnit(
                "A write was started inside a read-only unit of work; open the outer unit "
                "without readonly=True."
            )
        if outer.readonly:
            # Reads only, on the outer unit's connection: nothing to undo.
            yield outer
            return
        base = outer._x
        assert isinstance(base, _Executor)
        conn = base.conn
        inner = SqlTransaction(
            _Executor(conn, self._q, readonly=readonly, root=base._root),
            self,
            None if readonly else conn,
            readonly=readonly,
        )
        with _translating():
            savepoint = conn.begin_nested()
            self._tx_local.tx = inner
            try:
                yield inner
            except BaseException:
                with contextlib.suppress(sa.exc.SQLAlchemyError, sqlite3.Error):
                    savepoint.rollback()
                raise
            finally:
                self._tx_local.tx = outer
            savepoint.commit()

    def _raw_checkout(self) -> sqlite3.Connection:
        """An idle raw read connection, or a new one (SQLite files only).

        A bounded pool rather than one per thread: a server that runs each request on a new
        thread would otherwise keep two file descriptors per finished thread.
        """
        try:
            return self._raw_idle.pop()
        except IndexError:
            pass
        args, kwargs = self._engine.dialect.create_connect_args(self._engine.url)
        kwargs["check_same_thread"] = False
        connect: Any = sqlite3.connect  # the dialect's arguments are sqlite3.connect's
        raw: sqlite3.Connection = connect(*args, **kwargs)
        raw.isolation_level = None
        raw.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        for pragma in _SQLITE_FILE_PRAGMAS:
            raw.execute(pragma)
        return raw

    def _raw_checkin(self, raw: sqlite3.Connection) -> None:
        # deque.append is atomic; a close() running meanwhile is caught by the check after.
        if len(self._raw_idle) < _RAW_IDLE and not self._closed:
            self._raw_idle.append(raw)
            if self._closed:
                self._drain_raw()
            return
        raw.close()

    def _drain_raw(self) -> None:
        while True:
            try:
                raw = self._raw_idle.pop()
            except IndexError:
                return
            with contextlib.suppress(sqlite3.Error):
                raw.close()

    def _customer_of(self, user_id: str) -> str | None:
        """The customer a user belongs to, read outside any open transaction."""
        with (
            self._lock,
            contextlib.suppress(sa.exc.SQLAlchemyError),
            self._engine.connect() as conn,
        ):
            row = conn.execute(self._q.memberships_of_user, {"u": user_id}).first()
            return None if row is None else str(row[1])
        return None

    def close(self) -> None:
        """Close the connections (and the engine, if the store made it).

        Afterwards every call raises :class:`StoreClosed`; the store never reopens. Closing
        twice is harmless.
        """
        if self._closed:
            return
        self._closed = True
        self._drain_raw()
        if self._owns_engine:
            self._engine.dispose()

    def __repr__(self) -> str:
        return f"SqlStore({self._engine.url.render_as_string(hide_password=True)!r})"


def _refuse_aborted(conn: sa.Connection) -> None:
    """Raise UnitAborted when PostgreSQL gave up the transaction: COMMIT would roll back."""
    dbapi = conn.connection.dbapi_connection
    info = getattr(dbapi, "info", None)
    status = getattr(info, "transaction_status", None)
    if status is not None and int(status) == _PG_IN_ERROR:
        raise UnitAborted()


_PG_IN_ERROR = 3
"""``psycopg.pq.TransactionStatus.INERROR``: a statement failed; the server waits for ROLLBACK."""


def migrate(
    url: str | sa.Engine,
    *,
    schema: str | None = None,
    prefix: str = "accountkit_",
    revision: str = "head",
) -> None:
    """Bring a database's accountkit schema to ``revision`` (default: the newest).

    The migrations are Alembic scripts shipped in the package; each run is one
    transaction, and concurrent runs wait for each other. :class:`SqlStore` calls this on
    open unless ``migrate=False``.

    Raises:
        UnknownRevision: ``revision`` is not one this accountkit ships.
        SchemaTooNew: The database was made by a newer accountkit.
        DamagedSchema, TableConflict, UnsupportedDatabase, DatabaseUnavailable,
        DatabaseCorrupt, CannotOpenDatabase.
    """
    _check_prefix(prefix)
    if schema is not None:
        _check_identifier(schema, "schema", _SCHEMA)
    if not isinstance(revision, str) or (revision != "head" and not _migrate.is_known(revision)):
        raise UnknownRevision()
    with _translating():
        engine, owned = _open_engine(url, 5.0)
        try:
            _run_migrations(engine, prefix, schema, revision)
        finally:
            if owned:
                engine.dispose()


def _qualified(name: str, schema: str | None) -> str:
    return f'"{schema}"."{name}"' if schema else f'"{name}"'


def _read_revision(conn: sa.Connection, prefix: str, schema: str | None) -> str | None:
    """The revision in accountkit's version table, or ``None`` when there is none.

    Raises:
        DamagedSchema: The table lacks its column, holds several rows or an empty one.
    """
    table = f"{prefix}alembic_version"
    if not sa.inspect(conn).has_table(table, schema=schema):
        return None
    try:
        with conn.begin_nested():
            rows = conn.exec_driver_sql(
                f"SELECT version_num FROM {_qualified(table, schema)}"
            ).all()
    except sa.exc.DBAPIError as exc:
        raise DamagedSchema() from _cause(exc)
    if len(rows) > 1 or (rows and not (isinstance(rows[0][0], str) and rows[0][0].strip())):
        raise DamagedSchema()
    return str(rows[0][0]) if rows else None


def _run_migrations(
    engine: sa.Engine, prefix: str, schema: str | None, revision: str | None
) -> None:
    """Check the schema revision and, unless ``revision`` is None, migrate to it.

    Raises:
        SchemaTooNew: The database is at a revision this package does not know.
        TableConflict: A fresh database holds a table with one of accountkit's names.
        StorageError: ``revision`` is None and the database is not at the newest revision.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.info[_BEGIN_KEY] = "BEGIN IMMEDIATE"
        else:
            conn.execution_options(isolation_level="READ COMMITTED")
        with conn.begin():
            if engine.dialect.name == "postgresql":
                # Before CREATE SCHEMA: two processes opening a new schema at once would
                # otherwise both try to make it. The second waits here, then finds the
                # schema up to date. (On SQLite, BEGIN IMMEDIATE does the same.)
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7426730001)")
            if schema is not None:
                conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            current = _read_revision(conn, prefix, schema)
            # The constant, not Alembic's script directory: opening an up-to-date database
            # does not import Alembic (a test holds the two equal).
            head = HEAD_REVISION
            if current == head and revision in (None, "head", head):
                return
            if current is not None and not _migrate.is_known(current):
                raise SchemaTooNew(
                    f"The database is at schema revision {current}, newer than this "
                    f"accountkit knows (up to {head}); upgrade the accountkit package."
                )
            if revision is None:
                raise StorageError(
                    f"The database schema is at revision {current or 'none'}, not {head}; "
                    "call accountkit.storage.migrate() or open the store with migrate=True."
                )
            if current is None:
                ours = {
                    t.name
                    for t in attrs.astuple(build_tables(sa.MetaData(), prefix), recurse=False)
                }
                if ours & set(sa.inspect(conn).get_table_names(schema=schema)):
                    raise TableConflict()
            _migrate.upgrade(conn, prefix, schema, revision)
