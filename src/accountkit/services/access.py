"""Who may see and do what on a storefront: ``kit.access``.

The answers are pure functions of a :class:`~accountkit.StorefrontContext` (from
``kit.customers.context_for``) and the policy of the context's channel; nothing is read from
or written to the store.

An :data:`Action` is a :class:`~accountkit.domain.permissions.Permission` (or its exact
value), a :class:`~accountkit.policies.MyPage`, or :class:`Browse` (the assortment, or one
category of it)::

    kit.access.can(ctx, Permission.SEE_PRICES)
    kit.access.check(ctx, Browse("garden"))       # raises when the visitor may not
    kit.access.my_pages(ctx)                      # frozenset({MyPage.ORDERS, ...})
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from accountkit.domain import Role, User, UserStatus, UserTier
from accountkit.domain.permissions import DEFAULT_ROLE_PERMISSIONS, Permission, permissions_of
from accountkit.domain.validation import validate_id
from accountkit.errors import (
    AwaitingApproval,
    PermissionDenied,
    ProfileIncomplete,
    SignInRequired,
    UnknownPermission,
    UserDisabled,
    UserErased,
)
from accountkit.policies import AnonymousAssortment, LoginRequirement, MyPage, ShopPolicy
from accountkit.services._base import Service

if TYPE_CHECKING:
    # customers.py builds contexts with these rules; the type is all this module needs.
    from accountkit.services.customers import StorefrontContext

__all__ = ["PAGE_PERMISSIONS", "AccessService", "Action", "Browse", "check", "grants", "pages"]


def _category(value: str | None) -> str | None:
    return None if value is None else validate_id(value, field="category")


@attrs.frozen
class Browse:
    """Browsing the assortment (``Browse()``) or one category of it (``Browse("garden")``).

    Args:
        category: The shop's own category id, or ``None`` for the assortment as a whole.

    Raises:
        InvalidValue: A category that is not 1 to 200 characters without control
            characters.
    """

    category: str | None = attrs.field(default=None, converter=_category)


Action = Permission | MyPage | Browse
"""What ``kit.access`` decides on: a permission, a "my page", or browsing."""

PAGE_PERMISSIONS: Mapping[MyPage, Permission] = MappingProxyType(
    {
        MyPage.ORDERS: Permission.SEE_ORDERS_AND_TRACKING,
        MyPage.TRACKING: Permission.SEE_ORDERS_AND_TRACKING,
        MyPage.INVOICES: Permission.SEE_INVOICES_AND_DOCUMENTS,
        MyPage.DOWNLOADS: Permission.DOWNLOAD_FILES,
    }
)
"""The permission each "my page" needs."""

# A signed-in user who acts for no customer (a B2C account without a personal customer)
# shops for themselves: what a personal customer's MEMBER may do, and nothing of a company.
_OWN_ACCOUNT = DEFAULT_ROLE_PERMISSIONS[Role.MEMBER]


def _action(action: object) -> Action:
    if isinstance(action, Permission | MyPage | Browse):
        return action
    if isinstance(action, str):
        try:
            return Permission(action)
        except ValueError:
            pass
    names = ", ".join(p.value for p in Permission)
    raise UnknownPermission(f"An action is a Permission ({names}), a MyPage or Browse(category).")


def _role_permissions(
    context: StorefrontContext, custom_roles: Mapping[str, frozenset[Permission]]
) -> frozenset[Permission]:
    if context.customer is None or context.role is None:
        return _OWN_ACCOUNT
    return permissions_of(context.role, custom_roles)


def _check_user(
    user: User,
    context: StorefrontContext,
    action: Action,
    policy: ShopPolicy,
    custom_roles: Mapping[str, frozenset[Permission]],
) -> None:
    if user.status is UserStatus.PENDING_APPROVAL:
        raise AwaitingApproval()
    if user.status is UserStatus.ERASED:
        raise UserErased()
    if user.status is not UserStatus.ACTIVE:
        raise UserDisabled()
    # Read the role even for browsing, so that an unknown custom role is always UnknownRole.
    granted = _role_permissions(context, custom_roles)
    if isinstance(action, Browse):
        group = context.group
        if (
            action.category is not None
            and group is not None
            and group.assortment is not None
            and action.category not in group.assortment
        ):
            raise PermissionDenied("This category is not in your assortment.")
        return
    if isinstance(action, MyPage):
        if action not in policy.my_pages:
            raise PermissionDenied("The shop does not offer this page.")
        action = PAGE_PERMISSIONS[action]
    if action is Permission.PLACE_ORDERS and user.tier is UserTier.BLANK:
        raise ProfileIncomplete(permission=action.value)
    if action not in granted:
        raise PermissionDenied(permission=action.value)


def _check_anonymous(action: Action, policy: ShopPolicy) -> None:
    view = policy.anonymous
    if isinstance(action, Browse):
        if view.assortment is AnonymousAssortment.ALL:
            return
        if view.assortment is AnonymousAssortment.CATEGORIES and (
            action.category is None or action.category in view.categories
        ):
            return
        raise SignInRequired("Please sign in to see this part of the assortment.")
    if isinstance(action, MyPage):
        if action not in policy.my_pages:
            raise PermissionDenied("The shop does not offer this page.")
        raise SignInRequired("Please sign in to see your pages.")
    if action is Permission.SEE_PRICES:
        if policy.anonymous_prices:
            return
        raise SignInRequired(permission=action.value)
    # The checkout without sign-in is the guest checkout: open only where sign-in is not
    # required to order.
    if action is Permission.PLACE_ORDERS and policy.login_requirement is LoginRequirement.NONE:
        return
    raise SignInRequired(permission=action.value)


def check(
    context: StorefrontContext,
    action: Action | str,
    policy: ShopPolicy,
    custom_roles: Mapping[str, frozenset[Permission]],
) -> None:
    """Raise unless the context may do ``action`` under ``policy`` (the rules of
    :meth:`AccessService.check`, for a policy given directly)."""
    chosen = _action(action)
    if context.user is None:
        _check_anonymous(chosen, policy)
    else:
        _check_user(context.user, context, chosen, policy, custom_roles)


def grants(
    context: StorefrontContext,
    policy: ShopPolicy,
    custom_roles: Mapping[str, frozenset[Permission]],
) -> frozenset[Permission]:
    """The permissions the context has under ``policy`` (each one ``check`` lets through).

    Raises:
        UnknownRole: The membership's custom role is not one of ``custom_roles``.
    """
    return frozenset(p for p in Permission if _allowed(context, p, policy, custom_roles))


def pages(
    context: StorefrontContext,
    policy: ShopPolicy,
    custom_roles: Mapping[str, frozenset[Permission]],
) -> frozenset[MyPage]:
    """The "my pages" the context may see under ``policy``.

    Raises:
        UnknownRole: The membership's custom role is not one of ``custom_roles``.
    """
    return frozenset(p for p in MyPage if _allowed(context, p, policy, custom_roles))


def _allowed(
    context: StorefrontContext,
    action: Action | str,
    policy: ShopPolicy,
    custom_roles: Mapping[str, frozenset[Permission]],
) -> bool:
    try:
        check(context, action, policy, custom_roles)
    except (PermissionDenied, UserDisabled, UserErased):
        return False
    return True


class AccessService:
    """Who may see and do what: ``kit.access``.

    The rules, in the order they apply:

    - **Anonymous visitors** (``context.user is None``) browse what ``policy.anonymous``
      shows (ALL, some CATEGORIES, or NONE), see prices when ``policy.anonymous_prices``,
      and may order (the guest checkout) only when ``login_requirement`` is NONE; the
      rest, "my pages" included, needs sign-in (``SignInRequired``).
    - **Inactive users**: a user waiting for approval gets ``AwaitingApproval``, a disabled
      one ``UserDisabled``, an erased one ``UserErased``, for every action.
    - **Signed-in users** may do what their role at the acting customer grants
      (``permissions_of``, custom roles included); a user who acts for no customer shops
      for themselves (what a MEMBER may do: order, prices, their orders, documents and
      downloads; never manage users or addresses). A BLANK user may browse but not order
      (``ProfileIncomplete``) until the profile is complete. A category outside the
      customer's group assortment is not browsable. A "my page" needs the shop to offer it
      (``policy.my_pages``) and its permission (:data:`PAGE_PERMISSIONS`).
    """

    def __init__(self, service: Service) -> None:
        self._s = service

    def _policy(self, context: StorefrontContext) -> ShopPolicy:
        return self._s._channel(context.channel).policy

    def check(self, context: StorefrontContext, action: Action | str) -> None:
        """Raise unless the visitor or user of ``context`` may do ``action``.

        Args:
            context: From ``kit.customers.context_for`` (``None`` for an anonymous visitor).
            action: A Permission (or its exact value), a MyPage, or a Browse.

        Raises:
            SignInRequired: An anonymous visitor asked for what needs sign-in.
            ProfileIncomplete: A BLANK user tried to order.
            AwaitingApproval, UserDisabled: The user is not active.
            UserErased: The user was erased.
            PermissionDenied: Anything else refused; ``exc.permission`` names the missing
                permission (``None`` for a category outside the assortment or a page the
                shop does not offer).
            UnknownPermission: ``action`` names nothing.
            UnknownRole: The membership's custom role is not one the kit was given.
            ChannelNotFound: The context's channel is not one of the kit's.

        Example::

            kit.access.check(kit.customers.context_for(None, channel="b2b"),
                             Permission.SEE_PRICES)   # SignInRequired on a B2B channel
        """
        check(context, action, self._policy(context), self._s._ctx.custom_roles)

    def can(self, context: StorefrontContext, action: Action | str) -> bool:
        """Whether ``check(context, action)`` would pass.

        Raises:
            UnknownPermission, UnknownRole, ChannelNotFound: As :meth:`check` (bad input is
                an error, never a quiet ``False``).
        """
        return _allowed(context, action, self._policy(context), self._s._ctx.custom_roles)

    def my_pages(self, context: StorefrontContext) -> frozenset[MyPage]:
        """The "my pages" the storefront shows the context: those the channel offers whose
        permission the user has; none for anonymous visitors and inactive users.

        Raises:
            UnknownRole, ChannelNotFound: As :meth:`check`.
        """
        return pages(context, self._policy(context), self._s._ctx.custom_roles)
