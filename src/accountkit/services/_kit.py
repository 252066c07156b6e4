"""AccountKit: wires the store, the clock, the channels and the services together."""

from __future__ import annotations

from collections.abc import Sequence

from accountkit._clock import Clock, SystemClock
from accountkit.errors import InvalidPolicy
from accountkit.notify import Notifier, Outbox
from accountkit.policies import SalesChannel, ShopPolicy
from accountkit.security.passwords import Argon2Hasher, PasswordHasher
from accountkit.services._base import Context, Service
from accountkit.services.customers import CustomerService
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
        allow_special_use_domains: Accept e-mail addresses under special-use domains
            (``.test``, ``.invalid``, ``.local``, ...), which cannot receive mail. Off by
            default, when such an address raises ``SpecialUseDomain``; turn it on in test
            suites that use them.

    Raises:
        InvalidPolicy: No secret key, a short key, duplicate channel names, or channels that
            disagree on the membership rule (memberships are shop-wide, since a user is).

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
        allow_special_use_domains: bool = False,
    ) -> None:
        if isinstance(secret_keys, str | bytes) or not secret_keys:
            raise InvalidPolicy(
                "secret_keys is a list of keys, oldest first; give at least one.",
                field="secret_keys",
            )
        if any(len(key) < 8 for key in secret_keys):
            raise InvalidPolicy(
                "Each secret key needs at least 8 characters; use 32 random bytes.",
                field="secret_keys",
            )
        channel_list = list(channels) if channels else [SalesChannel("web", ShopPolicy())]
        names = [c.name for c in channel_list]
        if len(set(names)) != len(names):
            raise InvalidPolicy("Two sales channels have the same name.", field="channels")
        rules = {c.policy.membership for c in channel_list}
        if len(rules) != 1:
            raise InvalidPolicy(
                "All channels must share one membership rule: a user and their memberships "
                "belong to the whole shop.",
                field="channels",
            )
        self.secret_keys: tuple[bytes, ...] = tuple(
            k.encode() if isinstance(k, str) else bytes(k) for k in secret_keys
        )
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.notifier: Notifier = notifier or Outbox()
        self.channels: dict[str, SalesChannel] = {c.name: c for c in channel_list}
        context = Context(
            store=store,
            clock=self.clock,
            channels=self.channels,
            default_channel=channel_list[0].name,
            membership_rule=rules.pop(),
            hasher=password_hasher or Argon2Hasher(),
            notifier=self.notifier,
            allow_special_use_domains=allow_special_use_domains,
        )
        service = Service(context)
        self.registration = RegistrationService(service)
        self.users = UserService(service)
        self.customers = CustomerService(service)
        self.reports = ReportService(service)

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> AccountKit:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AccountKit(store={type(self.store).__name__}, channels={list(self.channels)})"
