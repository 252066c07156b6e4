"""Shop policies: the choices on which real shops differ, one :class:`ShopPolicy` per channel.

A :class:`ShopPolicy` is a frozen value with named presets, in the manner of argon2-cffi's
parameter profiles::

    ShopPolicy.b2c_open()                      # anyone may register; personal accounts
    ShopPolicy.b2b_approval()                  # companies register, the operator approves
    attrs.evolve(ShopPolicy.b2c_open(), numbering=CustomerNumbering.AUTOMATIC("K-{n:06d}", 1))
"""

from __future__ import annotations

import enum
import string
import unicodedata
from collections.abc import Iterable
from datetime import timedelta
from typing import ClassVar

import attrs

from accountkit.domain._enums import as_enum
from accountkit.domain.validation import MAX_CUSTOMER_NUMBER_LENGTH, check_base_url
from accountkit.errors import InvalidPolicy, InvalidValue

__all__ = [
    "AnonymousAssortment",
    "AnonymousView",
    "CustomerNumbering",
    "Field",
    "GuestCheckout",
    "LoginRequirement",
    "MembershipRule",
    "MyPage",
    "NumberingMode",
    "RegistrationAccess",
    "RegistrationMode",
    "RetentionPolicy",
    "SalesChannel",
    "SessionPolicy",
    "ShopPolicy",
]


class MembershipRule(enum.StrEnum):
    """How many customers one user may belong to.

    ``ONE_CUSTOMER_PER_USER`` (default): one, since prices hang on the customer.
    ``MANY_COMPANIES``: several, with one active company the user switches between.
    """

    ONE_CUSTOMER_PER_USER = "one_customer_per_user"
    MANY_COMPANIES = "many_companies"


class RegistrationMode(enum.StrEnum):
    """What self-registration makes: ``B2C`` a user, ``B2B`` a user and a business customer."""

    B2C = "b2c"
    B2B = "b2b"


class RegistrationAccess(enum.StrEnum):
    """Who may register: ``CLOSED`` (default; the operator makes accounts), ``OPEN``, or
    ``APPROVAL`` (a request the operator approves or rejects)."""

    CLOSED = "closed"
    OPEN = "open"
    APPROVAL = "approval"


class Field(enum.StrEnum):
    """Master data a channel may require at registration.

    ``VAT_ID`` and ``COMPANY_ADDRESS`` belong to the company a B2B registration makes (a
    personal account has neither, so a B2C policy cannot require them); ``PHONE`` is the
    user's; ``COMPANY_NAME`` names the company under B2B (under B2C it is asked and not kept).
    """

    GIVEN_NAME = "given_name"
    FAMILY_NAME = "family_name"
    BIRTH_DATE = "birth_date"
    COMPANY_NAME = "company_name"
    VAT_ID = "vat_id"
    PHONE = "phone"
    COMPANY_ADDRESS = "company_address"


_COMPANY_FIELDS = frozenset({Field.VAT_ID, Field.COMPANY_ADDRESS})


class MyPage(enum.StrEnum):
    """The "my pages" a signed-in customer may see, as the shop offers them."""

    ORDERS = "orders"
    TRACKING = "tracking"
    INVOICES = "invoices"
    DOWNLOADS = "downloads"


class AnonymousAssortment(enum.StrEnum):
    """What an anonymous visitor may browse: ``ALL`` of the assortment, only some
    ``CATEGORIES``, or ``NONE`` (a closed shop shows a sign-in page)."""

    ALL = "all"
    CATEGORIES = "categories"
    NONE = "none"


def _assortment(value: AnonymousAssortment | str) -> AnonymousAssortment:
    return as_enum(AnonymousAssortment, value, field="assortment")


def _categories(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str) or not all(
        isinstance(c, str) and 0 < len(c) <= 200 and not _has_control(c) for c in value
    ):
        raise InvalidPolicy(
            "categories is a set of category ids (text, 1 to 200 characters).",
            field="categories",
        )
    return frozenset(value)


