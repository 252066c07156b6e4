"""Registration: how users come to be (by the channel's access and mode, by invitation, at
checkout), and how they move up the tiers by themselves."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import date
from typing import TypeVar

import attrs

from accountkit.domain import (
    Actor,
    Customer,
    CustomerKind,
    EventKind,
    Role,
    SignInMethod,
    User,
    UserStatus,
    UserTier,
)
from accountkit.domain._enums import as_enum
from accountkit.domain._ids import new_id
from accountkit.domain.addresses import Address
from accountkit.domain.permissions import Permission, permissions_of, role_value
from accountkit.domain.validation import (
    email_key,
    normalise_email,
    validate_birth_date,
    validate_name,
    validate_note,
    validate_phone,
    validate_profile,
    validate_vat_id,
)
from accountkit.errors import (
    CustomerNotFound,
    CustomerNumberTaken,
    EmailTaken,
    InvalidFields,
    InvalidValue,
    MissingField,
    NotPendingApproval,
    NotPermitted,
    NotYourCompany,
    PermissionDenied,
    RegistrationClosed,
    RequestRejected,
    UnknownRole,
    UserDisabled,
    UserNotFound,
    ValidationError,
    WrongTier,
)
from accountkit.notify import Message, MessageKind
from accountkit.policies import (
    CustomerNumbering,
    Field,
    GuestCheckout,
    NumberingMode,
    RegistrationAccess,
    RegistrationMode,
    SalesChannel,
)
from accountkit.security.passwords import context_words
from accountkit.security.tokens import TokenPurpose
from accountkit.services._base import (
    Service,
    check_actor,
    load_user,
    require_self_or_staff,
    require_staff,
)
from accountkit.services._rules import CUSTOMER_NUMBER_SEQUENCE, add_membership, new_customer
from accountkit.services._signin import (
    SignIn,
    base_url,
    message,
    new_password_hash,
    one_time_link,
    password_hash_for,
    peek_token,
    redeem_token,
    require_may_sign_in,
    send_all,
    start_session,
)
from accountkit.storage._protocols import Transaction

__all__ = ["GuestSource", "Registration", "RegistrationService"]


@attrs.frozen(kw_only=True)
class Registration:
    """What a registration answers.

    Render the visitor's page from ``check_inbox`` alone: when it is True, say "check your
    inbox", whatever else happened, so the page tells nobody whether the address was known.

    Attributes:
        check_inbox: True when the next step is in the visitor's mailbox: the channel
            requires e-mail verification (a link went out), or the address belonged to an
            account already (a guest got an UPGRADE link, a full user an "account exists"
            notice). Then ``user`` and ``sign_in`` are ``None``.
        user: The new user, when one was made and ``check_inbox`` is False.
        sign_in: A session for the new user when they may sign in at once (an active user
            on a channel without verification); ``None`` otherwise (waiting for approval).
    """

    check_inbox: bool
    user: User | None = None
    sign_in: SignIn | None = None


class GuestSource(enum.StrEnum):
    """Where a guest user came from."""

    CHECKOUT = "checkout"
    NEWSLETTER = "newsletter"


def _optional_name(value: str | None, field: str) -> str | None:
    return None if value is None else validate_name(value, field=field)


T = TypeVar("T")

_FORM_ORDER = (
    "email",
    "password",
    "given_name",
    "family_name",
    "birth_date",
    "phone",
    "company_name",
    "vat_id",
    "company_address",
    "profile",
)
"""The order of a registration form: InvalidFields lists its errors in this order."""


class _Form:
    """Collects every field error of one request, so that all are reported at once."""

    def __init__(self) -> None:
        self.errors: list[ValidationError] = []

    def check(self, validate: Callable[[], T]) -> T | None:
        try:
            return validate()
        except ValidationError as exc:
            self.errors.append(exc)
            return None

    def missing(self, field: str, text: str) -> None:
        self.errors.append(MissingField(text, field=field))

    def has(self, *fields: str) -> bool:
        return any(e.field in fields for e in self.errors)

    def raise_errors(self) -> None:
        """One error: raise it as it is (its own class and code); several: InvalidFields."""
        if not self.errors:
            return
        ordered = sorted(
            self.errors,
            key=lambda e: _FORM_ORDER.index(e.field) if e.field in _FORM_ORDER else 99,
        )
        if len(ordered) == 1:
            raise ordered[0]
        raise InvalidFields(tuple(ordered))


def _address_line(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidValue("Every line of the company address is text.", field=field)
    return validate_name(value, field=field)


def _company_address(value: object) -> Address:
    """A company's postal address with every line checked (the limits of a name)."""
    field = Field.COMPANY_ADDRESS.value
    if not isinstance(value, Address):
        raise InvalidValue("The company address is an Address.", field=field)
    try:
        checked = Address(
            name=_address_line(value.name, field),
            street=_address_line(value.street, field),
            postal_code=_address_line(value.postal_code, field),
            city=_address_line(value.city, field),
            country=value.country,
            company=None if value.company is None else _address_line(value.company, field),
            extra=None if value.extra is None else _address_line(value.extra, field),
        )
    except ValidationError as exc:
        raise InvalidValue(
            "Every line of the company address is 1 to 200 characters without control characters.",
            field=field,
        ) from exc
    country = checked.country
    if not (isinstance(country, str) and len(country) == 2 and country.isascii()):
        raise InvalidValue(
            "The company address's country is its ISO 3166 code of two letters, such as DE.",
            field=field,
        )
    if not country.isalpha():
        raise InvalidValue(
            "The company address's country is its ISO 3166 code of two letters, such as DE.",
            field=field,
        )
    return attrs.evolve(checked, country=country.upper())


