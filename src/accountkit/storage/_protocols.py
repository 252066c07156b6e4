"""The storage contract: what every store implements, with one meaning in every store.

Services talk to a store only through these Protocols. A store hands out a
:class:`Transaction` (a unit of work) from :meth:`Store.transaction`; every repository
call made through it happens whole or not at all when the ``with`` block ends. The
contract suite in ``tests/contract/`` holds every store to these docstrings.

Rules every store keeps, whatever its engine:

- Records go in and come out as frozen domain values; nothing live escapes.
- ``update`` is optimistic: it succeeds only when the stored ``version`` equals the
  version of the record passed in, and stores the record with ``version + 1``; otherwise it
  raises :class:`~accountkit.errors.ConcurrentUpdate` and changes nothing.
- Uniqueness is the store's job, not only the caller's: a second live user with the same
  e-mail key raises :class:`~accountkit.errors.EmailTaken`; a second customer with the same
  number (or with a number another customer held before) raises
  :class:`~accountkit.errors.CustomerNumberTaken`; an exclusive membership
  next to another raises :class:`~accountkit.errors.MembershipConflict`; two active
  memberships of one user are refused. These hold also between concurrent transactions.
- An exception inside the ``with`` block rolls everything back. A unit opened inside
  another joins it as a savepoint: its exception undoes only its own writes.
- A read-only unit refuses every write with :class:`~accountkit.errors.ReadOnlyUnit`
  before anything changes.
- A closed store refuses every unit with :class:`~accountkit.errors.StoreClosed`.
- Lookups by a key that cannot be stored (not text, a NUL, a lone surrogate) find nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple, Protocol

from accountkit.domain import (
    Address,
    AttemptWindow,
    Consent,
    Customer,
    CustomerGroup,
    CustomerKind,
    Event,
    EventKind,
    IssuedToken,
    LoginCode,
    Membership,
    Session,
    User,
    UserStatus,
    UserTier,
)
from accountkit.domain.orders import Order

__all__ = [
    "AttemptRepository",
    "ConsentLog",
    "CurrencyTotal",
    "CustomerOverview",
    "CustomerRepository",
    "EventLog",
    "EventPages",
    "GroupRepository",
    "LoginCodeRepository",
    "MembershipRepository",
    "OrderReports",
    "OrderRepository",
    "OverviewEntry",
    "OverviewKey",
    "SequenceRepository",
    "SessionRepository",
    "Store",
    "TokenLedger",
    "Transaction",
    "UserRepository",
]


# --- reports (issue 14) ---
# What the read models (accountkit.reports) need of a store: pages of the history, the
# customer overview per row kind, and a customer's orders and totals. Each page is one
# bounded range of one index on SQL: a store reads at most ``limit`` rows past the position.


class OverviewKey(NamedTuple):
    """A position in the customer overview: the last row of the previous page.

    The overview is ordered by ``date`` newest first (rows without a date last), then by
    ``sort_key``, then by ``id``, both in code point order (never a database collation).
    """

    date: datetime | None
    sort_key: str
    id: str


class OverviewEntry(NamedTuple):
    """One overview row as a store reads it: a customer, or an order placed without
    signing in.

    Attributes:
        date: A customer's last signed-in order, or ``None`` without one; an order's
            ``placed_at``.
        sort_key: The customer's sort key (surname or name), or the guest's family name's.
        id: The customer's or the order's id.
        number: The customer number (or ``None``), or the order number.
        name: The customer's name; a guest's given and family name, space-separated.
        email: ``None`` for a customer; the guest's e-mail address for an order.
        has_test_order: The customer has a test order; the order is one.
    """

    date: datetime | None
    sort_key: str
    id: str
    number: str | None
    name: str
    email: str | None
    has_test_order: bool


class CurrencyTotal(NamedTuple):
    """A customer's signed-in orders in one currency: their exact sum and how many."""

    currency: str
    total: Decimal
    order_count: int