@attrs.frozen(kw_only=True)
class AnonymousView:
    """What a visitor who has not signed in may see.

    Attributes:
        assortment: ALL, CATEGORIES or NONE.
        categories: With CATEGORIES: the category ids the shop shows (the shop's own ids).
        prices: Whether prices are shown; ``None`` (the default) follows the channel's
            ``login_requirement`` (no prices when sign-in is required).

    Raises:
        InvalidPolicy: CATEGORIES without categories, categories with another assortment,
            or ``prices`` not True, False or None.
    """

    assortment: AnonymousAssortment = attrs.field(
        default=AnonymousAssortment.ALL, converter=_assortment
    )
    categories: frozenset[str] = attrs.field(factory=frozenset, converter=_categories)
    prices: bool | None = None

    def __attrs_post_init__(self) -> None:
        if self.prices is not None and not isinstance(self.prices, bool):
            raise InvalidPolicy("prices is True, False or None.", field="prices")
        if (self.assortment is AnonymousAssortment.CATEGORIES) != bool(self.categories):
            raise InvalidPolicy(
                "Give categories exactly when the assortment is CATEGORIES.",
                fields=("assortment", "categories"),
            )


class GuestCheckout(enum.StrEnum):
    """A checkout without sign-in: ``GUEST_ACCOUNT`` makes or reuses a guest user;
    ``NO_ACCOUNT`` keeps the order on its own."""

    GUEST_ACCOUNT = "guest_account"
    NO_ACCOUNT = "no_account"


class LoginRequirement(enum.StrEnum):
    """``NONE``: the shop is open to all. ``TO_SEE_PRICES_AND_ORDER``: prices and ordering
    only after sign-in."""

    NONE = "none"
    TO_SEE_PRICES_AND_ORDER = "to_see_prices_and_order"


class NumberingMode(enum.StrEnum):
    """How customer numbers are made."""

    AUTOMATIC = "automatic"
    MANUAL = "manual"
    NONE = "none"


# One named converter per field: the attrs mypy plugin accepts only named functions.
def _numbering_mode(value: NumberingMode | str) -> NumberingMode:
    return as_enum(NumberingMode, value, field="numbering.mode", error=InvalidPolicy)


def _membership(value: MembershipRule | str) -> MembershipRule:
    return as_enum(MembershipRule, value, field="membership", error=InvalidPolicy)


def _registration_mode(value: RegistrationMode | str) -> RegistrationMode:
    return as_enum(RegistrationMode, value, field="registration_mode", error=InvalidPolicy)


def _registration_access(value: RegistrationAccess | str) -> RegistrationAccess:
    return as_enum(RegistrationAccess, value, field="registration_access", error=InvalidPolicy)


def _guest_checkout(value: GuestCheckout | str) -> GuestCheckout:
    return as_enum(GuestCheckout, value, field="guest_checkout", error=InvalidPolicy)


def _login_requirement(value: LoginRequirement | str) -> LoginRequirement:
    return as_enum(LoginRequirement, value, field="login_requirement", error=InvalidPolicy)


MAX_CHANNEL_NAME_LENGTH = 64
"""Longest sales channel name: customers keep it in a 64-character column."""

MAX_NUMBER_START = 10**18
"""Largest numbering start: the sequence is a 64-bit integer on PostgreSQL, and this leaves
room for more customers than any shop will have."""


def _check_pattern(pattern: str, start: int) -> None:
    if not isinstance(pattern, str) or not isinstance(start, int) or isinstance(start, bool):
        raise InvalidPolicy(
            "A customer-number pattern is text with one {n} field, such as 'K-{n:06d}', "
            "and its start a whole number.",
            field="numbering",
        )
    if not 0 <= start <= MAX_NUMBER_START:
        raise InvalidPolicy(
            "A customer-number start is a whole number from 0 to 10**18.", field="numbering"
        )
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
        sample = pattern.format(n=max(start, 1))
    except (ValueError, KeyError, IndexError, TypeError, OverflowError) as exc:
        raise InvalidPolicy(
            "A customer-number pattern is a format string with one {n} field, such as 'K-{n:06d}'.",
            field="numbering",
        ) from exc
    if fields != ["n"] or not sample:
        raise InvalidPolicy(
            "A customer-number pattern needs exactly one {n} field, such as 'K-{n:06d}'.",
            field="numbering",
        )
    if _has_control(pattern):
        raise InvalidPolicy(
            "A customer-number pattern holds control characters; remove them.",
            field="numbering",
        )


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch)[0] == "C" for ch in text)


