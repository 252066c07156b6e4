"""AccountKit: wires the store, the clock, the channels and the services together."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from accountkit._clock import Clock, SystemClock, checked_clock
from accountkit.domain.permissions import Permission, custom_role_name, permission_set
from accountkit.errors import InvalidPolicy, InvalidValue
from accountkit.notify import Notifier, Outbox
from accountkit.policies import RetentionPolicy, SalesChannel, SessionPolicy, ShopPolicy
from accountkit.security.passwords import Argon2Hasher, PasswordHasher, PasswordPolicy
from accountkit.security.tokens import SessionCodec, TokenCodec
from accountkit.services._base import Context, Service
from accountkit.services.access import AccessService
from accountkit.services.auth import AuthService
from accountkit.services.customers import CustomerService
from accountkit.services.limits import AttemptLimiter, StoreLimiter
from accountkit.services.orders import OrderService
from accountkit.services.privacy import PrivacyService
from accountkit.services.registration import RegistrationService
from accountkit.services.reports import ReportService
from accountkit.services.users import UserService
from accountkit.storage._protocols import Store

__all__ = ["AccountKit"]


class AccountKit:
    """The entry point: one object per shop, holding every service.

    Args:
        store: Where data lives: ``MemoryStore()`` or ``SqlStore(url)``.
        secret_keys: Keys for signing tokens, oldest first; the newest signs, all verify.
            At least one, each at least 8 characters (use 32 random bytes in production).
        channels: The sales channels, each with its ``ShopPolicy``; the first is the
            default. Defaults to one channel ``"web"`` with ``ShopPolicy()`` (closed
            registration).
        clock: Where time comes from; inject a ``FrozenClock`` in tests.
        notifier: Where links and notices for people go; defaults to an in-memory
            :class:`~accountkit.Outbox`.
        password_hasher: Defaults to :class:`~accountkit.security.Argon2Hasher`; pass
            ``accountkit.testing.CheapPasswordHasher()`` in tests.
        password_policy: The rules for new passwords; defaults to
            ``PasswordPolicy()`` (at least 12 characters, not a common password, not the
            user's names, address or the shop's name).
        session_policy: How long sessions live; defaults to ``SessionPolicy()``.
        retention: How long ``kit.privacy.purge_expired`` keeps guest accounts without
            orders and unconfirmed registrations; defaults to ``RetentionPolicy()``.
        limiter: Counts failed sign-ins; defaults to ``StoreLimiter(store)`` (10 failures
            per account, 100 per client, in 15 minutes).
        shop_name: The shop's name, which passwords must not contain.
        roles: Custom roles beside the built-in ``Role`` members: a name (1 to 32 of a-z,
            0-9, ``_``) and the permissions it grants, such as
            ``{"purchaser": {Permission.PLACE_ORDERS, Permission.SEE_PRICES}}``.
        allow_special_use_domains: Accept e-mail addresses under special-use domains
            (``.test``, ``.invalid``, ``.local``, ...), which cannot receive mail. Off by
            default, when such an address raises ``SpecialUseDomain``; turn it on in test
            suites that use them.

    Raises:
        InvalidPolicy: No secret key, a short key, a channel that is not a SalesChannel,
            duplicate channel names, or channels that disagree on the membership rule
            (memberships are shop-wide, since a user is; a shop with B2C and B2B channels
            gives every channel ``membership=MembershipRule.MANY_COMPANIES``).
        UnknownRole, UnknownPermission: A bad custom role name or permission.
        InvalidValue: ``store`` is not a store (for example a URL string: pass
            ``SqlStore(url)``), ``clock`` has no ``now()``, ``notifier`` no ``send()``,
            ``password_hasher`` no ``hash()`` and ``verify()``, ``limiter`` not the three
            methods of an AttemptLimiter, or a policy of the wrong type.

    Every time the services read from ``clock`` is checked: a naive time raises InvalidValue
    (nothing is stored), an aware time in another zone is converted to UTC.

    Example:
        >>> kit = AccountKit(store=MemoryStore(), secret_keys=["k" * 32],
        ...                  channels=[SalesChannel("web", ShopPolicy.b2c_open())])
        >>> kit.registration  # doctest: +ELLIPSIS
        <accountkit.services.registration.RegistrationService object at ...>
    """

    def __init__(
        self,
        *,
        store: Store,
        secret_keys: Sequence[str | bytes],
        channels: Sequence[SalesChannel] | None = None,
        clock: Clock | None = None,
        notifier: Notifier | None = None,
        password_hasher: PasswordHasher | None = None,
        password_policy: PasswordPolicy | None = None,
        session_policy: SessionPolicy | None = None,
        retention: RetentionPolicy | None = None,
        limiter: AttemptLimiter | None = None,
        shop_name: str | None = None,
        roles: Mapping[str, Iterable[Permission | str]] | None = None,
        allow_special_use_domains: bool = False,
    ) -> None:
        _check_store(store)
        if isinstance(secret_keys, str | bytes) or not secret_keys:
            raise InvalidPolicy(
                "secret_keys is a list of keys, oldest first; give at least one.",
                field="secret_keys",
            )
        if any(not isinstance(key, str | bytes) for key in secret_keys):
            raise InvalidPolicy(
                "Each secret key is a str or bytes, oldest first.", field="secret_keys"
            )
        if any(len(key) < 8 for key in secret_keys):
            raise InvalidPolicy(
                "Each secret key needs at least 8 characters; use 32 random bytes.",
                field="secret_keys",
            )
        if isinstance(channels, SalesChannel | str):
            raise InvalidPolicy(
                "channels is a list of SalesChannel, such as [SalesChannel('web')].",
                field="channels",
            )
        channel_list = list(channels) if channels else [SalesChannel("web", ShopPolicy())]
        if any(not isinstance(c, SalesChannel) for c in channel_list):
            raise InvalidPolicy(
                "Each channel is a SalesChannel, such as SalesChannel('web', ShopPolicy()).",
                field="channels",
            )
        names = [c.name for c in channel_list]
        if len(set(names)) != len(names):
            raise InvalidPolicy("Two sales channels have the same name.", field="channels")
        rules = {c.policy.membership for c in channel_list}
        if len(rules) != 1:
            raise InvalidPolicy(
                "All channels must share one membership rule: a user and their memberships "
                "belong to the whole shop. To run B2C and B2B channels in one shop, give every "
                "channel's policy membership=MembershipRule.MANY_COMPANIES (a B2C user then "
                "simply has one customer or none); or run two kits on separate stores.",
                field="channels",
            )
        self.secret_keys: tuple[bytes, ...] = tuple(
            k.encode() if isinstance(k, str) else bytes(k) for k in secret_keys
        )
        self.store = store
        self.clock: Clock = SystemClock() if clock is None else clock
        services_clock = checked_clock(self.clock)
        if notifier is not None and not _has_methods(notifier, "send"):
            raise InvalidValue(
                "notifier must have a send(message) method, such as Outbox(); leave it out "
                "for an Outbox.",
                field="notifier",
            )
        if password_hasher is not None and not _has_methods(password_hasher, "hash", "verify"):
            raise InvalidValue(
                "password_hasher must have hash() and verify(), such as Argon2Hasher(); "
                "leave it out for the default.",
                field="password_hasher",
            )
        if limiter is not None and not _has_methods(limiter, "retry_after", "failed", "succeeded"):
            raise InvalidValue(
                "limiter must be an AttemptLimiter, such as StoreLimiter(store); leave it out "
                "for the default.",
                field="limiter",
            )
        if password_policy is not None and not isinstance(password_policy, PasswordPolicy):
            raise InvalidValue(
                "password_policy is a PasswordPolicy, such as PasswordPolicy.relaxed().",
                field="password_policy",
            )
        if session_policy is not None and not isinstance(session_policy, SessionPolicy):
            raise InvalidValue(
                "session_policy is a SessionPolicy, such as SessionPolicy.strict().",
                field="session_policy",
            )
        if retention is not None and not isinstance(retention, RetentionPolicy):
            raise InvalidValue(
                "retention is a RetentionPolicy, such as RetentionPolicy.strict().",
                field="retention",
            )
        if shop_name is not None and (not isinstance(shop_name, str) or not shop_name.strip()):
            raise InvalidValue("shop_name is the shop's name as text.", field="shop_name")
        self.notifier: Notifier = notifier or Outbox()
        self.channels: dict[str, SalesChannel] = {c.name: c for c in channel_list}
        context = Context(
            store=store,
            clock=services_clock,
            channels=self.channels,
            default_channel=channel_list[0].name,
            membership_rule=rules.pop(),
            hasher=password_hasher or Argon2Hasher(),
            notifier=self.notifier,
            secret_keys=self.secret_keys,
            tokens=TokenCodec(self.secret_keys, clock=services_clock),
            session_codec=SessionCodec(self.secret_keys),
            session_policy=session_policy or SessionPolicy(),
            password_policy=password_policy or PasswordPolicy(),
            limiter=limiter or StoreLimiter(store),
            shop_name=shop_name,
            custom_roles=_custom_roles(roles),
            allow_special_use_domains=allow_special_use_domains,
            retention=retention or RetentionPolicy(),
        )
        service = Service(context)
        self.auth = AuthService(service)
        self.registration = RegistrationService(service)
        self.users = UserService(service)
        self.customers = CustomerService(service)
        self.reports = ReportService(service)
        self.orders = OrderService(service, self.registration)
        self.privacy = PrivacyService(service, self.registration)
        self.access = AccessService(service)

    def close(self) -> None:
        """Close the store; afterwards every call raises
        :class:`~accountkit.errors.StoreClosed`. Closing twice is harmless.

        ``AccountKit`` is also a context manager that closes the store when the block ends::

            with AccountKit(store=SqlStore("sqlite:///shop.db"), secret_keys=[key]) as kit:
                kit.registration.register_guest(email="tom@example.com", given_name="Tom")
        """
        self.store.close()

    def __enter__(self) -> AccountKit:
        """Return the kit; the ``with`` block's end closes its store."""
        return self

    def __exit__(self, *_: object) -> None:
        """Close the store (see :meth:`close`)."""
        self.close()

    def __repr__(self) -> str:
        return f"AccountKit(store={type(self.store).__name__}, channels={list(self.channels)})"


def _custom_roles(
    roles: Mapping[str, Iterable[Permission | str]] | None,
) -> Mapping[str, frozenset[Permission]]:
    if roles is None:
        return MappingProxyType({})
    if not isinstance(roles, Mapping):
        raise InvalidValue(
            "roles maps custom role names to permissions, such as "
            '{"purchaser": {Permission.PLACE_ORDERS}}.',
            field="roles",
        )
    return MappingProxyType(
        {custom_role_name(name): permission_set(perms) for name, perms in sorted(roles.items())}
    )


def _check_store(store: object) -> None:
    if isinstance(store, str):
        raise InvalidValue(
            "store is a store object, not a URL: pass SqlStore(url) (from accountkit.storage) "
            "or MemoryStore().",
            field="store",
        )
    if not _has_methods(store, "transaction", "close"):
        raise InvalidValue(
            "store must be a store, such as MemoryStore() or SqlStore(url) from "
            "accountkit.storage.",
            field="store",
        )


def _has_methods(value: object, *names: str) -> bool:
    """Whether ``value`` is an instance (not a class passed by mistake) with these methods."""
    return not isinstance(value, type) and all(
        callable(getattr(value, name, None)) for name in names
    )
