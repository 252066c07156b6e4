"""Users as the operator and the user see them: ``kit.users``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import attrs

from accountkit.domain import Actor, EventKind, User, UserStatus, UserTier
from accountkit.domain._enums import as_enum
from accountkit.domain._ids import new_id
from accountkit.domain.validation import (
    lookup_key,
    normalise_email,
    validate_birth_date,
    validate_name,
    validate_profile,
)
from accountkit.errors import AwaitingApproval, InvalidValue, MissingField
from accountkit.security.passwords import check_imported_hash
from accountkit.services._base import (
    Service,
    load_user,
    require_active_self,
    require_self_or_staff,
    require_staff,
)
from accountkit.services._rules import require_tier_fields
from accountkit.services._search import Page, search_users
from accountkit.services._signin import new_password_hash
from accountkit.storage._protocols import Transaction

__all__ = ["ImportedUser", "UserService"]


@attrs.frozen(kw_only=True)
class ImportedUser:
    """One user brought over from the shop's previous system (see
    :meth:`UserService.import_user`). Its ``repr`` shows no personal data or hash.

    Attributes:
        email: The address.
        given_name, family_name: At least one is needed.
        birth_date: Needed with a password (a FULL user).
        password_hash: The old system's hash as stored there: argon2, Django
            ``pbkdf2_sha256$...``, ``bcrypt$...``/``bcrypt_sha256$...`` or raw bcrypt. With
            it the user is FULL; without, a GUEST.
        email_verified: The old system had confirmed the address.
        profile: Free-form entries of the user's own.
    """

    email: str = attrs.field(repr=False)
    given_name: str | None = attrs.field(default=None, repr=False)
    family_name: str | None = attrs.field(default=None, repr=False)
    birth_date: date | None = attrs.field(default=None, repr=False)
    password_hash: str | None = attrs.field(default=None, repr=False)
    email_verified: bool = False
    profile: Mapping[str, str] = attrs.field(factory=dict, repr=False)


class UserService:
    """Reading and changing users: ``kit.users``."""

    def __init__(self, service: Service) -> None:
        self._s = service

    def search(
        self,
        actor: Actor,
        *,
        text: str | None = None,
        tier: UserTier | str | None = None,
        status: UserStatus | str | None = None,
        page_size: int = 50,
        cursor: str | None = None,
    ) -> Page[User]:
        """Return one page of the users matching every filter given, ordered by id.

        ``text`` matches when, with its ASCII letters lower-cased, it is part of the
        e-mail address's identity key, or when it is exactly (case-sensitively) part of
        the given or family name; ``%`` and ``_`` are plain characters, and an empty text
        is no filter. The same rule holds on every store.

        Args:
            actor: Staff (the operator or the system).
            text: Part of the e-mail address or a name.
            tier: Only users of this tier.
            status: Only users with this status.
            page_size: Users per page, 1 to 500.
            cursor: ``next_cursor`` of the previous page, given with the same filters.

        Raises:
            NotPermitted: The actor is a user.
            InvalidValue: A page size outside 1..500, a text that is not a string, or an
                unknown tier or status.
            InvalidCursor: The cursor was not made by this kit, or for other filters or
                for a customer search.
        """
        return search_users(
            self._s,
            actor,
            text=text,
            tier=tier,
            status=status,
            page_size=page_size,
            cursor=cursor,
        )

    def get(self, user_id: str) -> User:
        """Return the user; an erased one as its tombstone (status ERASED, no personal data).

        Raises:
            UserNotFound: No user has this id.
        """
        return self._s._read(lambda tx: load_user(tx, user_id, erased_ok=True))

    def find_by_email(self, email: str) -> User | None:
        """Return the user with this e-mail address (any case), or ``None``.

        Raises:
            InvalidEmail: The address is malformed (SpecialUseDomain: under ``.test`` and
                the like, unless the kit allows them).
        """
        key = lookup_key(email, allow_special_use=self._s._ctx.allow_special_use_domains)
        return self._s._read(lambda tx: tx.users.get_by_email(key))

    def import_user(self, actor: Actor, record: ImportedUser) -> User:
        """Bring one user over from the shop's previous system, with its password hash.

        The old hash is kept as it is and verified at sign-in; at the first successful
        sign-in it is replaced by an argon2id hash, so nobody has to choose a new password.

        Args:
            actor: Staff (the operator or the system).
            record: The user's data.

        Raises:
            NotPermitted: ``actor`` is a user.
            InvalidValue: ``record`` is not an ImportedUser, or its hash is of an unknown
                scheme.
            PasswordSchemeUnavailable: A bcrypt hash without the ``bcrypt`` extra.
            MissingField: No name, or a password hash without a birth date.
            InvalidEmail, InvalidName, InvalidBirthDate, InvalidValue: Bad data.
            EmailTaken: A user with that address exists.
        """
        require_staff(actor)
        user = self._imported(record)

        def work(tx: Transaction) -> User:
            tx.users.add(user)
            self._record_import(tx, user, actor)
            return user

        return self._s._write(work)

    def import_users(self, actor: Actor, records: Iterable[ImportedUser]) -> list[User]:
        """Bring many users over at once: all of them, or (on any error) none.

        Raises:
            As :meth:`import_user`, for the first bad record; EmailTaken also for two
            records with one address.
        """
        require_staff(actor)
        users = [self._imported(record) for record in records]

        def work(tx: Transaction) -> list[User]:
            tx.users.add_many(users)
            for user in users:
                self._record_import(tx, user, actor)
            return users

        return self._s._write(work)

    def _imported(self, record: ImportedUser) -> User:
        if not isinstance(record, ImportedUser):
            raise InvalidValue("Pass an ImportedUser for each user.", field="record")
        if not isinstance(record.email_verified, bool):
            raise InvalidValue("email_verified is True or False.", field="email_verified")
        address = normalise_email(
            record.email, allow_special_use=self._s._ctx.allow_special_use_domains
        )
        given = (
            None
            if record.given_name is None
            else validate_name(record.given_name, field="given_name")
        )
        family = (
            None
            if record.family_name is None
            else validate_name(record.family_name, field="family_name")
        )
        if given is None and family is None:
            raise MissingField("An imported user needs a name.", field="given_name")
        now = self._s._ctx.clock.now()
        password_hash = (
            None if record.password_hash is None else check_imported_hash(record.password_hash)
        )
        if password_hash is not None and record.birth_date is None:
            raise MissingField(
                "A user with a password is a full user and needs a birth date.",
                field="birth_date",
            )
        born = (
            None
            if record.birth_date is None
            else validate_birth_date(record.birth_date, today=now.date())
        )
        return User(
            id=new_id("usr"),
            tier=UserTier.FULL if password_hash is not None else UserTier.GUEST,
            email=address,
            given_name=given,
            family_name=family,
            birth_date=born,
            password_hash=password_hash,
            email_verified_at=now if record.email_verified else None,
            profile=validate_profile(record.profile),
            created_at=now,
            updated_at=now,
        )

    def _record_import(self, tx: Transaction, user: User, actor: Actor) -> None:
        self._s._record(
            tx,
            EventKind.USER_CREATED,
            actor,
            user_id=user.id,
            data={"tier": user.tier.value, "source": "import"},
            new_user=True,
        )

    def update_profile(
        self,
        actor: Actor,
        user_id: str,
        *,
        given_name: str | None = None,
        family_name: str | None = None,
        email: str | None = None,
        profile: Mapping[str, str] | None = None,
        expected_version: int | None = None,
    ) -> User:
        """Change a user's names, e-mail or free-form profile; ``None`` leaves a field as is.

        ``profile`` replaces the whole free-form profile. A new e-mail address raises the
        user's ``security_version``, which kills tokens issued before.

        Args:
            actor: The user themself, or the operator.
            user_id: The user.
            expected_version: The ``version`` the caller read; a different stored version
                raises ConcurrentUpdate instead of overwriting someone else's change.

        Raises:
            NotPermitted: Another user acts.
            UserDisabled: The user acts as themself while DISABLED or PENDING_APPROVAL
                (the operator may still change them).
            InvalidValue: ``actor`` is not an Actor, or a value is out of range.
            UserNotFound, InvalidName, InvalidEmail, EmailTaken, ConcurrentUpdate.
        """
        require_self_or_staff(actor, user_id)
        changes: dict[str, Any] = {}
        if given_name is not None:
            changes["given_name"] = validate_name(given_name, field="given_name")
        if family_name is not None:
            changes["family_name"] = validate_name(family_name, field="family_name")
        if email is not None:
            changes["email"] = normalise_email(
                email, allow_special_use=self._s._ctx.allow_special_use_domains
            )
        if profile is not None:
            changes["profile"] = validate_profile(profile)

        def work(tx: Transaction) -> User:
            user = load_user(tx, user_id, expected_version=expected_version)
            require_active_self(actor, user)
            updated = attrs.evolve(user, **changes)
            if updated == user:
                return user
            data = {"fields": ",".join(sorted(changes))}
            return self._s._save_user(
                tx,
                user,
                updated,
                EventKind.PROFILE_UPDATED,
                actor,
                data,
                security=updated.email != user.email,
            )

        return self._s._write(work)

    def set_tier(
        self,
        actor: Actor,
        user_id: str,
        tier: UserTier,
        *,
        email: str | None = None,
        given_name: str | None = None,
        family_name: str | None = None,
        password: str | None = None,
        birth_date: date | None = None,
    ) -> User:
        """Set a user's tier, as the operator may at any time.

        To FULL the user needs an e-mail, a name, a password and a birth date: pass what the
        user lacks. To GUEST the password is dropped. To BLANK the password and birth date
        are dropped and the user must complete the profile again. Setting the tier a user
        has changes nothing. ``tier`` is a :class:`UserTier` or its value (``"full"``).

        Raises:
            NotPermitted: ``actor`` is a user.
            InvalidValue: ``tier`` is neither a UserTier nor one of its values, or ``actor``
                is not an Actor.
            MissingField: The new tier needs data the user lacks; the message names it.
            UserNotFound, InvalidEmail, InvalidName, InvalidPassword, InvalidBirthDate,
            EmailTaken.
        """
        require_staff(actor)
        tier = as_enum(UserTier, tier, field="tier")
        changes: dict[str, Any] = {}
        if email is not None:
            changes["email"] = normalise_email(
                email, allow_special_use=self._s._ctx.allow_special_use_domains
            )
        if given_name is not None:
            changes["given_name"] = validate_name(given_name, field="given_name")
        if family_name is not None:
            changes["family_name"] = validate_name(family_name, field="family_name")
        if birth_date is not None:
            changes["birth_date"] = validate_birth_date(
                birth_date, today=self._s._ctx.clock.now().date()
            )
        # Hash before the unit of work: argon2 must not run while holding a write lock.
        password_hash = (
            None
            if password is None
            else new_password_hash(
                self._s,
                password,
                email=changes.get("email"),
                given_name=changes.get("given_name"),
                family_name=changes.get("family_name"),
            )
        )

        def work(tx: Transaction) -> User:
            user = load_user(tx, user_id)
            if user.tier is tier:
                return user
            updated = attrs.evolve(user, **changes)
            if tier is UserTier.FULL:
                updated = attrs.evolve(updated, tier=tier, must_complete_profile=False)
                if password_hash is not None:
                    updated = attrs.evolve(updated, password_hash=password_hash)
            elif tier is UserTier.GUEST:
                updated = attrs.evolve(
                    updated, tier=tier, password_hash=None, must_complete_profile=False
                )
            else:
                updated = attrs.evolve(
                    updated,
                    tier=tier,
                    password_hash=None,
                    birth_date=None,
                    must_complete_profile=True,
                )
            require_tier_fields(updated)
            data = {"from": user.tier.value, "to": tier.value}
            return self._s._save_user(tx, user, updated, EventKind.TIER_CHANGED, actor, data)

        return self._s._write(work)

    def disable(self, actor: Actor, user_id: str) -> User:
        """Switch a user off: they can no longer act, and their tokens die.

        Raises:
            NotPermitted: ``actor`` is a user.
            UserNotFound: No such user.
        """
        return self._set_status(actor, user_id, UserStatus.DISABLED, EventKind.USER_DISABLED)

    def enable(self, actor: Actor, user_id: str) -> User:
        """Switch a disabled user on again.

        A registration that waits for approval is not switched on here: approve it with
        ``kit.registration.approve``, which also numbers its company and tells the person.

        Raises:
            NotPermitted: ``actor`` is a user.
            AwaitingApproval: The user waits for approval; nothing changes.
            UserNotFound: No such user.
        """
        return self._set_status(actor, user_id, UserStatus.ACTIVE, EventKind.USER_ENABLED)

    def _set_status(self, actor: Actor, user_id: str, status: UserStatus, kind: EventKind) -> User:
        require_staff(actor)

        def work(tx: Transaction) -> User:
            user = load_user(tx, user_id)
            if user.status is status:
                return user
            if status is UserStatus.ACTIVE and user.status is UserStatus.PENDING_APPROVAL:
                raise AwaitingApproval(
                    "This registration waits for approval; approve it with "
                    "kit.registration.approve, which also numbers its company and tells the "
                    "person."
                )
            data = {"from": user.status.value, "to": status.value}
            return self._s._save_user(
                tx, user, attrs.evolve(user, status=status), kind, actor, data
            )

        return self._s._write(work)