@attrs.frozen
class CustomerNumbering:
    """How customer numbers are made.

    Use ``CustomerNumbering.AUTOMATIC(pattern, start)``, ``CustomerNumbering.MANUAL`` or
    ``CustomerNumbering.NONE``. Automatic numbers come from one shop-wide sequence that is
    advanced inside the transaction that creates the customer, so two customers never get
    the same number; a rolled-back creation may leave a gap.

    Example:
        >>> CustomerNumbering.AUTOMATIC("K-{n:06d}", start=1000).format(1000)
        'K-001000'
    """

    mode: NumberingMode = attrs.field(converter=_numbering_mode)
    pattern: str = "{n}"
    start: int = 1

    MANUAL: ClassVar[CustomerNumbering]
    NONE: ClassVar[CustomerNumbering]

    def __attrs_post_init__(self) -> None:
        if self.mode is NumberingMode.AUTOMATIC:
            _check_pattern(self.pattern, self.start)
            if self.start < 0:
                raise InvalidPolicy("A numbering start must be 0 or more.", field="numbering")
            # Refuse now what could never be stored; a pattern that outgrows the column only
            # later is refused by format() when it does.
            self.format(self.start)

    @classmethod
    def AUTOMATIC(cls, pattern: str = "{n}", start: int = 1) -> CustomerNumbering:
        """Numbers from a sequence, formatted with ``pattern`` (one ``{n}`` field)."""
        return cls(NumberingMode.AUTOMATIC, pattern, start)

    def format(self, n: int) -> str:
        """Format sequence value ``n`` with the pattern.

        Raises:
            InvalidPolicy: The number would be longer than 40 characters (the longest
                customer number), or is not text a customer number can hold. At policy build
                this refuses a pattern already too long at ``start``; later, a creation whose
                number outgrows the limit fails without storing anything: change the pattern.
        """
        try:
            number = self.pattern.format(n=n)
        except (ValueError, OverflowError) as exc:
            raise InvalidPolicy(
                "The customer-number pattern cannot format the next number; change the pattern.",
                field="numbering",
            ) from exc
        if len(number) > MAX_CUSTOMER_NUMBER_LENGTH:
            raise InvalidPolicy(
                f"The automatic customer number would be longer than "
                f"{MAX_CUSTOMER_NUMBER_LENGTH} characters; use a shorter numbering pattern.",
                field="numbering",
            )
        if not number or _has_control(number):
            raise InvalidPolicy(
                "The customer-number pattern makes an empty number or one with control "
                "characters; change the pattern.",
                field="numbering",
            )
        return number


CustomerNumbering.MANUAL = CustomerNumbering(NumberingMode.MANUAL)
CustomerNumbering.NONE = CustomerNumbering(NumberingMode.NONE)


def _field_set(fields: Iterable[Field | str]) -> frozenset[Field]:
    if isinstance(fields, str) or not isinstance(fields, Iterable):
        raise InvalidPolicy(
            "required_fields is a set of Field values, such as {Field.BIRTH_DATE}.",
            field="required_fields",
        )
    return frozenset(
        as_enum(Field, f, field="required_fields", error=InvalidPolicy) for f in fields
    )


def _numbering(value: CustomerNumbering) -> CustomerNumbering:
    if not isinstance(value, CustomerNumbering):
        raise InvalidPolicy(
            "numbering is a CustomerNumbering: CustomerNumbering.AUTOMATIC(pattern, start), "
            "CustomerNumbering.MANUAL or CustomerNumbering.NONE.",
            field="numbering",
        )
    return value


def _is_anonymous_view(
    instance: object, attribute: attrs.Attribute[AnonymousView], value: object
) -> None:
    if not isinstance(value, AnonymousView):
        raise InvalidPolicy(
            "anonymous is an AnonymousView, such as AnonymousView(prices=False).",
            field="anonymous",
        )


def _my_pages(value: Iterable[MyPage | str]) -> frozenset[MyPage]:
    if isinstance(value, str):
        raise InvalidPolicy("my_pages is a set of MyPage values.", field="my_pages")
    return frozenset(as_enum(MyPage, v, field="my_pages") for v in value)