class EventPages(Protocol):
    """Keyset pages of the history, in the order the events were appended."""

    def page_for_customer(
        self, customer_id: str, *, after: str | None, limit: int
    ) -> Sequence[Event]:
        """Return up to ``limit`` of the customer's events in append order (as
        :meth:`EventLog.for_customer`), starting after the event with id ``after`` (the
        last of the previous page), or from the first without one. An ``after`` that is
        not one of the customer's events gives nothing."""
        ...

    def page_for_user(self, user_id: str, *, after: str | None, limit: int) -> Sequence[Event]:
        """As :meth:`page_for_customer`, for the events about one user."""
        ...


class CustomerOverview(Protocol):
    """The customers' rows of the customer overview (status REGISTERED)."""

    def overview(
        self,
        *,
        after: OverviewKey | None,
        text: str | None = None,
        group_id: str | None = None,
        limit: int,
    ) -> Sequence[OverviewEntry]:
        """Return up to ``limit`` customers in overview order that come after ``after``.

        A customer's date is its last signed-in order (``None`` without one: after every
        customer with one); its sort key is its surname's, or its name's; ``has_test_order``
        tells whether one of its signed-in orders is a test order.

        Args:
            after: Only rows strictly after this position, or ``None`` from the start.
            text: Only customers whose name or customer number holds ``text`` exactly
                (case-sensitive; ``%`` and ``_`` plain), or ``None`` for any. A text that
                cannot be stored (a NUL, a lone surrogate) matches nothing.
            group_id: Only customers of this group, or ``None`` for any.
            limit: The most rows to return, 1 or more.
        """
        ...


class OrderReports(Protocol):
    """What the reports read of orders."""

    def guest_overview(
        self,
        *,
        after: OverviewKey | None,
        or_equal: bool = False,
        text: str | None = None,
        limit: int,
    ) -> Sequence[OverviewEntry]:
        """Return up to ``limit`` orders placed without signing in, in overview order
        (``placed_at`` newest first, then the guest's family name's sort key, then the
        order id), that come after ``after``: the overview's NOT_REGISTERED rows.

        Args:
            after: Only rows after this position, or ``None`` from the start.
            or_equal: Also the row at exactly ``after`` (the position is a customer's row,
                and a customer sorts before an order of equal date, sort key and id).
            text: Only orders whose guest given name, family name or e-mail address holds
                ``text`` exactly, or ``None`` for any (see :meth:`CustomerOverview.overview`).
            limit: The most rows to return, 1 or more.
        """
        ...

    def totals_for_customer(self, customer_id: str) -> Sequence[CurrencyTotal]:
        """Return per currency (sorted by code) the exact sum and the number of the
        customer's signed-in orders, of every status, test orders included. Nothing for a
        customer without orders or an unknown one."""
        ...

    def page_for_customer(
        self, customer_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Order]:
        """Return up to ``limit`` of the customer's signed-in orders newest first
        (``placed_at`` descending, then id descending in code point order), starting after
        the order at ``after`` (its ``placed_at`` and id), or from the newest."""
        ...

    def latest(self, customer_id: str, n: int) -> Sequence[Order]:
        """Return the customer's ``n`` newest signed-in orders, as :meth:`page_for_customer`
        from the start."""
        ...