@attrs.frozen(kw_only=True)
class _Checked:
    """A registration's input after validation (nothing of it is stored yet)."""

    email: str
    given: str | None
    family: str | None
    born: date
    company: str | None
    phone: str | None
    vat_id: str | None
    company_address: Address | None
    profile: dict[str, str]
    password: str


def _invited_member(tx: Transaction, user: User, customer: Customer | None) -> bool:
    """Whether ``user`` is an invitee who has not accepted yet (an active guest) and a
    member of ``customer`` already: a manager may send such a one a new link, since their
    member list shows them."""
    return (
        customer is not None
        and user.tier is UserTier.GUEST
        and user.is_active
        and tx.memberships.get(user.id, customer.id) is not None
    )


class RegistrationService:
    """Making users: ``kit.registration``.

    Self-registration makes a FULL user as the channel's policy says (at once, or as a
    request the operator decides with :meth:`approve` or :meth:`reject`); checkout and
    newsletter sign-up make (or reuse) a GUEST; the operator or a company manager invites
    people (:meth:`invite`, :meth:`accept_invitation`); the operator makes BLANK users for
    cards and printed codes. BLANK and GUEST users move up with :meth:`complete_profile`
    and :meth:`upgrade_guest`.
    """

    def __init__(self, service: Service) -> None:
        self._s = service

    def _today(self) -> date:
        return self._s._ctx.clock.now().date()

    def register(
        self,
        *,
        email: str,
        password: str,
        birth_date: date,
        given_name: str | None = None,
        family_name: str | None = None,
        company_name: str | None = None,
        phone: str | None = None,
        vat_id: str | None = None,
        company_address: Address | None = None,
        profile: Mapping[str, str] | None = None,
        channel: str | None = None,
    ) -> Registration:
        """Register a FULL user through a channel's self-registration.

        What it makes follows the channel's policy, in one transaction:

        - ``RegistrationAccess.OPEN``: the user is ACTIVE at once.
        - ``RegistrationAccess.APPROVAL``: a request: the user waits in status
          PENDING_APPROVAL (signing in raises AwaitingApproval) until the operator calls
          :meth:`approve` or :meth:`reject`.
        - ``RegistrationMode.B2B``: a BUSINESS customer too (named ``company_name``, with
          ``vat_id`` and ``company_address`` as its bill-to address), with the user as its
          COMPANY_MANAGER.
        - ``RegistrationMode.B2C`` with ``personal_customer``: a PERSONAL customer named
          after the user, with the user as its MEMBER.
        - A customer made here gets its automatic number at once, or, under APPROVAL, only
          when the request is approved.

        On a channel with ``require_email_verification`` an EMAIL_VERIFICATION link goes to
        the address.

        Every field is checked before anything is stored, and every missing or invalid one
        is reported at once: one bad field raises its own error (MissingField,
        InvalidEmail, ...); several raise one InvalidFields whose ``errors`` keep each
        error, in the order of the form (email, password, given_name, family_name,
        birth_date, phone, company_name, vat_id, company_address, profile).

        An address that has an account already:

        - a GUEST's: no second user is made, and nothing given here is kept (no password set
          before the owner proved the address); an UPGRADE link goes to the address, and
          the answer is ``check_inbox`` as for a new registration on a verifying channel;
        - a FULL (or blank, or disabled) user's: on a channel that requires verification,
          an ACCOUNT_EXISTS notice goes to the address and the answer is ``check_inbox``;
          elsewhere EmailTaken. That is the trade-off: without verification a new account
          is usable at once, so the answer for a taken address must differ; shops that must
          not reveal known addresses turn verification on.

        Args:
            email: The e-mail address (validated and normalised; no DNS lookup).
            password: The password; it is hashed, never stored.
            birth_date: Not in the future, at most 130 years back.
            given_name: Required when the channel's ``required_fields`` say so.
            family_name: Likewise.
            company_name: Required under B2B (the company's name); asked and not kept
                under B2C.
            phone: The user's telephone number (international form, such as
                ``+49 30 1234567``); required with ``Field.PHONE``.
            vat_id: B2B only: the company's VAT id; required with ``Field.VAT_ID``.
            company_address: B2B only: the company's postal address (its bill-to
                address); required with ``Field.COMPANY_ADDRESS``.
            profile: Free-form entries of the user's own (for example a ski size).
            channel: The sales channel's name; defaults to the kit's first channel.

        Raises:
            RegistrationClosed: The channel's access is CLOSED (the operator invites).
            MissingField, InvalidEmail, InvalidName, InvalidBirthDate, InvalidPassword,
                InvalidValue: One bad field; nothing is stored. (InvalidPassword's subclass
                says which rule of the kit's PasswordPolicy the password broke.) A VAT id
                or company address given under B2C is InvalidValue: a personal account
                keeps neither.
            InvalidFields: Several bad fields, each in ``errors``; nothing is stored.
            EmailTaken: A user with that e-mail exists (see above).
            InvalidPolicy: A link must be sent and the channel has no ``base_url``.
            ChannelNotFound: No such channel.

        Example:
            >>> result = kit.registration.register(email="ada@example.com",
            ...     password="correct horse battery", birth_date=date(1990, 5, 17),
            ...     given_name="Ada", family_name="Lovelace")
            >>> result.user.tier
            <UserTier.FULL: 'full'>
        """
        ch = self._s._channel(channel)
        policy = ch.policy
        if policy.registration_access is RegistrationAccess.CLOSED:
            raise RegistrationClosed()
        checked = self._check_registration(
            ch,
            email=email,
            password=password,
            birth_date=birth_date,
            given_name=given_name,
            family_name=family_name,
            company_name=company_name,
            phone=phone,
            vat_id=vat_id,
            company_address=company_address,
            profile=profile,
        )
        password_hash = self._s._ctx.hasher.hash(checked.password)
        b2b = policy.registration_mode is RegistrationMode.B2B
        pending = policy.registration_access is RegistrationAccess.APPROVAL
        verify = policy.require_email_verification
        now = self._s._ctx.clock.now()
        user = User(
            id=new_id("usr"),
            tier=UserTier.FULL,
            status=UserStatus.PENDING_APPROVAL if pending else UserStatus.ACTIVE,
            email=checked.email,
            given_name=checked.given,
            family_name=checked.family,
            birth_date=checked.born,
            phone=checked.phone,
            password_hash=password_hash,
            profile=checked.profile,
            created_at=now,
            updated_at=now,
        )
        # A request gets its customer number when it is approved, not before: a rejected
        # request must not use one up.
        numbered = (
            attrs.evolve(ch, policy=attrs.evolve(policy, numbering=CustomerNumbering.NONE))
            if pending
            else ch
        )

        def work(tx: Transaction) -> tuple[Registration, list[Message]]:
            existing = tx.users.get_by_email(email_key(checked.email))
            if existing is not None:
                return self._known_address(tx, existing, ch)
            actor = Actor.user(user.id)
            tx.users.add(user)
            customer: Customer | None = None
            role = Role.MEMBER
            if b2b:
                assert checked.company is not None
                customer = new_customer(
                    self._s, tx, actor, numbered, name=checked.company, kind=CustomerKind.BUSINESS
                )
                if checked.vat_id is not None or checked.company_address is not None:
                    customer = tx.customers.update(
                        attrs.evolve(
                            customer, vat_id=checked.vat_id, bill_to=checked.company_address
                        )
                    )
                role = Role.COMPANY_MANAGER
            elif policy.personal_customer:
                customer = new_customer(
                    self._s,
                    tx,
                    actor,
                    numbered,
                    name=user.display_name,
                    kind=CustomerKind.PERSONAL,
                    surname=user.family_name,
                )
            if customer is not None:
                add_membership(
                    self._s, tx, actor, user_id=user.id, customer_id=customer.id, role=role
                )
            self._s._record(
                tx,
                EventKind.USER_CREATED,
                actor,
                user_id=user.id,
                data={"tier": UserTier.FULL.value, "channel": ch.name, "source": "registration"},
                new_user=customer is None,
            )
            if verify:
                link = one_time_link(self._s, tx, user, TokenPurpose.EMAIL_VERIFICATION, ch)
                note = message(self._s, MessageKind.EMAIL_VERIFICATION, user, channel=ch, link=link)
                return Registration(check_inbox=True), [note]
            if not user.is_active:
                return Registration(check_inbox=False, user=user), []
            session = start_session(self._s, tx, user, SignInMethod.PASSWORD)
            return Registration(check_inbox=False, user=user, sign_in=session), []

        try:
            result, messages = self._s._write(work)
        except EmailTaken:
            # Another registration of the address won a race; answer as for a known one.
            if not verify:
                raise
            return Registration(check_inbox=True)
        send_all(self._s, messages)
        return result

    def _check_registration(
        self,
        ch: SalesChannel,
        *,
        email: str,
        password: str,
        birth_date: date,
        given_name: str | None,
        family_name: str | None,
        company_name: str | None,
        phone: str | None,
        vat_id: str | None,
        company_address: Address | None,
        profile: Mapping[str, str] | None,
    ) -> _Checked:
        """Check every field of a registration; raise all that are wrong at once."""
        policy = ch.policy
        required = policy.required_fields
        b2b = policy.registration_mode is RegistrationMode.B2B
        form = _Form()
        for field, value in (
            (Field.GIVEN_NAME, given_name),
            (Field.FAMILY_NAME, family_name),
            (Field.COMPANY_NAME, company_name),
            (Field.PHONE, phone),
            (Field.VAT_ID, vat_id),
            (Field.COMPANY_ADDRESS, company_address),
        ):
            if field in required and value is None:
                form.missing(field.value, f"Registration here needs {field.value}.")
        if not b2b:
            for field, value in ((Field.VAT_ID, vat_id), (Field.COMPANY_ADDRESS, company_address)):
                if value is not None:
                    form.errors.append(
                        InvalidValue(
                            f"A personal account keeps no {field.value}; leave it out.",
                            field=field.value,
                        )
                    )
        allow = self._s._ctx.allow_special_use_domains
        address = form.check(lambda: normalise_email(email, allow_special_use=allow))
        given = form.check(lambda: _optional_name(given_name, "given_name"))
        family = form.check(lambda: _optional_name(family_name, "family_name"))
        if given_name is None and family_name is None and not form.has("given_name"):
            form.missing("given_name", "Registration needs a name.")
        company = form.check(lambda: _optional_name(company_name, "company_name"))
        born = form.check(lambda: validate_birth_date(birth_date, today=self._today()))
        checked_phone = None if phone is None else form.check(lambda: validate_phone(phone))
        checked_vat = (
            None if vat_id is None or not b2b else form.check(lambda: validate_vat_id(vat_id))
        )
        checked_address = (
            None
            if company_address is None or not b2b
            else form.check(lambda: _company_address(company_address))
        )
        entries = form.check(lambda: validate_profile({} if profile is None else profile))
        words = context_words(
            email=address,
            names=[n for n in (given, family) if n],
            shop_name=self._s._ctx.shop_name,
        )
        checked_password = form.check(
            lambda: self._s._ctx.password_policy.check(password, context=words)
        )
        form.raise_errors()
        assert address is not None
        assert born is not None
        assert entries is not None
        assert checked_password is not None
        return _Checked(
            email=address,
            given=given,
            family=family,
            born=born,
            company=company if b2b else None,
            phone=checked_phone,
            vat_id=checked_vat,
            company_address=checked_address,
            profile=entries,
            password=checked_password,
        )

    def _known_address(
        self, tx: Transaction, existing: User, ch: SalesChannel
    ) -> tuple[Registration, list[Message]]:
        """Answer a registration with an address that has an account (see ``register``)."""
        if existing.tier is UserTier.GUEST and existing.is_active and ch.base_url is not None:
            link = one_time_link(self._s, tx, existing, TokenPurpose.UPGRADE, ch)
            upgrade = message(self._s, MessageKind.UPGRADE, existing, channel=ch, link=link)
            return Registration(check_inbox=True), [upgrade]
        if ch.policy.require_email_verification and existing.email is not None:
            notice = message(self._s, MessageKind.ACCOUNT_EXISTS, existing, channel=ch)
            return Registration(check_inbox=True), [notice]
        raise EmailTaken()

    def approve(self, actor: Actor, user_id: str) -> User:
        """Approve a registration request (staff only): the user becomes ACTIVE and may sign
        in.

        A customer made by the request (under B2B, or a personal one) gets its automatic
        customer number now, when its channel's numbering is AUTOMATIC. History records
        REGISTRATION_APPROVED with the actor, and a REGISTRATION_APPROVED notice goes to the
        user's address after the unit committed. On a channel that requires e-mail
        verification an unverified user gets a new EMAIL_VERIFICATION link with it (the
        status change ended the one sent at registration).

        Raises:
            NotPermitted: ``actor`` is a user.
            NotPendingApproval: The user does not wait for approval (approved already, or
                never asked).
            RequestRejected: The request was rejected (and deleted) before.
            UserNotFound: No such user and no such rejected request.
        """
        require_staff(actor)

        def work(tx: Transaction) -> tuple[User, list[Message]]:
            user = self._pending(tx, user_id)
            approved = attrs.evolve(user, status=UserStatus.ACTIVE)
            data = {"from": UserStatus.PENDING_APPROVAL.value, "to": UserStatus.ACTIVE.value}
            stored = self._s._save_user(
                tx, user, approved, EventKind.REGISTRATION_APPROVED, actor, data
            )
            for customer in self._made_by_request(tx, user_id):
                numbering = self._numbering_of(customer)
                if customer.number is None and numbering is not None:
                    self._number_at_approval(tx, customer, numbering, actor)
            ch = self._registered_channel(tx, user_id)
            notes = [message(self._s, MessageKind.REGISTRATION_APPROVED, stored, channel=ch)]
            unverified = stored.email_verified_at is None
            if ch is not None and ch.policy.require_email_verification and unverified:
                # The status change killed the verification link sent at registration.
                link = one_time_link(self._s, tx, stored, TokenPurpose.EMAIL_VERIFICATION, ch)
                notes.append(
                    message(self._s, MessageKind.EMAIL_VERIFICATION, stored, channel=ch, link=link)
                )
            return stored, notes

        approved, messages = self._s._write(work)
        send_all(self._s, messages)
        return approved

    def reject(self, actor: Actor, user_id: str, reason: str | None = None) -> None:
        """Reject a registration request (staff only) and delete it with all its personal
        data: the user (with sessions, codes and tokens) and the customer made for it.

        A REGISTRATION_REJECTED notice (with ``reason``) goes to the address, built before
        the deletion and sent after the unit committed. History keeps a
        REGISTRATION_REJECTED event with the actor and ids only, filed under the user id,
        so that a later :meth:`approve` says RequestRejected. The address is free again:
        the person may register anew.

        Args:
            actor: The operator.
            user_id: The pending user.
            reason: Words for the person (up to 10,000 characters); sent, never stored.

        Raises:
            NotPermitted: ``actor`` is a user.
            NotPendingApproval: The user does not wait for approval.
            RequestRejected: It was rejected before.
            UserNotFound: No such user.
            InvalidValue: ``reason`` is too long or holds control characters.
        """
        require_staff(actor)
        words = None if reason is None else validate_note(reason)

        def work(tx: Transaction) -> list[Message]:
            user = self._pending(tx, user_id)
            ch = self._registered_channel(tx, user_id)
            note = message(self._s, MessageKind.REGISTRATION_REJECTED, user, channel=ch)
            made = self._made_by_request(tx, user_id)
            tx.users.remove(user_id)
            for customer in made:
                tx.customers.remove(customer.id)
            self._s._record(
                tx,
                EventKind.REGISTRATION_REJECTED,
                actor,
                user_id=user_id,
                customer_id=made[0].id if made else None,
                data={"customer_id": made[0].id} if made else {},
            )
            return [attrs.evolve(note, reason=words)]

        send_all(self._s, self._s._write(work))

    def _pending(self, tx: Transaction, user_id: str) -> User:
        """The user waiting for approval, locked (its memberships are read next)."""
        user = tx.users.lock(user_id)
        if user is None:
            if any(e.kind is EventKind.REGISTRATION_REJECTED for e in tx.events.for_user(user_id)):
                raise RequestRejected()
            raise UserNotFound()
        if user.status is not UserStatus.PENDING_APPROVAL:
            raise NotPendingApproval()
        return user

    def _made_by_request(self, tx: Transaction, user_id: str) -> list[Customer]:
        """The customers the user's own registration made (they were its actor), of which
        the user is the only member."""
        made: list[Customer] = []
        by_user = Actor.user(user_id)
        for membership in tx.memberships.for_user(user_id):
            customer = tx.customers.get(membership.customer_id)
            if customer is None or len(tx.memberships.for_customer(customer.id)) != 1:
                continue
            created = [
                e
                for e in tx.events.for_customer(customer.id)
                if e.kind is EventKind.CUSTOMER_CREATED
            ]
            if created and created[0].actor == by_user:
                made.append(customer)
        return made

    def _numbering_of(self, customer: Customer) -> CustomerNumbering | None:
        """The customer's channel's numbering when it is automatic, else ``None``."""
        ch = self._s._ctx.channels.get(customer.channel)
        if ch is None or ch.policy.numbering.mode is not NumberingMode.AUTOMATIC:
            return None
        return ch.policy.numbering

    def _number_at_approval(
        self, tx: Transaction, customer: Customer, numbering: CustomerNumbering, actor: Actor
    ) -> None:
        """Give the customer the next free automatic number and record it."""
        while True:
            number = numbering.format(
                tx.sequences.next_value(CUSTOMER_NUMBER_SEQUENCE, start=numbering.start)
            )
            try:
                # A number taken by hand (or retired) is skipped; the savepoint undoes only
                # the failed update, never the sequence step.
                with self._s._ctx.store.transaction() as inner:
                    inner.customers.update(
                        attrs.evolve(customer, number=number, updated_at=self._s._ctx.clock.now())
                    )
            except CustomerNumberTaken:
                continue
            self._s._record(
                tx,
                EventKind.CUSTOMER_NUMBER_CHANGED,
                actor,
                customer_id=customer.id,
                data={"from": "", "to": number},
            )
            return

    def _registered_channel(self, tx: Transaction, user_id: str) -> SalesChannel | None:
        """The channel the user was made in (from their USER_CREATED event), if the kit
        still has it."""
        for event in tx.events.for_user(user_id):
            if event.kind is EventKind.USER_CREATED:
                return self._s._ctx.channels.get(event.data.get("channel", ""))
        return None

    def invite(
        self,
        actor: Actor,
        *,
        email: str,
        given_name: str | None = None,
        family_name: str | None = None,
        channel: str | None = None,
        customer_id: str | None = None,
        role: Role | str | None = None,
    ) -> User | None:
        """Invite a person: make their account and e-mail them an INVITATION link, with which
        they set a password (:meth:`accept_invitation`).

        The operator invites anyone, to the shop or to a customer; a company manager (a
        member with ``manage_users``) invites only to their own company. The invited user
        is a GUEST (an address and a name, no password) until they accept; with
        ``customer_id`` they are its member with ``role`` at once. The link is the
        channel's and lives 14 days; a new invitation kills the one before. History records
        USER_INVITED with the actor.

        An address that has an account already:

        - the operator: an active GUEST's (for example an invitee who lost the mail) gets a
          new link (and the membership); any other account's is EmailTaken (add it with
          ``kit.customers.assign_user``).
        - a company manager: nothing is made and the answer is the same as for a new
          address, so a manager learns nothing about the shop's other accounts; the owner
          gets a COMPANY_INVITATION notice (no link).

        Args:
            actor: The operator, or the company manager acting.
            email: The invitee's address.
            given_name, family_name: The invitee's name (at least one).
            channel: The channel whose link is sent; defaults to the kit's first.
            customer_id: The customer to join; required for a manager (their company).
            role: The role there (a Role or a custom role of the kit); defaults to BUYER
                at a business customer, MEMBER at a personal one.

        Returns:
            For the operator, the invited user; for a manager, ``None`` (see above: their
            company's member list shows the invitee).

        Raises:
            NotPermitted: A user actor without ``customer_id``.
            NotYourCompany: A manager inviting to a company they are not a member of.
            PermissionDenied: A member without ``manage_users`` (``permission`` says so).
            UserDisabled: The inviting user is disabled or waits for approval.
            UnknownRole: A role the kit does not know.
            InvalidValue: ``role`` without ``customer_id``.
            CustomerNotFound: No such customer.
            EmailTaken: The operator invited an address with an account (see above).
            MembershipConflict: The invitee belongs to another customer already under
                ONE_CUSTOMER_PER_USER.
            InvalidEmail, InvalidName, MissingField, InvalidFields: Bad input.
            InvalidPolicy: The channel has no ``base_url``. ChannelNotFound: No such channel.
        """
        check_actor(actor)
        ch = self._s._channel(channel)
        base_url(ch)
        if not actor.is_staff and customer_id is None:
            raise NotPermitted("A company manager invites to their own company: give customer_id.")
        if role is not None and customer_id is None:
            raise InvalidValue("A role needs the customer it is held at.", field="role")
        chosen = None if role is None else self._known_role(role)
        form = _Form()
        allow = self._s._ctx.allow_special_use_domains
        address = form.check(lambda: normalise_email(email, allow_special_use=allow))
        given = form.check(lambda: _optional_name(given_name, "given_name"))
        family = form.check(lambda: _optional_name(family_name, "family_name"))
        if given_name is None and family_name is None:
            form.missing("given_name", "An invitation needs the invitee's name.")
        form.raise_errors()
        assert address is not None

        def work(tx: Transaction) -> tuple[User | None, list[Message]]:
            customer = None if customer_id is None else self._inviting_to(tx, actor, customer_id)
            existing = tx.users.get_by_email(email_key(address))
            if (
                existing is not None
                and not actor.is_staff
                and not _invited_member(tx, existing, customer)
            ):
                if existing.email is None:
                    return None, []
                notice = message(self._s, MessageKind.COMPANY_INVITATION, existing, channel=ch)
                return None, [notice]
            if existing is not None and not (
                existing.tier is UserTier.GUEST and existing.is_active
            ):
                raise EmailTaken()
            if existing is None:
                user = self._add_guest(
                    tx, address, given, family, actor, {"channel": ch.name, "source": "invitation"}
                )
            else:
                user = existing
            data = {"channel": ch.name}
            if customer is not None:
                if tx.memberships.get(user.id, customer.id) is None:
                    tx.users.lock(user.id)
                    held = chosen or (
                        Role.MEMBER if customer.kind is CustomerKind.PERSONAL else Role.BUYER
                    )
                    add_membership(
                        self._s, tx, actor, user_id=user.id, customer_id=customer.id, role=held
                    )
                data["customer_id"] = customer.id
            link = one_time_link(self._s, tx, user, TokenPurpose.INVITATION, ch)
            self._s._record(
                tx,
                EventKind.USER_INVITED,
                actor,
                user_id=user.id,
                customer_id=None if customer is None else customer.id,
                data=data,
            )
            note = message(self._s, MessageKind.INVITATION, user, channel=ch, link=link)
            return (user if actor.is_staff else None), [note]

        invited, messages = self._s._write(work)
        send_all(self._s, messages)
        return invited

    def _known_role(self, role: Role | str) -> Role | str:
        """A built-in role or one of the kit's custom roles, else UnknownRole."""
        if not isinstance(role, Role | str):
            raise UnknownRole()
        value = role_value(role)
        permissions_of(value, self._s._ctx.custom_roles)
        return value

    def _inviting_to(self, tx: Transaction, actor: Actor, customer_id: str) -> Customer:
        """The customer an invitation is for, after checking that ``actor`` may invite to
        it: staff always; a user only as an active member with ``manage_users`` there."""
        if not actor.is_staff:
            assert actor.id is not None
            inviter = tx.users.get(actor.id)
            if inviter is None:
                raise UserNotFound()
            if not inviter.is_active:
                raise UserDisabled()
            membership = tx.memberships.get(actor.id, customer_id)
            if membership is None:
                raise NotYourCompany()
            if Permission.MANAGE_USERS not in permissions_of(
                membership.role, self._s._ctx.custom_roles
            ):
                raise PermissionDenied(
                    "Only a member who may manage users invites others; ask your company's "
                    "manager.",
                    permission=Permission.MANAGE_USERS.value,
                )
        customer = tx.customers.get(customer_id)
        if customer is None:
            raise CustomerNotFound()
        return customer

    def accept_invitation(
        self,
        token: str,
        *,
        password: str,
        birth_date: date,
        given_name: str | None = None,
        family_name: str | None = None,
    ) -> SignIn:
        """Accept an invitation with the token of its INVITATION link: set the password and
        become a FULL, verified, active user; signs them in.

        The token is used up in the unit that makes the change (once only, also under
        concurrent use). Names given here replace the ones the inviter typed.

        Raises:
            TokenInvalid, TokenExpired, TokenUsed, TokenRevoked, TokenWrongPurpose.
            WrongTier: The invited user is no longer a guest (accepted already).
            UserDisabled: The user was disabled since.
            InvalidPassword, InvalidBirthDate, InvalidName, InvalidFields: Bad input;
                nothing changes, the token stays usable.
        """
        invitee = peek_token(self._s, token, TokenPurpose.INVITATION)
        if invitee.tier is not UserTier.GUEST:
            raise WrongTier("This invitation was accepted already; sign in.")
        require_may_sign_in(invitee)
        form = _Form()
        given = form.check(lambda: _optional_name(given_name, "given_name"))
        family = form.check(lambda: _optional_name(family_name, "family_name"))
        born = form.check(lambda: validate_birth_date(birth_date, today=self._today()))
        named = attrs.evolve(
            invitee,
            given_name=given or invitee.given_name,
            family_name=family or invitee.family_name,
        )
        words = context_words(
            email=named.email,
            names=[n for n in (named.given_name, named.family_name) if n],
            shop_name=self._s._ctx.shop_name,
        )
        checked = form.check(lambda: self._s._ctx.password_policy.check(password, context=words))
        form.raise_errors()
        assert born is not None
        assert checked is not None
        password_hash = self._s._ctx.hasher.hash(checked)

        def work(tx: Transaction) -> SignIn:
            issued = redeem_token(self._s, tx, token, TokenPurpose.INVITATION)
            user = load_user(tx, issued.user_id)
            if user.tier is not UserTier.GUEST:
                raise WrongTier("This invitation was accepted already; sign in.")
            if not user.is_active:
                raise UserDisabled()
            full = attrs.evolve(
                user,
                tier=UserTier.FULL,
                given_name=given or user.given_name,
                family_name=family or user.family_name,
                birth_date=born,
                password_hash=password_hash,
                email_verified_at=user.email_verified_at or self._s._ctx.clock.now(),
            )
            data = {"from": UserTier.GUEST.value, "to": UserTier.FULL.value}
            stored = self._s._save_user(
                tx, user, full, EventKind.INVITATION_ACCEPTED, Actor.user(user.id), data
            )
            return start_session(self._s, tx, stored, SignInMethod.INVITATION)

        return self._s._write(work)

    def register_guest(
        self,
        *,
        email: str,
        given_name: str | None = None,
        family_name: str | None = None,
        source: GuestSource = GuestSource.CHECKOUT,
        channel: str | None = None,
    ) -> User | None:
        """Make a GUEST user at checkout or newsletter sign-up, or reuse the guest that has
        this e-mail already, as the channel's ``guest_checkout`` says.

        Under ``GuestCheckout.NO_ACCOUNT`` nothing is made or read (the input is still
        checked) and the answer is ``None``: the order stands alone. Under
        ``GUEST_ACCOUNT`` (the default) a guest is made or reused.

        Returns:
            The guest, new or reused; ``None`` under NO_ACCOUNT, and when the e-mail
            belongs to a BLANK or FULL account, or to a guest who is DISABLED (or pending).
            Then keep the order as a not-signed-in order and tell the visitor nothing
            about that account: the answer never attaches the order to it.

        Raises:
            InvalidEmail, InvalidName, MissingField: Bad input (a guest needs a name).
            InvalidValue: ``source`` is neither a GuestSource nor one of its values.
            ChannelNotFound: No such channel.
        """
        source = as_enum(GuestSource, source, field="source")
        ch = self._s._channel(channel)
        address = normalise_email(email, allow_special_use=self._s._ctx.allow_special_use_domains)
        given = _optional_name(given_name, "given_name")
        family = _optional_name(family_name, "family_name")
        if given is None and family is None:
            raise MissingField("A guest needs a given or a family name.", field="given_name")
        if ch.policy.guest_checkout is GuestCheckout.NO_ACCOUNT:
            return None

        return self._s._write(lambda tx: self._guest_in(tx, address, given, family, source))

    def _guest_in(
        self,
        tx: Transaction,
        address: str,
        given: str | None,
        family: str | None,
        source: GuestSource,
    ) -> User | None:
        """In ``tx``: the active guest with this (normalised) address, or a new one; ``None``
        for a BLANK or FULL user's address or an inactive guest's (see :meth:`register_guest`;
        ``kit.orders.record_order`` follows the same rules)."""
        existing = tx.users.get_by_email(email_key(address))
        if existing is not None:
            # A disabled guest's order stays without an account, like a full user's.
            reuse = existing.tier is UserTier.GUEST and existing.is_active
            return existing if reuse else None
        return self._add_guest(tx, address, given, family, Actor.system(), {"source": source.value})

    def _add_guest(
        self,
        tx: Transaction,
        address: str,
        given: str | None,
        family: str | None,
        actor: Actor,
        data: Mapping[str, str],
    ) -> User:
        """Add a new GUEST user and record it in history."""
        now = self._s._ctx.clock.now()
        user = tx.users.add(
            User(
                id=new_id("usr"),
                tier=UserTier.GUEST,
                email=address,
                given_name=given,
                family_name=family,
                created_at=now,
                updated_at=now,
            )
        )
        self._s._record(
            tx,
            EventKind.USER_CREATED,
            actor,
            user_id=user.id,
            data={"tier": UserTier.GUEST.value, **data},
            new_user=True,
        )
        return user

    def create_blank(self, actor: Actor) -> User:
        """Make a BLANK user (for a membership card or a printed QR code).

        The user knows nothing yet and must complete the profile at first sign-in.

        Raises:
            NotPermitted: ``actor`` is a user, not the operator or the system.
        """
        require_staff(actor)
        now = self._s._ctx.clock.now()
        user = User(
            id=new_id("usr"),
            tier=UserTier.BLANK,
            must_complete_profile=True,
            created_at=now,
            updated_at=now,
        )

        def work(tx: Transaction) -> User:
            tx.users.add(user)
            self._s._record(
                tx,
                EventKind.USER_CREATED,
                actor,
                user_id=user.id,
                data={"tier": UserTier.BLANK.value, "source": "operator"},
                new_user=True,
            )
            return user

        return self._s._write(work)

    def complete_profile(
        self,
        user_id: str,
        *,
        email: str,
        given_name: str | None = None,
        family_name: str | None = None,
        password: str | None = None,
        birth_date: date | None = None,
        actor: Actor | None = None,
    ) -> User:
        """Complete a BLANK user's profile: to GUEST with name and e-mail, or to FULL with a
        password and birth date as well.

        Args:
            user_id: The BLANK user.
            email, given_name, family_name: The contact data (a name is required).
            password, birth_date: Both, to become FULL; neither, to become GUEST.
            actor: Who acts; defaults to the user themself.

        Raises:
            WrongTier: The user is not BLANK.
            UserDisabled: The user is disabled or waits for approval.
            MissingField: Only one of password and birth date, or no name.
            EmailTaken: Another user has the e-mail.
        """
        actor = Actor.user(user_id) if actor is None else actor
        require_self_or_staff(actor, user_id)
        if (password is None) != (birth_date is None):
            raise MissingField(
                "To become a full user give both a password and a birth date; "
                "give neither to stay a guest.",
                field="password" if password is None else "birth_date",
            )
        address = normalise_email(email, allow_special_use=self._s._ctx.allow_special_use_domains)
        given = _optional_name(given_name, "given_name")
        family = _optional_name(family_name, "family_name")
        if given is None and family is None:
            raise MissingField("Completing the profile needs a name.", field="given_name")
        born = None if birth_date is None else validate_birth_date(birth_date, today=self._today())
        password_hash = (
            None
            if password is None
            else new_password_hash(
                self._s, password, email=address, given_name=given, family_name=family
            )
        )
        tier = UserTier.FULL if password_hash else UserTier.GUEST

        def work(tx: Transaction) -> User:
            user = load_user(tx, user_id)
            if user.tier is not UserTier.BLANK:
                raise WrongTier("Only a blank user completes a profile; this one has done so.")
            if not user.is_active:
                raise UserDisabled()
            completed = attrs.evolve(
                user,
                tier=tier,
                email=address,
                given_name=given,
                family_name=family,
                birth_date=born,
                password_hash=password_hash,
                must_complete_profile=False,
            )
            data = {"from": UserTier.BLANK.value, "to": tier.value}
            return self._s._save_user(tx, user, completed, EventKind.PROFILE_COMPLETED, actor, data)

        return self._s._write(work)

    def upgrade_guest(self, token: str, *, password: str, birth_date: date) -> SignIn:
        """Turn a GUEST into a FULL user with the token of an UPGRADE link; signs them in.

        The link went to the guest's address (asked for with a registration or a password
        reset), so only its owner gets here; the password is the one given now, never one
        set before the address was proved. The token is used up in the unit that upgrades,
        and the address counts as verified. The guest's history (and orders) stay with the
        user, who keeps its id.

        Raises:
            TokenInvalid, TokenExpired, TokenUsed, TokenRevoked, TokenWrongPurpose.
            WrongTier: The user is no longer a guest.
            UserDisabled: The user is disabled.
            InvalidPassword, InvalidBirthDate: Bad input; nothing changes, the token stays
                usable.
        """
        guest = peek_token(self._s, token, TokenPurpose.UPGRADE)
        if guest.tier is not UserTier.GUEST:
            raise WrongTier("Only a guest can be upgraded to a full user.")
        require_may_sign_in(guest)
        born = validate_birth_date(birth_date, today=self._today())
        password_hash = password_hash_for(self._s, password, guest)

        def work(tx: Transaction) -> SignIn:
            issued = redeem_token(self._s, tx, token, TokenPurpose.UPGRADE)
            user = load_user(tx, issued.user_id)
            full = self._upgrade(tx, user, password_hash, born, Actor.user(user.id), verified=True)
            return start_session(self._s, tx, full, SignInMethod.UPGRADE)

        return self._s._write(work)

    def upgrade_guest_by_id(
        self, actor: Actor, user_id: str, *, password: str, birth_date: date
    ) -> User:
        """Staff only: turn a GUEST into a FULL user by id (for example on the phone, after
        checking who is calling). The address stays unverified.

        Raises:
            NotPermitted: ``actor`` is a user; users upgrade through the e-mailed link
                (:meth:`upgrade_guest`), so that nobody upgrades an account by its id.
            WrongTier, UserDisabled, UserNotFound, InvalidPassword, InvalidBirthDate.
        """
        require_staff(actor)
        born = validate_birth_date(birth_date, today=self._today())
        guest = self._s._read(lambda tx: load_user(tx, user_id))
        password_hash = password_hash_for(self._s, password, guest)

        def work(tx: Transaction) -> User:
            user = load_user(tx, user_id)
            return self._upgrade(tx, user, password_hash, born, actor, verified=False)

        return self._s._write(work)

    def _upgrade(
        self,
        tx: Transaction,
        user: User,
        password_hash: str,
        born: date,
        actor: Actor,
        *,
        verified: bool,
    ) -> User:
        if user.tier is not UserTier.GUEST:
            raise WrongTier("Only a guest can be upgraded to a full user.")
        if not user.is_active:
            raise UserDisabled()
        now = self._s._ctx.clock.now()
        full = attrs.evolve(
            user,
            tier=UserTier.FULL,
            birth_date=born,
            password_hash=password_hash,
            email_verified_at=user.email_verified_at or (now if verified else None),
        )
        data = {"from": UserTier.GUEST.value, "to": UserTier.FULL.value}
        return self._s._save_user(tx, user, full, EventKind.TIER_CHANGED, actor, data)