def _is_bool(instance: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidPolicy(f"{attribute.name} is True or False.", field=attribute.name)


@attrs.frozen(kw_only=True)
class ShopPolicy:
    """The rules of one storefront. Build it from a preset and adjust with ``attrs.evolve``.

    Enum fields take the member or its exact value (``membership="many_companies"``).

    Attributes:
        membership: How many customers a user may belong to.
        registration_mode: What self-registration makes (B2C or B2B).
        registration_access: Who may register (CLOSED, OPEN, APPROVAL).
        required_fields: Master data registration must ask for.
        numbering: How customer numbers are made.
        guest_checkout: What a checkout without sign-in makes.
        login_requirement: Whether visitors must sign in to see prices and order.
        require_email_verification: Double opt-in: a user registered here gets an
            EMAIL_VERIFICATION link and cannot sign in with a password on this channel
            until they used it (``EmailNotVerified``). It also lets registration answer
            the same for a known address as for a new one (see ``kit.registration``).
        personal_customer: B2C only: registration also makes a PERSONAL customer with
            the user as its MEMBER (a shop whose prices hang on the customer).
        anonymous: What visitors who have not signed in see (:class:`AnonymousView`).
        my_pages: The "my pages" signed-in customers get (orders, tracking, invoices,
            downloads); each still needs the member's permission.

    Raises:
        InvalidPolicy: The fields contradict each other, or one is not of its type (an
            unknown enum value, a numbering that is not a CustomerNumbering); the message
            names the field.
    """

    membership: MembershipRule = attrs.field(
        default=MembershipRule.ONE_CUSTOMER_PER_USER,
        converter=_membership,
    )
    registration_mode: RegistrationMode = attrs.field(
        default=RegistrationMode.B2C, converter=_registration_mode
    )
    registration_access: RegistrationAccess = attrs.field(
        default=RegistrationAccess.CLOSED,
        converter=_registration_access,
    )
    required_fields: frozenset[Field] = attrs.field(
        default=frozenset({Field.GIVEN_NAME, Field.FAMILY_NAME, Field.BIRTH_DATE}),
        converter=_field_set,
    )
    numbering: CustomerNumbering = attrs.field(default=CustomerNumbering.NONE, converter=_numbering)
    guest_checkout: GuestCheckout = attrs.field(
        default=GuestCheckout.GUEST_ACCOUNT, converter=_guest_checkout
    )
    login_requirement: LoginRequirement = attrs.field(
        default=LoginRequirement.NONE,
        converter=_login_requirement,
    )
    require_email_verification: bool = attrs.field(default=False, validator=_is_bool)
    personal_customer: bool = attrs.field(default=False, validator=_is_bool)
    anonymous: AnonymousView = attrs.field(factory=AnonymousView, validator=_is_anonymous_view)
    my_pages: frozenset[MyPage] = attrs.field(default=frozenset(MyPage), converter=_my_pages)

    def __attrs_post_init__(self) -> None:
        clashes: list[tuple[str, tuple[str, ...]]] = []
        b2b = self.registration_mode is RegistrationMode.B2B
        if b2b and Field.COMPANY_NAME not in self.required_fields:
            clashes.append(
                (
                    "registration_mode B2B makes a company, so required_fields must include "
                    "Field.COMPANY_NAME",
                    ("registration_mode", "required_fields"),
                )
            )
        company_fields = sorted(f.value for f in self.required_fields & _COMPANY_FIELDS)
        if not b2b and company_fields:
            clashes.append(
                (
                    f"registration_mode B2C makes no company, so it cannot require "
                    f"{', '.join(company_fields)}",
                    ("registration_mode", "required_fields"),
                )
            )
        if b2b and self.personal_customer:
            clashes.append(
                (
                    "personal_customer makes a PERSONAL customer, but B2B registration makes "
                    "a BUSINESS one",
                    ("registration_mode", "personal_customer"),
                )
            )
        if (
            self.login_requirement is LoginRequirement.TO_SEE_PRICES_AND_ORDER
            and self.anonymous.prices is True
        ):
            clashes.append(
                (
                    "login_requirement TO_SEE_PRICES_AND_ORDER hides prices from visitors, but "
                    "anonymous.prices shows them",
                    ("login_requirement", "anonymous"),
                )
            )
        if clashes:
            fields = tuple(dict.fromkeys(name for _, names in clashes for name in names))
            raise InvalidPolicy(
                "The policy contradicts itself: " + "; ".join(text for text, _ in clashes) + ".",
                fields=fields,
            )

    @property
    def anonymous_prices(self) -> bool:
        """Whether visitors who have not signed in see prices."""
        if self.anonymous.prices is not None:
            return self.anonymous.prices
        return self.login_requirement is LoginRequirement.NONE

    @classmethod
    def b2c_open(cls) -> ShopPolicy:
        """Anyone may register a personal account at once; one customer per user."""
        return cls(registration_access=RegistrationAccess.OPEN)

    @classmethod
    def b2c_closed(cls) -> ShopPolicy:
        """The operator makes accounts and invites people (the default access)."""
        return cls()

    @classmethod
    def b2b_approval(cls) -> ShopPolicy:
        """Companies register and wait for approval; users may belong to several companies;
        prices only after sign-in; automatic customer numbers."""
        return cls(
            membership=MembershipRule.MANY_COMPANIES,
            registration_mode=RegistrationMode.B2B,
            registration_access=RegistrationAccess.APPROVAL,
            required_fields=frozenset(
                {Field.GIVEN_NAME, Field.FAMILY_NAME, Field.BIRTH_DATE, Field.COMPANY_NAME}
            ),
            numbering=CustomerNumbering.AUTOMATIC("{n}", 10000),
            login_requirement=LoginRequirement.TO_SEE_PRICES_AND_ORDER,
        )

    # What a shop coming from each of the four systems the manuals describe would pick
    # (docs/policies.md explains each choice).

    @classmethod
    def tyrios(cls) -> ShopPolicy:
        """TYRIOS: prices hang on the customer, so a user belongs to one customer, and
        self-registration makes a personal customer with it; checkout without sign-in makes
        or reuses a guest; automatic customer numbers."""
        return cls(
            registration_access=RegistrationAccess.OPEN,
            personal_customer=True,
            numbering=CustomerNumbering.AUTOMATIC("{n}", 100000),
            guest_checkout=GuestCheckout.GUEST_ACCOUNT,
        )

    @classmethod
    def tradeline_pro(cls) -> ShopPolicy:
        """TradelinePro (its B2B channel): companies register with name, VAT id and phone
        and wait for approval; users work for several companies and switch; prices and
        ordering after sign-in."""
        return cls(
            membership=MembershipRule.MANY_COMPANIES,
            registration_mode=RegistrationMode.B2B,
            registration_access=RegistrationAccess.APPROVAL,
            required_fields=frozenset(
                {
                    Field.GIVEN_NAME,
                    Field.FAMILY_NAME,
                    Field.BIRTH_DATE,
                    Field.COMPANY_NAME,
                    Field.VAT_ID,
                    Field.PHONE,
                }
            ),
            numbering=CustomerNumbering.AUTOMATIC("{n}", 10000),
            login_requirement=LoginRequirement.TO_SEE_PRICES_AND_ORDER,
        )

    @classmethod
    def abicart(cls) -> ShopPolicy:
        """Abicart: closed registration (the operator invites), automatic numbers, and
        prices and ordering only after sign-in while the whole assortment stays visible."""
        return cls(
            numbering=CustomerNumbering.AUTOMATIC("{n}", 1000),
            login_requirement=LoginRequirement.TO_SEE_PRICES_AND_ORDER,
            anonymous=AnonymousView(assortment=AnonymousAssortment.ALL, prices=False),
        )

    @classmethod
    def site_builder(cls) -> ShopPolicy:
        """The site-builder cockpit: anyone may register, a checkout without sign-in makes no
        account (one overview row per order), no customer numbers."""
        return cls(
            registration_access=RegistrationAccess.OPEN,
            guest_checkout=GuestCheckout.NO_ACCOUNT,
        )


@attrs.frozen
class SalesChannel:
    """One storefront with its own policy.

    Args:
        name: A short identifier such as ``"web"`` or ``"b2b"``.
        policy: The channel's :class:`ShopPolicy`; defaults to ``ShopPolicy()``.
        base_url: Where the storefront's sign-in page lives, such as
            ``"https://shop.example/login"``: every link accountkit e-mails for this channel
            (login, password reset, verification, upgrade, invitation, e-mail change) is
            this URL with ``?token=...`` added. Taken from the shop's configuration, never
            from a request's Host header. ``None``: the channel sends no links, and calls
            that must send one raise ``InvalidPolicy``.

    Raises:
        InvalidPolicy: The name is not 1 to 64 ASCII letters, digits, '-' or '_',
            ``policy`` is not a ShopPolicy, or ``base_url`` is not an absolute http(s) URL
            with a host (no credentials, no fragment).

    Example:
        >>> SalesChannel("web", ShopPolicy.b2c_open()).name
        'web'
    """

    name: str
    policy: ShopPolicy = attrs.field(factory=ShopPolicy)
    base_url: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.base_url is not None:
            try:
                check_base_url(self.base_url)
            except InvalidValue as exc:
                raise InvalidPolicy(exc.message, field="base_url") from None
        if not isinstance(self.policy, ShopPolicy):
            raise InvalidPolicy(
                "A sales channel needs a ShopPolicy, such as ShopPolicy.b2c_open(); "
                "leave it out for ShopPolicy().",
                field="policy",
            )
        if (
            not isinstance(self.name, str)
            or not 1 <= len(self.name) <= MAX_CHANNEL_NAME_LENGTH
            or not self.name.isascii()
            or not self.name.replace("-", "").replace("_", "").isalnum()
        ):
            raise InvalidPolicy(
                f"A sales channel name is 1 to {MAX_CHANNEL_NAME_LENGTH} ASCII letters, "
                "digits, '-' or '_' (for example 'web').",
                field="name",
            )


def _positive_duration(
    instance: object, attribute: attrs.Attribute[timedelta], value: object
) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0) or value > timedelta(days=400):
        raise InvalidPolicy(
            f"{attribute.name} is a timedelta above 0 and at most 400 days.",
            field=attribute.name,
        )