class UserRepository(Protocol):
    """Users, unique by the e-mail identity key (see ``domain.validation.email_key``)."""

    def get(self, user_id: str) -> User | None:
        """Return the user with this id, or ``None``."""
        ...

    def get_by_email(self, email_key: str) -> User | None:
        """Return the user whose e-mail key equals ``email_key``, or ``None``."""
        ...

    def lock(self, user_id: str) -> User | None:
        """Return the user (or ``None``) and hold a lock on them until the unit ends.

        Changes that must see one another (a user's memberships) lock the user first, so
        that they run one after the other, also between processes. A read-only unit
        refuses this (:class:`~accountkit.errors.ReadOnlyUnit`).
        """
        ...

    def add(self, user: User) -> User:
        """Insert a new user (its ``version`` is stored as given).

        Raises:
            EmailTaken: Another user has the same e-mail key.
            ConflictError: A user with this id exists.
        """
        ...

    def add_many(self, users: Iterable[User]) -> int:
        """Insert many new users at once (a bulk import); return how many.

        All or nothing: one clash raises :class:`~accountkit.errors.EmailTaken` and none
        of them is stored once the transaction rolls back.
        """
        ...

    def update(self, user: User) -> User:
        """Store ``user`` over the stored one if its version still matches; return it with
        the version raised by one.

        Raises:
            ConcurrentUpdate: The stored version differs (someone else wrote first).
            UserNotFound: No user with that id.
            EmailTaken: The new e-mail key belongs to another user.
        """
        ...

    def count(self) -> int:
        """Return how many users are stored."""
        ...

    def remove(self, user_id: str) -> None:
        """Delete the user with their sessions, login code, issued tokens, memberships and
        consent log (a rejected registration request: nothing of the person may stay).
        History events are not touched (the caller redacts what they say). The e-mail
        address is free again at once.

        Raises:
            UserNotFound: No user with that id.
        """
        ...

    def search(
        self,
        *,
        text: str | None = None,
        tier: UserTier | None = None,
        status: UserStatus | None = None,
        after: str | None = None,
        limit: int,
    ) -> Sequence[User]:
        """Return up to ``limit`` users matching every filter given, ordered by id.

        A user matches ``text`` when ``text`` with its ASCII letters lower-cased is a part
        of the stored e-mail key, or when ``text`` exactly (case-sensitive) is a part of the
        given or the family name. No other case folding happens, so the rule means the same
        in every store whatever its collation. ``%`` and ``_`` are plain characters. A text
        that cannot be stored (a NUL, a lone surrogate) matches nothing.

        Args:
            text: Part of the e-mail key or a name, or ``None`` for any.
            tier: Only users of this tier, or ``None`` for any.
            status: Only users with this status, or ``None`` for any.
            after: Only users whose id sorts after this one (the last id of the previous
                page), or ``None`` from the start.
            limit: The most users to return, 1 or more.
        """
        ...


class CustomerRepository(CustomerOverview, Protocol):
    """Customers, unique by customer number."""

    def get(self, customer_id: str) -> Customer | None:
        """Return the customer with this id, or ``None``."""
        ...

    def get_by_number(self, number: str) -> Customer | None:
        """Return the customer holding this customer number, or ``None``."""
        ...

    def add(self, customer: Customer) -> Customer:
        """Insert a new customer.

        Raises:
            CustomerNumberTaken: Another customer has this number.
            GroupNotFound: Its group does not exist.
            ConflictError: A customer with this id exists.
        """
        ...

    def add_if_number_free(self, customer: Customer) -> Customer | None:
        """Insert a new customer unless another one holds its number; then return ``None``.

        For automatic numbers: a number that an operator took a moment ago (also in a
        concurrent, not yet committed transaction) makes the caller draw the next one
        instead of failing. Nothing is written when it returns ``None``, and the unit stays
        usable.

        Raises:
            GroupNotFound: Its group does not exist.
            ConflictError: A customer with this id exists.
        """
        ...

    def update(self, customer: Customer) -> Customer:
        """Optimistic update, as :meth:`UserRepository.update`.

        A number the customer gives up stays reserved for it (see :meth:`remove`).

        Raises:
            ConcurrentUpdate, CustomerNotFound, CustomerNumberTaken, GroupNotFound.
        """
        ...

    def remove(self, customer_id: str) -> None:
        """Delete a customer that has no memberships (a rejected business registration).

        Its number, and every number it held before, is retired: no other customer can
        ever get it (``add`` and ``update`` raise CustomerNumberTaken, ``add_if_number_free``
        returns None, ``get_by_number`` finds nothing). Customer numbers are never given
        out twice.

        Raises:
            CustomerNotFound: No customer with that id.
            ConflictError: It still has memberships.
        """
        ...

    def search(
        self,
        *,
        text: str | None = None,
        group_id: str | None = None,
        kind: CustomerKind | None = None,
        after: str | None = None,
        limit: int,
    ) -> Sequence[Customer]:
        """Return up to ``limit`` customers matching every filter given, ordered by id.

        A customer matches ``text`` when ``text`` exactly (case-sensitive) is a part of its
        name or of its customer number. ``%`` and ``_`` are plain characters. A text or a
        group id that cannot be stored (a NUL, a lone surrogate) matches nothing.

        Args:
            text: Part of the name or the number, or ``None`` for any.
            group_id: Only customers of this group, or ``None`` for any.
            kind: Only customers of this kind, or ``None`` for any.
            after: Only customers whose id sorts after this one, or ``None`` from the start.
            limit: The most customers to return, 1 or more.
        """
        ...


