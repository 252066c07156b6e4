"""What a user may do for the customer they act for: permissions, and the roles that bundle
them. Pure values; ``kit.access`` applies them (with the tier, the status and the policy)."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from accountkit.domain.customers import Role, role_value
from accountkit.errors import UnknownPermission, UnknownRole

__all__ = [
    "DEFAULT_ROLE_PERMISSIONS",
    "Permission",
    "custom_role_name",
    "permission_set",
    "permissions_of",
    "role_value",
]


class Permission(enum.StrEnum):
    """One thing a member may do for their customer.

    - ``PLACE_ORDERS``: order on the customer's account.
    - ``SEE_PRICES``: see the customer's prices.
    - ``SEE_ORDERS_AND_TRACKING``: the customer's orders and their tracking ("my pages").
    - ``SEE_INVOICES_AND_DOCUMENTS``: invoices, quotes, delivery notes.
    - ``DOWNLOAD_FILES``: files the shop offers its customers (data sheets, price lists).
    - ``MANAGE_USERS``: invite and remove the customer's users and change their roles.
    - ``MANAGE_ADDRESSES``: change the company's bill-to and ship-to addresses.
    """

    PLACE_ORDERS = "place_orders"
    SEE_PRICES = "see_prices"
    SEE_ORDERS_AND_TRACKING = "see_orders_and_tracking"
    SEE_INVOICES_AND_DOCUMENTS = "see_invoices_and_documents"
    DOWNLOAD_FILES = "download_files"
    MANAGE_USERS = "manage_users"
    MANAGE_ADDRESSES = "manage_addresses"


_ALL = frozenset(Permission)
_SHOPPING = frozenset(
    {
        Permission.PLACE_ORDERS,
        Permission.SEE_PRICES,
        Permission.SEE_ORDERS_AND_TRACKING,
        Permission.SEE_INVOICES_AND_DOCUMENTS,
        Permission.DOWNLOAD_FILES,
    }
)

DEFAULT_ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.COMPANY_MANAGER: _ALL,
        Role.BUYER: _SHOPPING,
        Role.VIEWER: frozenset(
            {
                Permission.SEE_PRICES,
                Permission.SEE_ORDERS_AND_TRACKING,
                Permission.SEE_INVOICES_AND_DOCUMENTS,
                Permission.DOWNLOAD_FILES,
            }
        ),
        Role.MEMBER: _SHOPPING,
    }
)
"""What each built-in role may do. A shop adds roles of its own as sets of permissions
(``AccountKit(roles={"purchaser": {...}})``)."""

_ROLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


def custom_role_name(name: object) -> str:
    """Return ``name`` if it can name a custom role: 1 to 32 of a-z, 0-9 and ``_``, starting
    with a letter, and not a built-in role's value.

    Raises:
        UnknownRole: Anything else (the message says the rule).
    """
    if not isinstance(name, str) or not _ROLE_NAME.fullmatch(name):
        raise UnknownRole(
            "A custom role's name is 1 to 32 lower-case letters, digits or '_', starting "
            "with a letter (for example 'purchaser')."
        )
    if name in {r.value for r in Role}:
        raise UnknownRole(f"{name!r} is a built-in role; give the custom role another name.")
    return name


def permission_set(values: Iterable[Permission | str]) -> frozenset[Permission]:
    """Return the permissions named by ``values`` (members or their exact values).

    Raises:
        UnknownPermission: A value that names no permission; the message lists them.
    """
    if isinstance(values, str):
        values = [values]
    chosen: set[Permission] = set()
    for value in values:
        if isinstance(value, Permission):
            chosen.add(value)
            continue
        try:
            chosen.add(Permission(value))
        except ValueError:
            names = ", ".join(p.value for p in Permission)
            raise UnknownPermission(f"Permissions are: {names}.") from None
    return frozenset(chosen)


def permissions_of(
    role: Role | str, custom_roles: Mapping[str, frozenset[Permission]]
) -> frozenset[Permission]:
    """What a member with ``role`` may do: a built-in role's default set, or the custom
    role's set from ``custom_roles`` (the kit's ``roles=``).

    Raises:
        UnknownRole: A custom name the kit was not given.
    """
    if isinstance(role, Role):
        return DEFAULT_ROLE_PERMISSIONS[role]
    found = custom_roles.get(role)
    if found is None:
        raise UnknownRole()
    return found