@attrs.frozen(kw_only=True)
class SessionPolicy:
    """How long a signed-in session lives (shop-wide; pass it to ``AccountKit``).

    A session ends at the first of: ``idle`` without a request, ``absolute`` after sign-in,
    or any change of the user's password, e-mail, tier or status (and ``revoke_tokens``).
    The last request time is written at most every ``idle / 24`` (at most hourly), so
    ``authenticate`` is one read on almost every request; the idle end is that precise.

    Attributes:
        idle: Ends a session not used for this long (default 1 day).
        absolute: Ends every session this long after sign-in (default 30 days).

    Raises:
        InvalidPolicy: A duration that is not positive or above 400 days, or ``idle``
            longer than ``absolute``.

    Example:
        >>> SessionPolicy.strict().idle
        datetime.timedelta(seconds=1800)
    """

    idle: timedelta = attrs.field(default=timedelta(days=1), validator=_positive_duration)
    absolute: timedelta = attrs.field(default=timedelta(days=30), validator=_positive_duration)

    def __attrs_post_init__(self) -> None:
        if self.idle > self.absolute:
            raise InvalidPolicy("idle must not be longer than absolute.", field="idle")

    @classmethod
    def strict(cls) -> SessionPolicy:
        """For shops that hold payment data or serve shared computers: 30 minutes idle, 12
        hours at most."""
        return cls(idle=timedelta(minutes=30), absolute=timedelta(hours=12))

    @property
    def touch_every(self) -> timedelta:
        """How stale ``last_seen_at`` may get before ``authenticate`` writes it again."""
        return min(self.idle / 24, timedelta(hours=1))