class MembershipRepository(Protocol):
    """Memberships of users at customers; one per (user, customer) pair."""

    def for_user(self, user_id: str) -> Sequence[Membership]:
        """Return the user's memberships, oldest first (equal times by customer id)."""
        ...

    def for_customer(self, customer_id: str) -> Sequence[Membership]:
        """Return the customer's memberships, oldest first (equal times by user id)."""
        ...

    def get(self, user_id: str, customer_id: str) -> Membership | None:
        """Return the membership of the user at the customer, or ``None``."""
        ...

    def add(self, membership: Membership, *, exclusive: bool) -> Membership:
        """Insert a membership.

        Args:
            membership: The new membership.
            exclusive: Made under ``ONE_CUSTOMER_PER_USER``: the store refuses it when the
                user already has any membership, also against a concurrent insert. A
                non-exclusive membership next to an exclusive one is refused too.

        Raises:
            MembershipConflict: The rule above is broken; ``customer_id`` names the
                customer the user already belongs to.
            AlreadyMember: The pair exists already (a MembershipConflict).
            NotFoundError: The user or the customer does not exist.
            ConflictError: ``membership.active`` while another membership of the user is
                active.
        """
        ...

    def update(self, membership: Membership) -> Membership:
        """Store the role and the active flag of ``membership`` over the stored membership
        of the same (user, customer) pair, if its version still matches; return it with
        the version raised by one. Who assigned it, when, and whether it was made exclusive
        stay as they were.

        Raises:
            MembershipNotFound: There is none.
            ConcurrentUpdate: The stored version differs.
            ConflictError: It would make a second active membership of the user.
        """
        ...

    def remove(self, user_id: str, customer_id: str) -> None:
        """Delete the membership.

        Raises:
            MembershipNotFound: There is none.
        """
        ...


class GroupRepository(Protocol):
    """Customer groups."""

    def get(self, group_id: str) -> CustomerGroup | None:
        """Return the group, or ``None``."""
        ...

    def add(self, group: CustomerGroup) -> CustomerGroup:
        """Insert a new group."""
        ...

    def list(self) -> Sequence[CustomerGroup]:
        """Return all groups, sorted by name."""
        ...


class EventLog(EventPages, Protocol):
    """Append-only history."""

    def append(self, event: Event) -> None:
        """Record an event."""
        ...

    def for_customer(self, customer_id: str) -> Sequence[Event]:
        """Return the customer's events in the order they were appended."""
        ...

    def for_user(self, user_id: str) -> Sequence[Event]:
        """Return the user's events in the order they were appended."""
        ...


class ConsentLog(Protocol):
    """Append-only log of consent grants and withdrawals, per user and purpose."""

    def append(self, consent: Consent) -> None:
        """Record a grant or withdrawal; entries are never changed or removed.

        Raises:
            UserNotFound: No user has ``consent.user_id``.
            InvalidValue: The entry cannot be stored (see ``_checks.check_consent``): an
                empty or too long id, source or wording version, control characters, an
                unknown purpose, a naive time.
            ConflictError: An entry with this id exists.
            ReadOnlyUnit: The unit is read-only.
        """
        ...

    def for_user(self, user_id: str) -> Sequence[Consent]:
        """Return the user's entries in append order: by ``at``, entries of one time by id
        (ids from ``new_id`` grow with time). Nothing for an unknown user."""
        ...


class SequenceRepository(Protocol):
    """Named counters that never hand out a value twice."""

    def next_value(self, name: str, *, start: int) -> int:
        """Advance the sequence ``name`` and return its new value.

        The first call returns ``start``; a later call returns one more than the previous
        value, or ``start`` when that is larger (so raising ``start`` in a policy skips
        ahead). A value that was committed is never handed out again, also between
        concurrent transactions; a rolled-back transaction's value may be reused or
        skipped.
        """
        ...


