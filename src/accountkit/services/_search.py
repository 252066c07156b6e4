"""Admin search: filtered keyset pages of users and customers, with signed cursors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import attrs
from itsdangerous import BadData, URLSafeSerializer

from accountkit.domain import Actor, Customer, CustomerKind, User, UserStatus, UserTier
from accountkit.domain._enums import as_enum
from accountkit.errors import InvalidCursor, InvalidValue
from accountkit.services._base import Service, require_staff

__all__ = [
    "MAX_PAGE_SIZE",
    "Page",
    "check_page_size",
    "cursor_serializer",
    "page_of",
    "read_cursor",
    "search_customers",
    "search_users",
]

T = TypeVar("T")

MAX_PAGE_SIZE = 500
"""The largest ``page_size`` a search accepts."""

_USER_SALT = "accountkit.search.users"
_CUSTOMER_SALT = "accountkit.search.customers"


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a search: its records, and the cursor of the next page.

    Attributes:
        items: The records of this page, ordered by id.
        next_cursor: Pass it as ``cursor`` with the same filters to get the next page;
            ``None`` on the last page.
    """

    items: tuple[T, ...]
    # The cursor stays out of repr: it is a bearer value for the next page.
    next_cursor: str | None = attrs.field(repr=False)


def cursor_serializer(service: Service, salt: str) -> URLSafeSerializer:
    """The signer of one kind of page's cursors: ``salt`` keeps the kinds apart, so a
    cursor of one kind is refused by every other."""
    # Oldest key first, as itsdangerous wants: the newest signs, every key verifies.
    return URLSafeSerializer(
        list(service._ctx.secret_keys),
        salt=salt,
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def _check_text(text: object) -> str | None:
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise InvalidValue("The search text is a string or None.", field="text")
    return text


def check_page_size(page_size: object, *, largest: int = MAX_PAGE_SIZE) -> int:
    """Return ``page_size`` if it is a whole number from 1 to ``largest``.

    Raises:
        InvalidValue: It is not.
    """
    if type(page_size) is not int or not 1 <= page_size <= largest:
        raise InvalidValue(f"page_size is a whole number from 1 to {largest}.", field="page_size")
    return page_size


def _digest(filters: list[Any]) -> str:
    """What a cursor keeps of its filters: a digest, so that the search text (perhaps part of
    an e-mail address) is not readable from the cursor, and long texts keep it short."""
    # ensure_ascii: a lone surrogate becomes an escape instead of failing to encode.
    text = json.dumps(filters, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def read_cursor(
    serializer: URLSafeSerializer,
    cursor: object,
    filters: list[Any],
    position: Callable[[object], T | None],
) -> T | None:
    """The position (the last row of the previous page) that ``cursor`` names, for exactly
    these filters; ``None`` without a cursor.

    Args:
        serializer: The kind of page's serializer (its salt tells the kinds apart).
        cursor: ``next_cursor`` of the previous page, or ``None``.
        filters: The filters of this call; a cursor made for others is refused.
        position: Turns the payload's ``after`` value into a position, or ``None`` when it
            is not one (a cursor signed by this kit never gives ``None``).

    Raises:
        InvalidCursor: Not text, a bad signature (another kit, another kind of page,
            tampered), another shape, or other filters.
    """
    if cursor is None:
        return None
    if not isinstance(cursor, str):
        raise InvalidCursor(field="cursor")
    try:
        payload = serializer.loads(cursor)
    except (BadData, UnicodeError, ValueError) as exc:
        raise InvalidCursor(field="cursor") from exc
    if not isinstance(payload, dict) or set(payload) != {"after", "filters"}:
        raise InvalidCursor(field="cursor")
    if payload["filters"] != _digest(filters):
        raise InvalidCursor(
            "This page cursor was made for other filters; start from the first page.",
            field="cursor",
        )
    found = position(payload["after"])
    if found is None:
        raise InvalidCursor(field="cursor")
    return found


def page_of(
    serializer: URLSafeSerializer,
    filters: list[Any],
    found: Sequence[T],
    page_size: int,
    position: Callable[[T], Any],
) -> Page[T]:
    """The page of the first ``page_size`` of ``found``, which the store read with one row
    more than a page: that row tells whether another page follows. The next cursor signs
    ``position(last item)`` (JSON) with a digest of the filters."""
    items = tuple(found[:page_size])
    if len(found) <= page_size:
        return Page(items=items, next_cursor=None)
    token = serializer.dumps({"after": position(items[-1]), "filters": _digest(filters)})
    return Page(items=items, next_cursor=str(token))


def _an_id(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _after(serializer: URLSafeSerializer, cursor: object, filters: list[Any]) -> str | None:
    """The last id of the previous page that ``cursor`` names, for exactly these filters."""
    return read_cursor(serializer, cursor, filters, _an_id)


def _page(
    serializer: URLSafeSerializer,
    filters: list[Any],
    found: Sequence[T],
    page_size: int,
    last_id: Callable[[T], str],
) -> Page[T]:
    return page_of(serializer, filters, found, page_size, last_id)


def search_users(
    service: Service,
    actor: Actor,
    *,
    text: str | None,
    tier: UserTier | str | None,
    status: UserStatus | str | None,
    page_size: int,
    cursor: str | None,
) -> Page[User]:
    """``kit.users.search``; see :meth:`accountkit.UserService.search`."""
    require_staff(actor)
    text = _check_text(text)
    tier_ = None if tier is None else as_enum(UserTier, tier, field="tier")
    status_ = None if status is None else as_enum(UserStatus, status, field="status")
    size = check_page_size(page_size)
    serializer = cursor_serializer(service, _USER_SALT)
    filters = [
        text,
        None if tier_ is None else tier_.value,
        None if status_ is None else status_.value,
    ]
    after = _after(serializer, cursor, filters)
    found = service._read(
        lambda tx: tx.users.search(
            text=text, tier=tier_, status=status_, after=after, limit=size + 1
        )
    )
    return _page(serializer, filters, found, size, lambda user: user.id)


def search_customers(
    service: Service,
    actor: Actor,
    *,
    text: str | None,
    group_id: str | None,
    kind: CustomerKind | str | None,
    page_size: int,
    cursor: str | None,
) -> Page[Customer]:
    """``kit.customers.search``; see :meth:`accountkit.CustomerService.search`."""
    require_staff(actor)
    text = _check_text(text)
    if group_id is not None and not isinstance(group_id, str):
        raise InvalidValue("group_id is a string or None.", field="group_id")
    kind_ = None if kind is None else as_enum(CustomerKind, kind, field="kind")
    size = check_page_size(page_size)
    serializer = cursor_serializer(service, _CUSTOMER_SALT)
    filters = [text, group_id, None if kind_ is None else kind_.value]
    after = _after(serializer, cursor, filters)
    found = service._read(
        lambda tx: tx.customers.search(
            text=text, group_id=group_id, kind=kind_, after=after, limit=size + 1
        )
    )
    return _page(serializer, filters, found, size, lambda customer: customer.id)