@attrs.frozen(kw_only=True)
class RetentionPolicy:
    """How long ``kit.privacy.purge_expired`` keeps accounts nobody completed (GDPR
    Art. 5(1)(e), storage limitation); shop-wide, pass it to ``AccountKit``.

    Sessions, login codes and one-time token records are purged once they can no longer
    sign anybody in (the kit's :class:`SessionPolicy`, the codes' expiry, the longest token
    age); that needs no setting.

    Attributes:
        guests: A GUEST account that no order names is removed this long after it was made
            (default 30 days), unless it has live consent (the newsletter's reason to keep
            it) or belongs to a customer.
        unconfirmed: A registration that never confirmed its e-mail address, on a channel
            with ``require_email_verification``, is removed this long after it was made
            (default 7 days), unless an order names it or it belongs to a customer that
            has other members.

    Raises:
        InvalidPolicy: A duration that is not positive or above 400 days.

    Example:
        >>> RetentionPolicy.strict().guests
        datetime.timedelta(days=7)
    """

    guests: timedelta = attrs.field(default=timedelta(days=30), validator=_positive_duration)
    unconfirmed: timedelta = attrs.field(default=timedelta(days=7), validator=_positive_duration)

    @classmethod
    def strict(cls) -> RetentionPolicy:
        """Keep little: guests without orders 7 days, unconfirmed registrations 1 day."""
        return cls(guests=timedelta(days=7), unconfirmed=timedelta(days=1))

    @classmethod
    def lenient(cls) -> RetentionPolicy:
        """For shops whose guests come back seasonally: 180 days and 30 days."""
        return cls(guests=timedelta(days=180), unconfirmed=timedelta(days=30))