class TokenLedger(Protocol):
    """What the store remembers about one-time tokens: which ids were used."""

    def mark_used(self, token_id: str, *, user_id: str, purpose: str, at: datetime) -> bool:
        """Record that a one-time token was redeemed.

        Returns:
            ``True`` the first time, ``False`` when the token was used before, also when
            two transactions race to redeem it (exactly one gets ``True``).
        """
        ...

    def is_used(self, token_id: str) -> bool:
        """Return whether the token was redeemed."""
        ...

    def issue(
        self,
        token_id: str,
        *,
        user_id: str,
        purpose: str,
        at: datetime,
        note: str | None = None,
    ) -> None:
        """Record a new one-time token as the user's current one for ``purpose``; it takes
        the place of the one before, whose redemption then fails.

        Raises:
            UserNotFound: No user with that id.
            InvalidValue: ``token_id`` is longer than 128 characters or ``purpose`` than 32,
                or one of them or ``note`` is not text, holds a NUL or a lone surrogate.
        """
        ...

    def current(self, user_id: str, purpose: str) -> IssuedToken | None:
        """Return the user's newest issued token of ``purpose`` (used or not), or ``None``."""
        ...


class SessionRepository(Protocol):
    """Signed-in sessions; ``get`` is the one read behind every authenticated request."""

    def add(self, session: Session) -> Session:
        """Insert a new session.

        Raises:
            UserNotFound: No user with that id.
            ConflictError: A session with this id exists.
            InvalidValue: The id is longer than 64 characters, or not text, or holds a NUL
                or a lone surrogate.
        """
        ...

    def get(self, session_id: str) -> tuple[Session, User] | None:
        """Return the session and its user, read together by the session's primary key
        (one statement on SQL), or ``None``."""
        ...

    def touch(self, session_id: str, at: datetime) -> None:
        """Set the session's ``last_seen_at`` to ``at``; nothing happens if it is gone."""
        ...

    def remove(self, session_id: str) -> bool:
        """Delete the session; return whether there was one."""
        ...

    def remove_for_user(self, user_id: str) -> int:
        """Delete all the user's sessions; return how many there were."""
        ...

    def for_user(self, user_id: str) -> Sequence[Session]:
        """Return the user's sessions, oldest first (equal times by id)."""
        ...


class LoginCodeRepository(Protocol):
    """E-mailed login codes: at most one live code per user, stored as a hash."""

    def put(self, code: LoginCode) -> None:
        """Store ``code`` as the user's code, in place of any code before.

        Raises:
            UserNotFound: No user with that id.
            InvalidValue: The code's id is longer than 64 characters or its hash than 128,
                or one is not text, holds a NUL or a lone surrogate.
        """
        ...

    def get(self, user_id: str) -> LoginCode | None:
        """Return the user's code, or ``None``."""
        ...

    def add_failure(self, user_id: str, code_id: str) -> int | None:
        """Count one wrong try against the user's code ``code_id`` and return the new
        count; ``None`` when that code is no longer stored. Concurrent calls each count
        (no lost update)."""
        ...

    def take(self, user_id: str, code_id: str) -> bool:
        """Delete the user's code if it is still ``code_id``; return whether it was. Of
        concurrent takes of one code exactly one returns True."""
        ...


class AttemptRepository(Protocol):
    """Counters of failed sign-ins, in fixed windows, under opaque keys.

    Keys are at most 128 characters of ASCII (the services pass digests, never an e-mail
    address or a client address).
    """

    def get(self, key: str) -> AttemptWindow | None:
        """Return the key's current window, or ``None``."""
        ...

    def add_failure(self, key: str, *, at: datetime, window: timedelta) -> AttemptWindow:
        """Count one failure at ``at`` and return the window it fell in.

        A window starts at its first failure and lasts ``window``; a failure at or after
        its end starts a new window with one failure. Concurrent calls each count.

        Raises:
            InvalidValue: ``key`` is empty, longer than 128 characters, not ASCII or holds
                a NUL.
        """
        ...

    def clear(self, key: str) -> None:
        """Forget the key's failures (after a success)."""
        ...


