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

__all__ = ["MAX_PAGE_SIZE", "Page", "search_customers", "search_users"]

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


def _serializer(service: Service, salt: str) -> URLSafeSerializer:
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


def _check_page_size(page_size: object) -> int:
    if type(page_size) is not int or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidValue(
            f"page_size is a whole number from 1 to {MAX_PAGE_SIZE}.", field="page_size"
        )
    return page_size


def _digest(filters: list[Any]) -> str:
    """What a cursor keeps of its filters: a digest, so that the search text (perhaps part of
    an e-mail address) is not readable from the cursor, and long texts keep it short."""
    # ensure_ascii: a lone surrogate becomes an escape instead of failing to encode.
    text = json.dumps(filters, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _after(serializer: URLSafeSerializer, cursor: object, filters: list[Any]) -> str | None:
    """The last id of the previous page that ``cursor`` names, for exactly these filters."""
    if cursor is None:
        return None
    if not isinstance(cursor, str):
        raise InvalidCursor(field="cursor")
    try:
        payload = serializer.loads(cursor)
    except (BadData, UnicodeError, ValueError) as exc:
        raise InvalidCursor(field="cursor") from exc
    if (
        not isinstance(payload, dict)
        or set(payload) != {"after", "filters"}
        or not isinstance(payload["after"], str)
    ):
        raise InvalidCursor(field="cursor")
    if payload["filters"] != _digest(filters):
        raise InvalidCursor(
            "This page cursor was made for other search filters; start from the first page.",
            field="cursor",
        )
    return str(payload["after"])


def _page(
    serializer: URLSafeSerializer,
    filters: list[Any],
    found: Sequence[T],
    page_size: int,
    last_id: Callable[[T], str],
) -> Page[T]:
    # The store was asked for one record more than a page: it tells whether another follows.
    items = tuple(found[:page_size])
    if len(found) <= page_size:
        return Page(items=items, next_cursor=None)
    token = serializer.dumps({"after": last_id(items[-1]), "filters": _digest(filters)})
    return Page(items=items, next_cursor=str(token))


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
    size = _check_page_size(page_size)
    serializer = _serializer(service, _USER_SALT)
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
    size = _check_page_size(page_size)
    serializer = _serializer(service, _CUSTOMER_SALT)
    filters = [text, group_id, None if kind_ is None else kind_.value]
    after = _after(serializer, cursor, filters)
    found = service._read(
        lambda tx: tx.customers.search(
            text=text, group_id=group_id, kind=kind_, after=after, limit=size + 1
        )
    )
    return _page(serializer, filters, found, size, lambda customer: customer.id)
