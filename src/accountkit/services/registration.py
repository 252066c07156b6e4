"""Registration: how users come to be, and how they move up the tiers by themselves."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date

import attrs

from accountkit.domain import (
    Actor,
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
from accountkit.domain.validation import (
    email_key,
    normalise_email,
    validate_birth_date,
    validate_name,
    validate_profile,
)
from accountkit.errors import (
    EmailTaken,
    MissingField,
    RegistrationClosed,
    UserDisabled,
    WrongTier,
)
from accountkit.notify import Message, MessageKind
from accountkit.policies import Field, RegistrationAccess, RegistrationMode, SalesChannel
from accountkit.security.tokens import TokenPurpose
from accountkit.services._base import Service, load_user, require_self_or_staff, require_staff
from accountkit.services._rules import add_membership, new_customer
from accountkit.services._signin import (
    SignIn,
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


class RegistrationService:
    """Making users: ``kit.registration``.

    Self-registration makes a FULL user; checkout and newsletter sign-up make (or reuse) a
    GUEST; the operator makes BLANK users for cards and printed codes. BLANK and GUEST
    users move up with :meth:`complete_profile` and :meth:`upgrade_guest`.
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
        profile: Mapping[str, str] | None = None,
        channel: str | None = None,
    ) -> Registration:
        """Register a FULL user through a channel's self-registration.

        Under ``RegistrationAccess.APPROVAL`` the user waits in status PENDING_APPROVAL;
        under ``RegistrationMode.B2B`` a BUSINESS customer is made too, with the user as its
        COMPANY_MANAGER, in the same transaction. On a channel with
        ``require_email_verification`` an EMAIL_VERIFICATION link goes to the address.

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
            company_name: Required under B2B.
            profile: Free-form entries of the user's own (for example a ski size).
            channel: The sales channel's name; defaults to the kit's first channel.

        Raises:
            RegistrationClosed: The channel's access is CLOSED.
            InvalidEmail, InvalidName, InvalidBirthDate, InvalidPassword, MissingField,
            InvalidValue: Bad input; nothing is stored. (InvalidPassword's subclass says
                which rule of the kit's PasswordPolicy the password broke.)
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
        required = policy.required_fields
        for field, value in (
            (Field.GIVEN_NAME, given_name),
            (Field.FAMILY_NAME, family_name),
            (Field.COMPANY_NAME, company_name),
        ):
            if field in required and value is None:
                raise MissingField(f"Registration here needs {field.value}.", field=field.value)
        address = normalise_email(email, allow_special_use=self._s._ctx.allow_special_use_domains)
        given = _optional_name(given_name, "given_name")
        family = _optional_name(family_name, "family_name")
        if given is None and family is None:
            raise MissingField("Registration needs a name.", field="given_name")
        company = _optional_name(company_name, "company_name")
        b2b = policy.registration_mode is RegistrationMode.B2B
        born = validate_birth_date(birth_date, today=self._today())
        entries = validate_profile({} if profile is None else profile)
        password_hash = new_password_hash(
            self._s, password, email=address, given_name=given, family_name=family
        )
        verify = policy.require_email_verification
        now = self._s._ctx.clock.now()
        user = User(
            id=new_id("usr"),
            tier=UserTier.FULL,
            status=(
                UserStatus.PENDING_APPROVAL
                if policy.registration_access is RegistrationAccess.APPROVAL
                else UserStatus.ACTIVE
            ),
            email=address,
            given_name=given,
            family_name=family,
            birth_date=born,
            password_hash=password_hash,
            profile=entries,
            created_at=now,
            updated_at=now,
        )

        def work(tx: Transaction) -> tuple[Registration, list[Message]]:
            existing = tx.users.get_by_email(email_key(address))
            if existing is not None:
                return self._known_address(tx, existing, ch)
            actor = Actor.user(user.id)
            tx.users.add(user)
            if b2b:
                assert company is not None
                customer = new_customer(
                    self._s, tx, actor, ch, name=company, kind=CustomerKind.BUSINESS
                )
                add_membership(
                    self._s,
                    tx,
                    actor,
                    user_id=user.id,
                    customer_id=customer.id,
                    role=Role.COMPANY_MANAGER,
                )
            self._s._record(
                tx,
                EventKind.USER_CREATED,
                actor,
                user_id=user.id,
                data={"tier": UserTier.FULL.value, "channel": ch.name, "source": "registration"},
                new_user=not b2b,
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

    def register_guest(
        self,
        *,
        email: str,
        given_name: str | None = None,
        family_name: str | None = None,
        source: GuestSource = GuestSource.CHECKOUT,
    ) -> User | None:
        """Make a GUEST user at checkout or newsletter sign-up, or reuse the guest that has
        this e-mail already.

        Returns:
            The guest, new or reused; ``None`` when the e-mail belongs to a BLANK or FULL
            account, or to a guest who is DISABLED (or pending). Then keep the order as a
            not-signed-in order and tell the visitor nothing about that account.

        Raises:
            InvalidEmail, InvalidName, MissingField: Bad input (a guest needs a name).
            InvalidValue: ``source`` is neither a GuestSource nor one of its values.
        """
        source = as_enum(GuestSource, source, field="source")
        address = normalise_email(email, allow_special_use=self._s._ctx.allow_special_use_domains)
        given = _optional_name(given_name, "given_name")
        family = _optional_name(family_name, "family_name")
        if given is None and family is None:
            raise MissingField("A guest needs a given or a family name.", field="given_name")

        def work(tx: Transaction) -> User | None:
            existing = tx.users.get_by_email(email_key(address))
            if existing is not None:
                # A disabled guest's order stays without an account, like a full user's.
                reuse = existing.tier is UserTier.GUEST and existing.is_active
                return existing if reuse else None
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
                Actor.system(),
                user_id=user.id,
                data={"tier": UserTier.GUEST.value, "source": source.value},
                new_user=True,
            )
            return user

        return self._s._write(work)

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