# --- orders (issue 14) ---


class OrderRepository(OrderReports, Protocol):
    """Orders, unique by id and by order number, with the addresses they were sent to.

    Every store checks an order before it stores anything (``_checks.check_order``): ids,
    number and channel of 1 to 64 characters, an ISO 4217 currency and a valid total in it
    (stored in its one spelling, ``9.9`` as ``9.90``, and in minor units), aware times, the
    guest's and the addresses' lengths. Such errors are ``InvalidValue`` (``field`` names
    the attribute), ``UnknownCurrency`` or ``InvalidAmount``, alike on every store.
    """

    def add(self, order: Order) -> Order:
        """Insert a new order and one address row per address it has (billing, shipping),
        each with the order's ``user_id``, its role, ``Address.key()`` and ``placed_at`` as
        its time. Returns the order as given.

        When ``order.signed_in`` and it has a ``customer_id``, the customer's
        ``last_order_at`` becomes the later of its value and ``placed_at`` (in one
        statement: concurrent orders never lower it), and a test order sets its
        ``has_test_order``; the customer's version does not change. A guest order keeps
        ``sort_key(guest.family_name)`` as its sort key.

        Raises:
            OrderNumberTaken: An order with this id or this number exists, also when two
                units insert it at once (one wins). The unit stays usable.
            UserNotFound: ``user_id`` names no user.
            CustomerNotFound: ``customer_id`` names no customer.
            InvalidValue, UnknownCurrency, InvalidAmount: See the class.
            ReadOnlyUnit: The unit is read-only.
        """
        ...

    def get(self, order_id: str) -> Order | None:
        """Return the order with this id, or ``None``."""
        ...

    def get_by_number(self, number: str) -> Order | None:
        """Return the order with this order number, or ``None``."""
        ...

    def update(self, order: Order) -> Order:
        """Store the changeable part of ``order`` over the stored order with its id, if its
        version still matches; return the stored order with the version raised by one.

        What changes: ``status``, ``guest``, ``billing``, ``shipping``, ``erased`` and
        ``updated_at`` (a status change, or an erasure that rewrites the person's data).
        Everything else (number, channel, time, amount, user, customer, flags) stays as
        recorded. When the billing or shipping address changes, the order's address rows
        are replaced; the guest's sort key follows the guest.

        Raises:
            OrderNotFound: No order with that id.
            ConcurrentUpdate: The stored version differs.
            InvalidValue, UnknownCurrency, InvalidAmount: See the class.
            ReadOnlyUnit: The unit is read-only.
        """
        ...

    def for_user(self, user_id: str) -> Sequence[Order]:
        """Return every order whose ``user_id`` is the user, oldest first (by
        ``placed_at``, then by id in code point order). Nothing for an unknown user."""
        ...

    def addresses_for_user(self, user_id: str) -> Sequence[Address]:
        """Return every stored address of the user's orders, newest first, duplicates
        included: by the order's ``placed_at``, then by order id (code point order), both
        descending; within one order the shipping address before the billing one."""
        ...


class SigninPurge(NamedTuple):
    """What :meth:`PrivacyRepository.purge_signin` deleted, per kind of row."""

    sessions: int
    login_codes: int
    tokens: int


class PrivacyRepository(Protocol):
    """The writes of erasure and retention (GDPR Art. 17 and 5(1)(e), issue 14) that no
    other repository offers."""

    def redact_events(
        self, user_id: str, customer_ids: Iterable[str], keep: Mapping[EventKind, frozenset[str]]
    ) -> int:
        """Keep in the data of every event filed under ``user_id``, or under one of
        ``customer_ids``, only the keys ``keep`` names for the event's kind (none for a kind
        it does not name); return how many events changed.

        Time, kind, actor, order and ids stay: the history keeps its shape."""
        ...

    def erase_orders(self, user_id: str, *, at: datetime) -> tuple[int, int]:
        """Replace the personal data of every order of ``user_id`` that is not erased yet:
        a guest contact becomes ``domain.orders.ERASED_GUEST``, each address
        ``erased_address(country)`` (the same address row, its country kept), ``erased`` is
        set, ``updated_at`` becomes ``at`` and the version goes up; amounts, numbers, dates
        and status stay. Return (orders changed, address rows changed)."""
        ...

    def end_signin(self, user_id: str) -> int:
        """Delete every session, login code, issued token and used-token record of
        ``user_id``; return how many rows went."""
        ...

    def purge_signin(
        self,
        *,
        now: datetime,
        seen_before: datetime,
        created_before: datetime,
        tokens_before: datetime,
    ) -> SigninPurge:
        """Delete what can no longer sign anybody in: sessions last seen before
        ``seen_before`` or made before ``created_before``, login codes that expired at or
        before ``now``, and issued and used token records from before ``tokens_before``."""
        ...

    def users_without_orders(
        self, *, tier: UserTier, created_before: datetime, after: str | None, limit: int
    ) -> Sequence[str]:
        """The ids of users of ``tier`` made before ``created_before`` that no order names,
        in id order (code point order), only ids above ``after`` when given, at most
        ``limit``: keyset pages of candidates for retention."""
        ...


class Transaction(Protocol):
    """A unit of work: repositories whose changes commit together."""

    @property
    def users(self) -> UserRepository:
        """The users."""
        ...

    @property
    def customers(self) -> CustomerRepository:
        """The customers."""
        ...

    @property
    def memberships(self) -> MembershipRepository:
        """The memberships."""
        ...

    @property
    def groups(self) -> GroupRepository:
        """The customer groups."""
        ...

    @property
    def events(self) -> EventLog:
        """The history."""
        ...

    @property
    def consents(self) -> ConsentLog:
        """The consent log."""
        ...

    @property
    def orders(self) -> OrderRepository:
        """The orders (issue 14)."""
        ...

    @property
    def sequences(self) -> SequenceRepository:
        """The counters."""
        ...

    @property
    def tokens(self) -> TokenLedger:
        """The one-time token ledger."""
        ...

    @property
    def sessions(self) -> SessionRepository:
        """The signed-in sessions."""
        ...

    @property
    def login_codes(self) -> LoginCodeRepository:
        """The e-mailed login codes."""
        ...

    @property
    def attempts(self) -> AttemptRepository:
        """The failed sign-in counters."""
        ...

    @property
    def privacy(self) -> PrivacyRepository:
        """Erasure and retention (issue 14)."""
        ...


class Store(Protocol):
    """Where accountkit keeps its data. :class:`MemoryStore` and :class:`SqlStore` are two."""

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[Transaction]:
        """Open a unit of work; it commits when the block ends and rolls back on an error.

        A unit opened inside another on the same thread joins the outer one: every
        kit call made inside ``with store.transaction():`` commits or rolls back together.
        The inner unit is a savepoint: when it raises, only its own writes are undone, and
        the outer unit stays usable and commits what succeeded.

        Args:
            readonly: The unit only reads: every write in it raises
                :class:`~accountkit.errors.ReadOnlyUnit` and changes nothing, and a write
                unit cannot be opened inside it.

        Raises:
            StoreClosed: The store was closed.
            ReadOnlyUnit: See ``readonly``.
            StorageError: The store could not commit; nothing was written.
        """
        ...

    def vacuum(self, *, full: bool = False) -> None:
        """Make erased data unreadable in the database's files (GDPR Art. 17, 32).

        SQLite: every connection runs with ``secure_delete``, so erased values are zeroed
        in the pages that held them; this checkpoints the write-ahead log into the file and
        truncates it (``wal_checkpoint(TRUNCATE)``), and with ``full`` rebuilds the file
        (``VACUUM``). PostgreSQL: ``VACUUM`` (``VACUUM FULL`` with ``full``) of accountkit's
        tables: plain VACUUM marks the dead row versions reusable, FULL rewrites the
        tables' files without them (it locks each table meanwhile). MemoryStore: nothing
        to do. Not inside a unit of work.

        Raises:
            StoreClosed: The store was closed.
            StorageError: A unit of work is open on this thread, or the database refused.
        """
        ...

    def close(self) -> None:
        """Release connections and files. Afterwards every unit raises
        :class:`~accountkit.errors.StoreClosed`; nothing reopens by itself."""
        ...
